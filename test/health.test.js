'use strict';
// health(): what a client says about itself without asking the network (its brokers, its
// partitions' lag and progress, its fatal error), and the log lines that go with it: one when a
// partition stops progressing, one when it moves again. A broker going down and coming back, and
// a frozen one, are proven on a node of their own (test/kafka/regain.test.js).
const test = require('node:test');
const assert = require('node:assert/strict');
const { wide, kafka, testCluster, waitFor, quietLogger } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
const WIDE = wide(60000);

// A logger that keeps what it is told, by method.
function keptLogger() {
  const lines = { error: [], warn: [], info: [], debug: [] };
  const logger = Object.fromEntries(Object.keys(lines).map((level) => [level, (m) => lines[level].push(String(m))]));
  return { logger, lines };
}

test('a consumer whose receive_callback never settles is stuck after stuck_after_ms: health() and one warning say so, and it is told when it moves on', async () => {
  const topic = `health-stuck-${process.pid}`;
  await cluster.createTopic(topic, 1);
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  await producer.deliver(topic, 0, ['first']);
  const { logger, lines } = keptLogger();
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let batches = 0;
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: null, logger,
    statistics_interval_ms: 200,
    stuck_after_ms: 1000,
    receive_callback: async () => {
      if (++batches === 1) await held; // the first batch hangs until released
    },
  });
  try {
    await consumer.start();
    await waitFor('the first batch', () => batches === 1, WIDE);
    await producer.deliver(topic, 0, ['second', 'third']);
    // The warning reaches the logger through the event loop, after health() can see the state
    // the same statistics made: both are waited for.
    const saidStuck = () => lines.warn.some((w) => w.includes(`consumer stuck on ${topic}/0`));
    await waitFor('health() to call the partition stuck, and the warning', () => consumer.health().partitions[0]?.stuck && saidStuck(), WIDE);
    const health = consumer.health();
    assert.equal(health.status, 'degraded');
    assert.deepEqual(health.reasons, [`stuck on ${topic}/0: 2 message(s) to read`]);
    assert.equal(health.partitions[0].lag, 2);
    assert.ok(health.partitions[0].stalled_since instanceof Date);
    assert.equal(health.brokers.length > 0 && health.brokers.every((b) => b.connection === 'UP' && !b.down), true, JSON.stringify(health.brokers));
    assert.equal(health.fatal_error, null);
    assert.ok(health.updated instanceof Date);
    const stuck = lines.warn.filter((w) => w.includes(`consumer stuck on ${topic}/0`));
    assert.equal(stuck.length, 1, lines.warn.join('\n'));
    assert.match(stuck[0], /2 message\(s\) to read and none handed over for/);

    release();
    await waitFor('the rest read', () => batches >= 2, WIDE);
    const saidMoving = () => lines.info.some((m) => m.includes(`consumer moves on ${topic}/0 again`));
    await waitFor('health() to be ok again, and the line saying so', () => consumer.health().status === 'ok' && saidMoving(), WIDE);
    assert.equal(lines.info.filter((m) => m.includes(`consumer moves on ${topic}/0 again`)).length, 1, lines.info.join('\n'));
    assert.equal(lines.warn.filter((w) => w.includes('consumer stuck')).length, 1, 'said once');
  } finally {
    release();
    await consumer.stop();
    await producer.stop();
  }
  assert.equal(consumer.health().status, 'stopped');
});

test('a group consumer\'s health() has its group; a producer\'s has its brokers and no partitions', async () => {
  const topic = `health-group-${process.pid}`;
  await cluster.createTopic(topic, 2);
  const producer = new kafka.Producer({ broker, statistics_interval_ms: 200, logger: quietLogger() });
  await producer.deliver(topic, 0, ['x']);
  const consumer = new kafka.Consumer({
    broker, topic, group_id: `health-${process.pid}`, statistics_interval_ms: 200, logger: quietLogger(),
    receive_callback: async () => {},
  });
  assert.deepEqual(consumer.health().reasons, ['not started']);
  try {
    await consumer.start();
    await waitFor('the group in health()', () => consumer.health().group?.assigned === 2, WIDE);
    const { group, partitions } = consumer.health();
    assert.equal(group.state, 'up');
    assert.ok(group.rebalances >= 1);
    assert.deepEqual(partitions.map((p) => p.partition).sort(), [0, 1]);
    await waitFor('the producer\'s broker in health()', () => producer.health().brokers.some((b) => b.connection === 'UP'), WIDE);
    const health = producer.health();
    assert.equal(health.status, 'ok');
    assert.equal('partitions' in health, false);
  } finally {
    await consumer.stop();
    await producer.stop();
  }
  assert.deepEqual(producer.health().reasons, ['stopped']);
});

test('a client that has reached no broker is degraded, with the reason', async () => {
  const producer = new kafka.Producer({ broker: '127.0.0.1:1', logger: quietLogger() });
  try {
    await waitFor('the connection error in health()', () => producer.health().status === 'degraded', WIDE);
    assert.match(producer.health().reasons[0], /^no broker reached yet: 127\.0\.0\.1:1\/bootstrap: Connect to .* failed: Connection refused/);
  } finally {
    await producer.stop({ timeout: 1000 }).catch(() => {});
  }
});

test('stuck_after_ms is checked', () => {
  assert.throws(() => new kafka.Consumer({ broker, topic: 't', stuck_after_ms: -1, receive_callback: async () => {} }), /option stuck_after_ms must be an integer from 0 to/);
});

// examples/health-probes.js as a user runs it: its probes answer 200 once statistics came in.
test('examples/health-probes.js answers /readyz and /livez from health()', async (t) => {
  const { spawn } = require('node:child_process');
  const path = require('node:path');
  const readline = require('node:readline');
  const topic = `health-probes-${process.pid}`;
  await cluster.createTopic(topic, 2);
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'examples', 'health-probes.js')], {
    env: { ...process.env, BROKER: broker, TOPIC: topic, GROUP: topic, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let url;
  readline.createInterface({ input: child.stdout }).on('line', (l) => { url ??= /listening on (http:\S+)/.exec(l)?.[1]; });
  await waitFor('the probes to listen', () => url, WIDE);
  const get = async (p) => { const res = await fetch(url + p); return { code: res.status, body: await res.json() }; };
  let ready;
  await waitFor('/readyz to answer 200', async () => (ready = await get('/readyz')).code === 200, WIDE);
  assert.deepEqual(Object.keys(ready.body).sort(), ['consumer', 'producer']);
  assert.equal(ready.body.consumer.status, 'ok');
  assert.equal(ready.body.consumer.group.assigned, 2);
  const live = await get('/livez');
  assert.equal(live.code, 200);
  assert.equal((await fetch(`${url}/other`)).status, 404);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
