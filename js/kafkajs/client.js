'use strict';
// new Kafka({...})'s options as kafka-native's: brokers, client id, TLS, SASL, timeouts and
// retries become librdkafka properties; logLevel and logCreator become a kafka-native logger.
// Every option is either translated or refused by name: none is silently dropped.
const { Admin: NativeAdmin } = require('../client/admin');
const {
  KafkaJSNonRetriableError,
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  notSupported,
  toKafkaJSError,
  kafkaJSErrors,
} = require('./errors');

const logLevel = { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 };
const LEVEL_NAMES = { 1: 'ERROR', 2: 'WARN', 4: 'INFO', 5: 'DEBUG' };

// KafkaJS's default log creator: one JSON line per entry, errors to stderr.
const defaultLogCreator =
  () =>
  ({ namespace, level, label, log }) => {
    const line = JSON.stringify({ level: label, ...log, namespace: namespace || undefined });
    if (level <= logLevel.WARN) console.error(line);
    else console.log(line);
  };

const KAFKA_OPTIONS = [
  'clientId',
  'brokers',
  'ssl',
  'sasl',
  'connectionTimeout',
  'authenticationTimeout',
  'reauthenticationThreshold',
  'requestTimeout',
  'enforceRequestTimeout',
  'retry',
  'logLevel',
  'logCreator',
  'socketFactory',
];
const RETRY_OPTIONS = ['maxRetryTime', 'initialRetryTime', 'factor', 'multiplier', 'retries', 'restartOnFailure'];
const TLS_OPTIONS = ['ca', 'cert', 'key', 'passphrase', 'rejectUnauthorized', 'servername'];
const SASL_MECHANISMS = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512', oauthbearer: 'OAUTHBEARER' };

function invalid(message) {
  return new KafkaJSNonRetriableError(`kafka-native/kafkajs: ${message}`);
}

function checkKnown(object, known, where) {
  for (const key of Object.keys(object)) {
    if (object[key] !== undefined && !known.includes(key))
      throw invalid(`${where} has unknown option ${JSON.stringify(key)} (it takes ${known.join(', ')})`);
  }
}

const optionalNumber = (value, name, min = 0) => {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || value < min) throw invalid(`${name} must be an integer of at least ${min}, got ${JSON.stringify(value)}`);
  return value;
};

// KafkaJS's logger: namespace(), setLogLevel() and the four levels, over a log creator.
function createLogger(level, logCreator) {
  const envLevel = logLevel[(process.env.KAFKAJS_LOG_LEVEL || '').toUpperCase()];
  let current = envLevel ?? level;
  const write = logCreator(current);
  const make = (namespace, own = null) => {
    const at =
      (lvl) =>
      (message, extra = {}) => {
        if (lvl > (own ?? current)) return;
        write({
          namespace,
          level: lvl,
          label: LEVEL_NAMES[lvl],
          log: { timestamp: new Date().toISOString(), logger: 'kafkajs', message, ...extra },
        });
      };
    return {
      info: at(logLevel.INFO),
      error: at(logLevel.ERROR),
      warn: at(logLevel.WARN),
      debug: at(logLevel.DEBUG),
      namespace: (ns, nsLevel = null) => make(ns, nsLevel),
      setLogLevel: (newLevel) => {
        current = newLevel;
      },
    };
  };
  return make('');
}

// kafka-native's logger interface, writing into a KafkaJS logger namespace.
function nativeLogger(logger) {
  return {
    error: (message) => logger.error(message),
    warn: (message) => logger.warn(message),
    info: (message) => logger.info(message),
    debug: (message) => logger.debug(message),
  };
}

// The payload of a JWT (for an OAUTHBEARER token's lifetime and principal), or null.
function jwtClaims(token) {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) return null;
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

