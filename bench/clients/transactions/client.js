'use strict';
// One client of the transactions benchmark (bench/transactions.js), in its own process: CLIENT
// (kafka-native, kafkajs or node-rdkafka) sends TRANSACTIONS transactions of PER_TRANSACTION
// 100-byte messages to KAFKA_TOPIC's partition 0, each begun, sent and committed before the next,
// and prints {seconds} as one JSON line. LINGER_MS: kafka-native's queue_buffering_max_ms (default
// its own, 250).
const { CLIENT, KAFKA_BROKERS, KAFKA_TOPIC } = process.env;
const TRANSACTIONS = Number(process.env.TRANSACTIONS);
const PER = Number(process.env.PER_TRANSACTION);
const payloads = Array.from({ length: PER }, (_, i) => String(i).padStart(8, '0').padEnd(100, 'x'));
const id = `bench-txn-${CLIENT}-${process.pid}`;

async function kafkaNative() {
  const { Producer } = require('../../..');
  const producer = new Producer({ broker: KAFKA_BROKERS, transactional_id: id, queue_buffering_max_ms: process.env.LINGER_MS ? Number(process.env.LINGER_MS) : undefined, logger: { error: console.error, warn() {}, info() {}, debug() {} } });
  await producer.initTransactions();
  return {
    async one() {
      producer.beginTransaction();
      producer.send(KAFKA_TOPIC, 0, payloads);
      await producer.commitTransaction();
    },
    close: () => producer.stop(),
  };
}

async function kafkajs() {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'bench', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const messages = payloads.map((value) => ({ value, partition: 0 }));
  return {
    async one() {
      const txn = await producer.transaction();
      await txn.send({ topic: KAFKA_TOPIC, messages });
      await txn.commit();
    },
    close: () => producer.disconnect(),
  };
}

async function nodeRdkafka() {
  const Kafka = require('node-rdkafka');
  const producer = new Kafka.Producer({ 'metadata.broker.list': KAFKA_BROKERS, 'transactional.id': id, dr_cb: false });
  const call = (method, ...args) => new Promise((resolve, reject) => producer[method](...args, (err) => (err ? reject(err) : resolve())));
  await new Promise((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  producer.setPollInterval(10);
  await call('initTransactions', 30000);
  const buffers = payloads.map((p) => Buffer.from(p));
  return {
    async one() {
      await call('beginTransaction');
      for (const b of buffers) producer.produce(KAFKA_TOPIC, 0, b);
      await call('commitTransaction', 30000);
    },
    close: () => new Promise((resolve) => producer.disconnect(resolve)),
  };
}

(async () => {
  const client = await { 'kafka-native': kafkaNative, kafkajs, 'node-rdkafka': nodeRdkafka }[CLIENT]();
  await client.one(); // the first transaction registers partitions and connects: not timed
  const started = process.hrtime.bigint();
  for (let i = 0; i < TRANSACTIONS; i++) await client.one();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await client.close();
  console.log(JSON.stringify({ seconds }));
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
