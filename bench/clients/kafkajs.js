'use strict';
// KafkaJS 2 as a benchmark client. Produce: batches of 10,000 per partition, four in flight
// (acks from all replicas, as librdkafka's default). Consume: a consumer group (KafkaJS has no
// manual assignment) with eachBatch, timed from joining the group (partitions assigned) to the
// last message, so the broker's join delay is not counted.
// KAFKAJS_MODULE: the same client on another implementation of KafkaJS's API (kafka-native/kafkajs,
// which commits after each batch: it has no autoCommit: false yet, so it does more work here).
const { Kafka, logLevel } = require(process.env.KAFKAJS_MODULE || 'kafkajs');
const commits = process.env.KAFKAJS_MODULE ? {} : { autoCommit: false };
const { run, payloads, report, eventLoopDelay, counter, sendWindowed } = require('./common');

const kafka = new Kafka({ clientId: 'bench', brokers: run.broker.split(','), logLevel: logLevel.NOTHING });

async function produce() {
  const producer = kafka.producer();
  await producer.connect();
  const values = payloads();
  const delay = eventLoopDelay();
  const started = process.hrtime.bigint();
  // Each message an object literal, as the @platformatic/kafka client makes them (a spread copy
  // of a prepared message cost a fifth of the run in V8's slower reads of spread-made objects).
  await sendWindowed((n, partition) => producer.send({ topic: run.topic, messages: values.slice(0, n).map((value) => ({ value, partition })) }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await producer.disconnect();
  report({ seconds }, delay);
}

async function consume() {
  const consumer = kafka.consumer({ groupId: `bench-${process.pid}`, maxBytes: 50 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic: run.topic, fromBeginning: true });
  const count = counter();
  consumer.on(consumer.events.GROUP_JOIN, () => count.start());
  const delay = eventLoopDelay();
  await consumer.run({
    ...commits,
    eachBatch: async ({ batch }) => { count.add(batch.messages.length); },
  });
  const result = await count.result();
  report(result, delay);
}

(run.op === 'produce' ? produce : consume)().catch((e) => { console.error(e); process.exit(1); });
