'use strict';
// A broker dies under load, on a 3-node Apache Kafka cluster of this file's own: a topic with
// replication factor 3 and min.insync.replicas=2, an idempotent producer (acks all) and a group
// consumer running while one node is killed with SIGKILL and later restarted. Every message is
// consumed, the topic holds each exactly once (no retry wrote one twice), and the restarted node
// rejoins the cluster; a share group reading a second topic through the same kill gets every
// record. Then a rolling restart of every node (a controlled shutdown each, one after another)
// under a producer, a group consumer and the exactly-once service of examples/exactly-once.js.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { startKafka } = require('../../js/dev-cluster/cluster.js');
const { wide, kafka, waitFor, quietLogger } = require('../helpers');

const WIDE = wide(180000); // failover waits for the controller to fence the dead node (about 9 s)
const COUNT = 20000;
const BATCH = 250;
let cluster;

test.before(async () => { cluster = await startKafka({ nodes: 3 }); });
test.after(() => cluster?.stop());

const payload = (i) => `m${String(i).padStart(5, '0')}`;

// The clients a test makes: each with a logger of its own, stopped when the test ends however it
// ends (a failure must not leave them keeping this file's process alive), and their last
// warnings and errors shown when it fails, to say what the cluster did meanwhile.
function clientsOf(t) {
  const made = [];
  const outputs = [];
  t.after(() => Promise.all(made.map(({ client }) => client.stop().catch(() => {}))));
  return {
    make(name, Client, options) {
      const logger = quietLogger();
      const client = new Client({ ...options, logger });
      made.push({ name, client, logger });
      return client;
    },
    // A process's output (its last lines), shown too when the test fails.
    output(name, read) {
      outputs.push({ name, read });
    },
    async run(body) {
      try {
        return await body();
      } catch (err) {
        for (const { name, logger } of made) {
          const said = logger.lines.filter((l) => l.level === 'warn' || l.level === 'error').slice(-15);
          for (const { level, line } of said) t.diagnostic(`${name} ${level}: ${line}`);
        }
        for (const { name, read } of outputs) t.diagnostic(`${name} printed:\n${read()}`);
        throw err;
      }
    },
  };
}

// Where each payload of `topic` is (`partition@offset`, once per copy), read from the beginning
// without a group (read_committed: what aborted or open transactions wrote is not read), until
// `count` payloads are read; the batches' repeats (records handed over again) are counted too.
async function readAll(clients, topic, count) {
  const at = new Map();
  let read = 0;
  let repeats = 0;
  const consumer = clients.make(`reader of ${topic}`, kafka.Consumer, {
    broker: cluster.bootstrapServers, topic, offset_directory: null, start_offset: 'earliest', isolation_level: 'read_committed',
    receive_callback: ({ messages, repeats: again }) => {
      repeats += again;
      for (const m of messages) at.set(m.payload, [...(at.get(m.payload) ?? []), `${m.partition}@${m.offset}`]);
      read += messages.length;
      return Promise.resolve();
    },
  });
  await consumer.start();
  await waitFor(() => `${count} messages read back (${at.size} read, ${read} with copies)`, () => at.size >= count, WIDE);
  await consumer.stop();
  return { at, repeats };
}

// The payloads read more than once, with where each copy is.
const twice = (at) => [...at].filter(([, where]) => where.length > 1).map(([p, where]) => `${p} at ${where.join(', ')}`);

