'use strict';
// npm test: every test, against both brokers.
//   1. cargo tests and Node tests against librdkafka's MockCluster (embedded);
//   2. the broker-independent suites against tansu, a separate broker process this script
//      installs (deps/tansu/install), starts on a free port, and stops afterwards, even when a
//      test fails.
const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const root = path.join(__dirname, '..');
const tansu = path.join(root, 'deps/tansu/bin/tansu');
const running = new Set();

function step(title, cmd, args, env = {}) {
  console.log(`\n== ${title}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${title} failed (${r.status ?? r.signal})`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

// A fresh in-memory tansu per suite, so topic names never meet.
async function withTansu(run) {
  const port = await freePort();
  const url = `tcp://127.0.0.1:${port}`;
  const child = spawn(tansu, ['broker', '--listener-url', url, '--advertised-listener-url', url, '--storage-engine', 'memory://tansu/'], { stdio: 'ignore' });
  running.add(child);
  try {
    const deadline = Date.now() + 15000;
    while (spawnSync(tansu, ['topic', 'list', '--broker', url], { stdio: 'ignore' }).status !== 0) {
      if (Date.now() > deadline) throw new Error('tansu did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    run({ KAFKA_TEST_BROKER: 'tansu', KAFKA_BROKERS: `127.0.0.1:${port}`, TANSU: tansu });
  } finally {
    child.kill('SIGTERM');
    running.delete(child);
  }
}

const stopAll = () => { for (const child of running) child.kill('SIGKILL'); };
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { stopAll(); process.exit(130); });

(async () => {
  step('Rust tests on the MockCluster', 'cargo', ['test', '--workspace']);
  step('build the addon', 'npm', ['run', 'build']);
  const nodeTests = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).map((f) => path.join('test', f));
  step('Node tests on the MockCluster', process.execPath, ['--test', ...nodeTests]);
  step('install tansu', path.join(root, 'deps/tansu/install'), []);
  await withTansu((env) => step('Rust tests on tansu', 'cargo', ['test', '-p', 'kafka-native', '--test', 'any_broker'], env));
  await withTansu((env) => step('Node tests on tansu', process.execPath, ['--test', 'test/api.test.js', 'test/flow.test.js', 'test/kcat.test.js'], env));
  console.log('\nall tests passed, on the MockCluster and on tansu');
})().catch((e) => {
  console.error(`\n${e.message}`);
  process.exitCode = 1;
});
