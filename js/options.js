'use strict';
// Defaults and validation for kafka-native's options, in one visible place.
// Every error names the option or argument it is about.

const PRODUCER_DEFAULTS = Object.freeze({
  statistics_interval_ms: 5000,
  queue_buffering_max_messages: 500000,
  queue_buffering_max_ms: 250,
});

const CONSUMER_DEFAULTS = Object.freeze({
  offset_directory: './kafka-offsets',
  start_offset: 'earliest',
  max_messages_per_callback: 10000,
  statistics_interval_ms: 5000,
  queued_max_messages_kbytes: 1000000,
  fetch_wait_max_ms: 100,
  num_workers: 1,
  worker_slot: 0,
  payload_encoding: 'utf8',
});

const STOP_TIMEOUT_MS = 15000;
const PARTITION_COUNT_TIMEOUT_MS = 10000;

function fail(name, expectation, value) {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new TypeError(`kafka-native: ${name} must be ${expectation}, got ${shown}`);
}

function requireObject(options, what) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw fail(`${what} options`, 'an object', options);
  }
}

function string(options, name, { required = false, fallback } = {}) {
  const value = options[name];
  if (value === undefined || value === null) {
    if (required) throw new TypeError(`kafka-native: option ${name} is required`);
    return fallback;
  }
  if (typeof value !== 'string' || value.length === 0) throw fail(`option ${name}`, 'a non-empty string', value);
  return value;
}

function integer(options, name, { fallback, min = 0, max = 2 ** 31 - 1 }) {
  const value = options[name];
  if (value === undefined || value === null) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw fail(`option ${name}`, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

// Where a partition without a recorded offset starts: 'earliest', 'latest' or an offset >= 0.
// Crosses to the addon as a string; the core parses it.
function startOffset(options) {
  const value = options.start_offset ?? CONSUMER_DEFAULTS.start_offset;
  if (value === 'earliest' || value === 'latest') return value;
  if (Number.isSafeInteger(value) && value >= 0) return String(value);
  throw fail('option start_offset', '"earliest", "latest" or an integer offset >= 0', value);
}

// A directory path, or null for none (no offsets recorded); undefined gives the default.
function offsetDirectory(options) {
  if (options.offset_directory === null) return undefined;
  return string(options, 'offset_directory', { fallback: CONSUMER_DEFAULTS.offset_directory });
}

function callback(options, name, { required = false } = {}) {
  const value = options[name];
  if (value === undefined || value === null) {
    if (required) throw new TypeError(`kafka-native: option ${name} is required`);
    return undefined;
  }
  if (typeof value !== 'function') throw fail(`option ${name}`, 'a function', value);
  return value;
}

// librdkafka properties: an object of string, number or boolean values, passed on as strings.
function properties(options, name) {
  const value = options[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw fail(`option ${name}`, 'an object', value);
  const out = {};
  for (const [key, v] of Object.entries(value)) {
    if (!['string', 'number', 'boolean'].includes(typeof v)) {
      throw fail(`option ${name}[${JSON.stringify(key)}]`, 'a string, number or boolean', v);
    }
    out[key] = String(v);
  }
  return out;
}

// The logger: console by default; librdkafka levels map to error/warn/info/debug.
function logger(options) {
  const value = options.logger;
  if (value === undefined || value === null) return console;
  if (typeof value !== 'object' && typeof value !== 'function') throw fail('option logger', 'an object with error/warn/info methods', value);
  for (const method of ['error', 'warn', 'info']) {
    if (typeof value[method] !== 'function') throw fail(`option logger.${method}`, 'a function', value[method]);
  }
  return value;
}

function logTo(log) {
  return (entry) => {
    const line = `kafka-native [${entry.facility}] ${entry.message}`;
    if (entry.level <= 3) log.error(line);
    else if (entry.level === 4) log.warn(line);
    else if (entry.level <= 6) log.info(line);
    else (log.debug || log.info).call(log, line);
  };
}

function producerOptions(options) {
  requireObject(options, 'Producer');
  return {
    native: {
      brokers: string(options, 'broker', { required: true }),
      statisticsIntervalMs: integer(options, 'statistics_interval_ms', { fallback: PRODUCER_DEFAULTS.statistics_interval_ms }),
      queueBufferingMaxMessages: integer(options, 'queue_buffering_max_messages', { fallback: PRODUCER_DEFAULTS.queue_buffering_max_messages, min: 1 }),
      queueBufferingMaxMs: integer(options, 'queue_buffering_max_ms', { fallback: PRODUCER_DEFAULTS.queue_buffering_max_ms }),
      driverOptions: properties(options, 'driver_options'),
      topicOptions: properties(options, 'topic_options'),
    },
    stats_callback: callback(options, 'stats_callback'),
    delivery_report_callback: callback(options, 'delivery_report_callback'),
    logger: logger(options),
  };
}

function consumerOptions(options) {
  requireObject(options, 'Consumer');
  const num_workers = integer(options, 'num_workers', { fallback: CONSUMER_DEFAULTS.num_workers, min: 1 });
  const worker_slot = integer(options, 'worker_slot', { fallback: CONSUMER_DEFAULTS.worker_slot });
  if (worker_slot >= num_workers) {
    throw new RangeError(`kafka-native: option worker_slot must be less than num_workers (${num_workers}), got ${worker_slot}`);
  }
  const payload_encoding = options.payload_encoding ?? CONSUMER_DEFAULTS.payload_encoding;
  if (payload_encoding !== 'utf8' && payload_encoding !== 'buffer') {
    throw fail('option payload_encoding', '"utf8" or "buffer"', payload_encoding);
  }
  return {
    native: {
      brokers: string(options, 'broker', { required: true }),
      topic: string(options, 'topic', { required: true }),
      offsetDirectory: offsetDirectory(options),
      startOffset: startOffset(options),
      maxMessagesPerCallback: integer(options, 'max_messages_per_callback', { fallback: CONSUMER_DEFAULTS.max_messages_per_callback, min: 1 }),
      statisticsIntervalMs: integer(options, 'statistics_interval_ms', { fallback: CONSUMER_DEFAULTS.statistics_interval_ms }),
      queuedMaxMessagesKbytes: integer(options, 'queued_max_messages_kbytes', { fallback: CONSUMER_DEFAULTS.queued_max_messages_kbytes, min: 1 }),
      fetchWaitMaxMs: integer(options, 'fetch_wait_max_ms', { fallback: CONSUMER_DEFAULTS.fetch_wait_max_ms, max: 300000 }),
      numWorkers: num_workers,
      workerSlot: worker_slot,
      payloadAsBuffer: payload_encoding === 'buffer',
      driverOptions: properties(options, 'driver_options'),
      topicOptions: properties(options, 'topic_options'),
    },
    receive_callback: callback(options, 'receive_callback', { required: true }),
    stats_callback: callback(options, 'stats_callback'),
    logger: logger(options),
  };
}

module.exports = {
  PRODUCER_DEFAULTS, CONSUMER_DEFAULTS, STOP_TIMEOUT_MS, PARTITION_COUNT_TIMEOUT_MS,
  producerOptions, consumerOptions, logTo, fail,
};
