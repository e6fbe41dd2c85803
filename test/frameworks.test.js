'use strict';
// Frameworks built on KafkaJS, unchanged, on this engine (issue 54): NestJS 11 microservices
// (request-response with an error reply, and events) and Moleculer's KafkaJS transporter, each
// installed with kafka-native-kafkajs in kafkajs's place by npm overrides (test/frameworks/app.js)
// and started 10 times on Apache Kafka (test/frameworks/*.js print a line per start).
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const { testCluster, kafka: native, quietLogger } = require('./helpers');
const { frameworksApp, runAppScript } = require('./frameworks/app');
const { securedKafka } = require('./kafka/security');

const cluster = testCluster();
const STARTS = 10;

// The ports KafkaJS's examples name (${HOST_IP}:9094, 9097, 9100, its docker-compose's SASL_SSL
// listeners), forwarded to the secured cluster's SASL_SSL listener, which advertises its own.
async function forwardPorts(target) {
  const [host, port] = target.split(',')[0].split(':');
  const servers = await Promise.all([9094, 9097, 9100].map((p) => new Promise((resolve, reject) => {
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(port), host);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    server.once('error', (err) => reject(new Error(`KafkaJS's examples need port ${p} (${err.code})`)));
    server.listen(p, '127.0.0.1', () => resolve(server));
  })));
  return () => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
}

// Runs one of KafkaJS's examples from the checkout's root (as `node examples/x.js`) until
// `done(output so far)` resolves true (asked at each output and every 250 ms), then stops it
// with SIGTERM, as its README does with Ctrl-C. Resolves with the output once the process
// exited; fails if it does not exit after the SIGTERM, or ends before unless `mayEnd` (a
// kafka-native admin client, its work done, does not hold the process open as KafkaJS's socket
// does: the admin example ends by itself).
function runExample(checkout, name, done, { mayEnd = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`examples/${name}.js`], { cwd: checkout, env: { ...process.env, HOST_IP: '127.0.0.1' } });
    let out = '';
    let stopped = false;
    let asking = false;
    const ask = async () => {
      if (stopped || asking) return;
      asking = true;
      try {
        if (await done(out)) {
          stopped = true;
          child.kill('SIGTERM');
        }
      } finally {
        asking = false;
      }
    };
    const poll = setInterval(ask, 250);
    const hung = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`examples/${name}.js ${stopped ? 'did not exit after SIGTERM' : 'did not get there'} in 120 s:\n${out.slice(-3000)}`));
    }, 120000);
    const read = (d) => {
      out += d;
      ask();
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      clearTimeout(hung);
      if (!stopped && !(mayEnd && code === 0)) reject(new Error(`examples/${name}.js ended by itself (${code ?? signal}):\n${out.slice(-3000)}`));
      else resolve(out);
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
    const starts = await runAppScript(installed.app, 'nest.js', [cluster.bootstrapServers, prefix, String(STARTS)]);
    assert.equal(starts.length, STARTS);
    for (const { start, sum, error, event } of starts) {
      assert.equal(Number(sum), 6 + start, `start ${start}`);
      assert.equal(error, 'division by zero', `start ${start}`);
      assert.deepEqual(event, { start });
    }
  });

  // Their docker-compose cluster makes topics of one partition; the admin example then takes
  // topic-test1 to three. Both topics are made so here (this cluster's default is four).
  test('KafkaJS\'s own examples, unchanged: admin, producer, then consumer (SASL_SSL, PLAIN)', async () => {
    const secured = await securedKafka();
    fs.writeFileSync(`${installed.checkout}/testHelpers/certs/cert-signed`, secured.ca.pem);
    const admin = new native.Admin({ broker: secured.listeners.PLAINTEXT, logger: quietLogger() });
    const unforward = await forwardPorts(secured.listeners.SASL_SSL);
    try {
      for (const topic of ['topic-test', 'topic-test1']) {
        await admin.createTopics([{ topic, partitions: 1, replication_factor: 1 }]).catch((e) => {
          if (e.code !== 'TOPIC_ALREADY_EXISTS') throw e;
        });
      }
      // Each logs what fails as `error: [example/<name>] <message>`.
      const grown = async () => (await admin.describeTopics(['topic-test1']).catch(() => [{ partitions: [] }]))[0].partitions.length === 3;
      const adminOut = await runExample(installed.checkout, 'admin', grown, { mayEnd: true });
      assert.doesNotMatch(adminOut, /error:.*\[example\/admin\]/, adminOut);
      assert.ok(await grown(), `topic-test1 has 3 partitions:\n${adminOut}`);
      // The producer sends a random number of messages every 3 s; two sends are waited for.
      const sent = (out) => [...out.matchAll(/Messages sent #(\d+)/g)].map((m) => Number(new RegExp(`Sending (\\d+) messages #${m[1]}\\.`).exec(out)?.[1] ?? NaN));
      const producerOut = await runExample(installed.checkout, 'producer', (out) => sent(out).length >= 2);
      assert.doesNotMatch(producerOut, /error:.*\[example\/producer\]/, producerOut);
      const total = sent(producerOut).reduce((a, b) => a + b, 0);
      assert.ok(Number.isInteger(total), producerOut.slice(-2000));
      const processed = (out) => (out.match(/Message processed/g) || []).length;
      const consumerOut = await runExample(installed.checkout, 'consumer', (out) => processed(out) >= total);
      assert.doesNotMatch(consumerOut, /error:.*\[example\/consumer\]/, consumerOut);
    } finally {
      await unforward();
      await admin.stop();
    }
  });

  test(`Moleculer (KafkaJS transporter): a call, an error reply and an event, ${STARTS} starts`, async (t) => {
    const starts = await runAppScript(installed.app, 'moleculer.js', [cluster.bootstrapServers, `mol${process.pid}`, String(STARTS)]);
    assert.equal(starts.length, STARTS);
    for (const { start, sum, error, event } of starts) {
      assert.equal(sum, 3 + start, `start ${start}`);
      assert.equal(error, 'MoleculerClientError 422 DIVISION_BY_ZERO: division by zero', `start ${start}`);
      assert.deepEqual(event, { start });
    }
    t.diagnostic(`first reply after ${starts.map((s) => s.firstReplyMs).join(', ')} ms`);
  });
});
