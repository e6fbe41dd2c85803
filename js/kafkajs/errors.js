'use strict';
// KafkaJS's error classes, with its names, fields and retriable flags, and the translation of
// kafka-native's errors (err.code: librdkafka's error name) into them.

class KafkaJSError extends Error {
  constructor(e, { retriable = true, cause } = {}) {
    super(e && e.message ? e.message : e, cause ? { cause } : undefined);
    Error.captureStackTrace(this, this.constructor);
    this.name = 'KafkaJSError';
    this.retriable = retriable;
    this.helpUrl = e && e.helpUrl;
    this.cause = cause;
  }
}

class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(e, { cause } = {}) {
    super(e, { retriable: false, cause });
    this.name = 'KafkaJSNonRetriableError';
  }
}

class KafkaJSProtocolError extends KafkaJSError {
  constructor(e, { retriable = e.retriable, cause } = {}) {
    super(e, { retriable, cause });
    this.type = e.type;
    this.code = e.code;
    this.name = 'KafkaJSProtocolError';
  }
}

class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  constructor(e, { topic, partition } = {}) {
    super(e);
    this.topic = topic;
    this.partition = partition;
    this.name = 'KafkaJSOffsetOutOfRange';
  }
}

class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  constructor(e, { retryCount, retryTime } = {}) {
    super(e, { cause: e });
    this.stack = `${this.name}\n  Caused by: ${e && e.stack}`;
    this.retryCount = retryCount;
    this.retryTime = retryTime;
    this.name = 'KafkaJSNumberOfRetriesExceeded';
  }
}

class KafkaJSConnectionError extends KafkaJSError {
  constructor(e, { broker, code, cause } = {}) {
    super(e, { cause });
    this.broker = broker;
    this.code = code;
    this.name = 'KafkaJSConnectionError';
  }
}

class KafkaJSRequestTimeoutError extends KafkaJSError {
  constructor(e, { broker, cause } = {}) {
    super(e, { cause });
    this.broker = broker;
    this.name = 'KafkaJSRequestTimeoutError';
  }
}

// The classes that add nothing but their name (and whether a retry may help).
const named = (name, Base) => ({ [name]: class extends Base {
  constructor(...args) {
    super(...args);
    this.name = name;
  }
} })[name];
const KafkaJSMetadataNotLoaded = named('KafkaJSMetadataNotLoaded', KafkaJSError);
const KafkaJSTopicMetadataNotLoaded = named('KafkaJSTopicMetadataNotLoaded', KafkaJSMetadataNotLoaded);
const KafkaJSBrokerNotFound = named('KafkaJSBrokerNotFound', KafkaJSError);
const KafkaJSSASLAuthenticationError = named('KafkaJSSASLAuthenticationError', KafkaJSNonRetriableError);
const KafkaJSGroupCoordinatorNotFound = named('KafkaJSGroupCoordinatorNotFound', KafkaJSNonRetriableError);
const KafkaJSNotImplemented = named('KafkaJSNotImplemented', KafkaJSNonRetriableError);
const KafkaJSTimeout = named('KafkaJSTimeout', KafkaJSNonRetriableError);
const KafkaJSLockTimeout = named('KafkaJSLockTimeout', KafkaJSTimeout);
const KafkaJSAggregateError = class KafkaJSAggregateError extends Error {
  constructor(message, errors) {
    super(message);
    this.errors = errors;
    this.name = 'KafkaJSAggregateError';
  }
};

class KafkaJSDeleteGroupsError extends KafkaJSError {
  constructor(e, groups = []) {
    super(e);
    this.groups = groups;
    this.name = 'KafkaJSDeleteGroupsError';
  }
}

class KafkaJSDeleteTopicRecordsError extends KafkaJSError {
  constructor({ partitions }) {
    const retriable = partitions.filter(({ error }) => error != null).every(({ error }) => error.retriable === true);
    super('Error while deleting records', { retriable });
    this.name = 'KafkaJSDeleteTopicRecordsError';
    this.partitions = partitions;
  }
}

