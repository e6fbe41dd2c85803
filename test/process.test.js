'use strict';
// Whole-process properties: cluster workers, worker_threads, exit after stop(), GC without stop().
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
function run(args, env = {}) {
  const r = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120000 });
  return { ...r, output: `${r.stdout}\n${r.stderr}` };
}

test('node:cluster workers split a topic and consume each message exactly once', () => {
  const r = run(['examples/node-cluster.js'], { WORKERS: '2', PER_PARTITION: '300' });
  assert.equal(r.status, 0, r.output);
  assert.match(r.stdout, /consumed 1200 unique of 1200 messages with 2 workers, 0 duplicates/);
  assert.match(r.stdout, /worker 0 reads partitions 0, 2/);
  assert.match(r.stdout, /worker 1 reads partitions 1, 3/);
});

test('node:cluster workers in a consumer group: one joins and one leaves while messages flow; none lost or repeated', () => {
  const r = run(['examples/node-cluster.js', '--group']);
  assert.equal(r.status, 0, r.output);
  assert.match(r.stdout, /consumed 1000 unique of 1000 messages with 3 workers, 0 duplicates/);
  assert.match(r.stdout, /worker 2 reads partitions/);
});

test('two worker_threads load the addon and split a topic', () => {
  const r = run(['examples/worker-threads.js']);
  assert.equal(r.status, 0, r.output);
  assert.match(r.stdout, /consumed 400 unique of 400 messages in 2 threads, 0 duplicates/);
});

test('the process exits by itself after stop()', () => {
  const script = `
    const { Producer, Consumer, MockCluster } = require('./js/index.js');
    const fs = require('node:fs'), os = require('node:os'), path = require('node:path');
    (async () => {
      const c = new MockCluster(1);
      const broker = c.bootstrapServers;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-exit-'));
      const quiet = { error() {}, warn() {}, info() {} };
      const producer = new Producer({ broker, logger: quiet, statistics_interval_ms: 100, stats_callback() {}, delivery_report_callback() {} });
      producer.send('exit', 0, ['a']);
      await producer.stop();
      let n = 0;
      const consumer = new Consumer({ broker, topic: 'exit', logger: quiet, statistics_interval_ms: 100, stats_callback() {},
        offset_directory: dir,
        receive_callback: (d) => { n += d.messages.length; return Promise.resolve(); } });
      await consumer.start();
      while (n < 1) await new Promise((r) => setTimeout(r, 20));
      await consumer.stop();
      fs.rmSync(dir, { recursive: true });
      console.log('stopped');
    })();`;
  const started = Date.now();
  const r = run(['-e', script]);
  assert.equal(r.status, 0, r.output);
  assert.match(r.stdout, /stopped/);
  assert.ok(Date.now() - started < 30000, 'took too long to exit');
});

test('garbage collection of objects never stopped does not crash', () => {
  const script = `
    const { Producer, Consumer, MockCluster } = require('./js/index.js');
    (async () => {
      const c = new MockCluster(1);
      const quiet = { error() {}, warn() {}, info() {} };
      for (let i = 0; i < 5; i++) {
        let p = new Producer({ broker: c.bootstrapServers, logger: quiet, stats_callback() {} });
        p.send('gc', 0, ['pending']);
        let k = new Consumer({ broker: c.bootstrapServers, topic: 'gc', logger: quiet, receive_callback: () => Promise.resolve() });
        p = k = null;
        global.gc();
        await new Promise((r) => setTimeout(r, 50));
      }
      global.gc();
      console.log('survived');
    })();`;
  const r = run(['--expose-gc', '-e', script]);
  assert.equal(r.signal, null, r.output);
  assert.equal(r.status, 0, r.output);
  assert.match(r.stdout, /survived/);
});

