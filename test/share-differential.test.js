'use strict';
// The share differential suite: each scenario is played by Apache Kafka's own Java
// KafkaShareConsumer (test/kafka/ShareScenario.java, run from source with the Kafka jars the test
// cluster runs on) and by kafka-native's ShareConsumer, each on a topic and share group of its
// own on the same Apache Kafka, and what each was handed must be the same: releases, rejects,
// renewals, a lock running out, record_limit batch sizes, acknowledgement outcomes. On Apache
// Kafka only.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');
const kafka = require('..');
const { waitFor, quietLogger } = require('./helpers');

const onKafka = process.env.KAFKA_TEST_BROKER === 'kafka';
const broker = process.env.KAFKA_BROKERS;
const skip = !onKafka && 'share groups are tested on Apache Kafka (KAFKA_TEST_BROKER=kafka)';
const WAIT = 90000;
let serial = 0;

let admin;
after(() => admin?.stop());

// A topic of one partition and a share group reading it from the start, the group's lock 2 s.
async function topicAndGroup(base) {
  admin ??= new kafka.Admin({ broker, logger: quietLogger() });
  const topic = `share-diff-${base}-${process.pid}-${serial++}`;
  await admin.createTopics([{ topic, partitions: 1, replication_factor: 1 }]);
  const groupId = `${topic}-group`;
  await admin.setConfigs([{ kind: 'group', name: groupId, config: { 'share.auto.offset.reset': 'earliest', 'share.record.lock.duration.ms': 2000 } }]);
  return { topic, groupId };
}

// `payloads` written one record batch each, or (`together`) in one.
async function produce(topic, payloads, { together = false } = {}) {
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  if (together) await producer.deliver(topic, 0, payloads);
  else for (const payload of payloads) await producer.deliver(topic, 0, [payload]);
  await producer.stop();
}

const jobs = (n) => Array.from({ length: n }, (_, i) => `job-${i}`);

// What Kafka's Java client was handed playing `scenario`: [{member, payload, delivery, batch}].
async function java(scenario, records, options) {
  const { topic, groupId } = await topicAndGroup(`java-${scenario}`);
  await produce(topic, records, options);
  const { libsDir } = require('../js/dev-cluster/install.js');
  const program = path.join(__dirname, 'kafka', 'ShareScenario.java');
  const out = await new Promise((resolve, reject) => {
    execFile('java', ['-Xmx256m', '-cp', path.join(libsDir(), '*'), program, broker, scenario, topic, groupId], { timeout: WAIT, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      err ? reject(new Error(`ShareScenario.java ${scenario}: ${err.message} ${stderr.slice(-2000)}`)) : resolve(stdout),
    );
  });
  const lines = out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => l.done), `ShareScenario.java ${scenario} did not finish: ${out}`);
  return lines.filter((l) => !l.done);
}

// The records handed (of a java() answer) and the acknowledgement outcomes told.
function handedAndTold(lines) {
  return { handed: lines.filter((l) => l.payload !== undefined), told: lines.filter((l) => l.outcome !== undefined) };
}

// A ShareConsumer member of `groupId` noting what it is handed in `handed` (as `member`'s); its
// `receive_callback` body for each record is `act(message, handedSoFar)`.
function ours(t, { topic, groupId }, handed, member, act, options = {}) {
  const consumer = new kafka.ShareConsumer({
    broker, group_id: groupId, topic, logger: quietLogger(), ...options,
    receive_callback: async ({ messages }) => {
      for (const m of messages) {
        handed.push({ member, payload: m.payload, delivery: m.delivery_count, batch: messages.length });
        await act(m);
      }
    },
  });
  t.after(() => consumer.stop());
  return consumer;
}

const deliveries = (handed) => handed.map((h) => `${h.payload}@${h.delivery}`).sort();

test('release: released on the first delivery, the record comes again with delivery count 2 (Java and kafka-native alike)', { skip }, async (t) => {
  const expected = await java('release', jobs(3));
  const group = await topicAndGroup('release');
  await produce(group.topic, jobs(3));
  const handed = [];
  const c = ours(t, group, handed, 0, (m) => (m.delivery_count === 1 ? m.release() : m.accept()));
  await c.start();
  await waitFor(() => `three accepted (${deliveries(handed)})`, () => handed.filter((h) => h.delivery === 2).length >= 3, WAIT);
  await c.stop();
  assert.deepEqual(deliveries(expected), ['job-0@1', 'job-0@2', 'job-1@1', 'job-1@2', 'job-2@1', 'job-2@2']);
  assert.deepEqual(deliveries(handed), deliveries(expected));
});

test('reject: a rejected record never comes again (Java and kafka-native alike)', { skip }, async (t) => {
  const expected = await java('reject', jobs(3));
  const group = await topicAndGroup('reject');
  await produce(group.topic, jobs(3));
  const handed = [];
  const c = ours(t, group, handed, 0, (m) => (m.payload === 'job-1' ? m.reject() : m.accept()));
  await c.start();
  await waitFor(() => `three (${deliveries(handed)})`, () => handed.length >= 3, WAIT);
  // A record written after them comes after anything delivered again would have (Java's side
  // polls on for 3 s instead).
  await produce(group.topic, ['marker']);
  await waitFor(() => `the marker (${deliveries(handed)})`, () => handed.some((h) => h.payload === 'marker'), WAIT);
  await c.stop();
  assert.deepEqual(deliveries(expected), ['job-0@1', 'job-1@1', 'job-2@1']);
  assert.deepEqual(deliveries(handed.filter((h) => h.payload !== 'marker')), deliveries(expected));
});