// Kafka's protocol errors: the names KafkaJS gives them (Kafka's own) and their codes.
const KAFKA_ERROR_CODES = Object.fromEntries(`
  OFFSET_OUT_OF_RANGE:1 CORRUPT_MESSAGE:2 UNKNOWN_TOPIC_OR_PARTITION:3 INVALID_FETCH_SIZE:4
  LEADER_NOT_AVAILABLE:5 NOT_LEADER_FOR_PARTITION:6 REQUEST_TIMED_OUT:7 BROKER_NOT_AVAILABLE:8
  REPLICA_NOT_AVAILABLE:9 MESSAGE_TOO_LARGE:10 STALE_CONTROLLER_EPOCH:11
  OFFSET_METADATA_TOO_LARGE:12 NETWORK_EXCEPTION:13 GROUP_LOAD_IN_PROGRESS:14
  GROUP_COORDINATOR_NOT_AVAILABLE:15 NOT_COORDINATOR_FOR_GROUP:16 INVALID_TOPIC_EXCEPTION:17
  RECORD_LIST_TOO_LARGE:18 NOT_ENOUGH_REPLICAS:19 NOT_ENOUGH_REPLICAS_AFTER_APPEND:20
  INVALID_REQUIRED_ACKS:21 ILLEGAL_GENERATION:22 INCONSISTENT_GROUP_PROTOCOL:23
  INVALID_GROUP_ID:24 UNKNOWN_MEMBER_ID:25 INVALID_SESSION_TIMEOUT:26 REBALANCE_IN_PROGRESS:27
  INVALID_COMMIT_OFFSET_SIZE:28 TOPIC_AUTHORIZATION_FAILED:29 GROUP_AUTHORIZATION_FAILED:30
  CLUSTER_AUTHORIZATION_FAILED:31 INVALID_TIMESTAMP:32 UNSUPPORTED_SASL_MECHANISM:33
  ILLEGAL_SASL_STATE:34 UNSUPPORTED_VERSION:35 TOPIC_ALREADY_EXISTS:36 INVALID_PARTITIONS:37
  INVALID_REPLICATION_FACTOR:38 INVALID_REPLICA_ASSIGNMENT:39 INVALID_CONFIG:40 NOT_CONTROLLER:41
  INVALID_REQUEST:42 UNSUPPORTED_FOR_MESSAGE_FORMAT:43 POLICY_VIOLATION:44
  OUT_OF_ORDER_SEQUENCE_NUMBER:45 DUPLICATE_SEQUENCE_NUMBER:46 INVALID_PRODUCER_EPOCH:47
  INVALID_TXN_STATE:48 INVALID_PRODUCER_ID_MAPPING:49 INVALID_TRANSACTION_TIMEOUT:50
  CONCURRENT_TRANSACTIONS:51 TRANSACTION_COORDINATOR_FENCED:52
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED:53 SECURITY_DISABLED:54 OPERATION_NOT_ATTEMPTED:55
  KAFKA_STORAGE_ERROR:56 LOG_DIR_NOT_FOUND:57 SASL_AUTHENTICATION_FAILED:58 UNKNOWN_PRODUCER_ID:59
  REASSIGNMENT_IN_PROGRESS:60 DELEGATION_TOKEN_AUTH_DISABLED:61 DELEGATION_TOKEN_NOT_FOUND:62
  DELEGATION_TOKEN_OWNER_MISMATCH:63 DELEGATION_TOKEN_REQUEST_NOT_ALLOWED:64
  DELEGATION_TOKEN_AUTHORIZATION_FAILED:65 DELEGATION_TOKEN_EXPIRED:66 INVALID_PRINCIPAL_TYPE:67
  NON_EMPTY_GROUP:68 GROUP_ID_NOT_FOUND:69 FETCH_SESSION_ID_NOT_FOUND:70
  INVALID_FETCH_SESSION_EPOCH:71 LISTENER_NOT_FOUND:72 TOPIC_DELETION_DISABLED:73
  FENCED_LEADER_EPOCH:74 UNKNOWN_LEADER_EPOCH:75 UNSUPPORTED_COMPRESSION_TYPE:76
  STALE_BROKER_EPOCH:77 OFFSET_NOT_AVAILABLE:78 MEMBER_ID_REQUIRED:79
  PREFERRED_LEADER_NOT_AVAILABLE:80 GROUP_MAX_SIZE_REACHED:81 FENCED_INSTANCE_ID:82
  ELIGIBLE_LEADERS_NOT_AVAILABLE:83 ELECTION_NOT_NEEDED:84 NO_REASSIGNMENT_IN_PROGRESS:85
  GROUP_SUBSCRIBED_TO_TOPIC:86 INVALID_RECORD:87 UNSTABLE_OFFSET_COMMIT:88
`.trim().split(/\s+/).map((entry) => {
  const [type, code] = entry.split(':');
  return [type, Number(code)];
}));
// librdkafka's names for the few Kafka errors it names differently.
const LIBRDKAFKA_NAMES = {
  INVALID_MSG: 'CORRUPT_MESSAGE',
  UNKNOWN_TOPIC_OR_PART: 'UNKNOWN_TOPIC_OR_PARTITION',
  INVALID_MSG_SIZE: 'INVALID_FETCH_SIZE',
  MSG_SIZE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  STALE_CTRL_EPOCH: 'STALE_CONTROLLER_EPOCH',
  COORDINATOR_LOAD_IN_PROGRESS: 'GROUP_LOAD_IN_PROGRESS',
  COORDINATOR_NOT_AVAILABLE: 'GROUP_COORDINATOR_NOT_AVAILABLE',
  NOT_COORDINATOR: 'NOT_COORDINATOR_FOR_GROUP',
  TOPIC_EXCEPTION: 'INVALID_TOPIC_EXCEPTION',
};

