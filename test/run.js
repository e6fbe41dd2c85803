'use strict';
// npm test: every test, against both brokers.
//   1. cargo tests and Node tests against librdkafka's MockCluster (embedded);
//   2. the broker-independent suites against tansu, a separate broker process this script
//      installs (deps/tansu/install), starts on a free port, and stops afterwards, even when a
//      test fails; and the SASL tests (test/tansu/), which start a tansu that requires it.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { tansuPath, startTansu } = require('../deps/tansu/broker.js');

const root = path.join(__dirname, '..');
const running = new Set();

function step(title, cmd, args, env = {}) {
  console.log(`\n== ${title}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${title} failed (${r.status ?? r.signal})`);
}

// A fresh in-memory tansu per suite, so topic names never meet.
async function withTansu(run) {
  const { child, servers } = await startTansu();
  running.add(child);
  try {
    run({ KAFKA_TEST_BROKER: 'tansu', KAFKA_BROKERS: servers, TANSU: tansuPath });
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
  // The broker-independent suites again, each on a fresh tansu.
  for (const suite of ['any_broker', 'group', 'admin']) {
    await withTansu((env) => step(`Rust ${suite} tests on tansu`, 'cargo', ['test', '-p', 'kafka-native', '--test', suite], env));
  }
  // SASL: a tansu of its own that requires authentication (started by the test file).
  step('Node SASL tests on tansu', process.execPath, ['--test', 'test/tansu/sasl.test.js'], { TANSU: tansuPath });
  const onTansu = ['api', 'flow', 'start', 'kcat', 'group', 'admin', 'partitioner', 'deliver', 'socket.io', 'ws-proxy', 'not-processed', 'deepstream', 'codecs'].map((t) => `test/${t}.test.js`);
  await withTansu((env) => step('Node tests on tansu', process.execPath, ['--test', ...onTansu], env));
  console.log('\nall tests passed, on the MockCluster and on tansu');
})().catch((e) => {
  console.error(`\n${e.message}`);
  process.exitCode = 1;
});
