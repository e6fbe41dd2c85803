'use strict';
// Tearing down a worker_threads worker never waits for JS that can no longer run: a consumer
// holding an unsettled batch lets go at once, and the batch's offsets are not recorded (it was
// not processed).
const test = require('node:test');
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const { kafka, tempDir, produce, readOffset } = require('./helpers');

const ROUNDS = 20;
const worker = `
  const { parentPort, workerData } = require('node:worker_threads');
  const { Consumer } = require(workerData.index);
  const consumer = new Consumer({ broker: workerData.broker, topic: 'workers', offset_directory: workerData.dir,
    logger: { error() {}, warn() {}, info() {} },
    receive_callback() {
      parentPort.postMessage('holding');
      if (workerData.exit) setImmediate(() => process.exit(0));
      return new Promise(() => {}); // never settles
    } });
  consumer.start();`;

async function holdThenEnd(cluster, exit) {
  const dir = tempDir();
  const w = new Worker(worker, { eval: true, workerData: { index: require.resolve('../js/index.js'), broker: cluster.bootstrapServers, dir, exit } });
  const exited = new Promise((resolve) => w.once('exit', resolve));
  await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  const started = Date.now();
  if (!exit) await w.terminate();
  await exited;
  return { ms: Date.now() - started, offset: readOffset(dir, 'workers', 0) };
}

for (const [how, exit] of [['terminations of', false], ['process.exit(0) calls inside', true]]) {
  test(`${ROUNDS} ${how} a worker holding a batch each end in under a second, recording nothing`, async () => {
    const cluster = new kafka.MockCluster(1);
    cluster.createTopic('workers', 1);
    await produce(cluster.bootstrapServers, 'workers', 0, ['held']);
    for (let i = 0; i < ROUNDS; i++) {
      const { ms, offset } = await holdThenEnd(cluster, exit);
      assert.ok(ms < 1000, `round ${i + 1} took ${ms} ms`);
      assert.equal(offset, undefined, 'an unprocessed batch was recorded');
    }
  });
}
