'use strict';
// kafka-native/ws-proxy with the `ws` client, against the test broker (MockCluster or Apache Kafka):
// reading from an offset, from latest and in a group; sending with acks; auth; a client that
// stops reading; a group client that goes away mid-batch; the (topic, group, partition) rule.
const test = require('node:test');
const assert = require('node:assert/strict');
const { once } = require('node:events');
const fs = require('node:fs');
const WebSocket = require('ws');
const { KafkaProxy } = require('kafka-native/ws-proxy');
const { wide, kafka, testCluster, produce, waitFor, quietLogger } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
const onKafka = process.env.KAFKA_TEST_BROKER === 'kafka';
const WIDE = wide(30000);
let topics = 0;

async function newTopic(partitions = 2) {
  const topic = `wsp-${process.pid}-${++topics}`;
  await cluster.createTopic(topic, partitions);
  return topic;
}

// Group members with a short session: a group whose last member left takes a new one only
// after about the session timeout on the MockCluster.
const GROUP_SESSION = { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 };

// Closed after the tests even when one fails, so that the process can exit.
const proxies = new Set();
const sockets = new Set();
test.after(async () => {
  for (const ws of sockets) ws.terminate();
  await Promise.allSettled([...proxies].map((p) => p.close()));
});

// Everything granted (access is denied by default): the tests of access control say otherwise.
const GRANT_ALL = { topics: { read: ['*'], write: ['*'] }, groups: ['*'], offsets: true };

async function startProxy(options = {}) {
  const proxy = new KafkaProxy({
    wsPort: 0,
    kafka: `${broker}/`,
    idleTimeout: 10,
    logger: quietLogger(),
    ...GRANT_ALL,
    ...options,
    consumer: { ...options.consumer, driver_options: GROUP_SESSION },
  });
  proxies.add(proxy);
  await proxy.listen();
  return proxy;
}

// A ws client that keeps every entry of every batch it receives, and every other frame.
async function connect(proxy, query, options = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/?${new URLSearchParams(query)}`, options);
  sockets.add(ws);
  ws.entries = [];
  ws.replies = [];
  ws.binaryFrames = 0; // the proxy sends text frames only: a browser gets strings, not Blobs
  ws.on('message', (data, isBinary) => {
    if (isBinary) ws.binaryFrames++;
    const frame = JSON.parse(data.toString());
    if (Array.isArray(frame)) ws.entries.push(...frame);
    else ws.replies.push(frame);
  });
  await once(ws, 'open');
  return ws;
}

// The HTTP status an upgrade is refused with.
async function refusal(proxy, query, headers = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/?${new URLSearchParams(query)}`, { headers });
  ws.on('error', () => {}); // terminate() below, while still connecting
  const [, res] = await once(ws, 'unexpected-response');
  let body = '';
  for await (const chunk of res) body += chunk;
  ws.terminate();
  return { status: res.statusCode, body };
}

const payloads = (entries) => entries.map((e) => e.message);

test('a client reads its partition from an offset, in kafka-proxy\'s format with partition and key', async () => {
  const topic = await newTopic();
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  await producer.deliver(topic, 1, Array.from({ length: 6 }, (_, i) => ({ payload: `m${i}`, key: `k${i}` })));
  await producer.stop();
  const proxy = await startProxy();
  const ws = await connect(proxy, { topic, partition: 1, offset: 2 });
  await waitFor('m2..m5', () => ws.entries.length >= 4, WIDE);
  assert.deepEqual(ws.entries, [2, 3, 4, 5].map((i) => ({ message: `m${i}`, offset: i, partition: 1, key: `k${i}` })));
  ws.close();
  await proxy.close();
});

test('clients without a group or offset read from latest, sharing one consumer per partition', async () => {
  const topic = await newTopic();
  await produce(broker, topic, 0, ['old']);
  const warnings = [];
  const proxy = await startProxy({ logger: { ...quietLogger(), warn: (m) => warnings.push(String(m)) } });
  const clients = await Promise.all([1, 2, 3].map(() => connect(proxy, { topic })));
  const other = await connect(proxy, { topic, partition: 1 });
  assert.equal(proxy.shared.size, 2, 'one shared consumer per (topic, partition)');
  // 'latest' is resolved once the shared consumer started: produce until the first one arrives.
  const producer = new kafka.Producer({ broker, queue_buffering_max_ms: 0, logger: quietLogger() });
  await waitFor('the shared streams to read', () => {
    producer.send(topic, 0, ['probe']);
    producer.send(topic, 1, ['probe']);
    return clients.every((c) => c.entries.length > 0) && other.entries.length > 0;
  }, WIDE);
  // Not ASCII: the frame shared by the clients is encoded once, as UTF-8.
  await producer.deliver(topic, 0, ['new: ünïcødé ✓ 🚀']);
  await producer.deliver(topic, 1, ['for partition 1']);
  await producer.stop();
  for (const c of clients) {
    await waitFor('new', () => payloads(c.entries).includes('new: ünïcødé ✓ 🚀'), WIDE);
    assert.ok(!payloads(c.entries).includes('old'), 'nothing from before');
    assert.deepEqual(payloads(c.entries).filter((p) => p !== 'probe'), ['new: ünïcødé ✓ 🚀']);
    assert.equal(c.binaryFrames, 0, 'text frames');
  }
  await waitFor('partition 1', () => payloads(other.entries).includes('for partition 1'), WIDE);
  assert.deepEqual(other.entries.filter((e) => e.message !== 'probe').map((e) => [e.message, e.partition]), [['for partition 1', 1]]);
  assert.ok(other.entries.every((e) => e.partition === 1));
  for (const c of [...clients, other]) c.close();
  await waitFor('the shared consumers to stop with their last client', () => proxy.shared.size === 0, WIDE);
  await proxy.close();
  assert.deepEqual(warnings, [], 'clients that kept up: nothing to warn of');
});

