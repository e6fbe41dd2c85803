'use strict';
// ShareConsumer (KIP-932 share groups) on Apache Kafka: npm test runs this file there only (the
// MockCluster's share groups are librdkafka's imitation, and a behaviour proven on it alone is
// not proven). Each test has a topic and a share group of its own, set to read from the earliest
// offset (a share group starts at the latest by default).
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { fork, execFile } = require('node:child_process');
const kafka = require('..');
const { waitFor, quietLogger } = require('./helpers');

const onKafka = process.env.KAFKA_TEST_BROKER === 'kafka';
const broker = process.env.KAFKA_BROKERS;
const skip = !onKafka && 'share groups are tested on Apache Kafka (KAFKA_TEST_BROKER=kafka)';
const WAIT = 90000;
let serial = 0;

let admin;
after(() => admin?.stop());

// A topic and a share group of their own; `group` settings go to the group's config.
async function topicAndGroup(base, group = {}) {
  admin ??= new kafka.Admin({ broker, logger: quietLogger() });
  const topic = `share-${base}-${process.pid}-${serial++}`;
  await admin.createTopics([{ topic, partitions: 1, replication_factor: 1 }]);
  const groupId = `${topic}-group`;
  await admin.setConfigs([{ kind: 'group', name: groupId, config: { 'share.auto.offset.reset': 'earliest', ...group } }]);
  return { topic, groupId };
}

// Each record on its own (a record batch each), so that the broker can hand them to different
// members.
async function produce(topic, payloads) {
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  for (const payload of payloads) await producer.deliver(topic, 0, [payload]);
  await producer.stop();
}

const jobs = (from, to) => Array.from({ length: to - from }, (_, i) => `job-${from + i}`);

// The records of `topic` as a reader from its start gets them (an array that fills); `options`
// for the reader (payload_encoding).
async function readerOf(t, topic, options = {}) {
  const read = [];
  const reader = new kafka.Consumer({
    broker, topic, offset_directory: null, start_offset: 'earliest', logger: quietLogger(), ...options,
    receive_callback: async ({ messages }) => { read.push(...messages); },
  });
  t.after(() => reader.stop());
  await reader.start();
  return read;
}

function member(t, options) {
  const consumer = new kafka.ShareConsumer({ broker, logger: quietLogger(), ...options });
  t.after(() => consumer.stop());
  return consumer;
}

test('three members share one partition: each gets records, together every record once', { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('three');
  const seen = [];
  const members = [0, 1, 2].map((m) => member(t, {
    group_id: groupId,
    topic,
    max_records: 5,
    receive_callback: async ({ messages }) => {
      for (const message of messages) seen.push({ m, payload: message.payload, count: message.delivery_count });
      await new Promise((resolve) => setTimeout(resolve, 100)); // slow work: the others fetch meanwhile
    },
  }));
  await Promise.all(members.map((c) => c.start()));
  await produce(topic, jobs(0, 150));
  await waitFor(() => `150 records (have ${seen.length})`, () => seen.length >= 150, WAIT);
  await Promise.all(members.map((c) => c.stop()));
  assert.deepEqual([...new Set(seen.map((s) => s.payload))].sort(), jobs(0, 150).sort());
  assert.equal(seen.length, 150, 'none twice');
  for (const m of [0, 1, 2]) assert.ok(seen.some((s) => s.m === m), `member ${m} got records`);
  assert.ok(seen.every((s) => s.count === 1));
});

