'use strict';
// The fetch benchmark, on Apache Kafka: what reading costs where the engine sizes Fetches and
// decompression buffers (librdkafka patches 15, 22 and 31).
//
// Single-record batches: 30,000 records of 1 KB written a record batch each (a low-rate
// producer's topic), once per codec, read by kcat (stock librdkafka, the baseline), this package
// from Node and the Rust core. The figure is the reader's peak RSS (GNU time); the goal is every
// codec within 25 MB of the uncompressed topic's peak, same client, same run.
//
// A plain topic beside a compressed one: 150,000 records of 1 KB over 16 partitions, read by
// the Rust core alone and then with a neighbour topic (16 partitions of 1 KB records of one
// letter, lz4, hundreds to one) read by the same consumer group; the plain topic's rate with
// the neighbour against its rate alone (goal ≥ 90 %).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { KAFKA, stopBroker } = require('./brokers');
const { machine, publish, median, fmt } = require('./report');
const { has } = require('./peers');
const { Admin } = require('../js/index.js');

const root = path.join(__dirname, '..');
const RUNS = Number(process.env.RUNS || 3);
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const SINGLE = { messages: 30_000, size: 1000, partitions: 8 };
const MIXED = { messages: 150_000, size: 1000, partitions: 16 };
const rustClient = path.join(process.env.CARGO_TARGET_DIR || path.join(root, 'target'), 'release/examples/bench_client');

const READERS = [
  { name: 'kcat', available: has('kcat'), command: (servers, topic, spec) => ['kcat', ['-C', '-b', servers, '-t', topic, '-o', 'beginning', '-c', String(spec.messages), '-q']] },
  { name: 'kafka-native (Node)', available: true, command: () => [process.execPath, [path.join(__dirname, 'clients', 'kafka-native.js'), 'consume']] },
  { name: 'kafka-native (Rust core)', available: true, command: (servers, topic, spec) => [rustClient, ['consume', String(spec.messages), String(spec.size), String(spec.partitions)]] },
];

function run(cmd, args, env, what) {
  const out = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30, timeout: 180000 });
  if (out.status !== 0) throw new Error(`${what} failed (${out.status ?? out.signal}): ${(out.stderr || '').slice(-500)}`);
  return out;
}

// Fills `topic` with the Rust client (`env` says how: BENCH_FILL_COMPRESSION, _BATCH, _REPEAT).
function fill(servers, topic, spec, env) {
  run(rustClient, ['produce', String(spec.messages), String(spec.size), String(spec.partitions)], { KAFKA_BROKERS: servers, KAFKA_TOPIC: topic, ...env }, `filling ${topic}`);
}

// One read of `topic` by `reader`: its peak RSS in MB and, for this package's clients, seconds.
function read(tmp, servers, reader, topic, spec, env = {}) {
  const rssFile = path.join(tmp, 'rss');
  const [cmd, args] = reader.command(servers, topic, spec);
  const started = process.hrtime.bigint();
  const out = run('/usr/bin/time', ['-o', rssFile, '-f', '%M', cmd, ...args], { KAFKA_BROKERS: servers, KAFKA_TOPIC: topic, MESSAGES: String(spec.messages), SIZE: String(spec.size), PARTITIONS: String(spec.partitions), ...env }, `${reader.name} reading ${topic}`);
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const seconds = reader.name === 'kcat' ? wall : JSON.parse(out.stdout.trim().split('\n').pop()).seconds;
  return { seconds, rss: Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024 };
}

