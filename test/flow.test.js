'use strict';
// Backpressure and how receive_callback's result settles a batch.
const test = require('node:test');
const assert = require('node:assert/strict');
const { kafka, testCluster, tempDir, readOffset, produce, waitFor, quietLogger } = require('./helpers');

const cluster = testCluster(); // MockCluster, or Apache Kafka with KAFKA_TEST_BROKER=kafka
const broker = cluster.bootstrapServers;

test('an unsettled Promise holds back the next batch and the offset file', async () => {
  const topic = 'flow-slow';
  await cluster.createTopic(topic, 1, 1);
  await produce(broker, topic, 0, ['a', 'b']);
  const dir = tempDir();
  const calls = [];
  let release;
  let stats;
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: dir, max_messages_per_callback: 1, logger: quietLogger(),
    statistics_interval_ms: 100, stats_callback: (s) => { stats = s; },
    receive_callback: (d) => {
      calls.push(d.messages[0].offset);
      if (calls.length === 1) return new Promise((r) => { release = r; });
      return Promise.resolve();
    },
  });
  await consumer.start();
  await waitFor('the first batch', () => calls.length === 1);
  // The witness: the consumer has the second message in hand (fetched, not handed over)...
  await waitFor('the second message fetched and held', () => stats && stats.waiting_local >= 1);
  // ...and still has not called back with it.
  assert.deepEqual(calls, [0], 'a second batch arrived before the first settled');
  assert.equal(readOffset(dir, topic, 0), undefined, 'offset recorded before the batch settled');
  release();
  await waitFor('the second batch', () => calls.length === 2);
  await consumer.stop();
  assert.deepEqual(calls, [0, 1]);
  assert.equal(readOffset(dir, topic, 0), '1\n');
});

for (const [name, callback, expectLog] of [
  ['rejects', () => Promise.reject(new Error('boom')), /rejected.*boom/s],
  ['throws', () => { throw new Error('thrown'); }, /threw.*thrown/s],
  ['returns no Promise', () => undefined, /did not return a Promise/],
]) {
  test(`a receive_callback that ${name} still settles, is logged, and records offsets`, async () => {
    const topic = `flow-${name.replace(/ /g, '-').toLowerCase()}`;
    await cluster.createTopic(topic, 1, 1);
    await produce(broker, topic, 0, ['x', 'y', 'z']);
    const dir = tempDir();
    const logger = quietLogger();
    let batches = 0;
    const consumer = new kafka.Consumer({
      broker, topic, offset_directory: dir, max_messages_per_callback: 1, logger,
      receive_callback: (d) => { batches++; return callback(d); },
    });
    await consumer.start();
    await waitFor('all three batches', () => batches === 3);
    await consumer.stop();
    assert.equal(readOffset(dir, topic, 0), '2\n');
    assert.ok(logger.lines.some((l) => expectLog.test(l.line)), JSON.stringify(logger.lines));
  });
}

test('pause() stops deliveries; resume() carries on', async () => {
  const topic = 'flow-pause';
  await cluster.createTopic(topic, 1, 1);
  let seen = 0;
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: tempDir(), logger: quietLogger(),
    receive_callback: (d) => { seen += d.messages.length; return Promise.resolve(); },
  });
  await consumer.start();
  consumer.pause();
  await produce(broker, topic, 0, Array.from({ length: 20 }, String));
  // The witness: a consumer that is not paused reads all 20 from the broker meanwhile.
  let witnessed = 0;
  const witness = new kafka.Consumer({
    broker, topic, offset_directory: null, start_offset: 'earliest', logger: quietLogger(),
    receive_callback: (d) => { witnessed += d.messages.length; return Promise.resolve(); },
  });
  await witness.start();
  await waitFor('the witness to read all 20', () => witnessed === 20);
  await witness.stop();
  assert.equal(seen, 0);
  consumer.resume();
  await waitFor('20 messages', () => seen === 20);
  await consumer.stop();
});

test('many consumers in one process do not starve each other (no libuv pool)', async () => {
  const topic = 'flow-many';
  await cluster.createTopic(topic, 8, 1);
  for (let p = 0; p < 8; p++) await produce(broker, topic, p, [`m${p}`]);
  const seen = new Set();
  const consumers = Array.from({ length: 8 }, (_, slot) => new kafka.Consumer({
    broker, topic, offset_directory: tempDir(), num_workers: 8, worker_slot: slot, logger: quietLogger(),
    receive_callback: (d) => { for (const m of d.messages) seen.add(m.partition); return Promise.resolve(); },
  }));
  await Promise.all(consumers.map((c) => c.start()));
  await waitFor('all 8 partitions', () => seen.size === 8);
  await Promise.all(consumers.map((c) => c.stop()));
});

test('a consumer with data always waiting still lets the event loop turn between batches', async () => {
  const topic = 'flow-turns';
  await cluster.createTopic(topic, 1, 1);
  await produce(broker, topic, 0, Array.from({ length: 20000 }, (_, i) => `m${i}`));
  let batches = 0;
  let starved = 0;
  let turned = true;
  let received = 0;
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: tempDir(), max_messages_per_callback: 100, logger: quietLogger(),
    receive_callback: (d) => {
      // Each batch must come in a later turn than the one before: the setImmediate queued by the
      // last batch has run.
      if (!turned) starved++;
      turned = false;
      setImmediate(() => { turned = true; });
      batches++;
      received += d.messages.length;
      return Promise.resolve();
    },
  });
  await consumer.start();
  await waitFor('20000 messages', () => received === 20000);
  await consumer.stop();
  assert.ok(batches >= 200);
  assert.equal(starved, 0, `${starved} of ${batches} batches arrived without the event loop turning`);
});

// Threads of this process with the name `name`.
const threadsNamed = (name) => require('node:fs').readdirSync('/proc/self/task').filter((t) => {
  try {
    return require('node:fs').readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === name;
  } catch {
    return false; // ended while listed
  }
}).length;

// Outside a group a batch is taken on the JS thread when librdkafka says messages arrived: no
// thread of the consumer's own (kn-fetch) takes it and wakes JS, one thread hand-off on every
// batch. A group's consumer keeps its kn-fetch thread (its rebalances wait on the network,
// which the JS thread must not). Counted once a batch has arrived: a thread names itself once
// it runs.
test('a consumer outside a group is served on the JS thread (no kn-fetch thread); a group consumer has one', async () => {
  const topic = 'flow-js-thread';
  await cluster.createTopic(topic, 1, 1);
  await produce(broker, topic, 0, ['a', 'b', 'c']);
  const before = threadsNamed('kn-fetch');
  const readBy = async (options) => {
    const read = [];
    const consumer = new kafka.Consumer({
      broker, topic, start_offset: 'earliest', logger: quietLogger(), ...options,
      receive_callback: (d) => { read.push(...d.messages.map((m) => m.payload)); return Promise.resolve(); },
    });
    await consumer.start();
    await waitFor('three messages', () => read.length === 3);
    const threads = threadsNamed('kn-fetch') - before;
    await consumer.stop();
    assert.deepEqual(read, ['a', 'b', 'c']);
    return threads;
  };
  assert.equal(await readBy({ offset_directory: null }), 0, 'a consumer outside a group starts no kn-fetch thread');
  assert.equal(await readBy({ group_id: `flow-js-thread-${process.pid}` }), 1, 'a group consumer fetches on its own thread');
});
