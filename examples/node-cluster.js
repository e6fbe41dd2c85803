'use strict';
// node:cluster workers share a topic, two ways:
//   node examples/node-cluster.js          kafka-native's fixed split: partition p goes to worker
//                                          p % workers, offsets in files; each message once.
//   node examples/node-cluster.js --group  a consumer group: the brokers assign the partitions.
//                                          Messages flow while a third worker joins and the first
//                                          one leaves; nothing is lost and nothing comes twice.
// The primary starts an embedded mock cluster unless NODE_KAFKA_NATIVE_BROKER is set, produces,
// and checks what the workers report.
const cluster = require('node:cluster');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Producer, Consumer, MockCluster } = require('../js/index.js');

const GROUP = process.argv.includes('--group') || process.env.GROUP_MODE === '1';
const WORKERS = Number(process.env.WORKERS || 2);
const PER_PARTITION = Number(process.env.PER_PARTITION || 250);
const TOPIC = process.env.TOPIC || (GROUP ? 'node-cluster-group-example' : 'node-cluster-example');
const PARTITIONS = 4;
// Module-level: the mock cluster lives only as long as this object is referenced.
let mock;

function brokerForExample() {
  if (process.env.NODE_KAFKA_NATIVE_BROKER) return process.env.NODE_KAFKA_NATIVE_BROKER;
  mock = new MockCluster(1);
  mock.createTopic(TOPIC, PARTITIONS, 1);
  return mock.bootstrapServers;
}

// Counts what the workers report; `done` once every expected message has arrived.
function tally(expected) {
  const seen = new Map();
  let total = 0;
  let done;
  const all = new Promise((resolve) => { done = resolve; });
  return {
    add(keys) {
      for (const key of keys) seen.set(key, (seen.get(key) || 0) + 1);
      total += keys.length;
      if (seen.size >= expected) done();
    },
    all,
    unique: () => seen.size,
    report(workers) {
      const duplicates = [...seen.values()].filter((n) => n > 1).length;
      console.log(`consumed ${seen.size} unique of ${expected} messages with ${workers} workers, ${duplicates} duplicates`);
      return seen.size === expected && duplicates === 0 && total === expected;
    },
  };
}

// A worker, and a Promise of its first assignment.
function fork(env, counts) {
  const worker = cluster.fork(env);
  worker.started = new Promise((resolve) => {
    worker.on('message', (msg) => {
      if (msg.keys) counts.add(msg.keys);
      if (msg.assigned) {
        console.log(`worker ${env.NAME} reads partitions ${msg.assigned.join(', ') || '(none yet)'}`);
        resolve();
      }
    });
  });
  return worker;
}

const stopped = (worker) => new Promise((resolve) => {
  worker.once('exit', resolve);
  worker.send('stop');
});

// kafka-native's fixed split: all messages first, then the workers read their share.
async function primaryFixedSplit() {
  const broker = brokerForExample();
  const producer = new Producer({ broker });
  for (let p = 0; p < PARTITIONS; p++) {
    producer.send(TOPIC, p, Array.from({ length: PER_PARTITION }, (_, i) => `${p}:${i}`));
  }
  await producer.stop();
  const counts = tally(PARTITIONS * PER_PARTITION);
  const offsets = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-cluster-'));
  const workers = Array.from({ length: WORKERS }, (_, slot) => fork({ BROKER: broker, SLOT: String(slot), NAME: String(slot), OFFSETS: offsets }, counts));
  await counts.all;
  await Promise.all(workers.map(stopped));
  fs.rmSync(offsets, { recursive: true });
  process.exitCode = counts.report(WORKERS) ? 0 : 1;
}

// A consumer group while messages flow (10 every 50 ms): workers 0 and 1 from the start, 2
// joins at 30%, 0 leaves (stop(): commits what it settled and leaves the group) at 60%.
async function primaryGroup() {
  const broker = brokerForExample();
  const expected = PARTITIONS * PER_PARTITION;
  const counts = tally(expected);
  const env = (name) => ({ BROKER: broker, NAME: name, GROUP_ID: `node-cluster-${process.pid}` });
  const workers = [fork(env('0'), counts), fork(env('1'), counts)];
  let stage = 'waiting for the first assignments';
  // If this ever takes long, say where it waits.
  setInterval(() => console.error(`after 30 s more: ${stage}; ${counts.unique()} of ${expected} messages in`), 30000).unref();
  await Promise.all(workers.map((w) => w.started));
  stage = 'producing';
  const producer = new Producer({ broker, queue_buffering_max_ms: 0 });
  const batches = expected / 10;
  let left;
  for (let b = 0; b < batches; b++) {
    producer.send(TOPIC, b % PARTITIONS, Array.from({ length: 10 }, (_, i) => `${b}:${i}`));
    if (b === Math.floor(batches * 0.3)) workers.push(fork(env('2'), counts));
    if (b === Math.floor(batches * 0.6)) left = stopped(workers.shift());
    await new Promise((r) => setTimeout(r, 50));
  }
  stage = 'waiting for the producer';
  await producer.stop();
  stage = 'waiting for worker 0 to leave';
  await left;
  stage = 'waiting for every message';
  await counts.all;
  stage = 'waiting for workers 1 and 2 to stop';
  await Promise.all(workers.map(stopped));
  process.exitCode = counts.report(3) ? 0 : 1;
}

async function worker() {
  // Listening from the start: a stop may come before the group has assigned anything.
  let consumer;
  let started;
  process.on('message', async (msg) => {
    if (msg === 'stop') {
      await started.catch(() => {});
      // stop() rejects when offsets could not be committed (a rebalance that would not wait):
      // those messages are read again by the partitions' new owner. Say so, and leave anyway.
      await consumer.stop().catch((err) => console.error(`worker ${process.env.NAME}: ${err.message}`));
      process.disconnect();
    }
  });
  consumer = new Consumer({
    broker: process.env.BROKER,
    topic: TOPIC,
    ...(process.env.GROUP_ID
      ? { group_id: process.env.GROUP_ID, driver_options: { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 } }
      : { offset_directory: process.env.OFFSETS, num_workers: WORKERS, worker_slot: Number(process.env.SLOT) }),
    async receive_callback(data) {
      process.send({ keys: data.messages.map((m) => `${m.partition}:${m.offset}`) });
    },
  });
  started = consumer.start();
  const assigned = await started;
  process.send({ assigned: assigned.map((tp) => (typeof tp === 'number' ? tp : tp.partition)) });
}

const primary = GROUP ? primaryGroup : primaryFixedSplit;
(cluster.isPrimary ? primary() : worker()).catch((err) => {
  console.error(err);
  process.exit(1);
});
