'use strict';
// A Consumer's max_deliveries and dead_letter_topic: a batch whose receive_callback keeps failing
// is tried max_deliveries times, then its records go to the dead-letter topic with headers naming
// where they came from, and the consumer moves on, in order. (The ShareConsumer's, per record,
// are tested in share-consumer.test.js.)
const test = require('node:test');
const assert = require('node:assert/strict');
const { kafka, testCluster, tempDir, readOffset, produce, waitFor, quietLogger } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
let serial = 0;

async function topics(base) {
  const topic = `dl-${base}-${process.pid}-${serial++}`;
  await cluster.createTopic(topic, 1);
  await cluster.createTopic(`${topic}-dead`, 1);
  return { topic, deadLetters: `${topic}-dead` };
}

async function readAll(topic, count) {
  const seen = [];
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: null, logger: quietLogger(),
    receive_callback: ({ messages }) => { seen.push(...messages); },
  });
  await consumer.start();
  await waitFor(() => `${count} message(s) in ${topic} (have ${seen.length})`, () => seen.length >= count);
  await consumer.stop();
  return seen;
}

test('a batch that fails max_deliveries times goes to dead_letter_topic with its headers; the consumer moves on, in order', async (t) => {
  const { topic, deadLetters } = await topics('moves-on');
  const processed = [];
  const tries = [];
  const logger = quietLogger();
  const offset_directory = tempDir();
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory, logger, max_deliveries: 3, dead_letter_topic: deadLetters,
    receive_callback: async ({ messages }) => {
      if (messages.some((m) => m.payload === 'poison')) {
        tries.push(messages.map((m) => m.payload).join());
        throw new Error('cannot digest poison');
      }
      processed.push(...messages.map((m) => m.payload));
    },
  });
  t.after(() => consumer.stop());
  const registry = new (require('prom-client').Registry)();
  kafka.collectMetrics(consumer, { registry, name: 'dead-letters' });
  await consumer.start();
  await produce(broker, topic, 0, ['a', 'b']);
  await waitFor(() => `a and b (${processed})`, () => processed.length === 2);
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  t.after(() => producer.stop());
  await producer.deliver(topic, 0, [{ payload: 'poison', key: 'k', headers: { trace: 't-1' } }]);
  await waitFor(() => `three tries of the poison batch (${tries.length})`, () => tries.length >= 3);
  await produce(broker, topic, 0, ['c', 'd']);
  await waitFor(() => `c and d after it (${processed})`, () => processed.length === 4);
  const deadLettered = (await registry.getSingleMetric('kafka_native_dead_lettered_messages_total').get()).values;
  assert.deepEqual(deadLettered.map((v) => v.value), [1], 'counted in the metrics');
  await consumer.stop();

  assert.deepEqual(processed, ['a', 'b', 'c', 'd'], 'in order, the poison batch left out');
  assert.deepEqual(tries, ['poison', 'poison', 'poison'], 'three tries, no fourth');
  assert.equal(readOffset(offset_directory, topic, 0)?.trim(), '4', 'recorded past the poison batch (the offset file holds the last offset processed)');
  const [dead] = await readAll(deadLetters, 1);
  assert.equal(dead.payload, 'poison');
  assert.equal(dead.key, 'k');
  const headers = Object.fromEntries(Object.entries(dead.headers).map(([name, value]) => [name, String(value)]));
  assert.deepEqual(headers, {
    trace: 't-1', // its own headers kept
    'kafka-native-source-topic': topic,
    'kafka-native-source-partition': '0',
    'kafka-native-source-offset': '2',
    'kafka-native-delivery-count': '3',
    'kafka-native-last-error': 'cannot digest poison',
  });
  assert.ok(logger.lines.some((l) => l.level === 'warn' && /failed 3 times \(max_deliveries\): written to dead_letter_topic/.test(l.line)), 'the give-up is logged');
});

