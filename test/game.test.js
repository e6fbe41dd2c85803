'use strict';
// examples/game played as a person would: a 3-broker dev cluster with the topic game (4
// partitions, replication factor 2), two game servers on different ports, and headless Chromium
// with one page on each. A move on one page shows on the other; the broker leading the game's
// partition goes down mid-game and play goes on. Screenshots of both pages land in
// test-output/game/. With KAFKA_TEST_BROKER=kafka (npm test, where Java is there) the cluster is
// Apache Kafka (`kafka-native kafka --nodes 3`) and the leader is killed with SIGKILL; otherwise
// the MockCluster (`kafka-native mock-cluster --brokers 3`, as in the example's README), whose
// leader is taken down with its `down N` command.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { spawn, spawnSync } = require('node:child_process');
const { wide, kafka, quietLogger, kafkaNodeProcesses, waitFor } = require('./helpers');
const { metadata } = require('../js/dev-cluster/metadata.js');

const root = path.join(__dirname, '..');
const SCREENSHOTS = path.join(root, 'test-output', 'game');
// Anything crossing browsers, servers and Kafka on a loaded CI machine; on Apache Kafka a dead
// leader is replaced once the controller fences it (broker.session.timeout.ms, 9 s).
const WIDE = wide(45000);
const ON_KAFKA = process.env.KAFKA_TEST_BROKER === 'kafka';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// A child process whose stdout lines are kept; `line(re)` waits for one matching `re`.
function start(args, name) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = [];
  readline.createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(l);
    for (const w of [...waiters]) if (w.check(l)) waiters.splice(waiters.indexOf(w), 1);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return {
    child,
    exited,
    line(re, timeoutMs = WIDE) {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen.match(re));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no line matching ${re} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ check: (l) => { const m = l.match(re); if (m) { clearTimeout(timer); resolve(m); } return Boolean(m); } });
      });
    },
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

// The dev cluster through the CLI: {brokers, stop(), leaderDown(partition) → the new leader's id}.
async function mockDevCluster(t) {
  const cli = start([path.join(root, 'bin/kafka-native.js'), 'mock-cluster', '--brokers', '3', '--topic', 'game:4:2'], 'mock-cluster');
  t.after(() => cli.child.kill('SIGKILL'));
  const [, brokers] = await cli.line(/^(127\.0\.0\.1:\d+(?:,127\.0\.0\.1:\d+){2})$/);
  return {
    brokers,
    async leaderDown(partition) {
      cli.child.stdin.write('leaders\n');
      const [, leader] = await cli.line(new RegExp(`^leaders game: .*p${partition}→(\\d)`));
      cli.child.stdin.write(`down ${leader}\n`);
      const [, moved] = await cli.line(new RegExp(`^broker ${leader} down · leaders game: .*p${partition}→(\\d)`));
      return { leader, moved };
    },
    stop() {
      cli.child.stdin.end();
      return cli.stop();
    },
  };
}

// The pid of the Kafka node JVM that `cli` started whose server.properties says node.id=`id`
// (other test files run clusters of their own, with the same node ids, beside this one).
function kafkaNodePid(cli, id) {
  const node = kafkaNodeProcesses(cli.pid).find((n) => new RegExp(`^node\\.id=${id}$`, 'm').test(fs.readFileSync(n.properties, 'utf8')));
  if (!node) throw new Error(`no Kafka node ${id} running`);
  return node.pid;
}

async function kafkaDevCluster(t) {
  const cli = start([path.join(root, 'bin/kafka-native.js'), 'kafka', '--nodes', '3', '--topic', 'game:4:2'], 'kafka');
  t.after(() => cli.child.kill('SIGKILL'));
  const [, brokers] = await cli.line(/^(127\.0\.0\.1:\d+(?:,127\.0\.0\.1:\d+){2})$/, wide(180000)); // JVMs starting
  const nodes = brokers.split(',').map((b) => Number(b.split(':')[1]));
  // Who leads `partition` of game, asked of a node that is up.
  const leaderOf = async (partition, up) => (await metadata('127.0.0.1', up, ['game'])).leaders.game[partition];
  return {
    brokers,
    async leaderDown(partition) {
      const leader = await leaderOf(partition, nodes[0]);
      process.kill(kafkaNodePid(cli.child, leader), 'SIGKILL');
      const survivor = nodes.find((_, i) => i + 1 !== leader);
      let moved = leader;
      await waitFor('another leader for the game partition', async () => (moved = await leaderOf(partition, survivor)) !== leader, WIDE);
      return { leader: String(leader), moved: String(moved) };
    },
    stop: () => cli.stop(),
  };
}