test('a script that sends and ends without stop() still delivers: the producer keeps the process alive until then', async () => {
  const { kafka, testCluster, quietLogger } = require('./helpers');
  const cluster = testCluster();
  await cluster.createTopic('keepalive', 1);
  const script = `
    const { Producer } = require('./js/index.js');
    const producer = new Producer({ broker: process.env.BROKER, logger: { error: console.error, warn() {}, info() {} } });
    const { enqueued } = producer.send('keepalive', 0, Array.from({ length: 100 }, (_, i) => 'm' + i));
    console.log('enqueued', enqueued); // and the script ends here, with no stop()`;
  const r = run(['-e', script], { BROKER: cluster.bootstrapServers });
  assert.equal(r.status, 0, r.output);
  assert.match(r.stdout, /enqueued 100/);
  // Every message is in Kafka once the process has exited by itself.
  const admin = new kafka.Admin({ broker: cluster.bootstrapServers, logger: quietLogger() });
  assert.deepEqual(await admin.watermarks('keepalive', 0), { low: 0, high: 100 });
  await admin.stop();
});

// deliver()'s answers reach JS through a callback that does not hold the process, after the
// messages have left the in-flight count: a script whose only work is awaited sends must not
// end between the two (every one of these sends is such a moment).
test('a script that awaits deliver() after deliver() and nothing else gets every answer, then exits', async () => {
  const { testCluster } = require('./helpers');
  const cluster = testCluster();
  await cluster.createTopic('awaited-keepalive', 1);
  const script = `
    const { Producer } = require('./js/index.js');
    const producer = new Producer({ broker: process.env.BROKER, logger: { error: console.error, warn() {}, info() {} } });
    (async () => {
      let answered = 0;
      for (let i = 0; i < 2000; i++) { await producer.deliver('awaited-keepalive', 0, ['m' + i]); answered++; }
      console.log('answered', answered);
    })();`;
  const r = run(['-e', script], { BROKER: cluster.bootstrapServers });
  assert.equal(r.status, 0, r.output);
  assert.match(r.stdout, /answered 2000/);
});

test('a Consumer that is never started is garbage-collected', () => {
  const script = `
    const { Consumer, MockCluster } = require('./js/index.js');
    (async () => {
      const cluster = new MockCluster(1);
      let collected = 0;
      const registry = new FinalizationRegistry(() => { collected++; });
      for (let i = 0; i < 5; i++) {
        registry.register(new Consumer({ broker: cluster.bootstrapServers, topic: 'gc', logger: { error() {}, warn() {}, info() {} }, receive_callback: () => Promise.resolve() }), i);
      }
      // Finalizers run on a later turn: collect, then let them run, a bounded number of times.
      for (let turn = 0; turn < 100 && collected < 5; turn++) {
        global.gc();
        await new Promise((r) => setTimeout(r, 10));
      }
      console.log('collected', collected);
    })();`;
  const r = run(['--expose-gc', '-e', script]);
  assert.equal(r.status, 0, r.output);
  assert.match(r.stdout, /collected 5/);
});

test('on a platform with no prebuilt addon, require() says which platform it is and which are built', () => {
  const script = `
    Object.defineProperty(process, 'arch', { value: 'riscv64' });
    try {
      require('./js/index.js');
      console.log('loaded');
    } catch (err) {
      console.log(err.code);
      console.log(err.message);
    }`;
  const r = run(['-e', script]);
  assert.equal(r.status, 0, r.output);
  assert.match(r.stdout, /^ERR_KAFKA_NATIVE_PLATFORM$/m);
  assert.match(r.stdout, /cannot load the addon on linux-riscv64-gnu .*no prebuilt addon for it\. Prebuilt addons: linux-x64-gnu, linux-arm64-gnu\./);
  assert.doesNotMatch(r.stdout, /npm has a bug/);
});

test('the default logger prints errors, not the debug lines beside them', () => {
  // A broker nobody listens on: librdkafka logs each failed connection (FAIL, debug here) and
  // reports it as an error (logged). console.debug would print the FAIL lines too.
  const r = run(['-e', `
    const { Producer } = require('./js/index.js');
    const producer = new Producer({ broker: '127.0.0.1:1' });
    producer.send('t', 0, ['x']);
    setTimeout(() => producer.stop({ timeout: 100 }).catch(() => {}), 2000);
  `]);
  assert.equal(r.status, 0, r.output);
  assert.match(r.stderr, /kafka-native \[ERROR _TRANSPORT\] .*Connection refused/);
  assert.doesNotMatch(r.output, /\[FAIL\]/);
});
