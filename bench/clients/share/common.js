'use strict';
// What the share-group benchmark's Node processes share: the clock stamped into payloads and the
// one-line summary every client prints (ShareBench.java prints the same fields).

// Wall-clock microseconds since the epoch, comparable across processes (and with Java's
// Instant.now()) on one machine.
const nowMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

// {records, records_per_s, p50_ms, p99_ms, max_ms} from a count, the seconds it took and the
// latencies in microseconds.
function summary(records, seconds, latencies) {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] / 1000;
  return { records, records_per_s: records / Math.max(seconds, 1e-9), p50_ms: at(0.5), p99_ms: at(0.99), max_ms: sorted[sorted.length - 1] / 1000 };
}

module.exports = { nowMicros, summary };
