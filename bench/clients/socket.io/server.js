'use strict';
// A socket.io server for the broadcast benchmark (bench/socket.io.js), in its own process:
// ADAPTER=kafka (kafka-native/socket.io on KAFKA_BROKERS, topic KAFKA_TOPIC, SETTINGS: more
// createAdapter options as JSON), redis (@socket.io/redis-adapter on REDIS_URL) or memory
// (socket.io's own, for the single-server floor). Driven over IPC: {op: 'serverCount'} and
// {op: 'blast', rate, seconds, warmupMs}, which broadcasts `tick` with its send time (µs,
// the system's monotonic clock, which every process shares) at `rate` per second, RATE/100
// every 10 ms, and answers with the window of send times that count.
const http = require('node:http');
const { Server } = require('socket.io');

const { ADAPTER, KAFKA_BROKERS, KAFKA_TOPIC, REDIS_URL, SETTINGS } = process.env;
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

async function adapter() {
  if (ADAPTER === 'kafka') {
    const { createAdapter } = require('kafka-native/socket.io');
    return createAdapter({ broker: KAFKA_BROKERS, topic: KAFKA_TOPIC, ...JSON.parse(SETTINGS || '{}') });
  }
  if (ADAPTER === 'redis') {
    const { createClient } = require('redis');
    const { createAdapter } = require('@socket.io/redis-adapter');
    const pub = createClient({ url: REDIS_URL });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    return createAdapter(pub, sub);
  }
  return undefined;
}

async function blast({ rate, seconds, warmupMs }) {
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
      io.emit('tick', at);
    }
  }
}

const httpServer = http.createServer();
const io = new Server(httpServer);
(async () => {
  const a = await adapter();
  if (a) io.adapter(a);
  process.on('message', async ({ id, op, args }) => {
    const result = op === 'serverCount' ? await io.of('/').adapter.serverCount() : await blast(args);
    process.send({ id, result });
  });
  process.on('SIGTERM', () => io.close(() => process.exit(0)));
  httpServer.listen(0, '127.0.0.1', () => process.send({ port: httpServer.address().port }));
})();
