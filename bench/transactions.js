'use strict';
// The transactions benchmark: small transactions (1, 10 and 100 records of 100 B to one
// partition, with and without a group offset sent to each) per second and their commit latency
// (p50 and p99 of the commit call), on transactions v1 and v2 (KIP-890), against Kafka's Java
// producer doing the same in the same run. One Apache Kafka node (the dev cluster, its log in
// memory where the machine has /dev/shm), formatted with transaction.version 1: the v1 cells run
// first, then the cluster is upgraded to 2 (as kafka-features.sh upgrade does) and the v2 cells
// run; both clients choose the protocol at their start. (KafkaJS, which writes v1 only, commits
// 0.15-0.66 × the Java producer's transactions there: measured once, 2026-11-29, not rerun.)
// Each client in its own process; each transaction begun, sent, given its offset and committed
// before the next; the first (which connects) not timed.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { startKafka } = require('../js/dev-cluster/cluster.js');
const { installKafka, missingTools } = require('../js/dev-cluster/install.js');
const { machine, publish, percentile, fmt } = require('./report');

const TRANSACTIONS = Number(process.env.TXN_COUNT || 300);
const SIZES = (process.env.TXN_SIZES || '1,10,100').split(',').map(Number);
const TOPIC = 'txn-bench';
const client = path.join(__dirname, 'clients', 'transactions', 'client.js');
const javaClient = path.join(__dirname, 'clients', 'transactions', 'TxnBench.java');

// Runs one client process; resolves with its last output line's JSON.
function runProcess(command, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { err += c; });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`exited (${code}): ${err.trim().slice(-400)}`))));
  });
}

async function transactions() {
  const missing = missingTools();
  if (missing) throw new Error(`transactions: Apache Kafka ${missing}`);
  const libs = await installKafka({ log: (l) => console.error(l) });
  // The log in memory: the clients are measured, not this machine's disk (bench/brokers.js).
  const tmp = process.env.TMPDIR;
  if (process.env.BENCH_KAFKA_DATA !== 'disk' && fs.existsSync('/dev/shm')) process.env.TMPDIR = '/dev/shm';
  const cluster = await startKafka({ nodes: 1, jvm: 'kafka', heapMb: 1024, features: { 'transaction.version': 1 } });
  if (tmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmp;
  const servers = cluster.bootstrapServers;
  const rows = [];
  const notes = [];
  const measure = async (protocol, name, per, offsets) => {
    const env = { KAFKA_BROKERS: servers, KAFKA_TOPIC: TOPIC, TRANSACTIONS: String(TRANSACTIONS), PER_TRANSACTION: String(per), OFFSETS: offsets ? '1' : '0' };
    try {
      const r = name === 'Java producer'
        ? await runProcess('java', ['-Xmx512M', '-cp', path.join(libs, '*'), javaClient, servers, TOPIC, String(TRANSACTIONS), String(per), offsets ? '1' : '0'], {})
        : await runProcess(process.execPath, [client], { ...env, CLIENT: name, LINGER_MS: name === 'kafka-native' ? '0' : '' });
      if (r.version !== null && r.version !== undefined && r.version !== protocol) throw new Error(`wrote transactions v${r.version}, not v${protocol}`);
      const commits = [...r.commits].sort((a, b) => a - b);
      const row = { protocol, name, per, offsets, rate: TRANSACTIONS / r.seconds, p50: percentile(commits, 50), p99: percentile(commits, 99) };
      rows.push(row);
      const mean = r.commits.reduce((a, b) => a + b, 0) / r.commits.length;
      console.error(`v${protocol} ${name}, ${per} per transaction${offsets ? ', offsets' : ''}: ${fmt(row.rate)} transactions/s (${fmt(1000 / row.rate, 1)} ms each), commit mean ${fmt(mean, 1)} p50 ${fmt(row.p50, 1)} p90 ${fmt(percentile(commits, 90), 1)} p99 ${fmt(row.p99, 1)} ms`);
    } catch (e) {
      notes.push(`v${protocol} ${name}, ${per} per transaction${offsets ? ', offsets' : ''}: ${e.message}`);
    }
  };
  try {
    await runProcess(process.execPath, ['-e', `
      const { Admin } = require(${JSON.stringify(path.join(__dirname, '..'))});
      const admin = new Admin({ broker: ${JSON.stringify(servers)}, logger: { error() {}, warn() {}, info() {}, debug() {} } });
      admin.createTopics([{ topic: ${JSON.stringify(TOPIC)}, partitions: 1, replication_factor: 1 }]).then(() => admin.stop()).then(() => console.log('{}'));
    `], {});
    for (const protocol of [1, 2]) {
      if (protocol === 2) await cluster.setFeature('transaction.version', 2);
      for (const per of SIZES) {
        for (const offsets of [false, true]) {
          for (const name of ['kafka-native', 'Java producer']) await measure(protocol, name, per, offsets);
        }
      }
    }
  } finally {
    await cluster.stop();
  }
  // One row per cell: kafka-native beside the Java producer.
  const cell = (name, r) => rows.find((x) => x.name === name && x.protocol === r.protocol && x.per === r.per && x.offsets === r.offsets);
  const pair = (a, b, digits = 0) => `${fmt(a, digits)} / ${fmt(b, digits)}`;
  const table = [
    '| protocol | records per transaction | offsets | transactions/s, kafka-native / Java | × Java | commit p50 ms | commit p99 ms |',
    '|---|---|---|---|---|---|---|',
    ...rows
      .filter((r) => r.name === 'kafka-native')
      .map((r) => {
        const j = cell('Java producer', r);
        return `| v${r.protocol} | ${r.per} | ${r.offsets ? 'yes' : 'no'} | ${pair(r.rate, j?.rate)} | ${j ? fmt(r.rate / j.rate, 2) : '–'} | ${pair(r.p50, j?.p50, 1)} | ${pair(r.p99, j?.p99, 1)} |`;
      }),
  ].join('\n');
  publish('transactions', [
    `One run, ${new Date().toISOString().slice(0, 10)}, ${machine()}, Apache Kafka (1 node, formatted with transaction.version 1, then upgraded to 2).`,
    `Command: \`npm run bench -- transactions\`. ${TRANSACTIONS} transactions per cell of 100 B records to one partition, each begun, sent,`,
    'given its group offset (offsets: yes) and committed before the next; kafka-native with queue_buffering_max_ms 0, the Java producer with linger.ms 0.',
    '',
    table,
  ], notes, process.env.TXN_COUNT === undefined);
}

module.exports = { transactions };
