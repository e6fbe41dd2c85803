'use strict';
// Produce a few messages and consume them back, recording offsets in files in a scratch
// directory (shown, then removed).
// Uses NODE_KAFKA_NATIVE_BROKER when set; otherwise starts an embedded mock cluster.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Producer, Consumer, MockCluster } = require('../js/index.js');

async function main() {
  let cluster;
  let broker = process.env.NODE_KAFKA_NATIVE_BROKER;
  if (!broker) {
    cluster = new MockCluster(1);
    broker = cluster.bootstrapServers;
    console.log(`started an embedded mock cluster at ${broker}`);
  }
  const topic = 'example';
  const total = 20;
  const offset_directory = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-offsets-'));

  // Low-latency settings: send at once instead of lingering to fill a batch (the default, 0,
  // said out loud), and let the broker hold an empty fetch for at most 5 ms (the MockCluster
  // answers one only after that wait, so on it this is the latency; see docs/operations.md's Latency
  // section).
  const producer = new Producer({ broker, queue_buffering_max_ms: 0 });
  const npartitions = await producer.partition_count(topic);
  console.log(`topic ${topic} has ${npartitions} partitions`);
  for (let i = 0; i < total; i++) {
    producer.send(topic, i % npartitions, [`hello ${i}`]);
  }
  await producer.stop();
  console.log(`produced ${total} messages`);

  let consumed = 0;
  let done;
  const all = new Promise((resolve) => { done = resolve; });
  const consumer = new Consumer({
    broker,
    topic,
    offset_directory,
    fetch_wait_max_ms: 5,
    receive_callback(data) {
      for (const m of data.messages) {
        console.log('message:', m.topic, m.partition, m.offset, m.payload);
      }
      consumed += data.messages.length;
      if (consumed >= total) done();
      return Promise.resolve();
    },
  });
  const partitions = await consumer.start();
  console.log(`consuming partitions ${partitions.join(', ')}`);
  await all;
  await consumer.stop();
  console.log(`consumed ${consumed} messages; offsets recorded in ${offset_directory}:`);
  for (const f of fs.readdirSync(offset_directory).sort()) {
    console.log(`  ${f}: ${fs.readFileSync(path.join(offset_directory, f), 'utf8').trim()}`);
  }
  fs.rmSync(offset_directory, { recursive: true });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
