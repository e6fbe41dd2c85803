'use strict';
// The brokers a benchmark measures against, each a separate process started fresh for one
// measurement: the project's MockCluster (`kafka-native mock-cluster`) and tansu, the real broker
// (when deps/tansu/install has installed it, or TANSU=path).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { tansuPath, startTansu, createTopic } = require('../deps/tansu/broker.js');

const root = path.join(__dirname, '..');

async function until(ready, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('broker did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}

// start(tmp, topic, partitions) → {child, servers}; stop with stopBroker(child).
const BROKERS = [
  {
    name: 'mock',
    available: true,
    async start(tmp, topic, partitions) {
      const portFile = path.join(tmp, 'mock.port');
      fs.rmSync(portFile, { force: true });
      const child = spawn(process.execPath, [path.join(root, 'bin/kafka-native.js'), 'mock-cluster', '--topic', `${topic}:${partitions}:1`, '--port-file', portFile], { stdio: 'ignore' });
      await until(() => fs.existsSync(portFile));
      return { child, servers: fs.readFileSync(portFile, 'utf8').trim() };
    },
  },
  {
    name: 'tansu',
    available: fs.existsSync(tansuPath),
    async start(tmp, topic, partitions) {
      const { child, servers, url } = await startTansu();
      createTopic(url, topic, partitions);
      return { child, servers };
    },
  },
];

async function stopBroker(child) {
  child.kill('SIGTERM');
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
}

module.exports = { BROKERS, stopBroker };
