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
const { blast } = require('../ticks');

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

const httpServer = http.createServer();
const io = new Server(httpServer);
(async () => {
  const a = await adapter();
  if (a) io.adapter(a);
  process.on('message', async ({ id, op, args }) => {
    const result = op === 'serverCount' ? await io.of('/').adapter.serverCount() : await blast((at) => io.emit('tick', at), args);
    process.send({ id, result });
  });
  process.on('SIGTERM', () => io.close(() => process.exit(0)));
  httpServer.listen(0, '127.0.0.1', () => process.send({ port: httpServer.address().port }));
})();