test('a record comes whole: key, headers, non-ASCII and null payloads, timestamps, two topics; as text or Buffers', { skip }, async (t) => {
  const a = await topicAndGroup('fields');
  const b = `${a.topic}-b`;
  await admin.createTopics([{ topic: b, partitions: 1, replication_factor: 1 }]);
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  t.after(() => producer.stop());
  await producer.deliver(a.topic, 0, [
    { payload: 'plain', key: 'k1', headers: { trace: 'abc', tag: ['x', 'y'] } },
    { payload: 'grüße 🦀', key: 'ключ' },
    { payload: null, key: 'tombstone' },
  ]);
  await producer.deliver(b, 0, ['from b']);
  for (const payload_encoding of ['utf8', 'buffer']) {
    const got = [];
    const consumer = member(t, {
      group_id: `${a.groupId}-${payload_encoding}`,
      topic: [a.topic, b],
      payload_encoding,
      receive_callback: ({ messages }) => { got.push(...messages); },
    });
    await admin.setConfigs([{ kind: 'group', name: `${a.groupId}-${payload_encoding}`, config: { 'share.auto.offset.reset': 'earliest' } }]);
    await consumer.start();
    await waitFor(() => `4 records (${got.length})`, () => got.length >= 4, WAIT);
    await consumer.stop();
    const text = (v) => (v === null || v === undefined ? v : String(v));
    const byPayload = (p) => got.find((m) => text(m.payload) === p);
    const plain = byPayload('plain');
    assert.equal(text(plain.key), 'k1');
    assert.equal(String(plain.headers.trace), 'abc');
    assert.deepEqual(plain.headers.tag.map(String), ['x', 'y']);
    assert.equal(plain.topic, a.topic);
    assert.equal(plain.delivery_count, 1);
    assert.ok(plain.timestamp > Date.now() - 600_000 && plain.timestamp <= Date.now(), `timestamp ${plain.timestamp}`);
    assert.equal(text(byPayload('grüße 🦀').key), 'ключ');
    const tombstone = got.find((m) => m.payload === null);
    assert.equal(text(tombstone.key), 'tombstone');
    assert.equal(byPayload('from b').topic, b);
    assert.equal(byPayload('from b').key, undefined);
    if (payload_encoding === 'buffer') assert.ok(Buffer.isBuffer(plain.payload) && Buffer.isBuffer(plain.key));
    else assert.equal(typeof plain.payload, 'string');
  }
});

test('release() comes again with delivery_count 2, reject() never; a thrown callback releases its batch', { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('acks');
  await produce(topic, jobs(0, 3));
  const seen = [];
  let threw = false;
  const consumer = member(t, {
    group_id: groupId,
    topic,
    receive_callback: async ({ messages }) => {
      for (const m of messages) {
        seen.push(`${m.payload}@${m.delivery_count}`);
        if (m.payload === 'job-0' && m.delivery_count === 1) m.release();
        if (m.payload === 'job-1') m.reject();
      }
      if (!threw && messages.some((m) => m.payload === 'job-2')) {
        threw = true;
        throw new Error('job-2 failed once');
      }
    },
  });
  const prom = require('prom-client');
  const registry = new prom.Registry();
  kafka.collectMetrics(consumer, { registry, name: 'acks' });
  await consumer.start();
  await waitFor(() => `job-0 and job-2 again (${seen})`, () => seen.includes('job-0@2') && seen.includes('job-2@2'), WAIT);
  await produce(topic, jobs(3, 4));
  await waitFor(() => `job-3 (${seen})`, () => seen.includes('job-3@1'), WAIT);
  // The acknowledgements by type: job-0 released then accepted, job-1 rejected, job-2 released
  // (its call threw) then accepted, job-3 accepted. Read before stop(), which drops the
  // consumer from the registry; job-3's batch settles on the turn after its callback.
  const acks = async () => Object.fromEntries((await registry.getSingleMetric('kafka_native_share_acknowledgements_total').get()).values.map((v) => [v.labels.type, v.value]));
  await waitFor(async () => `three accepted (${JSON.stringify(await acks())})`, async () => (await acks()).accept === 3, WAIT);
  assert.deepEqual(await acks(), { accept: 3, release: 2, reject: 1, renew: 0 });
  const counted = async (name) => (await registry.getSingleMetric(`kafka_native_share_${name}`).get()).values[0].value;
  // Six deliveries (job-0 and job-2 twice), nothing refused.
  assert.deepEqual(
    [await counted('records_acquired_total'), await counted('records_redelivered_total'), await counted('acknowledgement_failures_total'), await counted('record_locks_expired_total')],
    [6, 2, 0, 0],
  );
  const counts = { acquired: 6, redelivered: 2, accepted: 3, released: 2, rejected: 1, renewed: 0, failed: 0, expired: 0 };
  assert.deepEqual(consumer.stats(), { ...counts, partitions: [{ topic, partition: 0, ...counts }] });
  await consumer.stop();
  assert.deepEqual(seen.filter((s) => s.startsWith('job-1')), ['job-1@1'], `rejected: never again (${seen})`);
  assert.deepEqual(seen.filter((s) => s.startsWith('job-0')), ['job-0@1', 'job-0@2']);
});

