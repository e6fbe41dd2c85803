'use strict';
// Shared by the awaited-send clients: CONCURRENCY loops, each awaiting one single-message send
// after another (100 B, loop i to partition i % PARTITIONS), for WARMUP_MS uncounted and then
// SECONDS counted. Prints one JSON line: operations per second and the time of each await.
const { percentile } = require('../../report');
const run = {
  broker: process.env.KAFKA_BROKERS,
  topic: process.env.KAFKA_TOPIC || 'awaited',
  concurrency: Number(process.env.CONCURRENCY || 1),
  seconds: Number(process.env.SECONDS || 5),
  warmupMs: Number(process.env.WARMUP_MS || 1000),
  partitions: Number(process.env.PARTITIONS || 4),
  settings: JSON.parse(process.env.SETTINGS || '{}'),
};
if (!run.broker) {
  console.error('usage: KAFKA_BROKERS=host:port [CONCURRENCY=1 SECONDS=5 SETTINGS={...}] node <client>');
  process.exit(2);
}

const PAYLOAD = Buffer.alloc(100, 'x');
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// `client` has start(), send(partition, payload) → Promise, and stop().
async function measure(client) {
  await client.start();
  await client.send(0, PAYLOAD); // the first send may wait for metadata or a producer id
  const started = nowMs();
  const countFrom = started + run.warmupMs;
  const countUntil = countFrom + run.seconds * 1000;
  const latencies = [];
  const loop = async (i) => {
    for (;;) {
      const t = nowMs();
      if (t >= countUntil) return;
      await client.send(i % run.partitions, PAYLOAD);
      if (t >= countFrom) latencies.push(nowMs() - t);
    }
  };
  await Promise.all(Array.from({ length: run.concurrency }, (_, i) => loop(i)));
  await client.stop();
  const sorted = Float64Array.from(latencies).sort();
  console.log(JSON.stringify({
    ops_per_s: latencies.length / run.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  }));
  process.exit(0);
}

module.exports = { run, measure };
