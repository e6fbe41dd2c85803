// The runtime-neutral acceptance subset: plain code that asserts and exits non-zero on failure,
// run as it is by Node, Bun and Deno (test/runtimes/run.js), on the package as installed in a
// project's node_modules. Each part prints one line; the last line says all passed. Nothing calls
// process.exit on success: the process must end by itself once every client is stopped.
// TLS_DIR: a folder with ca.pem, broker.pem and broker.key (test/tls/certs.js).
import { Producer, Consumer, Admin, MockCluster } from 'kafka-native';
import { Kafka, logLevel } from 'kafka-native/kafkajs';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import tls from 'node:tls';
import { Worker } from 'node:worker_threads';

/* global Bun, Deno -- the runtimes this runs on besides Node */
const quiet = { error: (m) => console.error(m), warn() {}, info() {}, debug() {} };
const runtime = typeof Bun !== 'undefined' ? `Bun ${Bun.version}` : typeof Deno !== 'undefined' ? `Deno ${Deno.version.deno}` : `Node ${process.versions.node}`;
const cluster = new MockCluster(1);
cluster.setGroupInitialRebalanceDelay(0);
const broker = cluster.bootstrapServers;

// 1. Produce (send and deliver) and consume with offset files.
{
  cluster.createTopic('files', 2, 1);
  const producer = new Producer({ broker, queue_buffering_max_ms: 5, logger: quiet });
  assert.equal(producer.send('files', 0, ['a', 'b', Buffer.from([0, 1, 2])]).enqueued, 3);
  assert.deepEqual(await producer.deliver('files', 1, [{ key: 'k', payload: 'v', headers: { h: 'x' } }]), [{ partition: 1, offset: 0 }]);
  await producer.stop();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-runtime-'));
  const seen = [];
  let done;
  const all = new Promise((resolve) => { done = resolve; });
  const consumer = new Consumer({
    broker, topic: 'files', offset_directory: dir, logger: quiet,
    receive_callback: async ({ messages }) => { seen.push(...messages); if (seen.length === 4) done(); },
  });
  assert.deepEqual(await consumer.start(), [0, 1]);
  await all;
  await consumer.stop();
  const keyed = seen.find((m) => m.partition === 1);
  assert.deepEqual([keyed.key, keyed.payload, keyed.headers.h.toString()], ['k', 'v', 'x']);
  assert.equal(fs.readFileSync(path.join(dir, 'files-0.offset'), 'utf8'), '2\n');
  fs.rmSync(dir, { recursive: true });
  console.log('produce and consume with offset files: ok');
}

// 2. for await, and a consumer group whose commits an Admin reads back.
{
  cluster.createTopic('grouped', 2, 1);
  const producer = new Producer({ broker, queue_buffering_max_ms: 5, logger: quiet });
  for (let p = 0; p < 2; p++) await producer.deliver('grouped', p, ['x', 'y', 'z']);
  await producer.stop();
  const consumer = new Consumer({ broker, topic: ['grouped'], group_id: 'runtime-group', logger: quiet });
  const controller = new AbortController();
  let count = 0;
  await assert.rejects(async () => {
    for await (const batch of consumer.batches({ signal: controller.signal })) {
      count += batch.messages.length;
      if (count === 6) controller.abort();
    }
  }, (err) => err.name === 'AbortError');
  const admin = new Admin({ broker, logger: quiet });
  const committed = (await admin.groupOffsets('runtime-group')).map((o) => [o.partition, o.committed]);
  await admin.stop();
  assert.deepEqual(committed, [[0, 3], [1, 3]]);
  console.log('for await over a consumer group, commits read back by the Admin: ok');
}

// 3. KafkaJS's API.
{
  const kafka = new Kafka({ brokers: [broker], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const [{ baseOffset }] = await producer.send({ topic: 'files', messages: [{ value: 'kafkajs', partition: 0 }] });
  await producer.disconnect();
  assert.equal(baseOffset, '3');
  console.log('kafka-native/kafkajs send: ok');
}

// 4. TLS: a terminator in front of the broker, which then advertises it.
if (process.env.TLS_DIR) {
  const dir = process.env.TLS_DIR;
  const server = tls.createServer({ cert: fs.readFileSync(path.join(dir, 'broker.pem')), key: fs.readFileSync(path.join(dir, 'broker.key')) }, (client) => {
    const upstream = net.connect(cluster.brokerPort(1), '127.0.0.1');
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  cluster.setBrokerAddress(1, '127.0.0.1', port);
  const producer = new Producer({
    broker: `127.0.0.1:${port}`, queue_buffering_max_ms: 5, logger: quiet,
    driver_options: { 'security.protocol': 'ssl', 'ssl.ca.location': path.join(dir, 'ca.pem') },
  });
  const [{ offset }] = await producer.deliver('files', 0, ['over TLS']);
  await producer.stop();
  assert.equal(offset, 4);
  server.close();
  cluster.setBrokerAddress(1, '127.0.0.1', cluster.brokerPort(1));
  console.log('TLS: ok');
}

// 5. A worker thread loads the package and produces.
{
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { broker } });
  const [offset] = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await new Promise((resolve) => worker.once('exit', resolve));
  assert.equal(offset, 3);
  console.log('a worker thread produces: ok');
}

console.log(`all passed on ${runtime}`);
