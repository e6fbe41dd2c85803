'use strict';
// KafkaJS 2 (or, with KAFKAJS_MODULE, kafka-native/kafkajs): `await producer.send(...)` of one
// message, at its defaults unless SETTINGS = {producer: {...}} says otherwise.
const { Kafka, logLevel } = require(process.env.KAFKAJS_MODULE || 'kafkajs');
const { run, measure } = require('./common');

const kafka = new Kafka({ clientId: 'awaited', brokers: run.broker.split(','), logLevel: logLevel.NOTHING });
const producer = kafka.producer(run.settings.producer);

measure({
  start: () => producer.connect(),
  send: (partition, value) => producer.send({ topic: run.topic, messages: [{ value, partition }] }),
  stop: () => producer.disconnect(),
});