test('the broker\'s delivery-count limit (share.delivery.count.limit) archives a record released too often', { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('limit', { 'share.delivery.count.limit': 2 });
  await produce(topic, ['job-0']);
  const seen = [];
  const consumer = member(t, {
    group_id: groupId,
    topic,
    receive_callback: async ({ messages }) => {
      for (const m of messages) {
        seen.push(`${m.payload}@${m.delivery_count}`);
        if (m.payload === 'job-0') m.release(); // never done
      }
    },
  });
  await consumer.start();
  await waitFor(() => `job-0 twice (${seen})`, () => seen.includes('job-0@2'), WAIT);
  // A record released comes again at once; one archived never: job-1, written after, comes
  // while job-0 does not.
  await produce(topic, ['job-1']);
  await waitFor(() => `job-1 (${seen})`, () => seen.includes('job-1@1'), WAIT);
  await consumer.stop();
  assert.deepEqual(seen.filter((s) => s.startsWith('job-0')), ['job-0@1', 'job-0@2'], `archived after two deliveries (${seen})`);
});

test('max_deliveries with dead_letter_topic: the poison record goes there with its headers, the records after it are processed', { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('poison');
  const deadLetters = `${topic}-dlq`;
  await admin.createTopics([{ topic: deadLetters, partitions: 1, replication_factor: 1 }]);
  await produce(topic, ['poison', 'job-1', 'job-2']);
  const done = [];
  const consumer = member(t, {
    group_id: groupId,
    topic,
    max_deliveries: 2,
    dead_letter_topic: deadLetters,
    receive_callback: async ({ messages }) => {
      if (messages.some((m) => m.payload === 'poison')) throw new Error('cannot parse poison');
      for (const m of messages) done.push(m.payload);
    },
  });
  await consumer.start();
  const letters = await readerOf(t, deadLetters);
  await waitFor(() => `the dead letter and job-1, job-2 (done ${done}, letters ${letters.length})`, () => letters.length >= 1 && done.includes('job-1') && done.includes('job-2'), WAIT);
  await consumer.stop();
  const [letter] = letters;
  assert.equal(letter.payload, 'poison');
  const header = (name) => letter.headers[name]?.toString();
  assert.equal(header('kafka-native-source-topic'), topic);
  assert.equal(header('kafka-native-source-partition'), '0');
  assert.equal(header('kafka-native-source-offset'), '0');
  assert.equal(header('kafka-native-delivery-count'), '3');
  assert.match(header('kafka-native-last-error'), /cannot parse poison/);
  assert.equal(letters.length, 1);
});

test('acknowledgement_commit_callback is told each partition\'s outcome', { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('outcomes');
  await produce(topic, jobs(0, 2));
  const outcomes = [];
  const consumer = member(t, {
    group_id: groupId, topic,
    acknowledgement_commit_callback: (outcome) => outcomes.push(outcome),
    receive_callback: async ({ messages }) => { for (const m of messages) m.accept(); },
  });
  await consumer.start();
  await waitFor(() => `both outcomes (${JSON.stringify(outcomes)})`, () => outcomes.flatMap((o) => o.offsets).length >= 2, WAIT);
  assert.deepEqual(outcomes.flatMap((o) => o.offsets).sort(), [0, 1]);
  assert.ok(outcomes.every((o) => o.topic === topic && o.partition === 0 && o.error === undefined), JSON.stringify(outcomes));
});

test('a dead letter keeps the key and payload bytes as read, not their utf8 text', { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('poison-bytes');
  const deadLetters = `${topic}-dlq`;
  await admin.createTopics([{ topic: deadLetters, partitions: 1, replication_factor: 1 }]);
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  await producer.deliver(topic, 0, [{ payload: Buffer.from('ff00fe80', 'hex'), key: Buffer.from('e282', 'hex') }]);
  await producer.stop();
  const seen = [];
  const consumer = member(t, {
    group_id: groupId, topic, max_deliveries: 1, dead_letter_topic: deadLetters,
    receive_callback: async ({ messages }) => {
      seen.push(...messages);
      throw new Error('not today');
    },
  });
  await consumer.start();
  const letters = await readerOf(t, deadLetters, { payload_encoding: 'buffer' });
  await waitFor(() => 'the dead letter', () => letters.length >= 1, WAIT);
  await consumer.stop();
  assert.equal(letters[0].payload.toString('hex'), 'ff00fe80');
  assert.equal(letters[0].key.toString('hex'), 'e282');
  assert.equal(typeof seen[0].payload, 'string', 'receive_callback reads text');
});

