'use strict';
// Toxiproxy (github.com/Shopify/toxiproxy), a fault-injecting TCP proxy, for the chaos tests: one
// proxy in front of each node's PROXIED listener (startKafka({proxied: true}).proxyRoutes), so
// that every client connection to the cluster goes through a proxy the test controls.
//
// The server is built once from the Go module proxy (`go install …/cmd/server@v2.12.0`, about
// 20 s) into ~/.cache/kafka-native/toxiproxy-v2.12.0 (or $KAFKA_NATIVE_CACHE) and reused after.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('../../js/dev-cluster/cluster.js');

const VERSION = 'v2.12.0';
const MODULE = 'github.com/Shopify/toxiproxy/v2/cmd/server';

function installToxiproxy() {
  const dir = path.join(process.env.KAFKA_NATIVE_CACHE || path.join(os.homedir(), '.cache', 'kafka-native'), `toxiproxy-${VERSION}`);
  const server = path.join(dir, 'server');
  if (fs.existsSync(server)) return server;
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('go', ['install', `${MODULE}@${VERSION}`], { env: { ...process.env, GOBIN: dir }, encoding: 'utf8' });
  if (r.error) throw new Error(`toxiproxy: go install needs Go (${r.error.message})`);
  if (r.status !== 0) throw new Error(`toxiproxy: go install ${MODULE}@${VERSION} failed:\n${r.stderr}`);
  return server;
}

// Starts a Toxiproxy server with one proxy per route ({id, listen, upstream}), named `node-<id>`.
async function startToxiproxy(routes) {
  const server = installToxiproxy();
  const port = await freePort();
  const child = spawn(server, ['-host', '127.0.0.1', '-port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (c) => { log = (log + c).slice(-4000); });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const base = `http://127.0.0.1:${port}`;
  async function api(method, url, body) {
    const res = await fetch(base + url, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`toxiproxy: ${method} ${url} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }
  const deadline = Date.now() + 20000;
  for (;;) {
    const up = await fetch(`${base}/version`).then((r) => r.ok, () => false);
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`toxiproxy did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const { id, listen, upstream } of routes) await api('POST', '/proxies', { name: `node-${id}`, listen, upstream, enabled: true });
  const names = routes.map((r) => `node-${r.id}`);
  return {
    names,
    // Cuts a proxy off (its connections closed, new ones refused) or lets it through again.
    setEnabled: (name, enabled) => api('POST', `/proxies/${name}`, { enabled }),
    // Adds a toxic to a proxy's connections, open and new ({name, type, stream, attributes}:
    // e.g. latency {latency, jitter}, timeout {timeout: 0} which holds all data until removed,
    // bandwidth {rate} in KB/s), and removes it.
    addToxic: (name, toxic) => api('POST', `/proxies/${name}/toxics`, { toxicity: 1, ...toxic }),
    removeToxic: (name, toxic) => api('DELETE', `/proxies/${name}/toxics/${toxic}`),
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

module.exports = { startToxiproxy };
