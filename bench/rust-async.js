'use strict';
// The async Rust benchmark (issue 27): kafka-native's Producer::deliver_async and BatchStream
// against rust-rdkafka's FutureProducer and StreamConsumer, both in one process per broker (the
// bench/rust-async crate, a workspace of its own so that rust-rdkafka is built only here):
// awaited sends one at a time and 100 at a time, and a stream consume.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const { BROKERS, stopBroker } = require('./brokers');
const { machine, publish, fmt } = require('./report');

const root = path.join(__dirname, '..');
const crate = path.join(__dirname, 'rust-async');
const target = 'x86_64-unknown-linux-gnu';
// The workspace's target folder and host target, as npm test builds: librdkafka is reused.
const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, 'target');
const binary = path.join(targetDir, target, 'release', 'kafka-native-bench-async');

function run(env) {
  const r = spawnSync(binary, [], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 15 * 60000 });
  if (r.status !== 0) throw new Error(`bench/rust-async failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function rustAsync() {
  const built = spawnSync('cargo', ['build', '-q', '--release', '--target', target, '--manifest-path', path.join(crate, 'Cargo.toml')], { cwd: crate, stdio: 'inherit', env: { ...process.env, CARGO_TARGET_DIR: targetDir } });
  if (built.status !== 0) throw new Error('building bench/rust-async failed');
  const rows = [];
  for (const broker of BROKERS.filter((b) => b.available)) {
    if (broker.name === 'mock') {
      rows.push({ broker: 'mock (embedded)', ...run({ KAFKA_BROKERS: '' }) });
      continue;
    }
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-rust-async-'));
    const started = await broker.start(tmp, 'rust-async', 1);
    try {
      rows.push({ broker: broker.name, ...run({ KAFKA_BROKERS: started.servers }) });
    } finally {
      await stopBroker(started.child);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  const lines = [];
  for (const r of rows) {
    const kn = r['kafka-native'];
    const rd = r['rust-rdkafka'];
    lines.push(`| ${r.broker} | one awaited send at a time (${r.sends}), ops/s | ${fmt(kn.awaited_ops)} | ${fmt(rd.awaited_ops)} | ${fmt(kn.awaited_ops / rd.awaited_ops, 2)} |`);
    lines.push(`| ${r.broker} | its p50 / p99 ms | ${fmt(kn.awaited_p50_ms, 2)} / ${fmt(kn.awaited_p99_ms, 2)} | ${fmt(rd.awaited_p50_ms, 2)} / ${fmt(rd.awaited_p99_ms, 2)} | |`);
    lines.push(`| ${r.broker} | 100 awaited at a time (${r.sends * 10}), ops/s | ${fmt(kn.concurrent_ops)} | ${fmt(rd.concurrent_ops)} | ${fmt(kn.concurrent_ops / rd.concurrent_ops, 2)} |`);
    lines.push(`| ${r.broker} | stream consume ${r.messages} × 100 B, msgs/s | ${fmt(kn.consume_msgs)} | ${fmt(rd.consume_msgs)} | ${fmt(kn.consume_msgs / rd.consume_msgs, 2)} |`);
  }
  publish('rust-async', [
    `One run per broker, ${new Date().toISOString().slice(0, 10)}, ${machine()}. Command: \`npm run bench -- rust-async\`.`,
    'Both clients on tokio\'s current-thread runtime in one process, the same librdkafka, linger 0 ms and idempotence on;',
    'kafka-native acknowledges each batch of its `BatchStream`, rust-rdkafka stores each message\'s offset (both in a group).',
    '',
    '| broker | measure | kafka-native (`deliver_async`, `BatchStream`) | rust-rdkafka (`FutureProducer`, `StreamConsumer`) | × rust-rdkafka |',
    '|---|---|---|---|---|',
    ...lines,
    '',
  ], [], !process.env.BENCH_BROKERS);
}

module.exports = { 'rust-async': rustAsync };
