// Compiled with tsc --noEmit --strict by test/types.test.js: typical KafkaJS code, as written
// against KafkaJS's own types, with only the require line changed.
import {
  Kafka, logLevel, CompressionTypes, Partitioners, KafkaJSError, KafkaJSProtocolError,
  EachMessagePayload, EachBatchPayload, RecordMetadata, LogEntry, Producer, Consumer, Admin,
} from '../../js/kafkajs/index.js';

const logCreator = (level: logLevel) => ({ namespace, label, log }: LogEntry) => {
  console.log(level, namespace, label, log.message);
};

const kafka = new Kafka({
  clientId: 'orders',
  brokers: async () => ['localhost:9092'],
  ssl: { rejectUnauthorized: false },
  sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
  connectionTimeout: 3000,
  requestTimeout: 25000,
  retry: { initialRetryTime: 100, retries: 8 },
  logLevel: logLevel.ERROR,
  logCreator,
});

async function produce(producer: Producer): Promise<RecordMetadata[]> {
  await producer.connect();
  const sent = await producer.send({
    topic: 'orders',
    compression: CompressionTypes.GZIP,
    acks: -1,
    messages: [
      { key: 'o-1', value: JSON.stringify({ total: 10 }), headers: { 'trace-id': 'abc' } },
      { value: Buffer.from('raw'), partition: 2, timestamp: Date.now().toString() },
      { key: 'tombstone', value: null },
    ],
  });
  const batch = await producer.sendBatch({ topicMessages: [{ topic: 'audit', messages: [{ value: 'x' }] }] });
  const transaction = await producer.transaction();
  try {
    await transaction.send({ topic: 'orders', messages: [{ value: 'in txn' }] });
    await transaction.sendOffsets({ consumerGroupId: 'billing', topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '42' }] }] });
    await transaction.commit();
  } catch (e) {
    await transaction.abort();
  }
  producer.on(producer.events.CONNECT, (event) => console.log(event.timestamp));
  await producer.disconnect();
  return [...sent, ...batch];
}

async function consume(consumer: Consumer): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topics: ['orders', /audit-.*/], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachMessage: async ({ topic, partition, message, heartbeat, pause }: EachMessagePayload) => {
      const value: string | undefined = message.value?.toString();
      const offset: string = message.offset;
      if (!value) {
        const resume = pause();
        setTimeout(resume, 1000);
        throw new Error(`no value at ${topic}/${partition}@${offset}`);
      }
      await heartbeat();
    },
  });
  consumer.pause([{ topic: 'orders', partitions: [0] }]);
  consumer.resume([{ topic: 'orders' }]);
  const paused: Array<{ topic: string; partitions: number[] }> = consumer.paused();
  console.log(paused);
  await consumer.stop();
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        resolveOffset(message.offset);
        await heartbeat();
      }
      console.log(batch.highWatermark, batch.offsetLag());
    },
  });
  await consumer.disconnect();
}

async function administer(admin: Admin): Promise<void> {
  await admin.connect();
  const created: boolean = await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 6, replicationFactor: 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
  const topics: string[] = await admin.listTopics();
  const offsets = await admin.fetchTopicOffsets('orders');
  const high: string = offsets[0].high;
  const group = await admin.fetchOffsets({ groupId: 'billing', topics: ['orders'] });
  console.log(created, topics, high, group[0].partitions[0].offset);
  await admin.disconnect();
}

async function main(): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, transactionalId: 'orders-tx' });
  const consumer = kafka.consumer({ groupId: 'billing', sessionTimeout: 30000 });
  try {
    await produce(producer);
    await consume(consumer);
    await administer(kafka.admin());
  } catch (e) {
    if (e instanceof KafkaJSProtocolError) console.error(e.type, e.code, e.retriable);
    else if (e instanceof KafkaJSError) console.error(e.name, e.retriable);
    throw e;
  }
}

main().catch(() => process.exit(1));
