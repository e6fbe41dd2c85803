'use strict';
// The throughput benchmark. Each client produces and consumes against a broker in its own
// process (a fresh one per measurement, see brokers.js), so only the client's CPU is measured.
// Clients: kcat (librdkafka's CLI, the baseline), this package from Node, the Rust core, KafkaJS,
// @platformatic/kafka, Kafka's own Java client (its ProducerPerformance and ConsumerPerformance,
// at defaults and tuned), and node-rdkafka when it is installed. Figures are medians of RUNS runs,
// with ratios to kcat measured in the same run. Results go to stdout and to BENCHMARKS.md.
//
// Produce is timed from the client's first send until everything is acknowledged (kcat: the
// whole process). Consume is timed from the consumer's start (KafkaJS: from its group join;
// @platformatic/kafka: from its first message, counting the messages after it; Kafka's Java
// client: from its subscription, its join included) to the last message (kcat: the whole
// process).
// Peak RSS is the client process's maximum resident set (GNU time).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { librdkafkaDir } = require('../deps/librdkafka/shared-library.js');
const { BROKERS, stopBroker } = require('./brokers');
const { machine, publish, median, fmt } = require('./report');
const { has, resolvable, platformatic, kafkaTools, baseline } = require('./peers');

const root = path.join(__dirname, '..');
const RUNS = Number(process.env.RUNS || 3);
// BENCH_OPS=produce or consume: only that operation (a partial run publishes nothing).
const OPS = (process.env.BENCH_OPS || 'produce,consume').split(',');
// BENCH_SIZES=100 or 1000: only that message size (a partial run publishes nothing).
// Compressed topics (lz4, zstd) are read only (how they are written is the codec's cost, not
// the client's), by kcat and this package: the rows say what a compressed Fetch costs in memory.
// BENCH_CODECS=none or lz4,zstd: only those.
const CODECS = ['lz4', 'zstd'];
const COMPRESSED_CLIENTS = ['kcat', 'kafka-native (Node)', 'kafka-native (Rust core)'];
const SIZES = [
  { size: 100, messages: Number(process.env.MESSAGES || 1_000_000), partitions: 64 },
  { size: 1000, messages: Number(process.env.MESSAGES_1K || 150_000), partitions: 64 },
].flatMap((s) => [{ ...s, codec: 'none' }, ...CODECS.map((codec) => ({ ...s, codec, ops: ['consume'] }))])
  .filter((s) => !process.env.BENCH_SIZES || process.env.BENCH_SIZES.split(',').map(Number).includes(s.size))
  .filter((s) => !process.env.BENCH_CODECS || process.env.BENCH_CODECS.split(',').includes(s.codec));
const rustClient = path.join(process.env.CARGO_TARGET_DIR || path.join(root, 'target'), 'release/examples/bench_client');
let rustClientBuilt = false;
let javaTools = { missing: 'not looked for yet' };
// The Rust core's client: measured here, and what fills a topic before every consume run.
function buildRustClient() {
  if (rustClientBuilt) return;
  const r = spawnSync('cargo', ['build', '-q', '--release', '-p', 'kafka-native', '--example', 'bench_client'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building examples/bench_client failed');
  rustClientBuilt = true;
}
// Scratch space for payload files, port files and GNU time's output; removed at the end.
let tmp;
const scratch = () => { tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), 'kn-bench-')); return tmp; };

// --- clients: each returns the command for an operation -----------------------------------------
function payloadFile(size, messages) {
  const file = path.join(tmp, `payloads-${size}-${messages}.txt`);
  if (!fs.existsSync(file)) {
    const line = (i) => String(i).padStart(8, '0').padEnd(size, 'x');
    const out = fs.openSync(file, 'w');
    for (let i = 0; i < messages; i += 10000) {
      fs.writeSync(out, Array.from({ length: Math.min(10000, messages - i) }, (_, j) => `${line(i + j)}\n`).join(''));
    }
    fs.closeSync(out);
  }
  return file;
}

