'use strict';
// A game server: players move on a shared board and see each other move, whichever server they
// are connected to. Run two or more, on different ports, over one Kafka topic:
//   node examples/game/server.js --brokers 127.0.0.1:PORT,... [--port 3001] [--name east] [--topic game]
// Each serves the page (public/) and socket.io; kafka-native/socket.io relays every event between
// the servers through the topic, so a move made on one server reaches the players of all of them.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { Server } = require('socket.io');
const { createAdapter } = require('kafka-native/socket.io');

const BOARD = { width: 16, height: 12 };
const COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324'];
const STEPS = { up: [0, -1], down: [0, 1], left: [-1, 0], right: [1, 0] };

function options(argv) {
  const o = { brokers: process.env.KAFKA_BROKERS, port: 3001, name: undefined, topic: 'game' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) fail(`${flag} needs a value`);
    if (flag === '--brokers') o.brokers = value;
    else if (flag === '--port') o.port = Number(value);
    else if (flag === '--name') o.name = value;
    else if (flag === '--topic') o.topic = value;
    else fail(`unknown option ${flag}`);
  }
  if (!o.brokers) fail('--brokers is required (the bootstrap servers kafka-native mock-cluster printed)');
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) fail('--port must be a port number (0: any free port)');
  return o;
}

function fail(problem) {
  process.stderr.write(`game server: ${problem}\nusage: node examples/game/server.js --brokers HOST:PORT,... [--port 3001] [--name NAME] [--topic game]\n`);
  process.exit(2);
}

const PAGES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/game.js': ['game.js', 'text/javascript; charset=utf-8'],
};

function servePage(req, res) {
  const page = PAGES[new URL(req.url, 'http://x').pathname];
  if (!page) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': page[1], 'cache-control': 'no-store' });
  fs.createReadStream(path.join(__dirname, 'public', page[0])).pipe(res);
}

const o = options(process.argv.slice(2));
const httpServer = http.createServer(servePage);
const io = new Server(httpServer);
io.adapter(createAdapter({ broker: o.brokers, topic: o.topic }));
// A color per player that does not depend on which server it joined.
const colorOf = (id) => COLORS[[...id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % COLORS.length];

io.on('connection', async (socket) => {
  const name = String(socket.handshake.auth.name || 'player').replace(/[^\w .-]/g, '').slice(0, 20) || 'player';
  const me = {
    id: socket.id,
    name,
    color: colorOf(socket.id),
    x: Math.floor(Math.random() * BOARD.width),
    y: Math.floor(Math.random() * BOARD.height),
    server: o.name,
  };
  socket.data = me;
  // Everyone already playing, on every server: fetchSockets asks the others through Kafka.
  const players = (await io.fetchSockets()).map((s) => s.data).filter((p) => p && p.id && p.id !== me.id);
  socket.emit('welcome', { you: me, players, board: BOARD, server: o.name });
  socket.broadcast.emit('joined', me);

  socket.on('move', (direction) => {
    const step = STEPS[direction];
    if (!step) return;
    me.x = Math.min(BOARD.width - 1, Math.max(0, me.x + step[0]));
    me.y = Math.min(BOARD.height - 1, Math.max(0, me.y + step[1]));
    io.emit('moved', { id: me.id, x: me.x, y: me.y });
  });
  socket.on('disconnect', () => io.emit('left', me.id));
});

process.once('SIGTERM', () => io.close(() => process.exit(0)));
process.once('SIGINT', () => io.close(() => process.exit(0)));
httpServer.listen(o.port, '127.0.0.1', () => {
  o.name ??= `:${httpServer.address().port}`;
  console.log(`game server ${o.name} on http://127.0.0.1:${httpServer.address().port} (topic ${o.topic})`);
});
