'use strict';
// kafka-native: the Producer/Consumer API of the original package, on a Rust core.
const { Producer } = require('./client/producer');
const { Consumer, notProcessed } = require('./client/consumer');
const { Admin } = require('./client/admin');
const { ShareConsumer } = require('./client/share-consumer');
const { MockCluster } = require('./client/mock-cluster');
const { librdkafkaVersion } = require('./native/index.js');
const { PRODUCER_DEFAULTS, CONSUMER_DEFAULTS } = require('./client/options');

// Loads prom-client (an optional peer) only when called without an OpenTelemetry Meter.
const { collectMetrics } = require('./observability/metrics');

module.exports = {
  Producer,
  Consumer,
  ShareConsumer,
  notProcessed,
  Admin,
  MockCluster,
  collectMetrics,
  librdkafkaVersion,
  PRODUCER_DEFAULTS,
  CONSUMER_DEFAULTS,
};
