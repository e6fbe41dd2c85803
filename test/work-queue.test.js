'use strict';
// examples/work-queue on Apache Kafka (share groups are Kafka's: npm test runs this file there
// only): twelve jobs written in one deliver(), three workers taking one at a time, one killed
// with SIGKILL while it holds a job; every job done, none twice unless the killed worker held it,
// and what it held redelivered to another worker. Jobs take a third of the group's lock, on one
// partition and on four, at a short lock and at Kafka's smallest default one (15 s). The example
// runs as its README says it can: its two files copied into a project that depends on
// kafka-native (here a scratch folder whose node_modules/kafka-native is this package).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { wide } = require('./helpers');

let project;
function copiedExample() {
  if (project) return project;
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-work-queue-'));
  for (const file of ['run.js', 'worker.js']) fs.copyFileSync(path.join(__dirname, '..', 'examples', 'work-queue', file), path.join(project, file));
  fs.mkdirSync(path.join(project, 'node_modules'));
  fs.symlinkSync(path.join(__dirname, '..'), path.join(project, 'node_modules', 'kafka-native'), 'dir');
  return project;
}
test.after(() => { if (project) fs.rmSync(project, { recursive: true, force: true }); });

const onKafka = process.env.KAFKA_TEST_BROKER === 'kafka';
const skip = !onKafka && 'share groups are tested on Apache Kafka (KAFKA_TEST_BROKER=kafka)';

// Runs the demo with `settings` and checks the promise it prints.
async function workQueue(settings) {
  const env = { ...process.env, BROKER: process.env.KAFKA_BROKERS, JOBS: '12', ...settings };
  const stdout = await new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(copiedExample(), 'run.js')], { env, cwd: copiedExample(), timeout: wide(180_000) }, (err, out, stderr) => {
      if (err) reject(new Error(`run.js failed (${err.code ?? err.signal}): ${out}\n${stderr}`));
      else resolve(out);
    });
  });
  const summary = JSON.parse(stdout.trim().split('\n').pop());
  assert.equal(summary.done, 12, stdout);
  assert.ok(summary.held_by_killed.length > 0, 'a worker was killed holding a job');
  for (const id of summary.held_by_killed) assert.ok(summary.redelivered.includes(id), `job ${id} came to another worker (${stdout})`);
  for (const id of summary.twice) assert.ok(summary.held_by_killed.includes(id), `job ${id} done twice, not held by the killed worker (${stdout})`);
  assert.equal(summary.ok, true, stdout);
}

test('the work-queue example: every job done once, on one partition, a worker dying holding one', { skip }, () =>
  workQueue({ PARTITIONS: '1', JOB_MS: '1000', LOCK_MS: '3000' }));

test('the work-queue example: every job done once, on four partitions', { skip }, () =>
  workQueue({ PARTITIONS: '4', JOB_MS: '1000', LOCK_MS: '3000' }));

test('the work-queue example: every job done once, 5 s jobs under a 15 s lock', { skip }, () =>
  workQueue({ PARTITIONS: '1', JOB_MS: '5000' })); // LOCK_MS: the example's default, 15 s
