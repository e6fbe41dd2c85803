'use strict';
// The server side of the ws-proxy benchmark (bench/ws-proxy.js), in its own process so that its
// memory and threads are its own: MODE=proxy serves kafka-native/ws-proxy on KAFKA_BROKERS
// (SETTINGS: more KafkaProxy options as JSON); MODE=plain is the floor, a bare ws server that
// fans the same frames out with no Kafka at all, from {op: 'blast', rate, seconds, warmupMs}.
// Driven over IPC; {op: 'stats'} answers {rss, threads} from /proc.
const fs = require('node:fs');
const { WebSocketServer, WebSocket } = require('ws');
const { blast } = require('../ticks');

const { MODE, KAFKA_BROKERS, SETTINGS } = process.env;

function stats() {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)[1]);
  return { rss: field('VmRSS') * 1024, threads: field('Threads') };
}

(async () => {
  let port;
  let answer;
  if (MODE === 'plain') {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    port = wss.address().port;
    // Framed once and written to every socket as it is, as the proxy's shared streams (and
    // socket.io's broadcasts) do: the floor is the best a bare server does, not ws.send per socket.
    answer = (op, args) => blast((at) => {
      const text = JSON.stringify([{ message: String(at), offset: 0, partition: 0, key: null }]);
      const frame = [Buffer.concat(WebSocket.Sender.frame(Buffer.from(text), { readOnly: false, mask: false, rsv1: false, opcode: 1, fin: true }))];
      for (const ws of wss.clients) ws._sender.sendFrame(frame);
    }, args);
  } else {
    const { KafkaProxy } = require('kafka-native/ws-proxy');
    // Every topic and offsets granted: access is denied by default.
    const proxy = new KafkaProxy({ wsPort: 0, host: '127.0.0.1', kafka: KAFKA_BROKERS, topics: { read: ['*'], write: ['*'] }, offsets: true, ...JSON.parse(SETTINGS || '{}') });
    ({ port } = await proxy.listen());
    process.on('SIGTERM', () => proxy.close().then(() => process.exit(0)));
  }
  process.on('message', async ({ id, op, args }) => {
    process.send({ id, result: op === 'stats' ? stats() : await answer(op, args) });
  });
  process.send({ port });
})();
