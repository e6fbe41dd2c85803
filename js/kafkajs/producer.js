'use strict';
// kafka.producer(): KafkaJS's producer on kafka-native's. A send() becomes one deliver() per
// partition it names (or -1, where librdkafka's Java-compatible partitioner places each keyed
// message), and resolves with KafkaJS's RecordMetadata once every message is acknowledged.
const { EventEmitter } = require('node:events');
const { Producer: NativeProducer } = require('../client/producer');
const { resolveBrokers, reachCluster, nativeLogger, retryDelays, invalid, checkKnown } = require('./client');
const {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSNumberOfRetriesExceeded,
  kafkaJSErrors,
  notSupported,
  asIs,
} = require('./errors');
const { runsNatively, Partitioners } = require('./partitioners');

const CompressionTypes = { None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 };
const MAX_QUEUED = 2147483647; // librdkafka's largest queue.buffering.max.messages
const QUEUED_KBYTES = 1048576; // librdkafka's own byte bound, 1 GB (kafka-native's is 32 MiB)
const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
// KafkaJS users register codecs for all but GZIP (CompressionCodecs[type] = () => codec); all
// are built into librdkafka here, so what they register is accepted and not needed.
const CompressionCodecs = { [CompressionTypes.GZIP]: () => ({}) };

const PRODUCER_OPTIONS = [
  'createPartitioner',
  'retry',
  'metadataMaxAge',
  'allowAutoTopicCreation',
  'idempotent',
  'transactionalId',
  'transactionTimeout',
  'maxInFlightRequests',
];
const SEND_OPTIONS = ['topic', 'messages', 'acks', 'timeout', 'compression'];
const MESSAGE_KEYS = ['key', 'value', 'partition', 'headers', 'timestamp'];
const events = {
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
};
// How long a partition list for a JS partitioner is reused (KafkaJS's metadataMaxAge default).
const METADATA_MAX_AGE_MS = 300000;
// How long the sends of one event-loop turn may hold the thread before later ones wait a turn.
const SEND_BUDGET_MS = 10;

