'use strict';
// Frameworks built on KafkaJS, unchanged, on this engine (issue 54): NestJS 11 microservices
// (request-response with an error reply, and events) and Moleculer's KafkaJS transporter, each
// installed with kafka-native-kafkajs in kafkajs's place by npm overrides (test/frameworks/app.js)
// and started 10 times on Apache Kafka (test/frameworks/*.js print a line per start).
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');
const { testCluster } = require('./helpers');
const { frameworksApp } = require('./frameworks/app');

const cluster = testCluster();
const STARTS = 10;

// Runs a framework script in the app; resolves with its JSON lines.
function runScript(app, script, args) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, ...args], { cwd: app, timeout: 240000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${script} failed: ${err.message}\n${stdout}\n${stderr.slice(-4000)}`));
      else resolve(stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)));
    });
  });
}

describe('frameworks on kafka-native-kafkajs, through npm overrides', { concurrency: true }, () => {
  let installed;
  before(() => {
    installed = frameworksApp();
  });
  after(() => installed?.remove());

  test('the frameworks\' kafkajs is kafka-native-kafkajs', async () => {
    const [line] = await new Promise((resolve, reject) => execFile(process.execPath, ['-e', 'const k = require.resolve("kafkajs", { paths: [require.resolve("@nestjs/microservices")] }); const m = require.resolve("kafkajs", { paths: [require.resolve("moleculer")] }); console.log(JSON.stringify([require(k) === require("kafka-native/kafkajs"), require(m) === require("kafka-native/kafkajs"), require("kafkajs/package.json").name]))'], { cwd: installed.app }, (err, out) => (err ? reject(err) : resolve([out]))));
    assert.deepEqual(JSON.parse(line), [true, true, 'kafka-native-kafkajs']);
  });

  test(`NestJS 11: request-response, an error reply and an event, ${STARTS} starts`, async () => {
    const prefix = `nest-${process.pid}`;
    for (const topic of ['sum', 'divide', 'added', 'sum.reply', 'divide.reply']) await cluster.createTopic(`${prefix}.${topic}`, 3, 1);
    const starts = await runScript(installed.app, 'nest.js', [cluster.bootstrapServers, prefix, String(STARTS)]);
    assert.equal(starts.length, STARTS);
    for (const { start, sum, error, event } of starts) {
      assert.equal(Number(sum), 6 + start, `start ${start}`);
      assert.equal(error, 'division by zero', `start ${start}`);
      assert.deepEqual(event, { start });
    }
  });

  test(`Moleculer (KafkaJS transporter): a call, an error reply and an event, ${STARTS} starts`, async (t) => {
    const starts = await runScript(installed.app, 'moleculer.js', [cluster.bootstrapServers, `mol${process.pid}`, String(STARTS)]);
    assert.equal(starts.length, STARTS);
    for (const { start, sum, error, event } of starts) {
      assert.equal(sum, 3 + start, `start ${start}`);
      assert.equal(error, 'MoleculerClientError 422 DIVISION_BY_ZERO: division by zero', `start ${start}`);
      assert.deepEqual(event, { start });
    }
    t.diagnostic(`first reply after ${starts.map((s) => s.firstReplyMs).join(', ')} ms`);
  });
});
