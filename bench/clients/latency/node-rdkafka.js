'use strict';
// node-rdkafka as a latency client: a KafkaConsumer assigned every partition from offset 0 (the
// topic starts empty) in flowing mode ('data' events), and a Producer. SETTINGS =
// {producer: {...}, consumer: {...}} adds librdkafka properties to each.
const Kafka = require('node-rdkafka');
const { run, nowUs, measure } = require('./common');

let producer;
let consumer;
const ready = (client) => new Promise((resolve, reject) => {
  client.once('ready', resolve);
  client.once('connection.failure', reject);
  client.connect();
});

measure({
  async start(record) {
    producer = new Kafka.Producer({ 'metadata.broker.list': run.broker, ...run.settings.producer });
    producer.setPollInterval(100);
    consumer = new Kafka.KafkaConsumer({
      'metadata.broker.list': run.broker, 'group.id': `latency-${process.pid}`, 'enable.auto.commit': false, ...run.settings.consumer,
    }, { 'auto.offset.reset': 'earliest' });
    await Promise.all([ready(producer), ready(consumer)]);
    consumer.on('data', (m) => record.received(m.value.toString(), nowUs()));
    consumer.assign(Array.from({ length: run.partitions }, (_, partition) => ({ topic: run.topic, partition, offset: 0 })));
    consumer.consume();
  },
  send(partition, batch) {
    for (const value of batch) producer.produce(run.topic, partition, Buffer.from(value));
  },
  async stop() {
    await new Promise((r) => consumer.disconnect(r));
    await new Promise((r) => producer.disconnect(r));
  },
});