const node = (client) => (op) => [process.execPath, [path.join(__dirname, 'clients', client), op]];
const CLIENTS = [
  {
    name: 'kcat',
    available: has('kcat') || 'not installed (apt-get install kcat)',
    // Debian's kcat is librdkafka 2.0.2, which cannot parse tansu's ApiVersion reply; the
    // librdkafka.so.1 that kafka-native-sys builds can (see deps/README.md).
    env: (broker) => (broker === 'tansu' ? { LD_LIBRARY_PATH: librdkafkaDir() } : {}),
    command: (op, run) => (op === 'produce'
      ? ['kcat', ['-P', '-b', run.servers, '-t', run.topic, '-X', 'queue.buffering.max.messages=1000000', '-l', payloadFile(run.size, run.messages)]]
      // queued.min.messages as high as ours is in effect (see fetch.queue.backoff.ms in the
      // README): librdkafka 2.0.2 backs off fetching for a second whenever it is reached.
      : ['kcat', ['-C', '-b', run.servers, '-t', run.topic, '-o', 'beginning', '-c', String(run.messages), '-q', '-X', 'queued.min.messages=1000000']]),
  },
  { name: 'kafka-native (Node)', available: true, command: node('kafka-native.js') },
  { name: 'kafka-native (Rust core)', available: true, command: (op, run) => [rustClient, [op, String(run.messages), String(run.size), String(run.partitions)]] },
  { name: 'KafkaJS', available: resolvable('kafkajs') || 'not installed', command: node('kafkajs.js') },
  { name: 'KafkaJS API on kafka-native', available: true, env: () => ({ KAFKAJS_MODULE: path.join(__dirname, '..', 'js', 'kafkajs') }), command: node('kafkajs.js') },
  {
    name: '@platformatic/kafka',
    // Installed and run on its own Node on first use (peers.js). On the MockCluster 2.12 can
    // produce, but its JoinGroup requests are refused ("Connection closed"): no consume there.
    runsOn: (broker, op) => broker !== 'mock' || op === 'produce',
    get available() { return platformatic().missing ?? true; },
    env: () => platformatic().env,
    command: (op) => [platformatic().node, [path.join(__dirname, 'clients', 'platformatic.js'), op]],
  },
  ...['defaults', 'tuned'].map((tuning) => ({
    name: `Kafka's Java client (${tuning})`,
    // Apache Kafka only: its producer waits forever on librdkafka's MockCluster (100k × 100 B
    // sent nothing in 120 s) and its consumer read nothing there.
    runsOn: (broker) => broker === 'kafka',
    // kafkaTools() has run by the time this is asked (throughput() awaits it first).
    get available() { return javaTools.missing ?? true; },
    env: () => ({ KAFKA_TOOLS_CLASSPATH: javaTools.classpath, JAVA_TUNING: tuning }),
    command: node('java-perf.js'),
  })),
  {
    name: 'node-rdkafka',
    available: resolvable('node-rdkafka') || 'not installed (npm run bench -- --with-node-rdkafka builds it, ~4 min)',
    command: node('node-rdkafka.js'),
  },
  ...baselineClients(),
];

// This package's two clients as another checkout has them (BENCH_BASELINE, see peers.js).
function baselineClients() {
  const base = baseline();
  if (!base) return [];
  const rust = path.join(base.dir, 'target', 'release', 'examples', 'bench_client');
  return [
    { name: `kafka-native (Node) [${base.label}]`, available: true, command: (op) => [process.execPath, [path.join(base.dir, 'bench', 'clients', 'kafka-native.js'), op]] },
    { name: `kafka-native (Rust core) [${base.label}]`, available: fs.existsSync(rust) || `no ${rust}`, command: (op, run) => [rust, [op, String(run.messages), String(run.size), String(run.partitions)]] },
  ];
}

