'use strict';
// The admin client, on the MockCluster and on Apache Kafka. The mock has no CreateTopics,
// DeleteTopics, ListGroups, DescribeGroups, DescribeConfigs, AlterConfigs or DeleteRecords:
// those reject at once there, saying what to use.
const test = require('node:test');
const assert = require('node:assert/strict');
const { kafka, testCluster, produce, waitFor, quietLogger, silentBroker } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
const onKafka = process.env.KAFKA_TEST_BROKER === 'kafka';

const produceCount = (topic, count) => produce(broker, topic, 0, Array.from({ length: count }, (_, i) => `m${i}`));

test('createTopics, listTopics and deleteTopics (or, on the mock, a quick refusal)', async () => {
  const admin = new kafka.Admin({ broker, logger: quietLogger() });
  const topic = `admin-created-${process.pid}`;
  const started = Date.now();
  if (!onKafka) {
    await assert.rejects(admin.createTopics([{ topic, partitions: 6 }]), (err) => err.code === '_UNSUPPORTED_FEATURE' && /MockCluster cannot create topics: use MockCluster\.createTopic/.test(err.message));
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    return;
  }
  await admin.createTopics([{ topic, partitions: 6, config: { 'retention.ms': 3600000 } }]);
  const listed = await admin.listTopics();
  assert.deepEqual(listed.find((t) => t.topic === topic), { topic, partitions: 6 });
  await assert.rejects(admin.createTopics([{ topic, partitions: 6 }]), (err) => err.code === 'TOPIC_ALREADY_EXISTS' && err.message.includes(`create topic "${topic}"`));
  await admin.deleteTopics([topic]);
  await waitFor('the topic to go', async () => !(await admin.listTopics()).some((t) => t.topic === topic));
});

test('watermarks after producing 100, and a group\'s offsets and lag after it read 60 of them', async () => {
  const topic = 'admin-lag';
  await cluster.createTopic(topic, 1);
  await produceCount(topic, 60);
  const group = `lag-${process.pid}`;
  let read = 0;
  const consumer = new kafka.Consumer({
    broker, topic, group_id: group, logger: quietLogger(), driver_options: { 'session.timeout.ms': 6000 },
    receive_callback: (d) => { read += d.messages.length; },
  });
  await consumer.start();
  await waitFor('60 messages', () => read === 60, 60000);
  await consumer.stop();
  await produceCount(topic, 40);
  const admin = new kafka.Admin({ broker, logger: quietLogger() });
  assert.deepEqual(await admin.watermarks(topic, 0), { low: 0, high: 100 });
  assert.deepEqual(await admin.groupOffsets(group), [{ topic, partition: 0, committed: 60, high_watermark: 100, lag: 40 }]);
  if (onKafka) assert.ok((await admin.listGroups()).some((g) => g.group_id === group));
  else await assert.rejects(admin.listGroups(), /MockCluster cannot list groups/);
});

test('the cluster, a topic\'s placement, offsets by time, a group, configs and deleted records', async () => {
  const admin = new kafka.Admin({ broker, logger: quietLogger() });
  const topic = `admin-described-${process.pid}`;
  await cluster.createTopic(topic, 2);
  const { cluster_id, controller, brokers } = await admin.describeCluster();
  assert.equal(typeof cluster_id, 'string');
  assert.ok(brokers.some((b) => b.id === controller) && brokers.every((b) => typeof b.host === 'string' && b.port > 0), JSON.stringify(brokers));
  const [described] = await admin.describeTopics([topic]);
  assert.deepEqual(described.partitions.map((p) => [p.partition, p.replicas, p.in_sync_replicas, p.error]), [0, 1].map((p) => [p, [described.partitions[p].leader], [described.partitions[p].leader], null]));
  await assert.rejects(admin.describeTopics([`${topic}-missing`]), (err) => err.code === 'UNKNOWN_TOPIC_OR_PART' && err.message.includes(`"${topic}-missing"`));
  await produceCount(topic, 3);
  const future = new Date(Date.now() + 3600000);
  assert.deepEqual(await admin.offsetsAtTime(topic, future), [{ partition: 0, offset: null }, { partition: 1, offset: null }]);
  if (onKafka) assert.deepEqual(await admin.offsetsAtTime(topic, 0), [{ partition: 0, offset: 0 }, { partition: 1, offset: null }]);
  const resource = { kind: 'topic', name: topic };
  if (!onKafka) {
    for (const call of [admin.describeGroups(['g']), admin.describeConfigs([resource]), admin.setConfigs([{ ...resource, config: { 'retention.ms': 1 } }]), admin.deleteRecords([{ topic, partition: 0, offset: -1 }])]) {
      await assert.rejects(call, (err) => err.code === '_UNSUPPORTED_FEATURE' && /MockCluster/.test(err.message));
    }
    await admin.stop();
    return;
  }
  const [nobody] = await admin.describeGroups([`nobody-${process.pid}`]);
  assert.deepEqual([nobody.state, nobody.members], ['Dead', []]);
  const retention = async () => (await admin.describeConfigs([resource]))[0].entries.find((e) => e.name === 'retention.ms');
  assert.deepEqual(await retention().then(({ source, is_default }) => ({ source, is_default })), { source: 5, is_default: true });
  await admin.setConfigs([{ ...resource, config: { 'retention.ms': 3600000 } }]);
  // A broker applies an alteration once it has it from the controller: a moment later.
  await waitFor('retention.ms set', async () => (await retention()).value === '3600000');
  assert.equal((await retention()).source, 1);
  await admin.replaceConfigs([{ ...resource, config: { 'max.message.bytes': 300000 } }]);
  await waitFor('retention.ms back to its default', async () => (await retention()).is_default);
  assert.deepEqual(await admin.deleteRecords([{ topic, partition: 0, offset: 2 }]), [{ topic, partition: 0, offset: 2 }]);
  assert.deepEqual(await admin.watermarks(topic, 0), { low: 2, high: 3 });
  await admin.stop();
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
  // Refused before anything is sent (a broker answered a duplicate by failing and creating).
  await assert.rejects(admin.createTopics([{ topic: 'twice', partitions: 1 }, { topic: 'twice', partitions: 2 }]), (err) => err.code === '_INVALID_ARG' && /topics name "twice" more than once/.test(err.message));
  await assert.rejects(admin.deleteTopics(['twice', 'twice']), /topics name "twice" more than once/);
  await assert.rejects(admin.createTopics([{ topic: 'rf0', partitions: 1, replication_factor: 0 }]), /replication_factor of topic "rf0" must be at least 1/);
  await assert.rejects(admin.createTopics([{ topic: 'cfg', partitions: 1, config: { 'retention.ms': { hours: 1 } } }]), /topics\[0\]\.config\["retention\.ms"\] must be a string, number or boolean/);
  await assert.rejects(admin.describeTopics('t'), /describeTopics\(\) argument topics must be an array/);
  await assert.rejects(admin.offsetsAtTime('t', 'yesterday'), /offsetsAtTime\(\) argument timestamp must be milliseconds since the epoch or a Date/);
  await assert.rejects(admin.describeConfigs([{ kind: 'cluster', name: 'g' }]), /describeConfigs\(\) argument resources\[0\]\.kind must be 'topic', 'broker' or 'group'/);
  await assert.rejects(admin.describeConfigs([{ kind: 'broker', name: 'first' }]), (err) => err.code === '_INVALID_ARG' && /a broker is named by its id/.test(err.message));
  await assert.rejects(admin.setConfigs([{ kind: 'topic', name: 't', config: { a: {} } }]), /setConfigs\(\) argument changes\[0\]\.config\["a"\] must be a string, number or boolean/);
  await assert.rejects(admin.deleteRecords([{ topic: 't', partition: 0, offset: -2 }]), /offset for t\/0 must be 0 or more, or -1 for all/);
  await assert.rejects(admin.deleteRecords([{ topic: 't', partition: 0 }]), /deleteRecords\(\) argument before\[0\] must be \{topic, partition, offset\}/);
  await admin.stop();
});

