'use strict';
// Where a consumer starts (start_offset, offset files, offset_directory: null) and how soon a
// lone message reaches it.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { kafka, testCluster, tempDir, produce, waitFor, quietLogger, silentBroker } = require('./helpers');

const cluster = testCluster(); // MockCluster, or Apache Kafka with KAFKA_TEST_BROKER=kafka
const broker = cluster.bootstrapServers;

// A consumer that collects what it is handed; `stop()` also returns the offsets per partition.
function collector(options) {
  const seen = [];
  const consumer = new kafka.Consumer({
    broker, logger: quietLogger(), ...options,
    receive_callback: (d) => { seen.push(...d.messages); return Promise.resolve(); },
  });
  return { consumer, seen };
}

const offsetsOf = (seen, partition) => seen.filter((m) => m.partition === partition).map((m) => m.offset);

test('a lone message reaches an idle consumer whose batch is far from full', async () => {
  // The core waits up to 30 s for a first message; a batch of up to 10,000 must not wait to fill.
  const topic = 'start-lone';
  await cluster.createTopic(topic, 1);
  const { consumer, seen } = collector({ topic, offset_directory: null, max_messages_per_callback: 10000 });
  await consumer.start();
  await produce(broker, topic, 0, ['alone']);
  await waitFor('the lone message', () => seen.length === 1, 10000);
  await consumer.stop();
  assert.equal(seen[0].payload, 'alone');
});

test("start_offset 'latest' skips what was there and gets everything sent after start()", async () => {
  const topic = 'start-latest';
  await cluster.createTopic(topic, 2);
  for (let p = 0; p < 2; p++) await produce(broker, topic, p, ['old0', 'old1', 'old2']);
  // Connected before start(), so its messages go out the moment start() resolves.
  const producer = new kafka.Producer({ broker, logger: quietLogger(), queue_buffering_max_ms: 0 });
  await producer.partition_count(topic);
  const { consumer, seen } = collector({ topic, offset_directory: null, start_offset: 'latest' });
  await consumer.start();
  for (let p = 0; p < 2; p++) producer.send(topic, p, ['new0', 'new1']);
  await producer.stop();
  await waitFor('4 new messages', () => seen.length >= 4);
  await consumer.stop();
  // In order per partition: an old message would have come before these.
  for (let p = 0; p < 2; p++) assert.deepEqual(offsetsOf(seen, p), [3, 4]);
  assert.ok(seen.every((m) => m.payload.startsWith('new')));
});

test("start_offset 'earliest', a number, and an offset file that wins over start_offset", async () => {
  const topic = 'start-choices';
  await cluster.createTopic(topic, 2);
  for (let p = 0; p < 2; p++) await produce(broker, topic, p, ['m0', 'm1', 'm2', 'm3', 'm4']);
  let round = 0;
  // Reads until `expected` messages and then a fresh marker on partition 0 have arrived: once
  // the marker is in, nothing earlier is still coming.
  const read = async (options, expected) => {
    const { consumer, seen } = collector({ topic, ...options });
    await consumer.start();
    await waitFor(`${expected} messages`, () => seen.length >= expected);
    const marker = `marker${round++}`;
    await produce(broker, topic, 0, [marker]);
    await waitFor('the marker', () => seen.some((m) => m.payload === marker));
    await consumer.stop();
    return [offsetsOf(seen, 0).slice(0, -1), offsetsOf(seen, 1)];
  };
  assert.deepEqual(await read({ offset_directory: null }, 10), [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4]]);
  // Partition 0 also holds the first marker now (offset 5).
  assert.deepEqual(await read({ offset_directory: null, start_offset: 3 }, 5), [[3, 4, 5], [3, 4]]);
  // Partition 0 (m0-m4 and two markers) has no file and starts at start_offset 7, its end;
  // partition 1 has a file, which wins over start_offset.
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, `${topic}-1.offset`), '1\n');
  assert.deepEqual(await read({ offset_directory: dir, start_offset: 7 }, 3), [[], [2, 3, 4]]);
});

