'use strict';
// Two worker_threads each load the addon and consume half of a topic's partitions.
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Producer, Consumer, MockCluster } = require('../js/index.js');

const THREADS = 2;
const PARTITIONS = 4;
const PER_PARTITION = 100;
const TOPIC = 'worker-threads-example';

async function main() {
  let mock;
  let broker = process.env.NODE_KAFKA_NATIVE_BROKER;
  if (!broker) {
    mock = new MockCluster(1);
    mock.createTopic(TOPIC, PARTITIONS, 1);
    broker = mock.bootstrapServers;
  }
  const producer = new Producer({ broker });
  for (let p = 0; p < PARTITIONS; p++) {
    producer.send(TOPIC, p, Array.from({ length: PER_PARTITION }, (_, i) => `${p}:${i}`));
  }
  await producer.stop();
  const offset_directory = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-threads-'));
  const results = await Promise.all(Array.from({ length: THREADS }, (_, slot) => new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: { broker, slot, offset_directory } });
    worker.once('message', resolve);
    worker.once('error', reject);
  })));
  fs.rmSync(offset_directory, { recursive: true });
  const keys = results.flat();
  const unique = new Set(keys);
  console.log(`consumed ${unique.size} unique of ${PARTITIONS * PER_PARTITION} messages in ${THREADS} threads, ${keys.length - unique.size} duplicates`);
  process.exitCode = unique.size === PARTITIONS * PER_PARTITION && keys.length === unique.size ? 0 : 1;
}

async function thread() {
  const { broker, slot, offset_directory } = workerData;
  const expected = (PARTITIONS / THREADS) * PER_PARTITION;
  const keys = [];
  let done;
  const finished = new Promise((r) => { done = r; });
  const consumer = new Consumer({
    broker, topic: TOPIC, offset_directory, num_workers: THREADS, worker_slot: slot,
    receive_callback(data) {
      keys.push(...data.messages.map((m) => `${m.partition}:${m.offset}`));
      if (keys.length >= expected) done();
      return Promise.resolve();
    },
  });
  await consumer.start();
  await finished;
  await consumer.stop();
  parentPort.postMessage(keys);
}

(isMainThread ? main() : thread()).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
