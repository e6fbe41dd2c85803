'use strict';
// Exactly-once read-process-write (examples/exactly-once.js): transactions, a group consumer's
// offsets sent with them, read_committed. The kill -9 test proves on Apache Kafka only: the
// MockCluster keeps no transaction state in its logs (read_committed reads aborted messages
// there) and fences no older producer.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const { wide, kafka, testCluster, waitFor, quietLogger, silentBroker } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
const onKafka = process.env.KAFKA_TEST_BROKER === 'kafka';
const WIDE = wide(60000);
let topics = 0;

async function newTopic(partitions) {
  const topic = `eos-${process.pid}-${++topics}`;
  await cluster.createTopic(topic, partitions);
  return topic;
}

// Reads `topic` from the beginning at `isolation_level` until `ends` messages 'END' arrived
// (one written last to each partition); resolves with the other payloads, in order of arrival.
// (Lag cannot say "read to the end" here: a transaction's commit marker takes an offset that no
// message fills, so waiting_kafka stays at 1 per partition.)
async function readAll(topic, isolation_level, ends = 1) {
  const payloads = [];
  let ended = 0;
  const reader = new kafka.Consumer({
    broker,
    topic,
    offset_directory: null,
    isolation_level,
    fetch_wait_max_ms: 100,
    logger: quietLogger(),
    receive_callback: async ({ messages }) => {
      for (const m of messages) {
        if (m.payload === 'END') ended++;
        else payloads.push(m.payload);
      }
    },
  });
  await reader.start();
  await waitFor(`${topic} read to its end (${ends} END)`, () => ended >= ends, WIDE);
  await reader.stop();
  return payloads;
}

// Writes 'END' to each of `partitions` partitions of `topic` (not in a transaction).
async function writeEnds(topic, partitions) {
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  for (let p = 0; p < partitions; p++) producer.send(topic, p, ['END']);
  await producer.stop();
}

test('transactions in Node: a read_committed reader sees committed sends only, with their group offsets committed too', async () => {
  const input = await newTopic(1);
  const output = await newTopic(1);
  const group = `eos-offsets-${process.pid}`;
  const seed = new kafka.Producer({ broker, logger: quietLogger() });
  seed.send(input, 0, Array.from({ length: 30 }, (_, i) => `in-${i}`));
  await seed.stop();

  const producer = new kafka.Producer({ broker, transactional_id: `eos-node-${process.pid}`, queue_buffering_max_ms: 0, logger: quietLogger() });
  await producer.initTransactions();
  assert.throws(() => producer.beginTransaction() || producer.beginTransaction(), (err) => err.code === '_STATE', 'a second begin without commit is refused');
  await producer.abortTransaction();

  let seen = 0;
  const consumer = new kafka.Consumer({
    broker,
    topic: input,
    group_id: group,
    auto_commit: false,
    max_messages_per_callback: 10,
    logger: quietLogger(),
    receive_callback: async ({ messages }) => {
      producer.beginTransaction();
      producer.send(output, 0, messages.map((m) => m.payload.toUpperCase()));
      assert.deepEqual(consumer.nextOffsets(), [{ topic: input, partition: 0, offset: messages.at(-1).offset + 1 }]);
      await producer.sendOffsetsToTransaction(consumer);
      await producer.commitTransaction();
      seen += messages.length;
    },
  });
  await consumer.start();
  await waitFor('30 inputs processed', () => seen === 30, WIDE);
  assert.equal(consumer.nextOffsets(), null, 'no batch in hand between batches');
  await consumer.stop();

  // A transaction aborted after its sends reached the log: read_committed skips them.
  producer.beginTransaction();
  await producer.deliver(output, 0, ['ABORTED']);
  await producer.abortTransaction();
  producer.beginTransaction();
  producer.send(output, 0, ['LAST']);
  await producer.commitTransaction();
  await producer.stop();
  await writeEnds(output, 1);

  const committed = await readAll(output, 'read_committed');
  const expected = [...Array.from({ length: 30 }, (_, i) => `IN-${i}`), 'LAST'];
  if (onKafka) assert.deepEqual(committed, expected);
  else assert.deepEqual(committed.filter((p) => p !== 'ABORTED'), expected); // the MockCluster reads aborted messages
  if (onKafka) assert.deepEqual(await readAll(output, 'read_uncommitted'), [...expected.slice(0, 30), 'ABORTED', 'LAST']);

  // The group's offsets went with the transactions (and only with them: the consumer has
  // auto_commit off): a new member starts after input 29. The MockCluster answers
  // TxnOffsetCommit without storing anything, so this is proven on Apache Kafka.
  if (!onKafka) return;
  const more = new kafka.Producer({ broker, logger: quietLogger() });
  more.send(input, 0, ['in-30']);
  await more.stop();
  const after = [];
  const next = new kafka.Consumer({ broker, topic: input, group_id: group, logger: quietLogger(), receive_callback: async ({ messages }) => { after.push(...messages.map((m) => m.payload)); } });
  await next.start();
  await waitFor('the message after the committed offsets', () => after.length > 0, WIDE);
  await next.stop();
  assert.deepEqual(after, ['in-30']);
});

