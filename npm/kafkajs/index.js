'use strict';
// kafka-native-kafkajs: kafka-native/kafkajs as a package of its own, so that a project can put
// it where `kafkajs` is installed (npm overrides, pnpm overrides, yarn resolutions) and every
// framework's require('kafkajs') gets this engine. One instance: the same module as
// require('kafka-native/kafkajs').
module.exports = require('kafka-native/kafkajs');
