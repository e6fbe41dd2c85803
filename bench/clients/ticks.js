'use strict';
// The send side of the fan-out benchmarks: `emit(at)` is called `rate` times a second, rate/100
// every 10 ms, with its send time `at` (µs, the system's monotonic clock, which every process
// shares); resolves with the window of send times that count, {countFrom, countUntil, counted},
// after `warmupMs` of warm-up and `seconds` of counting.
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
    for (let i = 0; i < perTick; i++) {
      const at = nowUs();
      if (at >= countUntil) return { countFrom, countUntil, counted };
      if (at >= countFrom) counted++;
      emit(at);
    }
  }
}

module.exports = { nowUs, blast };