test('a consumerGroup client is a group member: what it got is committed, a reconnect goes on from there', async () => {
  const topic = await newTopic(1);
  await produce(broker, topic, 0, ['a0', 'a1', 'a2']);
  const proxy = await startProxy();
  const query = { topic, consumerGroup: `g-${process.pid}`, offset: 0 };
  const first = await connect(proxy, query);
  await waitFor('a0..a2', () => first.entries.length >= 3, WIDE);
  first.close();
  await waitFor('the member to leave', () => proxy.members.size === 0, WIDE);
  await produce(broker, topic, 0, ['b0', 'b1']);
  const second = await connect(proxy, query);
  await waitFor('b0, b1', () => second.entries.length >= 2, WIDE);
  assert.deepEqual(payloads(second.entries), ['b0', 'b1'], 'the group committed a0..a2');
  second.close();
  await proxy.close();
});

test('a new connection for the same topic, group and partition replaces the old one', async () => {
  const topic = await newTopic(1);
  const proxy = await startProxy();
  const query = { topic, consumerGroup: `r-${process.pid}` };
  const old = await connect(proxy, query);
  const closed = once(old, 'close');
  const fresh = await connect(proxy, query);
  const [code, reason] = await closed;
  assert.equal(code, 4000);
  assert.match(reason.toString(), /replaced by a new connection/);
  assert.equal(fresh.readyState, WebSocket.OPEN);
  assert.equal(proxy.members.size, 1);
  // The new connection is the member now: it reads what comes.
  const producer = new kafka.Producer({ broker, queue_buffering_max_ms: 0, logger: quietLogger() });
  await waitFor('the new member to read', () => {
    producer.send(topic, 0, ['after']);
    return fresh.entries.length > 0;
  }, WIDE);
  await producer.stop();
  assert.deepEqual(old.entries, []);
  fresh.close();
  await proxy.close();
});

test('a client sends with acks: {"produced": n, "id"} once Kafka has them, or an error naming the problem', async () => {
  const topic = await newTopic();
  const proxy = await startProxy();
  const ws = await connect(proxy, { topic, partition: 1, offset: 0 });
  ws.send(JSON.stringify({ produce: [{ topic, message: 'one', key: 'k', partition: 1 }, { topic, message: 'two', partition: 1 }], id: 7 }));
  await waitFor('the ack', () => ws.replies.length === 1, WIDE);
  assert.deepEqual(ws.replies[0], { produced: 2, id: 7 });
  await waitFor('both back through the proxy', () => ws.entries.length === 2, WIDE);
  assert.deepEqual(ws.entries.map((e) => [e.message, e.key]), [['one', 'k'], ['two', null]]);

  ws.send(JSON.stringify({ produce: [{ topic: 'bad topic!', message: 'x' }], id: 8 }));
  ws.send(JSON.stringify({ produce: [{ topic, message: 42 }], id: 9 }));
  ws.send('not json');
  await waitFor('three refusals', () => ws.replies.length === 4, WIDE);
  assert.deepEqual(ws.replies.slice(1).map((r) => [r.id, r.error.replace(/^kafka-native\/ws-proxy: /, '')]), [
    [8, 'produce[0].topic must be a Kafka topic name'],
    [9, 'produce[0].message must be a string'],
    [undefined, 'not JSON'],
  ]);
  ws.close();
  await proxy.close();
});

test('auth: refused with 401 before any Kafka work, accepted in kafka-proxy\'s form and as standard Basic', async () => {
  const topic = await newTopic();
  const proxy = await startProxy({ auth: 'user:s3cret' });
  assert.equal((await refusal(proxy, { topic })).status, 401);
  assert.equal((await refusal(proxy, { topic }, { authorization: 'basic wrong' })).status, 401);
  assert.equal(proxy.producer.current.constructor.name, 'Producer');
  assert.equal(proxy.connections.size, 0, 'no connection, no consumer');
  const raw = await connect(proxy, { topic, offset: 0 }, { headers: { authorization: 'basic user:s3cret' } });
  const basic = await connect(proxy, { topic, offset: 0 }, { headers: { authorization: `Basic ${Buffer.from('user:s3cret').toString('base64')}` } });
  raw.close();
  basic.close();
  await proxy.close();

  const hooked = await startProxy({ verifyClient: (req) => req.headers['x-team'] === 'blue' });
  assert.equal((await refusal(hooked, { topic }, { 'x-team': 'red' })).status, 401);
  (await connect(hooked, { topic, offset: 0 }, { headers: { 'x-team': 'blue' } })).close();
  await hooked.close();
});

