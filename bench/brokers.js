'use strict';
// The brokers a benchmark measures against, each a separate process started fresh for one
// measurement: the project's MockCluster (`kafka-native mock-cluster`), Apache Kafka itself
// (`kafka-native kafka`, one node, where Java 17 and Maven are) and tansu (when
// deps/tansu/install has installed it, or TANSU=path).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { tansuPath, startTansu, createTopic } = require('../deps/tansu/broker.js');
const { missingTools } = require('../js/dev-cluster/install.js');

const root = path.join(__dirname, '..');

async function until(ready, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('broker did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Where Apache Kafka keeps its log: in memory (tmpfs) where the machine has one. On disk, the
// writeback of what earlier runs wrote to this VM's virtual disk slowed the broker from one run
// to the next, whichever client drew it (150k x 1 KB from kcat, four runs on one broker each:
// 89-164k msgs/s on disk, 240-295k in memory, 2026-11-25); the clients are what is measured,
// not the disk. BENCH_KAFKA_DATA=disk keeps it on disk.
const SHM = '/dev/shm';
const kafkaData = () => (process.env.BENCH_KAFKA_DATA !== 'disk' && fs.existsSync(SHM) ? { TMPDIR: SHM } : {});

// A cluster through the CLI (`command`: mock-cluster or kafka, of `nodes` nodes) with the topic
// made, once it has written its port file.
async function startCli(command, tmp, topic, partitions, timeoutMs, nodes = 1) {
  const portFile = path.join(tmp, `${command}.port`);
  fs.rmSync(portFile, { force: true });
  const env = { ...process.env, ...(command === 'kafka' ? kafkaData() : {}) };
  // The mock keeps every message sent to it, as Kafka does: by default a mock partition keeps
  // 5 MiB and drops its oldest batches past that, which only a client that sends unevenly over
  // the partitions meets (kcat's sticky partitioner put 0 to 11,730 of 150k × 1 KB on one of
  // 64), and then the mock does less work for it than for the others (BENCHMARKS.md, Findings).
  const retention = command === 'mock-cluster' ? ['--retention-bytes', String(2 ** 40)] : [];
  const size = nodes > 1 ? ['--nodes', String(nodes)] : [];
  const child = spawn(process.execPath, [path.join(root, 'bin/kafka-native.js'), command, ...size, '--topic', `${topic}:${partitions}:1`, ...retention, '--port-file', portFile], { stdio: 'ignore', env });
  try {
    await until(() => fs.existsSync(portFile), timeoutMs);
  } catch (err) {
    child.kill('SIGKILL'); // a broker that did not start in time is not left running
    throw err;
  }
  return { child, servers: fs.readFileSync(portFile, 'utf8').trim() };
}

// start(tmp, topic, partitions[, {nodes}]) → {child, servers}; stop with stopBroker(child). Only
// Apache Kafka starts more than one node (`nodes`: 3).
const ALL = [
  {
    name: 'mock',
    available: true,
    start: (tmp, topic, partitions) => startCli('mock-cluster', tmp, topic, partitions),
  },
  {
    name: 'kafka',
    available: !missingTools(),
    missing: `not runnable here (${missingTools()})`,
    // A JVM start on 2 cores; SIGTERM stops it gracefully and removes its data. Warmed before
    // it is measured against (bench/clients/warm-kafka.js).
    async start(tmp, topic, partitions, { nodes = 1 } = {}) {
      const broker = await startCli('kafka', tmp, topic, partitions, 180000, nodes);
      try {
        await warmKafka(broker.servers);
      } catch (err) {
        await stopBroker(broker.child);
        throw err;
      }
      return broker;
    },
  },
  {
    name: 'tansu',
    available: fs.existsSync(tansuPath),
    missing: 'not installed (deps/tansu/install)',
    async start(tmp, topic, partitions) {
      const { child, servers, url } = await startTansu();
      createTopic(url, topic, partitions);
      return { child, servers };
    },
  },
];

// Seconds of traffic through a fresh Apache Kafka before it is measured against: its JIT
// compiles the request paths then, not during the measurement. BENCH_WARM_SECONDS=0 measures
// a cold broker.
const WARM_SECONDS = Number(process.env.BENCH_WARM_SECONDS ?? 10);

function warmKafka(servers) {
  if (!(WARM_SECONDS > 0)) return Promise.resolve();
  const child = spawn(process.execPath, [path.join(__dirname, 'clients', 'warm-kafka.js')], {
    env: { ...process.env, KAFKA_BROKERS: servers, WARM_SECONDS: String(WARM_SECONDS) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`warming Apache Kafka failed (${code})`))));
  });
}

async function stopBroker(child) {
  child.kill('SIGTERM');
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
}

// The brokers a run measures: BENCH_BROKERS, a comma-separated list; by default the MockCluster
// (what `npm start` and the unit tests use) and Apache Kafka (the reference). tansu is measured
// only when asked for: with Kafka here it adds a third stand-in, not a new finding.
const wanted = (process.env.BENCH_BROKERS || 'mock,kafka').split(',');
const unknown = wanted.filter((name) => !ALL.some((b) => b.name === name));
if (unknown.length > 0) throw new Error(`BENCH_BROKERS: unknown broker ${unknown.join(', ')}; expected some of ${ALL.map((b) => b.name).join(', ')}`);
const BROKERS = ALL.filter((b) => wanted.includes(b.name));

// Apache Kafka alone, for the benchmarks of what only it has (share groups).
const KAFKA = ALL.find((b) => b.name === 'kafka');

module.exports = { BROKERS, KAFKA, stopBroker };
