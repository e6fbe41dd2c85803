'use strict';
// TLS and mutual TLS, with certificates made for this run (test/tls/certs.js): the MockCluster
// speaks plaintext only, so each test puts a TLS terminator (test/tls/terminator.js, Node's tls
// module) in front of a mock broker and has the broker advertise it. What is tested is
// librdkafka's TLS client as built into the addon (OpenSSL linked statically).
const test = require('node:test');
const assert = require('node:assert/strict');
const { wide, kafka, roundTrip, refusal, waitFor, quietLogger } = require('./helpers');
const { makeCerts } = require('./tls/certs');
const { startTerminator } = require('./tls/terminator');

const WIDE = wide(30000);
let certs;
const closers = [];

test.before(() => { certs = makeCerts(); });
test.after(async () => {
  for (const close of closers) await close();
  certs.remove();
});

// A one-broker MockCluster reachable only through a TLS terminator: {broker, topic, terminator}.
async function tlsCluster({ cert = certs.broker, requestCert = false } = {}) {
  const cluster = new kafka.MockCluster(1);
  const topic = 'secure';
  cluster.createTopic(topic, 1);
  const terminator = await startTerminator({ ...cert, ca: certs.ca.pem, requestCert, upstreamPort: cluster.brokerPort(1) });
  cluster.setBrokerAddress(1, '127.0.0.1', terminator.port);
  closers.push(() => terminator.close(), () => cluster); // the cluster lives until the end
  return { broker: `127.0.0.1:${terminator.port}`, topic, terminator };
}

test('produce and consume over TLS with a private CA, the broker\'s host name checked', async () => {
  const { broker, topic } = await tlsCluster();
  await roundTrip(broker, topic, { 'security.protocol': 'ssl', 'ssl.ca.pem': certs.ca.pem });
  // The CA as a file works the same.
  await roundTrip(broker, topic, { 'security.protocol': 'ssl', 'ssl.ca.location': certs.ca.path });
});

test('mutual TLS: a client with a certificate the CA signed gets in, one without is refused', async () => {
  const { broker, topic } = await tlsCluster({ requestCert: true });
  await roundTrip(broker, topic, {
    'security.protocol': 'ssl', 'ssl.ca.pem': certs.ca.pem, 'ssl.certificate.pem': certs.client.cert, 'ssl.key.pem': certs.client.key,
  });
  await roundTrip(broker, topic, {
    'security.protocol': 'ssl', 'ssl.ca.location': certs.ca.path, 'ssl.certificate.location': certs.client.certPath, 'ssl.key.location': certs.client.keyPath,
  });
  const refused = await refusal(broker, topic, { 'security.protocol': 'ssl', 'ssl.ca.pem': certs.ca.pem });
  assert.match(refused.message, /alert certificate required/);
  assert.ok(refused.ms < 8000, `refused after ${refused.ms} ms, not at the 10 s timeout`);
});

test('a broker certificate from another CA is refused quickly, with the reason, logged once', async () => {
  const { broker, topic } = await tlsCluster();
  const refused = await refusal(broker, topic, { 'security.protocol': 'ssl', 'ssl.ca.pem': certs.otherCa.pem });
  assert.match(refused.message, /certificate verify failed/);
  assert.ok(refused.ms < 8000, `refused after ${refused.ms} ms, not at the 10 s timeout`);
  assert.equal(refused.logged.filter((l) => /certificate verify failed/.test(l)).length, 1, refused.logged.join('\n'));
});

test('a broker certificate for another host name is refused, with the reason', async () => {
  const { broker, topic } = await tlsCluster({ cert: certs.elsewhere });
  const refused = await refusal(broker, topic, { 'security.protocol': 'ssl', 'ssl.ca.pem': certs.ca.pem });
  assert.match(refused.message, /certificate verify failed|hostname/i);
  // Turning the check off (librdkafka's ssl.endpoint.identification.algorithm=none) lets it in.
  await roundTrip(broker, topic, { 'security.protocol': 'ssl', 'ssl.ca.pem': certs.ca.pem, 'ssl.endpoint.identification.algorithm': 'none' });
});

test('with no CA option, the system\'s CA certificates are used (OpenSSL is linked statically)', async () => {
  const { broker, topic } = await tlsCluster();
  const debug = [];
  const logger = { error() {}, warn() {}, info() {}, debug: (m) => debug.push(String(m)) };
  const producer = new kafka.Producer({ broker, logger, driver_options: { 'security.protocol': 'ssl', debug: 'security' } });
  const err = await producer.partition_count(topic).then(() => null, (e) => e);
  await producer.stop();
  assert.match(debug.join('\n'), /Setting default CA certificate location for kafka to "\/etc\/ssl\/certs/);
  // This run's private CA is not among them.
  assert.match(String(err?.message), /certificate verify failed/);
});

// librdkafka names a TLS broker `ssl://host:port/id` and starts its errors about it so: health()
// takes them as the broker's last error (it looked for `host:port/id`, and never matched).
test('health() of a TLS client whose broker goes away: down, with the error librdkafka gave for it', async () => {
  const { broker, topic, terminator } = await tlsCluster();
  const producer = new kafka.Producer({
    broker, statistics_interval_ms: 200, logger: quietLogger(), driver_options: { 'security.protocol': 'ssl', 'ssl.ca.pem': certs.ca.pem },
  });
  try {
    await producer.deliver(topic, 0, ['hello']);
    await waitFor('the broker up in health()', () => producer.health().brokers.some((b) => b.connection === 'UP'), WIDE);
    await terminator.close();
    await waitFor('the broker down in health(), with its error', () => producer.health().brokers[0]?.down && producer.health().brokers[0].last_error, WIDE);
    const health = producer.health();
    assert.equal(health.status, 'degraded');
    assert.match(health.brokers[0].last_error, new RegExp(`^ssl://${broker}/1: `));
    assert.match(health.reasons[0], new RegExp(`^broker ${broker} \\(id 1\\) is down: ssl://${broker}/1: `));
  } finally {
    await producer.stop();
  }
});
