'use strict';
// Warms a fresh Apache Kafka broker before a benchmark measures against it (bench/brokers.js).
// A JVM's first seconds run its request paths interpreted or from C1 code while C2 compiles
// them on the same two cores as the client being measured; a production broker has long been
// past that. For WARM_SECONDS (half each): 32 loops each awaiting one 100 B deliver() at a time
// (small produce requests), then 4 loops each awaiting 1,000 × 1 KB (full batches), while one
// consumer reads the topic from the start (small fetches, then full ones). Its own topic, so
// what a benchmark measures starts empty. Exits 0 once done, non-zero with the error.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Producer, Consumer } = require('../..');

const brokers = process.env.KAFKA_BROKERS;
const seconds = Number(process.env.WARM_SECONDS);
const topic = 'kn-bench-warm-up';
const PARTITIONS = 4; // the broker's auto-create
const logger = { error: console.error, warn: console.error, info() {} };

async function loops(count, until, body) {
  await Promise.all(Array.from({ length: count }, async (_, i) => {
    while (Date.now() < until) await body(i);
  }));
}

(async () => {
  const offsets = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-warm-'));
  const producer = new Producer({ broker: brokers, logger });
  await producer.partition_count(topic); // auto-creates it
  let received = 0;
  const consumer = new Consumer({
    broker: brokers, topic, offset_directory: offsets, start_offset: 'earliest', logger,
    receive_callback: async ({ messages }) => { received += messages.length; },
  });
  await consumer.start();
  const small = 'x'.repeat(100);
  const large = Array.from({ length: 1000 }, () => 'y'.repeat(1000));
  const half = (seconds * 1000) / 2;
  let sent = 0;
  await loops(32, Date.now() + half, async (i) => { await producer.deliver(topic, i % PARTITIONS, [small]); sent++; });
  await loops(4, Date.now() + half, async (i) => { await producer.deliver(topic, i % PARTITIONS, large); sent += large.length; });
  const deadline = Date.now() + 30000;
  while (received < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await consumer.stop();
  await producer.stop();
  fs.rmSync(offsets, { recursive: true, force: true });
  if (received < sent) throw new Error(`read ${received} of ${sent} warm-up messages`);
})().catch((err) => {
  console.error(`warm-kafka: ${err.message}`);
  process.exit(1);
});