// A value, key or header value: a string or bytes, as KafkaJS writes. Anything else is a
// TypeError, as KafkaJS's (which fails to size it), never a String() of it ("[object Object]").
function bytes(value, where) {
  if (value === null || value === undefined || typeof value === 'string' || value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  const got =
    typeof value === 'object' ? `an instance of ${value.constructor?.name ?? 'Object'}` : `type ${typeof value} (${String(value)})`;
  throw asIs(new TypeError(`kafka-native/kafkajs: ${where} must be a string or a Buffer, got ${got}`));
}

// A KafkaJS message as a kafka-native record, or as its payload alone (a string or Buffer, which
// crosses into the addon without a record object) when it has nothing else. A key that is no
// message field is ignored, as KafkaJS does, and told to `unknown(key)`.
function toRecord(message, where, topic, unknown) {
  let plain = true; // value, and perhaps partition, only
  for (const key in message) {
    if (key === 'value' || key === 'partition') continue;
    if (!MESSAGE_KEYS.includes(key)) {
      if (Object.hasOwn(message, key)) unknown(key);
    } else if (message[key] !== undefined && message[key] !== null) {
      plain = false;
    }
  }
  const { value } = message;
  if (plain && (typeof value === 'string' || value instanceof Uint8Array)) return value;
  // A tombstone is value: null; a message without value is a mistake (it would delete the key's
  // data on a compacted topic).
  if (message.value === undefined) throw invalid(`Invalid message without value for topic "${topic}": ${JSON.stringify(message)}`);
  const record = { payload: bytes(message.value, `${where}.value`) };
  if (message.key !== undefined && message.key !== null) record.key = bytes(message.key, `${where}.key`);
  if (message.headers) {
    const headers = {};
    for (const [name, value] of Object.entries(message.headers)) {
      if (value === undefined) continue; // KafkaJS skips undefined headers
      // An array is written once per value, as KafkaJS does.
      headers[name] = Array.isArray(value)
        ? value.map((v, j) => bytes(v, `${where}.headers.${name}[${j}]`))
        : bytes(value, `${where}.headers.${name}`);
    }
    record.headers = headers;
  }
  if (message.timestamp !== undefined && message.timestamp !== null) {
    const ms = Number(message.timestamp);
    if (!Number.isSafeInteger(ms) || ms < 0)
      throw invalid(
        `${where}.timestamp must be milliseconds since the epoch (a string or number), got ${JSON.stringify(message.timestamp)}`,
      );
    record.timestamp = ms;
  }
  return record;
}

class Producer {
  constructor(kafka, config = {}) {
    if (config === null || typeof config !== 'object') throw invalid('kafka.producer() takes an object');
    checkKnown(config, PRODUCER_OPTIONS, 'kafka.producer()');
    if (
      config.maxInFlightRequests !== undefined &&
      config.maxInFlightRequests !== null &&
      !(Number.isInteger(config.maxInFlightRequests) && config.maxInFlightRequests > 0)
    ) {
      throw invalid('maxInFlightRequests must be a positive integer');
    }
    this._kafka = kafka;
    this._config = config;
    // Its retry options: the client's, with its own over them (as the consumer's).
    this._retry = { ...kafka._config.retry, ...(config.retry || {}) };
    this._partitioner = (config.createPartitioner || Partitioners.DefaultPartitioner)();
    if (typeof this._partitioner !== 'function') throw invalid('createPartitioner must return a partitioner function');
    this._transactional = typeof config.transactionalId === 'string' && config.transactionalId !== '';
    this._idempotent = this._transactional || config.idempotent === true;
    // As KafkaJS, at kafka.producer(): its retry is the client's with the producer's over it.
    if (config.idempotent === true && this._retry.retries < 1) {
      throw new KafkaJSNonRetriableError('Idempotent producer must allow retries to protect against transient errors');
    }
    // One kafka-native Producer per (acks, compression, timeout) used by send() and sendBatch(),
    // and one for the transactions: as in KafkaJS, a transactional producer's own send() is
    // outside any transaction (KafkaJS gives it a producer id of its own), and only what is sent
    // on a transaction object takes part in it.
    this._natives = new Map();
    this._transactionNative = null;
    this._partitions = new Map(); // topic -> {at, metadata} for JS partitioners
    this._emitter = new EventEmitter();
    this._logger = kafka.logger().namespace('Producer');
    this._connected = false;
    this._inTransaction = false;
    this._ignoredKeys = new Set();
    this._turnMs = 0; // send work in this event-loop turn, see _sendTurn
    this._turnWaiters = 0;
    this.events = events;
  }

  async connect() {
    const bootstrap = await resolveBrokers(this._kafka._config.brokers);
    await reachCluster(this._kafka._config, bootstrap, this._logger);
    this._bootstrap = bootstrap;
    this._connected = true;
    this._emitter.emit(events.CONNECT, { id: 0, type: events.CONNECT, timestamp: Date.now(), payload: null });
  }

  // Waits (up to 15 s) for what is in flight. Every message's fate is its send()'s to report, so
  // a message that was not delivered is not reported again here, only logged.
  async disconnect() {
    const natives = [...this._natives.values(), ...(this._transactionNative ? [this._transactionNative] : [])];
    this._natives.clear();
    this._transactionNative = null;
    this._connected = false;
    await Promise.all(natives.map((p) => p.stop().catch((err) => this._logger.warn(`disconnect: ${err.message}`))));
    this._emitter.emit(events.DISCONNECT, { id: 0, type: events.DISCONNECT, timestamp: Date.now(), payload: null });
  }

  isIdempotent() {
    return this._idempotent;
  }

  logger() {
    return this._logger;
  }

  on(eventName, listener) {
    if (!Object.values(events).includes(eventName)) {
      throw new KafkaJSNonRetriableError(`Event name should be one of ${Object.values(events).join(', ')}`);
    }
    if (eventName !== events.CONNECT && eventName !== events.DISCONNECT) {
      throw notSupported(
        `producer event ${eventName}`,
        "librdkafka does not report single network requests; use the statistics (kafka-native's stats_callback) instead",
      );
    }
    const wrapped = (event) =>
      Promise.resolve()
        .then(() => listener(event))
        .catch((e) => this._logger.error(`Failed to execute listener: ${e.message}`, { eventName, stack: e.stack }));
    this._emitter.on(eventName, wrapped);
    return () => this._emitter.off(eventName, wrapped);
  }

  // The native producer for these send options (the transactions' one with `transactional`),
  // made at first use.
  _native({ acks = -1, compression = CompressionTypes.None, timeout }, transactional = false) {
    if (![-1, 0, 1].includes(acks)) throw invalid(`acks must be -1 (all), 0 or 1, got ${JSON.stringify(acks)}`);
    if (!Object.values(CompressionTypes).includes(compression))
      throw invalid(`compression must be one of CompressionTypes, got ${JSON.stringify(compression)}`);
    if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0))
      throw invalid(`timeout must be a positive integer (ms), got ${JSON.stringify(timeout)}`);
    const idempotent = transactional || this._config.idempotent === true;
    if (idempotent && acks !== -1)
      throw new KafkaJSNonRetriableError("Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees");
    const key = `${acks}|${compression}|${timeout ?? ''}`;
    let native = transactional ? this._transactionNative : this._natives.get(key);
    if (native) {
      if (transactional && this._transactionKey !== key) {
        throw notSupported(
          'a transaction sending with other acks, compression or timeout than its first send',
          'a transactional id belongs to one native producer',
        );
      }
      return native;
    }
    const topic_options = { acks };
    if (timeout !== undefined) topic_options['request.timeout.ms'] = timeout;
    const driver_options = { ...this._kafka._config.props };
    // KafkaJS sends with any maxInFlightRequests; librdkafka's idempotent producer keeps order
    // and writes nothing twice with up to 5 requests in flight, and refuses more: capped so.
    const inFlight = this._config.maxInFlightRequests;
    if (inFlight) driver_options['max.in.flight.requests.per.connection'] = idempotent ? Math.min(inFlight, 5) : inFlight;
    if (this._config.metadataMaxAge !== undefined) driver_options['metadata.max.age.ms'] = this._config.metadataMaxAge;
    if (this._config.allowAutoTopicCreation !== undefined)
      driver_options['allow.auto.create.topics'] = this._config.allowAutoTopicCreation !== false;
    driver_options['message.send.max.retries'] = this._retry.retries;
    // A topic that does not exist (and is not made for the asking) fails its sends once
    // KafkaJS's retries would have run out, not at librdkafka's 30 s.
    if (driver_options['topic.metadata.propagation.max.ms'] === undefined) {
      driver_options['topic.metadata.propagation.max.ms'] = Math.max(1, retryDelays(this._retry));
    }
    native = new NativeProducer({
      broker: this._bootstrap,
      // KafkaJS sends at once (kafka-native's default too; said here as KafkaJS's behaviour).
      queue_buffering_max_ms: 0,
      // KafkaJS has no local queue to fill: a send of any size is sent whole (the caller holds
      // its messages already, and each send() awaits them), up to librdkafka's byte bound (1 GB).
      queue_buffering_max_messages: MAX_QUEUED,
      ...(driver_options['queue.buffering.max.kbytes'] === undefined ? { queue_buffering_max_kbytes: QUEUED_KBYTES } : {}),
      compression_codec: CODEC_NAMES[compression],
      enable_idempotence: idempotent,
      ...(transactional
        ? { transactional_id: this._config.transactionalId, transaction_timeout_ms: this._config.transactionTimeout ?? 60000 }
        : {}),
      driver_options,
      topic_options,
      oauthbearer_token_callback: this._kafka._config.oauthbearer_token_callback,
      logger: nativeLogger(this._logger),
    });
    if (transactional) {
      this._transactionKey = key;
      this._transactionNative = native;
    } else {
      this._natives.set(key, native);
    }
    return native;
  }

  // The partition list a JS partitioner is given: [{partitionId, leader}] (leader unknown: 0).
  async _partitionMetadata(native, topic) {
    const known = this._partitions.get(topic);
    const maxAge = this._config.metadataMaxAge ?? METADATA_MAX_AGE_MS;
    if (known && Date.now() - known.at < maxAge) return known.metadata;
    const count = await native.partition_count(topic);
    const metadata = Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0] }));
    this._partitions.set(topic, { at: Date.now(), metadata });
    return metadata;
  }

  // Resolves in an event-loop turn whose sends have not yet taken SEND_BUDGET_MS of the thread:
  // at once in most turns, otherwise in a later one (one waiting send resumes per turn). A
  // send() turns every message into a record and hands them over synchronously (~1 µs each),
  // so sends of 10,000 messages made together (a window of them, or a batch's Promise.all)
  // held the loop for their sum; light sends still go many per turn.
  _sendTurn() {
    if (this._turnMs < SEND_BUDGET_MS && this._turnWaiters === 0) return undefined;
    this._turnWaiters++;
    return new Promise((resolve) => {
      const retry = () => {
        if (this._turnMs < SEND_BUDGET_MS) {
          this._turnWaiters--;
          resolve();
        } else {
          setImmediate(retry);
        }
      };
      setImmediate(retry);
    });
  }

  // Counts `ms` of send work against this turn.
  _spent(ms) {
    if (this._turnMs === 0)
      setImmediate(() => {
        this._turnMs = 0;
      });
    this._turnMs += ms;
  }

  // Sends one topic's messages; resolves with a RecordMetadata per partition written.
  async _sendTopic(native, topic, messages) {
    if (typeof topic !== 'string' || topic === '') throw invalid(`Invalid topic ${JSON.stringify(topic)}`);
    if (!Array.isArray(messages)) throw invalid(`Invalid messages array [${messages}] for topic "${topic}"`);
    const jsPartitioner = !runsNatively(this._partitioner);
    const metadata = jsPartitioner ? await this._partitionMetadata(native, topic) : null;
    const turn = this._sendTurn();
    if (turn) await turn;
    const started = performance.now();
    let delivering;
    try {
      delivering = this._handOver(native, topic, messages, metadata);
    } finally {
      this._spent(performance.now() - started);
    }
    const delivered = await delivering;
    const first = new Map(); // partition -> its lowest offset in this send
    for (const landed of delivered) {
      for (const { partition, offset } of landed) {
        if (!(first.get(partition) <= offset)) first.set(partition, offset);
      }
    }
    return [...first]
      .sort((a, b) => a[0] - b[0])
      .map(([partition, offset]) => ({
        topicName: topic,
        partition,
        errorCode: 0,
        baseOffset: String(offset),
        logAppendTime: '-1',
        logStartOffset: '-1',
      }));
  }

  // The messages as records, grouped by partition and handed to the producer (synchronously,
  // throwing the first mistake) → a Promise of where each group landed. `metadata`: the
  // partition list for a JS partitioner, or null when librdkafka partitions.
  _handOver(native, topic, messages, metadata) {
    const byPartition = new Map();
    const ignored = (key) => this._ignoredKey(key);
    const quotedTopic = JSON.stringify(topic);
    messages.forEach((message, i) => {
      const where = `messages[${i}] of topic ${quotedTopic}`;
      if (message === null || typeof message !== 'object') throw invalid(`Invalid message without value for topic "${topic}": ${where}`);
      let partition = message.partition ?? null;
      if (partition === null && metadata) partition = this._partitioner({ topic, partitionMetadata: metadata, message });
      if (partition === null) partition = -1;
      if (!Number.isInteger(partition) || partition < -1)
        throw invalid(`${where}.partition must be a partition number, got ${JSON.stringify(partition)}`);
      if (!byPartition.has(partition)) byPartition.set(partition, []);
      byPartition.get(partition).push(toRecord(message, where, topic, ignored));
    });
    return Promise.all([...byPartition].map(([partition, records]) => native.deliver(topic, partition, records)));
  }

  // A message's key that is no message field: ignored, as KafkaJS does; warned of once.
  _ignoredKey(key) {
    if (this._ignoredKeys.has(key)) return;
    this._ignoredKeys.add(key);
    this._logger.warn(
      `a message's key ${JSON.stringify(key)} is not a message field and is ignored, as KafkaJS does (a message takes ${MESSAGE_KEYS.join(', ')})`,
    );
  }

  _checkConnected() {
    if (!this._connected) throw new KafkaJSError('The producer is disconnected');
  }

  send(record) {
    return this._send(record, false);
  }

  async _send(record, transactional) {
    return kafkaJSErrors(async () => {
      if (record === null || typeof record !== 'object') throw invalid('send() takes {topic, messages}');
      checkKnown(record, SEND_OPTIONS, 'send()');
      this._checkConnected();
      const written = await this._sendTopic(this._native(record, transactional), record.topic, record.messages).catch((err) =>
        this._missingTopic(err),
      );
      return record.acks === 0 ? [] : written; // unacknowledged: no offsets, as KafkaJS
    });
  }

  // A send to a topic that does not exist: KafkaJS retries UNKNOWN_TOPIC_OR_PARTITION, and then
  // rejects with KafkaJSNumberOfRetriesExceeded caused by it. Any other error is rethrown.
  _missingTopic(err) {
    if (err?.code !== '_UNKNOWN_TOPIC' && err?.code !== 'UNKNOWN_TOPIC_OR_PART') throw err;
    const retry = this._retry;
    const cause = new KafkaJSProtocolError(
      {
        message: `This server does not host this topic-partition (${err.message})`,
        type: 'UNKNOWN_TOPIC_OR_PARTITION',
        code: 3,
        retriable: true,
      },
      { cause: err },
    );
    throw new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: retry.retries, retryTime: retryDelays(retry) });
  }

  sendBatch(batch) {
    return this._sendBatch(batch, false);
  }

  async _sendBatch(batch, transactional) {
    return kafkaJSErrors(async () => {
      if (batch === null || typeof batch !== 'object') throw invalid('sendBatch() takes {topicMessages}');
      checkKnown(batch, ['topicMessages', 'acks', 'timeout', 'compression'], 'sendBatch()');
      this._checkConnected();
      const { topicMessages = [] } = batch;
      if (!Array.isArray(topicMessages)) throw invalid('sendBatch() topicMessages must be an array of {topic, messages}');
      const native = this._native(batch, transactional);
      const results = await Promise.all(
        topicMessages.map(({ topic, messages }) => this._sendTopic(native, topic, messages).catch((err) => this._missingTopic(err))),
      );
      return batch.acks === 0 ? [] : results.flat();
    });
  }

  // A transaction: KafkaJS's object with send, sendBatch, sendOffsets, commit, abort, isActive.
  async transaction() {
    return kafkaJSErrors(async () => {
      this._checkConnected();
      if (!this._transactional) throw new KafkaJSNonRetriableError('Must provide transactional id for transactional producer');
      if (this._inTransaction)
        throw new KafkaJSNonRetriableError(
          'There is already an ongoing transaction for this producer. Please end the transaction before beginning another.',
        );
      const native = this._native({}, true);
      if (!this._initialized) {
        await native.initTransactions();
        this._initialized = true;
      }
      native.beginTransaction();
      this._inTransaction = true;
      let active = true;
      const end = (call) => async () => {
        if (!active) throw new KafkaJSNonRetriableError('Cannot continue to use transaction once ended');
        try {
          await kafkaJSErrors(call);
        } finally {
          active = false;
          this._inTransaction = false;
        }
      };
      return {
        send: (record) => {
          if (!active) return Promise.reject(new KafkaJSNonRetriableError('Cannot continue to use transaction once ended'));
          return this._send(record, true);
        },
        sendBatch: (batch) => {
          if (!active) return Promise.reject(new KafkaJSNonRetriableError('Cannot continue to use transaction once ended'));
          return this._sendBatch(batch, true);
        },
        sendOffsets: ({ consumerGroupId, topics } = {}) =>
          kafkaJSErrors(() => {
            if (!active) throw new KafkaJSNonRetriableError('Cannot continue to use transaction once ended');
            if (typeof consumerGroupId !== 'string' || !Array.isArray(topics))
              throw invalid('sendOffsets() takes {consumerGroupId, topics: [{topic, partitions: [{partition, offset}]}]}');
            const offsets = topics.flatMap(({ topic, partitions }) =>
              partitions.map(({ partition, offset }) => ({ topic, partition, offset: Number(offset) })),
            );
            return native.sendOffsetsToTransaction(consumerGroupId, offsets);
          }),
        commit: end(() => native.commitTransaction()),
        abort: end(() => native.abortTransaction()),
        isActive: () => active,
      };
    });
  }
}

module.exports = { Producer, CompressionTypes, CompressionCodecs };
