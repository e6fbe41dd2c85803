'use strict';
// A Consumer read with for await: batches(), messages() and readable(), on the MockCluster (the
// hand-over is the client's own; the broker only serves the messages). Offset files and the
// group's committed offsets witness what was recorded.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { kafka, testCluster, tempDir, readOffset, produce, quietLogger } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
let serial = 0;
const uniqueTopic = (base) => `iter-${base}-${process.pid}-${serial++}`;

async function topicWith(base, partitions, perPartition) {
  const topic = uniqueTopic(base);
  await cluster.createTopic(topic, partitions, 1);
  for (let p = 0; p < partitions; p++) await produce(broker, topic, p, Array.from({ length: perPartition }, (_, i) => `p${p}-m${i}`));
  return topic;
}

const fileConsumer = (topic, dir, more = {}) => new kafka.Consumer({ broker, topic, offset_directory: dir, max_messages_per_callback: 10, logger: quietLogger(), ...more });
const offsetsOf = (batch) => batch.messages.map((m) => m.offset);

test('batches(): a batch is recorded once its loop body finished; break leaves the batch in hand to be read again', async () => {
  const topic = await topicWith('break', 1, 30);
  const dir = tempDir();
  const first = fileConsumer(topic, dir);
  const batches = [];
  for await (const batch of first.batches()) {
    batches.push(offsetsOf(batch));
    if (batch.messages.at(-1).offset === 29) break;
  }
  assert.deepEqual(batches.flat(), Array.from({ length: 30 }, (_, i) => i));
  assert.ok(batches.length >= 3, JSON.stringify(batches));
  const inHand = batches.at(-1);
  // break stopped the consumer, with every batch before the one in hand recorded.
  assert.equal(readOffset(dir, topic, 0), `${inHand[0] - 1}\n`);
  const again = fileConsumer(topic, dir);
  for await (const batch of again.batches()) {
    assert.equal(batch.messages[0].offset, inHand[0]);
    break;
  }
});

test('batches(): a throw leaves the loop with its error and records nothing of the batch in hand', async () => {
  const topic = await topicWith('throw', 1, 30);
  const dir = tempDir();
  const batches = [];
  const boom = new Error('handler failed');
  await assert.rejects(async () => {
    for await (const batch of fileConsumer(topic, dir).batches()) {
      batches.push(offsetsOf(batch));
      if (batch.messages.some((m) => m.offset === 29)) throw boom;
    }
  }, (err) => err === boom);
  assert.equal(readOffset(dir, topic, 0), `${batches.at(-1)[0] - 1}\n`);
});

test('batches({signal}): aborting while the loop waits ends it with an AbortError, every finished batch recorded, the consumer stopped', async () => {
  const topic = await topicWith('abort', 1, 30);
  const dir = tempDir();
  const controller = new AbortController();
  const consumer = fileConsumer(topic, dir);
  const seen = [];
  let abortedAt;
  await assert.rejects(async () => {
    for await (const batch of consumer.batches({ signal: controller.signal })) {
      seen.push(...offsetsOf(batch));
      // After the body finishes, next() waits for a batch that will not come: abort it then.
      if (seen.length === 30) setTimeout(() => { abortedAt = Date.now(); controller.abort(); }, 100);
    }
  }, (err) => err.name === 'AbortError');
  assert.ok(Date.now() - abortedAt < 10000, `took ${Date.now() - abortedAt} ms after the abort`);
  assert.equal(seen.length, 30);
  assert.equal(readOffset(dir, topic, 0), '29\n');
  // A signal aborted before the loop: it throws at once and reads nothing.
  const aborted = AbortSignal.abort();
  const unread = fileConsumer(topic, tempDir());
  await assert.rejects(async () => {
    for await (const batch of unread.batches({ signal: aborted })) assert.fail(`read ${offsetsOf(batch)}`);
  }, (err) => err.name === 'AbortError');
});

// return() while the start is still under way (the topic does not exist yet: it waits for it)
// stops the consumer, which cancels the start; the start's failure came after the loop was left
// and made the next next() reject. return() settles once that start has settled too.
test('batches(): next() after return() is done, even when the start return() cancelled fails', async () => {
  const consumer = new kafka.Consumer({ broker, topic: `missing-${process.pid}-${Date.now()}`, offset_directory: null, logger: quietLogger() });
  const iterator = consumer.batches();
  assert.deepEqual(await iterator.return(), { value: undefined, done: true });
  assert.deepEqual(await iterator.next(), { value: undefined, done: true });
});

test('messages(): message by message; leaving mid-batch records the batches before it', async () => {
  const topic = await topicWith('messages', 1, 12);
  const dir = tempDir();
  const seen = [];
  for await (const message of fileConsumer(topic, dir, { max_messages_per_callback: 5 }).messages()) {
    seen.push(message.offset);
    if (message.offset === 7) break;
  }
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7]);
  const recorded = Number(readOffset(dir, topic, 0));
  // The batch in hand held offset 7 (at most 5 to a batch): it and what followed were not recorded.
  assert.ok(recorded < 7 && recorded >= 2, `recorded ${recorded}`);
  const again = [];
  for await (const message of fileConsumer(topic, dir, { max_messages_per_callback: 5 }).messages()) {
    again.push(message.offset);
    if (message.offset === 11) break;
  }
  assert.equal(again[0], recorded + 1);
});

