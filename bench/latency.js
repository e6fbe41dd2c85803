'use strict';
// The latency benchmark: milliseconds from send() to receive_callback at a steady rate. Each
// client process produces and consumes at once (same clock, see clients/latency/common.js): a
// consumer reading every partition of an empty topic, and a producer sending RATE/100 payloads of
// 100 B every 10 ms, each send() to the next of 4 partitions. Producers linger 0 ms
// (queue_buffering_max_ms: 0) in every row. Brokers are separate processes.
//
// A tick's payloads share their send time and mostly arrive together, so a 5 s run has only 500
// independent samples: its p99 is its fifth-worst tick, and one run's tail is noise. On Apache
// Kafka (the reference) every client therefore runs LATENCY_ROUNDS times (3), the clients
// alternating within each round on one warm broker per rate, each run on a topic of its own;
// a row gives the medians and each run's p99. The MockCluster (fresh per run, one round) holds
// an empty fetch for its whole wait, so there the setting is the latency.
//
// A second table gives what an idle consumer costs at each fetch_wait_max_ms: the broker's CPU
// and the fetch requests per second (from librdkafka's own counts), against the broker alone.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const { BROKERS, stopBroker } = require('./brokers');
const { machine, publish, median, fmt } = require('./report');
const { runnable, platformatic, withBaseline } = require('./peers');
const { CONSUMER_DEFAULTS, Admin } = require('../js/index.js');
const { measureNode } = require('./throughput');
const { cpuMeter, processTree } = require('./processes');

const SECONDS = Number(process.env.LATENCY_SECONDS || 5);
const ROUNDS = Number(process.env.LATENCY_ROUNDS || 3);
const RATES = [1000, 10_000];
const PARTITIONS = 4;
const linger0 = { producer: { queue_buffering_max_ms: 0 } };
const DEFAULT_WAIT = CONSUMER_DEFAULTS.fetch_wait_max_ms;
const waitLabel = (ms) => `fetch_wait_max_ms ${ms}${ms === DEFAULT_WAIT ? ' (default)' : ''}`;
const CONFIGS = [
  ...[500, 100, 5, 1].map((ms) => ({ client: 'kafka-native', file: 'kafka-native.js', label: waitLabel(ms), settings: { ...linger0, consumer: { fetch_wait_max_ms: ms } } })),
  { client: 'KafkaJS', file: 'kafkajs.js', label: 'defaults (maxWaitTimeInMs 5000)', settings: {}, needs: 'kafkajs' },
  { client: 'KafkaJS', file: 'kafkajs.js', label: 'maxWaitTimeInMs 5', settings: { consumer: { maxWaitTimeInMs: 5 } }, needs: 'kafkajs' },
  ...[[`defaults (maxWaitTimeInMs ${DEFAULT_WAIT})`, {}], ['maxWaitTimeInMs 5', { consumer: { maxWaitTimeInMs: 5 } }]].map(([label, settings]) => ({
    client: 'KafkaJS API on kafka-native', file: 'kafkajs.js', label, settings, env: { KAFKAJS_MODULE: path.join(__dirname, '..', 'js', 'kafkajs') },
  })),
  { client: 'node-rdkafka', file: 'node-rdkafka.js', label: 'defaults (fetch.wait.max.ms 500)', settings: { producer: { 'queue.buffering.max.ms': 0 } }, needs: 'node-rdkafka' },
  { client: 'node-rdkafka', file: 'node-rdkafka.js', label: 'fetch.wait.max.ms 5', settings: { producer: { 'queue.buffering.max.ms': 0 }, consumer: { 'fetch.wait.max.ms': 5 } }, needs: 'node-rdkafka' },
  ...[['defaults (maxWaitTime 5000)', {}], ['maxWaitTime 5', { consumer: { maxWaitTime: 5 } }]].map(([label, settings]) => ({
    // Its JoinGroup is refused by the MockCluster (as in throughput.js).
    client: '@platformatic/kafka', file: 'platformatic.js', label, settings, peer: platformatic, runsOn: (broker) => broker !== 'mock',
  })),
];
const IDLE_WAITS = [500, 100, 20, 5, 1];
// Bulk consume at each setting: does a short fetch wait cost throughput? (medians of 3)
const BULK_WAITS = [500, 100, 5, 1];
const BULK = { size: 100, messages: 1_000_000, partitions: 64 };
const clients = path.join(__dirname, 'clients', 'latency');
let tmp;

