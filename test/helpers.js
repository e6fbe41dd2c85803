'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const kafka = require('../js/index.js');

// The broker under test: KAFKA_TEST_BROKER=mock (default: an embedded MockCluster) or kafka (an
// Apache Kafka cluster at KAFKA_BROKERS, started by npm test; topics are created with an Admin).
// Both offer bootstrapServers and createTopic(name, partitions): await what it returns (the
// mock creates at once; Kafka answers once its controller has the topic).
// An embedded cluster lives as long as the test process: a test file that only hands its
// address to child processes keeps no reference to it, and a collected MockCluster is shut down.
const embedded = [];

function testCluster() {
  const kind = process.env.KAFKA_TEST_BROKER || 'mock';
  if (kind === 'mock') {
    const cluster = new kafka.MockCluster(1);
    cluster.setGroupInitialRebalanceDelay(0); // groups form at once, as on the test Kafka
    embedded.push(cluster);
    return cluster;
  }
  if (kind !== 'kafka') throw new Error(`KAFKA_TEST_BROKER=${kind}: expected mock or kafka`);
  const servers = process.env.KAFKA_BROKERS;
  if (!servers) throw new Error('KAFKA_TEST_BROKER=kafka needs KAFKA_BROKERS');
  let admin;
  return {
    bootstrapServers: servers,
    async createTopic(name, partitions, replicationFactor, config = {}) {
      admin ??= new kafka.Admin({ broker: servers, logger: quietLogger() });
      await admin.createTopics([{ topic: name, partitions, replication_factor: replicationFactor, config }]);
    },
  };
}

// A scratch directory (for offset files), removed with everything in it when the test process
// exits: a run of npm test makes hundreds.
const tempDirs = [];
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-test-'));
  if (tempDirs.push(dir) === 1) process.on('exit', removeTempDirs);
  return dir;
}
function removeTempDirs() {
  for (const dir of tempDirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      console.error(`could not remove ${dir}: ${e.message}`);
    }
  }
}

function readOffset(dir, topic, partition) {
  try {
    return fs.readFileSync(path.join(dir, `${topic}-${partition}.offset`), 'utf8');
  } catch {
    return undefined;
  }
}

async function produce(broker, topic, partition, payloads) {
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  const { enqueued } = producer.send(topic, partition, payloads);
  if (enqueued !== payloads.length) throw new Error(`enqueued ${enqueued} of ${payloads.length}`);
  await producer.stop();
}

// How much slower than usual the machine is (test/run.js measures it: KN_TEST_SLOWNESS, 1 to 3).
const SLOWNESS = Math.min(3, Math.max(1, Number(process.env.KN_TEST_SLOWNESS) || 1));
// A bound that waits on processes, JVMs or a cluster, widened on a machine slower than usual.
const wide = (ms) => Math.round(ms * SLOWNESS);

// Polls `predicate` (which may be async) until it holds (by default for up to 20 s, widened by
// wide()). `what` names it: a string, or a function (which may be async) asked at the timeout,
// to say what was there instead.
async function waitFor(what, predicate, timeoutMs = wide(20000)) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? await what() : what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A logger that keeps lines for assertions instead of printing them.
function quietLogger() {
  const lines = [];
  const keep = (level) => (line) => lines.push({ level, line });
  return { lines, error: keep('error'), warn: keep('warn'), info: keep('info'), debug: keep('debug') };
}

// For a connection that should fail (TLS, SASL): what partition_count() rejects with, how fast,
// and the error lines logged meanwhile.
async function refusal(broker, topic, driverOptions) {
  const logger = quietLogger();
  const producer = new kafka.Producer({ broker, logger, driver_options: driverOptions });
  const started = Date.now();
  const err = await producer.partition_count(topic).then(() => null, (e) => e);
  const ms = Date.now() - started;
  await producer.stop();
  if (!err) throw new Error('partition_count() resolved over a connection that should have failed');
  return { message: err.message, ms, logged: logger.lines.filter((l) => l.level === 'error').map((l) => l.line) };
}

// Sends 100 messages to partition 0 of `topic` with `driverOptions` (TLS, SASL), reads them back
// with a consumer of the same options, and checks they came back whole and in order.
async function roundTrip(broker, topic, driverOptions) {
  const producer = new kafka.Producer({ broker, logger: quietLogger(), driver_options: driverOptions });
  const sent = Array.from({ length: 100 }, (_, i) => `secret ${i}`);
  const [first] = await producer.deliver(topic, 0, sent);
  await producer.stop();
  const got = [];
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: null, start_offset: first.offset, logger: quietLogger(), driver_options: driverOptions,
    receive_callback: ({ messages }) => { got.push(...messages.map((m) => m.payload)); return Promise.resolve(); },
  });
  await consumer.start();
  await waitFor('all 100 back', () => got.length >= 100, 30000);
  await consumer.stop();
  assert.deepEqual(got, sent);
}

// A "broker" that accepts connections and never answers: requests wait on it until they time
// out. → {broker, connected}: `connected` resolves once a client has connected (its start() is
// then waiting on it).
async function silentBroker(t) {
  const sockets = new Set();
  let connected;
  const firstConnection = new Promise((r) => { connected = r; });
  const server = net.createServer((s) => { sockets.add(s); s.on('error', () => {}); connected(); }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  t.after(() => { for (const s of sockets) s.destroy(); server.close(); });
  return { broker: `127.0.0.1:${server.address().port}`, connected: firstConnection };
}

// A process's parent.
const parentOf = (pid) => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);

// The Apache Kafka node JVMs running on this machine: [{pid, properties (its server.properties
// file)}]. Each one's parent is the watcher shell js/dev-cluster/cluster.js runs it under; with
// `startedBy`, only the nodes whose watcher that process started (other clusters' nodes, with the
// same node ids, may run beside it).
function kafkaNodeProcesses(startedBy) {
  const nodes = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const at = args.indexOf('kafka.Kafka');
      if (args[0] !== 'java' || at < 0) continue;
      if (startedBy !== undefined && parentOf(parentOf(pid)) !== startedBy) continue;
      nodes.push({ pid: Number(pid), properties: args[at + 1], jvmOptions: args.slice(1, args.indexOf('-cp')) });
    } catch {
      // gone meanwhile
    }
  }
  return nodes;
}

module.exports = { wide, kafka, testCluster, tempDir, readOffset, produce, waitFor, sleep, quietLogger, refusal, roundTrip, kafkaNodeProcesses, silentBroker };
