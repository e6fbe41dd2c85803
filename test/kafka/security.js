'use strict';
// The secured Apache Kafka cluster the test/kafka/ files share: the one `npm test` started
// (its listeners and certificate files in KAFKA_TEST_CLUSTER), or, when a file runs on its own
// (`node --test test/kafka/sasl.test.js`), a one-node cluster of its own, started here and
// killed when the file's process exits. Either has listeners PLAINTEXT, SSL, MTLS (client
// certificate required), SASL_PLAINTEXT and SASL_SSL, and the users below for PLAIN and SCRAM.
const fs = require('node:fs');

// test/testtest is KafkaJS's examples' user (test/frameworks.test.js runs them unchanged).
const KAFKA_USERS = { alice: 'alice-secret', bob: 'bob-secret', test: 'testtest' };

let shared;

// → {listeners: {PLAINTEXT, SSL, MTLS, SASL_PLAINTEXT, SASL_SSL}, ca: {path, pem},
//    otherCa: {path, pem}, client: {cert, key, certPath, keyPath}}
function securedKafka() {
  shared ??= (async () => {
    if (process.env.KAFKA_TEST_CLUSTER) {
      const c = JSON.parse(process.env.KAFKA_TEST_CLUSTER);
      const read = (p) => fs.readFileSync(p, 'utf8');
      return {
        listeners: c.listeners,
        ca: { path: c.ca, pem: read(c.ca) },
        otherCa: { path: c.otherCa, pem: read(c.otherCa) },
        client: { cert: read(c.client.cert), key: read(c.client.key), certPath: c.client.cert, keyPath: c.client.key },
      };
    }
    const { startKafka } = require('../../js/dev-cluster/cluster.js');
    const { makeCerts } = require('../tls/certs.js');
    const certs = makeCerts();
    const cluster = await startKafka({ tls: { cert: certs.broker.cert, key: certs.broker.key, ca: certs.ca.pem }, users: KAFKA_USERS });
    process.once('exit', () => certs.remove()); // the cluster goes with this process
    return { listeners: cluster.listeners, ca: certs.ca, otherCa: certs.otherCa, client: certs.client };
  })();
  return shared;
}

module.exports = { KAFKA_USERS, securedKafka };
