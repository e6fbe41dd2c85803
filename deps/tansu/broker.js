'use strict';
// Starts tansu (installed by deps/tansu/install) as a fresh in-memory broker on a free loopback
// port, for the test runner and the benchmark. Resolves once it answers requests.
const { spawn, spawnSync } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const { freePort } = require('../../js/dev-cluster/cluster.js');

const tansuPath = process.env.TANSU || path.join(__dirname, 'bin', 'tansu');

// Returns {child, servers ("127.0.0.1:PORT"), url ("tcp://127.0.0.1:PORT")}; the caller stops
// the child. Its default listener is 0.0.0.0:9092, so the listeners are always given.
// Options: `port` to listen on (default: a free one); `advertisedPort`, the port it tells clients
// (a TLS terminator's, say); `authentication`, which makes it require SASL (SCRAM-SHA-256/512).
async function startTansu({ port, advertisedPort, authentication = false, timeoutMs = 15000 } = {}) {
  port ??= await freePort();
  const url = `tcp://127.0.0.1:${port}`;
  const advertised = `tcp://127.0.0.1:${advertisedPort ?? port}`;
  const args = ['broker', '--listener-url', url, '--advertised-listener-url', advertised, '--storage-engine', 'memory://tansu/'];
  if (authentication) args.push('--authentication');
  const child = spawn(tansuPath, args, { stdio: 'ignore' });
  const deadline = Date.now() + timeoutMs;
  // Ready when it answers requests; with authentication on, it refuses unauthenticated ones, so
  // there ready is when it accepts connections.
  const ready = authentication ? () => accepts(port) : async () => spawnSync(tansuPath, ['topic', 'list', '--broker', url], { stdio: 'ignore' }).status === 0;
  while (!(await ready())) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('tansu did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, servers: `127.0.0.1:${port}`, url };
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

function createTopic(url, name, partitions) {
  const r = spawnSync(tansuPath, ['topic', 'create', '--broker', url, '--partitions', String(partitions), name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tansu topic create ${name}: ${r.stderr}`);
}

module.exports = { tansuPath, startTansu, createTopic, freePort };
