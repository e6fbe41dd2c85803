'use strict';
// kafka-native: the Producer/Consumer API of the original package, on a Rust core.
const { Producer } = require('./producer');
const { Consumer, notProcessed } = require('./consumer');
const { Admin } = require('./admin');
const { MockCluster } = require('./mock-cluster');
const { librdkafkaVersion } = require('./native/index.js');
const { PRODUCER_DEFAULTS, CONSUMER_DEFAULTS } = require('./options');

// Loads prom-client (an optional peer) only when called without an OpenTelemetry Meter.
const { collectMetrics } = require('./metrics');

module.exports = { Producer, Consumer, notProcessed, Admin, MockCluster, collectMetrics, librdkafkaVersion, PRODUCER_DEFAULTS, CONSUMER_DEFAULTS };
