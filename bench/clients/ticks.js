'use strict';
// The send side of the fan-out benchmarks: `emit(at)` is called `rate` times a second, rate/100
// every 10 ms, with `at` the time its tick was due (µs, the system's monotonic clock, which
// every process shares); resolves with the window of due times that count, {countFrom,
// countUntil, counted}, after `warmupMs` of warm-up and `seconds` of counting. A sender whose
// event loop is busy gets to a tick late: stamping the due time counts that wait in the
// latency, as a real event would (until 2026-11-25 the time it got to it was stamped, which hid
// the bare servers' own backlog from the floor rows).
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

async function blast(emit, { rate, seconds, warmupMs }) {
  const perTick = Math.max(1, Math.round(rate / 100));
  const started = nowUs();
  const countFrom = started + warmupMs * 1000;
  const countUntil = countFrom + seconds * 1e6;
  let counted = 0;
  for (let tick = 0; ; tick++) {
    // Ticks are scheduled from the start, so a late tick does not shift the ones after it.
    const wait = started / 1000 + tick * 10 - nowUs() / 1000;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const at = started + tick * 10000;
    for (let i = 0; i < perTick; i++) {
      if (at >= countUntil) return { countFrom, countUntil, counted };
      if (at >= countFrom) counted++;
      emit(at);
    }
  }
}

module.exports = { nowUs, blast };
