'use strict';
// Port of kafka-native's specs/api.js, plus the rest of the API's promises.
const test = require('node:test');
const assert = require('node:assert/strict');
const { kafka, testCluster, tempDir, readOffset, produce, waitFor, quietLogger } = require('./helpers');

const cluster = testCluster(); // MockCluster, or Apache Kafka with KAFKA_TEST_BROKER=kafka
const broker = cluster.bootstrapServers;

test('MockCluster: broker count, bootstrap servers, topics, broker down and up', () => {
  const c = new kafka.MockCluster(3);
  assert.equal(c.brokerCount, 3);
  assert.equal(c.bootstrapServers.split(',').length, 3);
  c.createTopic('mock-topic', 6, 2);
  c.brokerDown(2);
  c.brokerUp(2);
  assert.throws(() => c.brokerDown(9), /broker_id/);
  assert.throws(() => c.createTopic('bad/name', 1), /topic/);
});

test('partition_count of an auto-created topic and a created one', async () => {
  await cluster.createTopic('seven', 7, 1);
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  assert.equal(await producer.partition_count('seven'), 7);
  assert.equal(await producer.partition_count('auto-created'), 4);
  await producer.stop();
});

test('should record offsets processed in offset directory', async () => {
  const topic = 'api-offsets';
  await cluster.createTopic(topic, 4, 1);
  const dir = tempDir();
  for (let p = 0; p < 4; p++) await produce(broker, topic, p, [`first-${p}`]);

  const run = async (expectedOffset) => {
    const seen = [];
    let stats;
    const consumer = new kafka.Consumer({
      broker, topic, offset_directory: dir, logger: quietLogger(), statistics_interval_ms: 100,
      stats_callback: (s) => { stats = s; },
      receive_callback: (data) => { seen.push(...data.messages); return Promise.resolve(); },
    });
    assert.deepEqual(await consumer.start(), [0, 1, 2, 3]);
    await waitFor('4 messages', () => seen.length >= 4);
    // Nothing more to come: a report after them counts nothing waiting, at the brokers or here.
    stats = undefined;
    await waitFor('a report of nothing waiting', () => stats && stats.waiting_kafka === 0 && stats.waiting_local === 0);
    await consumer.stop();
    assert.equal(seen.length, 4);
    for (const m of seen) {
      assert.equal(m.topic, topic);
      assert.equal(m.offset, expectedOffset);
      assert.equal(typeof m.payload, 'string');
      assert.equal(m.key, undefined);
    }
    for (let p = 0; p < 4; p++) assert.equal(readOffset(dir, topic, p), `${expectedOffset}\n`);
  };
  await run(0);
  for (let p = 0; p < 4; p++) await produce(broker, topic, p, [`second-${p}`]);
  await run(1);
});

test('existing kafka-native offset files are honoured', async () => {
  const topic = 'api-legacy';
  await cluster.createTopic(topic, 1, 1);
  await produce(broker, topic, 0, Array.from({ length: 10 }, (_, i) => `m${i}`));
  const dir = tempDir();
  require('node:fs').writeFileSync(`${dir}/${topic}-0.offset`, '4\n');
  const offsets = [];
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: dir, logger: quietLogger(),
    receive_callback: (d) => { offsets.push(...d.messages.map((m) => m.offset)); return Promise.resolve(); },
  });
  await consumer.start();
  await waitFor('5 messages', () => offsets.length === 5);
  await consumer.stop();
  assert.deepEqual(offsets, [5, 6, 7, 8, 9]);
});

test('send takes strings and Buffers; payload_encoding "buffer" gives Buffers back byte for byte', async () => {
  const topic = 'api-binary';
  await cluster.createTopic(topic, 1, 1);
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  const result = producer.send(topic, 0, ['héllo ☃', binary]);
  assert.equal(result.enqueued, 2);
  assert.equal(typeof result.send_queue_length, 'number');
  await producer.stop();
  const got = [];
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: tempDir(), payload_encoding: 'buffer', logger: quietLogger(),
    receive_callback: (d) => { got.push(...d.messages); return Promise.resolve(); },
  });
  await consumer.start();
  await waitFor('2 messages', () => got.length === 2);
  await consumer.stop();
  assert.ok(Buffer.isBuffer(got[0].payload));
  assert.equal(got[0].payload.toString('utf8'), 'héllo ☃');
  assert.deepEqual(got[1].payload, binary);
});

