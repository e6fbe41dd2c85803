// Compiled with tsc --noEmit by test/types.test.js: the shipped types must accept real usage
// and reject misuse (the @ts-expect-error lines).
import { Producer, Consumer, ShareConsumer, ShareBatch, ShareStats, ShareCounts, BatchReaders, Admin, MockCluster, ReceivedBatch, RebalanceChange, TopicPartition, collectMetrics } from '../../js/index.js';
import { Registry } from 'prom-client';
import { metrics } from '@opentelemetry/api';

const cluster = new MockCluster(1);
cluster.createTopic('typed', 4, 1);
const leader: number | null = cluster.partitionLeader('typed', 0);
const producer = new Producer({ broker: cluster.bootstrapServers, driver_options: { 'linger.ms': 5 } });
new Producer({ broker: 'b', compression_codec: 'zstd', driver_options: { 'security.protocol': 'ssl', 'ssl.ca.location': 'probe' } });
new Producer({ broker: 'b', oauthbearer_token_callback: async (config: string) => ({ token: config, lifetime_ms: Date.now() + 60000, principal: 'p' }) });
// @ts-expect-error: lifetime_ms is a number (ms since the epoch)
new Producer({ broker: 'b', oauthbearer_token_callback: () => ({ token: 't', lifetime_ms: '1h', principal: 'p' }) });
cluster.setBrokerAddress(1, '127.0.0.1', cluster.brokerPort(1));
// @ts-expect-error: not a codec
new Producer({ broker: 'b', compression_codec: 'brotli' });
const result: { enqueued: number; send_queue_length: number } = producer.send('typed', 0, ['a', Buffer.from('b')]);
producer.send('typed', 1, [{ payload: 'v', key: 'k', headers: { trace: Buffer.from('t') } }, { key: 'gone', payload: null }]);
const count: Promise<number> = producer.partition_count('typed');
const landed: Promise<Array<{ partition: number; offset: number }>> = producer.deliver('typed', -1, ['a', { payload: 'b', key: 'k' }]);
const consumer = new Consumer({
  broker: cluster.bootstrapServers,
  topic: 'typed',
  receive_callback: async (batch: ReceivedBatch) => {
    for (const m of batch.messages) console.log(m.partition, m.offset, m.payload, m.key, m.headers?.trace);
  },
  stats_callback: (s) => console.log(s.waiting_kafka, s.waiting_local, s.kafka_log_size),
});
const live = new Consumer({
  broker: cluster.bootstrapServers, topic: 'typed', offset_directory: null, start_offset: 'latest', fetch_wait_max_ms: 5,
  receive_callback: () => undefined,
});
new Consumer({ broker: 'x', topic: 'y', start_offset: 42, receive_callback: () => undefined });
const partitions: Promise<number[] | TopicPartition[]> = consumer.start();
void live;
const grouped = new Consumer({
  broker: cluster.bootstrapServers, topic: ['a', 'b'], group_id: 'g', group_protocol: 'consumer',
  rebalance_callback: (c: RebalanceChange) => console.log(c.assigned.length, c.revoked.length),
  receive_callback: () => undefined,
});
const now: TopicPartition[] = grouped.assignment();
const health = grouped.health();
const stuck: boolean = health.status === 'degraded' && health.partitions.some((p) => p.stuck);
const brokersDown: Array<Date | null> = producer.health().brokers.filter((b) => b.down).map((b) => b.down_since);
void stuck; void brokersDown; void health.group?.join_state;
new Consumer({ broker: 'x', topic: 'y', stuck_after_ms: 0, receive_callback: () => undefined });
const admin = new Admin({ broker: cluster.bootstrapServers, request_timeout_ms: 5000 });
void admin.createTopics([{ topic: 't', partitions: 6, replication_factor: 1, config: { 'retention.ms': 60000 } }]);
void admin.groupOffsets('g').then((offsets) => offsets.map((o) => o.lag));
void now;
void producer.stop({ timeout: 1000 });
void consumer.stop();
void result; void count; void partitions;

