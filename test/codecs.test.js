'use strict';
// Every compression codec: 10,000 messages round-trip through our producer and consumer, what
// we compressed is smaller on the wire, and kcat (Debian's, a client nobody here wrote) reads
// what we compressed while we read what it compressed.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { wide, kafka, testCluster, waitFor, quietLogger } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'];
const COUNT = 10000;
const WIDE = wide(60000);

function kcat(args, input) {
  const r = spawnSync('kcat', ['-b', broker, ...args], { input, timeout: 60000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error && r.error.code === 'ENOENT') throw new Error('kcat is not installed (apt-get install kcat)');
  assert.equal(r.status, 0, `kcat ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.toString();
}

// Everything on partition 0 of `topic`, read with our consumer until `count` arrived.
async function readAll(topic, count) {
  const got = [];
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: null, logger: quietLogger(),
    receive_callback: ({ messages }) => { got.push(...messages.map((m) => m.payload)); return Promise.resolve(); },
  });
  await consumer.start();
  await waitFor(`${count} messages`, () => got.length >= count, WIDE);
  await consumer.stop();
  return got;
}

// Produces `payloads` with `codec` and reports the bytes the producer sent to brokers.
async function produceCompressed(topic, codec, payloads) {
  let sentBytes = 0;
  let reports = 0;
  const producer = new kafka.Producer({
    broker, compression_codec: codec, queue_buffering_max_ms: 5, statistics_interval_ms: 100, logger: quietLogger(),
    stats_callback: ({ rdkafka_stats: s }) => { sentBytes = s.tx_bytes; reports++; },
  });
  for (let i = 0; i < payloads.length; i += 2000) producer.send(topic, 0, payloads.slice(i, i + 2000));
  await producer.deliver(topic, 0, ['last']); // delivered after all the others
  // A report taken after the last delivery counts every byte sent (Kafka, unlike the mock,
  // may see nothing more sent after it, so wait for a report, not for more bytes).
  const settled = reports;
  await waitFor('a stats report after the last delivery', () => reports > settled + 1, WIDE);
  await producer.stop();
  return sentBytes;
}

const payloadsFor = (codec) => Array.from({ length: COUNT }, (_, i) => `${codec} message ${i} ${'abc'.repeat(i % 50)}`);

test('every codec round-trips 10,000 messages, compresses on the wire, and kcat reads it', async () => {
  const plainTopic = `codec-none-${process.pid}`;
  await cluster.createTopic(plainTopic, 1);
  const plainBytes = await produceCompressed(plainTopic, 'none', payloadsFor('none'));
  for (const codec of CODECS) {
    const topic = `codec-${codec}-${process.pid}`;
    await cluster.createTopic(topic, 1);
    const payloads = payloadsFor(codec);
    const bytes = await produceCompressed(topic, codec, payloads);
    assert.ok(bytes < plainBytes / 2, `${codec}: ${bytes} bytes sent, uncompressed ${plainBytes}`);
    assert.deepEqual(await readAll(topic, COUNT + 1), [...payloads, 'last'], codec);
    const read = kcat(['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-c', String(COUNT + 1), '-e', '-q']).split('\n');
    assert.deepEqual(read.slice(0, COUNT + 1), [...payloads, 'last'], `kcat reading ${codec}`);
  }
});

test('we read what kcat compressed, with every codec', async () => {
  for (const codec of CODECS) {
    const topic = `kcat-${codec}-${process.pid}`;
    await cluster.createTopic(topic, 1);
    const lines = Array.from({ length: 1000 }, (_, i) => `kcat ${codec} ${i} ${'xyz'.repeat(i % 30)}`);
    kcat(['-P', '-t', topic, '-p', '0', '-z', codec], `${lines.join('\n')}\n`);
    assert.deepEqual(await readAll(topic, lines.length), lines, codec);
  }
});

test('an unknown codec is refused, naming the option', () => {
  assert.throws(() => new kafka.Producer({ broker, compression_codec: 'brotli', logger: quietLogger() }),
    /compression_codec must be one of none, gzip, snappy, lz4, zstd, got "brotli"/);
  assert.throws(() => new kafka.Producer({ broker, compression_codec: 'gzip', driver_options: { 'compression.codec': 'lz4' } }),
    /option compression_codec and driver_options\["compression.codec"\] set the same thing/);
});
