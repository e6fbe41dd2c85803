'use strict';
// Transactions v2 (KIP-890; librdkafka patches 0028 and 0029 of deps/librdkafka-patches) beside
// the v1 protocol, on a 1-node Apache Kafka of this file's own, formatted with
// transaction.version 1 and then upgraded to 2, every request it completes in its log. The same
// transactions (two partitions, group offsets, one aborted) are written on each: v1 sends
// AddPartitionsToTxn and AddOffsetsToTxn, v2 none of them (Produce v12, TxnOffsetCommit v5 and
// EndTxn v5 instead, the epoch bumped at every end); read_committed output and the group's
// offsets are exact on both, and a newer producer with the same transactional_id fences the
// older on both. The exactly-once suites (test/exactly-once.test.js, its kill -9 of the service
// included, and the Rust transactions.rs) run on the shared cluster (Kafka 4.4's default, v2)
// and, first here, on this one while it is v1. The MockCluster finalizes no feature (v1).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startKafka } = require('../../js/dev-cluster/cluster.js');
const { wide, kafka, waitFor, quietLogger } = require('../helpers');

const WIDE = wide(120000); // a node's start on a loaded 2-core machine
const API = { Produce: 0, AddPartitionsToTxn: 24, AddOffsetsToTxn: 25, EndTxn: 26, TxnOffsetCommit: 28 };
const ROUNDS = 6;
const ABORTED = 2;
let cluster;

test.before(async () => {
  cluster = await startKafka({ nodes: 1, features: { 'transaction.version': 1 }, requestLog: true, timeoutMs: WIDE });
});
test.after(() => cluster?.stop());