// A RegExp with the g (or y) flag keeps where its last match ended (lastIndex), so the same
// grant tested again starts there: it allowed every other connection and refused the rest.
test('a RegExp grant with the g flag grants every connection alike', async () => {
  const topic = await newTopic(1);
  const proxy = await startProxy({ topics: { read: [/^wsp-/g] } });
  for (let i = 0; i < 4; i++) (await connect(proxy, { topic })).close();
  await proxy.close();
});

test('access is denied by default: a client reads, writes, joins groups and picks offsets only as granted', async () => {
  const topic = await newTopic(1);
  await produce(broker, topic, 0, ['history']);
  const closed = await startProxy({ topics: undefined, groups: undefined, offsets: undefined });
  assert.deepEqual(await refusal(closed, { topic }), { status: 403, body: `kafka-native/ws-proxy: may not read topic ${topic}: not granted (option topics.read)\n` });
  await closed.close();

  const proxy = await startProxy({ topics: { read: ['wsp-*'] }, groups: ['web-*'], offsets: false });
  assert.match((await refusal(proxy, { topic, offset: 0 })).body, new RegExp(`may not start from an offset of ${topic}: not granted \\(option offsets: true\\)`));
  assert.match((await refusal(proxy, { topic, consumerGroup: 'billing' })).body, /may not use consumer group billing: not granted \(option groups\)/);
  assert.equal((await refusal(proxy, { topic: 'other' })).status, 403);
  assert.equal(proxy.connections.size, 0, 'no refused client got a consumer');
  // Granted: reading from 'latest', and a group under the granted prefix. Sending is not.
  const ws = await connect(proxy, { topic });
  ws.send(JSON.stringify({ produce: [{ topic, message: 'sneaky' }], id: 1 }));
  await waitFor('the refusal', () => ws.replies.length === 1, WIDE);
  assert.deepEqual(ws.replies[0], { error: `kafka-native/ws-proxy: may not write topic ${topic}: not granted (option topics.write)`, id: 1 });
  (await connect(proxy, { topic, consumerGroup: `web-${process.pid}` })).close();
  ws.close();
  await proxy.close();
});

test('internal topics are never reachable, whatever is granted', async () => {
  const proxy = await startProxy();
  for (const topic of ['__consumer_offsets', '__transaction_state']) {
    assert.deepEqual(await refusal(proxy, { topic, offset: 0 }), { status: 403, body: `kafka-native/ws-proxy: topic ${topic} is internal to Kafka: never reachable through the proxy\n` });
  }
  const topic = await newTopic(1);
  const ws = await connect(proxy, { topic });
  ws.send(JSON.stringify({ produce: [{ topic: '__consumer_offsets', message: 'x' }], id: 2 }));
  await waitFor('the refusal', () => ws.replies.length === 1, WIDE);
  assert.match(ws.replies[0].error, /topic __consumer_offsets is internal to Kafka/);
  ws.close();
  await proxy.close();
});

test('groupPrefix keeps clients out of the backend\'s own groups: consumerGroup=billing is ws-billing in Kafka', async () => {
  const topic = await newTopic(1);
  await produce(broker, topic, 0, ['o0', 'o1', 'o2']);
  const proxy = await startProxy({ groupPrefix: 'ws-' });
  const group = `billing-${process.pid}`;
  const ws = await connect(proxy, { topic, consumerGroup: group, offset: 0 });
  await waitFor('the three orders', () => ws.entries.length === 3, WIDE);
  ws.close();
  await waitFor('the member to leave', () => proxy.members.size === 0, WIDE);
  const admin = new kafka.Admin({ broker, logger: quietLogger() });
  // What the client read was committed for ws-billing; the backend's own group is untouched.
  assert.deepEqual(await admin.groupOffsets(`ws-${group}`), [{ topic, partition: 0, committed: 3, high_watermark: 3, lag: 0 }]);
  assert.deepEqual(await admin.groupOffsets(group), []);
  await admin.stop();
  await proxy.close();
});

