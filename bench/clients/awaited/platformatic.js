'use strict';
// @platformatic/kafka 2: `await producer.send({messages: [...]})` of one message, at its defaults.
const { Producer } = require('@platformatic/kafka');
const { run, measure } = require('./common');

const producer = new Producer({ clientId: 'awaited', bootstrapBrokers: run.broker.split(','), ...run.settings.producer });

measure({
  async start() {},
  send: (partition, value) => producer.send({ messages: [{ topic: run.topic, partition, value }] }),
  stop: () => producer.close(),
});
