'use strict';
// SASL against a real broker: tansu 0.6 started with --authentication, a separate process that
// offers SCRAM-SHA-256 and SCRAM-SHA-512 (and not PLAIN). Run by `npm test` after tansu is
// installed; on its own: `node --test test/tansu/sasl.test.js` once deps/tansu/install has run.
//
// What these tests cannot show: a SCRAM login that succeeds. tansu's memory storage keeps no SCRAM
// credentials (it accepts AlterUserScramCredentials and stores nothing), the tansu build on PyPI
// has none of its persistent stores, and the MockCluster has no SASL. What they show is that
// librdkafka's SCRAM and PLAIN clients, as built into the addon, speak to a broker, over plaintext
// and over TLS, and that a refusal ends a request at once with the broker's reason, logged once.
const test = require('node:test');
const assert = require('node:assert/strict');
const { kafka, quietLogger, refusal } = require('../helpers');
const { startTansu, freePort } = require('../../deps/tansu/broker.js');
const { makeCerts } = require('../tls/certs');
const { startTerminator } = require('../tls/terminator');

const QUICK = 8000; // well under the 10 s a request waits for a broker that does not answer
const TOPIC = 'secured';
const running = [];
let broker;

test.before(async () => {
  const tansu = await startTansu({ authentication: true });
  running.push(() => tansu.child.kill());
  broker = tansu.servers;
});
test.after(() => { for (const stop of running) stop(); });

const sasl = (protocol, mechanism) => ({
  'security.protocol': protocol, 'sasl.mechanism': mechanism, 'sasl.username': 'alice', 'sasl.password': 'not-her-password',
});

for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
  test(`${mechanism}: a login the broker refuses rejects at once, with its reason, logged once`, async () => {
    const refused = await refusal(broker, TOPIC, sasl('sasl_plaintext', mechanism));
    assert.match(refused.message, /SASL authentication error: SASL SCRAM authentication failed: broker responded with unknown-user/);
    assert.match(refused.message, /_AUTHENTICATION/);
    assert.ok(refused.ms < QUICK, `refused after ${refused.ms} ms, not at once`);
    assert.equal(refused.logged.filter((l) => /SASL authentication error/.test(l)).length, 1, refused.logged.join('\n'));
  });
}

test('the consumer\'s start() rejects the same way', async () => {
  const consumer = new kafka.Consumer({
    broker, topic: TOPIC, offset_directory: null, logger: quietLogger(), driver_options: sasl('sasl_plaintext', 'SCRAM-SHA-512'),
    receive_callback: () => Promise.resolve(),
  });
  const started = Date.now();
  const err = await consumer.start().then(() => null, (e) => e);
  const ms = Date.now() - started;
  await consumer.stop();
  assert.match(String(err?.message), /SASL authentication error/);
  assert.ok(ms < QUICK, `start() rejected after ${ms} ms`);
});

test('PLAIN, which this broker does not offer: rejected at once, naming the mechanism', async () => {
  const refused = await refusal(broker, TOPIC, sasl('sasl_plaintext', 'PLAIN'));
  assert.match(refused.message, /SASL PLAIN mechanism handshake failed/);
  assert.ok(refused.ms < QUICK, `refused after ${refused.ms} ms`);
});

test('sasl_ssl: SCRAM runs inside TLS with a private CA, and the broker\'s answer comes back through it', async () => {
  const certs = makeCerts();
  running.push(() => certs.remove());
  // tansu behind a TLS terminator, advertising the terminator's port.
  const tansuPort = await freePort();
  const terminator = await startTerminator({ ...certs.broker, ca: certs.ca.pem, upstreamPort: tansuPort });
  running.push(() => terminator.close());
  const tansu = await startTansu({ port: tansuPort, advertisedPort: terminator.port, authentication: true });
  running.push(() => tansu.child.kill());
  const secured = `127.0.0.1:${terminator.port}`;
  const refused = await refusal(secured, TOPIC, { ...sasl('sasl_ssl', 'SCRAM-SHA-256'), 'ssl.ca.pem': certs.ca.pem });
  assert.match(refused.message, /^.*sasl_ssl:\/\/127\.0\.0\.1:\d+\/bootstrap: SASL authentication error: SASL SCRAM authentication failed/);
  assert.ok(refused.ms < QUICK, `refused after ${refused.ms} ms`);
  // The same client with another CA never gets as far as SASL.
  const untrusted = await refusal(secured, TOPIC, { ...sasl('sasl_ssl', 'SCRAM-SHA-256'), 'ssl.ca.pem': certs.otherCa.pem });
  assert.match(untrusted.message, /certificate verify failed/);
});