test('authorize decides per action, seeing the identity verifyClient gave', async () => {
  const topic = await newTopic(1);
  const asked = [];
  const proxy = await startProxy({
    verifyClient: (req) => req.headers['x-user'] ?? false,
    authorize: ({ action, topic: t, identity, granted }) => {
      asked.push([action, identity, granted]);
      return identity === 'alice' && (action === 'read' || (action === 'write' && t === topic));
    },
  });
  assert.match((await refusal(proxy, { topic }, { 'x-user': 'mallory' })).body, new RegExp(`may not read topic ${topic}: refused by authorize`));
  const ws = await connect(proxy, { topic }, { headers: { 'x-user': 'alice' } });
  assert.match((await refusal(proxy, { topic, offset: 0 }, { 'x-user': 'alice' })).body, /may not start from an offset of .*: refused by authorize/);
  ws.send(JSON.stringify({ produce: [{ topic, message: 'mine' }, { topic: `${topic}-other`, message: 'not mine' }], id: 3 }));
  await waitFor('the refusal', () => ws.replies.length === 1, WIDE);
  assert.match(ws.replies[0].error, new RegExp(`may not write topic ${topic}-other: refused by authorize`));
  ws.send(JSON.stringify({ produce: [{ topic, message: 'mine' }], id: 4 }));
  await waitFor('the ack', () => ws.replies.length === 2, WIDE);
  assert.deepEqual(ws.replies[1], { produced: 1, id: 4 });
  assert.deepEqual(asked[0], ['read', 'mallory', true], 'authorize sees the static verdict too');
  ws.close();
  await proxy.close();
});

test('a client never creates a topic by naming it, unless createTopics allows it', { skip: !onKafka && 'the MockCluster creates any topic a client asks about' }, async () => {
  // A send to a missing topic fails once librdkafka stops waiting for it to appear (30 s by
  // default; 2 s here).
  const proxy = await startProxy({ producer: { driver_options: { 'topic.metadata.propagation.max.ms': 2000 } } });
  const topic = await newTopic(1);
  const ws = await connect(proxy, { topic });
  const missing = `wsp-missing-${process.pid}`;
  ws.send(JSON.stringify({ produce: [{ topic: missing, message: 'x' }], id: 5 }));
  await waitFor('the refusal', () => ws.replies.length === 1, WIDE);
  assert.match(ws.replies[0].error ?? JSON.stringify(ws.replies[0]), /UNKNOWN_TOPIC_OR_PART/);
  const admin = new kafka.Admin({ broker, logger: quietLogger() });
  assert.ok(!(await admin.listTopics()).some((t) => t.topic === missing), `${missing} was created`);
  await admin.stop();
  ws.close();
  await proxy.close();
});

test('a bad query is refused with 400, naming the parameter', async () => {
  const proxy = await startProxy();
  assert.deepEqual(await refusal(proxy, {}), { status: 400, body: 'kafka-native/ws-proxy: topic must be a Kafka topic name, got null\n' });
  assert.match((await refusal(proxy, { topic: 't', offset: '-1' })).body, /offset must be an integer >= 0, got "-1"/);
  assert.match((await refusal(proxy, { topic: 't', partition: 'x' })).body, /partition must be an integer >= 0/);
  await proxy.close();
});

test('a client that stops reading pauses its consumer: the proxy buffers a bounded amount, and nothing is lost', async () => {
  // 12.6 MB over 3 partitions (a MockCluster partition keeps about 5 MiB), read by one group
  // member: well beyond what the kernel takes on loopback for a client that stops reading
  // (about 4 MB here), so the rest has to wait in Kafka or in the proxy.
  const partitions = [0, 1, 2];
  const topic = await newTopic(partitions.length);
  const big = 'x'.repeat(10000);
  const count = 420;
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  for (const p of partitions) {
    for (let i = 0; i < count; i += 60) producer.send(topic, p, Array.from({ length: 60 }, (_, j) => `${i + j}:${big}`));
  }
  await producer.stop();
  const maxBufferedBytes = 256 * 1024;
  const batchBytes = 50 * 10100;
  const proxy = await startProxy({ maxBufferedBytes, consumer: { max_messages_per_callback: 50 } });
  const ws = await connect(proxy, { topic, consumerGroup: `slow-${process.pid}`, offset: 0 });
  ws.pause(); // reads nothing more from its socket
  let peak = 0;
  const watch = setInterval(() => { for (const c of proxy.clients()) peak = Math.max(peak, c.bufferedAmount); }, 5);
  // The socket fills (kernel buffers, then the proxy's), and the consumer stops for it.
  await waitFor('the proxy to hold data for the client', () => peak > maxBufferedBytes, WIDE);
  const stalledAt = ws.entries.length;
  assert.ok(peak <= maxBufferedBytes + batchBytes, `at most one batch over the threshold is buffered (peak ${peak})`);
  ws.resume();
  const of = (p) => ws.entries.filter((e) => e.partition === p).map((e) => e.offset);
  await waitFor('every message', () => ws.entries.length >= count * partitions.length, WIDE * 2);
  clearInterval(watch);
  assert.ok(stalledAt < count * partitions.length);
  for (const p of partitions) assert.deepEqual(of(p), Array.from({ length: count }, (_, i) => i), `partition ${p}: every message, in order, once`);
  assert.ok(peak <= maxBufferedBytes + batchBytes, `peak ${peak}`);
  ws.close();
  await proxy.close();
});

