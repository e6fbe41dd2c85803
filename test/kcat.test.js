'use strict';
// Interop with a client nobody here wrote: kcat (Debian's package, librdkafka 2.0.2). It reads
// what we produce byte for byte, and we read what it produces, on the MockCluster and on Apache
// Kafka.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { kafka, testCluster, tempDir, waitFor, quietLogger } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;

function kcat(args, input) {
  const r = spawnSync('kcat', ['-b', broker, ...args], { input, timeout: 30000 });
  if (r.error && r.error.code === 'ENOENT') throw new Error('kcat is not installed (apt-get install kcat)');
  assert.equal(r.status, 0, `kcat ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// Parses kcat's `-f '%K:%k:%S:%s:%h\n'` output: lengths first, so binary keys and payloads parse.
function parseKcat(out) {
  const messages = [];
  let at = 0;
  const field = () => {
    const colon = out.indexOf(0x3a, at);
    const text = out.subarray(at, colon).toString();
    at = colon + 1;
    return text;
  };
  const bytes = (n) => {
    const b = out.subarray(at, at + n);
    at += n + 1; // and the ':' after it
    return b;
  };
  // A length of -1 means no key (or payload): an empty field, then ':'.
  const absent = () => {
    at += 1;
    return null;
  };
  while (at < out.length) {
    const keyLength = Number(field());
    const key = keyLength < 0 ? absent() : bytes(keyLength);
    const payloadLength = Number(field());
    const payload = payloadLength < 0 ? absent() : bytes(payloadLength);
    const newline = out.indexOf(0x0a, at);
    const headers = out.subarray(at, newline).toString();
    at = newline + 1;
    messages.push({ key, payload, headers });
  }
  return messages;
}

const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

test('kcat reads what we produce byte for byte: keys, UTF-8, binary, headers', async () => {
  const topic = `kcat-reads-${process.pid}`;
  await cluster.createTopic(topic, 1, 1);
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  const sent = [
    { payload: 'plain', key: 'k1' },
    { payload: 'héllo ☃ 😀', key: 'ключ', headers: { trace: 'abc', origin: 'kafka-native' } },
    { payload: binary, key: binary },
    'no key',
  ];
  assert.equal(producer.send(topic, 0, sent).enqueued, sent.length);
  await producer.stop();
  const got = parseKcat(kcat(['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-c', String(sent.length), '-e', '-q', '-f', '%K:%k:%S:%s:%h\n']));
  assert.equal(got.length, sent.length);
  assert.deepEqual(got[0].key, Buffer.from('k1'));
  assert.deepEqual(got[0].payload, Buffer.from('plain'));
  assert.deepEqual(got[1].key, Buffer.from('ключ'));
  assert.deepEqual(got[1].payload, Buffer.from('héllo ☃ 😀'));
  assert.equal(got[1].headers, 'trace=abc,origin=kafka-native');
  assert.deepEqual(got[2].key, binary);
  assert.deepEqual(got[2].payload, binary);
  assert.equal(got[3].key, null);
  assert.deepEqual(got[3].payload, Buffer.from('no key'));
});

test('we read what kcat produces, -K keys and -H headers included', async () => {
  const topic = `kcat-writes-${process.pid}`;
  await cluster.createTopic(topic, 1, 1);
  // Binary without the newline delimiter, as kcat splits its input on newlines.
  const raw = Buffer.from(Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 0x0a && b !== 0x3a));
  kcat(['-P', '-t', topic, '-p', '0', '-K', ':', '-H', 'source=kcat'], Buffer.concat([
    Buffer.from('key-1:value-1\nключ:значение ☃\n'), raw, Buffer.from(':'), raw, Buffer.from('\n'),
  ]));
  kcat(['-P', '-t', topic, '-p', '0'], Buffer.from('keyless\n'));
  const got = [];
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: tempDir(), payload_encoding: 'buffer', logger: quietLogger(),
    receive_callback: (d) => { got.push(...d.messages); return Promise.resolve(); },
  });
  await consumer.start();
  await waitFor('4 messages', () => got.length >= 4);
  await consumer.stop();
  assert.deepEqual(got.map((m) => m.key), [Buffer.from('key-1'), Buffer.from('ключ'), raw, undefined]);
  assert.deepEqual(got.map((m) => m.payload), [Buffer.from('value-1'), Buffer.from('значение ☃'), raw, Buffer.from('keyless')]);
  assert.deepEqual(got[0].headers, { source: Buffer.from('kcat') });
  assert.equal(got[3].headers, undefined);
  assert.deepEqual(got.map((m) => m.offset), [0, 1, 2, 3]);
});