test('delivery reports and stats reach their callbacks; logs reach the logger', async () => {
  const reports = [];
  const stats = [];
  const logger = quietLogger();
  const producer = new kafka.Producer({
    broker, logger, statistics_interval_ms: 100,
    delivery_report_callback: (r) => reports.push(r),
    stats_callback: (s) => stats.push(s),
  });
  producer.send('api-reports', 0, ['a', 'b', 'c']);
  await waitFor('reports and stats', () => reports.reduce((n, r) => n + r.delivered, 0) === 3 && stats.length >= 2);
  await producer.stop();
  assert.ok(reports.every((r) => r.errors === 0 && Array.isArray(r.rdkafka_errinfo)));
  assert.equal(stats.at(-1).rdkafka_stats.type, 'producer');
  assert.equal(typeof stats.at(-1).send_queue_length, 'number');

  const badLogger = quietLogger();
  const lonely = new kafka.Producer({ broker: '127.0.0.1:1', logger: badLogger });
  await waitFor('an error logged', () => badLogger.lines.some((l) => l.level === 'error'));
  await lonely.stop();
});

// Node hands a native client's log lines to JS at most 1,000 per turn of the event loop, and
// stop() once settled with the rest still queued: lines arrived after it, or never, had the
// process ended. Here the JS thread is held while a client logs thousands of lines (debug
// 'all', metadata every 10 ms), so they are all queued when stop() is ready to settle. The hold
// only piles the lines up; the count after stop() is read a few event-loop turns later, when
// lines left behind would have arrived.
test('every line a client logs reaches the logger before its stop() settles', async () => {
  const topic = 'api-log-order';
  await cluster.createTopic(topic, 1, 1);
  const holdJsThread = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const chatty = (count, driverOptions) => ({
    broker,
    driver_options: { debug: 'all', 'topic.metadata.refresh.interval.ms': 10, ...driverOptions },
    logger: Object.fromEntries(['error', 'warn', 'info', 'debug'].map((m) => [m, () => { count.lines++; }])),
  });
  const linesAfterStop = async (client, count) => {
    const stopped = client.stop();
    holdJsThread(500);
    await stopped;
    const atStop = count.lines;
    for (let turn = 0; turn < 5; turn++) await new Promise(setImmediate);
    assert.equal(count.lines - atStop, 0, `lines that arrived after stop() settled (of ${count.lines})`);
    assert.ok(atStop > 1000, `lines enough to outrun one turn of the event loop (${atStop})`);
  };

  const produced = { lines: 0 };
  const producer = new kafka.Producer(chatty(produced)); // its events are served in stop(), here
  for (let i = 0; i < 300; i++) {
    producer.send(topic, 0, ['x']);
    holdJsThread(3);
  }
  await linesAfterStop(producer, produced);

  const consumed = { lines: 0 };
  const consumer = new kafka.Consumer({ ...chatty(consumed, { 'fetch.wait.max.ms': 5 }), topic, offset_directory: null, receive_callback: async () => {} });
  await consumer.start();
  holdJsThread(1000); // its events thread hands lines over meanwhile
  await linesAfterStop(consumer, consumed);
});

