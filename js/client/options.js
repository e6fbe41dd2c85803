'use strict';
// kafka-native's options on their way to the addon. Who checks what:
//   - here: JS types (a string, an integer the addon can take, a function), option names
//     (an unknown one is an error naming the nearest known one), and options given twice
//     (a typed option and the librdkafka property it sets, both by the user);
//   - the core (crates/kafka-native): every default and every check of a value's meaning
//     (ranges, topic names, num_workers against worker_slot, librdkafka's own properties).
// A missing option is passed on as undefined, so the core's default applies. Every error names
// the option or argument it is about.
const { channels } = require('../observability/diagnostics');
const native = require('../native/index.js');
const { fail } = require('./argument-error');

// The core's defaults, timeouts and option properties, for reading (the addon fills them in;
// nothing here repeats them).
const PRODUCER_DEFAULTS = Object.freeze(native.producerDefaults());
const CONSUMER_DEFAULTS = Object.freeze(native.consumerDefaults());
const TIMEOUTS = Object.freeze(native.timeoutDefaults());
const OPTION_PROPERTIES = native.optionProperties();
const U32_MAX = 2 ** 32 - 1;

// Levenshtein distance, for "did you mean".
function distance(a, b) {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

// Whether `short`'s characters appear in `long` in order (queue_buffering_max_msgs in
// queue_buffering_max_messages, offset_dir in offset_directory).
function abbreviates(short, long) {
  let i = 0;
  for (const c of long) if (c === short[i]) i++;
  return i === short.length;
}

// The known name meant: one the name abbreviates, else the closest by edit distance.
function nearest(name, known) {
  const byDistance = (names) => names.map((k) => ({ k, d: distance(name, k) })).sort((a, b) => a.d - b.d)[0];
  const abbreviated = byDistance(known.filter((k) => abbreviates(name, k)));
  if (abbreviated) return abbreviated.k;
  const best = byDistance(known);
  return best && best.d <= Math.max(3, Math.floor(name.length / 3)) ? best.k : undefined;
}

function checkNames(options, what, known) {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const guess = nearest(key, known);
    throw new TypeError(`kafka-native: unknown ${what} option ${key}${guess ? ` (did you mean ${guess}?)` : ''}`);
  }
}

function requireObject(options, what) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw fail(`${what} options`, 'an object', options);
  }
}

