'use strict';
// kafka-native: the Producer/Consumer API of the original package, on a Rust core.
const { Producer } = require('./producer');
const { Consumer, notProcessed } = require('./consumer');
const { Admin } = require('./admin');
const { MockCluster } = require('./mock-cluster');
const { librdkafkaVersion } = require('./native/index.js');
const { PRODUCER_DEFAULTS, CONSUMER_DEFAULTS } = require('./options');

module.exports = { Producer, Consumer, notProcessed, Admin, MockCluster, librdkafkaVersion, PRODUCER_DEFAULTS, CONSUMER_DEFAULTS };
