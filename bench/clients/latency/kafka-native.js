'use strict';
// This package as a latency client: a Consumer reading every partition of an empty topic, and a
// Producer sending to it. SETTINGS = {producer: {...}, consumer: {...}} adds options to each.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Producer, Consumer } = require('../../../js/index.js');
const { run, nowUs, measure } = require('./common');

const quiet = { error: console.error, warn() {}, info() {} };
let producer;
let consumer;

measure({
  async start(record) {
    producer = new Producer({ broker: run.broker, logger: quiet, statistics_interval_ms: 0, ...run.settings.producer });
    consumer = new Consumer({
      broker: run.broker, topic: run.topic, logger: quiet, statistics_interval_ms: 0,
      offset_directory: fs.mkdtempSync(path.join(os.tmpdir(), 'kn-latency-')),
      ...run.settings.consumer,
      receive_callback(data) {
        const now = nowUs();
        for (const m of data.messages) record.received(m.payload, now);
      },
    });
    await consumer.start();
  },
  send(partition, batch) {
    const { enqueued } = producer.send(run.topic, partition, batch);
    if (enqueued !== batch.length) throw new Error(`enqueued ${enqueued} of ${batch.length}`);
  },
  async stop() {
    await consumer.stop();
    await producer.stop();
  },
});