test('two players on two game servers see each other move, through a broker going down', async (t) => {
  assert.ok(fs.existsSync(CHROMIUM), `the game test needs Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
  const { chromium } = require('playwright-core');
  fs.mkdirSync(SCREENSHOTS, { recursive: true });

  const cluster = ON_KAFKA ? await kafkaDevCluster(t) : await mockDevCluster(t);
  const { brokers } = cluster;

  const servers = ['east', 'west'].map((name) => start([path.join(root, 'examples/game/server.js'), '--brokers', brokers, '--port', '0', '--name', name], name));
  t.after(() => { for (const s of servers) s.child.kill('SIGKILL'); });
  const [east, west] = await Promise.all(servers.map(async (s) => (await s.line(/ on (http:\/\/127\.0\.0\.1:\d+) /))[1]));

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  const alice = await browser.newPage({ viewport: { width: 640, height: 560 } });
  const bob = await browser.newPage({ viewport: { width: 640, height: 560 } });
  await alice.goto(`${east}/?name=alice`);
  await bob.goto(`${west}/?name=bob`);
  const player = (page, name) => page.locator(`.player[data-name="${name}"]`);
  const position = async (page, name) => {
    const el = player(page, name);
    return { x: Number(await el.getAttribute('data-x')), y: Number(await el.getAttribute('data-y')) };
  };
  // Each page shows the other player: bob joined after alice and got her through fetchSockets
  // (a request that crossed Kafka), alice got bob's 'joined' through Kafka.
  await player(alice, 'bob').waitFor({ timeout: WIDE });
  await player(bob, 'alice').waitFor({ timeout: WIDE });
  assert.match(await alice.locator('#status').textContent(), /You are alice · 2 players · server east/);
  assert.match(await bob.locator('#status').textContent(), /You are bob · 2 players · server west/);

  // Waits until `page` shows player `name` at `at`.
  const shows = (page, name, at) => page.waitForFunction(([n, x, y]) => {
    const el = globalThis.document.querySelector(`.player[data-name="${n}"]`);
    return el && Number(el.dataset.x) === x && Number(el.dataset.y) === y;
  }, [name, at.x, at.y], { timeout: WIDE });
  // Moves `name` one step on its own page (away from the board's edge) and waits until both
  // pages show it there (its own through its server, the other's through Kafka).
  const move = async (page, name, watcher) => {
    const from = await position(page, name);
    const [key, to] = from.x < 8 ? ['ArrowRight', { x: from.x + 1, y: from.y }] : ['ArrowLeft', { x: from.x - 1, y: from.y }];
    await page.keyboard.press(key);
    await Promise.all([shows(page, name, to), shows(watcher, name, to)]);
  };
  await move(alice, 'alice', bob);
  await move(bob, 'bob', alice);
  await alice.screenshot({ path: path.join(SCREENSHOTS, '1-alice-on-east.png') });
  await bob.screenshot({ path: path.join(SCREENSHOTS, '1-bob-on-west.png') });

  // The game's traffic is keyed by namespace, '/': find its partition, and take its leader down.
  const producer = new kafka.Producer({ broker: brokers, queue_buffering_max_ms: 0, logger: quietLogger() });
  const [{ partition }] = await producer.deliver('game', -1, [{ key: '/', payload: 'where does / go?' }]);
  await producer.stop();
  const { leader, moved } = await cluster.leaderDown(partition);
  assert.notEqual(moved, leader, 'another replica leads the game partition');

  // Play goes on, both ways, several moves each.
  for (let i = 0; i < 3; i++) {
    await move(alice, 'alice', bob);
    await move(bob, 'bob', alice);
  }
  await alice.screenshot({ path: path.join(SCREENSHOTS, '2-alice-after-broker-down.png') });
  await bob.screenshot({ path: path.join(SCREENSHOTS, '2-bob-after-broker-down.png') });
  for (const f of fs.readdirSync(SCREENSHOTS)) assert.ok(fs.statSync(path.join(SCREENSHOTS, f)).size > 1000, `${f} is an image`);

  // The game's traffic is plain Kafka: kcat (the README's command) reads it from partition 0.
  const kcat = spawnSync('kcat', ['-C', '-b', brokers, '-t', 'game', '-p', String(partition), '-e', '-q'], { encoding: 'latin1', timeout: WIDE });
  if (kcat.error?.code === 'ENOENT') throw new Error('kcat is not installed (apt-get install kcat)');
  assert.equal(kcat.status, 0, kcat.stderr);
  assert.match(kcat.stdout, /moved/, 'kcat shows the moves');
  assert.equal(partition, 0, 'the README tells kcat to read partition 0');

  // A player leaving shows on the other server.
  await bob.close();
  await player(alice, 'bob').waitFor({ state: 'detached', timeout: WIDE });
  await browser.close();
  assert.deepEqual(await Promise.all(servers.map((s) => s.stop())), [0, 0]);
  assert.equal(await cluster.stop(), 0);
});