// An idempotent producer's sequence out of step with the broker's (injected on a MockCluster of
// the test's own) is fatal: fatalError() says so, at once and without a request.
test('fatalError(): null until the producer raises one, then the Error that did it', { skip: process.env.KAFKA_TEST_BROKER === 'kafka' && 'fault injection, on a MockCluster of its own' }, async () => {
  const c = new kafka.MockCluster(1);
  c.createTopic('fatal', 1, 1);
  const producer = new kafka.Producer({ broker: c.bootstrapServers, logger: quietLogger() });
  await producer.deliver('fatal', 0, ['first']);
  assert.equal(producer.fatalError(), null);
  c.pushRequestErrors(0, ['OUT_OF_ORDER_SEQUENCE_NUMBER']);
  await assert.rejects(producer.deliver('fatal', 0, ['refused']), { code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
  const fatal = producer.fatalError();
  assert.ok(fatal instanceof Error);
  assert.equal(fatal.code, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
  assert.equal(fatal.fatal, true);
  assert.match(fatal.message, /sequence desynchronization/);
  assert.throws(() => producer.send('fatal', 0, ['after']), { code: '_FATAL', fatal: true });
  await producer.stop().catch(() => {});
});

// librdkafka's mock keeps 5 MiB of batches per partition and drops the oldest past it:
// setPartitionRetentionBytes() makes it keep more, for topics made before and after.
test('setPartitionRetentionBytes(): a MockCluster partition keeps what it is told, 5 MiB by default', { skip: process.env.KAFKA_TEST_BROKER === 'kafka' && 'a MockCluster of its own' }, async () => {
  const c = new kafka.MockCluster(1);
  const admin = new kafka.Admin({ broker: c.bootstrapServers, logger: quietLogger() });
  const producer = new kafka.Producer({ broker: c.bootstrapServers, logger: quietLogger() });
  const kb = Array.from({ length: 1000 }, () => 'x'.repeat(1000));
  const send8MB = async (topic) => {
    for (let i = 0; i < 8; i++) await producer.deliver(topic, 0, kb); // a MB per batch: the mock drops whole ones
    return admin.watermarks(topic, 0);
  };
  c.createTopic('default', 1, 1);
  c.createTopic('made-before', 1, 1);
  const dropped = await send8MB('default');
  assert.equal(dropped.high, 8000);
  assert.ok(dropped.low >= 2000 && dropped.low <= 4000, `the oldest ~3 MB should be gone: ${JSON.stringify(dropped)}`);
  c.setPartitionRetentionBytes(16 * 1024 * 1024);
  assert.deepEqual(await send8MB('made-before'), { low: 0, high: 8000 });
  c.createTopic('made-after', 1, 1);
  assert.deepEqual(await send8MB('made-after'), { low: 0, high: 8000 });
  await producer.stop();
  await admin.stop();
});

test('stop() rejects with the undelivered count when the queue cannot drain', async () => {
  const c = new kafka.MockCluster(1);
  c.createTopic('stuck', 1, 1);
  const reports = [];
  const producer = new kafka.Producer({ broker: c.bootstrapServers, logger: quietLogger(), delivery_report_callback: (r) => reports.push(r) });
  await producer.partition_count('stuck');
  c.brokerDown(1);
  assert.equal(producer.send('stuck', 0, new Array(25).fill('x')).enqueued, 25);
  await assert.rejects(producer.stop({ timeout: 1000 }), (err) => err.code === 'STOP_TIMED_OUT' && /25 message\(s\) still undelivered/.test(err.message));
  await waitFor('failure reports', () => reports.reduce((n, r) => n + r.errors, 0) === 25);
});

test('consumer stats: nothing waiting after everything is consumed', async () => {
  const topic = 'api-stats';
  await cluster.createTopic(topic, 2, 1);
  await produce(broker, topic, 0, Array.from({ length: 30 }, String));
  await produce(broker, topic, 1, Array.from({ length: 20 }, String));
  const stats = [];
  let n = 0;
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: tempDir(), statistics_interval_ms: 100, logger: quietLogger(),
    stats_callback: (s) => stats.push(s),
    receive_callback: (d) => { n += d.messages.length; return Promise.resolve(); },
  });
  await consumer.start();
  await waitFor('50 messages', () => n === 50);
  const seen = stats.length;
  await waitFor('2 more stats', () => stats.length >= seen + 2);
  await consumer.stop();
  const last = stats.at(-1);
  assert.equal(last.waiting_kafka, 0);
  assert.equal(last.waiting_local, 0);
  // From the watermarks in fetch responses.
  assert.ok(last.kafka_log_size >= 50, `kafka_log_size ${last.kafka_log_size}`);
  assert.equal(last.rdkafka_stats.type, 'consumer');
});

// Sends `payloads` to a fresh one-partition topic and reads them back in the given encoding.
async function roundTrip(topic, payloads, payload_encoding) {
  await cluster.createTopic(topic, 1, 1);
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  assert.equal(producer.send(topic, 0, payloads).enqueued, payloads.length);
  await producer.stop();
  const got = [];
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: tempDir(), payload_encoding, logger: quietLogger(),
    receive_callback: (d) => { got.push(...d.messages); return Promise.resolve(); },
  });
  await consumer.start();
  await waitFor(`${payloads.length} messages`, () => got.length >= payloads.length);
  await consumer.stop();
  return got;
}

