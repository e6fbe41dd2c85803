'use strict';
// The socket.io adapter benchmark: server A broadcasts to 100 clients connected to server B at
// 1,000 broadcasts/s; the latency of each delivery is the client's receive time minus A's emit
// time. Servers and clients are separate processes (bench/clients/socket.io/); the broker is a
// fresh MockCluster process (and tansu when installed), and the baselines run in the same
// bench: @socket.io/redis-adapter over a fresh redis-server (Debian's), and a single server
// with socket.io's in-memory adapter (clients on A itself: the floor, no relay at all).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const { BROKERS, stopBroker } = require('./brokers');
const { machine, publish, fmt } = require('./report');
const { resolvable } = require('./peers');
const { startChild, startClients, cpuMeter, processTree, until, stop } = require('./processes');

const SECONDS = Number(process.env.SIO_SECONDS || 5);
const RATE = 1000;
// 100 clients is the load; 10 leaves the 2-core machine idle enough to show the relay itself.
const CLIENT_COUNTS = (process.env.SIO_CLIENTS || '100,10').split(',').map(Number);
// The relay's own traffic before the counted window, so that every row is measured in a steady
// state: Apache Kafka's JIT compiles the paths of small produce requests with headers and of
// fetches woken by them only under this traffic (bench/brokers.js warms other paths). With 1 s
// of it, a fresh broker's p99 was 7.0 ms where 10 s gave 5.4 (2026-11-25, 10 clients).
const WARMUP_MS = Number(process.env.SIO_WARMUP_MS || 10000);
const PARTITIONS = 4;
const dir = path.join(__dirname, 'clients', 'socket.io');
const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((f) => fs.existsSync(f));

const CONFIGS = [
  { relay: 'none: one server, in-memory adapter', adapter: 'memory' },
  { relay: 'kafka-native/socket.io, defaults (queue_buffering_max_ms 1, fetch_wait_max_ms 10)', adapter: 'kafka', settings: {} },
  { relay: 'kafka-native/socket.io, queue_buffering_max_ms 0 (before 2026-11-25)', adapter: 'kafka', settings: { producer: { queue_buffering_max_ms: 0 } } },
  { relay: 'kafka-native/socket.io, fetch_wait_max_ms 1', adapter: 'kafka', settings: { consumer: { fetch_wait_max_ms: 1 } } },
  { relay: '@socket.io/redis-adapter, redis-server', adapter: 'redis' },
];

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const line of readline.createInterface({ input: child.stdout })) {
    if (/Ready to accept connections/.test(line)) break;
  }
  child.stdout.resume();
  return { child, url: `redis://127.0.0.1:${port}` };
}

// `relayPids`: the broker's or redis-server's processes, whose CPU the table reports beside the servers'.
async function run(config, env, relayPids, clientCount) {
  const children = [];
  try {
    const a = await startChild(path.join(dir, 'server.js'), { ...env, ADAPTER: config.adapter, SETTINGS: JSON.stringify(config.settings ?? {}) });
    children.push(a.child);
    let target = a;
    if (config.adapter !== 'memory') {
      const b = await startChild(path.join(dir, 'server.js'), { ...env, ADAPTER: config.adapter, SETTINGS: JSON.stringify(config.settings ?? {}) });
      children.push(b.child);
      await until('both servers to count 2', async () => (await a.call('serverCount')) === 2 && (await b.call('serverCount')) === 2);
      target = b;
    }
    const clients = startClients(path.join(dir, 'clients.js'), { URL: target.url, CLIENTS: String(clientCount) });
    children.push(clients.child);
    await clients.ready;
    const servers = [a.child.pid, ...(target === a ? [] : [target.child.pid])];
    const cpu = cpuMeter({ servers, relay: relayPids, clients: [clients.child.pid] });
    const window = await a.call('blast', { rate: RATE, seconds: SECONDS, warmupMs: WARMUP_MS });
    const result = await clients.results(window, window.counted * clientCount);
    return { ...result, cpu: cpu.percent() };
  } finally {
    for (const child of children.reverse()) await stop(child);
  }
}

async function socketIo() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-sio-'));
  const rows = [];
  const notes = [];
  const brokers = BROKERS.filter((b) => b.available);
  let index = 0;
  const plan = CLIENT_COUNTS.flatMap((clientCount) => CONFIGS.flatMap((config) => {
    const targets = config.adapter === 'kafka' ? brokers.map((b) => b.name) : [config.adapter === 'redis' ? 'redis-server' : '–'];
    return targets.map((where) => ({ clientCount, config, where }));
  }));
  for (const { clientCount, config, where } of plan) {
    if (config.adapter === 'redis' && !(REDIS_SERVER && resolvable('@socket.io/redis-adapter') && resolvable('redis'))) {
      if (clientCount === CLIENT_COUNTS[0]) notes.push('@socket.io/redis-adapter: skipped, needs redis-server (apt-get install redis-server) and npm i @socket.io/redis-adapter redis.');
      continue;
    }
    let broker = null;
    let redis = null;
    const env = {};
    try {
      if (config.adapter === 'kafka') {
        const topic = `sio-bench-${index++}`;
        broker = await BROKERS.find((b) => b.name === where).start(tmp, topic, PARTITIONS);
        Object.assign(env, { KAFKA_BROKERS: broker.servers, KAFKA_TOPIC: topic });
      } else if (config.adapter === 'redis') {
        redis = await startRedis();
        env.REDIS_URL = redis.url;
      }
      const relayPids = broker ? processTree(broker.child.pid) : redis ? [redis.child.pid] : [];
      const result = await run(config, env, relayPids, clientCount);
      rows.push({ where, clients: clientCount, ...config, ...result });
      console.error(`${clientCount} clients, ${where} ${config.relay}: p50 ${fmt(result.p50, 2)} p99 ${fmt(result.p99, 2)} max ${fmt(result.max, 1)} ms, ${result.delivered}/${result.expected} delivered, CPU ${JSON.stringify(result.cpu)}`);
    } catch (e) {
      notes.push(`${config.relay} on ${where}: ${e.message}`);
      console.error(`${config.relay} on ${where}: ${e.message}`);
    } finally {
      if (broker) await stopBroker(broker.child);
      if (redis) await stop(redis.child);
    }
  }
  const table = [
    '| clients on B | relay | broker | p50 ms | p90 ms | p99 ms | max ms | delivered | CPU %: servers / broker / clients |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.clients} | ${r.relay} | ${r.where} | ${fmt(r.p50, 2)} | ${fmt(r.p90, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.max, 1)} | ${r.delivered} / ${r.expected} | ${fmt(r.cpu.servers)} / ${fmt(r.cpu.relay)} / ${fmt(r.cpu.clients)} |`),
  ].join('\n');
  publish('socket.io', [
    `One run of ${SECONDS} s per row (after ${WARMUP_MS / 1000} s of warm-up), ${new Date().toISOString().slice(0, 10)}, ${machine()}.`,
    `Command: \`npm run bench -- socket.io\`. Server A broadcasts ${RATE}/s (${RATE / 100} every 10 ms) to ${CLIENT_COUNTS.join(' or ')} socket.io-client sockets on server B;`,
    `each in its own process, brokers too (topic of ${PARTITIONS} partitions). Latency: client receive time − the time A's broadcast was due (its 10 ms tick).`,
    '',
    table,
    '',
  ], notes, process.env.SIO_SECONDS === undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
}

module.exports = { 'socket.io': socketIo };
