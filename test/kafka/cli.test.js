'use strict';
// `kafka-native kafka`: Apache Kafka for developers without Docker. Started as a user would, it
// prints the bootstrap list, creates the --topic topics, serves produce and consume, and on
// Ctrl-C stops every node and removes its data.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { kafka, tempDir, roundTrip, waitFor, quietLogger, kafkaNodeProcesses } = require('../helpers');

const CLI = path.join(__dirname, '..', '..', 'bin', 'kafka-native.js');
const WIDE = 120000; // a JVM start on a loaded 2-core machine

// The Kafka nodes `cli` started (under their watcher shells): pid → the node's folder.
function nodesOf(cli) {
  const nodes = new Map();
  for (const { pid, properties } of kafkaNodeProcesses(cli.pid)) nodes.set(pid, path.dirname(properties));
  return nodes;
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('kafka-native kafka --nodes 1 --topic: serves, then Ctrl-C leaves no process and no data behind', async () => {
  const portFile = path.join(tempDir(), 'bootstrap');
  const cli = spawn(process.execPath, [CLI, 'kafka', '--nodes', '1', '--topic', 'cli-orders:3:1', '--port-file', portFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  cli.stdout.on('data', (c) => { stdout += c; });
  cli.stderr.on('data', (c) => { stderr += c; });
  const exited = new Promise((resolve) => cli.once('exit', (code, signal) => resolve(code ?? signal)));
  try {
    await waitFor('the port file', () => fs.existsSync(portFile), WIDE);
    const servers = fs.readFileSync(portFile, 'utf8').trim();
    assert.match(servers, /^127\.0\.0\.1:\d+$/);
    // The port file can be there before the pipes have brought what was written before it.
    await waitFor('the servers and the ready line', () => stdout.includes('\n') && /Ctrl-C to stop\n/.test(stderr), WIDE);
    assert.equal(stdout.trim(), servers);
    assert.match(stderr, /Apache Kafka: 1 node\(s\) at .* topics: cli-orders \(3×1\)/);
    const producer = new kafka.Producer({ broker: servers, logger: quietLogger() });
    assert.equal(await producer.partition_count('cli-orders'), 3);
    await producer.stop();
    await roundTrip(servers, 'cli-orders', {});
    const ours = [...nodesOf(cli)];
    assert.equal(ours.length, 1, `one new Kafka node: ${JSON.stringify(ours)}`);
    // The node's JVM runs as Kafka's kafka-server-start.sh runs a broker (G1, a fixed heap),
    // not with the tests' lean serial collector.
    const [{ jvmOptions }] = kafkaNodeProcesses(cli.pid);
    for (const option of ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Xmx512m', '-Xms512m']) {
      assert.ok(jvmOptions.includes(option), `${option} in ${jvmOptions.join(' ')}`);
    }
    assert.ok(!jvmOptions.includes('-XX:+UseSerialGC'), jvmOptions.join(' '));
    cli.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /Apache Kafka stopped; its data is removed/);
    for (const [pid, dir] of ours) {
      assert.ok(!alive(pid), `node ${pid} still runs`);
      assert.ok(!fs.existsSync(dir), `${dir} is still there`);
    }
    assert.ok(!fs.existsSync(portFile), 'the port file is removed');
  } finally {
    cli.kill('SIGKILL');
  }
});

test('kafka-native kafka refuses a node count other than 1 or 3, naming the option', async () => {
  const cli = spawn(process.execPath, [CLI, 'kafka', '--nodes', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  cli.stderr.on('data', (c) => { stderr += c; });
  const code = await new Promise((resolve) => cli.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(stderr, /--nodes must be 1 or 3/);
});