function string(options, name, { required = false } = {}) {
  const value = options[name];
  if (value === undefined || value === null) {
    if (required) throw new TypeError(`kafka-native: option ${name} is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw fail(`option ${name}`, 'a string', value);
  return value;
}

// An integer the addon can take (u32 or i32); what range makes sense is the core's to say.
function integer(options, name, { signed = false } = {}) {
  const value = options[name];
  if (value === undefined || value === null) return undefined;
  const [min, max] = signed ? [-(2 ** 31), 2 ** 31 - 1] : [0, U32_MAX];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw fail(`option ${name}`, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

function boolean(options, name) {
  const value = options[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw fail(`option ${name}`, 'true or false', value);
  return value;
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

// A typed option and a librdkafka property it sets (the core's table), both given: which
// should win is unclear.
function checkTwice(options, table) {
  const driver = options.driver_options || {};
  for (const [option, keys] of Object.entries(table)) {
    if (options[option] === undefined) continue;
    const key = keys.find((k) => Object.hasOwn(driver, k));
    if (key) throw new TypeError(`kafka-native: option ${option} and driver_options[${JSON.stringify(key)}] set the same thing; give one`);
  }
}

// The logger: console by default, less its debug lines (librdkafka's retries that recover by
// themselves, a connection failure's line beside the error that reports it): console.debug
// prints as console.log does. A logger that throws falls back to console.error, so a broken
// logger never takes the client down.
const CONSOLE = Object.freeze({
  error: (line) => console.error(line),
  warn: (line) => console.warn(line),
  info: (line) => console.info(line),
  debug() {},
});

function logger(options) {
  const value = options.logger;
  if (value === undefined || value === null) return CONSOLE;
  if (typeof value !== 'object' && typeof value !== 'function')
    throw fail('option logger', 'an object with error/warn/info methods', value);
  for (const method of ['error', 'warn', 'info']) {
    if (typeof value[method] !== 'function') throw fail(`option logger.${method}`, 'a function', value[method]);
  }
  const safe = {};
  for (const method of ['error', 'warn', 'info', 'debug']) {
    const fn = value[method] || value.info;
    safe[method] = (line) => {
      try {
        fn.call(value, line);
      } catch (err) {
        console.error(`kafka-native: logger.${method} threw (${err && err.message}); the line was: ${line}`);
      }
    };
  }
  return safe;
}

// librdkafka's log lines and client errors, to the logger method the core names for each; an
// error also to the kafka-native:error channel, with the client it came from (`client()`).
// `null` marks where a stop() settles, behind the lines before it: nothing to log.
function logTo(log, client) {
  return (entry) => {
    if (entry == null) return;
    const line = `kafka-native [${entry.facility}] ${entry.message}`;
    log[entry.severity](line);
    if (entry.severity === 'error' && channels.error.hasSubscribers) {
      channels.error.publish({ client: client(), error: Object.assign(new Error(line), { facility: entry.facility }) });
    }
  };
}

// A user callback that may throw or return a rejected Promise: either is logged through
// logger.error and the client carries on.
function guarded(name, fn, log) {
  if (!fn) return undefined;
  const report = (err) => log.error(`kafka-native: ${name} threw; the client carries on: ${err && err.stack ? err.stack : err}`);
  return (...args) => {
    try {
      const result = fn(...args);
      if (result && typeof result.then === 'function') result.then(undefined, report);
    } catch (err) {
      report(err);
    }
  };
}

// An Error from a Kafka error the addon described ({message, code, retriable, fatal, abortable}).
const kafkaError = (e) =>
  Object.assign(new Error(e.message), { code: e.code, retriable: e.retriable, fatal: e.fatal, abortable: e.abortable });

// Calls into the addon; the core's errors about options or arguments get the package's prefix.
function fromNative(call) {
  try {
    return call();
  } catch (err) {
    if (err && err.code === '_INVALID_ARG' && !err.message.startsWith('kafka-native:')) err.message = `kafka-native: ${err.message}`;
    throw err;
  }
}

const PRODUCER_OPTIONS = [
  'broker',
  'stats_callback',
  'delivery_report_callback',
  'statistics_interval_ms',
  'queue_buffering_max_messages',
  'queue_buffering_max_kbytes',
  'queue_buffering_max_ms',
  'compression_codec',
  'driver_options',
  'topic_options',
  'logger',
  'oauthbearer_token_callback',
  'enable_idempotence',
  'transactional_id',
  'transaction_timeout_ms',
];

function producerOptions(options) {
  requireObject(options, 'Producer');
  checkNames(options, 'Producer', PRODUCER_OPTIONS);
  checkTwice(options, OPTION_PROPERTIES.producer);
  const log = logger(options);
  return {
    native: {
      brokers: string(options, 'broker', { required: true }),
      enableIdempotence: boolean(options, 'enable_idempotence'),
      transactionalId: string(options, 'transactional_id'),
      transactionTimeoutMs: integer(options, 'transaction_timeout_ms'),
      statisticsIntervalMs: integer(options, 'statistics_interval_ms'),
      queueBufferingMaxMessages: integer(options, 'queue_buffering_max_messages'),
      queueBufferingMaxKbytes: integer(options, 'queue_buffering_max_kbytes'),
      queueBufferingMaxMs: integer(options, 'queue_buffering_max_ms'),
      compressionCodec: string(options, 'compression_codec'),
      driverOptions: properties(options, 'driver_options'),
      topicOptions: properties(options, 'topic_options'),
    },
    stats_callback: guarded('stats_callback', callback(options, 'stats_callback'), log),
    delivery_report_callback: guarded('delivery_report_callback', callback(options, 'delivery_report_callback'), log),
    oauthbearer_token_callback: callback(options, 'oauthbearer_token_callback'),
    logger: log,
  };
}

const CONSUMER_OPTIONS = [
  'broker',
  'topic',
  'receive_callback',
  'offset_directory',
  'start_offset',
  'stats_callback',
  'max_messages_per_callback',
  'statistics_interval_ms',
  'queued_max_messages_kbytes',
  'fetch_wait_max_ms',
  'num_workers',
  'worker_slot',
  'payload_encoding',
  'driver_options',
  'topic_options',
  'logger',
  'group_id',
  'group_protocol',
  'rebalance_callback',
  'oauthbearer_token_callback',
  'isolation_level',
  'auto_commit',
  'max_deliveries',
  'dead_letter_topic',
  'stuck_after_ms',
];

// A topic name, or (for a consumer group) an array of them.
function topics(options) {
  const value = options.topic;
  if (value === undefined || value === null) throw new TypeError('kafka-native: option topic is required');
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((t) => typeof t === 'string')) return value;
  throw fail('option topic', 'a topic name or (with group_id) an array of them', value);
}

// 'earliest', 'latest' or an offset: crosses as a string the core parses (and judges).
function startOffset(options) {
  const value = options.start_offset;
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Number.isSafeInteger(value)) return String(value);
  throw fail('option start_offset', '"earliest", "latest" or an integer offset >= 0', value);
}

function consumerOptions(options) {
  requireObject(options, 'Consumer');
  checkNames(options, 'Consumer', CONSUMER_OPTIONS);
  checkTwice(options, OPTION_PROPERTIES.consumer);
  const payload_encoding = options.payload_encoding ?? 'utf8';
  if (payload_encoding !== 'utf8' && payload_encoding !== 'buffer') {
    throw fail('option payload_encoding', '"utf8" or "buffer"', payload_encoding);
  }
  const log = logger(options);
  const inGroup = options.group_id !== undefined && options.group_id !== null;
  if (options.group_protocol !== undefined && !inGroup) {
    throw new TypeError('kafka-native: option group_protocol needs group_id: without a consumer group there is no group protocol');
  }
  const receive_callback = callback(options, 'receive_callback');
  const { max_deliveries, dead_letter_topic } = poisonOptions(options, topics(options));
  if (max_deliveries !== undefined && !receive_callback) {
    throw new TypeError(
      'kafka-native: option max_deliveries needs receive_callback: it retries the batches receive_callback fails (a for await loop that throws leaves instead)',
    );
  }
  return {
    native: {
      brokers: string(options, 'broker', { required: true }),
      topics: topics(options),
      groupId: string(options, 'group_id'),
      groupProtocol: string(options, 'group_protocol'),
      isolationLevel: string(options, 'isolation_level'),
      offsetDirectory: string(options, 'offset_directory'),
      withoutOffsetDirectory: options.offset_directory === null,
      autoCommit: boolean(options, 'auto_commit'),
      startOffset: startOffset(options),
      maxMessagesPerCallback: integer(options, 'max_messages_per_callback'),
      statisticsIntervalMs: integer(options, 'statistics_interval_ms'),
      queuedMaxMessagesKbytes: integer(options, 'queued_max_messages_kbytes'),
      fetchWaitMaxMs: integer(options, 'fetch_wait_max_ms'),
      numWorkers: integer(options, 'num_workers', { signed: true }),
      workerSlot: integer(options, 'worker_slot', { signed: true }),
      stuckAfterMs: integer(options, 'stuck_after_ms'),
      // Dead letters are written from the bytes read (decodeKeepingBytes makes the text).
      payloadAsBuffer: payload_encoding === 'buffer' || dead_letter_topic !== undefined,
      driverOptions: properties(options, 'driver_options'),
      topicOptions: properties(options, 'topic_options'),
    },
    // Optional: a Consumer without one is read with batches(), messages() or readable().
    receive_callback,
    // The addon hands Buffers that the application reads as text (see payloadAsBuffer).
    decode_text: payload_encoding === 'utf8' && dead_letter_topic !== undefined,
    max_deliveries,
    dead_letter_topic,
    stats_callback: guarded('stats_callback', callback(options, 'stats_callback'), log),
    rebalance_callback: guarded('rebalance_callback', callback(options, 'rebalance_callback'), log),
    oauthbearer_token_callback: callback(options, 'oauthbearer_token_callback'),
    in_group: inGroup,
    logger: log,
  };
}

const SHARE_CONSUMER_OPTIONS = [
  'broker',
  'group_id',
  'topic',
  'receive_callback',
  'acknowledgement_mode',
  'max_records',
  'acquire_mode',
  'renew_locks',
  'stop_timeout_ms',
  'join_timeout_ms',
  'poll_wait_ms',
  'payload_encoding',
  'max_deliveries',
  'dead_letter_topic',
  'acknowledgement_commit_callback',
  'driver_options',
  'logger',
];

// max_deliveries and dead_letter_topic: how often a record (a ShareConsumer's) or a batch (a
// Consumer's) is tried before it goes to the dead-letter topic, or is given up on.
// `sources`: the topics read, which the dead letters must not go back to.
function poisonOptions(options, sources) {
  const max_deliveries = integer(options, 'max_deliveries');
  if (max_deliveries === 0) throw fail('option max_deliveries', 'an integer of 1 or more', max_deliveries);
  const dead_letter_topic = string(options, 'dead_letter_topic');
  if (dead_letter_topic !== undefined && max_deliveries === undefined) {
    throw new TypeError(
      'kafka-native: option dead_letter_topic needs max_deliveries: it says after how many deliveries a record goes there',
    );
  }
  if (dead_letter_topic !== undefined) {
    // Kafka's own rule for a topic name (the core applies it to the topics read).
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(dead_letter_topic) || dead_letter_topic === '.' || dead_letter_topic === '..') {
      throw fail('option dead_letter_topic', "a topic name: 1 to 249 of a-z, A-Z, 0-9, '.', '_', '-' (not '.' or '..')", dead_letter_topic);
    }
    if (sources.includes(dead_letter_topic)) {
      throw new TypeError(
        `kafka-native: option dead_letter_topic must not be a topic read (${dead_letter_topic}): its records would be read again`,
      );
    }
  }
  return { max_deliveries, dead_letter_topic };
}

function shareConsumerOptions(options) {
  requireObject(options, 'ShareConsumer');
  checkNames(options, 'ShareConsumer', SHARE_CONSUMER_OPTIONS);
  const payload_encoding = options.payload_encoding ?? 'utf8';
  if (payload_encoding !== 'utf8' && payload_encoding !== 'buffer') {
    throw fail('option payload_encoding', '"utf8" or "buffer"', payload_encoding);
  }
  const { max_deliveries, dead_letter_topic } = poisonOptions(options, topics(options));
  if (max_deliveries !== undefined && options.acknowledgement_mode === 'implicit') {
    throw new TypeError(
      "kafka-native: option max_deliveries needs acknowledgement_mode 'explicit': in implicit mode a record past it cannot be rejected (each batch is accepted whole)",
    );
  }
  const driver_options = properties(options, 'driver_options');
  const log = logger(options);
  return {
    native: {
      brokers: string(options, 'broker', { required: true }),
      groupId: string(options, 'group_id', { required: true }),
      topics: topics(options),
      acknowledgementMode: string(options, 'acknowledgement_mode'),
      maxRecords: integer(options, 'max_records'),
      acquireMode: string(options, 'acquire_mode'),
      renewLocks: boolean(options, 'renew_locks'),
      stopTimeoutMs: integer(options, 'stop_timeout_ms'),
      joinTimeoutMs: integer(options, 'join_timeout_ms'),
      pollWaitMs: integer(options, 'poll_wait_ms'),
      // Dead letters are written from the bytes read (decodeKeepingBytes makes the text).
      payloadAsBuffer: payload_encoding === 'buffer' || dead_letter_topic !== undefined,
      driverOptions: driver_options,
    },
    receive_callback: callback(options, 'receive_callback'),
    acknowledgement_commit_callback: guarded('acknowledgement_commit_callback', callback(options, 'acknowledgement_commit_callback'), log),
    // The addon hands Buffers that the application reads as text (see payloadAsBuffer).
    decode_text: payload_encoding === 'utf8' && dead_letter_topic !== undefined,
    max_deliveries,
    dead_letter_topic,
    logger: log,
  };
}

const ADMIN_OPTIONS = ['broker', 'request_timeout_ms', 'driver_options', 'logger', 'oauthbearer_token_callback'];

function adminOptions(options) {
  requireObject(options, 'Admin');
  checkNames(options, 'Admin', ADMIN_OPTIONS);
  return {
    native: {
      brokers: string(options, 'broker', { required: true }),
      requestTimeoutMs: integer(options, 'request_timeout_ms'),
      driverOptions: properties(options, 'driver_options'),
    },
    oauthbearer_token_callback: callback(options, 'oauthbearer_token_callback'),
    logger: logger(options),
  };
}

module.exports = {
  PRODUCER_DEFAULTS,
  CONSUMER_DEFAULTS,
  TIMEOUTS,
  producerOptions,
  consumerOptions,
  shareConsumerOptions,
  adminOptions,
  logTo,
  fail,
  fromNative,
  guarded,
  kafkaError,
};