test('a member killed (SIGKILL) holding records: another member gets them, delivery_count 2; nothing lost', { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('killed', { 'share.record.lock.duration.ms': 3000 });
  await produce(topic, jobs(0, 3));
  const child = fork(path.join(__dirname, 'share-consumer-holder.js'), [broker, groupId, topic], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  t.after(() => child.kill('SIGKILL'));
  const held = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the holding member exited (${code}) before holding records`)));
  });
  assert.ok(held.length > 0);
  child.kill('SIGKILL');
  const seen = [];
  const survivor = member(t, {
    group_id: groupId,
    topic,
    receive_callback: async ({ messages }) => { for (const m of messages) seen.push({ payload: m.payload, count: m.delivery_count }); },
  });
  await survivor.start();
  await waitFor(() => `every record (${JSON.stringify(seen)})`, () => new Set(seen.map((s) => s.payload)).size === 3, WAIT);
  await survivor.stop();
  for (const payload of held) assert.deepEqual(seen.filter((s) => s.payload === payload).map((s) => s.count), [2], `${payload} held by the killed member`);
});

test('for await over batches(): each batch accepted when the loop goes on; break releases the batch in hand', { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('iterate');
  await produce(topic, jobs(0, 2));
  const first = member(t, { group_id: groupId, topic, max_records: 1 });
  const seen = [];
  for await (const { messages } of first.batches()) {
    seen.push(...messages.map((m) => `${m.payload}@${m.delivery_count}`));
    if (seen.length >= 2) break; // the second batch is released, not accepted
  }
  const second = member(t, { group_id: groupId, topic });
  const again = [];
  for await (const { messages } of second.batches()) {
    again.push(...messages.map((m) => `${m.payload}@${m.delivery_count}`));
    break;
  }
  assert.equal(seen.length, 2, `${seen}`);
  assert.equal(again.length, 1, `only the released record comes again: ${again}`);
  assert.equal(again[0], `${seen[1].split('@')[0]}@2`);
});

test('stop() while receive_callback holds a batch waits for it: its records are accepted, not delivered again', { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('stop-holding', { 'share.record.lock.duration.ms': 3000 });
  await produce(topic, jobs(0, 2));
  let holding;
  const held = new Promise((resolve) => { holding = resolve; });
  let finish;
  const gate = new Promise((resolve) => { finish = resolve; });
  const first = [];
  const a = member(t, {
    group_id: groupId,
    topic,
    receive_callback: async ({ messages }) => {
      first.push(...messages.map((m) => m.payload));
      holding();
      await gate;
    },
  });
  await a.start();
  await held;
  let stopped = false;
  const stopping = a.stop().then(() => { stopped = true; });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stopped, false, 'stop() waits for the batch in hand');
  finish();
  await stopping;
  // Another member of the group gets the records the first did not hold, and none it held
  // (accepted by its stop), even after their lock would have expired.
  await produce(topic, jobs(2, 3));
  const second = [];
  const b = member(t, { group_id: groupId, topic, receive_callback: async ({ messages }) => { second.push(...messages.map((m) => m.payload)); } });
  await b.start();
  const rest = jobs(0, 3).filter((j) => !first.includes(j));
  await waitFor(() => `${rest} (${second})`, () => rest.every((j) => second.includes(j)), WAIT);
  await b.stop();
  assert.deepEqual(second.filter((j) => first.includes(j)), [], `held by the stopped member: ${first}`);
});

// A job longer than the lock, its member alive: renewed (renew_locks, or message.renew() by
// hand), it is never handed to a second member. Without renewal the other member gets it once
// the 2 s lock runs out (librdkafka could not renew a lock before our patch 0024).
for (const how of ['renew_locks', 'message.renew()']) {
  test(`a job three locks long is done once, renewed by ${how}, while another member fetches`, { skip }, async (t) => {
    const { topic, groupId } = await topicAndGroup(`renew-${how === 'renew_locks' ? 'auto' : 'hand'}`, { 'share.record.lock.duration.ms': 2000 });
    await produce(topic, jobs(0, 2));
    const seen = [];
    let longDone;
    const finished = new Promise((resolve) => { longDone = resolve; });
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const long = member(t, {
      group_id: groupId, topic, max_records: 1, renew_locks: how === 'renew_locks',
      receive_callback: async ({ messages }) => {
        for (const m of messages) {
          seen.push({ who: 'long', payload: m.payload, count: m.delivery_count });
          for (let second = 0; second < 6; second++) {
            if (how !== 'renew_locks') m.renew();
            await sleep(1000);
          }
        }
        longDone();
      },
    });
    await long.start();
    await waitFor(() => 'the long job', () => seen.length > 0, WAIT);
    const other = member(t, {
      group_id: groupId, topic, max_records: 1,
      receive_callback: async ({ messages }) => { for (const m of messages) seen.push({ who: 'other', payload: m.payload, count: m.delivery_count }); },
    });
    await other.start();
    await finished;
    await waitFor(() => `the other job (${JSON.stringify(seen)})`, () => seen.length >= 2, WAIT);
    await Promise.all([long.stop(), other.stop()]);
    assert.deepEqual(seen.map((s) => s.payload).sort(), ['job-0', 'job-1'], `each job once: ${JSON.stringify(seen)}`);
    assert.equal(seen[0].who, 'long');
    assert.ok(seen.every((s) => s.count === 1), JSON.stringify(seen));
  });
}

// start() after stop() was resolved and set a keep-alive timer that nothing cleared: the
// process never exited. batches() on a consumer stopped before it started waited forever.
test('after stop(), start() rejects STOPPED, batches() ends and the process exits by itself', async () => {
  const script = `
    const kafka = require(${JSON.stringify(path.join(__dirname, '..'))});
    const quiet = { error() {}, warn() {}, info() {}, debug() {} };
    (async () => {
      const consumer = new kafka.ShareConsumer({ broker: '127.0.0.1:9', group_id: 'g', topic: 't', logger: quiet });
      await consumer.stop();
      const started = await consumer.start().then(() => 'resolved', (err) => err.code);
      const iterated = [];
      const other = new kafka.ShareConsumer({ broker: '127.0.0.1:9', group_id: 'g', topic: 't', logger: quiet });
      await other.stop();
      for await (const batch of other.batches()) iterated.push(batch);
      process.stdout.write(JSON.stringify({ started, iterated: iterated.length }));
    })();`;
  const { execFile } = require('node:child_process');
  const out = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.signal ?? err.code}: ${stdout} ${stderr}`)) : resolve(stdout)));
  });
  assert.deepEqual(JSON.parse(out), { started: 'STOPPED', iterated: 0 });
});