test('a consumer that commits its own batches is refused for transactions, naming auto_commit', async (t) => {
  const input = await newTopic(1);
  const group = `eos-auto-${process.pid}`;
  const seed = new kafka.Producer({ broker, logger: quietLogger() });
  seed.send(input, 0, ['in']);
  await seed.stop();
  const producer = new kafka.Producer({ broker, transactional_id: `eos-auto-${process.pid}`, logger: quietLogger() });
  await producer.initTransactions();
  t.after(() => producer.stop());
  let refused;
  const consumer = new kafka.Consumer({
    broker,
    topic: input,
    group_id: group,
    logger: quietLogger(),
    receive_callback: async () => {
      producer.beginTransaction();
      refused = await producer.sendOffsetsToTransaction(consumer).then(() => null, (err) => err);
      await producer.abortTransaction();
    },
  });
  await consumer.start();
  t.after(() => consumer.stop());
  await waitFor('the batch', () => refused !== undefined, WIDE);
  assert.equal(refused?.code, '_INVALID_ARG');
  assert.match(refused.message, /auto_commit must be false for a consumer whose offsets go into transactions/);
});

test('transaction calls check their arguments and say which', async () => {
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  await assert.rejects(producer.sendOffsetsToTransaction({}), /sendOffsetsToTransaction\(\) argument consumer/);
  await assert.rejects(producer.commitTransaction({ timeout: -1 }), /commitTransaction\(\) option timeout/);
  assert.throws(() => producer.beginTransaction(), (err) => err.code === '_NOT_CONFIGURED');
  assert.throws(() => new kafka.Producer({ broker, transactional_id: 't', enable_idempotence: false }), /enable_idempotence must be true/);
  assert.throws(() => new kafka.Producer({ broker, enable_idempotence: 'yes' }), /option enable_idempotence/);
  assert.throws(() => new kafka.Consumer({ broker, topic: 't', isolation_level: 'dirty', receive_callback: async () => {} }), /isolation_level must be "read_committed" or "read_uncommitted"/);
  await producer.stop();
});

// Apache Kafka may answer a transaction's offsets with INVALID_PRODUCER_EPOCH after a broker
// restart although its coordinator took the epoch a moment before (a 60-minute soak lost its
// read-process-write service so, at a restart). That is abortable: the abort asks the
// coordinator for a new epoch and the producer goes on (librdkafka patch 0018; before it, the
// producer was fenced for good). The error is injected, on a MockCluster of the test's own.
test('a stale epoch answering sendOffsetsToTransaction is abortable: the abort takes a new epoch and the next transaction commits; a fenced producer is refused it', { skip: onKafka && 'fault injection, on a MockCluster of its own' }, async () => {
  const mock = new kafka.MockCluster(1);
  mock.setGroupInitialRebalanceDelay(0);
  mock.createTopic('eos-epoch-in', 1, 1);
  mock.createTopic('eos-epoch-out', 1, 1);
  const seed = new kafka.Producer({ broker: mock.bootstrapServers, logger: quietLogger() });
  seed.send('eos-epoch-in', 0, ['a', 'b', 'c']);
  await seed.stop();
  const producer = new kafka.Producer({ broker: mock.bootstrapServers, transactional_id: `eos-epoch-${process.pid}`, logger: quietLogger() });
  await producer.initTransactions();
  let outcome;
  const consumer = new kafka.Consumer({
    broker: mock.bootstrapServers,
    topic: 'eos-epoch-in',
    group_id: `eos-epoch-${process.pid}`,
    auto_commit: false,
    logger: quietLogger(),
    receive_callback: async ({ messages }) => {
      if (outcome) return;
      producer.beginTransaction();
      producer.send('eos-epoch-out', 0, messages.map((m) => m.payload.toUpperCase()));
      mock.pushRequestErrors(28, ['INVALID_PRODUCER_EPOCH']); // TxnOffsetCommit
      const failed = await producer.sendOffsetsToTransaction(consumer).then(() => null, (err) => err);
      try {
        await producer.abortTransaction();
        // The same batch again, in a new transaction.
        producer.beginTransaction();
        producer.send('eos-epoch-out', 0, messages.map((m) => m.payload.toUpperCase()));
        await producer.sendOffsetsToTransaction(consumer);
        await producer.commitTransaction();
        // A producer that a newer one with its id really fenced is refused the new epoch
        // (PRODUCER_FENCED, injected here): then it is fenced for good, as before.
        producer.beginTransaction();
        mock.pushRequestErrors(28, ['INVALID_PRODUCER_EPOCH']);
        mock.pushRequestErrors(22, ['PRODUCER_FENCED']); // InitProducerId
        await producer.sendOffsetsToTransaction(consumer).catch(() => {});
        const zombie = await producer.abortTransaction().then(() => null, (err) => err);
        outcome = { failed, then: 'committed', zombie };
      } catch (err) {
        outcome = { failed, then: String(err) };
      }
    },
  });
  await consumer.start();
  await waitFor('the batch processed', () => outcome, WIDE);
  await consumer.stop();
  const { failed, then, zombie } = outcome;
  assert.equal(failed?.code, 'INVALID_PRODUCER_EPOCH', String(failed));
  assert.deepEqual({ abortable: failed.abortable, fatal: failed.fatal, then }, { abortable: true, fatal: false, then: 'committed' });
  assert.deepEqual({ code: zombie?.code, fatal: zombie?.fatal }, { code: '_FENCED', fatal: true }, String(zombie));
  assert.equal(producer.fatalError()?.code, '_FENCED');
  // The aborted transaction's sends were purged, or written and aborted, as the timing fell:
  // stop() may report the purged ones.
  await producer.stop().catch(() => {});
});

