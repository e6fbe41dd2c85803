'use strict';
// A group consumer regains its partitions as soon as its broker is back, on a 1-node Apache
// Kafka of this file's own: the node stops for longer than the member's session, so the member
// gives its partitions up as lost and joins again. The restarted coordinator has loaded the group
// with the member in it; joining under a new id made it wait out the old id's session (45 s by
// default) before the consumer read again. It now joins under its own id (patch 0017 of
// deps/librdkafka-patches) and is taken back at once. Meanwhile health() and the log say the
// broker is down, once, and back, once. A frozen node (SIGSTOP) is down too once its requests
// have waited socket.timeout.ms, though its connection stays up.
const test = require('node:test');
const assert = require('node:assert/strict');
const { startKafka } = require('../../js/dev-cluster/cluster.js');
const { wide, kafka, waitFor, quietLogger } = require('../helpers');

const WIDE = wide(120000); // a node's start on a loaded 2-core machine
let cluster;

test.before(async () => { cluster = await startKafka({ nodes: 1 }); });
test.after(() => cluster?.stop());

async function members(group) {
  const admin = new kafka.Admin({ broker: cluster.bootstrapServers, logger: quietLogger() });
  try {
    const [described] = await admin.describeGroups([group]);
    return described.members.map((m) => m.member_id);
  } finally {
    await admin.stop();
  }
}

test('a member whose session timed out while its broker was down is taken back under its own id once the broker is up', async (t) => {
  const topic = `regain-${process.pid}`;
  const group = `regain-${process.pid}`;
  const broker = cluster.bootstrapServers;
  const admin = new kafka.Admin({ broker, logger: quietLogger() });
  await admin.createTopics([{ topic, partitions: 2, replication_factor: 1 }]);
  await admin.stop();

  const warnings = [];
  const infos = [];
  const consumed = new Set();
  const consumer = new kafka.Consumer({
    broker, topic, group_id: group, start_offset: 'earliest', offset_directory: null,
    statistics_interval_ms: 500,
    logger: { ...quietLogger(), warn: (m) => warnings.push(m), info: (m) => infos.push(m) },
    // A session the outage outlasts; reconnecting within a second of the broker's return.
    driver_options: { 'session.timeout.ms': 10000, 'heartbeat.interval.ms': 1000, 'reconnect.backoff.max.ms': 1000 },
    receive_callback: ({ messages }) => { for (const m of messages) consumed.add(m.payload); return Promise.resolve(); },
  });
  const producer = new kafka.Producer({ broker, logger: quietLogger(), driver_options: { 'message.timeout.ms': WIDE } });
  try {
    await consumer.start();
    await producer.deliver(topic, -1, Array.from({ length: 10 }, (_, i) => `before ${i}`));
    await waitFor('the first ten', () => consumed.size === 10, WIDE);
    const before = await members(group);
    assert.equal(before.length, 1);

    assert.equal(consumer.health().status, 'ok', consumer.health().reasons.join('; '));

    await cluster.down(1);
    await waitFor('the member\'s session to time out', () => warnings.some((w) => /Consumer group session timed out/.test(w)), WIDE);
    const down = consumer.health();
    assert.equal(down.status, 'degraded');
    assert.equal(down.brokers[0].down, true, JSON.stringify(down.brokers));
    assert.ok(down.brokers[0].down_since instanceof Date);
    assert.match(down.reasons[0], /^broker 127\.0\.0\.1:\d+ \(id 1\) is down/);
    await cluster.up(1);
    const back = Date.now();
    await producer.deliver(topic, -1, Array.from({ length: 10 }, (_, i) => `after ${i}`));
    await waitFor('the ten sent after the restart', () => consumed.size === 20, WIDE);
    t.diagnostic(`read again ${Date.now() - back} ms after the node was back`);
    assert.deepEqual(await members(group), before, 'the same member, not a new one that waited for the old one to expire');
    await waitFor('health() to be ok again', () => consumer.health().status === 'ok', WIDE);
    // Said once each, however long the outage and however many reconnections failed.
    assert.equal(warnings.filter((w) => /broker 127\.0\.0\.1:\d+ \(id 1\) is down/.test(w)).length, 1, warnings.join('\n'));
    assert.equal(infos.filter((m) => /broker 127\.0\.0\.1:\d+ \(id 1\) is back after/.test(m)).length, 1, infos.join('\n'));
  } finally {
    await producer.stop().catch(() => {});
    await consumer.stop();
  }
});

test('a frozen broker (SIGSTOP) is down once its requests have waited socket.timeout.ms, and back when it answers', async () => {
  const topic = `frozen-${process.pid}`;
  const broker = cluster.bootstrapServers;
  const admin = new kafka.Admin({ broker, logger: quietLogger() });
  await admin.createTopics([{ topic, partitions: 1, replication_factor: 1 }]);
  await admin.stop();
  const warnings = [];
  const infos = [];
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: null, statistics_interval_ms: 500,
    logger: { ...quietLogger(), warn: (m) => warnings.push(m), info: (m) => infos.push(m) },
    driver_options: { 'socket.timeout.ms': 4000 },
    receive_callback: async () => {},
  });
  const [{ pid }] = cluster.status();
  try {
    await consumer.start();
    await waitFor('the broker in health()', () => consumer.health().brokers[0]?.connection === 'UP', WIDE);
    process.kill(pid, 'SIGSTOP');
    try {
      await waitFor('health() to say the frozen broker is down', () => consumer.health().brokers[0]?.down, WIDE);
      assert.equal(consumer.health().status, 'degraded');
      const said = warnings.filter((w) => /broker 127\.0\.0\.1:\d+ \(id 1\) is down/.test(w));
      assert.equal(said.length, 1, warnings.join('\n'));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor('health() to be ok again', () => consumer.health().status === 'ok', WIDE);
    assert.equal(infos.filter((m) => /broker 127\.0\.0\.1:\d+ \(id 1\) is back after/.test(m)).length, 1, infos.join('\n'));
  } finally {
    await consumer.stop();
  }
});
