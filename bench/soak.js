'use strict';
// npm run soak -- --minutes N [--rate R] [--restart-every M] [--nodes 1|3]
//
// Hours of ordinary work against Apache Kafka, with a broker restarted every few minutes, to
// see whether anything grows: a producer at a steady rate (deliver(), every message acked), a
// group consumer of what it writes, a transactional read-process-write service
// (examples/exactly-once.js, its own process), a ws-proxy with 20 clients sending and reading,
// and clients made and stopped every few seconds (churn). Every 10 s it samples this process's
// and the service's RSS, threads and file descriptors, and this event loop's delay.
//
// It fails (exit 1) when RSS, threads or fds grow from the first tenth after warm-up to the last
// tenth beyond a small margin, when an acked message never reached the group consumer, or when
// the service's output does not hold every input exactly once. A run of 60 minutes or more
// writes its report into BENCHMARKS.md (section "soak"); a shorter one only prints it.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const WebSocket = require('ws');
const { Producer, Consumer, Admin } = require('../js/index.js');
const { KafkaProxy } = require('../js/integrations/ws-proxy.js');
const { startKafka } = require('../js/dev-cluster/cluster.js');
const { machine, publish, median, fmt } = require('./report');

const quiet = { error() {}, warn() {}, info() {}, debug() {} };
// Warnings and errors are counted, and the first few of each kind kept for the report.
const heard = { warn: new Map(), error: new Map() };
const counted = (kind) => (m) => {
  const line = String(m).slice(0, 160);
  heard[kind].set(line, (heard[kind].get(line) ?? 0) + 1);
};
const logger = { ...quiet, warn: counted('warn'), error: counted('error') };

function options(argv) {
  const o = { minutes: 10, rate: 500, restartEvery: 4, nodes: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const name = { '--minutes': 'minutes', '--rate': 'rate', '--restart-every': 'restartEvery', '--nodes': 'nodes' }[argv[i]];
    const value = Number(argv[i + 1]);
    if (!name || !(value > 0)) {
      console.error(`usage: npm run soak -- --minutes N [--rate MSGS_PER_S] [--restart-every MINUTES] [--nodes 1|3] (got ${JSON.stringify(argv[i])} ${JSON.stringify(argv[i + 1])})`);
      process.exit(2);
    }
    o[name] = value;
  }
  return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// RSS (MB), threads and fds of process `pid` ('self' for this one).
function usage(pid = 'self') {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return {
      rss: Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024,
      threads: Number(/Threads:\s+(\d+)/.exec(status)[1]),
      fds: fs.readdirSync(`/proc/${pid}/fd`).length,
    };
  } catch {
    return undefined;
  }
}