test('stop() while receive_callback never settles rejects SETTLE_TIMED_OUT after stop_timeout_ms; its record comes again', { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('never-settles');
  await produce(topic, jobs(0, 1));
  let handed;
  const held = new Promise((resolve) => { handed = resolve; });
  const stuck = new kafka.ShareConsumer({
    broker, group_id: groupId, topic, stop_timeout_ms: 1000, logger: quietLogger(),
    receive_callback: ({ messages }) => { handed(messages); return new Promise(() => {}); },
  });
  await stuck.start();
  await held;
  await assert.rejects(stuck.stop(), (err) => err.code === 'SETTLE_TIMED_OUT');
  const seen = [];
  member(t, {
    group_id: groupId, topic,
    receive_callback: async ({ messages }) => { for (const m of messages) seen.push(`${m.payload}@${m.delivery_count}`); },
  }).start();
  await waitFor(() => `job-0 again (${seen})`, () => seen.includes('job-0@2'), WAIT);
});

test('batches({signal}) leaves no abort listener behind per batch', { skip }, async (t) => {
  const { getEventListeners } = require('node:events');
  const { topic, groupId } = await topicAndGroup('listeners');
  await produce(topic, jobs(0, 5));
  const consumer = member(t, { group_id: groupId, topic, max_records: 1 });
  const controller = new AbortController();
  let batches = 0;
  for await (const { messages } of consumer.batches({ signal: controller.signal })) {
    batches += messages.length > 0 ? 1 : 0;
    if (batches >= 5) break;
  }
  assert.equal(batches, 5);
  assert.ok(getEventListeners(controller.signal, 'abort').length <= 1, `${getEventListeners(controller.signal, 'abort').length} listeners`);
});

