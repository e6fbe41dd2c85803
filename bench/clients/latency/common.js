'use strict';
// Shared by the latency clients: one process produces at a steady rate and consumes what it
// produced, so send time and receive time come from the same clock. Each payload carries the
// time of its send() in microseconds (process.hrtime). The producer sends BATCH payloads every
// 10 ms (RATE/100), each send() to the next of PARTITIONS partitions in turn. The consumer is
// ready before the first send, on an empty topic. The first WARMUP_MS of sends are not counted;
// then SECONDS of sends are, and the client waits for every one of them to arrive.
const { percentile } = require('../../report');
const run = {
  broker: process.env.KAFKA_BROKERS,
  topic: process.env.KAFKA_TOPIC || 'latency',
  rate: Number(process.env.RATE || 10_000),
  seconds: Number(process.env.SECONDS || 5),
  warmupMs: Number(process.env.WARMUP_MS || 1000),
  partitions: Number(process.env.PARTITIONS || 4),
  // Client settings, as JSON: what the harness varies (e.g. {"fetch_wait_max_ms": 5}).
  settings: JSON.parse(process.env.SETTINGS || '{}'),
};
if (!run.broker) {
  console.error('usage: KAFKA_BROKERS=host:port [RATE=10000 SECONDS=5 SETTINGS={...}] node <client>');
  process.exit(2);
}
const TICK_MS = 10;
run.batch = Math.max(1, Math.round((run.rate * TICK_MS) / 1000));

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

// Payloads are "<send time µs>:<sequence>" padded to 100 bytes.
const payload = (sentUs, seq) => `${sentUs}:${seq}:`.padEnd(100, 'x');
const sentAt = (text) => Number(text.slice(0, text.indexOf(':')));

// Latencies of the counted messages, and when all of them have arrived.
function recorder() {
  const latencies = [];
  let countFrom = Infinity; // send time (µs) from which messages count
  let countUntil = Infinity;
  let expected = Infinity;
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  return {
    window(fromUs, untilUs) { countFrom = fromUs; countUntil = untilUs; },
    expect(n) { expected = n; if (latencies.length >= expected) done(); },
    // `text` is the payload as a string; `receivedUs` when the client handed it over.
    received(text, receivedUs) {
      const sent = sentAt(text);
      if (sent < countFrom || sent >= countUntil) return;
      latencies.push((receivedUs - sent) / 1000);
      if (latencies.length >= expected) done();
    },
    finished,
    latencies,
  };
}

// Sends at run.rate until the measured window has passed; `send(partition, payloads)` is the
// client's send. Returns how many counted messages were sent.
async function produceSteadily(send, record) {
  const started = nowUs();
  const countFrom = started + run.warmupMs * 1000;
  const countUntil = countFrom + run.seconds * 1e6;
  record.window(countFrom, countUntil);
  let seq = 0;
  let counted = 0;
  let tick = 0;
  for (;;) {
    const now = nowUs();
    if (now >= countUntil) break;
    // Catch up when a timer fires late, so the rate holds.
    const owed = Math.floor((now - started) / (TICK_MS * 1000)) + 1 - tick;
    for (let i = 0; i < owed; i++, tick++) {
      const sentUs = nowUs();
      const batch = Array.from({ length: run.batch }, () => payload(sentUs, seq++));
      await send(tick % run.partitions, batch);
      if (sentUs >= countFrom && sentUs < countUntil) counted += batch.length;
    }
    const next = started + tick * TICK_MS * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, (next - nowUs()) / 1000)));
  }
  return counted;
}

function report(record, counted) {
  const sorted = Float64Array.from(record.latencies).sort();
  console.log(JSON.stringify({
    rate: run.rate,
    counted,
    received: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  }));
}

// The whole measurement: `client` has start() (resolves once the consumer is ready), send(),
// and stop(). Fails when not every counted message arrives within `graceMs`.
async function measure(client, graceMs = 30_000) {
  const record = recorder();
  await client.start(record);
  const counted = await produceSteadily((partition, batch) => client.send(partition, batch), record);
  record.expect(counted);
  const timer = setTimeout(() => {
    console.error(`only ${record.latencies.length} of ${counted} messages arrived`);
    process.exit(1);
  }, graceMs);
  await record.finished;
  clearTimeout(timer);
  await client.stop();
  report(record, counted);
  process.exit(0);
}

module.exports = { run, nowUs, measure };
