'use strict';
// Runs test/socket.io/server.js processes and socket.io-client sockets for the adapter tests.
const path = require('node:path');
const { fork } = require('node:child_process');
const { once } = require('node:events');
const { io: connect } = require('socket.io-client');

const SERVER = path.join(__dirname, 'server.js');
// Everything started, so a failed test can leave nothing running (the file would never end).
const running = new Set();

// A server process: `call(op, ...args)` runs one of its ops, `stop()` closes it with SIGTERM and
// resolves with its exit code, `kill()` kills it with SIGKILL.
async function startServer(env) {
  const child = fork(SERVER, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  running.add(child);
  const exited = once(child, 'exit').then(([code, signal]) => code ?? signal);
  exited.then(() => running.delete(child));
  const pending = new Map();
  let next = 0;
  const port = await new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m.port) return resolve(m.port);
      const call = pending.get(m.id);
      pending.delete(m.id);
      if (m.error !== undefined) call.reject(new Error(`${env.NAME}: ${m.error}`));
      else call.resolve(m.result);
    });
    exited.then((code) => reject(new Error(`server ${env.NAME} exited (${code}) before listening`)));
  });
  exited.then((code) => {
    for (const call of pending.values()) call.reject(new Error(`server ${env.NAME} exited (${code})`));
    pending.clear();
  });
  return {
    name: env.NAME,
    url: `http://127.0.0.1:${port}`,
    call(op, ...args) {
      const id = ++next;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, op, args });
      });
    },
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
    kill() {
      child.kill('SIGKILL');
      return exited;
    },
    exited,
  };
}

// A connected client that keeps every event it receives (`events`: [[event, ...args]]).
async function startClient(server, name, options = {}) {
  const socket = connect(server.url, { transports: ['websocket'], auth: { name }, ...options });
  running.add(socket);
  socket.events = [];
  socket.onAny((...event) => socket.events.push(event));
  socket.received = (event) => socket.events.filter((e) => e[0] === event).map((e) => e.slice(1));
  await once(socket, 'connect');
  return socket;
}

// Kills every server and closes every client still running.
function stopEverything() {
  for (const thing of running) {
    if (typeof thing.kill === 'function') thing.kill('SIGKILL');
    else thing.close();
  }
  running.clear();
}

module.exports = { startServer, startClient, stopEverything };
