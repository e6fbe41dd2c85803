'use strict';
// receive_callback rejecting with notProcessed(): the batch's offsets are not recorded (offset
// files) or committed (a group), the consumer fetches no more, and the next reader gets the
// batch again. Any other rejection still records (kafka-native's rule, tested in callbacks).
const test = require('node:test');
const assert = require('node:assert/strict');
const { kafka, testCluster, tempDir, readOffset, produce, waitFor, quietLogger } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
const MESSAGES = Array.from({ length: 10 }, (_, i) => `m${i}`);

// Runs a consumer until it has seen every message, refusing its first batch with notProcessed.
async function refuseFirstBatch(options) {
  const seen = [];
  const logger = quietLogger();
  let refused = 0;
  const consumer = new kafka.Consumer({
    broker,
    logger,
    ...options,
    receive_callback: async ({ messages }) => {
      if (refused++ === 0) {
        seen.push(...messages.map((m) => m.payload));
        throw kafka.notProcessed('the client went away');
      }
      throw new Error('no batch may follow a batch that was not processed');
    },
  });
  await consumer.start();
  await waitFor('the first batch', () => refused > 0);
  await consumer.stop();
  assert.equal(refused, 1, 'no batch after the refused one');
  assert.ok(seen.length > 0);
  assert.ok(logger.lines.some((l) => l.level === 'warn' && /was not processed/.test(l.line)), 'the refusal is logged as a warning');
}

async function readAll(options, count) {
  const seen = [];
  const consumer = new kafka.Consumer({
    broker,
    logger: quietLogger(),
    ...options,
    receive_callback: async ({ messages }) => { seen.push(...messages.map((m) => m.payload)); },
  });
  await consumer.start();
  await waitFor(`${count} messages`, () => seen.length >= count);
  await consumer.stop();
  return seen;
}

test('with offset files, a batch not processed is read again by the next start', async () => {
  const topic = `np-files-${process.pid}`;
  await cluster.createTopic(topic, 1);
  await produce(broker, topic, 0, MESSAGES);
  const offset_directory = tempDir();
  await refuseFirstBatch({ topic, offset_directory, start_offset: 'earliest' });
  assert.equal(readOffset(offset_directory, topic, 0), undefined, 'no offset recorded');
  assert.deepEqual(await readAll({ topic, offset_directory, start_offset: 'earliest' }, 10), MESSAGES);
});

test('in a group, a batch not processed is not committed: the next member reads it', async () => {
  const topic = `np-group-${process.pid}`;
  await cluster.createTopic(topic, 1);
  await produce(broker, topic, 0, MESSAGES);
  const group_id = `np-${process.pid}`;
  await refuseFirstBatch({ topic, group_id, start_offset: 'earliest' });
  assert.deepEqual(await readAll({ topic, group_id, start_offset: 'earliest' }, 10), MESSAGES);
});
