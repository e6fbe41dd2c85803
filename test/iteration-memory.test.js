'use strict';
// A slow for-await loop over 1M messages keeps memory bounded: at most one batch is held, the
// rest waits at the broker. On Apache Kafka only: a MockCluster partition keeps about 5 MiB and
// drops the rest (FACTS), so it cannot hold the 300 MB this reads.
const test = require('node:test');
const assert = require('node:assert/strict');
const { kafka, testCluster, quietLogger } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
const uniqueTopic = (base) => `iter-${base}-${process.pid}`;
const onKafka = process.env.KAFKA_TEST_BROKER === 'kafka';

test('a slow loop over 1M messages: memory stays bounded, the rest waiting at the broker', { skip: !onKafka && 'needs Apache Kafka (a mock partition keeps 5 MiB)' }, async () => {
  const topic = uniqueTopic('memory');
  await cluster.createTopic(topic, 1, 1);
  const payload = 'x'.repeat(300);
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  for (let left = 1_000_000; left > 0;) {
    left -= producer.send(topic, 0, new Array(Math.min(left, 50_000)).fill(payload)).enqueued;
    await new Promise((r) => setImmediate(r)); // deliveries free the queue
  }
  await producer.stop();
  const base = process.memoryUsage().rss;
  let peak = base;
  let count = 0;
  const consumer = new kafka.Consumer({ broker, topic, offset_directory: null, queued_max_messages_kbytes: 8192, max_messages_per_callback: 10_000, logger: quietLogger() });
  for await (const batch of consumer.batches()) {
    count += batch.messages.length;
    await new Promise((r) => setTimeout(r, 20)); // a slow body: 2 s for the 100 batches, slower than they could come
    peak = Math.max(peak, process.memoryUsage().rss);
    if (count >= 1_000_000) break;
  }
  // 1M × 300 B is 300 MB: had the loop's slowness let batches pile up, it would show.
  console.log(`# RSS grew ${Math.round((peak - base) / 2 ** 20)} MB over ${count} messages`);
  assert.ok(peak - base < 150 * 2 ** 20, `RSS grew ${Math.round((peak - base) / 2 ** 20)} MB`);
});
