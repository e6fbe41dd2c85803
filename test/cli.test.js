'use strict';
// `npx kafka-native mock-cluster`: the Docker-free dev cluster.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { kafka, tempDir, waitFor, quietLogger } = require('./helpers');

const cli = path.join(__dirname, '..', 'bin', 'kafka-native.js');

// Preloaded into a CLI: collects garbage every 10 ms and says so every fifth time, so a test can
// wait until the CLI has collected several times after it started serving.
const COLLECT_GARBAGE = "let n = 0; setInterval(() => { global.gc(); if (++n % 5 === 0) process.stderr.write('collected\\n'); }, 10).unref();";

test('mock-cluster serves a 3-broker cluster with the topics asked for, and stops on Ctrl-C', async () => {
  const dir = tempDir();
  const portFile = path.join(dir, 'servers');
  const collect = path.join(dir, 'collect-garbage.js');
  fs.writeFileSync(collect, COLLECT_GARBAGE);
  // stdin closed, as in a background job or a benchmark: nothing of stdin's keeps the cluster.
  const child = spawn(process.execPath, ['--expose-gc', '--require', collect, cli, 'mock-cluster', '--brokers', '3', '--topic', 'game:4:2', '--topic', 'chat:2', '--port-file', portFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    await waitFor('the port file', () => fs.existsSync(portFile));
    const servers = fs.readFileSync(portFile, 'utf8').trim();
    assert.equal(servers.split(',').length, 3);
    // The port file can be there before the pipes have brought what was written before it.
    await waitFor('the servers and the latency hint', () => stdout.includes('\n') && /low latency on this cluster/.test(stderr));
    assert.equal(stdout.trim(), servers);
    assert.match(stderr, /low latency on this cluster: consumer fetch_wait_max_ms: 5/);
    // Serving, with garbage collected since: the cluster is still there.
    const collected = () => stderr.split('collected').length - 1;
    const before = collected();
    await waitFor('ten collections in the CLI', () => collected() >= before + 2);
    const producer = new kafka.Producer({ broker: servers, logger: quietLogger() });
    assert.equal(await producer.partition_count('game'), 4);
    assert.equal(await producer.partition_count('chat'), 2);
    assert.equal(producer.send('game', 3, ['hello']).enqueued, 1);
    await producer.stop();
  } finally {
    child.kill('SIGINT');
  }
  assert.deepEqual(await exited, { code: 0, signal: null });
  assert.equal(fs.existsSync(portFile), false, 'the port file is removed on exit');
});

test('mock-cluster takes brokers down and up from stdin, and a replicated topic stays available', async () => {
  const child = spawn(process.execPath, [cli, 'mock-cluster', '--brokers', '3', '--topic', 'game:4:2'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = [];
  let stderr = '';
  require('node:readline').createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ask = async (command, answer) => {
    const from = lines.length;
    child.stdin.write(`${command}\n`);
    await waitFor(`an answer to ${command}`, () => lines.slice(from).some((l) => answer.test(l)));
  };
  try {
    await waitFor('the bootstrap servers', () => lines.length > 0);
    const servers = lines[0];
    // The mock's placement: p0 [1, 2], p1 [3, 1], p2 [2, 3], p3 [1, 2], each led by its first replica.
    await ask('leaders', /^leaders game: p0→1 p1→3 p2→2 p3→1$/);
    await ask('down 1', /^broker 1 down · leaders game: p0→2 p1→3 p2→2 p3→2$/);
    const producer = new kafka.Producer({ broker: servers, queue_buffering_max_ms: 0, logger: quietLogger() });
    const landed = await Promise.all([0, 1, 2, 3].map((p) => producer.deliver('game', p, [`to ${p}`])));
    assert.deepEqual(landed.map(([m]) => m.partition), [0, 1, 2, 3]);
    await producer.stop();
    await ask('up 1', /^broker 1 up · /);
    child.stdin.write('down 7\nsideways\n');
    await waitFor('both refusals', () => /broker_id must be between 1 and 3, got 7/.test(stderr) && /unknown command "sideways"/.test(stderr));
  } finally {
    child.kill('SIGTERM');
  }
  assert.deepEqual(await exited, { code: 0, signal: null });
});

for (const [args, message] of [
  [['mock-cluster', '--brokers', '0'], /--brokers must be a positive integer/],
  [['mock-cluster', '--topic', 'game'], /--topic "game" is not NAME:PARTITIONS/],
  [['mock-cluster', '--topic', 'game:4:3'], /--topic game: replication must be between 1 and --brokers \(1\)/],
  [['mock-cluster', '--retention-bytes', '0'], /--retention-bytes must be a positive integer/],
  [['kafka', '--retention-bytes', '1'], /unknown option "--retention-bytes"/],
  [['mock-cluster', '--port'], /unknown option "--port"/],
  [['kafka', '--port', '0'], /--port must be a port number/],
  [['serve'], /unknown command "serve"/],
]) {
  test(`kafka-native ${args.join(' ')} exits 2 and names the problem`, () => {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, message);
    assert.match(r.stderr, args[0] === 'kafka' ? /usage: kafka-native kafka/ : /usage: kafka-native mock-cluster/);
  });
}

// A newcomer's first command, before the addon is built: the usage needs no addon. Preloaded: a
// loader that refuses every native addon, as a clone without `npm run build` would.
test('kafka-native kafka --help and mock-cluster --help work without the addon', () => {
  const dir = tempDir();
  const noAddon = path.join(dir, 'no-addon.js');
  fs.writeFileSync(noAddon, "require('node:module')._extensions['.node'] = () => { throw new Error('no addon built'); };");
  for (const command of ['kafka', 'mock-cluster']) {
    const r = spawnSync(process.execPath, ['--require', noAddon, cli, command, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`usage: kafka-native ${command}`));
  }
});

test('mock-cluster --retention-bytes: each partition keeps that much, not the mock\'s 5 MiB', async () => {
  const portFile = path.join(tempDir(), 'servers');
  const child = spawn(process.execPath, [cli, 'mock-cluster', '--retention-bytes', String(16 * 1024 * 1024), '--topic', 'kept:1', '--port-file', portFile], { stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    await waitFor('the port file', () => fs.existsSync(portFile));
    const servers = fs.readFileSync(portFile, 'utf8').trim();
    const producer = new kafka.Producer({ broker: servers, logger: quietLogger() });
    const kb = Array.from({ length: 1000 }, () => 'x'.repeat(1000));
    for (let i = 0; i < 8; i++) await producer.deliver('kept', 0, kb);
    await producer.stop();
    const admin = new kafka.Admin({ broker: servers, logger: quietLogger() });
    assert.deepEqual(await admin.watermarks('kept', 0), { low: 0, high: 8000 });
    await admin.stop();
  } finally {
    child.kill('SIGINT');
  }
  assert.deepEqual(await exited, { code: 0, signal: null });
});

test('ws-proxy serves Kafka over WebSockets from the command line, with auth, and stops on Ctrl-C', async () => {
  const WebSocket = require('ws');
  const { once } = require('node:events');
  const cluster = new kafka.MockCluster(1);
  cluster.createTopic('cli-wsp', 1);
  const broker = cluster.bootstrapServers;
  const child = spawn(process.execPath, [cli, 'ws-proxy', '--port', '0', '--broker', broker, '--auth', 's3cret', '--idle-timeout', '10',
    '--read', 'cli-*', '--write', 'cli-wsp', '--offsets', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d) => { stdout += d; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    await waitFor('the port', () => /listening on port \d+/.test(stdout));
    const port = /listening on port (\d+)/.exec(stdout)[1];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/?topic=cli-wsp&offset=0`, { headers: { authorization: 'basic s3cret' } });
    const frames = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await once(ws, 'open');
    ws.send(JSON.stringify({ produce: [{ topic: 'cli-other', message: 'not granted' }], id: 2 }));
    ws.send(JSON.stringify({ produce: [{ topic: 'cli-wsp', message: 'via the proxy' }], id: 1 }));
    await waitFor('the refusal, the ack and the message back', () => frames.length >= 3, 30000);
    const replies = frames.filter((f) => !Array.isArray(f));
    assert.deepEqual(replies.find((f) => f.id === 1), { produced: 1, id: 1 });
    assert.match(replies.find((f) => f.id === 2).error, /may not write topic cli-other: not granted \(option topics\.write\)/);
    assert.deepEqual(frames.find(Array.isArray), [{ message: 'via the proxy', offset: 0, partition: 0, key: null }]);
    ws.close();
  } finally {
    child.kill('SIGINT');
  }
  assert.deepEqual(await exited, { code: 0, signal: null });
});

test('ws-proxy refuses bad arguments, naming them', () => {
  for (const [args, problem] of [
    [['--broker', 'b:9092'], /--port is required/],
    [['--port', '1'], /--broker is required/],
    [['--port', 'x', '--broker', 'b'], /--port must be an integer >= 0, got "x"/],
    [['--port', '1', '--broker', 'b', '--bogus', '1'], /unknown option "--bogus"/],
    [['--port', '1', '--broker', 'b', '--offsets', 'maybe'], /--offsets takes yes or no, got "maybe"/],
  ]) {
    const r = spawnSync(process.execPath, [cli, 'ws-proxy', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, problem);
    assert.match(r.stderr, /usage: kafka-native ws-proxy/);
  }
});

test('kafka-native kafka without Java says so, and how to get it, once', () => {
  const r = spawnSync(process.execPath, [cli, 'kafka'], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'kafka-native kafka: cannot run Apache Kafka ' + require('../js/dev-cluster/install.js').VERSION
    + ': Java 17 or newer is not installed (no `java` on the PATH; on Debian or Ubuntu: apt install openjdk-17-jre-headless)\n');
});

test('the first fetch of the Kafka jars tells its progress from what Maven downloaded', () => {
  const { downloadedJars } = require('../js/dev-cluster/install.js');
  const output = [
    '[INFO] Downloading from central: https://repo.maven.apache.org/maven2/org/apache/kafka/kafka_2.13/4.4.0/kafka_2.13-4.4.0.jar',
    '[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/org/apache/kafka/kafka_2.13/4.4.0/kafka_2.13-4.4.0.jar (6.9 MB at 4.1 MB/s)',
    '[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/org/apache/maven/plugins/maven-dependency-plugin/3.6.0/maven-dependency-plugin-3.6.0.jar (190 kB at 1.0 MB/s)',
    '[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar (70 kB at 500 kB/s)',
  ].join('\n');
  assert.deepEqual(downloadedJars(output, new Set(['kafka_2.13-4.4.0.jar', 'slf4j-api-2.0.17.jar'])), [
    { name: 'kafka_2.13-4.4.0.jar', size: '6.9 MB' },
    { name: 'slf4j-api-2.0.17.jar', size: '70 kB' },
  ]);
});
