'use strict';
// What the integrations (kafka-native/socket.io, ws-proxy, deepstream) share: loading their
// ecosystem's packages, which are peer dependencies, with an error that says what to install;
// checking their options; and the client settings of a real-time relay.

// A relay's clients: the producer sends at once, the consumer asks for data often (see the
// docs/operations.md, Latency), and neither reports stats nobody reads.
const REALTIME_PRODUCER = Object.freeze({ queue_buffering_max_ms: 0, statistics_interval_ms: 0 });
// A cluster relay's producer (socket.io, deepstream): a server publishes in bursts (a broadcast
// loop, a tick's updates), and at linger 0 librdkafka sends a burst's first message alone and
// the rest after it, a request each, every one of which a broker answers and wakes each server's
// fetch for. 1 ms gathers a burst into one request: ten broadcasts every 10 ms through Apache
// Kafka went from 3-5 requests a tick to one, the broker's CPU fell by half or more and the
// relay's p99 from 10-12 to 7 ms (p50 +0.5-1 ms; BENCHMARKS.md, socket.io adapter).
const RELAY_PRODUCER = Object.freeze({ ...REALTIME_PRODUCER, queue_buffering_max_ms: 1 });
const REALTIME_CONSUMER = Object.freeze({ fetch_wait_max_ms: 10, statistics_interval_ms: 0 });
// A broker that stops answering without closing its connections (its host gone, a network
// partition) holds each request for librdkafka's socket.timeout.ms, 60 s by default, before
// librdkafka looks for the partition's new leader: a relay stalled for 71 s when a leader hung
// on the MockCluster, twice that timeout and more. A relay gives up on such a broker after 5 s
// (a stall of about 11 s there).
const REALTIME_DRIVER = Object.freeze({ 'socket.timeout.ms': '5000' });

// A relay client's options: `base` (one of the above), the user's options
// over it, and the relay's driver options under the user's.
function relayClient(base, user = {}) {
  return { ...base, ...user, driver_options: { ...REALTIME_DRIVER, ...user.driver_options } };
}

// Kafka's legal topic names (as the core checks them).
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const isTopicName = (name) => typeof name === 'string' && TOPIC_NAME.test(name) && name !== '.' && name !== '..';

function requirePeer(name, what) {
  try {
    return require(name);
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(`'${name}'`)) {
      throw new Error(`${what} needs the package ${name}: npm install ${name}`, { cause: err });
    }
    throw err;
  }
}

// Throws a TypeError naming the first option not in `known`.
function checkOptions(what, call, options, known) {
  const unknown = Object.keys(options).find((k) => !known.includes(k));
  if (unknown !== undefined) {
    throw new TypeError(`${what}: unknown ${call} option ${unknown} (known: ${known.join(', ')})`);
  }
}

// Throws unless options[name] (producer or consumer) is absent or an object of options.
// `refused`: the options of that client the integration sets itself or that would break it,
// each with why ({group_id: 'every node must read every message'}).
function checkClientOptions(what, options, name, refused = {}) {
  const value = options[name];
  if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    throw new TypeError(
      `${what}: option ${name} must be an object of kafka-native ${name === 'producer' ? 'Producer' : 'Consumer'} options, got ${value === null ? 'null' : typeof value}`,
    );
  }
  for (const key of Object.keys(value ?? {})) {
    if (Object.hasOwn(refused, key)) throw new TypeError(`${what}: option ${name}.${key} cannot be set: ${refused[key]}`);
  }
}

// The logger option: console by default (less debug lines, which console.debug would print,
// as a client's own default logger does), else something with error, warn and info.
const CONSOLE = Object.freeze({
  error: (line) => console.error(line),
  warn: (line) => console.warn(line),
  info: (line) => console.info(line),
  debug() {},
});

function checkedLogger(what, logger = CONSOLE) {
  if (logger === null || typeof logger !== 'object' || ['error', 'warn', 'info'].some((l) => typeof logger[l] !== 'function')) {
    throw new TypeError(`${what}: option logger must have error, warn and info methods`);
  }
  return logger;
}

module.exports = {
  requirePeer,
  checkOptions,
  checkClientOptions,
  checkedLogger,
  isTopicName,
  REALTIME_PRODUCER,
  RELAY_PRODUCER,
  REALTIME_CONSUMER,
  REALTIME_DRIVER,
  relayClient,
};
