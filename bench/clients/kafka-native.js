'use strict';
// This package as a benchmark client. Produce: send() batches of 10,000 round the partitions,
// timed until stop() has everything delivered; each send()'s duration is the event loop blocked.
// Consume: timed from constructing the Consumer to the last message. SETTINGS = {producer: {...},
// consumer: {...}} adds options to each (the latency benchmark varies fetch_wait_max_ms).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Producer, Consumer } = require('../../js/index.js');
const { run, payloads, report, eventLoopDelay, counter, ms } = require('./common');

const quiet = { error: console.error, warn() {}, info() {} };
const settings = JSON.parse(process.env.SETTINGS || '{}');

async function produce() {
  const producer = new Producer({ broker: run.broker, logger: quiet, statistics_interval_ms: 0, ...settings.producer });
  const batch = payloads();
  const sendTimes = [];
  const delay = eventLoopDelay();
  const started = process.hrtime.bigint();
  let sent = 0;
  for (let partition = 0; sent < run.messages; partition++) {
    // The whole batch goes to this partition, whatever the local queue refuses at first (see
    // the Rust client).
    let slice = run.messages - sent < batch.length ? batch.slice(0, run.messages - sent) : batch;
    while (slice.length > 0) {
      const before = process.hrtime.bigint();
      const { enqueued } = producer.send(run.topic, partition % run.partitions, slice);
      sendTimes.push(ms(process.hrtime.bigint() - before));
      sent += enqueued;
      slice = slice.slice(enqueued);
      if (slice.length > 0) await new Promise((r) => setTimeout(r, 1));
    }
  }
  await producer.stop({ timeout: 120000 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  sendTimes.sort((a, b) => a - b);
  report({ seconds, send_ms_median: sendTimes[sendTimes.length >> 1], send_ms_max: sendTimes[sendTimes.length - 1] }, delay);
}

async function consume() {
  const count = counter();
  count.start(); // from construction: metadata, assignment and fetch all count
  const offset_directory = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-bench-'));
  const consumer = new Consumer({
    broker: run.broker, topic: run.topic, logger: quiet, statistics_interval_ms: 0, offset_directory,
    ...settings.consumer,
    receive_callback(data) {
      count.add(data.messages.length);
      return Promise.resolve();
    },
  });
  const delay = eventLoopDelay();
  await consumer.start();
  const result = await count.result();
  await consumer.stop();
  fs.rmSync(offset_directory, { recursive: true });
  report(result, delay);
}

(run.op === 'produce' ? produce : consume)().catch((e) => { console.error(e); process.exit(1); });
