'use strict';
// node-rdkafka as a benchmark client, when installed. Produce: produce() per message, polling for
// delivery reports, timed until every report is in. Consume: flowing consume() with manual
// assignment of every partition, timed from the first message to the last.
const Kafka = require('node-rdkafka');
const { run, payloads, report, eventLoopDelay, counter } = require('./common');

function produce() {
  const producer = new Kafka.Producer({ 'metadata.broker.list': run.broker, dr_cb: true, 'queue.buffering.max.messages': 1_000_000 });
  const values = payloads().map((p) => Buffer.from(p));
  let delivered = 0;
  producer.on('delivery-report', () => { delivered++; });
  producer.setPollInterval(10);
  producer.connect();
  producer.on('ready', async () => {
    const delay = eventLoopDelay();
    const started = process.hrtime.bigint();
    for (let sent = 0, partition = 0; sent < run.messages; partition++) {
      const n = Math.min(values.length, run.messages - sent);
      for (let i = 0; i < n; i++) {
        try {
          producer.produce(run.topic, partition % run.partitions, values[i]);
        } catch {
          await new Promise((r) => setTimeout(r, 1));
          i--;
        }
      }
      sent += n;
      await new Promise((r) => setImmediate(r));
    }
    while (delivered < run.messages) await new Promise((r) => setTimeout(r, 1));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    report({ seconds }, delay);
  });
}

function consume() {
  const consumer = new Kafka.KafkaConsumer({ 'metadata.broker.list': run.broker, 'group.id': `bench-${process.pid}`, 'enable.auto.commit': false }, { 'auto.offset.reset': 'earliest' });
  const count = counter();
  consumer.connect();
  consumer.on('ready', async () => {
    const delay = eventLoopDelay();
    consumer.assign(Array.from({ length: run.partitions }, (_, partition) => ({ topic: run.topic, partition, offset: 0 })));
    consumer.on('data', () => count.add(1));
    consumer.consume();
    report(await count.result(), delay);
  });
}

(run.op === 'produce' ? produce : consume)();