// The threads of this process, from /proc.
const threads = () => require('node:fs').readdirSync('/proc/self/task').length;

test('stop(): later calls reject with code STOPPED and the client\'s threads go', async () => {
  const before = threads();
  const admins = Array.from({ length: 5 }, () => new kafka.Admin({ broker, logger: quietLogger() }));
  await Promise.all(admins.map((a) => a.listTopics()));
  assert.ok(threads() >= before + 10, `the admin clients run threads of their own: ${threads()} against ${before}`);
  await Promise.all(admins.map((a) => a.stop()));
  await assert.rejects(admins[0].listTopics(), (err) => err.code === 'STOPPED');
  await assert.rejects(admins[0].watermarks('t', 0), (err) => err.code === 'STOPPED');
  await admins[0].stop(); // idempotent
  // Five clients hold about 20 threads; a few more may appear meanwhile (libuv's pool of 4).
  await waitFor('the admin clients\' threads to go', () => threads() <= before + 4, 30000);
});

test('1,000 calls in flight on one client run on at most 16 threads, and each settles', async (t) => {
  const { broker: silent } = await silentBroker(t);
  const admin = new kafka.Admin({ broker: silent, request_timeout_ms: 100, logger: quietLogger() });
  const before = threads();
  let most = before;
  const sample = setInterval(() => { most = Math.max(most, threads()); }, 5);
  // Each waits out its 100 ms on the silent broker: with a thread per call, 1,000 at once.
  const results = await Promise.allSettled(Array.from({ length: 1000 }, () => admin.watermarks('silent', 0)));
  clearInterval(sample);
  // Each rejects with librdkafka's word for a broker that does not answer.
  const answered = (r) => r.status === 'rejected' && ['_TIMED_OUT', '_ALL_BROKERS_DOWN'].includes(r.reason.code);
  assert.ok(results.every(answered), JSON.stringify(results.find((r) => !answered(r))));
  // The client's 16 on the call pool, its own librdkafka threads and a few of Node's.
  assert.ok(most - before <= 16 + 16, `threads went from ${before} to ${most}`);
  await admin.stop();
});

test('a client\'s call does not wait behind other clients\' slow calls', async (t) => {
  const { broker: silent } = await silentBroker(t);
  const stuck = Array.from({ length: 5 }, () => new kafka.Admin({ broker: silent, request_timeout_ms: 5000, logger: quietLogger() }));
  const quick = new kafka.Admin({ broker, logger: quietLogger() });
  t.after(() => Promise.all([...stuck, quick].map((a) => a.stop())));
  // 80 slow calls, more than the 64 threads a shared pool once had, each holding its thread 5 s.
  let stuckSettled = 0;
  const slow = stuck.flatMap((admin) => Array.from({ length: 16 }, () => admin.watermarks('silent', 0).catch(() => {}).finally(() => { stuckSettled++; })));
  await quick.listTopics();
  assert.equal(stuckSettled, 0, 'the quick client answered only once slow calls had ended');
  await Promise.all(slow);
});