// Kafka's error code for a librdkafka error name; -1 (UNKNOWN) for a local one.
const kafkaErrorCode = (name) => KAFKA_ERROR_CODES[LIBRDKAFKA_NAMES[name] || name] ?? -1;

// kafka-native's own error names (not Kafka's): see KafkaError::code_name in the core.
const CLIENT_CODES = ['CLIENT_CREATION', 'STOP_TIMED_OUT', 'UNDELIVERED', 'SETTLE_TIMED_OUT', 'IO', 'OFFSET_DIRECTORY',
  'CORRUPT_OFFSET_FILE', 'OFFSETS_NOT_STORED', 'STOPPED', 'QUEUE_FULL'];

// A kafka-native error as the KafkaJS error a KafkaJS user would catch for it; the original is
// its cause. Broker errors become KafkaJSProtocolError (type: Kafka's name, code: its number);
// librdkafka's local ones (names starting with _) the KafkaJS class for the same situation.
function toKafkaJSError(err) {
  if (err instanceof KafkaJSError) return err;
  if (!err || typeof err.code !== 'string') {
    return new KafkaJSNonRetriableError(err instanceof Error ? err : new Error(String(err)), { cause: err });
  }
  const name = err.code;
  const retriable = err.retriable === true;
  if (!name.startsWith('_') && !CLIENT_CODES.includes(name)) {
    const type = LIBRDKAFKA_NAMES[name] || name;
    const e = new KafkaJSProtocolError({ message: err.message, type, code: KAFKA_ERROR_CODES[type], retriable }, { retriable, cause: err });
    if (type === 'OFFSET_OUT_OF_RANGE') Object.setPrototypeOf(e, KafkaJSOffsetOutOfRange.prototype).name = 'KafkaJSOffsetOutOfRange';
    return e;
  }
  switch (name) {
    case '_TRANSPORT':
    case '_ALL_BROKERS_DOWN':
    case '_RESOLVE':
      return new KafkaJSConnectionError(err.message, { code: name, cause: err });
    case '_TIMED_OUT':
    case '_MSG_TIMED_OUT':
      return new KafkaJSRequestTimeoutError(err.message, { cause: err });
    case '_AUTHENTICATION':
    case '_SSL':
      return new KafkaJSSASLAuthenticationError(err.message, { cause: err });
    case '_INVALID_ARG':
    case '_INVALID_TYPE':
    case '_STATE':
    case '_FENCED':
    case '_FATAL':
    case 'STOPPED':
      return new KafkaJSNonRetriableError(err.message, { cause: err });
    case '_NOT_IMPLEMENTED':
    case '_UNSUPPORTED_FEATURE':
      return new KafkaJSNotImplemented(err.message, { cause: err });
    default:
      return new KafkaJSError(err.message, { retriable, cause: err });
  }
}

// Runs fn (sync or async) and rethrows what it throws as a KafkaJS error.
async function kafkaJSErrors(fn) {
  try {
    return await fn();
  } catch (err) {
    throw toKafkaJSError(err);
  }
}

// What this package cannot do the KafkaJS way: a clear error, never a silent difference.
function notSupported(what, why) {
  return new KafkaJSNotImplemented(`kafka-native/kafkajs: ${what} is not supported: ${why} (see the README's KafkaJS migration table)`);
}

const isRebalancing = (e) => e.type === 'REBALANCE_IN_PROGRESS' || e.type === 'NOT_COORDINATOR_FOR_GROUP' || e.type === 'ILLEGAL_GENERATION';
const isKafkaJSError = (e) => e instanceof KafkaJSError;

module.exports = {
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
  KAFKA_ERROR_CODES,
  kafkaErrorCode,
  toKafkaJSError,
  kafkaJSErrors,
  notSupported,
  isRebalancing,
  isKafkaJSError,
};
