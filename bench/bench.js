'use strict';
// npm run bench: 1M x 100 B produce and consume, from Node and through the Rust core, in one run.
// Each side uses an embedded mock cluster in its own process, spread over 32 partitions (a mock
// partition keeps only ~5 MiB). Figures are medians of RUNS runs; Node is reported as a ratio of
// the core measured in the same run.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Producer, Consumer, MockCluster } = require('../js/index.js');

const MESSAGES = Number(process.env.MESSAGES || 1_000_000);
const SIZE = Number(process.env.SIZE || 100);
const PARTITIONS = 32;
const RUNS = Number(process.env.RUNS || 3);
const quiet = { error: console.error, warn() {}, info() {} };
const root = path.join(__dirname, '..');

async function produceAll(broker) {
  const producer = new Producer({ broker, logger: quiet, queue_buffering_max_messages: 1_000_000, statistics_interval_ms: 0 });
  const payloads = new Array(10_000).fill('x'.repeat(SIZE));
  let sent = 0;
  let partition = 0;
  while (sent < MESSAGES) {
    const batch = payloads.slice(0, Math.min(payloads.length, MESSAGES - sent));
    const { enqueued } = producer.send('bench', partition++ % PARTITIONS, batch);
    sent += enqueued;
    if (enqueued < batch.length) await new Promise((r) => setImmediate(r));
  }
  await producer.stop({ timeout: 120000 });
}

async function nodeProduce() {
  const cluster = new MockCluster(1);
  cluster.createTopic('bench', PARTITIONS, 1);
  const started = process.hrtime.bigint();
  await produceAll(cluster.bootstrapServers);
  return MESSAGES / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function nodeConsume() {
  const cluster = new MockCluster(1);
  cluster.createTopic('bench', PARTITIONS, 1);
  await produceAll(cluster.bootstrapServers);
  let received = 0;
  let first;
  let done;
  const finished = new Promise((r) => { done = r; });
  const consumer = new Consumer({
    broker: cluster.bootstrapServers, topic: 'bench', logger: quiet, statistics_interval_ms: 0,
    offset_directory: fs.mkdtempSync(path.join(os.tmpdir(), 'kn-bench-')),
    receive_callback(data) {
      first ??= process.hrtime.bigint();
      received += data.messages.length;
      if (received >= MESSAGES) done(process.hrtime.bigint());
      return Promise.resolve();
    },
  });
  await consumer.start();
  const last = await finished;
  await consumer.stop();
  return MESSAGES / (Number(last - first) / 1e9);
}

function rust(example) {
  const out = execFileSync('cargo', ['run', '-q', '--release', '-p', 'kafka-native', '--example', example, '--', String(MESSAGES), String(SIZE), String(PARTITIONS)],
    { cwd: root, encoding: 'utf8' });
  return Number(/([\d.]+) msgs\/s/.exec(out)[1]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const k = (x) => `${(x / 1000).toFixed(0)}k`;

(async () => {
  execFileSync('cargo', ['build', '-q', '--release', '-p', 'kafka-native', '--examples'], { cwd: root, stdio: 'inherit' });
  const results = { 'rust produce': [], 'node produce': [], 'rust consume': [], 'node consume': [] };
  for (let i = 0; i < RUNS; i++) {
    results['rust produce'].push(rust('produce_bench'));
    results['node produce'].push(await nodeProduce());
    results['rust consume'].push(rust('consume_bench'));
    results['node consume'].push(await nodeConsume());
  }
  const m = Object.fromEntries(Object.entries(results).map(([key, xs]) => [key, median(xs)]));
  console.log(`${MESSAGES} x ${SIZE} B, ${PARTITIONS} partitions, median of ${RUNS} runs (msgs/s)`);
  console.log('| | Rust core | Node | Node / core |');
  console.log('|---|---|---|---|');
  for (const op of ['produce', 'consume']) {
    console.log(`| ${op} | ${k(m[`rust ${op}`])} | ${k(m[`node ${op}`])} | ${(m[`node ${op}`] / m[`rust ${op}`]).toFixed(2)} |`);
  }
  console.log(`all runs: ${JSON.stringify(Object.fromEntries(Object.entries(results).map(([key, xs]) => [key, xs.map(k)])))}`);
})().catch((e) => { console.error(e); process.exit(1); });
