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
const { kafka, testCluster, waitFor, quietLogger } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
const WIDE = 30000; // deadline for anything crossing processes and Kafka on a loaded CI machine
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
