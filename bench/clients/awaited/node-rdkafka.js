'use strict';
// node-rdkafka: produce() one message and await its delivery report (dr_cb, matched by opaque).
// Its reports arrive only when polled: setPollInterval(POLL_MS), 1 ms by default here, since a
// coarser poll is the await's floor. SETTINGS = {producer: {...}} adds librdkafka properties.
const Kafka = require('node-rdkafka');
const { run, measure } = require('./common');

const producer = new Kafka.Producer({ 'metadata.broker.list': run.broker, dr_cb: true, ...run.settings.producer });
const waiting = new Map();
let next = 0;
producer.on('delivery-report', (err, report) => {
  const settle = waiting.get(report.opaque);
  waiting.delete(report.opaque);
  if (settle) settle(err);
});

measure({
  start: () => new Promise((resolve, reject) => {
    producer.connect({}, (err) => (err ? reject(err) : resolve()));
    producer.setPollInterval(Number(process.env.POLL_MS || 1));
  }),
  send: (partition, value) => new Promise((resolve, reject) => {
    const opaque = next++;
    waiting.set(opaque, (err) => (err ? reject(err) : resolve()));
    producer.produce(run.topic, partition, value, null, Date.now(), opaque);
  }),
  stop: () => new Promise((resolve) => producer.flush(10_000, () => producer.disconnect(() => resolve()))),
});