test('new ShareConsumer() refuses bad options, naming them; stop() twice and before start() are fine', async () => {
  const base = { broker: broker || '127.0.0.1:9', group_id: 'g', topic: 't', logger: quietLogger() };
  const refused = (options, pattern) => assert.throws(() => new kafka.ShareConsumer({ ...base, ...options }), pattern);
  refused({ group_id: undefined }, /group_id/);
  refused({ topic: undefined }, /topic/);
  refused({ topic: 'bad topic' }, /topic/);
  refused({ acknowledgement_mode: 'sometimes' }, /acknowledgement_mode/);
  refused({ max_records: 0 }, /max_records/);
  refused({ acquire_mode: 'fastest' }, /acquire_mode.*record_limit/);
  refused({ renew_locks: 'yes' }, /renew_locks/);
  refused({ max_deliveries: 2, acknowledgement_mode: 'implicit' }, /max_deliveries needs acknowledgement_mode 'explicit'/);
  refused({ max_deliveries: 2, dead_letter_topic: 'bad topic' }, /dead_letter_topic must be a topic name/);
  refused({ max_deliveries: 2, dead_letter_topic: 't' }, /dead_letter_topic must not be a topic read/);
  refused({ stop_timeout_ms: -1 }, /stop_timeout_ms/);
  refused({ renew_locks: true, acknowledgement_mode: 'implicit' }, /renew_locks.*explicit/);
  refused({ driver_options: { 'share.acquire.mode': 'record_limit' } }, /share\.acquire\.mode.*acquire_mode/);
  refused({ max_deliveries: 0 }, /max_deliveries/);
  refused({ dead_letter_topic: 'dlq' }, /dead_letter_topic needs max_deliveries/);
  refused({ payload_encoding: 'latin1' }, /payload_encoding/);
  refused({ driver_options: { 'group.id': 'x' } }, /group\.id/);
  refused({ max_recrods: 5 }, /max_recrods.*max_records/);
  const idle = new kafka.ShareConsumer(base);
  await idle.stop();
  await idle.stop();
  refused({ join_timeout_ms: -1 }, /join_timeout_ms/);
  // A stop while start() waits for the group (none here: nothing answers) ends the start, as
  // a Consumer's: it rejects STOPPED.
  const both = new kafka.ShareConsumer(base);
  // Its rejection handled from the start: it may come before stop() resolves.
  const starting = assert.rejects(both.start(), (err) => err.code === 'STOPPED');
  await both.stop();
  await starting;
  await both.stop();
});

// start() resolves once the group has assigned the member partitions: on a new group (from the
// latest offset, the default), a record written right after it is delivered. It resolved at
// once, and such a record was before the partition's start and never delivered.
test('start() resolves once the member has joined: a record written right after it is delivered', { skip }, async (t) => {
  admin ??= new kafka.Admin({ broker, logger: quietLogger() });
  const topic = `share-joined-${process.pid}-${serial++}`;
  await admin.createTopics([{ topic, partitions: 1, replication_factor: 1 }]);
  const seen = [];
  const consumer = member(t, { group_id: `${topic}-group`, topic, receive_callback: async ({ messages }) => { seen.push(...messages.map((m) => m.payload)); } });
  await consumer.start();
  await produce(topic, ['right after start']);
  await waitFor(() => `the record (${JSON.stringify(seen)})`, () => seen.length > 0, WAIT);
  assert.deepEqual(seen, ['right after start']);
});

// The ShareConsumer is read as a Consumer is: messages() message by message, readable() as a
// Web Streams ReadableStream; a batch accepted when the reader takes the next.
test('messages() and readable() read a ShareConsumer as they read a Consumer', { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('readers');
  await produce(topic, jobs(0, 3));
  const got = [];
  const one = member(t, { group_id: groupId, topic });
  for await (const message of one.messages()) {
    got.push(`${message.payload}@${message.delivery_count}`);
    if (got.length === 3) break; // the batch in hand is released: its records come again
  }
  const again = [];
  const two = member(t, { group_id: groupId, topic });
  const reader = two.readable().getReader();
  while (again.length < 3) {
    const { value, done } = await reader.read();
    assert.equal(done, false);
    again.push(...value.messages.map((m) => m.payload));
  }
  await reader.cancel();
  assert.deepEqual(got.map((g) => g.split('@')[0]).sort(), jobs(0, 3));
  assert.deepEqual(again.sort(), jobs(0, 3));
});

