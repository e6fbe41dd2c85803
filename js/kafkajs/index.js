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
// KafkaJS's ACL enums (Kafka's numbering), for code that names them; the ACL admin calls are not
// offered yet (they throw KafkaJSNotImplemented).
const AclResourceTypes = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6 };
const AclOperationTypes = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
};
const AclPermissionTypes = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 };
const ResourcePatternTypes = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 };
const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
};

const {
  asIs,
  toKafkaJSError,
  kafkaJSErrors,
  notSupported,
  KAFKA_ERROR_CODES,
  kafkaErrorCode,
  isRebalancing,
  isKafkaJSError,
  ...errorClasses
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
  AclResourceTypes,
  AclOperationTypes,
  AclPermissionTypes,
  ResourcePatternTypes,
  ...errorClasses,
};
