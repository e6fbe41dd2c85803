'use strict';
// @platformatic/kafka as a benchmark client. Produce: batches of 10,000 per partition, four in
// flight. Consume: a consumer group stream from the earliest offset, timed from the first message
// to the last.
const { Producer, Consumer, MessagesStreamModes } = require('@platformatic/kafka');
const { run, payloads, report, eventLoopDelay, counter, sendWindowed } = require('./common');

async function produce() {
  const producer = new Producer({ clientId: 'bench', bootstrapBrokers: run.broker.split(',') });
  const values = payloads().map((p) => Buffer.from(p));
  const delay = eventLoopDelay();
  const started = process.hrtime.bigint();
  await sendWindowed((n, partition) => producer.send({ messages: values.slice(0, n).map((value) => ({ topic: run.topic, partition, value })) }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await producer.close();
  report({ seconds }, delay);
}

async function consume() {
  const consumer = new Consumer({ groupId: `bench-${process.pid}`, clientId: 'bench', bootstrapBrokers: run.broker.split(',') });
  const count = counter();
  const delay = eventLoopDelay();
  const stream = await consumer.consume({ topics: [run.topic], mode: MessagesStreamModes.EARLIEST, autocommit: false, sessionTimeout: 6000, heartbeatInterval: 500 });
  stream.on('data', () => count.add(1));
  const result = await count.result();
  report(result, delay);
}

(run.op === 'produce' ? produce : consume)().catch((e) => { console.error(e); process.exit(1); });