// KafkaJS's oauthBearerProvider (resolving to {value}) as kafka-native's token callback.
// KafkaJS asks it again at each reconnection; librdkafka asks before the token expires, which
// it reads from a JWT's exp claim (an opaque token is taken to live an hour).
function oauthBearerCallback(provider) {
  if (typeof provider !== 'function') throw invalid('sasl.oauthBearerProvider must be an async function resolving to {value}');
  return async () => {
    const { value } = (await provider()) || {};
    if (typeof value !== 'string' || value === '') throw invalid('oauthBearerProvider must resolve to {value: "<token>"}');
    const claims = jwtClaims(value) || {};
    const lifetime = Number.isFinite(claims.exp) ? claims.exp * 1000 : Date.now() + 3600 * 1000;
    return { token: value, lifetime_ms: lifetime, principal: typeof claims.sub === 'string' && claims.sub ? claims.sub : 'kafkajs' };
  };
}

const pem = (value, name) => {
  const list = Array.isArray(value) ? value : [value];
  return list
    .map((v, i) => {
      if (typeof v === 'string') return v;
      if (Buffer.isBuffer(v)) return v.toString('utf8');
      throw invalid(`ssl.${name}${Array.isArray(value) ? `[${i}]` : ''} must be a PEM string or Buffer`);
    })
    .join('\n');
};

// ssl.servername: librdkafka sends each broker's own host name (SNI) and, verifying, checks the
// broker's certificate against it. So a servername is honoured where that is the same: when it
// is the host of every broker listed, or when certificates are not verified (then only the SNI
// name differs). Otherwise it is refused, naming why.
function checkServername({ servername, rejectUnauthorized }, brokers) {
  if (typeof servername !== 'string' || servername === '') throw invalid('ssl.servername must be a host name');
  if (rejectUnauthorized === false) return;
  const hosts = Array.isArray(brokers)
    ? brokers.map((b) =>
        String(b)
          .replace(/:\d+$/, '')
          .replace(/^\[(.*)\]$/, '$1'),
      )
    : null;
  if (hosts && hosts.every((h) => h.toLowerCase() === servername.toLowerCase())) return;
  throw notSupported(
    `ssl.servername "${servername}" with certificates verified`,
    "librdkafka checks each broker's certificate against the broker's own host name (and sends that name by SNI); list the brokers by that name, or set rejectUnauthorized: false",
  );
}

// The librdkafka properties and token callback of a Kafka config's ssl and sasl.
function securityOptions({ ssl, sasl, brokers }) {
  const props = {};
  let oauthbearer_token_callback;
  const tls = ssl !== undefined && ssl !== null && ssl !== false;
  if (tls && ssl !== true) {
    if (typeof ssl !== 'object') throw invalid('ssl must be true or an object of TLS options');
    for (const key of Object.keys(ssl)) {
      if (!TLS_OPTIONS.includes(key))
        throw notSupported(`ssl.${key}`, `librdkafka's TLS takes ${TLS_OPTIONS.join(', ')}; other Node tls options have no equivalent`);
    }
    if (ssl.ca !== undefined) props['ssl.ca.pem'] = pem(ssl.ca, 'ca');
    if (ssl.cert !== undefined) props['ssl.certificate.pem'] = pem(ssl.cert, 'cert');
    if (ssl.key !== undefined) props['ssl.key.pem'] = pem(ssl.key, 'key');
    if (ssl.passphrase !== undefined) props['ssl.key.password'] = String(ssl.passphrase);
    if (ssl.rejectUnauthorized === false) props['enable.ssl.certificate.verification'] = false;
    if (ssl.servername !== undefined) checkServername(ssl, brokers);
  }
  if (sasl !== undefined && sasl !== null) {
    if (typeof sasl !== 'object') throw invalid('sasl must be an object like {mechanism, username, password}');
    const mechanism = String(sasl.mechanism || '').toLowerCase();
    if (mechanism === 'aws')
      throw notSupported('sasl mechanism "aws"', 'librdkafka has no AWS IAM mechanism; on MSK use OAUTHBEARER with an IAM token provider');
    if (!SASL_MECHANISMS[mechanism])
      throw invalid(`sasl.mechanism must be one of ${Object.keys(SASL_MECHANISMS).join(', ')}, got ${JSON.stringify(sasl.mechanism)}`);
    props['sasl.mechanisms'] = SASL_MECHANISMS[mechanism];
    if (mechanism === 'oauthbearer') {
      oauthbearer_token_callback = oauthBearerCallback(sasl.oauthBearerProvider);
    } else {
      if (typeof sasl.username !== 'string' || typeof sasl.password !== 'string')
        throw invalid(`sasl ${mechanism} needs username and password strings`);
      props['sasl.username'] = sasl.username;
      props['sasl.password'] = sasl.password;
    }
  }
  if (tls || sasl) props['security.protocol'] = `${sasl ? 'sasl_' : ''}${tls ? 'ssl' : 'plaintext'}`;
  return { props, oauthbearer_token_callback };
}