// Apache Kafka only: the MockCluster keeps about 5 MiB of a partition, so the 30 MB below outruns
// it (the consumer's offset goes out of range and it resets to the last 5 MiB), and 5 MiB fit in
// the kernel's socket buffers: the proxy would never have to hold anything back there.
test('a client that never reads costs the proxy a bounded prefetch, not the volume produced', { skip: !onKafka && 'the MockCluster keeps less of a partition than the socket buffers hold' }, async () => {
  const topic = await newTopic(1);
  let prefetched = 0;
  let reports = 0;
  const proxy = await startProxy({
    maxBufferedBytes: 64 * 1024,
    consumer: {
      statistics_interval_ms: 100,
      // librdkafka's own count of the bytes it fetched ahead for each partition.
      stats_callback: ({ rdkafka_stats: s }) => {
        reports++;
        for (const t of Object.values(s.topics ?? {})) {
          for (const p of Object.values(t.partitions ?? {})) prefetched = Math.max(prefetched, p.fetchq_size ?? 0);
        }
      },
    },
  });
  const ws = await connect(proxy, { topic, offset: 0 });
  ws.pause(); // reads nothing
  // 30 MB while the client reads nothing (librdkafka would fetch up to 64 MiB ahead).
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  const big = 'x'.repeat(10000);
  for (let i = 0; i < 3000; i += 50) await producer.deliver(topic, 0, Array.from({ length: 50 }, () => big));
  await producer.stop();
  await waitFor('the consumer to fetch ahead', () => prefetched > 0, WIDE);
  const seen = reports;
  await waitFor('five more statistics reports', () => reports >= seen + 5, WIDE);
  assert.ok(prefetched <= 4 * 1024 * 1024, `librdkafka held ${prefetched} bytes fetched ahead for one client`);
  ws.terminate();
  await proxy.close();
});