// max_deliveries at or above the group's share.delivery.count.limit: the broker archives a record
// after its last delivery, so it never came past max_deliveries and never reached the dead-letter
// topic, and nothing was said. Now the start says so, and a record whose callback fails on the
// broker's last delivery is dead-lettered then.
test('max_deliveries not below the group\'s delivery limit: said at start, and a record failing its last delivery is dead-lettered', { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('limit', { 'share.delivery.count.limit': '2' });
  const deadLetters = `${topic}-dead`;
  await admin.createTopics([{ topic: deadLetters, partitions: 1, replication_factor: 1 }]);
  await produce(topic, ['poison']);
  const logger = quietLogger();
  const consumer = member(t, {
    group_id: groupId, topic, max_deliveries: 5, dead_letter_topic: deadLetters, logger,
    receive_callback: async () => { throw new Error('cannot parse poison'); },
  });
  await consumer.start();
  assert.ok(logger.lines.some((l) => l.level === 'warn' && /max_deliveries 5 is not below the group's share.delivery.count.limit 2/.test(l.line)), JSON.stringify(logger.lines));
  const letters = await readerOf(t, deadLetters);
  await waitFor(() => `the dead letter (${letters.length})`, () => letters.length >= 1, WAIT);
  assert.equal(letters[0].payload, 'poison');
  assert.equal(letters[0].headers['kafka-native-delivery-count'].toString(), '2');
});

// Issue 69 #2: a signal aborted inside a for await body settles the batch the body finished
// (its records accepted) before the consumer stops, so they are not delivered again; and stop()
// called from inside the body ends the loop (it hung: the loop waited for a batch that the stop
// would not hand over).
test('for await: an abort in the body accepts the batch it finished, and stop() in the body ends the loop', { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('abort-in-body');
  await produce(topic, jobs(0, 3));
  const controller = new AbortController();
  const first = member(t, { group_id: groupId, topic });
  const done = [];
  await assert.rejects((async () => {
    for await (const { messages } of first.batches({ signal: controller.signal })) {
      for (const m of messages) done.push(m.payload);
      controller.abort(); // the body has finished with its batch
    }
  })(), (err) => err.name === 'AbortError');
  assert.ok(done.length > 0);
  // What the first loop finished is never delivered again; the rest comes (once) to the second.
  await produce(topic, ['after']);
  const second = member(t, { group_id: groupId, topic });
  const again = [];
  for await (const { messages } of second.batches()) {
    again.push(...messages.map((m) => `${m.payload}@${m.delivery_count}`));
    if (again.some((a) => a.startsWith('after@'))) await second.stop(); // inside the body: ends the loop
  }
  assert.deepEqual(again.filter((a) => done.includes(a.split('@')[0])), [], `finished records delivered again: ${again}`);
  assert.ok(again.some((a) => a.startsWith('after@')), `${again}`);
});

test('share-group admin: listShareGroups() lists the group (listGroups() does not), describeGroups() describes its member, deleteGroups() deletes it', { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('admin');
  const consumer = member(t, { group_id: groupId, topic, driver_options: { 'client.id': 'share-admin-probe' } });
  await consumer.start(); // resolves once the group assigned it partitions
  const listed = await admin.listShareGroups();
  assert.deepEqual(listed.find((g) => g.group_id === groupId), { group_id: groupId, type: 'share', state: 'Stable', simple: false });
  assert.ok(!(await admin.listGroups()).some((g) => g.group_id === groupId), 'listGroups() lists consumer groups only');
  const [described] = await admin.describeGroups([groupId]);
  assert.equal(described.type, 'share');
  assert.equal(described.state, 'Stable');
  assert.deepEqual(described.members.map((m) => [m.client_id, m.assignment]), [['share-admin-probe', [{ topic, partition: 0 }]]]);
  await consumer.stop();
  await waitFor('the group empty', async () => (await admin.describeGroups([groupId]))[0].members.length === 0, WAIT);
  await admin.deleteGroups([groupId]);
  assert.ok(!(await admin.listShareGroups()).some((g) => g.group_id === groupId), 'deleted');
});

// The share group's offsets as Kafka's Java Admin gives them (listShareGroupOffsets, what
// kafka-share-groups.sh --describe --offsets prints): test/kafka/ShareGroupOffsets.java run from
// source with the Kafka jars the test cluster runs on.
function javaShareGroupOffsets(groupId) {
  const { libsDir } = require('../js/dev-cluster/install.js');
  const program = path.join(__dirname, 'kafka', 'ShareGroupOffsets.java');
  return new Promise((resolve, reject) => {
    execFile('java', ['-Xmx128m', '-cp', path.join(libsDir(), '*'), program, broker, groupId], { timeout: WAIT }, (err, stdout, stderr) =>
      err ? reject(new Error(`ShareGroupOffsets.java: ${err.message} ${stderr.slice(-1000)}`)) : resolve(stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l))),
    );
  });
}