// A dead letter keeps the bytes read, whatever payload_encoding: with the default 'utf8', bytes
// that are not UTF-8 (ff00fe80, a key e282) were written as their decoded text, each bad byte
// three bytes of U+FFFD (efbfbd00efbfbdefbfbd, efbfbd). The callback still reads text.
test('a dead letter keeps the key and payload bytes as read, not their utf8 text', async (t) => {
  const { topic, deadLetters } = await topics('binary');
  const payload = Buffer.from('ff00fe80', 'hex');
  const key = Buffer.from('e282', 'hex');
  const seen = [];
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: null, logger: quietLogger(), max_deliveries: 1, dead_letter_topic: deadLetters,
    receive_callback: async ({ messages }) => {
      seen.push(...messages);
      throw new Error('not today');
    },
  });
  t.after(() => consumer.stop());
  await consumer.start();
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  t.after(() => producer.stop());
  await producer.deliver(topic, 0, [{ payload, key }]);
  const dead = [];
  const reader = new kafka.Consumer({
    broker, topic: deadLetters, offset_directory: null, logger: quietLogger(), payload_encoding: 'buffer',
    receive_callback: ({ messages }) => { dead.push(...messages); },
  });
  t.after(() => reader.stop());
  await reader.start();
  await waitFor(() => 'the dead letter', () => dead.length >= 1);
  assert.equal(dead[0].payload.toString('hex'), 'ff00fe80');
  assert.equal(dead[0].key.toString('hex'), 'e282');
  assert.equal(typeof seen[0].payload, 'string', 'receive_callback reads text (payload_encoding utf8)');
  assert.equal(seen[0].payload, payload.toString('utf8'));
  assert.equal(seen[0].key, key.toString('utf8'));
});

test('stop() while a failed batch waits to be tried again leaves it unrecorded: the next start reads it', async () => {
  const { topic } = await topics('stop');
  await produce(broker, topic, 0, ['x', 'y']);
  const offset_directory = tempDir();
  let tries = 0;
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory, logger: quietLogger(), max_deliveries: 100,
    receive_callback: async () => {
      tries++;
      throw new Error('always fails');
    },
  });
  await consumer.start();
  await waitFor(() => `two tries (${tries})`, () => tries >= 2);
  await consumer.stop(); // the retries back off up to 2 s each; the stop does not wait them out
  assert.ok(tries < 100, `stopped before max_deliveries ran out (${tries} tries)`);
  assert.equal(readOffset(offset_directory, topic, 0), undefined, 'nothing recorded');
  const again = [];
  const next = new kafka.Consumer({
    broker, topic, offset_directory, logger: quietLogger(),
    receive_callback: ({ messages }) => { again.push(...messages.map((m) => m.payload)); },
  });
  await next.start();
  await waitFor(() => `x and y again (${again})`, () => again.length >= 2);
  await next.stop();
  assert.deepEqual(again, ['x', 'y']);
});

test('without dead_letter_topic, a batch that fails max_deliveries times is recorded and the consumer moves on; notProcessed() is not retried', async () => {
  const { topic } = await topics('no-topic');
  await produce(broker, topic, 0, ['bad']);
  const offset_directory = tempDir();
  let tries = 0;
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory, logger: quietLogger(), max_deliveries: 2,
    receive_callback: async () => {
      tries++;
      throw new Error('fails');
    },
  });
  await consumer.start();
  await waitFor(() => `recorded after two tries (${tries})`, () => readOffset(offset_directory, topic, 0)?.trim() === '0');
  await consumer.stop();
  assert.equal(tries, 2);

  const { topic: other } = await topics('not-processed');
  await produce(broker, other, 0, ['later']);
  let calls = 0;
  const refusing = new kafka.Consumer({
    broker, topic: other, offset_directory, logger: quietLogger(), max_deliveries: 5,
    receive_callback: async () => {
      calls++;
      throw kafka.notProcessed('not now');
    },
  });
  await refusing.start();
  await waitFor(() => 'the first call', () => calls > 0);
  await refusing.stop();
  assert.equal(calls, 1, 'notProcessed() leaves the batch for the next start, untried');
  assert.equal(readOffset(offset_directory, other, 0), undefined);
});

test('max_deliveries and dead_letter_topic are checked, naming the option', () => {
  const base = { broker, topic: 't', offset_directory: null, logger: quietLogger() };
  const receive_callback = () => {};
  assert.throws(() => new kafka.Consumer({ ...base, max_deliveries: 2 }), { name: 'TypeError', message: /option max_deliveries needs receive_callback/ });
  assert.throws(() => new kafka.Consumer({ ...base, receive_callback, max_deliveries: 0 }), /option max_deliveries must be an integer of 1 or more, got 0/);
  assert.throws(() => new kafka.Consumer({ ...base, receive_callback, max_deliveries: 'x' }), /option max_deliveries/);
  assert.throws(() => new kafka.Consumer({ ...base, receive_callback, dead_letter_topic: 'dead' }), /option dead_letter_topic needs max_deliveries/);
  assert.throws(() => new kafka.Consumer({ ...base, receive_callback, max_deliveries: 2, dead_letter_topic: 7 }), /option dead_letter_topic/);
});