// A Kafka config, checked once; brokers (a list or an async function) are resolved per client.
function kafkaConfig(config) {
  if (config === null || typeof config !== 'object') throw invalid('new Kafka() takes an object like {clientId, brokers}');
  checkKnown(config, KAFKA_OPTIONS, 'new Kafka()');
  const { brokers } = config;
  if (!(
    typeof brokers === 'function' ||
    (Array.isArray(brokers) && brokers.length > 0 && brokers.every((b) => typeof b === 'string' && b))
  )) {
    throw invalid('brokers must be a non-empty array of "host:port" strings or a function returning one');
  }
  if (config.socketFactory !== undefined) throw notSupported('socketFactory', 'librdkafka opens its own sockets');
  if (config.enforceRequestTimeout === false)
    throw notSupported('enforceRequestTimeout: false', 'librdkafka always times requests out (socket.timeout.ms)');
  if (config.reauthenticationThreshold !== undefined)
    throw notSupported(
      'reauthenticationThreshold',
      'librdkafka re-authenticates when the broker asks (KIP-368), before the session expires',
    );
  const retry = config.retry || {};
  if (typeof retry !== 'object') throw invalid('retry must be an object');
  checkKnown(retry, RETRY_OPTIONS, 'retry');
  if (retry.restartOnFailure !== undefined && typeof retry.restartOnFailure !== 'function')
    throw invalid('retry.restartOnFailure must be an async function');
  const props = {};
  if (config.clientId !== undefined) {
    if (typeof config.clientId !== 'string') throw invalid('clientId must be a string');
    props['client.id'] = config.clientId;
  }
  const connectionTimeout = optionalNumber(config.connectionTimeout, 'connectionTimeout');
  // librdkafka's setup timeout covers DNS, TCP, TLS and SASL: at least 1 s.
  if (connectionTimeout !== undefined) props['socket.connection.setup.timeout.ms'] = Math.max(1000, connectionTimeout);
  const requestTimeout = optionalNumber(config.requestTimeout, 'requestTimeout', 10);
  if (requestTimeout !== undefined) props['socket.timeout.ms'] = requestTimeout;
  const authenticationTimeout = optionalNumber(config.authenticationTimeout, 'authenticationTimeout');
  const initialRetryTime = optionalNumber(retry.initialRetryTime, 'retry.initialRetryTime', 1);
  const maxRetryTime = optionalNumber(retry.maxRetryTime, 'retry.maxRetryTime', 1);
  optionalNumber(retry.retries, 'retry.retries');
  if (initialRetryTime !== undefined) props['retry.backoff.ms'] = Math.min(initialRetryTime, 300000);
  if (maxRetryTime !== undefined)
    props['retry.backoff.max.ms'] = Math.min(Math.max(maxRetryTime, props['retry.backoff.ms'] ?? 100), 300000);
  const security = securityOptions(config);
  const level = config.logLevel ?? logLevel.INFO;
  if (!Object.values(logLevel).includes(level)) throw invalid(`logLevel must be one of logLevel's values, got ${JSON.stringify(level)}`);
  const logCreator = config.logCreator ?? defaultLogCreator;
  if (typeof logCreator !== 'function') throw invalid('logCreator must be a function');
  return {
    brokers,
    connectionTimeout: connectionTimeout ?? 1000, // KafkaJS's default
    props: { ...props, ...security.props },
    oauthbearer_token_callback: security.oauthbearer_token_callback,
    authenticationTimeout,
    retry: {
      retries: retry.retries ?? 5,
      initialRetryTime: initialRetryTime ?? 300,
      maxRetryTime: maxRetryTime ?? 30000,
      factor: retry.factor ?? 0.2,
      multiplier: retry.multiplier ?? 2,
      restartOnFailure: retry.restartOnFailure,
    },
    logger: createLogger(level, logCreator),
  };
}