test("share-group offsets: shareGroupOffsets() agrees with Kafka's Java Admin, setShareGroupOffsets() moves what is delivered next, deleteShareGroupOffsets() forgets the topic", { skip }, async (t) => {
  const { topic, groupId } = await topicAndGroup('offsets');
  await produce(topic, jobs(0, 10));
  const firstRead = [];
  const first = member(t, { group_id: groupId, topic, receive_callback: async ({ messages }) => void firstRead.push(...messages.map((m) => m.payload)) });
  await first.start();
  await waitFor('the ten jobs', () => firstRead.length >= 10, WAIT);
  await first.stop();
  // Every record acknowledged: no lag (Apache Kafka moves the start offset itself later, as it
  // archives; its Java Admin says the same).
  await waitFor('no lag once the ten are acknowledged', async () => (await admin.shareGroupOffsets(groupId)).some((o) => o.lag === 0), WAIT);
  const done = await admin.shareGroupOffsets(groupId);
  assert.deepEqual(done.map(({ topic: tp, partition, lag }) => ({ topic: tp, partition, lag })), [{ topic, partition: 0, lag: 0 }]);
  assert.deepEqual(done, await javaShareGroupOffsets(groupId));

  // Back to job-4: the next member is handed job-4 to job-9.
  await waitFor('the group empty', async () => (await admin.describeGroups([groupId]))[0].members.length === 0, WAIT);
  await admin.setShareGroupOffsets(groupId, [{ topic, partition: 0, offset: 4 }]);
  const moved = await admin.shareGroupOffsets(groupId);
  assert.deepEqual(moved.map((o) => [o.start_offset, o.lag]), [[4, 6]]);
  assert.deepEqual(moved, await javaShareGroupOffsets(groupId));
  const secondRead = [];
  const second = member(t, { group_id: groupId, topic, receive_callback: async ({ messages }) => void secondRead.push(...messages.map((m) => m.payload)) });
  await second.start();
  await waitFor('the six jobs from job-4', () => secondRead.length >= 6, WAIT);
  assert.deepEqual([...secondRead].sort(), jobs(4, 10));
  // A group with a member is not moved.
  const refused = await admin.setShareGroupOffsets(groupId, [{ topic, partition: 0, offset: 'earliest' }]).then(() => null, (e) => e);
  assert.equal(refused?.code, 'NON_EMPTY_GROUP', String(refused));
  await second.stop();

  await waitFor('the group empty', async () => (await admin.describeGroups([groupId]))[0].members.length === 0, WAIT);
  await admin.setShareGroupOffsets(groupId, [{ topic, partition: 0, offset: 'latest' }]);
  assert.deepEqual((await admin.shareGroupOffsets(groupId)).map((o) => [o.start_offset, o.lag]), [[10, 0]]);
  await admin.deleteShareGroupOffsets(groupId, [topic]);
  assert.deepEqual(await admin.shareGroupOffsets(groupId), []);
  assert.deepEqual(await javaShareGroupOffsets(groupId), []);

  // Arguments: what is wrong is named.
  await assert.rejects(admin.setShareGroupOffsets(groupId, [{ topic, partition: 0, offset: 'soon' }]), /offsets\[0\]\.offset/);
  await assert.rejects(admin.setShareGroupOffsets(groupId, [{ topic, partition: 0 }]), /setShareGroupOffsets\(\) argument offsets\[0\]/);
  await assert.rejects(admin.deleteShareGroupOffsets(groupId, 'topic'), /deleteShareGroupOffsets\(\) argument topics/);
});
