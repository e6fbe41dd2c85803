'use strict';
// The ws-proxy memory benchmark (issue 24): what one client that never reads costs the proxy
// while 120 MB are produced to its topic, in each of the three ways a client reads (a group
// member, an offset of its own, the shared stream from latest). The baseline, in the same run and
// the same way: a client that reads everything. Reported: the proxy process's RSS before the
// client connected and after the volume was produced, and the growth of each against the other.
// Proxy and broker are separate processes (bench/clients/ws-proxy/proxy.js); the client is here.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { once } = require('node:events');
const WebSocket = require('ws');

const { Producer } = require('..');
const { BROKERS, stopBroker } = require('./brokers');
const { machine, publish, fmt } = require('./report');
const { startChild, stop } = require('./processes');

const MESSAGES = Number(process.env.WSPM_MESSAGES || 12000);
const SIZE = 10000; // 10 KB each: 120 MB by default
const SETTLE_MS = 3000; // after the last delivery, for the proxy to fetch what it will
const MODES = [
  { name: 'a group member', query: (topic, run) => `topic=${topic}&consumerGroup=wspm-${run}` },
  { name: 'an offset of its own', query: (topic) => `topic=${topic}&offset=0` },
  { name: 'the shared stream (latest)', query: (topic) => `topic=${topic}` },
];
const dir = path.join(__dirname, 'clients', 'ws-proxy');

async function run(broker, topic, mode, reads, runId) {
  const proxy = await startChild(path.join(dir, 'proxy.js'), { MODE: 'proxy', KAFKA_BROKERS: broker.servers, SETTINGS: JSON.stringify({ groups: ['*'] }) });
  let ws;
  const producer = new Producer({ broker: broker.servers, logger: { error: console.error, warn() {}, info() {}, debug() {} } });
  try {
    const idle = await proxy.call('stats');
    ws = new WebSocket(`${proxy.url.replace(/^http:/, 'ws:')}/?${mode.query(topic, runId)}`);
    let received = 0;
    ws.on('message', (data) => { received += data.length; });
    await once(ws, 'open');
    if (!reads) ws.pause(); // reads nothing more from its socket
    await new Promise((r) => setTimeout(r, 1000)); // its consumer starts (the shared one resolves 'latest')
    const big = 'x'.repeat(SIZE);
    for (let i = 0; i < MESSAGES; i += 200) await producer.deliver(topic, 0, Array.from({ length: Math.min(200, MESSAGES - i) }, () => big));
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const busy = await proxy.call('stats');
    return { idle, busy, received };
  } finally {
    ws?.terminate();
    await producer.stop();
    await stop(proxy.child);
  }
}

async function wsProxyMemory() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-wspm-'));
  const rows = [];
  const notes = [];
  let index = 0;
  for (const where of BROKERS.filter((b) => b.available)) {
    for (const mode of MODES) {
      const result = {};
      for (const reads of [true, false]) {
        let broker = null;
        try {
          const topic = `wspm-${index++}`;
          broker = await where.start(tmp, topic, 1);
          result[reads ? 'reads' : 'never'] = await run(broker, topic, mode, reads, index);
        } catch (e) {
          notes.push(`${mode.name} on ${where.name}: ${e.message}`);
        } finally {
          if (broker) await stopBroker(broker.child);
        }
      }
      if (result.reads && result.never) rows.push({ where: where.name, mode: mode.name, ...result });
      const growth = (r) => (r ? fmt((r.busy.rss - r.idle.rss) / 2 ** 20) : '–');
      console.error(`${mode.name} on ${where.name}: RSS growth reads ${growth(result.reads)} MiB, never reads ${growth(result.never)} MiB`);
    }
  }
  const mib = (b) => fmt(b / 2 ** 20);
  const table = [
    '| broker | the client reads as | RSS growth, a client that reads, MiB | RSS growth, a client that never reads, MiB | never / reads | proxy RSS after, never reads, MiB |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const reads = r.reads.busy.rss - r.reads.idle.rss;
      const never = r.never.busy.rss - r.never.idle.rss;
      return `| ${r.where} | ${r.mode} | ${mib(reads)} | ${mib(never)} | ${fmt(never / reads, 2)} | ${mib(r.never.busy.rss)} |`;
    }),
  ].join('\n');
  publish('ws-proxy-memory', [
    `One run per cell, ${new Date().toISOString().slice(0, 10)}, ${machine()}.`,
    `Command: \`npm run bench -- ws-proxy-memory\`. One client; ${MESSAGES} messages of ${SIZE / 1000} KB (${fmt(MESSAGES * SIZE / 1e6)} MB) produced to its`,
    `topic's one partition; the proxy's RSS measured ${SETTLE_MS / 1000} s after the last delivery. Before issue 24 a client that never`,
    'read made the proxy grow by about the volume produced (120 MB: +108 MB RSS as a group member, +62 MB with an offset, +75 MB on',
    'the shared stream).',
    '',
    table,
  ], notes, process.env.WSPM_MESSAGES === undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
}

module.exports = { 'ws-proxy-memory': wsProxyMemory };
