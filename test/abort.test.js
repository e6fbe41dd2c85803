'use strict';
// AbortSignal on the waits it is given: start({signal}) and deliver(..., {signal}). An aborted
// wait rejects with an AbortError, quickly, and leaves nothing running. (The consumer's
// iteration with a signal: iteration.test.js.)
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { kafka, quietLogger, silentBroker } = require('./helpers');

const isAbort = (err) => err.name === 'AbortError';

test('start({signal}): aborting a start that waits on a silent broker rejects at once with an AbortError, the consumer stopped', async (t) => {
  const { broker, connected } = await silentBroker(t);
  const consumer = new kafka.Consumer({ broker, topic: 'abort-start', offset_directory: null, logger: quietLogger(), receive_callback: () => Promise.resolve() });
  const controller = new AbortController();
  const started = consumer.start({ signal: controller.signal });
  started.catch(() => {});
  await connected;
  const abortedAt = Date.now();
  controller.abort();
  await assert.rejects(started, isAbort);
  // start() waits up to 10 s for metadata: an abort that only stopped waiting would leave it to.
  assert.ok(Date.now() - abortedAt < 5000, `took ${Date.now() - abortedAt} ms`);
  // The consumer was stopped, not left starting.
  await assert.rejects(consumer.start(), (err) => err.code === 'STOPPED');
  // Already aborted: nothing starts.
  const unstarted = new kafka.Consumer({ broker, topic: 'abort-start', offset_directory: null, logger: quietLogger(), receive_callback: () => Promise.resolve() });
  await assert.rejects(unstarted.start({ signal: AbortSignal.abort() }), isAbort);
  await assert.rejects(unstarted.start({ signal: 'no' }), /start\(\) option signal must be an AbortSignal/);
  await unstarted.stop();
});

test('deliver(..., {signal}): aborted before, nothing is sent; aborted while waiting, the wait ends at once', async () => {
  const cluster = new kafka.MockCluster(1);
  cluster.createTopic('abort-deliver', 1, 1);
  const producer = new kafka.Producer({ broker: cluster.bootstrapServers, queue_buffering_max_ms: 0, logger: quietLogger() });
  await assert.rejects(producer.deliver('abort-deliver', 0, ['never'], { signal: AbortSignal.abort() }), isAbort);
  // The next message is the partition's first: the aborted one was never sent.
  assert.deepEqual(await producer.deliver('abort-deliver', 0, ['first']), [{ partition: 0, offset: 0 }]);
  // A broker that answers after 3 s: the wait for it is cut short.
  cluster.setBrokerRtt(1, 3000);
  const controller = new AbortController();
  const waiting = producer.deliver('abort-deliver', 0, ['late'], { signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  const before = Date.now();
  await assert.rejects(waiting, isAbort);
  assert.ok(Date.now() - before < 2500, `took ${Date.now() - before} ms`);
  cluster.setBrokerRtt(1, 0);
  await producer.stop();
  await assert.rejects(producer.deliver('abort-deliver', 0, ['x'], { signl: 1 }), /deliver\(\) has unknown option signl/);
});

test('an aborted start leaves nothing running: the process exits by itself', () => {
  const script = `
    const net = require('node:net');
    const kafka = require('./js/index.js');
    const quiet = { error() {}, warn() {}, info() {}, debug() {} };
    const server = net.createServer((s) => { s.on('error', () => {}); server.close(); setTimeout(() => s.destroy(), 20000).unref(); }).listen(0, '127.0.0.1', async () => {
      const consumer = new kafka.Consumer({ broker: '127.0.0.1:' + server.address().port, topic: 't', offset_directory: null, logger: quiet, receive_callback: () => Promise.resolve() });
      await consumer.start({ signal: AbortSignal.timeout(300) }).catch((e) => console.log('start:', e.name));
    });
  `;
  const started = Date.now();
  const child = spawnSync(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..'), encoding: 'utf8', timeout: 60000 });
  assert.equal(child.status, 0, `${child.stdout}\n${child.stderr}`);
  assert.match(child.stdout, /start: AbortError/);
  assert.ok(Date.now() - started < 9000, `the process took ${Date.now() - started} ms to exit`);
});
