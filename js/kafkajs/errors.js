'use strict';
// KafkaJS's error classes, with its names, fields and retriable flags, and the translation of
// kafka-native's errors (err.code: librdkafka's error name) into them.
const { errorNames } = require('../native/index.js');

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
const named = (name, Base) =>
  ({
    [name]: class extends Base {
      constructor(...args) {
        super(...args);
        this.name = name;
      }
    },
  })[name];
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

// The rest of KafkaJS's exported classes, with its constructors' fields: this layer throws few of
// them (librdkafka handles what they describe), but code written for KafkaJS names them in
// `instanceof` checks, which would throw on undefined.
const KafkaJSPartialMessageError = named('KafkaJSPartialMessageError', KafkaJSNonRetriableError);
const KafkaJSUnsupportedMagicByteInMessageSet = named('KafkaJSUnsupportedMagicByteInMessageSet', KafkaJSNonRetriableError);
// KafkaJS names these two KafkaJSNonRetriableError.
const KafkaJSInvalidVarIntError = class KafkaJSInvalidVarIntError extends KafkaJSNonRetriableError {};
const KafkaJSInvalidLongError = class KafkaJSInvalidLongError extends KafkaJSNonRetriableError {};
class KafkaJSFetcherRebalanceError extends Error {}

class KafkaJSNoBrokerAvailableError extends KafkaJSError {
  constructor() {
    super('No broker available');
    this.name = 'KafkaJSNoBrokerAvailableError';
  }
}

class KafkaJSMemberIdRequired extends KafkaJSProtocolError {
  constructor(e, { memberId } = {}) {
    super(e);
    this.memberId = memberId;
    this.name = 'KafkaJSMemberIdRequired';
  }
}

class KafkaJSConnectionClosedError extends KafkaJSConnectionError {
  constructor(e, { host, port } = {}) {
    super(e, { broker: `${host}:${port}` });
    this.host = host;
    this.port = port;
    this.name = 'KafkaJSConnectionClosedError';
  }
}

class KafkaJSStaleTopicMetadataAssignment extends KafkaJSError {
  constructor(e, { topic, unknownPartitions } = {}) {
    super(e);
    this.topic = topic;
    this.unknownPartitions = unknownPartitions;
    this.name = 'KafkaJSStaleTopicMetadataAssignment';
  }
}

class KafkaJSServerDoesNotSupportApiKey extends KafkaJSNonRetriableError {
  constructor(e, { apiKey, apiName } = {}) {
    super(e);
    this.apiKey = apiKey;
    this.apiName = apiName;
    this.name = 'KafkaJSServerDoesNotSupportApiKey';
  }
}

class KafkaJSInvariantViolation extends KafkaJSNonRetriableError {
  constructor(e) {
    super(`Invariant violated: ${e && e.message ? e.message : e}. This is likely a bug and should be reported.`);
    this.name = 'KafkaJSInvariantViolation';
  }
}

class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  constructor(e, topicName) {
    super(e);
    this.topic = topicName;
    this.name = 'KafkaJSCreateTopicError';
  }
}

class KafkaJSAlterPartitionReassignmentsError extends KafkaJSProtocolError {
  constructor(e, topicName, partition) {
    super(e);
    this.topic = topicName;
    this.partition = partition;
    this.name = 'KafkaJSAlterPartitionReassignmentsError';
  }
}

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

// librdkafka's names for the few Kafka errors it names differently from Kafka (and KafkaJS).
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

// The names err.code can carry, from the core: librdkafka's table and the client's own.
const ERROR_NAMES = errorNames();

// Kafka's protocol errors by the names KafkaJS gives them (Kafka's own) and their codes:
// librdkafka's table of the broker's errors (its positive codes), renamed where it differs.
const KAFKA_ERROR_CODES = Object.fromEntries(
  ERROR_NAMES.librdkafka.filter(({ code }) => code > 0).map(({ name, code }) => [LIBRDKAFKA_NAMES[name] || name, code]),
);

