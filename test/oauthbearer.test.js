'use strict';
// SASL/OAUTHBEARER with a JavaScript token callback, on the MockCluster (which has no SASL): the
// callback path as far as librdkafka takes it. librdkafka asks for a token when the client
// starts, hands the callback sasl.oauthbearer.config, accepts the token (or reports why not), and
// asks again before the token expires; a callback that throws is logged and asked again, and
// never takes the process down. test/kafka/sasl.test.js shows Apache Kafka accepting the tokens.
const test = require('node:test');
const assert = require('node:assert/strict');
const { wide, kafka, waitFor } = require('./helpers');

const WIDE = wide(30000);
const SASL = { 'security.protocol': 'sasl_plaintext', 'sasl.mechanism': 'OAUTHBEARER', 'sasl.oauthbearer.config': 'scope=kafka-native-test' };
const cluster = new kafka.MockCluster(1);
const broker = cluster.bootstrapServers;

// A logger that keeps its errors.
function keepingLogger() {
  const errors = [];
  return { errors, error: (m) => errors.push(String(m)), warn() {}, info() {}, debug() {} };
}

test('the token callback is called with sasl.oauthbearer.config, and again before its token expires', async () => {
  const calls = [];
  const LIFETIME = 10000;
  const logger = keepingLogger();
  const producer = new kafka.Producer({
    broker, logger, driver_options: SASL,
    // A token that expires in 10 s: librdkafka asks again at about 80% of that, checking once a
    // second (so a 2 s token could be asked for again only after it expired).
    oauthbearer_token_callback: async (config) => {
      calls.push({ config, at: Date.now() });
      return { token: `token-${calls.length}`, lifetime_ms: Date.now() + LIFETIME, principal: 'alice', extensions: { traceId: 'abc' } };
    },
  });
  await waitFor('a second request before the first token expired', () => calls.length >= 2, WIDE);
  await producer.stop().catch(() => {}); // nothing was sent
  assert.equal(calls[0].config, 'scope=kafka-native-test');
  assert.ok(calls[1].at - calls[0].at < LIFETIME, `asked again after ${calls[1].at - calls[0].at} ms, after the token expired`);
  // (The MockCluster's refusal of SASL itself is logged too: it speaks none.)
  assert.deepEqual(logger.errors.filter((e) => /Failed to acquire SASL OAUTHBEARER token/.test(e)), [], 'the tokens were accepted');
});

test('a callback that throws, or gives a bad token, is logged and asked again; the process goes on', async () => {
  for (const [name, callback, reason] of [
    ['throws', () => { throw new Error('the identity provider is down'); }, /the identity provider is down/],
    ['rejects', () => Promise.reject(new Error('no network')), /no network/],
    ['bad token', () => ({ token: 'x', lifetime_ms: 'soon', principal: 'alice' }), /lifetime_ms must be when the token expires/],
    ['expired', () => ({ token: 'x', lifetime_ms: Date.now() - 1000, principal: 'alice' }), /expired|past/i],
  ]) {
    let calls = 0;
    const logger = keepingLogger();
    const producer = new kafka.Producer({
      broker, logger, driver_options: SASL,
      oauthbearer_token_callback: (config) => { calls++; return callback(config); },
    });
    // librdkafka asks again 10 s after a failure.
    await waitFor(`${name}: asked again after a failure`, () => calls >= 2, WIDE);
    await producer.stop().catch(() => {});
    assert.ok(logger.errors.some((e) => reason.test(e)), `${name}: ${logger.errors.join('\n')}`);
  }
});

test('a callback that never settles is logged, naming it, within seconds, and asked again', async () => {
  let calls = 0;
  const logger = keepingLogger();
  const producer = new kafka.Producer({
    broker, logger, driver_options: SASL,
    oauthbearer_token_callback: () => { calls++; return new Promise(() => {}); },
  });
  // The bridge gives up after 5 s (before a start() gives up on the brokers, at 10 s): the log
  // says so, then it asks again.
  await waitFor('the unsettled callback to be logged', () => logger.errors.some((e) => /oauthbearer_token_callback did not settle within 5s/.test(e)), 20000);
  await waitFor('asked again', () => calls >= 2, WIDE);
  await producer.stop().catch(() => {});
});

test('a consumer asks its token callback when it starts', async () => {
  const asked = [];
  const consumer = new kafka.Consumer({
    broker, topic: 'oauth', offset_directory: null, logger: keepingLogger(), driver_options: SASL,
    receive_callback: () => Promise.resolve(),
    oauthbearer_token_callback: (config) => { asked.push(config); return { token: 't', lifetime_ms: Date.now() + 60000, principal: 'p' }; },
  });
  const started = consumer.start().catch(() => {}); // the MockCluster speaks no SASL
  await waitFor('the consumer to ask', () => asked.length > 0, WIDE);
  await consumer.stop().catch(() => {});
  await started;
  assert.equal(asked[0], 'scope=kafka-native-test');
});

test('the Admin client takes a token callback too, and a non-function is refused by name', async () => {
  let called = false;
  const admin = new kafka.Admin({
    broker, driver_options: SASL, logger: keepingLogger(),
    oauthbearer_token_callback: () => { called = true; return { token: 't', lifetime_ms: Date.now() + 60000, principal: 'p' }; },
  });
  await waitFor('the admin client to ask', () => called, WIDE);
  void admin;
  assert.throws(() => new kafka.Producer({ broker, oauthbearer_token_callback: 'token' }), /option oauthbearer_token_callback must be a function/);
});

test('a worker terminated while its token callback is pending exits at once', async () => {
  const { Worker } = require('node:worker_threads');
  const path = require('node:path');
  const worker = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const kafka = require(${JSON.stringify(path.join(__dirname, '..', 'js', 'index.js'))});
    new kafka.Producer({
      broker: ${JSON.stringify(broker)},
      logger: { error() {}, warn() {}, info() {}, debug() {} },
      driver_options: ${JSON.stringify(SASL)},
      oauthbearer_token_callback: () => { parentPort.postMessage('asked'); return new Promise(() => {}); },
    });
    setInterval(() => {}, 1000);
  `, { eval: true });
  await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  const started = Date.now();
  await worker.terminate();
  const took = Date.now() - started;
  // Without the wake-up, destroying the client waits for the callback's 10 s deadline.
  assert.ok(took < 5000, `terminate() took ${took} ms`);
});
