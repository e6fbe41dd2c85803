// ESM entry of kafka-native/kafkajs: the CommonJS module's own exports, named (one instance
// of the module whether it is imported or required).
import cjs from '../kafkajs/index.js';

export const {
  Kafka,
  PartitionAssigners,
  AssignerProtocol,
  Partitioners,
  logLevel,
  CompressionTypes,
  CompressionCodecs,
  ConfigResourceTypes,
  ConfigSource,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSOffsetOutOfRange,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSConnectionError,
  KafkaJSRequestTimeoutError,
  KafkaJSMetadataNotLoaded,
  KafkaJSTopicMetadataNotLoaded,
  KafkaJSBrokerNotFound,
  KafkaJSSASLAuthenticationError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNotImplemented,
  KafkaJSTimeout,
  KafkaJSLockTimeout,
  KafkaJSAggregateError,
  KafkaJSDeleteGroupsError,
  KafkaJSDeleteTopicRecordsError,
} = cjs;
export default cjs;