// The bootstrap list for a client being connected: the brokers function is asked each time.
async function resolveBrokers(brokers) {
  const list = typeof brokers === 'function' ? await brokers() : brokers;
  if (!Array.isArray(list) || list.length === 0 || !list.every((b) => typeof b === 'string' && b)) {
    throw invalid('the brokers function must resolve to a non-empty array of "host:port" strings');
  }
  return list.join(',');
}

// KafkaJS's retry schedule: the wait before retry n (0-based), with its randomisation.
function retryDelay(retry, n) {
  const base = retryBase(retry, n);
  const spread = base * retry.factor;
  return Math.round(Math.min(base - spread + Math.random() * 2 * spread, retry.maxRetryTime));
}

// As KafkaJS's retrier runs a request: a retriable error is tried again after retryDelay(), up
// to `retry.retries` times, and then rejects with KafkaJSNumberOfRetriesExceeded caused by it.
async function retried(retry, fn) {
  const started = Date.now();
  for (let n = 0; ; n++) {
    try {
      return await kafkaJSErrors(fn);
    } catch (err) {
      if (!err.retriable) throw err;
      if (n >= retry.retries) throw new KafkaJSNumberOfRetriesExceeded(err, { retryCount: n, retryTime: Date.now() - started });
      await new Promise((resolve) => setTimeout(resolve, retryDelay(retry, n)));
    }
  }
}

// The `n`th retry's delay before KafkaJS's jitter.
function retryBase(retry, n) {
  return Math.min(retry.initialRetryTime * retry.multiplier ** n, retry.maxRetryTime);
}

// How long KafkaJS's retries of one request wait in all (their delays, unjittered): 9.3 s at its
// defaults (5 retries from 300 ms, doubling).
function retryDelays(retry) {
  let total = 0;
  for (let n = 0; n < retry.retries; n++) total += retryBase(retry, n);
  return total;
}

// How long KafkaJS's connect() keeps trying before it gives up on brokers that do not answer:
// its retries' delays, unjittered, and each attempt's connection timeout (15.3 s at its
// defaults; a port that refuses at once fails each attempt sooner, 9.3 s).
function retryTime(retry, connectionTimeout) {
  return (retry.retries + 1) * connectionTimeout + retryDelays(retry);
}

const AUTHENTICATION_FAILURES = new Set(['_AUTHENTICATION', 'SASL_AUTHENTICATION_FAILED', '_SSL']);

// What KafkaJS's connect() does before it resolves: reach the cluster (a metadata request to one
// of `bootstrap`'s brokers), for as long as its retries last. A cluster out of reach rejects with
// KafkaJSNumberOfRetriesExceeded caused by a KafkaJSConnectionError, as KafkaJS's; credentials
// refused reject with the Kafka error.
async function reachCluster(config, bootstrap, logger) {
  // The attempts' connection timeouts count too: a budget of the delays alone (1 s in a test's
  // short schedule) ran out against a MockCluster slowed by a loaded CI machine.
  const tried = retryTime(config.retry, config.connectionTimeout);
  const admin = new NativeAdmin({
    broker: bootstrap,
    request_timeout_ms: tried,
    driver_options: config.props,
    oauthbearer_token_callback: config.oauthbearer_token_callback,
    logger: nativeLogger(logger),
  });
  try {
    await admin.describeCluster();
  } catch (err) {
    if (AUTHENTICATION_FAILURES.has(err.code)) throw toKafkaJSError(err);
    const cause = new KafkaJSConnectionError(`Connection error: no broker of ${bootstrap} answered in ${tried} ms (${err.message})`, {
      broker: bootstrap,
      code: err.code,
      cause: err,
    });
    throw new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: config.retry.retries, retryTime: tried });
  } finally {
    await admin.stop();
  }
}

module.exports = {
  logLevel,
  kafkaConfig,
  resolveBrokers,
  reachCluster,
  nativeLogger,
  retryDelay,
  retryDelays,
  retried,
  createLogger,
  invalid,
  checkKnown,
};