// Runs a test program against this cluster; resolves with its output, rejects with it if it fails.
function runAgainstCluster(command, args) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, KAFKA_TEST_BROKER: 'kafka', KAFKA_BROKERS: cluster.bootstrapServers, KAFKA_TRANSACTION_VERSION: '1' };
    delete env.NODE_TEST_CONTEXT; // else node --test inside a test file runs nothing
    const child = spawn(command, args, { env, cwd: path.join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(args[args.length - 1] ?? command)} failed on transactions v1 (${code}):\n${out.slice(-4000)}`))));
  });
}

test('the exactly-once suites pass on transactions v1 too', async (t) => {
  const node = await runAgainstCluster(process.execPath, ['--test', path.join('test', 'exactly-once.test.js')]);
  // The Kafka tests ran, the service's kill -9 among them (not skipped).
  assert.match(node, /^ok \d+ - kill -9 the read-process-write process 10 times(?!.*# SKIP)/m, node.slice(-2000));
  const rust = process.env.KN_RUST_TRANSACTIONS_TEST;
  if (rust) await runAgainstCluster(rust, []);
  else t.diagnostic('transactions.rs not run here: npm test names its program (KN_RUST_TRANSACTIONS_TEST)');
});

// ROUNDS transactions of two records (one per partition of `output`) and the input offset
// round + 1 for `group`; round ABORTED is aborted after its records reached the log. Then a
// newer producer with the same transactional_id fences this one.
async function writeTransactions({ clientId, output, group, input }) {
  const broker = cluster.bootstrapServers;
  const options = { broker, transactional_id: `${clientId}-txn`, logger: quietLogger(), driver_options: { 'client.id': clientId } };
  const producer = new kafka.Producer(options);
  try {
    assert.equal(producer.transactionVersion(), null, 'before initTransactions()');
    await producer.initTransactions();
    const version = producer.transactionVersion();
    for (let round = 0; round < ROUNDS; round++) {
      producer.beginTransaction();
      const sent = [0, 1].map((p) => producer.deliver(output, p, [`round-${round}-p${p}`]));
      await producer.sendOffsetsToTransaction(group, [{ topic: input, partition: 0, offset: round + 1 }]);
      await Promise.all(sent);
      if (round === ABORTED) await producer.abortTransaction();
      else await producer.commitTransaction();
    }
    // A newer producer with the same transactional_id: the older one is fenced.
    const newer = new kafka.Producer(options);
    await newer.initTransactions();
    producer.beginTransaction();
    producer.send(output, 0, ['zombie']);
    await assert.rejects(producer.commitTransaction(), (err) => err.fatal === true, 'the fenced producer cannot commit');
    await newer.stop();
    return version;
  } finally {
    await producer.stop().catch(() => {});
  }
}

async function readCommitted(topic, expected) {
  const seen = [];
  const reader = new kafka.Consumer({
    broker: cluster.bootstrapServers, topic, offset_directory: null, isolation_level: 'read_committed', fetch_wait_max_ms: 100, logger: quietLogger(),
    receive_callback: async ({ messages }) => { for (const m of messages) seen.push(m.payload); },
  });
  await reader.start();
  // The last committed round's records, read past every marker before them.
  await waitFor(`${topic} read`, () => seen.length >= expected.length, WIDE);
  await reader.stop();
  return seen.sort();
}

async function run(version) {
  const clientId = `txn-v${version}-${process.pid}`;
  const input = `${clientId}-in`;
  const output = `${clientId}-out`;
  const group = `${clientId}-group`;
  const admin = new kafka.Admin({ broker: cluster.bootstrapServers, logger: quietLogger() });
  let chosen;
  try {
    await admin.createTopics([{ topic: input, partitions: 1, replication_factor: 1 }, { topic: output, partitions: 2, replication_factor: 1 }]);
    chosen = await writeTransactions({ clientId, output, group, input });
    const committedRounds = [...Array(ROUNDS).keys()].filter((r) => r !== ABORTED);
    const expected = committedRounds.flatMap((r) => [`round-${r}-p0`, `round-${r}-p1`]).sort();
    assert.deepEqual(await readCommitted(output, expected), expected, 'read_committed: the committed rounds, once each; not the aborted round, not the zombie');
    const [offset] = await admin.groupOffsets(group);
    assert.equal(offset.committed, ROUNDS, 'the group offset of the last committed transaction');
  } finally {
    await admin.stop();
  }
  const requests = cluster.requests().filter((r) => r.clientId === clientId);
  const count = (key) => requests.filter((r) => r.apiKey === key).length;
  const versions = (key) => [...new Set(requests.filter((r) => r.apiKey === key).map((r) => r.apiVersion))];
  return { chosen, count, versions };
}

test('transactions v1 on a cluster finalized at transaction.version 1, v2 once it is upgraded: no AddPartitionsToTxn or AddOffsetsToTxn with v2', async () => {
  const v1 = await run(1);
  assert.equal(v1.chosen, 1);
  assert.ok(v1.count(API.AddPartitionsToTxn) >= ROUNDS, `v1 registers partitions (${v1.count(API.AddPartitionsToTxn)} AddPartitionsToTxn)`);
  // (some retried: CONCURRENT_TRANSACTIONS while the previous transaction's markers are written)
  assert.ok(v1.count(API.AddOffsetsToTxn) >= ROUNDS, `v1: an AddOffsetsToTxn per transaction (${v1.count(API.AddOffsetsToTxn)})`);
  assert.ok(v1.versions(API.EndTxn).every((v) => v <= 1), `v1 EndTxn versions ${v1.versions(API.EndTxn)}`);

  await cluster.setFeature('transaction.version', 2);
  // A producer made after the upgrade chooses v2 (the version is chosen at initTransactions()).
  const v2 = await run(2);
  assert.equal(v2.chosen, 2);
  assert.equal(v2.count(API.AddPartitionsToTxn), 0, 'v2: the leaders add the partitions');
  assert.equal(v2.count(API.AddOffsetsToTxn), 0, 'v2: the group coordinator adds the group');
  assert.deepEqual(v2.versions(API.EndTxn), [5]);
  assert.deepEqual(v2.versions(API.Produce), [12]);
  assert.deepEqual(v2.versions(API.TxnOffsetCommit), [5]);
  assert.equal(v2.count(API.EndTxn), ROUNDS, 'one EndTxn per transaction (the zombie\'s Produce was refused first)');
});
