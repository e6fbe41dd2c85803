'use strict';
// kafka-native/deepstream as the cluster node of three real deepstream servers, each in its own
// process, with @deepstream/client clients: events, records, RPC and presence across servers,
// the cluster registry, a stopped server and a killed one dropped, and what crosses Kafka.
// The servers share nothing but the Kafka topic.
const test = require('node:test');
const assert = require('node:assert/strict');
const { fork } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const { DeepstreamClient } = require('@deepstream/client');
const { wide, kafka, testCluster, waitFor, quietLogger, silentBroker } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
const WIDE = wide(30000); // deadline for anything crossing processes and Kafka on a loaded CI machine
const topic = `deepstream-${process.pid}`;
test.before(() => cluster.createTopic(topic, 2));

const children = new Set();
const clients = new Set();

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer(name) {
  const port = await freePort();
  const child = fork(path.join(__dirname, 'deepstream', 'server.js'), [], {
    env: { ...process.env, SERVER_NAME: name, PORT: String(port), KAFKA_BROKERS: broker, KAFKA_TOPIC: topic },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'], // deepstream's info log goes to stdout
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const pending = new Map();
  let next = 0;
  await new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m.ready) resolve();
      else pending.get(m.id)?.(m.result);
    });
    child.once('exit', (code) => reject(new Error(`deepstream server ${name} exited (${code})`)));
  });
  const call = (op) => new Promise((resolve) => {
    const id = ++next;
    pending.set(id, resolve);
    child.send({ id, op });
  });
  return { name, child, url: `ws://127.0.0.1:${port}/deepstream`, registry: () => call('registry') };
}

async function connect(server, username) {
  const client = new DeepstreamClient(server.url, { offlineEnabled: false });
  client.on('error', () => {}); // a server stopped under it, at the end
  clients.add(client);
  await client.login({ username });
  return client;
}

const waitWide = (what, predicate) => waitFor(what, predicate, WIDE);

let a;
let b;
let c;

test.before(async () => {
  [a, b, c] = await Promise.all(['a', 'b', 'c'].map(startServer));
});

test.after(async () => {
  for (const client of clients) client.close();
  for (const child of children) child.kill('SIGKILL');
});

test('the cluster registry of every server sees all three', async () => {
  for (const s of [a, b, c]) {
    await waitWide(`${s.name} to know a, b and c`, async () => JSON.stringify(await s.registry()) === '["a","b","c"]');
  }
});

test('an event emitted through one server reaches subscribers on the others', async () => {
  const [onA, onB, onC] = await Promise.all([connect(a, 'ev-a'), connect(b, 'ev-b'), connect(c, 'ev-c')]);
  const got = { b: [], c: [] };
  onB.event.subscribe('news', (data) => got.b.push(data));
  onC.event.subscribe('news', (data) => got.c.push(data));
  // A server learns of the others' subscriptions through the cluster: emit until both hear.
  let n = 0;
  await waitWide('b and c to hear a', () => {
    onA.event.emit('news', { n: ++n });
    return got.b.length > 0 && got.c.length > 0;
  });
  onA.event.emit('news', { n: 'last' });
  await waitWide('the last one', () => got.b.some((d) => d.n === 'last') && got.c.some((d) => d.n === 'last'));
  for (const d of [...got.b, ...got.c]) assert.ok(d.n === 'last' || (d.n >= 1 && d.n <= n), JSON.stringify(d));
});

test('a record set through one server is seen through another', async () => {
  const [onA, onB] = await Promise.all([connect(a, 'rec-a'), connect(b, 'rec-b')]);
  const seenOnB = onB.record.getRecord('game/1');
  await seenOnB.whenReady();
  const values = [];
  seenOnB.subscribe('score', (score) => values.push(score));
  const written = onA.record.getRecord('game/1');
  await written.whenReady();
  let score = 0;
  await waitWide('b to see a\'s write', () => {
    written.set('score', ++score);
    return values.length > 0;
  });
  assert.ok(values.every((v) => Number.isInteger(v) && v >= 1 && v <= score), JSON.stringify(values));
  await waitWide('b to have a\'s last write', () => seenOnB.get('score') === score);
});

test('an RPC provided on one server is made through another', async () => {
  const [onA, onC] = await Promise.all([connect(a, 'rpc-a'), connect(c, 'rpc-c')]);
  onC.rpc.provide('add', (data, response) => response.send({ sum: data.x + data.y, on: 'c' }));
  let answer;
  await waitWide('the provider on c to be known on a', async () => {
    try {
      answer = await onA.rpc.make('add', { x: 2, y: 3 });
      return true;
    } catch (err) {
      if (!/NO_RPC_PROVIDER/.test(String(err))) throw err;
      return false;
    }
  });
  assert.deepEqual(answer, { sum: 5, on: 'c' });
});