test('offset_directory: null records nothing anywhere and reads from start_offset at each start', async () => {
  // In a child process whose working directory is empty: not even ./kafka-offsets may appear.
  const cwd = tempDir();
  const script = `
    const { Consumer, Producer } = require(${JSON.stringify(path.join(__dirname, '..', 'js', 'index.js'))});
    const quiet = { error: console.error, warn() {}, info() {} };
    (async () => {
      const producer = new Producer({ broker: process.env.BROKER, logger: quiet });
      producer.send('start-forgetful', 0, ['a', 'b', 'c']);
      await producer.stop();
      for (let start = 0; start < 2; start++) {
        const offsets = [];
        const consumer = new Consumer({ broker: process.env.BROKER, topic: 'start-forgetful', offset_directory: null, logger: quiet,
          receive_callback: (d) => { offsets.push(...d.messages.map((m) => m.offset)); return Promise.resolve(); } });
        await consumer.start();
        while (offsets.length < 3) await new Promise((r) => setTimeout(r, 20));
        await consumer.stop();
        console.log(JSON.stringify(offsets));
      }
    })().catch((e) => { console.error(e); process.exit(1); });`;
  await cluster.createTopic('start-forgetful', 1);
  const r = spawnSync(process.execPath, ['-e', script], { cwd, env: { ...process.env, BROKER: broker }, encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['[0,1,2]', '[0,1,2]']);
  assert.deepEqual(fs.readdirSync(cwd), []);
});

// A consumer whose start() is under way, waiting on a silent broker: {consumer, started}.
async function startingOnSilentBroker(t, topic) {
  const { broker: silent, connected } = await silentBroker(t);
  const consumer = new kafka.Consumer({ broker: silent, topic, offset_directory: null, logger: quietLogger(), receive_callback: () => Promise.resolve() });
  const started = consumer.start();
  started.catch(() => {});
  await connected;
  return { consumer, started };
}

test('pause(), resume() and assignment() return at once while start() waits on a silent broker', async (t) => {
  const { consumer, started } = await startingOnSilentBroker(t, 'start-silent');
  const before = Date.now();
  consumer.pause();
  consumer.resume();
  assert.deepEqual(consumer.assignment(), []);
  // start() waits up to 10 s for metadata; these calls once waited for it, event loop frozen.
  assert.ok(Date.now() - before < 1000, `the synchronous calls took ${Date.now() - before} ms`);
  await consumer.stop();
  await assert.rejects(started, (err) => err.code === 'STOPPED');
});

test('stop() during start() cancels the start: start() rejects with code STOPPED, not a timeout', async (t) => {
  const { consumer, started } = await startingOnSilentBroker(t, 'start-cancel');
  await consumer.stop();
  await assert.rejects(started, (err) => err.code === 'STOPPED');
  await assert.rejects(consumer.start(), (err) => err.code === 'STOPPED');
});

// A server whose clients come and go (a proxy, a relay) must not run out of threads or file
// descriptors: once stop() resolves, a client's threads and sockets are gone. (Measured before:
// 50 cycles left +200 threads and +400 fds two seconds later, gone only ~25 s later.)
test('clients made, used once and stopped, 30 times over, leave no threads or fds behind', async () => {
  const topic = `churn-${process.pid}`;
  await cluster.createTopic(topic, 1);
  const count = () => ({ threads: fs.readdirSync('/proc/self/task').length, fds: fs.readdirSync('/proc/self/fd').length });
  const cycle = async (i) => {
    const producer = new kafka.Producer({ broker, logger: quietLogger() });
    const [{ offset }] = await producer.deliver(topic, 0, [`m${i}`]);
    await producer.stop();
    let got;
    const received = new Promise((r) => { got = r; });
    const group = i % 2 === 1 ? { group_id: `churn-${process.pid}-${i}`, start_offset: 'earliest' } : { start_offset: offset };
    const consumer = new kafka.Consumer({ broker, topic, offset_directory: null, logger: quietLogger(), ...group, receive_callback: () => { got(); return Promise.resolve(); } });
    await consumer.start();
    await received;
    await consumer.stop();
    const admin = new kafka.Admin({ broker, logger: quietLogger() });
    await admin.watermarks(topic, 0);
    await admin.stop();
  };
  await cycle(0); // the first makes what the process keeps for good (the addon's pools)
  const before = count();
  for (let i = 1; i <= 30; i++) await cycle(i);
  const after = count();
  // Each cycle's clients held ~6 librdkafka threads and ~4 sockets each: 30 cycles left behind
  // would be hundreds. A few may be a pool's idle threads or a socket closing now.
  assert.ok(after.threads <= before.threads + 4, `threads ${before.threads} → ${after.threads}`);
  assert.ok(after.fds <= before.fds + 4, `fds ${before.fds} → ${after.fds}`);
});
