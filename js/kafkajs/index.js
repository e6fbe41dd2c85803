'use strict';
// kafka-native/kafkajs: KafkaJS 2.2's API on kafka-native. A KafkaJS user changes
//   const { Kafka } = require('kafkajs')
// to
//   const { Kafka } = require('kafka-native/kafkajs')
// and keeps the rest. What librdkafka cannot do the KafkaJS way throws KafkaJSNotImplemented,
// naming it (the migration table in docs/kafkajs.md lists each).
const { kafkaConfig, logLevel } = require('./client');
const { Producer, CompressionTypes, CompressionCodecs } = require('./producer');
const { Consumer, PartitionAssigners } = require('./consumer');
const { AssignerProtocol } = require('./assigner-protocol');
const { Admin } = require('./admin');
const { Partitioners } = require('./partitioners');
const errors = require('./errors');

class Kafka {
  constructor(config) {
    this._config = kafkaConfig(config);
  }

  producer(config) {
    return new Producer(this, config);
  }

  consumer(config) {
    return new Consumer(this, config);
  }

  admin(config) {
    return new Admin(this, config);
  }

  logger() {
    return this._config.logger;
  }
}

const ConfigResourceTypes = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 };
const ConfigSource = { UNKNOWN: 0, TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, DYNAMIC_DEFAULT_BROKER_CONFIG: 3, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5, DYNAMIC_BROKER_LOGGER_CONFIG: 6 };

const {
  asIs, toKafkaJSError, kafkaJSErrors, notSupported, KAFKA_ERROR_CODES, kafkaErrorCode, isRebalancing, isKafkaJSError, ...errorClasses
} = errors;

module.exports = {
  Kafka,
  PartitionAssigners,
  AssignerProtocol,
  Partitioners,
  logLevel,
  CompressionTypes,
  CompressionCodecs,
  ConfigResourceTypes,
  ConfigSource,
  ...errorClasses,
};
