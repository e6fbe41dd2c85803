'use strict';
// Consumer groups from JS: the brokers split the partitions, move them as members come and
// go, and keep the committed offsets. Runs on the MockCluster and on Apache Kafka; members use
// a 6 s session, so one that leaves without a word is noticed soon.
const test = require('node:test');
const assert = require('node:assert/strict');
const { kafka, testCluster, produce, waitFor, quietLogger } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
const SESSION = { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 };
const JOIN_MS = 90000;

function member(topic, group_id, seen, extra = {}) {
  return new kafka.Consumer({
    broker, topic, group_id, logger: quietLogger(), driver_options: SESSION, ...extra,
    receive_callback: (d) => { for (const m of d.messages) seen.push(m); },
  });
}

const key = (m) => `${m.topic}/${m.partition}/${m.offset}`;

test('two members split a topic 2/2, tell their rebalances, and get every message once', async () => {
  const topic = 'group-split';
  await cluster.createTopic(topic, 4);
  for (let p = 0; p < 4; p++) await produce(broker, topic, p, Array.from({ length: 50 }, (_, i) => `${p}-${i}`));
  const seen = [];
  const changes = [];
  const group = `split-${process.pid}`;
  const a = member(topic, group, seen, { rebalance_callback: (c) => changes.push(c) });
  const b = member(topic, group, seen);
  const first = await a.start();
  assert.ok(Array.isArray(first) && first.every((tp) => tp.topic === topic && Number.isInteger(tp.partition)), JSON.stringify(first));
  await b.start();
  await waitFor('a 2/2 split', () => a.assignment().length === 2 && b.assignment().length === 2, JOIN_MS);
  await waitFor('200 messages', () => new Set(seen.map(key)).size === 200, JOIN_MS);
  await a.stop();
  // b stops once the rebalance a's leaving started is over: brokers refuse commits while a
  // group syncs, and a revocation waits only 2 s for its commit.
  await waitFor('b to take over', () => b.assignment().length === 4, JOIN_MS);
  await b.stop();
  assert.equal(seen.length, 200, 'a message came twice');
  assert.deepEqual(changes[0].revoked, []);
  assert.ok(changes.some((c) => c.revoked.length > 0), JSON.stringify(changes));
  assert.ok(changes.every((c) => Array.isArray(c.assigned) && Array.isArray(c.revoked)));
});

test('a member reads several topics, each message naming its own, and commits each partition', async () => {
  const topics = ['group-many-a', 'group-many-b'];
  for (const t of topics) await cluster.createTopic(t, 2);
  // Written before the member starts, so that its batches hold runs of several partitions
  // and topics one after another.
  for (const t of topics) for (let p = 0; p < 2; p++) await produce(broker, t, p, Array.from({ length: 20 + p }, (_, i) => `${t}/${p}/${i}`));
  const seen = [];
  const group = `many-${process.pid}`;
  const c = member(topics, group, seen);
  const assigned = await c.start();
  assert.deepEqual(assigned.map((tp) => `${tp.topic}/${tp.partition}`).sort(), ['group-many-a/0', 'group-many-a/1', 'group-many-b/0', 'group-many-b/1']);
  await waitFor('all 82 messages', () => seen.length === 82, JOIN_MS);
  await c.stop();
  for (const m of seen) assert.equal(m.payload, `${m.topic}/${m.partition}/${m.offset}`);
  const admin = new kafka.Admin({ broker, logger: quietLogger() });
  try {
    const committed = (await admin.groupOffsets(group)).map((o) => `${o.topic}/${o.partition}@${o.committed}`).sort();
    assert.deepEqual(committed, ['group-many-a/0@20', 'group-many-a/1@21', 'group-many-b/0@20', 'group-many-b/1@21']);
  } finally {
    await admin.stop();
  }
});

test('a restarted member resumes after what it settled, not from start_offset', async () => {
  const topic = 'group-resume';
  await cluster.createTopic(topic, 1);
  const group = `resume-${process.pid}`;
  await produce(broker, topic, 0, ['a', 'b', 'c']);
  const first = [];
  const c1 = member(topic, group, first);
  await c1.start();
  await waitFor('3 messages', () => first.length === 3, JOIN_MS);
  await c1.stop();
  await produce(broker, topic, 0, ['d', 'e']);
  const second = [];
  const c2 = member(topic, group, second, { start_offset: 'earliest' });
  await c2.start();
  await waitFor('the 2 new messages', () => second.length >= 2, JOIN_MS);
  await c2.stop();
  assert.deepEqual(second.map((m) => [m.offset, m.payload]), [[3, 'd'], [4, 'e']]);
});
