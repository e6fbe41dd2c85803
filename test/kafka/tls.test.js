'use strict';
// TLS and mutual TLS against Apache Kafka's own SSL listeners (Java's TLS, a PEM key store made
// for this run; test/kafka/security.js): SSL checks the broker's certificate and host name
// against a private CA; MTLS also requires a client certificate that CA signed.
const test = require('node:test');
const assert = require('node:assert/strict');
const { refusal, roundTrip } = require('../helpers');
const { securedKafka } = require('./security.js');

const QUICK = 8000; // well under the 10 s a request waits for a broker that does not answer
let cluster;

test.before(async () => { cluster = await securedKafka(); });

test('produce and consume over TLS, the broker\'s certificate and host name checked, with the CA as PEM or as a file', async () => {
  const topic = `tls-${process.pid}`;
  await roundTrip(cluster.listeners.SSL, topic, { 'security.protocol': 'ssl', 'ssl.ca.pem': cluster.ca.pem });
  await roundTrip(cluster.listeners.SSL, topic, { 'security.protocol': 'ssl', 'ssl.ca.location': cluster.ca.path });
});

test('mutual TLS: a client certificate as PEM strings or as files gets in; none is refused at once', async () => {
  const topic = `mtls-${process.pid}`;
  await roundTrip(cluster.listeners.MTLS, topic, {
    'security.protocol': 'ssl', 'ssl.ca.pem': cluster.ca.pem, 'ssl.certificate.pem': cluster.client.cert, 'ssl.key.pem': cluster.client.key,
  });
  await roundTrip(cluster.listeners.MTLS, topic, {
    'security.protocol': 'ssl', 'ssl.ca.location': cluster.ca.path, 'ssl.certificate.location': cluster.client.certPath, 'ssl.key.location': cluster.client.keyPath,
  });
  const refused = await refusal(cluster.listeners.MTLS, topic, { 'security.protocol': 'ssl', 'ssl.ca.pem': cluster.ca.pem });
  // Java's TLS answers with a bad_certificate alert (Node's, in test/tls.test.js, certificate_required).
  assert.match(refused.message, /alert bad certificate/);
  assert.ok(refused.ms < QUICK, `refused after ${refused.ms} ms, not at the 10 s timeout: ${refused.message}`);
});

test('a broker certificate from another CA is refused at once, with the reason, logged once', async () => {
  const refused = await refusal(cluster.listeners.SSL, 'tls-refused', { 'security.protocol': 'ssl', 'ssl.ca.pem': cluster.otherCa.pem });
  assert.match(refused.message, /certificate verify failed/);
  assert.ok(refused.ms < QUICK, `refused after ${refused.ms} ms, not at the 10 s timeout`);
  assert.equal(refused.logged.filter((l) => /certificate verify failed/.test(l)).length, 1, refused.logged.join('\n'));
});