const widths = ['plain ascii', 'héllo ☃', '😀 beyond the BMP 𝄞', '', 'ü'.repeat(3000)];
// Over 1 MiB in one batch, so a batch spans several chunks.
const large = Array.from({ length: 400 }, (_, i) => `${i}:${widths[i % widths.length]}${'☃x'.repeat(1500)}`);

test('strings of every UTF-8 width round-trip exactly, in one batch of several chunks', async () => {
  const payloads = [...widths, ...large];
  const got = await roundTrip('api-widths', payloads, 'utf8');
  assert.deepEqual(got.map((m) => m.payload), payloads);
  assert.deepEqual(got.map((m) => m.offset), payloads.map((_, i) => i));
  const bytes = await roundTrip('api-widths-buffer', payloads, 'buffer');
  assert.deepEqual(bytes.map((m) => m.payload.toString('utf8')), payloads);
});

test('lone surrogates at payload edges stay within their own payload', async () => {
  // Joined, these two would form one character; each must arrive as its own payload.
  const got = await roundTrip('api-surrogates', ['a\uD83D', '\uDE00b', 'c'], 'utf8');
  assert.deepEqual(got.map((m) => m.payload), ['a\uFFFD', '\uFFFDb', 'c']);
});

// Text payloads and keys that are ASCII reach JS straight from the memory librdkafka read them
// into, a stretch of consecutive messages at a time; the rest are copied. Every shape, mixed in
// the same batches, must come back exact, in every partition, compressed or not.
test('payloads and keys come back exact whichever way each reaches JS: ASCII and not, tombstones, headers, large, compressed', async () => {
  const shapes = [
    (i) => `a-${i}`,
    (i) => ({ payload: `keyed-${i}`, key: `k${i}` }),
    (i) => ({ payload: `é-${i}`, key: `k${i}` }),
    (i) => ({ payload: `p-${i}`, key: `ключ-${i}` }),
    (i) => ({ payload: null, key: `tomb-${i}` }),
    (i) => ({ payload: `h-${i}`, headers: { long: 'x'.repeat(300 + i % 7), short: 's' } }),
    (i) => `${i}-`.padEnd(1000, 'k'),
    (i) => Buffer.from([0x61, 0xff, 0x62, 48 + (i % 10)]),
    () => '',
    (i) => (i % 90 === 9 ? `${i}:`.padEnd(70 * 1024, 'L') : `s${i}`),
  ];
  const records = Array.from({ length: 1500 }, (_, i) => shapes[i % shapes.length](i));
  const text = (v) => (v === null || v === undefined ? v : Buffer.isBuffer(v) ? v.toString('utf8') : v);
  const expected = records.map((r) => (typeof r === 'object' && !Buffer.isBuffer(r)
    ? { payload: text(r.payload), key: r.key }
    : { payload: text(r), key: undefined }));
  for (const codec of ['none', 'lz4']) {
    const topic = `api-stretches-${codec}`;
    await cluster.createTopic(topic, 3, 1);
    const producer = new kafka.Producer({ broker, compression_codec: codec, logger: quietLogger() });
    for (let partition = 0; partition < 3; partition++) assert.equal(producer.send(topic, partition, records).enqueued, records.length);
    await producer.stop();
    const got = [[], [], []];
    let batches = 0;
    const consumer = new kafka.Consumer({
      broker, topic, offset_directory: tempDir(), logger: quietLogger(),
      receive_callback: ({ messages }) => {
        batches++;
        for (const m of messages) got[m.partition][m.offset] = { payload: m.payload, key: m.key, headers: m.headers };
        return Promise.resolve();
      },
    });
    await consumer.start();
    await waitFor(`${codec}: every message`, () => got.every((p) => p.filter(Boolean).length === records.length));
    await consumer.stop();
    assert.ok(batches < 3 * records.length / 10, `${codec}: several messages to a batch (${batches} batches)`);
    for (let partition = 0; partition < 3; partition++) {
      assert.deepEqual(got[partition].map(({ payload, key }) => ({ payload, key })), expected, `${codec}, partition ${partition}`);
      assert.deepEqual(got[partition][5].headers, { long: Buffer.from('x'.repeat(305)), short: Buffer.from('s') });
    }
  }
});