test('presence sees users logged in through every server', async () => {
  await Promise.all([connect(a, 'alice'), connect(b, 'bob')]);
  const onC = await connect(c, 'carol');
  await waitWide('carol to see alice and bob', async () => {
    const users = await onC.presence.getAll();
    return users.includes('alice') && users.includes('bob');
  });
});

test('the cluster messages are in the Kafka topic, keyed and marked by their server', async () => {
  const froms = new Set();
  const consumer = new kafka.Consumer({
    broker,
    topic,
    start_offset: 'earliest',
    offset_directory: null,
    payload_encoding: 'buffer',
    logger: quietLogger(),
    receive_callback: ({ messages }) => {
      for (const m of messages) {
        const from = m.headers.from.toString();
        assert.equal(m.key.toString(), from);
        assert.ok('message' in JSON.parse(m.payload.toString()));
        froms.add(from);
      }
    },
  });
  await consumer.start();
  await waitWide('messages from a, b and c', () => froms.size === 3);
  await consumer.stop();
  assert.deepEqual([...froms].sort(), ['a', 'b', 'c']);
});

test('a server that stops leaves the registry, and one that is killed is dropped after the inactivity timeout', async () => {
  const d = await startServer('d');
  const e = await startServer('e');
  await waitWide('a to know d and e', async () => (await a.registry()).includes('d') && (await a.registry()).includes('e'));
  d.child.kill('SIGTERM'); // deepstream's stop(): the registry sends its leave
  await waitWide('a to drop d', async () => !(await a.registry()).includes('d'));
  e.child.kill('SIGKILL'); // no leave: its status messages stop
  await waitWide('a and b to drop e', async () => !(await a.registry()).includes('e') && !(await b.registry()).includes('e'));
  assert.deepEqual(await a.registry(), ['a', 'b', 'c']);
});

