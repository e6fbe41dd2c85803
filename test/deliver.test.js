'use strict';
// producer.deliver(): a Promise of where each message landed, checked against what a consumer
// reads back; failures reject, and never resolve as delivered.
const fs = require('node:fs');
const test = require('node:test');
const assert = require('node:assert/strict');
const { kafka, testCluster, waitFor, quietLogger, silentBroker } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;

test('deliver() resolves with each message\'s partition and offset, in payload order', async () => {
  const topic = 'delivered-where';
  await cluster.createTopic(topic, 3);
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  const keyed = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, payload: `keyed ${i}` }));
  // Plain payloads cross packed; more than the packing buffer's megabyte, one by one.
  const plain = Array.from({ length: 5 }, (_, i) => `plain ${i}`);
  const large = ['a', 'b', 'c'].map((c) => c.repeat(600 * 1024));
  const [first, second, third, fourth, fifth] = await Promise.all([
    producer.deliver(topic, -1, keyed),
    producer.deliver(topic, 1, ['one', Buffer.from('two')]),
    producer.deliver(topic, 2, [{ payload: 'with header', headers: { h: 'v', tag: ['x', 'y'] } }]),
    producer.deliver(topic, -1, plain),
    producer.deliver(topic, 0, large),
  ]);
  await producer.stop();
  assert.equal(fourth.length, 5);
  assert.deepEqual(fifth.map((d) => d.partition), [0, 0, 0]);
  assert.equal(first.length, 30);
  assert.deepEqual(second.map((d) => d.partition), [1, 1]);
  assert.equal(second[1].offset, second[0].offset + 1);
  assert.equal(third[0].partition, 2);

  const expected = new Map();
  keyed.forEach((r, i) => expected.set(`${first[i].partition}/${first[i].offset}`, r.payload));
  expected.set(`1/${second[0].offset}`, 'one');
  expected.set(`1/${second[1].offset}`, 'two');
  expected.set(`2/${third[0].offset}`, 'with header');
  plain.forEach((p, i) => expected.set(`${fourth[i].partition}/${fourth[i].offset}`, p));
  large.forEach((p, i) => expected.set(`0/${fifth[i].offset}`, p));
  const read = new Map();
  let headers;
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: null, logger: quietLogger(),
    receive_callback: (d) => {
      for (const m of d.messages) {
        read.set(`${m.partition}/${m.offset}`, m.payload);
        if (m.headers) headers = m.headers;
      }
    },
  });
  await consumer.start();
  await waitFor('41 messages', () => read.size === 41);
  await consumer.stop();
  assert.deepEqual(read, expected);
  // A header whose value is an array is written once per value, and read back as that array.
  assert.deepEqual({ h: String(headers.h), tag: headers.tag.map(String) }, { h: 'v', tag: ['x', 'y'] });
});

test('deliver() rejects when the partition is known not to exist, and nothing is left to fail at stop()', async () => {
  const topic = 'delivered-nowhere';
  await cluster.createTopic(topic, 1);
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  await producer.partition_count(topic);
  await assert.rejects(producer.deliver(topic, 7, ['nowhere']), /UNKNOWN_PARTITION|Unknown partition/i);
  await producer.stop();
});

test('deliver() rejects with the broker\'s answer when a message fails after it was enqueued; stop() reports it too', async () => {
  // A topic that does not exist yet, so its metadata cannot be known when the message is sent
  // (a topic made beforehand could already be in the producer's metadata: then the send fails
  // at once, nothing is enqueued, and stop() has nothing to report). The producer's own lookup
  // creates it, with the brokers' default partition count (4 here). Apache Kafka takes tens of
  // milliseconds to create it; the MockCluster creates it within its answer, which could come
  // back between the lookup and the send (on Node 24, in 15 runs of 40 of this test alone), so
  // there a MockCluster of the test's own answers 300 ms late.
  const own = process.env.KAFKA_TEST_BROKER === 'kafka' ? null : new kafka.MockCluster(1);
  own?.setBrokerRtt(1, 300);
  const topic = `delivered-not-${process.pid}-${Date.now()}`;
  const producer = new kafka.Producer({ broker: own ? own.bootstrapServers : broker, logger: quietLogger() });
  // Before the topic's metadata is known librdkafka enqueues the message; it fails once it is.
  await assert.rejects(producer.deliver(topic, 7, ['nowhere']), /UNKNOWN_PARTITION|Unknown partition/i);
  await assert.rejects(producer.stop(), /not delivered/);
});

test('deliver() rejects with QUEUE_FULL when the local queue refuses some, after the rest are delivered', async () => {
  const topic = 'delivered-full';
  await cluster.createTopic(topic, 1);
  const producer = new kafka.Producer({ broker, queue_buffering_max_messages: 2, logger: quietLogger() });
  await producer.partition_count(topic);
  await assert.rejects(producer.deliver(topic, 0, ['a', 'b', 'c', 'd']), (err) => {
    assert.equal(err.code, 'QUEUE_FULL');
    assert.match(err.message, /enqueued 2 of 4 messages to delivered-full.*queue_buffering_max_messages/);
    return true;
  });
  await producer.stop();
});

test('deliver() settles for messages stop() flushes', async () => {
  const topic = 'delivered-at-stop';
  await cluster.createTopic(topic, 1);
  const producer = new kafka.Producer({ broker, queue_buffering_max_ms: 1000, logger: quietLogger() });
  const landed = producer.deliver(topic, 0, ['x', 'y']);
  await producer.stop();
  assert.deepEqual((await landed).map((d) => d.partition), [0, 0]);
});