test('record_limit: twenty records written in one batch come in polls of at most max_records (5), each once (Java and kafka-native alike)', { skip }, async (t) => {
  const shape = (handed) => ({ records: handed.length, distinct: new Set(handed.map((h) => h.payload)).size, largestPoll: Math.max(...handed.map((h) => h.batch)) <= 5 ? 'at most 5' : 'over 5' });
  const expected = await java('record_limit', jobs(20), { together: true });
  const group = await topicAndGroup('limit');
  await produce(group.topic, jobs(20), { together: true });
  const handed = [];
  const c = ours(t, group, handed, 0, (m) => m.accept(), { max_records: 5, acquire_mode: 'record_limit' });
  await c.start();
  await waitFor(() => `twenty (${handed.length})`, () => handed.length >= 20, WAIT);
  await c.stop();
  assert.deepEqual(shape(expected), { records: 20, distinct: 20, largestPoll: 'at most 5' });
  assert.deepEqual(shape(handed), shape(expected));
});

test('renew: a job three locks long, renewed every second, is handed to one member once while another polls (Java and kafka-native alike)', { skip }, async (t) => {
  const shape = (handed) => ({ deliveries: deliveries(handed), members: new Set(handed.map((h) => h.member)).size });
  const expected = await java('renew', jobs(1));
  const group = await topicAndGroup('renew');
  await produce(group.topic, jobs(1));
  const handed = [];
  let done = false;
  const work = async (m) => {
    for (let second = 0; second < 6; second++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      m.renew();
    }
    m.accept();
    done = true;
  };
  const first = ours(t, group, handed, 0, work);
  const second = ours(t, group, handed, 1, work);
  await Promise.all([first.start(), second.start()]);
  await waitFor('the job done', () => done, WAIT);
  // As Java's side, which polls on for 2 s after the job is done: a record written now comes to
  // a member after anything delivered again would have.
  await produce(group.topic, ['marker']);
  await waitFor('the marker', () => handed.some((h) => h.payload === 'marker'), WAIT);
  await Promise.all([first.stop(), second.stop()]);
  assert.deepEqual(shape(expected), { deliveries: ['job-0@1'], members: 1 });
  assert.deepEqual(shape(handed.filter((h) => h.payload !== 'marker')), shape(expected));
});

test('lock expiry: a record held past its lock unacknowledged goes to another member with delivery count 2 (Java and kafka-native alike)', { skip }, async (t) => {
  const shape = (handed) => handed.map((h) => `${h.member}:${h.payload}@${h.delivery}`).sort();
  const expected = await java('lock_expiry', jobs(1));
  const group = await topicAndGroup('expiry');
  await produce(group.topic, jobs(1));
  const handed = [];
  // The first member holds its record, unacknowledged, until the second has it.
  const first = ours(t, group, handed, 0, () => waitFor('the second member handed it', () => handed.length >= 2, WAIT), { max_records: 1 });
  await first.start();
  await waitFor('the first member handed it', () => handed.length >= 1, WAIT);
  const second = ours(t, group, handed, 1, (m) => m.accept());
  await second.start();
  await waitFor(() => `the second member handed it (${shape(handed)})`, () => handed.length >= 2, WAIT);
  await Promise.all([first.stop(), second.stop()]);
  assert.deepEqual(shape(expected), ['0:job-0@1', '1:job-0@2']);
  assert.deepEqual(shape(handed), shape(expected));
  // The lock ran out in the first member's hands (its late accept counted so), not the second's.
  const expired = (c) => [c.stats().expired, c.stats().partitions.map((p) => p.expired)];
  assert.deepEqual([expired(first), expired(second)], [[1, [1]], [0, [0]]]);
});

test('acknowledgement outcomes: every accepted offset is told to the commit callback, without error (Java and kafka-native alike)', { skip }, async (t) => {
  const shape = ({ handed, told }) => ({ handed: deliveries(handed), told: told.flatMap((o) => o.offsets).sort((a, b) => a - b), errors: told.filter((o) => o.error).length });
  const fromJava = handedAndTold(await java('outcomes', jobs(3)));
  const expected = shape({ handed: fromJava.handed, told: fromJava.told.map((o) => ({ offsets: o.outcome, error: o.error })) });
  const group = await topicAndGroup('outcomes');
  await produce(group.topic, jobs(3));
  const handed = [];
  const told = [];
  const c = ours(t, group, handed, 0, (m) => m.accept(), { acknowledgement_commit_callback: (o) => told.push({ offsets: o.offsets, error: o.error }) });
  await c.start();
  await waitFor(() => `three offsets told (${JSON.stringify(told)})`, () => told.flatMap((o) => o.offsets).length >= 3, WAIT);
  await c.stop();
  assert.deepEqual(expected, { handed: ['job-0@1', 'job-1@1', 'job-2@1'], told: [0, 1, 2], errors: 0 });
  assert.deepEqual(shape({ handed, told }), expected);
});
