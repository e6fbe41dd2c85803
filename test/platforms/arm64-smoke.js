'use strict';
// Run by an arm64 Node under qemu-user, in a project where the packed kafka-native and
// kafka-native-linux-arm64-gnu are installed: produces 1,000 messages and reads them back
// through the arm64 addon, against the MockCluster at argv[2] (a separate x64 process).
// Prints one JSON line: {arch, node, produced, consumed, ms}.
const assert = require('node:assert/strict');
const { Producer, Consumer } = require('kafka-native');

const [broker, topic] = process.argv.slice(2);
const COUNT = 1000;

(async () => {
  assert.equal(process.arch, 'arm64', 'this smoke test is for an arm64 Node');
  const started = Date.now();
  const sent = Array.from({ length: COUNT }, (_, i) => `arm64 message ${i}`);
  const producer = new Producer({ broker });
  const reports = await producer.deliver(topic, 0, sent);
  await producer.stop();
  const got = [];
  let done;
  const all = new Promise((resolve) => { done = resolve; });
  const consumer = new Consumer({
    broker, topic, offset_directory: null, start_offset: reports[0].offset,
    receive_callback: ({ messages }) => {
      got.push(...messages.map((m) => m.payload));
      if (got.length >= COUNT) done();
      return Promise.resolve();
    },
  });
  await consumer.start();
  await all;
  await consumer.stop();
  assert.deepEqual(got, sent);
  console.log(JSON.stringify({ arch: process.arch, node: process.version, produced: reports.length, consumed: got.length, ms: Date.now() - started }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
