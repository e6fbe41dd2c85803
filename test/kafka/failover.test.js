'use strict';
// A broker dies under load, on a 3-node Apache Kafka cluster of this file's own: a topic with
// replication factor 3 and min.insync.replicas=2, an idempotent producer (acks all) and a group
// consumer running while one node is killed with SIGKILL and later restarted. Every message is
// consumed, the topic holds each exactly once (no retry wrote one twice), and the restarted node
// rejoins the cluster.
const test = require('node:test');
const assert = require('node:assert/strict');
const { startKafka } = require('../../js/dev-cluster/cluster.js');
const { kafka, waitFor, quietLogger } = require('../helpers');

const WIDE = 180000; // failover waits for the controller to fence the dead node (about 9 s)
const COUNT = 20000;
const BATCH = 250;
let cluster;

test.before(async () => { cluster = await startKafka({ nodes: 3 }); });
test.after(() => cluster?.stop());

const payload = (i) => `m${String(i).padStart(5, '0')}`;

// Every payload of every partition of `topic`, read from the beginning without a group.
async function readAll(topic, count) {
  const got = [];
  const consumer = new kafka.Consumer({
    broker: cluster.bootstrapServers, topic, offset_directory: null, start_offset: 'earliest', logger: quietLogger(),
    receive_callback: ({ messages }) => { got.push(...messages.map((m) => m.payload)); return Promise.resolve(); },
  });
  await consumer.start();
  await waitFor(`${count} messages read back`, () => got.length >= count, WIDE);
  await consumer.stop();
  return got;
}

test('kill -9 of a broker while an idempotent producer and a group consumer run: nothing lost, nothing written twice, and it rejoins', async () => {
  const topic = `failover-${process.pid}`;
  const admin = new kafka.Admin({ broker: cluster.bootstrapServers, logger: quietLogger() });
  await admin.createTopics([{ topic, partitions: 4, replication_factor: 3, config: { 'min.insync.replicas': 2 } }]);

  const consumed = new Set();
  const consumer = new kafka.Consumer({
    broker: cluster.bootstrapServers, topic, group_id: `failover-${process.pid}`, start_offset: 'earliest', logger: quietLogger(),
    driver_options: { 'session.timeout.ms': 10000, 'heartbeat.interval.ms': 1000 },
    receive_callback: ({ messages }) => { for (const m of messages) consumed.add(m.payload); return Promise.resolve(); },
  });
  await consumer.start();

  const producer = new kafka.Producer({
    broker: cluster.bootstrapServers, logger: quietLogger(), queue_buffering_max_ms: 5,
    driver_options: { 'enable.idempotence': 'true', acks: 'all', 'message.timeout.ms': 120000 },
  });
  const victim = 2;
  for (let at = 0; at < COUNT; at += BATCH) {
    if (at === COUNT / 4) await cluster.kill(victim);
    if (at === (3 * COUNT) / 4) await cluster.restart(victim); // resolves once it is back in the metadata
    const batch = Array.from({ length: BATCH }, (_, i) => payload(at + i));
    // Keyless records spread over the partitions, a deliver() per partition.
    await Promise.all([0, 1, 2, 3].map((p) => producer.deliver(topic, p, batch.filter((_, i) => i % 4 === p))));
  }
  await producer.stop();

  await waitFor('every message consumed by the group', () => consumed.size === COUNT, WIDE);
  await consumer.stop();
  for (let i = 0; i < COUNT; i++) assert.ok(consumed.has(payload(i)), `${payload(i)} was never consumed`);

  const written = await readAll(topic, COUNT);
  const counts = new Map();
  for (const p of written) counts.set(p, (counts.get(p) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'written more than once');
  assert.equal(counts.size, COUNT);

  // The restarted node serves again: a request to it alone is answered.
  const alone = new kafka.Producer({ broker: cluster.listeners.PLAINTEXT.split(',')[victim - 1], logger: quietLogger() });
  assert.equal(await alone.partition_count(topic), 4);
  await alone.stop();
});

test('a share group while a broker is killed (kill -9) and restarted: every record reaches a member, at least once', async () => {
  const topic = `share-failover-${process.pid}`;
  const group = `${topic}-group`;
  const count = 8000;
  const admin = new kafka.Admin({ broker: cluster.bootstrapServers, logger: quietLogger() });
  await admin.createTopics([{ topic, partitions: 4, replication_factor: 3, config: { 'min.insync.replicas': 2 } }]);
  await admin.setConfigs([{ kind: 'group', name: group, config: { 'share.auto.offset.reset': 'earliest' } }]);
  admin.stop();

  const deliveries = new Map(); // payload -> times handed to a member
  const members = [0, 1, 2].map(() => new kafka.ShareConsumer({
    broker: cluster.bootstrapServers, group_id: group, topic, logger: quietLogger(),
    receive_callback: async (messages) => { for (const m of messages) deliveries.set(m.payload, (deliveries.get(m.payload) ?? 0) + 1); },
  }));
  await Promise.all(members.map((m) => m.start()));

  const producer = new kafka.Producer({
    broker: cluster.bootstrapServers, logger: quietLogger(), queue_buffering_max_ms: 5,
    driver_options: { 'enable.idempotence': 'true', acks: 'all', 'message.timeout.ms': 120000 },
  });
  const victim = 3;
  for (let at = 0; at < count; at += BATCH) {
    if (at === count / 4) await cluster.kill(victim);
    if (at === (3 * count) / 4) await cluster.restart(victim);
    const batch = Array.from({ length: BATCH }, (_, i) => payload(at + i));
    await Promise.all([0, 1, 2, 3].map((p) => producer.deliver(topic, p, batch.filter((_, i) => i % 4 === p))));
  }
  await producer.stop();

  await waitFor(() => `every record handed to a member (${deliveries.size} of ${count})`, () => deliveries.size === count, WIDE);
  await Promise.all(members.map((m) => m.stop()));
  const missing = Array.from({ length: count }, (_, i) => payload(i)).filter((p) => !deliveries.has(p));
  assert.deepEqual(missing, [], 'never handed to a member');
});