// What a Consumer reads from the start of a one-partition topic, as Buffers, until it has `count`.
async function readBack(topic, count) {
  const got = [];
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: tempDir(), payload_encoding: 'buffer', logger: quietLogger(),
    receive_callback: (d) => { got.push(...d.messages.map((m) => Buffer.from(m.payload ?? []))); return Promise.resolve(); },
  });
  await consumer.start();
  try {
    await waitFor(`${count} messages from ${topic}`, () => got.length >= count);
  } finally {
    await consumer.stop();
  }
  return got;
}

// send() packs strings and Buffers into a 1 MiB scratch Buffer and sends it whenever the next
// payload would not fit; short ASCII strings are joined and encoded at once.
test('send() packs batches of every shape byte for byte: across its scratch, larger than it, joined ASCII and not', async () => {
  const mib = 1024 * 1024;
  const ascii = Array.from({ length: 300 }, (_, i) => `ascii-${i}-`.padEnd(100, 'a'));
  const batches = [
    ascii, // joined and encoded at once
    [...ascii.slice(0, 100), 'é', '', ...ascii.slice(100)], // the same with one character of two bytes
    ['\uD83D', '\uDE00', 'a\uD83D'], // lone surrogates: each its own replacement character
    // 3,000 bytes from 1,000 units, 1,100 of them: about 3 scratches' worth, with Buffers between
    Array.from({ length: 1100 }, (_, i) => (i % 10 === 9 ? Buffer.alloc(1000, i) : `${i}`.padEnd(1000, '☃'))),
    // exactly the rest of the scratch, then nothing, then more
    ['x'.repeat(mib - 10), '123456789', '0', '', 'after'],
    // larger than the scratch: a string (1.2 MB from 400,000 units), a Buffer and a Uint8Array
    ['before', '☃'.repeat(400000), Buffer.alloc(mib + 1, 9), new Uint8Array(mib + 2).fill(8), 'after'],
    [], // nothing at all
    ['small', Buffer.from('after large')],
  ];
  // One producer for every batch, since each send() reuses the scratch the last one filled. A
  // topic per batch: the mock keeps only the last few megabytes of a partition.
  const producer = new kafka.Producer({ broker, driver_options: { 'message.max.bytes': 4000000 }, logger: quietLogger() });
  for (const [i, batch] of batches.entries()) {
    // Room for a payload larger than the scratch (the mock takes any size).
    await cluster.createTopic(`api-packing-${i}`, 1, 1, { 'max.message.bytes': '4000000' });
    assert.equal(producer.send(`api-packing-${i}`, 0, batch).enqueued, batch.length);
  }
  await producer.stop();
  for (const [i, batch] of batches.entries()) {
    if (batch.length === 0) continue;
    const got = await readBack(`api-packing-${i}`, batch.length);
    assert.equal(got.length, batch.length, `batch ${i}`);
    for (const [j, payload] of batch.entries()) assert.ok(got[j].equals(Buffer.from(payload)), `batch ${i}, payload ${j}`);
  }
});

