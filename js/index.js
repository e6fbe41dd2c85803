'use strict';
// kafka-native: the Producer/Consumer API of the original package, on a Rust core.
const { Producer } = require('./producer');
const { Consumer, notProcessed } = require('./consumer');
const { Admin } = require('./admin');
const { MockCluster } = require('./mock-cluster');
const { librdkafkaVersion } = require('./native/index.js');
const { PRODUCER_DEFAULTS, CONSUMER_DEFAULTS } = require('./options');

// Loaded when first called: it needs prom-client or an OpenTelemetry Meter, optional peers.
const collectMetrics = (client, options) => require('./metrics').collectMetrics(client, options);

module.exports = { Producer, Consumer, notProcessed, Admin, MockCluster, collectMetrics, librdkafkaVersion, PRODUCER_DEFAULTS, CONSUMER_DEFAULTS };