test('in a group: each finished batch is committed, the batch in hand when the loop is left is not', async () => {
  const topic = await topicWith('group', 2, 10);
  const group_id = `iter-group-${process.pid}`;
  const admin = new kafka.Admin({ broker, logger: quietLogger() });
  const consumer = new kafka.Consumer({ broker, topic, group_id, max_messages_per_callback: 4, logger: quietLogger() });
  const finished = [];
  let inHand;
  for await (const batch of consumer.batches()) {
    if (finished.length + batch.messages.length === 20) {
      inHand = batch.messages;
      break;
    }
    finished.push(...batch.messages);
  }
  const committed = new Map((await admin.groupOffsets(group_id)).map((o) => [o.partition, o.committed]));
  for (const m of finished) assert.ok(committed.get(m.partition) > m.offset, `offset ${m.offset} of partition ${m.partition} not committed: ${JSON.stringify([...committed])}`);
  for (const m of inHand) assert.ok(!(committed.get(m.partition) > m.offset), `offset ${m.offset} of partition ${m.partition} committed from the batch in hand`);
  await admin.stop();
});

test('with num_workers: each worker iterates its own partitions', async () => {
  const topic = await topicWith('workers', 2, 5);
  const dirs = [tempDir(), tempDir()];
  const read = await Promise.all([0, 1].map(async (slot) => {
    const got = [];
    const consumer = fileConsumer(topic, dirs[slot], { num_workers: 2, worker_slot: slot, max_messages_per_callback: 100 });
    const controller = new AbortController();
    await assert.rejects(async () => {
      for await (const batch of consumer.batches({ signal: controller.signal })) {
        got.push(...batch.messages.map((m) => `${m.partition}:${m.offset}`));
        if (got.length === 5) controller.abort();
      }
    }, (err) => err.name === 'AbortError');
    return got;
  }));
  assert.deepEqual(read, [0, 1].map((p) => Array.from({ length: 5 }, (_, i) => `${p}:${i}`)));
  assert.deepEqual([readOffset(dirs[0], topic, 0), readOffset(dirs[1], topic, 1)], ['4\n', '4\n']);
});

test('readable(): a ReadableStream of batches; pipeTo a WritableStream; cancel stops the consumer', async () => {
  const topic = await topicWith('stream', 1, 30);
  const dir = tempDir();
  const stream = fileConsumer(topic, dir).readable();
  const reader = stream.getReader();
  const { value: firstBatch } = await reader.read();
  const { value: secondBatch } = await reader.read();
  await reader.cancel();
  // The first was taken before the second was asked for; the second was in hand at the cancel.
  assert.equal(readOffset(dir, topic, 0), `${firstBatch.messages.at(-1).offset}\n`);
  assert.equal(secondBatch.messages[0].offset, firstBatch.messages.at(-1).offset + 1);

  const written = [];
  const controller = new AbortController();
  const piped = fileConsumer(topic, dir).readable({ signal: controller.signal }).pipeTo(new WritableStream({
    write(batch) {
      written.push(...offsetsOf(batch));
      if (written.at(-1) === 29) setTimeout(() => controller.abort(), 100);
    },
  }));
  await assert.rejects(piped, (err) => err.name === 'AbortError');
  assert.deepEqual(written, Array.from({ length: 30 - secondBatch.messages[0].offset }, (_, i) => secondBatch.messages[0].offset + i));
  assert.equal(readOffset(dir, topic, 0), '29\n');
});

test('a Consumer with receive_callback is read by it; a Consumer has one reader', async () => {
  const topic = uniqueTopic('readers');
  const withCallback = new kafka.Consumer({ broker, topic, offset_directory: null, logger: quietLogger(), receive_callback: () => Promise.resolve() });
  assert.throws(() => withCallback.batches(), /read by its receive_callback/);
  const plain = new kafka.Consumer({ broker, topic, offset_directory: null, logger: quietLogger() });
  assert.throws(() => plain.batches({ signal: 'stop' }), /option signal must be an AbortSignal/);
  assert.throws(() => plain.messages({ singal: AbortSignal.timeout(10) }), /unknown option singal/);
  const iterator = plain.batches();
  assert.throws(() => plain.readable(), /already being read/);
  await iterator.return();
});

test('leaving the loop, or a start that fails, leaves nothing running: the process exits by itself', () => {
  // No stop() anywhere: a consumer left running would keep the process alive past the timeout.
  const script = `
    const kafka = require('./js/index.js');
    const quiet = { error() {}, warn() {}, info() {}, debug() {} };
    (async () => {
      const cluster = new kafka.MockCluster(1);
      const producer = new kafka.Producer({ broker: cluster.bootstrapServers, logger: quiet });
      producer.send('exit', 0, ['a', 'b', 'c']);
      await producer.stop();
      const consumer = () => new kafka.Consumer({ broker: cluster.bootstrapServers, topic: 'exit', offset_directory: null, start_offset: 'earliest', logger: quiet });
      for await (const batch of consumer().batches()) break;
      await (async () => { for await (const batch of consumer().batches()) throw new Error('boom'); })().catch((e) => { if (e.message !== 'boom') throw e; });
      const controller = new AbortController();
      await (async () => { for await (const batch of consumer().batches({ signal: controller.signal })) controller.abort(); })().catch((e) => { if (e.name !== 'AbortError') throw e; });
      const failing = new kafka.Consumer({ broker: 'nowhere.invalid:9092', topic: 'exit', offset_directory: null, logger: quiet });
      await (async () => { for await (const batch of failing.messages()) throw new Error('read from nowhere'); })().then(() => { throw new Error('no error'); }, (e) => { if (!/nowhere/.test(e.message)) throw e; });
      console.log('left by break, throw and abort; a failed start thrown');
    })().catch((e) => { console.error(e); process.exitCode = 1; });
  `;
  const child = spawnSync(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..'), encoding: 'utf8', timeout: 60000 });
  assert.equal(child.status, 0, `${child.stdout}\n${child.stderr}`);
  assert.match(child.stdout, /left by break, throw and abort; a failed start thrown/);
});
