'use strict';
// One client of the transactions benchmark (bench/transactions.js), in its own process: CLIENT
// (kafka-native, kafkajs or node-rdkafka) sends TRANSACTIONS transactions of PER_TRANSACTION
// 100-byte messages to KAFKA_TOPIC's partition 0, each begun, sent, with OFFSETS=1 given a group
// offset (sendOffsetsToTransaction with a group id), and committed before the next; the first
// (which connects) not timed. Prints {seconds, commits, version} as one JSON line: commits, each
// commit call's milliseconds; version, the transaction protocol (kafka-native only). LINGER_MS:
// kafka-native's queue_buffering_max_ms (default its own, 250).
const { CLIENT, KAFKA_BROKERS, KAFKA_TOPIC } = process.env;
const TRANSACTIONS = Number(process.env.TRANSACTIONS);
const PER = Number(process.env.PER_TRANSACTION);
const OFFSETS = process.env.OFFSETS === '1';
const payloads = Array.from({ length: PER }, (_, i) => String(i).padStart(8, '0').padEnd(100, 'x'));
const id = `bench-txn-${CLIENT}-${process.pid}`;
const group = `${id}-group`;

async function kafkaNative() {
  const { Producer } = require('../../..');
  const producer = new Producer({ broker: KAFKA_BROKERS, transactional_id: id, queue_buffering_max_ms: process.env.LINGER_MS ? Number(process.env.LINGER_MS) : undefined, logger: { error: console.error, warn() {}, info() {}, debug() {} } });
  await producer.initTransactions();
  return {
    version: producer.transactionVersion(),
    async one(i) {
      producer.beginTransaction();
      producer.send(KAFKA_TOPIC, 0, payloads);
      if (OFFSETS) await producer.sendOffsetsToTransaction(group, [{ topic: KAFKA_TOPIC, partition: 0, offset: i + 2 }]);
      const started = process.hrtime.bigint();
      await producer.commitTransaction();
      return Number(process.hrtime.bigint() - started) / 1e6;
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
    async one(i) {
      const txn = await producer.transaction();
      await txn.send({ topic: KAFKA_TOPIC, messages });
      if (OFFSETS) await txn.sendOffsets({ consumerGroupId: group, topics: [{ topic: KAFKA_TOPIC, partitions: [{ partition: 0, offset: String(i + 2) }] }] });
      const started = process.hrtime.bigint();
      await txn.commit();
      return Number(process.hrtime.bigint() - started) / 1e6;
    },
    close: () => producer.disconnect(),
  };
}

async function nodeRdkafka() {
  if (OFFSETS) throw new Error('node-rdkafka sends offsets to a transaction from a consumer only');
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
      const started = process.hrtime.bigint();
      await call('commitTransaction', 30000);
      return Number(process.hrtime.bigint() - started) / 1e6;
    },
    close: () => new Promise((resolve) => producer.disconnect(resolve)),
  };
}

(async () => {
  const client = await { 'kafka-native': kafkaNative, kafkajs, 'node-rdkafka': nodeRdkafka }[CLIENT]();
  await client.one(-1); // the first transaction registers partitions and connects: not timed
  const commits = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < TRANSACTIONS; i++) commits.push(await client.one(i));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await client.close();
  console.log(JSON.stringify({ seconds, commits, version: client.version ?? null }));
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
