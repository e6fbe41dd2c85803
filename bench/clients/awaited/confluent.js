'use strict';
// @confluentinc/kafka-javascript through its KafkaJS-style API (the one its README leads with):
// `await producer.send(...)` of one message, at its defaults unless SETTINGS = {producer: {...}}
// adds librdkafka properties.
const { Kafka, logLevel } = require('@confluentinc/kafka-javascript').KafkaJS;
const { run, measure } = require('./common');

const kafka = new Kafka({ kafkaJS: { clientId: 'awaited', brokers: run.broker.split(','), logLevel: logLevel.NOTHING } });
const producer = kafka.producer({ ...run.settings.producer });

measure({
  start: () => producer.connect(),
  send: (partition, value) => producer.send({ topic: run.topic, messages: [{ value, partition }] }),
  stop: () => producer.disconnect(),
});
