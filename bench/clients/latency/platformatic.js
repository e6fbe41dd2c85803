'use strict';
// @platformatic/kafka 2 as a latency client: a consumer group stream (ready once it has joined and
// its stream exists) and a producer whose sends are not awaited, so acks never hold up the
// schedule. SETTINGS = {consumer: {...}} adds options to consume() (e.g. maxWaitTime).
const { Producer, Consumer, MessagesStreamModes } = require('@platformatic/kafka');
const { run, nowUs, measure } = require('./common');

const brokers = run.broker.split(',');
const producer = new Producer({ clientId: 'latency', bootstrapBrokers: brokers });
const consumer = new Consumer({ groupId: `latency-${process.pid}`, clientId: 'latency', bootstrapBrokers: brokers });
const fail = (e) => { console.error(e); process.exit(1); };

measure({
  async start(record) {
    const stream = await consumer.consume({
      topics: [run.topic], mode: MessagesStreamModes.EARLIEST, autocommit: false, sessionTimeout: 6000, heartbeatInterval: 1000, ...run.settings.consumer,
    });
    stream.on('data', (m) => record.received(m.value.toString(), nowUs()));
    stream.on('error', fail);
  },
  send(partition, batch) {
    producer.send({ messages: batch.map((value) => ({ topic: run.topic, partition, value: Buffer.from(value) })) }).catch(fail);
  },
  async stop() {
    await consumer.close(true);
    await producer.close();
  },
});
