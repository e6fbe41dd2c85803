'use strict';
// The awaited-send benchmark: what most application code does, `await send(...)` of one message,
// one at a time and 100 at once (clients/awaited/common.js), each client at its defaults:
// operations per second and the time of each await. Apache Kafka by default (BENCH_BROKERS picks
// others); the broker is a separate process, fresh for every row.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { BROKERS, stopBroker } = require('./brokers');
const { machine, publish, fmt } = require('./report');
const { runnable, platformatic, withBaseline } = require('./peers');

const SECONDS = Number(process.env.AWAITED_SECONDS || 5);
const CONCURRENCY = [1, 100];
const PARTITIONS = 4;
const clients = path.join(__dirname, 'clients', 'awaited');
const CONFIGS = [
  { client: 'kafka-native', file: 'kafka-native.js', label: 'defaults (queue_buffering_max_ms 0)', settings: {} },
  { client: 'kafka-native', file: 'kafka-native.js', label: 'queue_buffering_max_ms 250 (the old default)', settings: { producer: { queue_buffering_max_ms: 250 } }, only: 1 },
  // The KafkaJS-style clients are not idempotent by default; this package is (acks=all either way).
  { client: 'kafka-native', file: 'kafka-native.js', label: 'enable_idempotence false', settings: { producer: { enable_idempotence: false } } },
  { client: 'KafkaJS API on kafka-native', file: 'kafkajs.js', label: 'defaults', settings: {}, env: { KAFKAJS_MODULE: path.join(__dirname, '..', 'js', 'kafkajs') } },
  { client: 'KafkaJS', file: 'kafkajs.js', label: 'defaults', settings: {}, needs: 'kafkajs' },
  { client: '@platformatic/kafka', file: 'platformatic.js', label: 'defaults', settings: {}, peer: platformatic },
  { client: 'node-rdkafka', file: 'node-rdkafka.js', label: 'defaults (linger.ms 5), setPollInterval(1)', settings: {}, needs: 'node-rdkafka' },
  { client: 'node-rdkafka', file: 'node-rdkafka.js', label: 'linger.ms 0, setPollInterval(1)', settings: { producer: { 'linger.ms': 0 } }, needs: 'node-rdkafka' },
  { client: 'confluent-kafka-javascript', file: 'confluent.js', label: 'KafkaJS API, defaults', settings: {}, needs: '@confluentinc/kafka-javascript' },
  { client: 'confluent-kafka-javascript', file: 'confluent.js', label: 'KafkaJS API, linger.ms 0', settings: { producer: { 'linger.ms': 0 } }, needs: '@confluentinc/kafka-javascript' },
];

async function awaitedRun(broker, config, concurrency, tmp, index) {
  const topic = `awaited-${index}`;
  const { child, servers } = await broker.start(tmp, topic, PARTITIONS);
  try {
    const runtime = config.peer?.() ?? { node: process.execPath, env: {} };
    const env = {
      ...process.env, ...runtime.env, ...config.env, KAFKA_BROKERS: servers, KAFKA_TOPIC: topic,
      CONCURRENCY: String(concurrency), SECONDS: String(SECONDS), PARTITIONS: String(PARTITIONS), SETTINGS: JSON.stringify(config.settings),
    };
    const r = spawnSync(runtime.node, [path.join(config.dir ?? clients, config.file)], { env, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${(r.stderr || '').trim().split('\n').slice(-3).join(' ')} (${r.status ?? r.signal})`);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } finally {
    await stopBroker(child);
  }
}

async function awaited() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-awaited-'));
  const notes = [];
  const only = process.env.BENCH_CLIENTS && process.env.BENCH_CLIENTS.split(',');
  const configs = runnable(withBaseline(CONFIGS, clients), only, notes, 'awaited');
  const brokers = process.env.BENCH_BROKERS ? BROKERS : BROKERS.filter((b) => b.name === 'kafka');
  const rows = [];
  let index = 0;
  for (const broker of brokers.filter((b) => b.available)) {
    for (const concurrency of CONCURRENCY) {
      for (const config of configs.filter((c) => !c.only || c.only === concurrency)) {
        let result;
        try {
          result = await awaitedRun(broker, config, concurrency, tmp, index++);
        } catch (e) {
          notes.push(`${config.client} (${config.label}), ${concurrency} at once on ${broker.name}: ${e.message}`);
        }
        const row = { broker: broker.name, concurrency, ...config, ...result };
        rows.push(row);
        console.error(`${broker.name} ×${concurrency} ${config.client} (${config.label}): ${fmt(row.ops_per_s)} ops/s, p50 ${fmt(row.p50, 2)} p99 ${fmt(row.p99, 2)} ms`);
      }
    }
  }
  // Each row's ratio is to the best of the other clients at the same concurrency, same run.
  const best = (r) => Math.max(...rows.filter((o) => o.broker === r.broker && o.concurrency === r.concurrency && !o.client.includes('kafka-native') && o.ops_per_s).map((o) => o.ops_per_s));
  const table = [
    '| broker | sends at once | client | settings | ops/s | × best peer | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.broker} | ${r.concurrency} | ${r.client} | ${r.label} | ${fmt(r.ops_per_s)} | ${fmt(r.ops_per_s / best(r), 2)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.max, 1)} |`),
  ].join('\n');
  publish('awaited', [
    `One run of ${SECONDS} s per row (after 1 s of warm-up), ${new Date().toISOString().slice(0, 10)}, ${machine()}.`,
    `Command: \`npm run bench -- awaited --with-node-rdkafka\`. ${PARTITIONS} partitions, one 100 B message per send, each client at its defaults (acks: all for every one).`,
    '',
    table,
    '',
  ], notes, process.env.AWAITED_SECONDS === undefined && !only);
  fs.rmSync(tmp, { recursive: true, force: true });
}

module.exports = { awaited };
