'use strict';
// Shared by the Node benchmark clients: the run's parameters (from the environment the harness
// sets), an event-loop delay monitor, and the JSON result line the harness reads.
const { monitorEventLoopDelay } = require('node:perf_hooks');

const run = {
  op: process.argv[2],
  broker: process.env.KAFKA_BROKERS,
  topic: process.env.KAFKA_TOPIC || 'bench',
  messages: Number(process.env.MESSAGES || 1_000_000),
  size: Number(process.env.SIZE || 100),
  partitions: Number(process.env.PARTITIONS || 32),
};
// Batches of up to 10,000, small enough that every partition gets its share (a mock partition
// keeps only ~5 MiB).
run.batch = Math.max(1, Math.min(10_000, Math.ceil(run.messages / run.partitions)));
if (!['produce', 'consume'].includes(run.op) || !run.broker) {
  console.error('usage: KAFKA_BROKERS=host:port node <client> produce|consume');
  process.exit(2);
}

// Distinct payloads of exactly `size` bytes, `batch` of them.
function payloads() {
  return Array.from({ length: run.batch }, (_, i) => String(i).padStart(8, '0').padEnd(run.size, 'x'));
}

const ms = (ns) => Number(ns) / 1e6;

function report(result, delay) {
  console.log(JSON.stringify({
    messages: run.messages,
    ...result,
    eld_p99_ms: delay ? ms(delay.percentile(99)) : undefined,
    eld_max_ms: delay ? ms(delay.max) : undefined,
  }));
  process.exit(0);
}

function eventLoopDelay() {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  return h;
}

// Counts received messages. The clock starts at start() (counting every message) or, for a client
// with no such moment, at the first batch (counting the messages after it).
function counter() {
  let received = 0;
  let first;
  let firstBatch = 0;
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  return {
    start() {
      first = process.hrtime.bigint();
    },
    add(n) {
      if (first === undefined) {
        first = process.hrtime.bigint();
        firstBatch = n;
      }
      received += n;
      if (received >= run.messages) done(process.hrtime.bigint());
    },
    async result() {
      const last = await finished;
      return { seconds: Number(last - first) / 1e9, counted: received - firstBatch };
    },
  };
}

// A Promise-based client (KafkaJS, @platformatic/kafka) puts each batch in one request, which
// Apache Kafka refuses over message.max.bytes (1 MB by default; MESSAGE_TOO_LARGE): keep one
// request's records well under it. (librdkafka splits its batches by itself.)
const REQUEST_BYTES = 900_000;
const requestBatch = Math.max(1, Math.min(run.batch, Math.floor(REQUEST_BYTES / (run.size + 64))));

// For clients whose send is a Promise: sends run.messages in batches of up to run.batch (fewer
// where a request would be too large), one partition per batch in turn, with four batches in
// flight; resolves when all are acknowledged.
async function sendWindowed(sendBatch) {
  const inFlight = new Set();
  for (let sent = 0, partition = 0; sent < run.messages; partition++) {
    const n = Math.min(requestBatch, run.messages - sent);
    const p = sendBatch(n, partition % run.partitions);
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
    sent += n;
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

module.exports = { run, payloads, report, eventLoopDelay, counter, ms, sendWindowed };
