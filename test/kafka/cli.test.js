'use strict';
// `kafka-native kafka`: Apache Kafka for developers without Docker. Started as a user would, it
// prints the bootstrap list, creates the --topic topics, serves produce and consume, and on
// Ctrl-C stops every node and removes its data.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { wide, kafka, tempDir, roundTrip, waitFor, quietLogger, kafkaNodeProcesses } = require('../helpers');
const { freePort } = require('../../js/dev-cluster/cluster.js');

const CLI = path.join(__dirname, '..', '..', 'bin', 'kafka-native.js');
const WIDE = wide(120000); // a JVM start on a loaded 2-core machine

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
  const out = watchOutput(cli);
  const exited = new Promise((resolve) => cli.once('exit', (code, signal) => resolve(code ?? signal)));
  try {
    await waitFor('the port file', () => fs.existsSync(portFile), WIDE);
    const servers = fs.readFileSync(portFile, 'utf8').trim();
    assert.match(servers, /^127\.0\.0\.1:\d+$/);
    // The port file can be there before the pipes have brought what was written before it.
    await waitFor('the servers and the ready line', () => out.stdout.includes('\n') && /Ctrl-C to stop\n/.test(out.stderr), WIDE);
    assert.equal(out.stdout.trim(), servers);
    assert.match(out.stderr, /Apache Kafka: 1 node\(s\) at .* topics: cli-orders \(3×1\)/);
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
    assert.equal(await exited, 0, out.stderr);
    assert.match(out.stderr, /Apache Kafka stopped; its data is removed/);
    for (const [pid, dir] of ours) {
      assert.ok(!alive(pid), `node ${pid} still runs`);
      assert.ok(!fs.existsSync(dir), `${dir} is still there`);
    }
    assert.ok(!fs.existsSync(portFile), 'the port file is removed');
  } finally {
    cli.kill('SIGKILL');
  }
});

// `cli`'s stdout and stderr so far, as {stdout, stderr}.
function watchOutput(cli) {
  const out = { stdout: '', stderr: '' };
  cli.stdout.on('data', (c) => { out.stdout += c; });
  cli.stderr.on('data', (c) => { out.stderr += c; });
  return out;
}

const childrenOf = (pid) => {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

test('kafka-native kafka supervises its node: a death is told with its log, `up` brings it back on its port and data, and its parent ending stops it', async () => {
  const portFile = path.join(tempDir(), 'bootstrap');
  // Started as `npx kafka-native kafka &` starts it: under a shell that dies of a SIGTERM
  // without passing it on (npm exec's shell does that), so that `kill $!` ends only the shell.
  const wrapper = spawn('sh', ['-c', 'exec 3<&0; "$0" "$@" <&3 & wait', process.execPath, CLI, 'kafka', '--topic', 'cli-kept:1:1', '--port-file', portFile], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = watchOutput(wrapper);
  const command = async (line, answer) => {
    const from = out.stdout.length;
    wrapper.stdin.write(`${line}\n`);
    await waitFor(`an answer to ${line}`, () => answer.test(out.stdout.slice(from)), WIDE);
  };
  let cliPid;
  try {
    await waitFor('the port file', () => fs.existsSync(portFile), WIDE);
    const servers = fs.readFileSync(portFile, 'utf8').trim();
    [cliPid] = childrenOf(wrapper.pid);
    const [node] = nodesOf({ pid: cliPid });
    assert.ok(node, 'the node runs under the CLI');
    const producer = new kafka.Producer({ broker: servers, logger: quietLogger() });
    const [first] = await producer.deliver('cli-kept', 0, ['before']);
    await producer.stop();
    assert.equal(first.offset, 0);

    // Killed from outside: told at once, with its log's end; the port file lists no dead node.
    process.kill(node[0], 'SIGKILL');
    await waitFor('the report', () => /node 1 exited \(SIGKILL\) without being asked to; `up 1` starts it again\. The end of its log:\n.*Kafka Server started/s.test(out.stderr), WIDE);
    await waitFor('the port file to go', () => !fs.existsSync(portFile), WIDE);
    await command('status', /^node 1 down \(127\.0\.0\.1:\d+\)$/m);

    // Back on the same port, with its data: the next offset follows the one written before.
    await command('up 1', /^node 1 up \(127\.0\.0\.1:\d+\)$/m);
    assert.equal(fs.readFileSync(portFile, 'utf8').trim(), servers);
    await command('restart 1', /^node 1 up/m);
    assert.doesNotMatch(out.stderr, /exited \(\d+\)|exited \(SIGTERM\)/, 'a restart asked for is not reported as a death');
    const again = new kafka.Producer({ broker: servers, logger: quietLogger() });
    const [next] = await again.deliver('cli-kept', 0, ['after']);
    await again.stop();
    assert.equal(next.offset, 1, 'the node kept its data across the kill and the restart');
    wrapper.stdin.write('up 7\n');
    await waitFor('the refusal', () => /kafka-native: up: no node "7": the nodes are 1\n/.test(out.stderr), WIDE);

    const [restarted] = nodesOf({ pid: cliPid });
    wrapper.kill('SIGTERM');
    await waitFor('the CLI to stop with its parent', () => !alive(cliPid), WIDE);
    assert.match(out.stderr, /stopping Apache Kafka \(the process that started it \(pid \d+\) ended\)/);
    assert.ok(!alive(restarted[0]), `node ${restarted[0]} still runs`);
    assert.ok(!fs.existsSync(restarted[1]), `${restarted[1]} is still there`);
    assert.ok(!fs.existsSync(portFile), 'the port file is removed');
  } catch (err) {
    err.message += `\nstderr: ${out.stderr}\nstdout: ${out.stdout}`;
    throw err;
  } finally {
    wrapper.kill('SIGKILL');
    if (cliPid && alive(cliPid)) process.kill(cliPid, 'SIGKILL');
  }
});

// With --port, on the port asked for (as examples/work-queue's README starts it).
test('kafka-native kafka --port N serves on port N, and killed outright (SIGKILL) takes its node with it', async () => {
  const portFile = path.join(tempDir(), 'bootstrap');
  const port = await freePort();
  const cli = spawn(process.execPath, [CLI, 'kafka', '--port', String(port), '--port-file', portFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  watchOutput(cli);
  try {
    await waitFor('the port file', () => fs.existsSync(portFile), WIDE);
    assert.equal(fs.readFileSync(portFile, 'utf8').trim(), `127.0.0.1:${port}`);
    const [[pid]] = nodesOf(cli);
    cli.kill('SIGKILL');
    await waitFor(`node ${pid} to end`, () => !alive(pid), WIDE);
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