// Brokers for latency runs: on the MockCluster a fresh one per run and one round; on Apache
// Kafka (and tansu) one per rate, warm, shared by ROUNDS rounds (see the top).
// → {rounds, topic(name) → servers, done() after each run, stop()}.
async function latencyBrokers(broker) {
  if (broker.name === 'mock') {
    let running;
    return {
      rounds: 1,
      async topic(name) {
        running = await broker.start(tmp, name, PARTITIONS);
        return running.servers;
      },
      async done() { if (running) await stopBroker(running.child); running = undefined; },
      stop: async () => {},
    };
  }
  const { child, servers } = await broker.start(tmp, 'latency-first', PARTITIONS);
  const admin = new Admin({ broker: servers, logger: { error() {}, warn() {}, info() {} } });
  return {
    rounds: ROUNDS,
    async topic(name) {
      await admin.createTopics([{ topic: name, partitions: PARTITIONS }]);
      return servers;
    },
    async done() {},
    async stop() {
      await admin.stop();
      await stopBroker(child);
    },
  };
}

async function latencyRun(brokers, config, rate, index) {
  const topic = `latency-${index}`;
  try {
    const servers = await brokers.topic(topic);
    const runtime = config.peer?.() ?? { node: process.execPath, env: {} };
    const env = { ...process.env, ...runtime.env, ...config.env, KAFKA_BROKERS: servers, KAFKA_TOPIC: topic, RATE: String(rate), SECONDS: String(SECONDS), PARTITIONS: String(PARTITIONS), SETTINGS: JSON.stringify(config.settings) };
    const r = spawnSync(runtime.node, [path.join(config.dir ?? clients, config.file)], { env, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${(r.stderr || '').trim().split('\n').slice(-3).join(' ')} (${r.status ?? r.signal})`);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } finally {
    await brokers.done();
  }
}

// Broker CPU % over SECONDS with one idle consumer at `fetchWait` (undefined: no consumer).
async function idleRun(broker, fetchWait, index) {
  const topic = `idle-${index}`;
  const { child, servers } = await broker.start(tmp, topic, PARTITIONS);
  try {
    if (fetchWait === undefined) {
      await new Promise((r) => setTimeout(r, 1000));
      const cpu = cpuMeter({ broker: processTree(child.pid) });
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      return { broker_cpu_pct: cpu.percent().broker };
    }
    const env = { ...process.env, KAFKA_BROKERS: servers, KAFKA_TOPIC: topic, SECONDS: String(SECONDS), SETTINGS: JSON.stringify({ consumer: { fetch_wait_max_ms: fetchWait } }) };
    const client = spawn(process.execPath, [path.join(clients, 'idle.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let cpu;
    let result;
    for await (const line of readline.createInterface({ input: client.stdout })) {
      if (line === 'ready') cpu = cpuMeter({ broker: processTree(child.pid) });
      else result = { ...JSON.parse(line), broker_cpu_pct: cpu.percent().broker };
    }
    if (!result) throw new Error('the idle client gave no result');
    return result;
  } finally {
    await stopBroker(child);
  }
}

async function latency() {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-latency-'));
  const notes = [];
  // BENCH_CLIENTS=client,client: only these clients' rows (and no bulk or idle runs).
  const only = process.env.BENCH_CLIENTS && process.env.BENCH_CLIENTS.split(',');
  const configs = runnable(withBaseline(CONFIGS, clients), only, notes, 'latency');
  const rows = [];
  const idleRows = [];
  const bulkRows = [];
  let index = 0;
  for (const broker of BROKERS.filter((b) => b.available)) {
    for (const rate of RATES) {
      const here = configs.filter((c) => !c.runsOn || c.runsOn(broker.name));
      const runs = new Map(here.map((c) => [c, []]));
      const brokers = await latencyBrokers(broker);
      try {
        for (let round = 0; round < brokers.rounds; round++) {
          for (const config of here) {
            try {
              const result = await latencyRun(brokers, config, rate, index++);
              runs.get(config).push(result);
              console.error(`${broker.name} ${rate}/s ${config.client} (${config.label}), round ${round + 1}: p50 ${fmt(result.p50, 1)} p90 ${fmt(result.p90, 1)} p99 ${fmt(result.p99, 1)} max ${fmt(result.max, 1)} ms`);
            } catch (e) {
              notes.push(`${config.client} (${config.label}) at ${rate} msg/s on ${broker.name}, round ${round + 1}: ${e.message}`);
            }
          }
        }
      } finally {
        await brokers.stop();
      }
      for (const config of here) {
        const results = runs.get(config);
        const pick = (key) => median(results.map((r) => r[key]));
        rows.push({ broker: broker.name, rate, ...config, p50: pick('p50'), p90: pick('p90'), p99: pick('p99'), max: pick('max'), p99s: results.map((r) => r.p99) });
      }
    }
    for (const fetchWait of only ? [] : BULK_WAITS) {
      const rates = [];
      for (let run = 0; run < 3; run++) {
        try {
          rates.push((await measureNode(broker, 'consume', BULK, index++, { consumer: { fetch_wait_max_ms: fetchWait } })).msgs);
        } catch (e) {
          notes.push(`bulk consume at fetch_wait_max_ms ${fetchWait} on ${broker.name}: ${e.message.split('\n')[0]}`);
        }
      }
      bulkRows.push({ broker: broker.name, fetchWait, msgs: median(rates), runs: rates });
      console.error(`${broker.name} bulk consume, fetch_wait_max_ms ${fetchWait}: ${fmt(median(rates) / 1000)}k msgs/s`);
    }
    for (const fetchWait of only ? [] : [undefined, ...IDLE_WAITS]) {
      try {
        const result = await idleRun(broker, fetchWait, index++);
        idleRows.push({ broker: broker.name, fetchWait, ...result });
        console.error(`${broker.name} idle, fetch_wait_max_ms ${fetchWait ?? '(no consumer)'}: broker ${fmt(result.broker_cpu_pct, 1)}% CPU, ${fmt(result.fetches_per_s)} fetches/s`);
      } catch (e) {
        notes.push(`idle consumer at fetch_wait_max_ms ${fetchWait} on ${broker.name}: ${e.message}`);
      }
    }
  }
  const table = [
    '| broker | rate | client | settings | p50 ms | p90 ms | p99 ms | max ms | p99 of each run, ms |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.broker} | ${r.rate / 1000}k msg/s | ${r.client} | ${r.label} | ${fmt(r.p50, 1)} | ${fmt(r.p90, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.max, 1)} | ${r.p99s.map((x) => fmt(x, 1)).join(', ')} |`),
  ].join('\n');
  const idleTable = [
    '| broker | idle consumer | fetch requests/s | broker CPU % | consumer CPU % |',
    '|---|---|---|---|---|',
    ...idleRows.map((r) => `| ${r.broker} | ${r.fetchWait === undefined ? 'none (broker alone)' : `fetch_wait_max_ms ${r.fetchWait}`} | ${fmt(r.fetches_per_s)} | ${fmt(r.broker_cpu_pct, 1)} | ${fmt(r.client_cpu_pct, 1)} |`),
  ].join('\n');
  const bulkTable = [
    '| broker | consumer setting | consume 1M × 100 B, msgs/s (median of 3) |',
    '|---|---|---|',
    ...bulkRows.map((r) => `| ${r.broker} | fetch_wait_max_ms ${r.fetchWait} | ${fmt(r.msgs / 1000)}k (${r.runs.map((x) => fmt(x / 1000)).join('k, ')}k) |`),
  ].join('\n');
  publish('latency', [
    `Runs of ${SECONDS} s (after 1 s of warm-up), ${new Date().toISOString().slice(0, 10)}, ${machine()}. Apache Kafka: medians of ${ROUNDS} runs per row, the clients alternating on one warm broker per rate; MockCluster: one run per row, a fresh cluster each.`,
    `Command: \`npm run bench -- latency --with-node-rdkafka\`. ${PARTITIONS} partitions, 100 B payloads, producers linger 0 ms.`,
    '',
    table,
    '',
    `An idle consumer of this package (${PARTITIONS} partitions, one broker), measured over ${SECONDS} s:`,
    '',
    idleTable,
    '',
    'Bulk throughput of this package from Node at each setting (64 partitions, the throughput benchmark\'s consume run):',
    '',
    bulkTable,
    '',
  ], notes, process.env.LATENCY_SECONDS === undefined && !only);
  fs.rmSync(tmp, { recursive: true, force: true });
}

module.exports = { latency };
