'use strict';
// The admin client, on the MockCluster and on tansu. The mock has no CreateTopics,
// DeleteTopics or ListGroups: those reject at once there, saying what to use.
const test = require('node:test');
const assert = require('node:assert/strict');
const { kafka, testCluster, waitFor, quietLogger } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
const onTansu = process.env.KAFKA_TEST_BROKER === 'tansu';

// One produce request per message: tansu 0.6's ListOffsets counts record batches.
async function produceOneByOne(topic, count) {
  const producer = new kafka.Producer({ broker, logger: quietLogger(), queue_buffering_max_ms: 0 });
  for (let i = 0; i < count; i++) {
    producer.send(topic, 0, [`m${i}`]);
    await producer.partition_count(topic); // a round trip, so each send is its own request
  }
  await producer.stop();
}

test('createTopics, listTopics and deleteTopics (or, on the mock, a quick refusal)', async () => {
  const admin = new kafka.Admin({ broker, logger: quietLogger() });
  const topic = `admin-created-${process.pid}`;
  const started = Date.now();
  if (!onTansu) {
    await assert.rejects(admin.createTopics([{ topic, partitions: 6 }]), /MockCluster cannot create topics: use MockCluster\.createTopic/);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    return;
  }
  await admin.createTopics([{ topic, partitions: 6, config: { 'retention.ms': 3600000 } }]);
  const listed = await admin.listTopics();
  assert.deepEqual(listed.find((t) => t.topic === topic), { topic, partitions: 6 });
  await assert.rejects(admin.createTopics([{ topic, partitions: 6 }]), new RegExp(`create topic "${topic}".*TOPIC_ALREADY_EXISTS`));
  await admin.deleteTopics([topic]);
  await waitFor('the topic to go', async () => !(await admin.listTopics()).some((t) => t.topic === topic));
});

test('watermarks after producing 100, and a group\'s offsets and lag after it read 60 of them', async () => {
  const topic = 'admin-lag';
  cluster.createTopic(topic, 1);
  await produceOneByOne(topic, 60);
  const group = `lag-${process.pid}`;
  let read = 0;
  const consumer = new kafka.Consumer({
    broker, topic, group_id: group, logger: quietLogger(), driver_options: { 'session.timeout.ms': 6000 },
    receive_callback: (d) => { read += d.messages.length; },
  });
  await consumer.start();
  await waitFor('60 messages', () => read === 60, 60000);
  await consumer.stop();
  await produceOneByOne(topic, 40);
  const admin = new kafka.Admin({ broker, logger: quietLogger() });
  assert.deepEqual(await admin.watermarks(topic, 0), { low: 0, high: 100 });
  assert.deepEqual(await admin.groupOffsets(group), [{ topic, partition: 0, committed: 60, high_watermark: 100, lag: 40 }]);
  if (onTansu) assert.ok((await admin.listGroups()).some((g) => g.group_id === group));
  else await assert.rejects(admin.listGroups(), /MockCluster cannot list groups/);
});

test('admin arguments are checked and name what is wrong', async () => {
  const admin = new kafka.Admin({ broker, logger: quietLogger() });
  assert.throws(() => new kafka.Admin({ brokers: 'x' }), /unknown Admin option brokers \(did you mean broker\?\)/);
  await assert.rejects(admin.createTopics('t'), /createTopics\(\) argument topics must be an array/);
  await assert.rejects(admin.createTopics([{ topic: 't', partitions: '6' }]), /topics\[0\]\.partitions must be an integer/);
  await assert.rejects(admin.createTopics([{ topic: 't', partitions: 1, replicas: 3 }]), /topics\[0\] has unknown key replicas/);
  await assert.rejects(admin.createTopics([{ topic: 'bad name', partitions: 1 }]), /topic may only hold/);
  await assert.rejects(admin.watermarks('t', -1), /watermarks\(\) argument partition/);
  await assert.rejects(admin.groupOffsets(7), /groupOffsets\(\) argument group_id must be a string/);
});
