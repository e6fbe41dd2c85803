'use strict';
// The share-group benchmark's producer (bench/share.js), one for every client measured: payloads
// of 100 B, `m` (measured) or `w` (warm-up), then the wall-clock microseconds of the send, then
// spaces. MODE=bulk writes COUNT measured records as fast as it can, round the partitions, and
// exits once all are delivered; MODE=steady writes RATE records a second, WARM_SECONDS of warm-up
// then SECONDS measured, lingering 0 ms, each tick to the next partition.
const { Producer } = require('../../..');
const { nowMicros } = require('./common');

const topic = process.env.KAFKA_TOPIC;
const partitions = Number(process.env.PARTITIONS);
const SIZE = 100;
const logger = { error: console.error, warn: console.error, info() {} };
const payload = (flag) => `${flag}${nowMicros()} `.padEnd(SIZE, ' ');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function sendAll(producer, partition, batch) {
  while (batch.length > 0) {
    const { enqueued } = producer.send(topic, partition, batch);
    batch = batch.slice(enqueued);
    if (batch.length > 0) await sleep(5); // the queue is full: let it drain
  }
}

async function bulk(producer) {
  const count = Number(process.env.COUNT);
  for (let sent = 0, partition = 0; sent < count; partition = (partition + 1) % partitions) {
    const n = Math.min(10_000, count - sent);
    await sendAll(producer, partition, Array.from({ length: n }, () => payload('m')));
    sent += n;
  }
}

async function steady(producer) {
  const rate = Number(process.env.RATE);
  const warmMs = Number(process.env.WARM_SECONDS) * 1000;
  const total = Math.round((rate * (warmMs / 1000 + Number(process.env.SECONDS))));
  const warm = Math.round(rate * warmMs / 1000);
  const start = performance.now();
  for (let sent = 0, partition = 0; sent < total; partition = (partition + 1) % partitions) {
    const due = Math.min(total, Math.floor((performance.now() - start) * rate / 1000));
    const batch = [];
    for (; sent < due; sent++) batch.push(payload(sent < warm ? 'w' : 'm'));
    if (batch.length > 0) await sendAll(producer, partition, batch);
    await sleep(10);
  }
}

(async () => {
  const producer = new Producer({ broker: process.env.KAFKA_BROKERS, logger, queue_buffering_max_ms: 0, statistics_interval_ms: 0 });
  await (process.env.MODE === 'bulk' ? bulk(producer) : steady(producer));
  await producer.stop(); // everything delivered
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
