'use strict';
// examples/work-queue on Apache Kafka (share groups are Kafka's: npm test runs this file there
// only): three workers, one killed with SIGKILL while it holds a job; every job done, none twice
// unless the killed worker held it, and what it held redelivered to another worker.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');

const onKafka = process.env.KAFKA_TEST_BROKER === 'kafka';

test('the work-queue example: every job done once a worker dies holding one', { skip: !onKafka && 'share groups are tested on Apache Kafka (KAFKA_TEST_BROKER=kafka)' }, async () => {
  const env = { ...process.env, BROKER: process.env.KAFKA_BROKERS, JOBS: '12', JOB_MS: '300', LOCK_MS: '3000' };
  const stdout = await new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, '..', 'examples', 'work-queue', 'run.js')], { env, timeout: 120_000 }, (err, out, stderr) => {
      if (err) reject(new Error(`run.js failed (${err.code ?? err.signal}): ${out}\n${stderr}`));
      else resolve(out);
    });
  });
  const summary = JSON.parse(stdout.trim().split('\n').pop());
  assert.equal(summary.done, 12, stdout);
  assert.ok(summary.held_by_killed.length > 0, 'a worker was killed holding a job');
  for (const id of summary.held_by_killed) assert.ok(summary.redelivered.includes(id), `job ${id} came to another worker (${stdout})`);
  for (const id of summary.twice) assert.ok(summary.held_by_killed.includes(id), `job ${id} done twice, not held by the killed worker`);
  assert.equal(summary.ok, true, stdout);
});