// @ts-expect-error broker is required
new Producer({});
// @ts-expect-error payloads must be strings, Buffers or records
producer.send('typed', 0, [1, 2]);
// @ts-expect-error a record's headers hold strings or Buffers
producer.send('typed', 0, [{ payload: 'v', headers: { n: 1 } }]);
// Without receive_callback: read with for await, or as a ReadableStream.
async function iterateAndAdmin(): Promise<void> {
  const reader = new Consumer({ broker: 'x', topic: 'y', group_id: 'g' });
  const controller = new AbortController();
  for await (const batch of reader.batches({ signal: controller.signal })) {
    const first: number = batch.messages[0].offset;
    void first;
    // The batch's trace span, active for what the loop body runs inside it.
    const handled: number = await batch.withContext(async () => batch.messages.length);
    void handled;
  }
  for await (const message of reader.messages()) {
    const payload: string | Buffer | null = message.payload;
    void payload;
  }
  const stream: ReadableStream<ReceivedBatch> = reader.readable();
  void stream;
  const admin = new Admin({ broker: 'x' });
  const { controller: id, brokers } = await admin.describeCluster();
  void id; void brokers;
  const [group] = await admin.describeGroups(['g']);
  const assigned: number = group.members[0].assignment[0].partition;
  void assigned;
  const [topicConfig] = await admin.describeConfigs([{ kind: 'topic', name: 'y' }]);
  const value: string | null = topicConfig.entries[0].value;
  void value;
  await admin.setConfigs([{ kind: 'topic', name: 'y', config: { 'retention.ms': 60000 } }]);
  const low = await admin.deleteRecords([{ topic: 'y', partition: 0, offset: -1 }]);
  void low;
  const atTime = await admin.offsetsAtTime('y', new Date());
  const offset: number | null = atTime[0].offset;
  void offset;
  // @ts-expect-error a config resource is a topic, a broker or a group
  await admin.describeConfigs([{ kind: 'cluster', name: 'g' }]);
  const [share] = await admin.shareGroupOffsets('jobs');
  const lag: number | null = share.lag;
  void [lag, share.start_offset, share.leader_epoch];
  await admin.setShareGroupOffsets('jobs', [{ topic: 'y', partition: 0, offset: 'earliest' }, { topic: 'y', partition: 1, offset: 7 }]);
  // @ts-expect-error a share group starts at an offset, 'earliest' or 'latest'
  await admin.setShareGroupOffsets('jobs', [{ topic: 'y', partition: 0, offset: 'soon' }]);
  await admin.deleteShareGroupOffsets('jobs', ['y']);
}
void iterateAndAdmin;
// @ts-expect-error start_offset is 'earliest', 'latest' or a number
new Consumer({ broker: 'x', topic: 'y', start_offset: 'middle', receive_callback: () => undefined });
// @ts-expect-error group_protocol is 'classic' or 'consumer'
new Consumer({ broker: 'x', topic: 'y', group_id: 'g', group_protocol: 'eager', receive_callback: () => undefined });

// Observability: prom-client's Registry and an OpenTelemetry Meter type-check as they are.
async function observe(): Promise<void> {
  const producer = new Producer({ broker: 'x' });
  collectMetrics(producer, { registry: new Registry(), name: 'orders' });
  const consumer = new Consumer({ broker: 'x', topic: 'y', group_id: 'g' });
  collectMetrics(consumer, { meter: metrics.getMeter('app') });
  const [first] = await consumer.lag({ timeout: 1000 });
  const behind: number | null = first.lag;
  void behind;
}
void observe;

// A ShareConsumer hands over the Consumer's shape, {messages}, and is read the same ways.
async function share(): Promise<void> {
  new ShareConsumer({
    broker: 'x', group_id: 'g', topic: 'jobs',
    receive_callback: async ({ messages }: ShareBatch) => { for (const m of messages) if (m.delivery_count > 2) m.reject(); },
  });
  // @ts-expect-error receive_callback takes {messages}, not the array
  new ShareConsumer({ broker: 'x', group_id: 'g', topic: 'jobs', receive_callback: (messages: unknown[]) => messages.length });
  const reader = new ShareConsumer({ broker: 'x', group_id: 'g', topic: 'jobs', payload_encoding: 'buffer' });
  for await (const { messages } of reader.batches()) for (const m of messages) m.accept();
  for await (const message of reader.messages()) { const bytes: Buffer | null = message.payload; void bytes; }
  const stream: ReadableStream<ShareBatch<Buffer>> = reader.readable();
  void stream;
  // The readers are one type: one function drains either consumer.
  const drain = async (readers: BatchReaders<{ messages: unknown[] }, unknown>): Promise<number> => {
    let n = 0;
    for await (const { messages } of readers.batches()) n += messages.length;
    return n;
  };
  await drain(reader);
  await drain(new Consumer({ broker: 'x', topic: 't' }));
  const { acquired, redelivered, failed, expired, partitions }: ShareStats = reader.stats();
  const totals: ShareCounts = reader.stats();
  void [acquired, redelivered, failed, expired, partitions[0]?.expired, partitions[0]?.topic, totals.accepted];
}
void share;
