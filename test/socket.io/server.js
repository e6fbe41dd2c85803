'use strict';
// A socket.io server for the adapter tests, in its own process: the test drives it over IPC
// ({id, op, args} → {id, result | error}) and connects socket.io-client sockets to its port.
// ADAPTER=memory runs it with socket.io's in-memory adapter, the negative control.
const http = require('node:http');
const { Server } = require('socket.io');
const { createAdapter } = require('kafka-native/socket.io');

const { BROKER, TOPIC, NAME, ADAPTER, RECOVERY, OLD_SHAPE, TRACING } = process.env;
// TRACING=1: OpenTelemetry's SDK registered, as an application with tracing has it.
const otel = TRACING ? require('../observability/otel') : null;
const httpServer = http.createServer();
const io = new Server(httpServer, {
  connectionStateRecovery: RECOVERY ? { maxDisconnectionDuration: 60000 } : undefined,
});
const heartbeat = { heartbeatInterval: 250, heartbeatTimeout: 2000 };
// The adapter's error lines, kept (for the errors op) as well as printed.
const errors = [];
const logger = { ...console, error: (line) => { errors.push(String(line)); console.error(line); } };
if (OLD_SHAPE) {
  // socket.io-kafka's call shape: a broker address, the topic as `key`, and createTopics.
  io.adapter(createAdapter(BROKER, { key: TOPIC, createTopics: true, ...heartbeat }));
} else if (ADAPTER !== 'memory') {
  io.adapter(createAdapter({ broker: BROKER, topic: TOPIC, logger, ...heartbeat }));
}

const heard = []; // serverSideEmit events this server received
io.on('connection', (socket) => {
  socket.data.name = socket.handshake.auth.name;
  socket.on('join', (room, ack) => {
    socket.join(room);
    ack();
  });
});
io.on('boom', () => { throw new Error('a listener that throws'); });
io.on('hello', (...args) => {
  const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
  heard.push(args);
  if (ack) ack(`${NAME} heard ${args[0]}`);
});

const ops = {
  serverCount: () => io.of('/').adapter.serverCount(),
  emit: (event, ...args) => { io.emit(event, ...args); },
  emitBinary: (event, bytes) => { io.emit(event, Buffer.from(bytes)); },
  emitTo: (rooms, except, event, ...args) => { io.to(rooms).except(except).emit(event, ...args); },
  socketsJoin: (target, room) => { io.in(target).socketsJoin(room); },
  socketsLeave: (target, room) => { io.in(target).socketsLeave(room); },
  disconnectSockets: (target) => { io.in(target).disconnectSockets(true); },
  fetchSockets: async () => (await io.fetchSockets()).map((s) => ({ id: s.id, rooms: [...s.rooms].sort(), name: s.data.name })),
  serverSideEmit: (arg) => { io.serverSideEmit('hello', arg); },
  serverSideEmitWithAck: (arg) => io.serverSideEmitWithAck('hello', arg),
  // Payloads a cluster cannot carry: a BigInt (MessagePack has no encoding for it here) and a
  // string over the producer's message.max.bytes.
  serverSideEmitBigInt: () => { io.serverSideEmit('hello', 10n ** 20n); },
  serverSideEmitHuge: (length) => { io.serverSideEmit('hello', 'x'.repeat(length)); },
  emitHuge: (event, length) => { io.emit(event, 'x'.repeat(length)); },
  heard: () => heard,
  errors: () => errors,
  emitWithAck: (event) => io.timeout(10000).emitWithAck(event),
  // An emit inside an application span (a request handler's): its trace id.
  tracedEmit: (event, ...args) => otel.api.trace.getTracer('application').startActiveSpan('handle request', (span) => {
    io.emit(event, ...args);
    span.end();
    return span.spanContext().traceId;
  }),
  spans: () => otel.finishedSpans(),
};

process.on('message', async ({ id, op, args }) => {
  try {
    const result = await ops[op](...args);
    process.send({ id, result: result === undefined ? null : result });
  } catch (err) {
    process.send({ id, error: err.message });
  }
});
process.on('SIGTERM', () => io.close(() => process.exit(0)));

httpServer.listen(0, '127.0.0.1', () => process.send({ port: httpServer.address().port }));
