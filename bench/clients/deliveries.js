'use strict';
// The receiving side of the fan-out benchmarks: every delivery is kept as [due time µs, latency
// ms] (receive time minus the time it was due to be sent, on the monotonic clock every process
// shares; see ./ticks.js). Once the
// sends are over, the driver writes one line on stdin, {countFrom, countUntil, expected}; the
// percentiles of the deliveries sent in that window are printed once `expected` of them have
// arrived (or after TIMEOUT_MS).
const { percentile } = require('../report');
const readline = require('node:readline');
const { nowUs } = require('./ticks');

const TIMEOUT_MS = Number(process.env.TIMEOUT_MS || 60000);
const deliveries = [];
let window = null;
let finish = null;
let counted = 0;

const inWindow = (sentUs) => sentUs >= window.countFrom && sentUs < window.countUntil;

function received(sentUs) {
  deliveries.push([sentUs, (nowUs() - sentUs) / 1000]);
  if (window && inWindow(sentUs) && ++counted >= window.expected) finish();
}

// Prints "ready", waits for the window, prints the figures.
async function report() {
  console.log('ready');
  const lines = readline.createInterface({ input: process.stdin });
  const line = await new Promise((r) => lines.once('line', r));
  const done = new Promise((resolve) => { finish = resolve; });
  window = JSON.parse(line);
  counted = deliveries.filter(([sent]) => inWindow(sent)).length;
  if (counted >= window.expected) finish();
  await Promise.race([done, new Promise((r) => setTimeout(r, TIMEOUT_MS))]);
  const sorted = deliveries.filter(([sent]) => inWindow(sent)).map(([, ms]) => ms).sort((a, b) => a - b);
  console.log(JSON.stringify({
    delivered: sorted.length,
    expected: window.expected,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  }));
  lines.close();
}

module.exports = { received, report };