// One kill -9 proves both consumers: the group consumer and a share group each read a topic of
// their own, written by the same idempotent producer while the same node is killed and restarted.
test('kill -9 of a broker while an idempotent producer, a group consumer and a share group run: nothing lost, nothing written twice, every record reaches a share member, and it rejoins', async (t) => {
  const clients = clientsOf(t);
  await clients.run(async () => {
    const topic = `failover-${process.pid}`;
    const shareTopic = `share-failover-${process.pid}`;
    const shareGroup = `${shareTopic}-group`;
    const admin = new kafka.Admin({ broker: cluster.bootstrapServers, logger: quietLogger() });
    await admin.createTopics([topic, shareTopic].map((name) => ({ topic: name, partitions: 4, replication_factor: 3, config: { 'min.insync.replicas': 2 } })));
    await admin.setConfigs([{ kind: 'group', name: shareGroup, config: { 'share.auto.offset.reset': 'earliest' } }]);
    await admin.stop();

    const consumed = new Set();
    const consumer = clients.make('group consumer', kafka.Consumer, {
      broker: cluster.bootstrapServers, topic, group_id: `failover-${process.pid}`, start_offset: 'earliest',
      driver_options: { 'session.timeout.ms': 10000, 'heartbeat.interval.ms': 1000 },
      receive_callback: ({ messages }) => { for (const m of messages) consumed.add(m.payload); return Promise.resolve(); },
  });
  const shared = new Map(); // payload -> times handed to a share member
  const refused = new Map(); // the acknowledgements' errors: code -> records
  const members = [0, 1, 2].map((i) => clients.make(`share member ${i}`, kafka.ShareConsumer, {
    broker: cluster.bootstrapServers, group_id: shareGroup, topic: shareTopic,
    acknowledgement_commit_callback: ({ offsets, error }) => { if (error) refused.set(error.code, (refused.get(error.code) ?? 0) + offsets.length); },
    receive_callback: async ({ messages }) => { for (const m of messages) shared.set(m.payload, (shared.get(m.payload) ?? 0) + 1); },
  }));
  await Promise.all([consumer.start(), ...members.map((m) => m.start())]);

  const producer = clients.make('producer', kafka.Producer, {
    broker: cluster.bootstrapServers, queue_buffering_max_ms: 5,
    driver_options: { 'enable.idempotence': 'true', acks: 'all', 'message.timeout.ms': 120000 },
  });
  const victim = 2;
  for (let at = 0; at < COUNT; at += BATCH) {
    if (at === COUNT / 4) await cluster.kill(victim);
    if (at === (3 * COUNT) / 4) await cluster.restart(victim); // resolves once it is back in the metadata
    const batch = Array.from({ length: BATCH }, (_, i) => payload(at + i));
    // Keyless records spread over the partitions, a deliver() per partition and topic.
    await Promise.all([topic, shareTopic].flatMap((to) => [0, 1, 2, 3].map((p) => producer.deliver(to, p, batch.filter((_, i) => i % 4 === p)))));
  }
  await producer.stop();

  await waitFor('every message consumed by the group', () => consumed.size === COUNT, WIDE);
  await waitFor(() => `every record handed to a share member (${shared.size} of ${COUNT})`, () => shared.size === COUNT, WIDE);
  await Promise.all([consumer.stop(), ...members.map((m) => m.stop())]);
  const stats = members.map((m) => m.stats());
  t.diagnostic(`share group through the kill: ${[...shared.values()].filter((n) => n > 1).length} of ${COUNT} records handed more than once; acknowledgements failed ${stats.map((s) => s.failed)}, by error ${JSON.stringify(Object.fromEntries(refused))}; locks expired ${stats.map((s) => s.expired)}`);
  for (let i = 0; i < COUNT; i++) assert.ok(consumed.has(payload(i)), `${payload(i)} was never consumed`);
  const missing = Array.from({ length: COUNT }, (_, i) => payload(i)).filter((p) => !shared.has(p));
  assert.deepEqual(missing, [], 'never handed to a share member');

  const written = await readAll(clients, topic, COUNT);
  assert.deepEqual(twice(written.at).slice(0, 10), [], `written more than once (${written.repeats} read again)`);
  assert.equal(written.at.size, COUNT);

  // The restarted node serves again: a request to it alone is answered.
  const alone = clients.make('producer to the restarted node', kafka.Producer, { broker: cluster.listeners.PLAINTEXT.split(',')[victim - 1] });
  assert.equal(await alone.partition_count(topic), 4);
  await alone.stop();
  });
});