// --- one measurement -------------------------------------------------------------------------
async function measure(broker, client, op, spec, runIndex) {
  scratch();
  const topic = `bench-${runIndex}`;
  const { child, servers } = await broker.start(tmp, topic, spec.partitions);
  try {
    const run = { ...spec, servers, topic };
    const env = { ...process.env, KAFKA_BROKERS: servers, KAFKA_TOPIC: topic, MESSAGES: String(spec.messages), SIZE: String(spec.size), PARTITIONS: String(spec.partitions), ...(client.env ? client.env(broker.name) : {}) };
    if (op === 'consume') {
      // A read that never ends (fewer messages kept than sent) fails the run, not the bench.
      const fill = spawnSync(rustClient, ['produce', String(spec.messages), String(spec.size), String(spec.partitions)], { env: { ...env, BENCH_FILL_COMPRESSION: spec.codec }, encoding: 'utf8', timeout: 120000 });
      if (fill.status !== 0) throw new Error(`filling the topic failed (${fill.status ?? fill.signal}): ${fill.stderr}`);
      // One untimed read first, so the timed one meets a broker that has served this topic
      // before: Apache Kafka's first read after a fill ran at half speed or less for every
      // client (its JIT and its writes settling), and which runs drew it varied 2 x.
      const warm = spawnSync(rustClient, ['consume', String(spec.messages), String(spec.size), String(spec.partitions)], { env, encoding: 'utf8', timeout: 120000 });
      if (warm.status !== 0) throw new Error(`reading the topic once before the run failed (${warm.status ?? warm.signal}): ${warm.stderr}`);
    }
    const [cmd, args] = client.command(op, run);
    const rssFile = path.join(tmp, 'rss');
    const started = process.hrtime.bigint();
    const out = spawnSync('/usr/bin/time', ['-o', rssFile, '-f', '%M', cmd, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', client.name === 'kcat' ? 'ignore' : 'pipe', 'pipe'], timeout: 120000 });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    if (out.status !== 0) throw new Error(`${client.name} ${op} failed (${out.status ?? out.signal}): ${(out.stderr || '').slice(-500)}`);
    const result = client.name === 'kcat' ? { seconds: wall } : JSON.parse(out.stdout.trim().split('\n').pop());
    return { ...result, msgs: (result.counted ?? spec.messages) / result.seconds, rss_mb: Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024 };
  } finally {
    await stopBroker(child);
  }
}

async function throughput() {
  scratch();
  buildRustClient();
  javaTools = await kafkaTools();
  const notes = [];
  // BENCH_CLIENTS=name,name: only these clients (kcat, the baseline, always runs).
  const only = process.env.BENCH_CLIENTS && ['kcat', ...process.env.BENCH_CLIENTS.split(',')];
  const selected = (c) => !only || only.includes(c.name);
  for (const c of CLIENTS) {
    if (!selected(c)) notes.push(`${c.name}: skipped, not in BENCH_CLIENTS.`);
    else if (c.available !== true) notes.push(`${c.name}: skipped, ${c.available}.`);
  }
  for (const b of BROKERS) if (!b.available) notes.push(`${b.name}: skipped, ${b.missing}.`);
  const rows = [];
  for (const broker of BROKERS.filter((b) => b.available)) {
    for (const spec of SIZES) {
      for (const op of (spec.ops ?? ['produce', 'consume']).filter((o) => OPS.includes(o))) {
        const clients = CLIENTS.filter((c) => selected(c) && c.available === true && (!c.runsOn || c.runsOn(broker.name, op)) && (spec.codec === 'none' || COMPRESSED_CLIENTS.includes(c.name)));
        const results = new Map(clients.map((c) => [c, []]));
        for (let r = 0; r < RUNS; r++) {
          for (const client of clients) {
            try {
              results.get(client).push(await measure(broker, client, op, spec, r));
            } catch (e) {
              notes.push(`${client.name} ${op} ${spec.size} B on ${broker.name}, run ${r + 1}: ${e.message.split('\n')[0]}`);
            }
          }
        }
        const pick = (c, key) => median(results.get(c).map((x) => x[key]));
        const kcat = clients.find((c) => c.name === 'kcat');
        const javaDefaults = clients.find((c) => c.name === "Kafka's Java client (defaults)");
        for (const client of clients) {
          const msgs = pick(client, 'msgs');
          const row = {
            broker: broker.name, size: spec.size, messages: spec.messages, codec: spec.codec, op, client: client.name, msgs,
            mbs: msgs && (msgs * spec.size) / 1e6,
            vsKcat: kcat && msgs && pick(kcat, 'msgs') ? msgs / pick(kcat, 'msgs') : undefined,
            vsJava: javaDefaults && msgs && pick(javaDefaults, 'msgs') ? msgs / pick(javaDefaults, 'msgs') : undefined,
            rss: pick(client, 'rss_mb'),
            send: pick(client, 'send_ms_median'),
            eld: pick(client, 'eld_max_ms'),
            runs: results.get(client).map((x) => Math.round(x.msgs / 1000)),
          };
          rows.push(row);
          const fetchOnly = median(results.get(client).filter((x) => x.fetch_seconds).map((x) => x.counted / x.fetch_seconds));
          if (fetchOnly) notes.push(`${client.name} ${op} ${spec.size} B on ${broker.name}: ${fmt(fetchOnly / 1000)}k msgs/s counted from the end of its group join (the tool's fetch time), against ${fmt(msgs / 1000)}k with the join.`);
          console.error(`${row.broker} ${row.size} B${spec.codec === 'none' ? '' : ` ${spec.codec}`} ${row.op} ${row.client}: ${fmt(row.msgs / 1000)}k msgs/s (${row.runs.join('k, ')}k) rss ${fmt(row.rss)} MB`);
        }
      }
    }
  }
  const table = [
    '| broker | msg size | op | client | msgs/s | MB/s | × kcat | × Java (defaults) | peak RSS MB | send() of 10k, ms | event-loop max delay, ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.broker} | ${r.size} B × ${r.messages / 1000}k${r.codec === 'none' ? '' : `, ${r.codec}`} | ${r.op} | ${r.client} | ${fmt(r.msgs / 1000)}k | ${fmt(r.mbs, 1)} | ${fmt(r.vsKcat, 2)} | ${fmt(r.vsJava, 2)} | ${fmt(r.rss)} | ${fmt(r.send, 2)} | ${fmt(r.eld, 1)} |`),
  ].join('\n');
  // Only a run of every client, size, codec and operation replaces the table, with medians of
  // two runs at least (its header says how many).
  publish('bench', [
    `Medians of ${RUNS} runs, ${new Date().toISOString().slice(0, 10)}, ${machine()}.`,
    `Command: \`${RUNS === 3 ? '' : `RUNS=${RUNS} `}npm run bench -- throughput\`.`,
    '',
    table,
    '',
  ], notes, RUNS >= 2 && !only && !process.env.BENCH_OPS && !process.env.BENCH_SIZES && !process.env.BENCH_CODECS);
  fs.rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
}

// One measurement with this package's Node client and extra options (SETTINGS, see
// clients/kafka-native.js), for the latency benchmark's bulk figures.
function measureNode(broker, op, spec, runIndex, settings) {
  buildRustClient();
  const client = { ...CLIENTS.find((c) => c.name === 'kafka-native (Node)'), env: () => ({ SETTINGS: JSON.stringify(settings) }) };
  return measure(broker, client, op, spec, runIndex).finally(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
  });
}

module.exports = { throughput, measureNode };
