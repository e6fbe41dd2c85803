'use strict';
// The transactions benchmark (issue 25): transactional produce throughput on Apache Kafka, with
// 100 and with 1,000 messages of 100 B per transaction, each transaction begun, sent and committed
// before the next, for kafka-native, KafkaJS and node-rdkafka (`--with-node-rdkafka`), each in its
// own process against the same broker, in the same run.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { BROKERS, stopBroker } = require('./brokers');
const { machine, publish, fmt } = require('./report');

const MESSAGES = Number(process.env.TXN_MESSAGES || 20000);
const SIZES = [100, 1000];
// kafka-native twice: at its defaults (queue_buffering_max_ms 250) and with 0, since a commit
// waits for the transaction's messages and librdkafka still lingers before sending them.
const CLIENTS = ['kafka-native', 'kafka-native, queue_buffering_max_ms 0', 'kafkajs', 'node-rdkafka'];
const client = path.join(__dirname, 'clients', 'transactions', 'client.js');

function resolvable(mod) {
  try {
    require.resolve(mod, { paths: [path.join(__dirname, '..'), ...(process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean)] });
    return true;
  } catch {
    return false;
  }
}

function runClient(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [client], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`${env.CLIENT} exited (${code})`))));
  });
}

async function transactions() {
  const kafka = BROKERS.find((b) => b.name === 'kafka');
  if (!kafka?.available) throw new Error(`transactions: Apache Kafka ${kafka?.missing ?? 'is not available'}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-txn-'));
  const topic = 'txn-bench';
  const broker = await kafka.start(tmp, topic, 1);
  const rows = [];
  const notes = [];
  try {
    for (const per of SIZES) {
      for (const name of CLIENTS) {
        const native = name.startsWith('kafka-native');
        const mod = native ? null : name;
        if (mod && !resolvable(mod)) {
          const note = `${name}: not installed here${name === 'node-rdkafka' ? ' (run with --with-node-rdkafka)' : ''}`;
          if (!notes.includes(note)) notes.push(note);
          continue;
        }
        const count = Math.max(1, Math.round(MESSAGES / per));
        try {
          const { seconds } = await runClient({ CLIENT: native ? 'kafka-native' : name, LINGER_MS: name.endsWith(' 0') ? '0' : '', KAFKA_BROKERS: broker.servers, KAFKA_TOPIC: topic, TRANSACTIONS: String(count), PER_TRANSACTION: String(per) });
          rows.push({ per, name, count, seconds });
          console.error(`${name}, ${per} per transaction: ${fmt(count / seconds)} transactions/s, ${fmt(count * per / seconds)} msg/s`);
        } catch (e) {
          notes.push(`${name}, ${per} per transaction: ${e.message}`);
        }
      }
    }
  } finally {
    await stopBroker(broker.child);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const base = (per) => rows.find((r) => r.per === per && r.name === 'kafkajs');
  const table = [
    '| messages per transaction | client | transactions | transactions/s | messages/s | × KafkaJS |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.per} | ${r.name} | ${r.count} | ${fmt(r.count / r.seconds)} | ${fmt(r.count * r.per / r.seconds)} | ${base(r.per) ? fmt(base(r.per).seconds / r.seconds, 2) : '–'} |`),
  ].join('\n');
  publish('transactions', [
    `One run, ${new Date().toISOString().slice(0, 10)}, ${machine()}, Apache Kafka (1 node, \`kafka-native kafka\`).`,
    `Command: \`npm run bench -- transactions\`. ${MESSAGES} messages of 100 B to one partition per cell, in transactions each begun,`,
    'sent and committed before the next (the first, which connects, not timed); each client in its own process.',
    '',
    table,
  ], notes, process.env.TXN_MESSAGES === undefined);
}

module.exports = { transactions };