test('a rolling restart of every node under a producer, a group consumer and an exactly-once service: nothing lost, the output exact', async (t) => {
  const clients = clientsOf(t);
  await clients.run(async () => {
    const input = `rolling-${process.pid}`;
    const output = `${input}-upper`;
    const admin = new kafka.Admin({ broker: cluster.bootstrapServers, logger: quietLogger() });
    await admin.createTopics([input, output].map((topic) => ({ topic, partitions: 4, replication_factor: 3, config: { 'min.insync.replicas': 2 } })));
    await admin.stop();

    // The read-process-write service, as a user runs it (examples/exactly-once.js): each input
    // upper-cased into `output`, the output and the group's offsets in one transaction.
    const service = spawn(process.execPath, [path.join(__dirname, '..', '..', 'examples', 'exactly-once.js')], {
      env: { ...process.env, BROKER: cluster.bootstrapServers, INPUT: input, OUTPUT: output, GROUP: `${input}-eos` }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let serviceOut = '';
    service.stdout.on('data', (c) => { serviceOut = (serviceOut + c).slice(-4000); });
    service.stderr.on('data', (c) => { serviceOut = (serviceOut + c).slice(-4000); });
    clients.output('the exactly-once service', () => serviceOut);
    try {
      await waitFor('the service to read', () => /exactly-once: reading/.test(serviceOut) || service.exitCode !== null, WIDE);
      assert.equal(service.exitCode, null, serviceOut);

      // The group consumer, and when it last made progress: the longest pause is reported.
      const consumed = new Set();
      let lastProgress = Date.now();
      let longestPause = 0;
      const consumer = clients.make('group consumer', kafka.Consumer, {
        broker: cluster.bootstrapServers, topic: input, group_id: `${input}-group`, start_offset: 'earliest',
        driver_options: { 'session.timeout.ms': 10000, 'heartbeat.interval.ms': 1000 },
        receive_callback: ({ messages }) => {
          const now = Date.now();
          longestPause = Math.max(longestPause, now - lastProgress);
          lastProgress = now;
          for (const m of messages) consumed.add(m.payload);
          return Promise.resolve();
        },
      });
      await consumer.start();

      // The producer sends 40 messages every 20 ms, each deliver() awaited in the background, while
      // the nodes restart one after another (a controlled shutdown, then a start on the same ports
      // and data, the next once it is back in the cluster).
      const producer = clients.make('producer', kafka.Producer, {
        broker: cluster.bootstrapServers, queue_buffering_max_ms: 5,
        driver_options: { 'enable.idempotence': 'true', acks: 'all', 'message.timeout.ms': 120000 },
      });
      let sent = 0;
      const deliveries = [];
      let producing = true;
      const produceLoop = (async () => {
        while (producing) {
          const batch = Array.from({ length: 40 }, (_, i) => payload(sent + i));
          sent += batch.length;
          deliveries.push(producer.deliver(input, -1, batch));
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await waitFor('the consumer to read', () => consumed.size > 0, WIDE);
      const restarts = [];
      for (const id of cluster.nodeIds) {
        const began = Date.now();
        await cluster.restart(id, { graceful: true });
        restarts.push(Date.now() - began);
      }
      producing = false;
      await produceLoop;
      await Promise.all(deliveries); // every message acked: none failed through the restarts
      await producer.stop();
      t.diagnostic(`restarts took ${restarts.join(', ')} ms; the group consumer's longest pause ${longestPause} ms`);

      await waitFor(() => `every message consumed by the group (${consumed.size} of ${sent})`, () => consumed.size === sent, WIDE);
      await consumer.stop();
      // No pause longer than the restarts allow: the consumer never waited out a session.
      assert.ok(longestPause < 60000, `the group consumer paused ${longestPause} ms`);

      const written = await readAll(clients, output, sent);
      const missing = Array.from({ length: sent }, (_, i) => payload(i).toUpperCase()).filter((p) => !written.at.has(p));
      assert.deepEqual(missing, [], 'the service never wrote some inputs');
      assert.equal(service.exitCode, null, `the service ended: ${serviceOut}`);
      // The input too: an input written twice is in the output twice, as the service must.
      // Under a rolling restart the idempotent producer's requests out behind a refused one are
      // answered out of order. librdkafka took a new epoch for that (in most runs), which can
      // write twice a record whose request was lost with its connection: 40 records were twice
      // in 2 of 13 runs of this step. Patch 0020 retries them in order instead.
      const read = await readAll(clients, input, sent);
      assert.deepEqual(twice(read.at).slice(0, 10), [], `the idempotent producer wrote some inputs twice (${read.repeats} read again)`);
      assert.deepEqual(twice(written.at).slice(0, 10), [], `the service wrote some inputs twice (${written.repeats} read again)`);
    } finally {
      // It shuts down as it would for a user (after its batch in hand); killed if that takes
      // longer than a wide margin, so that a failure here never leaves it keeping this file alive.
      if (service.exitCode === null && service.signalCode === null) {
        const exited = new Promise((resolve) => service.once('exit', resolve));
        service.kill('SIGTERM');
        let timer;
        await Promise.race([exited, new Promise((resolve) => { timer = setTimeout(resolve, 60000); })]);
        clearTimeout(timer);
        service.kill('SIGKILL');
      }
    }
  });
});