test('a client that sends but does not read its replies is closed (4009); sends in flight and ids are bounded', async () => {
  const topic = await newTopic(1);
  // Sends wait a second in the producer (linger), so that they overlap.
  const proxy = await startProxy({ maxBufferedBytes: 1024, maxInFlightSends: 2, producer: { queue_buffering_max_ms: 1000 } });
  const ws = await connect(proxy, { topic });
  for (let i = 0; i < 4; i++) ws.send(JSON.stringify({ produce: [{ topic, message: `m${i}` }], id: i }));
  ws.send(JSON.stringify({ produce: [{ topic, message: 'x' }], id: 'i'.repeat(300) }));
  await waitFor('five replies', () => ws.replies.length === 5, WIDE);
  const byId = (id) => ws.replies.find((r) => r.id === id);
  assert.deepEqual([byId(0), byId(1)], [{ produced: 1, id: 0 }, { produced: 1, id: 1 }]);
  for (const id of [2, 3]) assert.match(byId(id).error, /too many sends in flight \(maxInFlightSends 2\)/);
  assert.ok(ws.replies.some((r) => r.id === undefined && /id must be a number or a string of at most 256 characters/.test(r.error)));
  ws.close();

  // Now one that sends and never reads: its replies pile up only until it is cut off.
  const deaf = await connect(proxy, { topic });
  deaf.pause();
  const frame = JSON.stringify({ produce: 'not a list' }); // each answered with an error
  for (let i = 0; i < 200000 && proxy.connections.size > 0; i++) {
    deaf.send(frame);
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await waitFor('the proxy to drop the client', () => proxy.connections.size === 0, WIDE);
  deaf.terminate();
  await proxy.close();
});

// The high watermark of a partition: how many messages it has taken (its log starts at 0).
async function written(topic, partition = 0) {
  const admin = new kafka.Admin({ broker, logger: quietLogger() });
  try {
    return (await admin.watermarks(topic, partition)).high;
  } finally {
    await admin.stop();
  }
}

test('one client cannot fill the producer queue for the others: past its share a send is refused whole', async () => {
  const topic = await newTopic(1);
  // Sends wait 5 s in the producer (linger), so that the queue holds what each client sent. The
  // queue takes 5,000 messages; a client's share is 2,000.
  const proxy = await startProxy({ maxClientQueuedMessages: 2000, maxSendMessages: 500, producer: { queue_buffering_max_ms: 5000, queue_buffering_max_messages: 5000 } });
  const flooder = await connect(proxy, { topic });
  const frame = (id) => JSON.stringify({ produce: Array.from({ length: 500 }, (_, i) => ({ topic, message: `f${id}-${i}` })), id });
  for (let id = 0; id < 10; id++) flooder.send(frame(id));
  await waitFor('six refusals', () => flooder.replies.length === 6, WIDE);
  for (const reply of flooder.replies) {
    assert.match(reply.error, /this client's share of the producer's queue is full \(maxClientQueuedMessages 2000, .*its sends hold 2000 messages.*nothing of this send was written; wait for replies/);
  }
  // Another client's send goes in meanwhile (before, the flood filled the queue: QUEUE_FULL).
  const other = await connect(proxy, { topic });
  other.send(JSON.stringify({ produce: [{ topic, message: 'mine' }], id: 'other' }));
  await waitFor('the other client\'s ack', () => other.replies.length === 1, WIDE);
  assert.deepEqual(other.replies[0], { produced: 1, id: 'other' });
  await waitFor('the flood\'s acks', () => flooder.replies.length === 10, WIDE);
  assert.deepEqual(flooder.replies.slice(6).map((r) => r.produced).sort(), [500, 500, 500, 500]);
  assert.equal(await written(topic), 2001, 'the refused sends wrote nothing');
  // Its share is back once its sends are answered.
  flooder.send(frame('again'));
  await waitFor('the ack', () => flooder.replies.length === 11, WIDE);
  assert.deepEqual(flooder.replies[10], { produced: 500, id: 'again' });
  flooder.close();
  other.close();
  await proxy.close();
});

test('a send that Kafka takes in part is answered with what was written and which entries were not', async () => {
  const topic = await newTopic(1);
  const proxy = await startProxy();
  const ws = await connect(proxy, { topic });
  // Partition 7 does not exist: its message fails, the others land.
  ws.send(JSON.stringify({ produce: [{ topic, message: 'a', partition: 0 }, { topic, message: 'b', partition: 7 }, { topic, message: 'c', partition: 0 }], id: 3 }));
  await waitFor('the reply', () => ws.replies.length === 1, WIDE);
  const [reply] = ws.replies;
  assert.match(reply.error, /partition/i);
  assert.deepEqual({ ...reply, error: undefined }, { error: undefined, id: 3, produced: 2, unconfirmed: [1] });
  assert.equal(await written(topic), 2);
  ws.close();
  await proxy.close();
});

test('a send over maxSendBytes or maxSendMessages is refused before anything of it is written; the client goes on', async () => {
  const topic = await newTopic(1);
  const proxy = await startProxy({ maxSendMessages: 100 });
  const ws = await connect(proxy, { topic });
  // 2 MiB in one frame (the default bound is 1 MiB), and 101 messages of a few bytes.
  ws.send(JSON.stringify({ produce: Array.from({ length: 2048 }, () => ({ topic, message: 'x'.repeat(1000) })), id: 'big' }));
  ws.send(JSON.stringify({ produce: Array.from({ length: 101 }, (_, i) => ({ topic, message: `m${i}` })), id: 'many' }));
  ws.send(JSON.stringify({ produce: [{ topic, message: 'small' }], id: 'small' }));
  await waitFor('three replies', () => ws.replies.length === 3, WIDE);
  const byId = (id) => ws.replies.find((r) => r.id === id);
  // Refused unread, as a frame that is not JSON is: its reply has no id.
  assert.match(byId(undefined)?.error ?? '', /^kafka-native\/ws-proxy: a send of \d+ bytes is over maxSendBytes \(1048576\): nothing of it was written; split it$/);
  assert.match(byId('many')?.error ?? '', /a send of 101 messages is over maxSendMessages \(100\): nothing of it was written/);
  assert.deepEqual(byId('small'), { produced: 1, id: 'small' });
  assert.equal(await written(topic), 1, 'only the small send was written');
  ws.close();
  await proxy.close();
});

test('connections and consumers of their own are limited: beyond maxConnections or maxConsumers, 503', async () => {
  const topic = await newTopic(1);
  const proxy = await startProxy({ maxConnections: 3, maxConsumers: 1 });
  const own = await connect(proxy, { topic, offset: 0 });
  assert.deepEqual(await refusal(proxy, { topic, offset: 0 }), { status: 503, body: 'kafka-native/ws-proxy: too many clients with a consumer of their own (maxConsumers 1): connect without consumerGroup and offset to share one\n' });
  assert.equal((await refusal(proxy, { topic, consumerGroup: 'g' })).status, 503);
  const shared = await connect(proxy, { topic });
  const third = await connect(proxy, { topic });
  assert.deepEqual(await refusal(proxy, { topic }), { status: 503, body: 'kafka-native/ws-proxy: too many connections (maxConnections 3)\n' });
  for (const ws of [own, shared, third]) ws.close();
  await proxy.close();
});

test('a shared-stream client that stops reading is dropped (4008) after slowClientTimeout; the others go on', async () => {
  const topic = await newTopic(1);
  const warnings = [];
  let warnedAt;
  const logger = { ...quietLogger(), warn: (m) => { warnedAt ??= Date.now(); warnings.push(String(m)); } };
  const proxy = await startProxy({ maxBufferedBytes: 64 * 1024, slowClientTimeout: 1000, logger });
  const slow = await connect(proxy, { topic });
  const fast = await connect(proxy, { topic });
  const producer = new kafka.Producer({ broker, queue_buffering_max_ms: 0, logger: quietLogger() });
  await waitFor('the shared stream to read', () => {
    producer.send(topic, 0, ['probe']);
    return slow.entries.length > 0 && fast.entries.length > 0;
  }, WIDE);
  slow.pause(); // its kernel buffers fill (about 4 MB here), then the proxy's
  const big = 'z'.repeat(20000);
  let sent = 0;
  // Keep producing (a MockCluster partition keeps only about 5 MiB) until the proxy drops it. A
  // client that reads nothing cannot read the close frame either: it is cut off a second later.
  await waitFor('the proxy to drop the slow client', async () => {
    if (proxy.clients().length === 1) return true;
    await producer.deliver(topic, 0, Array.from({ length: 20 }, () => `${sent++}:${big}`));
    return false;
  }, WIDE * 2);
  const droppedAfter = Date.now() - warnedAt;
  assert.ok(warnings.some((w) => /did not drain within 1000 ms; disconnecting it/.test(w)), warnings.join('\n'));
  // Not left to ws's own 30 s close timeout, holding what the proxy buffered for it.
  assert.ok(droppedAfter < 10000, `dropped ${droppedAfter} ms after the warning`);
  await producer.deliver(topic, 0, ['after']);
  await waitFor('the fast client to go on', () => payloads(fast.entries).includes('after'), WIDE);
  const closed = once(slow, 'close');
  slow.resume();
  await closed;
  await producer.stop();
  fast.close();
  await proxy.close();
});

test('a group client that goes away mid-batch loses that batch to no one: the next client of the combination gets it', async () => {
  // 12 MB over 3 partitions (a MockCluster partition keeps about 5 MiB), well beyond what the
  // kernel takes on loopback for a client that stops reading (about 4 MB here).
  const partitions = [0, 1, 2];
  const topic = await newTopic(partitions.length);
  const count = 200;
  const big = 'y'.repeat(20000);
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  for (const p of partitions) producer.send(topic, p, Array.from({ length: count }, (_, i) => `${i}:${big}`));
  await producer.stop();
  const proxy = await startProxy({ maxBufferedBytes: 64 * 1024, consumer: { max_messages_per_callback: 20 } });
  const query = { topic, consumerGroup: `mid-${process.pid}`, offset: 0 };
  const first = await connect(proxy, query);
  first.pause(); // so a batch gets stuck in the proxy, not all written
  let stuck;
  await waitFor('a batch stuck in the proxy', () => {
    stuck = proxy.clients().find((c) => c.inFlight && c.bufferedAmount > 64 * 1024)?.inFlight;
    return stuck !== undefined;
  }, WIDE);
  first.terminate(); // gone mid-batch, without a close handshake
  await once(first, 'close');
  await waitFor('the member to leave', () => proxy.members.size === 0, WIDE);
  const second = await connect(proxy, query);
  const of = (p) => second.entries.filter((e) => e.partition === p).map((e) => e.offset);
  await waitFor('the rest', () => partitions.every((p) => of(p).at(-1) === count - 1), WIDE * 2);
  // Batches written before it are committed (what the OS had not yet delivered to the client
  // is gone with the connection, as with kafka-proxy); the batch being written is not.
  for (const { partition, from } of stuck) {
    assert.ok(of(partition)[0] <= from, `partition ${partition}: the second client starts at or before ${from}, in the stuck batch (got ${of(partition)[0]})`);
  }
  for (const p of partitions) {
    const offsets = of(p);
    assert.deepEqual(offsets, Array.from({ length: count - offsets[0] }, (_, i) => offsets[0] + i), `partition ${p}: in order, no gap`);
  }
  second.close();
  await proxy.close();
});

// librdkafka's threads in this process: each client of its own holds a handle's worth.
const librdkafkaThreads = () => fs.readdirSync('/proc/self/task').filter((t) => {
  try {
    return fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').startsWith('rdk:');
  } catch {
    return false; // ended while listed
  }
}).length;

test('clients that leave while their group consumer is still joining release it: its threads end, the proxy closes', async () => {
  const topic = await newTopic(2);
  const proxy = await startProxy();
  // The proxy's producer starts a thread per broker once it has learnt them from its first
  // metadata: counted only after that, or they would be taken for a consumer's that never ended.
  await proxy.producer.partition_count(topic);
  const before = librdkafkaThreads();
  // A consumer closed during its first join once hung its stop for good (librdkafka dropped the
  // assign its close served late, about one run in three at 100 clients on the MockCluster).
  for (let i = 0; i < 100; i++) {
    const ws = await connect(proxy, { topic, consumerGroup: `joining-${process.pid}-${i}` });
    ws.close();
  }
  await waitFor('the departed clients\' consumers to end', () => librdkafkaThreads() <= before, WIDE);
  await proxy.close();
});

test('a proxy on a given http server serves its upgrades without listen(), and refuses them once closed', async () => {
  const topic = await newTopic();
  const server = require('node:http').createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const proxy = new KafkaProxy({ server, kafka: broker, idleTimeout: 10, logger: quietLogger(), ...GRANT_ALL });
  proxies.add(proxy);
  const ws = await connect(proxy, { topic, partition: 1, offset: 0 });
  ws.send(JSON.stringify({ produce: [{ topic, message: 'on your server', partition: 1 }], id: 1 }));
  await waitFor('the ack and the message', () => ws.replies.length === 1 && ws.entries.length === 1, WIDE);
  assert.deepEqual(ws.replies[0], { produced: 1, id: 1 });
  assert.equal(ws.entries[0].message, 'on your server');
  await proxy.close();
  assert.equal(server.listening, true, 'the server is the caller\'s to close');
  assert.equal((await refusal(proxy, { topic })).status, 503);
  server.close();
});

// A producer with a fatal error (here an idempotent producer's sequence out of step with the
// broker's, injected on a MockCluster of the test's own) refuses every later send: the proxy
// replaces it, so that one such error does not leave it unable to send until restarted.
test('after a fatal producer error the proxy sends on a new producer', { skip: onKafka && 'fault injection, on a MockCluster of its own' }, async () => {
  const mock = new kafka.MockCluster(1);
  mock.createTopic('fatal', 1, 1);
  const logger = quietLogger();
  const proxy = await startProxy({ kafka: `${mock.bootstrapServers}/`, logger });
  const ws = await connect(proxy, { topic: 'fatal', partition: 0, offset: 0 });
  const send = async (id, message) => {
    ws.send(JSON.stringify({ produce: [{ topic: 'fatal', message, partition: 0 }], id }));
    await waitFor(`the reply to ${id}`, () => ws.replies.some((r) => r.id === id), WIDE);
    return ws.replies.find((r) => r.id === id);
  };
  assert.deepEqual(await send(1, 'before'), { produced: 1, id: 1 });
  mock.pushRequestErrors(0, ['OUT_OF_ORDER_SEQUENCE_NUMBER']);
  // The producer failed with that message; the next send goes to a new one.
  assert.match((await send(2, 'refused')).error, /OUT_OF_ORDER_SEQUENCE_NUMBER/);
  assert.deepEqual(await send(3, 'after'), { produced: 1, id: 3 });
  assert.deepEqual(await send(4, 'and on'), { produced: 1, id: 4 });
  await waitFor('what was delivered, read back', () => ws.entries.length >= 3, WIDE);
  assert.deepEqual(payloads(ws.entries), ['before', 'after', 'and on']);
  assert.ok(logger.lines.some((l) => l.level === 'error' && /producer had a fatal error and is replaced/.test(l.line)), JSON.stringify(logger.lines));
  ws.close();
  await proxy.close();
});

test('new KafkaProxy() refuses bad options, naming them', () => {
  assert.throws(() => new KafkaProxy({ wsPort: 1 }), /option kafka must be a broker list/);
  assert.throws(() => new KafkaProxy({ kafka: broker }), /option wsPort must be a port number/);
  assert.throws(() => new KafkaProxy({ kafka: broker, wsPort: 1, idleTimout: 5 }), /unknown KafkaProxy option idleTimout/);
  assert.throws(() => new KafkaProxy({ kafka: broker, wsPort: 1, maxBytes: 0 }), /option maxBytes must be an integer >= 1/);
  assert.throws(() => new KafkaProxy({ kafka: broker, wsPort: 1, auth: '' }), /option auth must be a non-empty string/);
  assert.throws(() => new KafkaProxy({ kafka: broker, wsPort: 1, topics: { read: 'x' } }), /option topics\.read must be a list of names/);
  assert.throws(() => new KafkaProxy({ kafka: broker, wsPort: 1, topics: { reed: [] } }), /unknown topics option reed/);
  assert.throws(() => new KafkaProxy({ kafka: broker, wsPort: 1, groups: [''] }), /option groups must be a list/);
  assert.throws(() => new KafkaProxy({ kafka: broker, wsPort: 1, offsets: 'yes' }), /option offsets must be true or false/);
  assert.throws(() => new KafkaProxy({ kafka: broker, wsPort: 1, authorize: true }), /option authorize must be a function/);
  assert.throws(() => new KafkaProxy({ kafka: broker, wsPort: 1, groupPrefix: 5 }), /option groupPrefix must be a string or a function/);
  assert.throws(() => new KafkaProxy({ kafka: broker, wsPort: 1, maxSendBytes: 0 }), /option maxSendBytes must be an integer >= 1/);
  assert.throws(() => new KafkaProxy({ kafka: broker, wsPort: 1, maxSendMessages: 20000 }), /option maxSendMessages \(20000\) must not exceed maxClientQueuedMessages \(10000\)/);
  assert.throws(() => new KafkaProxy({ kafka: broker, wsPort: 1, maxClientQueuedMessages: 1000, producer: { queue_buffering_max_messages: 500 } }), /must fit in the queue \(500 messages/);
});

test('kafka-native loads no ws package until kafka-native/ws-proxy is required', () => {
  const { spawnSync } = require('node:child_process');
  const loaded = (entry) => {
    const script = `require(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(require.cache)))`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: require('node:path').join(__dirname, '..'), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout).filter((f) => /node_modules\/ws\//.test(f));
  };
  assert.deepEqual(loaded('kafka-native'), []);
  assert.ok(loaded('kafka-native/ws-proxy').length > 0, 'the proxy loads ws');
});