// A full queue refuses the rest of the chunk being sent. The queue here takes far fewer than
// the first chunk, so the count is exact whatever the broker delivers meanwhile.
test('send() of more than a scratch into a small queue enqueues the first ones only, in order, and says how many', async () => {
  const topic = 'api-packing-full';
  await cluster.createTopic(topic, 1, 1);
  const producer = new kafka.Producer({ broker, queue_buffering_max_messages: 100, logger: quietLogger() });
  const batch = Array.from({ length: 2000 }, (_, i) => `${i}`.padEnd(1000, '☃')); // 6 MB: 6 scratches
  assert.equal(producer.send(topic, 0, batch).enqueued, 100);
  await producer.stop();
  const got = await readBack(topic, 100);
  assert.deepEqual(got.map((b) => b.toString()), batch.slice(0, 100));
});

test('queue_buffering_max_kbytes bounds the bytes queued, and never below one message.max.bytes', async () => {
  const c = new kafka.MockCluster(1);
  c.createTopic('bounded', 1, 1);
  const producer = new kafka.Producer({ broker: c.bootstrapServers, queue_buffering_max_kbytes: 1, logger: quietLogger() });
  await producer.partition_count('bounded');
  c.brokerDown(1); // nothing drains: the counts are exact
  // 1 KiB is raised to message.max.bytes (1,000,000 bytes): five 170,000-byte payloads fit, a
  // sixth does not (at the default 32 MiB all six would).
  const batch = Array.from({ length: 6 }, () => Buffer.alloc(170_000, 'x'));
  assert.equal(producer.send('bounded', 0, batch).enqueued, 5);
  assert.equal(kafka.PRODUCER_DEFAULTS.queue_buffering_max_kbytes, 32768);
  await assert.rejects(producer.stop({ timeout: 1000 }), (err) => err.code === 'STOP_TIMED_OUT');
});

test('clients at their defaults, with driver_options and topic_options, log no configuration warning', async () => {
  const topic = 'api-quiet';
  await cluster.createTopic(topic, 1, 1);
  const logger = quietLogger();
  // A topic property given globally and one given as a topic option: both must take effect,
  // and neither may make librdkafka warn (as every consumer once did, over enable.auto.commit).
  const producer = new kafka.Producer({ broker, logger, driver_options: { 'message.timeout.ms': 30000 }, topic_options: { 'request.timeout.ms': 20000 } });
  await producer.deliver(topic, 0, ['one']);
  await producer.stop();
  const got = [];
  for (const options of [{ offset_directory: tempDir() }, { group_id: 'api-quiet-group' }]) {
    const consumer = new kafka.Consumer({
      broker, topic, logger, topic_options: { 'auto.offset.reset': 'earliest' }, ...options,
      receive_callback: (d) => { got.push(...d.messages); return Promise.resolve(); },
    });
    await consumer.start();
    await waitFor('the message', () => got.length >= 1);
    await consumer.stop();
    got.length = 0;
  }
  assert.deepEqual(logger.lines.filter((l) => /CONF|deprecated/i.test(l.line)), []);
});

test('records carry keys, headers and null payloads; mixed arrays of strings and Buffers work', async () => {
  const binary = Buffer.from([0, 255, 1, 254]);
  const payloads = [
    { payload: 'with key', key: 'k1' },
    { payload: binary, key: binary, headers: { trace: 'abc', raw: binary } },
    { payload: null, key: 'tombstone' },
    'plain',
    new Uint8Array([104, 105]),
  ];
  const got = await roundTrip('api-records', payloads, 'utf8');
  assert.deepEqual(got.map((m) => m.payload), ['with key', binary.toString('utf8'), null, 'plain', 'hi']);
  assert.deepEqual(got.map((m) => m.key), ['k1', binary.toString('utf8'), 'tombstone', undefined, undefined]);
  assert.deepEqual(got[1].headers, { trace: Buffer.from('abc'), raw: binary });
  assert.equal(got[0].headers, undefined);
  const raw = await roundTrip('api-records-buffer', payloads, 'buffer');
  assert.deepEqual(raw[1].key, binary);
  assert.deepEqual(raw[1].payload, binary);
  const mixed = await roundTrip('api-mixed', ['str ☃', binary, 'end'], 'buffer');
  assert.deepEqual(mixed.map((m) => m.payload), [Buffer.from('str ☃'), binary, Buffer.from('end')]);
});

