'use strict';
// SASL against Apache Kafka's own listeners (test/kafka/security.js): PLAIN and SCRAM-SHA-256/512
// logins that succeed and then produce and consume, over SASL_PLAINTEXT and SASL_SSL; a wrong
// password refused at once, naming SASL; and OAUTHBEARER with a token from a JS callback, checked
// by Kafka's unsecured-JWS validator, refreshed before it expires (the broker ends a session
// when its token does, KIP-368), and a garbage token refused with the broker's reason.
const test = require('node:test');
const assert = require('node:assert/strict');
const { wide, kafka, quietLogger, refusal, roundTrip, waitFor } = require('../helpers');
const { KAFKA_USERS, securedKafka } = require('./security.js');

const QUICK = 8000; // well under the 10 s a request waits for a broker that does not answer
const WIDE = wide(60000);
let cluster;

test.before(async () => { cluster = await securedKafka(); });

const login = (protocol, mechanism, password = KAFKA_USERS.alice) => ({
  'security.protocol': protocol,
  'sasl.mechanism': mechanism,
  'sasl.username': 'alice',
  'sasl.password': password,
  ...(protocol === 'sasl_ssl' ? { 'ssl.ca.pem': cluster.ca.pem } : {}),
});

const listener = (protocol) => cluster.listeners[protocol.toUpperCase()];

for (const protocol of ['sasl_plaintext', 'sasl_ssl']) {
  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
    test(`${mechanism} over ${protocol}: the login succeeds, then produce and consume`, async () => {
      const topic = `sasl-${protocol}-${mechanism}-${process.pid}`.toLowerCase();
      await roundTrip(listener(protocol), topic, login(protocol, mechanism));
    });
  }
}

for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
  test(`${mechanism}: a wrong password is refused at once, naming SASL, logged once`, async () => {
    const refused = await refusal(listener('sasl_plaintext'), 'sasl-refused', login('sasl_plaintext', mechanism, 'not-her-password'));
    assert.match(refused.message, /SASL authentication error: Authentication failed/);
    assert.match(refused.message, /_AUTHENTICATION/);
    assert.ok(refused.ms < QUICK, `refused after ${refused.ms} ms, not at once`);
    assert.equal(refused.logged.filter((l) => /SASL authentication error/.test(l)).length, 1, refused.logged.join('\n'));
  });
}

test('a consumer with a wrong password: start() rejects at once, naming SASL', async () => {
  const consumer = new kafka.Consumer({
    broker: listener('sasl_ssl'), topic: 'sasl-refused', offset_directory: null, logger: quietLogger(),
    driver_options: login('sasl_ssl', 'SCRAM-SHA-512', 'not-her-password'),
    receive_callback: () => Promise.resolve(),
  });
  const started = Date.now();
  const err = await consumer.start().then(() => null, (e) => e);
  const ms = Date.now() - started;
  await consumer.stop();
  assert.match(String(err?.message), /SASL authentication error/);
  assert.ok(ms < QUICK, `start() rejected after ${ms} ms`);
});

// An unsigned JWS (alg "none") for `sub`, expiring in `ms`: what Kafka's unsecured validator takes.
function unsecuredJws(sub, ms) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Date.now();
  return { token: `${b64({ alg: 'none' })}.${b64({ sub, iat: Math.floor(now / 1000), exp: (now + ms) / 1000 })}.`, lifetime_ms: now + ms, principal: sub };
}

const OAUTH = { 'security.protocol': 'sasl_plaintext', 'sasl.mechanism': 'OAUTHBEARER' };

test('OAUTHBEARER: the broker accepts the callback\'s token; a short-lived one is refreshed and the client keeps working past its lifetime', async () => {
  const topic = `oauth-${process.pid}`;
  // librdkafka asks for a new token at 80% of a token's lifetime (checked once a second) and logs
  // in again at 90% of the session: tokens shorter than about 10 s are re-sent stale and the
  // broker ends the session. 20 s leaves room on a loaded machine.
  const LIFETIME = 20000;
  const tokens = [];
  const logger = quietLogger();
  const producer = new kafka.Producer({
    broker: listener('sasl_plaintext'), logger, driver_options: OAUTH,
    oauthbearer_token_callback: () => {
      const token = unsecuredJws('alice', LIFETIME);
      tokens.push(token);
      return token;
    },
  });
  const [first] = await producer.deliver(topic, 0, ['before']);
  // Past the first token's expiry, and a refresh later: the broker has ended the first session
  // by now unless the client logged in again with a fresh token.
  const firstExpires = tokens[0].lifetime_ms;
  await waitFor('a refresh, and the first token\'s expiry', () => tokens.length >= 2 && Date.now() > firstExpires, WIDE);
  const [second] = await producer.deliver(topic, 0, ['after']);
  await producer.stop();
  assert.equal(second.offset, first.offset + 1);
  assert.deepEqual(logger.lines.filter((l) => l.level === 'error'), []);
  // A consumer with its own tokens reads both.
  const got = [];
  const consumer = new kafka.Consumer({
    broker: listener('sasl_plaintext'), topic, offset_directory: null, start_offset: first.offset, logger: quietLogger(), driver_options: OAUTH,
    oauthbearer_token_callback: () => unsecuredJws('bob', 60000),
    receive_callback: ({ messages }) => { got.push(...messages.map((m) => m.payload)); return Promise.resolve(); },
  });
  await consumer.start();
  await waitFor('both messages', () => got.length >= 2, WIDE);
  await consumer.stop();
  assert.deepEqual(got, ['before', 'after']);
});

// The bridge gives up on the callback (5 s) before start() gives up on the brokers (10 s), so
// start()'s error says the token never came, not "Broker transport failure".
test('OAUTHBEARER: a consumer whose token callback never settles fails start() naming the callback', async () => {
  const logger = quietLogger();
  const consumer = new kafka.Consumer({
    broker: listener('sasl_plaintext'), topic: `oauth-silent-${process.pid}`, offset_directory: null, logger, driver_options: OAUTH,
    oauthbearer_token_callback: () => new Promise(() => {}),
    receive_callback: async () => {},
  });
  const err = await consumer.start().then(() => null, (e) => e);
  await consumer.stop().catch(() => {});
  assert.match(String(err?.message), /oauthbearer_token_callback did not settle within 5s/, String(err));
  assert.ok(logger.lines.some((l) => l.level === 'error' && /oauthbearer_token_callback did not settle/.test(l.line)), JSON.stringify(logger.lines.slice(-5)));
});

test('OAUTHBEARER: a garbage token is refused by the broker, with its reason, at once', async () => {
  const logger = quietLogger();
  const producer = new kafka.Producer({
    broker: listener('sasl_plaintext'), logger, driver_options: OAUTH,
    oauthbearer_token_callback: () => ({ token: 'not-a-jws', lifetime_ms: Date.now() + 60000, principal: 'alice' }),
  });
  const started = Date.now();
  const err = await producer.partition_count('oauth-refused').then(() => null, (e) => e);
  const ms = Date.now() - started;
  await producer.stop();
  assert.match(String(err?.message), /SASL authentication error: \{"status":"invalid_token"\}/);
  assert.ok(ms < QUICK, `refused after ${ms} ms`);
});