async function fetch() {
  if (!KAFKA.available) {
    console.error(`fetch: Apache Kafka ${KAFKA.missing}`);
    return;
  }
  if (spawnSync('cargo', ['build', '-q', '--release', '-p', 'kafka-native', '--example', 'bench_client'], { cwd: root, stdio: 'inherit' }).status !== 0) throw new Error('building examples/bench_client failed');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-fetch-'));
  const notes = [];
  const { child, servers } = await KAFKA.start(tmp, 'fetch-warm', 1);
  try {
    const admin = new Admin({ broker: servers });
    await admin.createTopics([
      ...CODECS.map((codec) => ({ topic: `single-${codec}`, partitions: SINGLE.partitions })),
      { topic: 'plain', partitions: MIXED.partitions },
      { topic: 'neighbour', partitions: MIXED.partitions },
    ]);
    await admin.stop();
    for (const codec of CODECS) fill(servers, `single-${codec}`, SINGLE, { BENCH_FILL_COMPRESSION: codec, BENCH_FILL_BATCH: '1' });
    fill(servers, 'plain', MIXED, {});
    fill(servers, 'neighbour', MIXED, { BENCH_FILL_COMPRESSION: 'lz4', BENCH_FILL_REPEAT: '1' });

    const readers = READERS.filter((r) => r.available === true);
    for (const r of READERS.filter((x) => x.available !== true)) notes.push(`${r.name}: skipped, not installed.`);
    const rss = new Map(); // `${reader} ${codec}` → [MB per run]
    const rates = { alone: [], beside: [] };
    const rust = READERS.find((r) => r.name === 'kafka-native (Rust core)');
    for (let r = 0; r < RUNS; r++) {
      for (const codec of CODECS) {
        for (const reader of readers) {
          const key = `${reader.name} ${codec}`;
          rss.set(key, [...(rss.get(key) ?? []), read(tmp, servers, reader, `single-${codec}`, SINGLE).rss]);
        }
      }
      rates.alone.push(MIXED.messages / read(tmp, servers, rust, 'plain', MIXED, { BENCH_NEIGHBOUR_TOPIC: '' }).seconds);
      rates.beside.push(MIXED.messages / read(tmp, servers, rust, 'plain', MIXED, { BENCH_NEIGHBOUR_TOPIC: 'neighbour' }).seconds);
      console.error(`run ${r + 1}: plain alone ${fmt(rates.alone[r] / 1000)}k msgs/s, beside lz4 ${fmt(rates.beside[r] / 1000)}k`);
    }
    const peak = (reader, codec) => median(rss.get(`${reader.name} ${codec}`));
    const alone = median(rates.alone);
    const beside = median(rates.beside);
    // Each run's own ratio (its two reads back to back), then their median: the machine's
    // speed drifts between runs more than between the two reads of one.
    const ratios = rates.beside.map((b, i) => b / rates.alone[i]);
    publish('fetch', [
      `Medians of ${RUNS} runs, ${new Date().toISOString().slice(0, 10)}, ${machine()}; Apache Kafka, one node.`,
      `Command: \`${RUNS === 3 ? '' : `RUNS=${RUNS} `}npm run bench -- fetch\`.`,
      '',
      `Peak RSS (MB) reading ${SINGLE.messages / 1000}k records of 1 KB written one record batch each, and its difference from the same reader's uncompressed topic (goal: ≤ 25 MB):`,
      '',
      `| reader | ${CODECS.join(' | ')} |`,
      `|---|${CODECS.map(() => '---').join('|')}|`,
      ...readers.map((reader) => `| ${reader.name} | ${CODECS.map((codec) => (codec === 'none' ? fmt(peak(reader, codec)) : `${fmt(peak(reader, codec))} (${peak(reader, codec) - peak(reader, 'none') >= 0 ? '+' : ''}${fmt(peak(reader, codec) - peak(reader, 'none'))})`)).join(' | ')} |`),
      '',
      `A plain topic (${MIXED.messages / 1000}k × 1 KB, ${MIXED.partitions} partitions) read by the Rust core's consumer group alone and beside an lz4 topic as large (one letter repeated) read by the same consumer (goal ≥ 90 %):`,
      '',
      '| plain topic alone, msgs/s | beside the lz4 topic | ratio (median of the runs\' own) |',
      '|---|---|---|',
      `| ${fmt(alone / 1000)}k | ${fmt(beside / 1000)}k | ${fmt(median(ratios) * 100)} % (${ratios.map((r) => fmt(r * 100)).join(', ')}) |`,
      '',
    ], notes, RUNS >= 2);
  } finally {
    await stopBroker(child);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

module.exports = { fetch };