async function main() {
  const o = options(process.argv.slice(2));
  const started = Date.now();
  const endAt = started + o.minutes * 60000;
  console.log(`soak: ${o.minutes} min, ${o.rate} msg/s, a broker restarted every ${o.restartEvery} min, ${o.nodes} node(s)`);
  const cluster = await startKafka({ nodes: o.nodes, jvm: 'kafka' });
  const broker = cluster.bootstrapServers;
  const rf = Math.min(3, o.nodes);
  const admin = new Admin({ broker, logger: quiet });
  await admin.createTopics([
    { topic: 'soak-in', partitions: 6, replication_factor: rf },
    { topic: 'soak-eos-out', partitions: 6, replication_factor: rf },
    { topic: 'soak-proxy', partitions: 1, replication_factor: rf },
  ]);
  await admin.stop();

  // The group consumer: which acked messages it has seen (at least once).
  const seen = new Uint8Array(o.rate * o.minutes * 60 + o.rate * 120);
  let consumed = 0;
  const consumer = new Consumer({
    broker, topic: 'soak-in', group_id: 'soak-group', offset_directory: null, start_offset: 'earliest', logger,
    receive_callback: ({ messages }) => {
      for (const m of messages) {
        const seq = Number(m.payload);
        if (seq < seen.length) seen[seq] = 1;
      }
      consumed += messages.length;
      return Promise.resolve();
    },
  });
  await consumer.start();

  // The read-process-write service, as a user runs it.
  const eos = spawn(process.execPath, [path.join(__dirname, '..', 'examples', 'exactly-once.js')], {
    env: { ...process.env, BROKER: broker, INPUT: 'soak-in', OUTPUT: 'soak-eos-out', GROUP: 'soak-eos' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  // It reads from 'latest' as a new group: the producer starts once it has joined.
  await new Promise((resolve, reject) => {
    let out = '';
    const onData = (c) => {
      out += c;
      if (/exactly-once: reading/.test(out)) resolve();
    };
    eos.stdout.on('data', onData);
    eos.once('exit', (code) => reject(new Error(`examples/exactly-once.js exited (${code}) before it read`)));
  });
  eos.stdout.resume();
  let eosErrors = '';
  eos.stderr.on('data', (c) => { eosErrors = (eosErrors + c).slice(-4000); });
  let eosExit;
  eos.once('exit', (code, signal) => { eosExit = code ?? signal; });

  // The proxy and its clients: each sends a frame of 5 every second and reads the topic.
  const proxy = new KafkaProxy({ wsPort: 0, kafka: broker, logger, topics: { read: ['soak-proxy'], write: ['soak-proxy'] } });
  const { port } = await proxy.listen();
  const proxyStats = { sent: 0, acked: 0, refused: 0, received: 0 };
  const clients = [];
  for (let c = 0; c < 20; c++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/?topic=soak-proxy`);
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (Array.isArray(frame)) proxyStats.received += frame.length;
      else if (frame.produced !== undefined) proxyStats.acked += frame.produced;
      else proxyStats.refused++;
    });
    ws.on('error', () => {});
    clients.push(ws);
  }

  // The producer: `rate` messages a second, in ticks of 10 ms, each tick one deliver().
  const producer = new Producer({ broker, logger });
  let seq = 0;
  let acked = 0;
  let deliverErrors = 0;
  const ackedFlags = new Uint8Array(seen.length); // which sequence numbers Kafka acked
  const inFlight = new Set();
  const perTick = o.rate / 100;
  let owed = 0;

  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const samples = [];
  const restarts = [];
  let churned = 0;
  let nextRestart = started + o.restartEvery * 60000;
  let restartNo = 0;
  let restarting = null;
  let nextSample = Date.now() + 10000;
  let nextChurn = Date.now() + 5000;
  let nextProxySend = Date.now() + 1000;

  while (Date.now() < endAt) {
    owed += perTick;
    const n = Math.floor(owed);
    owed -= n;
    if (n > 0) {
      const payloads = Array.from({ length: n }, () => String(seq++));
      const first = Number(payloads[0]);
      const p = producer.deliver('soak-in', -1, payloads).then(() => {
        acked += n;
        ackedFlags.fill(1, first, first + n);
      }, () => { deliverErrors += n; });
      inFlight.add(p);
      p.finally(() => inFlight.delete(p));
    }
    const now = Date.now();
    if (now >= nextProxySend) {
      nextProxySend += 1000;
      for (const ws of clients) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        ws.send(JSON.stringify({ produce: Array.from({ length: 5 }, (_, i) => ({ topic: 'soak-proxy', message: `p${proxyStats.sent + i}` })) }));
        proxyStats.sent += 5;
      }
    }
    if (now >= nextChurn) {
      nextChurn += 5000;
      (async () => {
        const p = new Producer({ broker, logger: quiet });
        await p.deliver('soak-proxy', 0, ['churn']).catch(() => {});
        await p.stop().catch(() => {});
        const a = new Admin({ broker, logger: quiet });
        await a.watermarks('soak-in', 0).catch(() => {});
        await a.stop();
        churned++;
      })();
    }
    if (now >= nextRestart && !restarting && o.nodes > 1) {
      nextRestart += o.restartEvery * 60000;
      const id = (restartNo % o.nodes) + 1;
      const graceful = restartNo % 2 === 0;
      restartNo++;
      const at = now;
      restarting = cluster.restart(id, { graceful }).then(() => {
        restarts.push({ id, graceful, minute: (at - started) / 60000, seconds: (Date.now() - at) / 1000 });
      }, (err) => {
        restarts.push({ id, graceful, minute: (at - started) / 60000, error: err.message });
      }).finally(() => { restarting = null; });
    }
    if (now >= nextSample) {
      nextSample += 10000;
      samples.push({
        minute: (now - started) / 60000, self: usage(), eos: usage(eos.pid),
        eldP99: eld.percentile(99) / 1e6, eldMax: eld.max / 1e6, acked, consumed, proxy: { ...proxyStats },
      });
      eld.reset();
    }
    await sleep(10);
  }

  // Wind down: every send settled, the consumer and the service caught up.
  await Promise.allSettled([...inFlight]);
  await restarting;
  const ackedSeqs = [];
  for (let i = 0; i < seq; i++) if (ackedFlags[i]) ackedSeqs.push(i);
  const caughtUp = Date.now() + 120000;
  const missing = () => ackedSeqs.filter((s) => !seen[s]).length;
  while (missing() > 0 && Date.now() < caughtUp) await sleep(500);
  const lost = missing();
  await consumer.stop();
  for (const ws of clients) ws.close();
  await proxy.close();
  await producer.stop().catch(() => {});

  // The service's output, read_committed: each acked input exactly once.
  const wanted = ackedSeqs.map(String);
  const readTopic = async (topic, done) => {
    const counts = new Map(); // payload -> [where, ...] ("partition/offset")
    let records = 0;
    const reader = new Consumer({
      broker, topic, group_id: `soak-check-${Date.now()}`, offset_directory: null, start_offset: 'earliest', isolation_level: 'read_committed', logger: quiet,
      receive_callback: ({ messages }) => {
        for (const m of messages) {
          const where = counts.get(m.payload) ?? [];
          where.push(`${m.partition}/${m.offset}`);
          counts.set(m.payload, where);
          records++;
        }
        return Promise.resolve();
      },
    });
    await reader.start();
    const deadline = Date.now() + 180000;
    while (!done(counts) && Date.now() < deadline) await sleep(1000);
    await sleep(3000); // anything beyond what was wanted (duplicates) has come too
    await reader.stop();
    return { counts, records };
  };
  const everyInput = (counts) => wanted.every((s) => counts.has(s));
  const { counts: outputs, records: outputCount } = await readTopic('soak-eos-out', everyInput);
  const eosMissing = wanted.filter((s) => !outputs.has(s)).length;
  const twice = [...outputs].filter(([, where]) => where.length > 1);
  const eosDuplicated = twice.length;
  // Whose duplicates: written twice to the input (the idempotent producer), or processed twice
  // (the transactional service)?
  let duplicatesTold = '';
  if (eosDuplicated > 0) {
    const { counts: inputs } = await readTopic('soak-in', everyInput);
    duplicatesTold = ` Duplicated outputs, with where their input lies: ${twice.slice(0, 5).map(([p, where]) => `${p} (output ${where.join(', ')}; input ${(inputs.get(p) ?? []).join(', ') || 'none'})`).join('; ')}.`;
  }
  eos.kill('SIGTERM');
  await new Promise((r) => (eosExit !== undefined ? r() : eos.once('exit', r)));
  await cluster.stop();

  // Growth: the median of the first tenth after two minutes' warm-up against the last tenth.
  const steady = samples.filter((s) => s.minute >= Math.min(2, o.minutes / 5));
  const tenth = Math.max(1, Math.floor(steady.length / 10));
  const growth = (pick) => {
    const early = median(steady.slice(0, tenth).map(pick)); // median() leaves out the undefined
    const late = median(steady.slice(-tenth).map(pick));
    return { early, late };
  };
  const checks = [
    ['RSS (MB), this process', growth((s) => s.self?.rss), (e, l) => l <= e * 1.25 + 30],
    ['threads, this process', growth((s) => s.self?.threads), (e, l) => l <= e + 8],
    ['fds, this process', growth((s) => s.self?.fds), (e, l) => l <= e + 16],
    ['RSS (MB), the EOS service', growth((s) => s.eos?.rss), (e, l) => l <= e * 1.25 + 30],
    ['threads, the EOS service', growth((s) => s.eos?.threads), (e, l) => l <= e + 8],
    ['fds, the EOS service', growth((s) => s.eos?.fds), (e, l) => l <= e + 16],
  ].map(([what, { early, late }, ok]) => ({ what, early, late, ok: early !== undefined && late !== undefined && ok(early, late) }));
  const failures = [
    ...checks.filter((c) => !c.ok).map((c) => `${c.what} grew: ${fmt(c.early, 1)} → ${fmt(c.late, 1)}`),
    ...(lost > 0 ? [`${lost} acked messages never reached the group consumer`] : []),
    ...(eosMissing > 0 || eosDuplicated > 0 ? [`the EOS output misses ${eosMissing} and duplicates ${eosDuplicated} of ${wanted.length} inputs`] : []),
    ...(eosExit !== undefined && eosExit !== 0 && eosExit !== 'SIGTERM' ? [`the EOS service exited (${eosExit}): ${eosErrors.trim().slice(-500)}`] : []),
  ];

  // The report: one row per fifth of the run.
  const rows = [];
  const step = Math.max(1, Math.floor(samples.length / 5));
  for (let i = step - 1; i < samples.length; i += step) {
    const window = samples.slice(Math.max(0, i - step + 1), i + 1);
    const s = samples[i];
    rows.push(`| ${fmt(s.minute, 0)} | ${fmt(s.self?.rss)} | ${s.self?.threads ?? '–'} | ${s.self?.fds ?? '–'} | ${fmt(s.eos?.rss)} | ${s.eos?.threads ?? '–'} | ${s.eos?.fds ?? '–'} | ${fmt(Math.max(...window.map((w) => w.eldP99)), 1)} | ${fmt(Math.max(...window.map((w) => w.eldMax)), 0)} | ${s.acked} | ${s.consumed} | ${s.proxy.acked} |`);
  }
  const lines = [
    `Run: \`npm run soak -- --minutes ${o.minutes}\` on ${machine()}; Apache Kafka, ${o.nodes} node(s) (as \`kafka-native kafka\` runs them), ${o.rate} msg/s, a node restarted every ${o.restartEvery} min (alternately SIGTERM and SIGKILL). Result: ${failures.length === 0 ? 'passed' : `FAILED: ${failures.join('; ')}`}.`,
    '',
    '| minute | RSS MB | threads | fds | EOS service RSS MB | threads | fds | event-loop delay p99 ms (max of window) | max ms | acked | consumed | proxy acked |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
  const notes = [
    `Growth, median of the first tenth after warm-up → the last tenth: ${checks.map((c) => `${c.what} ${fmt(c.early, 1)} → ${fmt(c.late, 1)}`).join('; ')}.`,
    `Producer: ${acked} acked, ${deliverErrors} failed deliveries; group consumer: ${consumed} received, ${lost} acked ones never; EOS output: ${wanted.length} inputs, ${eosMissing} missing, ${eosDuplicated} duplicated (read_committed, ${outputCount} records).${duplicatesTold}`,
    `Proxy: ${proxyStats.sent} sent by 20 clients, ${proxyStats.acked} acked, ${proxyStats.refused} refused, ${proxyStats.received} received; churn: ${churned} producer+admin pairs made and stopped.`,
    `Restarts: ${restarts.map((r) => `node ${r.id} ${r.graceful ? 'SIGTERM' : 'SIGKILL'} at ${fmt(r.minute, 1)} min ${r.error ? `failed: ${r.error}` : `back in ${fmt(r.seconds, 1)} s`}`).join('; ') || 'none'}.`,
    `Warnings heard: ${[...heard.warn].slice(0, 5).map(([m, n]) => `${n}× "${m}"`).join('; ') || 'none'}; errors: ${[...heard.error].slice(0, 5).map(([m, n]) => `${n}× "${m}"`).join('; ') || 'none'}.`,
  ];
  publish('soak', lines, notes, o.minutes >= 60);
  process.exit(failures.length === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