test('deliver() argument mistakes reject, naming the argument', async () => {
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  await assert.rejects(producer.deliver(42, 0, ['x']), /deliver\(\) argument topic must be a string/);
  await assert.rejects(producer.deliver('t', 1.5, ['x']), /deliver\(\) argument partition must be an integer/);
  await assert.rejects(producer.deliver('t', 0, 'x'), /deliver\(\) argument payloads must be an array/);
  await assert.rejects(producer.deliver('t', 0, ['x', 7]), /deliver\(\) argument payloads\[1\] must be a string/);
  await assert.rejects(producer.deliver('t', 0, [{ value: 'x' }]), /deliver\(\) argument payloads\[0\].*KafkaJS calls it value/);
  await assert.rejects(producer.deliver('t', 0, [{ payload: 5 }]), /deliver\(\) argument payloads\[0\]\.payload must be/);
  await producer.stop();
});

// The old package's 250 ms linger made every awaited deliver() take 250 ms. What librdkafka is
// given is read from its own configuration dump (debug 'conf'), so no clock is involved.
test('at its defaults a producer hands librdkafka linger 0: an awaited deliver() waits for no batch', async () => {
  const lingerOf = async (options) => {
    const lines = [];
    const logger = { ...quietLogger(), debug: (line) => lines.push(line) };
    const producer = new kafka.Producer({ broker, ...options, driver_options: { debug: 'conf' }, logger });
    await producer.stop();
    return lines.map((l) => /queue\.buffering\.max\.ms = (\d+)/.exec(l)?.[1]).find((v) => v !== undefined);
  };
  assert.equal(await lingerOf({}), '0');
  assert.equal(await lingerOf({ queue_buffering_max_ms: 250 }), '250', 'the option still sets it');
});

// Threads of this process with the name `name`.
const threadsNamed = (name) => fs.readdirSync('/proc/self/task').filter((t) => {
  try {
    return fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === name;
  } catch {
    return false; // ended while listed
  }
}).length;

// A producer's events are served on the JS thread, woken by librdkafka when they arrive: no
// thread of the producer's own (kn-events) takes each delivery report and hands it on, one thread
// hand-off on every awaited send. Threads are counted by name, so no clock is involved.
test('a producer serves its events on the JS thread: no kn-events thread, and deliver(), delivery reports and stats all arrive', async () => {
  const topic = 'delivered-on-js';
  await cluster.createTopic(topic, 1);
  const before = threadsNamed('kn-events');
  const reports = [];
  const stats = [];
  const producer = new kafka.Producer({
    broker, logger: quietLogger(), statistics_interval_ms: 100,
    delivery_report_callback: (r) => reports.push(r), stats_callback: (s) => stats.push(s),
  });
  const [landed] = await producer.deliver(topic, 0, ['settled on the JS thread']);
  // Counted once a delivery is reported: a thread names itself once it runs.
  assert.equal(threadsNamed('kn-events'), before, 'a producer starts no kn-events thread');
  assert.deepEqual(producer.send(topic, 0, ['reported']).enqueued, 1);
  await waitFor('two delivered in the reports, and stats', () => reports.reduce((n, r) => n + r.delivered, 0) === 2 && stats.length > 0);
  await producer.stop();
  assert.equal(landed.partition, 0);
  assert.equal(stats[0].rdkafka_stats.type, 'producer');
});

test('a topic property given in driver_options takes effect: message.timeout.ms fails a message no broker answers', async (t) => {
  const { broker: silent } = await silentBroker(t);
  const producer = new kafka.Producer({ broker: silent, logger: quietLogger(), driver_options: { 'message.timeout.ms': 500 } });
  t.after(() => producer.stop({ timeout: 0 }).catch(() => {}));
  // librdkafka's default is 300 s; given here and then dropped, the Promise would hang.
  await assert.rejects(producer.deliver('t', 0, ['lost']), (err) => err.code === '_MSG_TIMED_OUT');
});

// Node runs up to 1,000 queued threadsafe-function calls back to back before the event loop
// moves on, each with its microtasks. When each settled deliver()'s continuation did heavy work
// and sent again (the KafkaJS layer's send() of 10,000 messages), the wake-ups queued meanwhile
// were served in the same turn, and so on: timers did not run for the whole of a 1M-message
// run. Wake-ups are served once per turn at once and the rest from setImmediate: with four
// deliver()s in flight, a timer tick sees at most two serves' worth of continuations.
test('deliver()s whose continuations are heavy let timers run between them', async () => {
  const topic = `deliver-turns-${process.pid}`;
  await cluster.createTopic(topic, 1);
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  await producer.deliver(topic, 0, ['warm']);
  const WINDOW = 4;
  const TOTAL = 80;
  const WORK_MS = 6; // each continuation's work: more than half the settling budget (10 ms)
  const LEARNED = 2 * WINDOW; // continuations before the producer has measured what they cost
  let done = 0;
  let sinceTick = 0;
  let most = 0;
  const timer = setInterval(() => { most = Math.max(most, sinceTick); sinceTick = 0; }, 1);
  let sent = 0;
  const next = async () => {
    while (sent < TOTAL) {
      sent++;
      await producer.deliver(topic, 0, [`m${sent}`]);
      if (++done > LEARNED) sinceTick++;
      const until = performance.now() + WORK_MS;
      while (performance.now() < until);
    }
  };
  try {
    await Promise.all(Array.from({ length: WINDOW }, next));
  } finally {
    clearInterval(timer);
    await producer.stop();
  }
  most = Math.max(most, sinceTick);
  // One settled per phase of the loop that settles (its poll, its setImmediate), as the cost
  // allows; a serve used to settle all it held, every one of the window together.
  assert.ok(most <= 2, `${most} continuations of ${WORK_MS} ms ran between two timer ticks (at most 2)`);
});
