'use strict';
// The receiving side of the broadcast benchmark: CLIENTS socket.io-client sockets on URL, in
// one process. Each `tick` carries its send time; the latency of a delivery is its receive time
// minus that (µs, the shared monotonic clock). Prints "ready" once all are connected, then
// reads one line from the driver once the sends are over, {countFrom, countUntil, expected}, and
// prints the percentiles of the deliveries sent in that window once `expected` of them have
// arrived (or after TIMEOUT_MS).
const readline = require('node:readline');
const { io: connect } = require('socket.io-client');

const { URL, CLIENTS = '100', TIMEOUT_MS = '60000' } = process.env;
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
// Every delivery, as [send time µs, latency ms]: the window that counts comes after the sends.
const deliveries = [];
let window = null;
let finish = null;
let counted = 0;

function inWindow(sentUs) {
  return sentUs >= window.countFrom && sentUs < window.countUntil;
}

function received(sentUs) {
  deliveries.push([sentUs, (nowUs() - sentUs) / 1000]);
  if (window && inWindow(sentUs) && ++counted >= window.expected) finish();
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

(async () => {
  const sockets = [];
  for (let i = 0; i < Number(CLIENTS); i++) {
    const socket = connect(URL, { transports: ['websocket'], reconnection: false });
    socket.on('tick', received);
    sockets.push(new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    }));
  }
  const connected = await Promise.all(sockets);
  console.log('ready');
  const lines = readline.createInterface({ input: process.stdin });
  const line = await new Promise((r) => lines.once('line', r));
  const done = new Promise((resolve) => { finish = resolve; });
  window = JSON.parse(line);
  counted = deliveries.filter(([sent]) => inWindow(sent)).length;
  if (counted >= window.expected) finish();
  await Promise.race([done, new Promise((r) => setTimeout(r, Number(TIMEOUT_MS)))]);
  const sorted = deliveries.filter(([sent]) => inWindow(sent)).map(([, ms]) => ms).sort((a, b) => a - b);
  console.log(JSON.stringify({
    delivered: sorted.length,
    expected: window.expected,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  }));
  for (const s of connected) s.close();
  lines.close();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
