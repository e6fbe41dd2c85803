'use strict';
// KafkaJS 2 as a latency client: a consumer group (KafkaJS has no manual assignment) with
// eachBatch, ready once it has joined; a producer whose sends are not awaited, so acks never hold
// up the schedule. SETTINGS = {consumer: {...}} adds consumer options (e.g. maxWaitTimeInMs).
// KAFKAJS_MODULE: the same client on another implementation of KafkaJS's API (kafka-native/kafkajs).
// Neither commits (autoCommit: false): the latency measured is the fetch path's.
const { Kafka, logLevel } = require(process.env.KAFKAJS_MODULE || 'kafkajs');
const commits = { autoCommit: false };
const { run, nowUs, measure } = require('./common');

const kafka = new Kafka({ clientId: 'latency', brokers: run.broker.split(','), logLevel: logLevel.NOTHING });
// tansu answers JoinGroup after about half the session timeout: keep it short.
const consumer = kafka.consumer({ groupId: `latency-${process.pid}`, sessionTimeout: 6000, heartbeatInterval: 1000, ...run.settings.consumer });
const producer = kafka.producer();
const fail = (e) => { console.error(e); process.exit(1); };

measure({
  async start(record) {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: run.topic, fromBeginning: true });
    const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
    await consumer.run({
      ...commits,
      eachBatch: async ({ batch }) => {
        const now = nowUs();
        for (const m of batch.messages) record.received(m.value.toString(), now);
      },
    });
    await joined;
  },
  send(partition, batch) {
    producer.send({ topic: run.topic, messages: batch.map((value) => ({ value, partition })) }).catch(fail);
  },
  async stop() {
    await consumer.disconnect();
    await producer.disconnect();
  },
});