test('the cluster node refuses bad options, naming them', () => {
  const KafkaClusterNode = require('kafka-native/deepstream');
  const services = { logger: { error() {}, warn() {}, info() {}, debug() {} } };
  const config = { serverName: 'x' };
  assert.throws(() => new KafkaClusterNode({}, services, config), /option broker must be a broker list/);
  assert.throws(() => new KafkaClusterNode({ broker, topic: 'bad topic' }, services, config), /option topic must be a Kafka topic name/);
  assert.throws(() => new KafkaClusterNode({ broker, tpoic: 'x' }, services, config), /unknown clusterNode option tpoic/);
  assert.throws(() => new KafkaClusterNode({ connectionString: 'zk:2181' }, services, config), /option connectionString \(a ZooKeeper address for kafka-node\) is gone: give the Kafka brokers as broker/);
  assert.throws(() => new KafkaClusterNode({ broker, clientId: 'ds1' }, services, config), /option clientId is gone: each node is named by deepstream's serverName/);
  assert.throws(() => new KafkaClusterNode({ broker, producer: 5 }, services, config), /option producer must be an object/);
  // Each of these would keep a node from reading every message, or is the node's to set.
  for (const [consumer, reason] of [
    [{ group_id: 'ds' }, /option consumer\.group_id cannot be set: every node must read every message of the topic \(a group would split them\)/],
    [{ num_workers: 2 }, /option consumer\.num_workers cannot be set: every node must read every message/],
    [{ worker_slot: 1 }, /option consumer\.worker_slot cannot be set: every node must read every message/],
    [{ topic: 'other' }, /option consumer\.topic cannot be set: give it as the node's topic option/],
    [{ start_offset: 'earliest' }, /option consumer\.start_offset cannot be set: the node reads from 'latest'/],
  ]) {
    assert.throws(() => new KafkaClusterNode({ broker, consumer }, services, config), reason);
  }
  assert.throws(() => new KafkaClusterNode({ broker, producer: { broker: 'x:1' } }, services, config), /option producer\.broker cannot be set/);
  for (const bad of [{}, { serverName: '' }, { serverName: 7 }]) {
    assert.throws(() => new KafkaClusterNode({ broker }, services, bad), /deepstream's serverName must be set/);
  }
});

// A logger in deepstream's shape (event, message) that keeps the node's errors.
function keptErrors() {
  const errors = [];
  return { errors, logger: { error: (_event, m) => errors.push(m), warn() {}, info() {}, debug() {} } };
}

test('poison records in the topic are skipped one by one: a cluster message behind them still arrives', async () => {
  const KafkaClusterNode = require('kafka-native/deepstream');
  const poisoned = `deepstream-poison-${process.pid}`;
  await cluster.createTopic(poisoned, 1);
  const { errors, logger } = keptErrors();
  const node = new KafkaClusterNode({ broker, topic: poisoned }, { logger }, { serverName: 'listener' });
  const got = [];
  node.subscribe(4, (message, from) => got.push({ message, from }));
  await node.whenReady();
  const from = { from: 'elsewhere' };
  const legit = { topic: 4, action: 1, name: 'after-the-poison' };
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  // One request to one partition: the records arrive in one batch, the legitimate one last.
  await producer.deliver(poisoned, 0, [
    { payload: '{}', headers: from },
    { payload: '{"message": null}', headers: from },
    { payload: '{"message": 5}', headers: from },
    { payload: '{"message": {"name": "no topic"}}', headers: from },
    { payload: 'not JSON', headers: from },
    { payload: '', headers: from },
    { payload: JSON.stringify({ message: legit }), headers: from },
  ]);
  await waitFor('the cluster message behind the poison', () => got.length === 1, WIDE);
  await producer.stop();
  await node.close();
  assert.deepEqual(got, [{ message: legit, from: 'elsewhere' }]);
  assert.equal(errors.filter((e) => /is not a cluster message/.test(e)).length, 6, errors.join('\n'));
});

// A producer with a fatal error (here an idempotent producer's sequence out of step with the
// broker's, injected on a MockCluster of the test's own) refuses every later send: the node
// replaces it, so that one such error does not cut it off from the cluster until restarted.
test('after a fatal producer error a node sends on a new producer', { skip: process.env.KAFKA_TEST_BROKER === 'kafka' && 'fault injection, on a MockCluster of its own' }, async (t) => {
  const KafkaClusterNode = require('kafka-native/deepstream');
  const mock = new kafka.MockCluster(1);
  mock.setGroupInitialRebalanceDelay(0);
  mock.createTopic('deepstream-fatal', 1, 1);
  const options = { broker: mock.bootstrapServers, topic: 'deepstream-fatal' };
  const sender = keptErrors();
  const node = new KafkaClusterNode(options, { logger: sender.logger }, { serverName: 'sender' });
  const listener = new KafkaClusterNode(options, { logger: keptErrors().logger }, { serverName: 'listener' });
  t.after(() => Promise.all([node.close(), listener.close()]));
  const got = [];
  listener.subscribe(4, (message) => got.push(message.name));
  await Promise.all([node.whenReady(), listener.whenReady()]);
  node.send({ topic: 4, action: 1, name: 'before' });
  await waitFor('before', () => got.length === 1, WIDE);
  mock.pushRequestErrors(0, ['OUT_OF_ORDER_SEQUENCE_NUMBER']);
  node.send({ topic: 4, action: 1, name: 'refused' });
  await waitFor('the producer to fail', () => sender.errors.some((e) => /fatal/i.test(e)), WIDE);
  node.send({ topic: 4, action: 1, name: 'after' });
  await waitFor('after', () => got.includes('after'), WIDE);
  assert.deepEqual(got, ['before', 'after']);
  assert.ok(sender.errors.some((e) => /producer had a fatal error and is replaced/.test(e)), sender.errors.join('\n'));
});

test('a cluster message the producer cannot queue is logged, not dropped in silence', async (t) => {
  const KafkaClusterNode = require('kafka-native/deepstream');
  const { broker: silent } = await silentBroker(t);
  const { errors, logger } = keptErrors();
  // A queue of one message, towards a broker that never answers: the second cannot go in.
  const node = new KafkaClusterNode({ broker: silent, producer: { queue_buffering_max_messages: 1 } }, { logger }, { serverName: 'full' });
  node.send({ topic: 4, action: 1, name: 'first' });
  node.send({ topic: 4, action: 1, name: 'second' });
  await node.producer.stop({ timeout: 0 }).catch(() => {});
  assert.ok(errors.some((e) => /a cluster message for topic 4 was not sent: the producer's local queue is full/.test(e)), errors.join('\n'));
});

// A node publishes in bursts (a tick's record updates and events): its producer gathers each
// into one request for 1 ms. Read from librdkafka's own configuration dump (debug 'conf').
test('the node\'s producer gathers a burst for 1 ms (linger.ms) by default; producer options still set it', async () => {
  const KafkaClusterNode = require('kafka-native/deepstream');
  const lingerOf = async (producer) => {
    const lines = [];
    const logger = { error() {}, warn() {}, info() {}, debug: (_event, line) => lines.push(line) };
    const node = new KafkaClusterNode({ broker, topic, producer: { ...producer, driver_options: { debug: 'conf' } } }, { logger }, { serverName: 'linger' });
    await node.close();
    return lines.map((l) => /queue\.buffering\.max\.ms = ([\d.]+)/.exec(l)?.[1]).find((v) => v !== undefined);
  };
  assert.equal(await lingerOf({}), '1');
  assert.equal(await lingerOf({ queue_buffering_max_ms: 0 }), '0');
});

test('kafka-native loads no deepstream package until kafka-native/deepstream is required', () => {
  const { spawnSync } = require('node:child_process');
  const loaded = (entry) => {
    const script = `require(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(require.cache)))`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout).filter((f) => f.includes('@deepstream'));
  };
  assert.deepEqual(loaded('kafka-native'), []);
  assert.ok(loaded('kafka-native/deepstream').length > 0);
});
