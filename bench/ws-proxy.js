'use strict';
// The ws-proxy benchmark: 1,000 WebSocket clients on one kafka-native/ws-proxy, all reading one
// partition from latest (so they share one consumer), while the driver produces RATE messages
// per second to it; each message's text is its send time, and its latency at a client is the
// receive time minus that. Reported: the proxy process's RSS and threads (idle, then with the
// clients), its CPU, the delivery rate and the latency. Baselines in the same run: the floor, a
// bare ws server fanning the same frames out with no Kafka, and clients that each name an
// offset (each then has a consumer of its own), which shows what sharing saves per client.
// Proxy, clients and broker are separate processes (bench/clients/ws-proxy/).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { Producer } = require('..');
const { BROKERS, stopBroker } = require('./brokers');
const { machine, publish, fmt } = require('./report');
const { startChild, startClients, cpuMeter, processTree, stop } = require('./processes');
const { blast } = require('./clients/ticks');

const SECONDS = Number(process.env.WSP_SECONDS || 5);
const RATE = 100;
const WARMUP_MS = 2000;
const dir = path.join(__dirname, 'clients', 'ws-proxy');

const CONFIGS = [
  { name: 'none: a bare ws server, no Kafka', mode: 'plain', clients: 1000 },
  { name: 'ws-proxy, shared consumer, idleTimeout 100 (default)', mode: 'proxy', clients: 1000, settings: {} },
  { name: 'ws-proxy, shared consumer, idleTimeout 10', mode: 'proxy', clients: 1000, settings: { idleTimeout: 10 } },
  { name: 'ws-proxy, a consumer per client (offset=)', mode: 'proxy', clients: 100, settings: { idleTimeout: 10 }, ownConsumers: true },
];

async function run(config, broker, topic) {
  const children = [];
  let producer = null;
  try {
    const proxy = await startChild(path.join(dir, 'proxy.js'), { MODE: config.mode, KAFKA_BROKERS: broker?.servers ?? '', SETTINGS: JSON.stringify(config.settings ?? {}) });
    children.push(proxy.child);
    const idle = await proxy.call('stats');
    let query = `topic=${topic}`;
    if (broker) {
      producer = new Producer({ broker: broker.servers, queue_buffering_max_ms: 0, logger: { error: console.error, warn() {}, info() {}, debug() {} } });
      // Clients with an offset start at the partition's end, as the shared ones do.
      if (config.ownConsumers) query += `&offset=${(await producer.deliver(topic, 0, ['start']))[0].offset + 1}`;
    }
    const clients = startClients(path.join(dir, 'clients.js'), { URL: `${proxy.url.replace(/^http:/, 'ws:')}/?${query}`, CLIENTS: String(config.clients) });
    children.push(clients.child);
    await clients.ready;
    const cpu = cpuMeter({ proxy: [proxy.child.pid], relay: broker ? processTree(broker.child.pid) : [], clients: [clients.child.pid] });
    const args = { rate: RATE, seconds: SECONDS, warmupMs: WARMUP_MS };
    // The warm-up also covers the shared consumer's start, which resolves 'latest' first.
    const window = producer ? await blast((at) => producer.send(topic, 0, [String(at)]), args) : await proxy.call('blast', args);
    const busy = await proxy.call('stats');
    const result = await clients.results(window, window.counted * config.clients);
    return { ...result, idle, busy, rate: result.delivered / SECONDS, cpu: cpu.percent() };
  } finally {
    if (producer) await producer.stop();
    for (const child of children.reverse()) await stop(child);
  }
}

async function wsProxy() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-wsp-'));
  const rows = [];
  const notes = [];
  const brokers = BROKERS.filter((b) => b.available);
  let index = 0;
  const plan = CONFIGS.flatMap((config) => (config.mode === 'plain' ? [{ config, where: '–' }] : brokers.map((b) => ({ config, where: b.name }))));
  for (const { config, where } of plan) {
    let broker = null;
    try {
      const topic = `wsp-bench-${index++}`;
      if (config.mode === 'proxy') broker = await BROKERS.find((b) => b.name === where).start(tmp, topic, 1);
      const r = await run(config, broker, topic);
      rows.push({ where, ...config, ...r });
      console.error(`${config.name} on ${where}: ${config.clients} clients, p50 ${fmt(r.p50, 2)} p99 ${fmt(r.p99, 2)} ms, ${r.delivered}/${r.expected}, RSS ${fmt(r.busy.rss / 2 ** 20)} MiB, ${r.busy.threads} threads, CPU ${JSON.stringify(r.cpu)}`);
    } catch (e) {
      notes.push(`${config.name} on ${where}: ${e.message}`);
      console.error(`${config.name} on ${where}: ${e.message}`);
    } finally {
      if (broker) await stopBroker(broker.child);
    }
  }
  const floor = rows.find((r) => r.mode === 'plain');
  const perClient = (r) => (r.busy.rss - r.idle.rss) / r.clients / 1024;
  const table = [
    '| clients | server | broker | deliveries/s | delivered | p50 ms | p99 ms | max ms | RSS idle → with clients, MiB | KiB per client | threads idle → with clients | CPU %: proxy / broker / clients |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.clients} | ${r.name} | ${r.where} | ${fmt(r.rate)} | ${r.delivered} / ${r.expected} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.max, 1)} | ${fmt(r.idle.rss / 2 ** 20)} → ${fmt(r.busy.rss / 2 ** 20)} | ${fmt(perClient(r))} | ${r.idle.threads} → ${r.busy.threads} | ${fmt(r.cpu.proxy)} / ${fmt(r.cpu.relay)} / ${fmt(r.cpu.clients)} |`),
  ].join('\n');
  const ratios = floor ? rows.filter((r) => r !== floor && r.clients === floor.clients).map((r) => `- ${r.name} on ${r.where}: p50 ${fmt(r.p50 / floor.p50, 1)}× the floor's, proxy CPU ${fmt(r.cpu.proxy / floor.cpu.proxy, 1)}×, RSS ${fmt(r.busy.rss / floor.busy.rss, 1)}×.`) : [];
  publish('ws-proxy', [
    `One run of ${SECONDS} s per row (after ${WARMUP_MS / 1000} s of warm-up), ${new Date().toISOString().slice(0, 10)}, ${machine()}.`,
    `Command: \`npm run bench -- ws-proxy\`. ${RATE} messages/s produced to one partition (one every 10 ms), read by every client;`,
    'proxy, clients (one process) and broker each in their own process. Latency: client receive time − the time the message was due (its 10 ms tick).',
    '',
    table,
    '',
    ...ratios,
  ], notes, process.env.WSP_SECONDS === undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
}

module.exports = { 'ws-proxy': wsProxy };