// Kafka's error code for a librdkafka error name; -1 (UNKNOWN) for a local one.
const kafkaErrorCode = (name) => KAFKA_ERROR_CODES[LIBRDKAFKA_NAMES[name] || name] ?? -1;

// The protocol errors KafkaJS 2.2.4 calls retriable (its src/protocol/error.js), by its names:
// a KafkaJSProtocolError of one of them is `retriable`, whatever librdkafka's view of it.
const RETRIABLE_TYPES = new Set([
  'CORRUPT_MESSAGE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'REQUEST_TIMED_OUT',
  'REPLICA_NOT_AVAILABLE',
  'NETWORK_EXCEPTION',
  'GROUP_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'NOT_CONTROLLER',
  'KAFKA_STORAGE_ERROR',
  'FETCH_SESSION_ID_NOT_FOUND',
  'INVALID_FETCH_SESSION_EPOCH',
  'LISTENER_NOT_FOUND',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'OFFSET_NOT_AVAILABLE',
  'PREFERRED_LEADER_NOT_AVAILABLE',
  'ELIGIBLE_LEADERS_NOT_AVAILABLE',
  'ELECTION_NOT_NEEDED',
  'UNSTABLE_OFFSET_COMMIT',
]);

// kafka-native's own error names (not Kafka's): the core's, and the Node producer's QUEUE_FULL.
const CLIENT_CODES = [...ERROR_NAMES.client, 'QUEUE_FULL'];

// A kafka-native error as the KafkaJS error a KafkaJS user would catch for it; the original is
// its cause. Broker errors become KafkaJSProtocolError (type: Kafka's name, code: its number);
// librdkafka's local ones (names starting with _) the KafkaJS class for the same situation.
// An error KafkaJS throws as it is (a TypeError for a value it cannot write), passed through.
const AS_IS = Symbol('kafka-native/kafkajs error thrown as it is');
function asIs(err) {
  err[AS_IS] = true;
  return err;
}

function toKafkaJSError(err) {
  if (err instanceof KafkaJSError || (err && err[AS_IS])) return err;
  if (!err || typeof err.code !== 'string') {
    return new KafkaJSNonRetriableError(err instanceof Error ? err : new Error(String(err)), { cause: err });
  }
  const name = err.code;
  const retriable = err.retriable === true;
  if (!name.startsWith('_') && !CLIENT_CODES.includes(name)) {
    const type = LIBRDKAFKA_NAMES[name] || name;
    const asKafkaJS = retriable || RETRIABLE_TYPES.has(type);
    const e = new KafkaJSProtocolError(
      { message: err.message, type, code: KAFKA_ERROR_CODES[type], retriable: asKafkaJS },
      { retriable: asKafkaJS, cause: err },
    );
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
  return new KafkaJSNotImplemented(`kafka-native/kafkajs: ${what} is not supported: ${why} (see the migration table in docs/kafkajs.md)`);
}

const isRebalancing = (e) =>
  e.type === 'REBALANCE_IN_PROGRESS' || e.type === 'NOT_COORDINATOR_FOR_GROUP' || e.type === 'ILLEGAL_GENERATION';
const isKafkaJSError = (e) => e instanceof KafkaJSError;

module.exports = {
  asIs,
  KafkaJSPartialMessageError,
  KafkaJSUnsupportedMagicByteInMessageSet,
  KafkaJSInvalidVarIntError,
  KafkaJSInvalidLongError,
  KafkaJSFetcherRebalanceError,
  KafkaJSNoBrokerAvailableError,
  KafkaJSMemberIdRequired,
  KafkaJSConnectionClosedError,
  KafkaJSStaleTopicMetadataAssignment,
  KafkaJSServerDoesNotSupportApiKey,
  KafkaJSInvariantViolation,
  KafkaJSCreateTopicError,
  KafkaJSAlterPartitionReassignmentsError,
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
