'use strict';
// What tracing costs: this package's produce, consume (bench/clients/kafka-native.js, 1M × 100 B)
// and one-at-a-time awaited sends (clients/awaited/kafka-native.js) in three client processes
// that differ only in OpenTelemetry (clients/otel-mode.js): @opentelemetry/api absent, installed
// with no tracer provider (tracing off), and the SDK registered (tracing on). Rounds alternate
// the modes against one broker; each cell is the median of the rounds, its ratio to "absent".
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { BROKERS, stopBroker } = require('./brokers');
const { machine, publish, median, fmt } = require('./report');

const ROUNDS = Number(process.env.RUNS || 3);
const MESSAGES = 1_000_000;
// A MockCluster partition keeps only ~5 MiB: 1M messages with a trace header need 64.
const PARTITIONS = 64;
const AWAITED_SECONDS = 3;
const MODES = [
  ['absent', '@opentelemetry/api not installed'],
  ['api', 'installed, no tracer provider (tracing off)'],
  ['sdk', 'SDK registered, every span sampled (tracing on)'],
];
const clients = path.join(__dirname, 'clients');

function client(file, args, env) {
  const r = spawnSync(process.execPath, ['-r', path.join(clients, 'otel-mode.js'), path.join(clients, file), ...args], {
    env: { ...process.env, ...env }, encoding: 'utf8', timeout: 180_000,
  });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')} (${r.status ?? r.signal})`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function tracing() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-tracing-'));
  const notes = [];
  const rows = [];
  for (const broker of BROKERS.filter((b) => b.available)) {
    const cells = Object.fromEntries(MODES.map(([mode]) => [mode, { produce: [], consume: [], awaited: [] }]));
    try {
      for (let round = 0; round < ROUNDS; round++) {
        for (const [mode] of MODES) {
          // A fresh broker per cell, as the throughput benchmark has: no cell reads another's data.
          const topic = `tracing-${round}-${mode}`;
          const { child, servers } = await broker.start(tmp, topic, PARTITIONS);
          try {
            const env = { OTEL_MODE: mode, KAFKA_BROKERS: servers, KAFKA_TOPIC: topic, MESSAGES: String(MESSAGES), PARTITIONS: String(PARTITIONS) };
            const produced = client('kafka-native.js', ['produce'], env);
            const consumed = client('kafka-native.js', ['consume'], env);
            const awaited = client(path.join('awaited', 'kafka-native.js'), [], { ...env, CONCURRENCY: '1', SECONDS: String(AWAITED_SECONDS) });
            cells[mode].produce.push(MESSAGES / produced.seconds);
            cells[mode].consume.push(MESSAGES / consumed.seconds);
            cells[mode].awaited.push(awaited.ops_per_s);
            console.error(`${broker.name} round ${round + 1} ${mode}: produce ${fmt(MESSAGES / produced.seconds / 1000)}k/s, consume ${fmt(MESSAGES / consumed.seconds / 1000)}k/s, awaited ${fmt(awaited.ops_per_s)}/s`);
          } catch (e) {
            notes.push(`${broker.name}, round ${round + 1}, ${mode}: ${e.message}`);
          } finally {
            await stopBroker(child);
          }
        }
      }
    } catch (e) {
      notes.push(`${broker.name}: ${e.message}`);
    }
    const base = cells.absent;
    for (const [mode, label] of MODES) {
      const c = cells[mode];
      rows.push(`| ${broker.name} | ${label} | ${fmt(median(c.produce) / 1000)}k | ${fmt(median(c.produce) / median(base.produce), 2)} | ${fmt(median(c.consume) / 1000)}k | ${fmt(median(c.consume) / median(base.consume), 2)} | ${fmt(median(c.awaited))} | ${fmt(median(c.awaited) / median(base.awaited), 2)} |`);
    }
  }
  publish('tracing', [
    `Medians of ${ROUNDS} rounds, the modes alternating within each round, a fresh broker for each, ${new Date().toISOString().slice(0, 10)}, ${machine()}.`,
    `Command: \`npm run bench -- tracing\`. Produce and consume: ${MESSAGES.toLocaleString('en')} × 100 B over ${PARTITIONS} partitions (messages/s); awaited: one \`await deliver()\` of one message at a time for ${AWAITED_SECONDS} s (operations/s). Ratios are to the same broker's "not installed" row.`,
    '',
    '| broker | @opentelemetry/api | produce | × | consume | × | awaited | × |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ], notes, process.env.RUNS === undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
}

module.exports = { tracing };