// A broker that never answers keeps initTransactions() waiting (its default timeout is 60 s):
// stop() ends it at once with a stopped error, and the process is not held for the rest.
test('stop() while initTransactions() waits: it rejects at once as STOPPED, not _TIMED_OUT a minute later', async (t) => {
  const { broker: silent, connected } = await silentBroker(t);
  const producer = new kafka.Producer({ broker: silent, transactional_id: `eos-stop-${process.pid}`, logger: quietLogger() });
  const init = producer.initTransactions().then(() => null, (err) => err);
  await connected;
  const stopping = Date.now();
  await producer.stop({ timeout: 1000 }).catch(() => {});
  const err = await init;
  assert.equal(err?.code, 'STOPPED', String(err));
  assert.ok(Date.now() - stopping < WIDE / 2, `initTransactions() settled ${Date.now() - stopping} ms after stop()`);
});

// The example as a child process whose stdout lines are kept.
function service(env) {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'examples', 'exactly-once.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  readline.createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
  child.stderr.on('data', () => {}); // a fenced zombie says so; not this test's business
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, lines, exited };
}

test('kill -9 the read-process-write process 10 times while input flows: the output holds every input exactly once', { skip: !onKafka && 'the MockCluster keeps no transaction state (read_committed reads aborted messages)' }, async (t) => {
  const input = await newTopic(2);
  const output = await newTopic(2);
  const env = { BROKER: broker, INPUT: input, OUTPUT: output, GROUP: `eos-kill-${process.pid}`, TRANSACTIONAL_ID: `eos-kill-${process.pid}` };
  const feeder = new kafka.Producer({ broker, queue_buffering_max_ms: 5, logger: quietLogger() });
  let sent = 0;
  const feed = (n) => {
    for (let i = 0; i < n; i++, sent++) feeder.send(input, sent % 2, [`in-${sent}`]);
  };
  // Every distinct output committed so far, to know when the last instance is done.
  const distinct = new Set();
  const watcher = new kafka.Consumer({
    broker, topic: output, offset_directory: null, fetch_wait_max_ms: 100, logger: quietLogger(),
    receive_callback: async ({ messages }) => { for (const m of messages) distinct.add(m.payload); },
  });
  await watcher.start();
  let running;
  t.after(() => running?.child.kill('SIGKILL'));
  // Input flows all along (5 messages every 10 ms), so that kills land in the middle of work.
  const flow = setInterval(() => feed(5), 10);
  t.after(() => clearInterval(flow));
  for (let kill = 0; kill < 10; kill++) {
    running = service(env);
    await waitFor('the service to start reading', () => running.lines.some((l) => l.startsWith('exactly-once: reading')), WIDE);
    // Killed at a random point of its work: before, during or after a batch's transaction.
    // (The delay picks the point; no outcome waits on it.)
    await new Promise((r) => setTimeout(r, 200 + Math.floor(Math.random() * 1300)));
    running.child.kill('SIGKILL');
    await running.exited;
  }
  clearInterval(flow);
  running = service(env);
  feed(100);
  await feeder.stop();
  // The last instance runs until every input has an output (it re-reads what the killed ones
  // left uncommitted), then stops cleanly.
  await waitFor('every input processed', () => distinct.size >= sent, WIDE * 3);
  await watcher.stop();
  running.child.kill('SIGTERM');
  await running.exited;
  await writeEnds(output, 2);
  const outputs = await readAll(output, 'read_committed', 2);
  const counts = new Map();
  for (const p of outputs) counts.set(p, (counts.get(p) ?? 0) + 1);
  const missing = Array.from({ length: sent }, (_, i) => `IN-${i}`).filter((p) => !counts.has(p));
  const twice = [...counts].filter(([, n]) => n > 1).map(([p]) => p);
  assert.deepEqual({ missing, twice, total: outputs.length }, { missing: [], twice: [], total: sent });
});