test('a record keeps its own timestamp; one without gets the time it was sent', async () => {
  const before = Date.now();
  const got = await roundTrip('api-timestamps', [{ payload: 'dated', timestamp: 1500000000123 }, 'now', { payload: 'headers too', headers: { h: 'v' }, timestamp: 7 }], 'utf8');
  assert.deepEqual(got.map((m) => m.payload), ['dated', 'now', 'headers too']);
  assert.equal(got[0].timestamp, 1500000000123);
  assert.ok(got[1].timestamp >= before - 60000 && got[1].timestamp <= Date.now(), String(got[1].timestamp));
  assert.equal(got[2].timestamp, 7);
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  for (const bad of [-1, 1.5, '1500000000123', 2 ** 60]) {
    assert.throws(() => producer.send('api-timestamps', 0, [{ payload: 'x', timestamp: bad }]), /payloads\[0\]\.timestamp must be milliseconds since the Unix epoch/);
  }
  await producer.stop();
});

test('seek() checks its arguments, naming them, and refuses a partition not read here', async (t) => {
  const topic = 'api-seek';
  await produce(broker, topic, 0, ['a', 'b', 'c']);
  const got = [];
  const consumer = new kafka.Consumer({ broker, topic, offset_directory: null, logger: quietLogger(), receive_callback: async (d) => { got.push(...d.messages.map((m) => m.offset)); } });
  assert.throws(() => consumer.seek(topic, 0, 0), (err) => err.code === '_INVALID_ARG' && /not running/.test(err.message));
  await consumer.start();
  t.after(() => consumer.stop());
  await waitFor('3 messages', () => got.length === 3);
  assert.throws(() => consumer.seek(1, 0, 0), /seek\(\) argument topic must be a string/);
  assert.throws(() => consumer.seek(topic, -1, 0), /seek\(\) argument partition must be a partition number/);
  assert.throws(() => consumer.seek(topic, 0, -3), /seek\(\) argument offset must be "earliest", "latest" or an offset >= 0, got "-3"/);
  assert.throws(() => consumer.seek(topic, 0, 1.5), /seek\(\) argument offset must be an integer offset, 'earliest' or 'latest'/);
  assert.throws(() => consumer.seek(topic, 0, 'middle'), /seek\(\) argument offset/);
  assert.throws(() => consumer.seek(topic, 5, 0), (err) => err.code === '_INVALID_ARG' && /api-seek\/5 is not read by this consumer/.test(err.message));
  consumer.seek(topic, 0, 'earliest');
  await waitFor('read again from the beginning', () => got.length === 6);
  assert.deepEqual(got, [0, 1, 2, 0, 1, 2]);
});

test('auto_commit: false records only what commit() is given; commit() checks its argument', async (t) => {
  const topic = 'api-manual-commit';
  await produce(broker, topic, 0, ['a', 'b', 'c']);
  const dir = tempDir();
  let got = 0;
  const consumer = new kafka.Consumer({ broker, topic, offset_directory: dir, auto_commit: false, logger: quietLogger(), receive_callback: async (d) => { got += d.messages.length; } });
  await consumer.start();
  t.after(() => consumer.stop());
  await waitFor('3 messages', () => got === 3);
  assert.equal(readOffset(dir, topic, 0), undefined);
  await assert.rejects(consumer.commit([{ topic, partition: 0, offset: -1 }]), /offsets must be the next offsets to read \(0 or more\), got -1 for api-manual-commit\/0/);
  await assert.rejects(consumer.commit([{ topic, partition: 0 }]), /commit\(\) argument offsets\[0\] must be \{topic, partition, offset\}/);
  await assert.rejects(consumer.commit('x'), /commit\(\) argument offsets must be an array/);
  await consumer.commit([{ topic, partition: 0, offset: 2 }]);
  assert.equal(readOffset(dir, topic, 0), '1\n');
});
