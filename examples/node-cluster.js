'use strict';
// node:cluster workers split a topic (partition p goes to worker p % workers) and each message is
// consumed exactly once. The primary starts an embedded mock cluster unless
// NODE_KAFKA_NATIVE_BROKER is set, produces, and checks what the workers report.
const cluster = require('node:cluster');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Producer, Consumer, MockCluster } = require('../js/index.js');

const WORKERS = Number(process.env.WORKERS || 2);
const PER_PARTITION = Number(process.env.PER_PARTITION || 250);
const TOPIC = process.env.TOPIC || 'node-cluster-example';
const PARTITIONS = 4;
// Module-level: the mock cluster lives only as long as this object is referenced.
let mock;

async function primary() {
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
  const expected = PARTITIONS * PER_PARTITION;
  const offset_directory = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-cluster-'));
  const seen = new Map();
  let total = 0;
  for (let slot = 0; slot < WORKERS; slot++) {
    const worker = cluster.fork({ BROKER: broker, SLOT: String(slot), OFFSETS: offset_directory });
    worker.on('message', (msg) => {
      for (const key of msg.keys) seen.set(key, (seen.get(key) || 0) + 1);
      total += msg.keys.length;
      if (total >= expected) {
        for (const id in cluster.workers) cluster.workers[id].send('stop');
      }
    });
  }
  let exited = 0;
  cluster.on('exit', () => {
    if (++exited < WORKERS) return;
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    console.log(`consumed ${seen.size} unique of ${expected} messages with ${WORKERS} workers, ${duplicates} duplicates`);
    process.exitCode = seen.size === expected && duplicates === 0 && total === expected ? 0 : 1;
  });
}

async function worker() {
  const slot = Number(process.env.SLOT);
  const consumer = new Consumer({
    broker: process.env.BROKER,
    topic: TOPIC,
    offset_directory: process.env.OFFSETS,
    num_workers: WORKERS,
    worker_slot: slot,
    receive_callback(data) {
      process.send({ keys: data.messages.map((m) => `${m.partition}:${m.offset}`) });
      return Promise.resolve();
    },
  });
  const partitions = await consumer.start();
  console.log(`worker ${slot} reads partitions ${partitions.join(', ')}`);
  process.on('message', async (msg) => {
    if (msg === 'stop') {
      await consumer.stop();
      process.disconnect();
    }
  });
}

(cluster.isPrimary ? primary() : worker()).catch((err) => {
  console.error(err);
  process.exit(1);
});
