'use strict';
const { NativeProducer } = require('../native/index.js');
const { oauthbearerBridge } = require('./oauthbearer');
const { checkSignal, abortError } = require('./abort');
const tracing = require('../observability/tracing');
const { channels } = require('../observability/diagnostics');
const { ClientTelemetry } = require('../observability/metrics');
const { producerOptions, logTo, fail, fromNative, kafkaError, TIMEOUTS, PRODUCER_DEFAULTS } = require('./options');
const { offsetList } = require('./argument-error');
const { healthObject } = require('./health');

const RECORD_KEYS = ['payload', 'key', 'headers', 'timestamp'];
const TIMESTAMP_MAX = 8.64e15; // the last millisecond a JS Date can hold
// The size of send()'s scratch Buffer (see _pack), allocated at a producer's first send.
const SCRATCH_BYTES = 1024 * 1024;
// Strings shorter than this on average are joined and encoded in one call when all are ASCII
// (see _packAscii): measured, joining wins below about 200 characters and loses above.
const JOIN_BELOW = 128;
// ...in groups of this many: each joined string (under 32 KB) dies young, where a collection is
// cheap; one string of the whole batch would live in large-object space until a full one.
const JOIN_COUNT = 256;
const PARTITION_MAX = 2 ** 31 - 1;
// How often a producer with messages in flight checks whether they have all been reported.
const KEEP_ALIVE_CHECK_MS = 100;
// How long the continuations of the deliver()s settled in one event-loop turn may take, as
// measured, before the rest wait a turn (see _settleDue).
const SETTLE_BUDGET_MS = 10;

// A record's payload or key: a string, a Buffer or Uint8Array, or null/undefined for none.
function recordBytes(value, what) {
  if (value === undefined || value === null) return undefined;
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw fail(what, 'a string, a Buffer, null or undefined', value);
}

// A record is a plain object with payload, key or headers and nothing else; anything else
// (KafkaJS's {value}, an array, a Date) is a mistake, not a tombstone.
function checkRecord(record, i, method = 'send()') {
  const proto = Object.getPrototypeOf(record);
  if (Array.isArray(record) || (proto !== Object.prototype && proto !== null)) {
    throw fail(`${method} argument payloads[${i}]`, 'a string, a Buffer or a {payload, key, headers} record', record);
  }
  const keys = Object.keys(record);
  const unknown = keys.filter((k) => !RECORD_KEYS.includes(k));
  if (unknown.length > 0 || !keys.some((k) => RECORD_KEYS.includes(k))) {
    const hint = unknown.includes('value') ? ' (KafkaJS calls it value; here it is payload)' : '';
    const what = unknown.length > 0 ? `has ${unknown.map((k) => JSON.stringify(k)).join(', ')}` : 'has none of them';
    throw new TypeError(
      `kafka-native: ${method} argument payloads[${i}] must be a record with payload, key, headers and/or timestamp and nothing else; it ${what}${hint}`,
    );
  }
}

function toRecord(record, i, method = 'send()') {
  const arg = `${method} argument payloads[${i}]`;
  if (typeof record === 'string' || record instanceof Uint8Array)
    return { payload: recordBytes(record, arg), headerNames: [], headerValues: [] };
  const headers = record.headers ?? {};
  if (typeof headers !== 'object' || Array.isArray(headers))
    throw fail(`${arg}.headers`, 'an object of header names to strings or Buffers', headers);
  // A name whose value is an array is written once per value, in order (as the Consumer gives a
  // repeated name back).
  const headerNames = [];
  const headerValues = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    const values = Array.isArray(value) ? value : [value];
    for (let j = 0; j < values.length; j++) {
      headerNames.push(name);
      headerValues.push(
        recordBytes(values[j], Array.isArray(value) ? `${arg}.headers.${name}[${j}]` : `${arg}.headers.${name}`) ?? Buffer.alloc(0),
      );
    }
  }
  const { timestamp } = record;
  if (timestamp !== undefined && timestamp !== null && !(Number.isSafeInteger(timestamp) && timestamp >= 0 && timestamp <= TIMESTAMP_MAX)) {
    throw fail(`${arg}.timestamp`, 'milliseconds since the Unix epoch (a non-negative integer)', timestamp);
  }
  return {
    payload: recordBytes(record.payload, `${arg}.payload`),
    key: recordBytes(record.key, `${arg}.key`),
    headerNames,
    headerValues,
    timestamp: timestamp ?? undefined,
  };
}

function checkPartition(partition, method = 'send()') {
  if (!Number.isInteger(partition)) throw fail(`${method} argument partition`, 'an integer partition number (or -1 for any)', partition);
  if (partition < -1 || partition > PARTITION_MAX) {
    throw new RangeError(`kafka-native: ${method} argument partition must be from -1 to ${PARTITION_MAX}, got ${partition}`);
  }
}

// deliver()'s arguments checked, or the first mistake thrown; true when every payload is a
// string or Buffer (no key, headers or timestamp).
function checkDeliver(topic, partition, payloads) {
  if (typeof topic !== 'string') throw fail('deliver() argument topic', 'a string', topic);
  checkPartition(partition, 'deliver()');
  if (!Array.isArray(payloads))
    throw fail('deliver() argument payloads', 'an array of strings, Buffers or {payload, key, headers} records', payloads);
  let plain = true;
  for (let i = 0; i < payloads.length; i++) {
    const p = payloads[i];
    if (typeof p === 'string' || p instanceof Uint8Array) continue;
    if (p === null || typeof p !== 'object') {
      throw fail(`deliver() argument payloads[${i}]`, 'a string, a Buffer or a {payload, key, headers} record', p);
    }
    checkRecord(p, i, 'deliver()');
    plain = false;
  }
  return plain;
}

// `wait`, or an AbortError as soon as `signal` is aborted; a failure of the wait after that has
// no one to reject to, so it is logged.
function untilAborted(wait, signal, logger) {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, 'deliver()'));
    signal.addEventListener('abort', onAbort, { once: true });
    wait
      .then(resolve, (err) => {
        if (signal.aborted) logger.error(`kafka-native: a deliver() whose wait was aborted failed: ${err && err.message}`);
        reject(err);
      })
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

// deliver()'s Promises, settled from what the addon's serveEvents() returns, by the number each
// call was given: a Promise made by the addon would cost a threadsafe function per call.
class Deliveries {
  constructor() {
    this.waiting = new Map();
    this.next = 0;
    this.settle = ({ ticket, partitions, offsets, error }) => {
      const waiter = this.waiting.get(ticket);
      if (!waiter) return;
      this.waiting.delete(ticket);
      if (error) {
        waiter.reject(kafkaError(error));
        return;
      }
      const landed = new Array(offsets.length);
      for (let i = 0; i < landed.length; i++) landed[i] = { partition: partitions[i], offset: offsets[i] };
      waiter.resolve(landed);
    };
  }

  // Hands the messages over with `handOver(ticket)` (which throws when they are refused at
  // once) → a Promise of where they landed.
  start(handOver) {
    const ticket = this.next;
    this.next = (this.next + 1) >>> 0;
    handOver(ticket);
    return new Promise((resolve, reject) => this.waiting.set(ticket, { resolve, reject }));
  }
}

class Producer {
  constructor(options) {
    const opts = producerOptions(options);
    const { stats_callback, delivery_report_callback } = opts;
    this._logger = opts.logger;
    this._deliveries = new Deliveries();
    this._scratch = null; // send()'s, see _pack
    this._telemetry = new ClientTelemetry('producer', opts.native.statisticsIntervalMs ?? PRODUCER_DEFAULTS.statistics_interval_ms);
    const self = new WeakRef(this);
    const onStats = this._telemetry.statsOn
      ? (s) => {
          self.deref()?._telemetry.keep(s);
          if (stats_callback) stats_callback({ send_queue_length: s.sendQueueLength, rdkafka_stats: s.rdkafkaStats });
        }
      : undefined;
    this._native = fromNative(
      () =>
        new NativeProducer(
          opts.native,
          onStats,
          delivery_report_callback &&
            ((r) =>
              delivery_report_callback({
                errors: r.errors,
                delivered: r.delivered,
                rdkafka_errinfo: r.rdkafkaErrinfo,
              })),
          logTo(opts.logger, () => self.deref()),
          oauthbearerBridge(opts.oauthbearer_token_callback),
          // The addon wakes this when the producer has events; they are served here, on the JS
          // thread. Held weakly: the addon holds this function, and so would hold the producer.
          () => self.deref()?._woken(),
        ),
    );
    this._servedInTurn = false;
    this._serveLater = false;
    this._endTurn = () => {
      this._servedInTurn = false;
    };
    this._servePostponed = () => {
      this._serveLater = false;
      this._serveEvents();
    };
    // deliver() outcomes taken from the addon and not yet settled, oldest first (see _settleDue).
    this._unsettled = [];
    this._settledAt = 0;
    this._settledCount = 0;
    this._settlePerTurn = Infinity;
    this._settleMeasured = () => this._settleNextTurn();
    if (channels.connect.hasSubscribers) channels.connect.publish({ client: this, kind: 'producer' });
  }

  // Enqueues the payloads. Each is a string (sent as UTF-8), a Buffer or Uint8Array, or a
  // {payload, key, headers} record. Strings and Buffers cross into the addon as the bytes of up
  // to a megabyte of payloads at a time, in one Buffer with their lengths beside it: a crossing
  // per megabyte instead of one per payload.
  send(topic, partition, payloads) {
    if (typeof topic !== 'string') throw fail('send() argument topic', 'a string', topic);
    checkPartition(partition);
    if (!Array.isArray(payloads))
      throw fail('send() argument payloads', 'an array of strings, Buffers or {payload, key, headers} records', payloads);
    let units = 0; // UTF-16 units of the strings
    let strings = 0;
    let records = 0;
    for (let i = 0; i < payloads.length; i++) {
      const p = payloads[i];
      if (typeof p === 'string') {
        units += p.length;
        strings++;
      } else if (p instanceof Uint8Array) {
        continue;
      } else if (p !== null && typeof p === 'object') {
        checkRecord(p, i);
        records++;
      } else {
        throw fail(`send() argument payloads[${i}]`, 'a string, a Buffer or a {payload, key, headers} record', p);
      }
    }
    const span = payloads.length > 0 ? tracing.startSend(topic, partition, payloads.length) : null;
    if (span) return this._sendTraced(span, topic, partition, payloads);
    if (records > 0) {
      return this._sent(
        topic,
        partition,
        fromNative(() =>
          this._native.sendRecords(
            topic,
            partition,
            payloads.map((p, i) => toRecord(p, i)),
          ),
        ),
      );
    }
    this._scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES);
    const lengths = new Uint32Array(payloads.length);
    if (strings === payloads.length && units < strings * JOIN_BELOW && this._packAscii(payloads, units, lengths)) {
      return this._sent(
        topic,
        partition,
        fromNative(() => this._native.sendBytes(topic, partition, this._scratch.subarray(0, units), lengths)),
      );
    }
    let enqueued = 0;
    let result;
    let from = 0;
    do {
      // once at least: an empty array too reports the queue's length
      const { bytes, end } = this._pack(payloads, from, lengths);
      result = fromNative(() => this._native.sendBytes(topic, partition, bytes, lengths.subarray(from, end)));
      enqueued += result.enqueued;
      if (result.enqueued < end - from) break; // the local queue is full: the rest would be refused too
      from = end;
    } while (from < payloads.length);
    return this._sent(topic, partition, { enqueued, sendQueueLength: result.sendQueueLength });
  }

  // Short strings, all ASCII, joined in groups and written into the scratch: one encoding call
  // per group instead of one per string. False (the scratch spoilt) when they are not all ASCII
  // or do not fit: _pack then takes them one at a time.
  _packAscii(payloads, units, lengths) {
    const scratch = this._scratch;
    if (units > scratch.length - 4) return false;
    let at = 0;
    for (let i = 0; i < payloads.length; i += JOIN_COUNT) {
      const joined = payloads.slice(i, i + JOIN_COUNT).join('');
      // As many bytes as units prove every character took one byte, and that nothing was cut
      // off: a cut leaves fewer than 4 bytes of the scratch unwritten, and the units fit.
      if (scratch.write(joined, at) !== joined.length) return false;
      at += joined.length;
    }
    for (let i = 0; i < payloads.length; i++) lengths[i] = payloads[i].length;
    return true;
  }

  // Packs payloads from `from` on into the scratch Buffer until the next would not fit, and
  // sets each one's byte length in `lengths`; the addon copies the bytes before sendBytes
  // returns, so one scratch serves every send. Strings are encoded straight into it: no
  // joined string, no second copy in the addon. A payload larger than the scratch travels
  // alone in a Buffer of its own (a Buffer or Uint8Array as it is).
  _pack(payloads, from, lengths) {
    const scratch = this._scratch;
    let at = 0;
    let i = from;
    for (; i < payloads.length; i++) {
      const p = payloads[i];
      const room = scratch.length - at;
      if (typeof p === 'string') {
        // Up to 3 bytes per UTF-16 unit: measure only when the worst case would not fit.
        if (room < p.length * 3) {
          const size = Buffer.byteLength(p, 'utf8');
          if (size > room) {
            if (i > from) break;
            lengths[i] = size;
            return { bytes: Buffer.from(p, 'utf8'), end: i + 1 };
          }
        }
        lengths[i] = scratch.write(p, at);
      } else {
        if (p.length > room) {
          if (i > from) break;
          lengths[i] = p.length;
          return { bytes: Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.length), end: i + 1 };
        }
        scratch.set(p, at);
        lengths[i] = p.length;
      }
      at += lengths[i];
    }
    return { bytes: scratch.subarray(0, at), end: i };
  }

  _sent(topic, partition, result) {
    if (result.enqueued > 0) this._keepAliveUntilDelivered();
    if (channels.send.hasSubscribers) channels.send.publish({ producer: this, topic, partition, count: result.enqueued });
    return { enqueued: result.enqueued, send_queue_length: result.sendQueueLength };
  }

  // send() while a tracer records: every payload becomes a record carrying the span's context.
  _sendTraced(span, topic, partition, payloads) {
    let result;
    try {
      const records = payloads.map((p, i) => toRecord(p, i));
      tracing.addTraceHeaders(span, records);
      result = fromNative(() => this._native.sendRecords(topic, partition, records));
    } catch (err) {
      tracing.endSend(span, { err });
      throw err;
    }
    tracing.endSend(span, { enqueued: result.enqueued, count: payloads.length });
    return this._sent(topic, partition, result);
  }

  // The addon's wake-ups come through one threadsafe function, and Node runs up to 1,000 queued
  // calls back to back, each followed by its microtasks, before the event loop moves on. A
  // caller whose continuation of a settled deliver() is heavy (the KafkaJS layer's next send()
  // of 10,000 messages) held the loop from timers and I/O for the whole of a 1M-message run
  // (12.8 s of 13.4). So one serve per turn at once (no delay for a wake-up at rest); the
  // wake-ups that follow in that turn are served together from setImmediate, after which the
  // loop goes round.
  _woken() {
    if (this._serveLater) return;
    if (this._servedInTurn) {
      this._serveLater = true;
      setImmediate(this._servePostponed);
      return;
    }
    this._servedInTurn = true;
    setImmediate(this._endTurn);
    this._serveEvents();
  }

  // Delivery reports, stats and logs go to their callbacks; deliver()'s settled calls come back.
  _serveEvents() {
    const outcomes = this._native.serveEvents();
    if (outcomes.length === 0) return;
    for (let i = 0; i < outcomes.length; i++) this._unsettled.push(outcomes[i]);
    this._settleDue();
  }

  // Settling a deliver() runs its caller's continuation in this turn's microtasks, and a
  // continuation may be heavy (the KafkaJS layer's next send() of 10,000 messages: ~10 ms).
  // Four such outcomes served together held the loop 4 times as long. So the outcomes of a turn
  // are settled up to a budget: what one outcome's continuations cost is measured from its
  // settling to the next setImmediate (its microtasks ran in between), and a turn settles as
  // many as SETTLE_BUDGET_MS allows, at least one; the rest wait a loop turn (timers and I/O go
  // first). Light continuations (a socket write, a counter) are settled all at once.
  _settleDue() {
    if (this._settledCount > 0) return; // this turn's share is settled: _settleNextTurn goes on
    const count = Math.min(this._unsettled.length, this._settlePerTurn);
    const due = this._unsettled.splice(0, count);
    this._settledAt = performance.now();
    this._settledCount = count;
    setImmediate(this._settleMeasured);
    for (let i = 0; i < due.length; i++) this._deliveries.settle(due[i]);
  }

  _settleNextTurn() {
    const perOutcome = (performance.now() - this._settledAt) / this._settledCount;
    this._settlePerTurn = Math.max(1, Math.floor(SETTLE_BUDGET_MS / perOutcome));
    this._settledCount = 0;
    if (this._unsettled.length > 0) this._settleDue();
  }

  // While messages are on their way the process stays alive, as KafkaJS's does: a script that
  // sends and ends without stop() still delivers them, or waits until librdkafka fails them
  // (message.timeout.ms). One timer per busy producer, which asks the addon's lock-free count.
  _keepAliveUntilDelivered() {
    if (this._alive) return;
    this._alive = setInterval(() => {
      // A deliver() outcome the addon holds but JS has not yet taken counts too: the addon's
      // wake-up does not hold the process (a producer at rest must not), and its messages
      // have already left the in-flight count.
      if (this._native.inFlight() > 0 || this._deliveries.waiting.size > 0) return;
      clearInterval(this._alive);
      this._alive = null;
    }, KEEP_ALIVE_CHECK_MS);
  }

  // Like send(), and tells where each message landed: resolves once every one is delivered with
  // [{partition, offset}] in payload order, or rejects with the first failure. When the local
  // queue (queue_buffering_max_messages or _kbytes) refused some, it rejects with code QUEUE_FULL once those
  // that went in are delivered. For callers that need a position per message (socket.io's
  // connection state recovery); send() stays the way to stream.
  // options.signal: an aborted signal rejects with an AbortError; aborted before the call,
  // nothing is sent; aborted while waiting, the wait ends at once but the messages, already
  // handed to librdkafka, are still sent (a produce cannot be recalled; their failures are
  // logged and counted, as for send()).
  deliver(topic, partition, payloads, options = {}) {
    let landed;
    let signal;
    let span = null;
    try {
      signal = checkSignal('deliver()', options);
      if (signal && signal.aborted) throw abortError(signal, 'deliver()');
      const plain = checkDeliver(topic, partition, payloads);
      span = payloads.length > 0 ? tracing.startSend(topic, partition, payloads.length) : null;
      landed = fromNative(() => this._deliveries.start((ticket) => this._handOver(topic, partition, payloads, plain, span, ticket)));
      this._keepAliveUntilDelivered();
    } catch (err) {
      if (span) tracing.endDeliver(span, null, err);
      // Refused at once (bad arguments, an aborted signal, a stopped or failed producer): it
      // settled too, so the delivery channel hears of it as of any other rejection.
      if (channels.delivery.hasSubscribers)
        channels.delivery.publish({ producer: this, topic, partition, count: Array.isArray(payloads) ? payloads.length : 0, error: err });
      return Promise.reject(err);
    }
    if (channels.send.hasSubscribers) channels.send.publish({ producer: this, topic, partition, count: payloads.length });
    if (signal) landed = untilAborted(landed, signal, this._logger);
    const outcome = landed.then((positions) => {
      if (positions.length < payloads.length) {
        const err = new Error(
          `kafka-native: deliver() enqueued ${positions.length} of ${payloads.length} messages to ${topic}: the local queue is full (queue_buffering_max_messages, queue_buffering_max_kbytes)`,
        );
        err.code = 'QUEUE_FULL';
        throw err;
      }
      return positions;
    });
    if (!span && !channels.delivery.hasSubscribers) return outcome;
    return outcome.then(
      (positions) => {
        if (span) tracing.endDeliver(span, positions, null);
        if (channels.delivery.hasSubscribers)
          channels.delivery.publish({ producer: this, topic, partition, count: payloads.length, positions });
        return positions;
      },
      (err) => {
        if (span) tracing.endDeliver(span, null, err);
        if (channels.delivery.hasSubscribers)
          channels.delivery.publish({ producer: this, topic, partition, count: payloads.length, error: err });
        throw err;
      },
    );
  }

  // deliver()'s crossing. Plain payloads (strings and Buffers) that fit the scratch cross packed,
  // as send()'s do: an object per message read through napi cost ~4 µs, 40 ms of event loop
  // per 10,000-message call. Records (keys, headers, a span's trace header) cross one by one.
  _handOver(topic, partition, payloads, plain, span, ticket) {
    if (plain && !span) {
      this._scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES);
      const lengths = new Uint32Array(payloads.length);
      const { bytes, end } = this._pack(payloads, 0, lengths);
      if (end === payloads.length) {
        this._native.deliverBytes(topic, partition, bytes, lengths, ticket);
        return;
      }
    }
    const records = payloads.map((p, i) => toRecord(p, i, 'deliver()'));
    if (span) tracing.addTraceHeaders(span, records);
    this._native.deliver(topic, partition, records, ticket);
  }

  // Transactions (a producer with transactional_id): initTransactions() once, then per
  // transaction beginTransaction(), send()s, sendOffsetsToTransaction() for a group consumer's
  // batch in hand, and commitTransaction(), or abortTransaction() when anything failed. A
  // rejected call's error says what to do next: err.retriable (call again), err.abortable
  // (abort, then begin another) or err.fatal (the producer can do nothing more: e.g. a newer
  // producer with the same transactional_id fenced it; stop it). options.timeout: ms, default 60 s.
  initTransactions(options) {
    return this._transactionCall('initTransactions', options, (timeout) => this._native.initTransactions(timeout));
  }

  beginTransaction() {
    fromNative(() => this._native.beginTransaction());
  }

  // Adds the group consumer's position after its batch in hand (consumer.nextOffsets()), or the
  // offsets given ([{topic, partition, offset}], each the next offset to read), to the
  // transaction: they are committed to the consumer's group with it, or not at all. With a
  // group id instead of a consumer (offsets then required), the broker cannot fence a zombie
  // member of the group by its generation: prefer the consumer.
  sendOffsetsToTransaction(consumer, offsets, options) {
    return this._transactionCall('sendOffsetsToTransaction', options, (timeout) => {
      if (typeof consumer === 'string') {
        const list = offsetList('sendOffsetsToTransaction() argument offsets', offsets, {
          array: 'an array of {topic, partition, offset} (required with a group id)',
        });
        return this._native.sendOffsetsToTransactionForGroup(list, consumer, timeout);
      }
      // A Consumer of this package (known by its telemetry, as collectMetrics knows it: requiring
      // consumer.js here would close a circle through the dead-letter writer).
      if (!(
        consumer !== null &&
        typeof consumer === 'object' &&
        consumer._telemetry instanceof ClientTelemetry &&
        consumer._telemetry.kind === 'consumer'
      ))
        throw fail('sendOffsetsToTransaction() argument consumer', 'a kafka-native Consumer with group_id, or a group id', consumer);
      const given = offsets ?? consumer.nextOffsets();
      if (!given)
        throw new TypeError(
          "kafka-native: sendOffsetsToTransaction(consumer) without offsets must be called while the consumer's receive_callback holds its batch (consumer.nextOffsets() is null)",
        );
      return this._native.sendOffsetsToTransaction(
        offsetList('sendOffsetsToTransaction() argument offsets', given),
        consumer._native,
        timeout,
      );
    });
  }

  // The transaction protocol the producer writes with, chosen when initTransactions()
  // completes: 2 (transactions v2, KIP-890) where the cluster finalized transaction.version 2
  // (Apache Kafka 4.0 and later by default), else 1; null before, and without transactional_id.
  transactionVersion() {
    return this._native.transactionVersion();
  }

  commitTransaction(options) {
    return this._transactionCall('commitTransaction', options, (timeout) => this._native.commitTransaction(timeout));
  }

  abortTransaction(options) {
    return this._transactionCall('abortTransaction', options, (timeout) => this._native.abortTransaction(timeout));
  }

  _transactionCall(name, options, call) {
    try {
      if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options))) {
        throw fail(`${name}() argument options`, 'an object like {timeout: ms}', options);
      }
      const timeout = options?.timeout ?? TIMEOUTS.transaction_ms;
      if (!Number.isInteger(timeout) || timeout < 0 || timeout > 2 ** 32 - 1)
        throw fail(`${name}() option timeout`, 'a non-negative integer (ms)', timeout);
      return fromNative(() => call(timeout));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // How the producer is doing, as it sees it, from the last statistics interval (no request):
  // {status: 'ok' | 'degraded' | 'failed' | 'stopped', reasons, brokers, fatal_error, updated}.
  health() {
    return healthObject(this._native.health());
  }

  // The fatal error this producer raised (an Error, err.fatal true, err.code the cause's), or
  // null. After one it refuses every send and can only be stopped: make a new producer. Never
  // waits.
  fatalError() {
    const fatal = this._native.fatalError();
    return fatal ? kafkaError(fatal) : null;
  }

  partition_count(topic) {
    if (typeof topic !== 'string') return Promise.reject(fail('partition_count() argument topic', 'a string', topic));
    return this._native.partitionCount(topic, TIMEOUTS.metadata_ms);
  }

  // Resolves once every message is delivered; rejects when time runs out or when any message
  // this producer enqueued was not delivered (each failure is also logged).
  // options.timeout (ms, as bluebird-retry's option in kafka-native) defaults to 15 s.
  stop(options) {
    if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options))) {
      return Promise.reject(fail('stop() argument options', 'an object like {timeout: ms}', options));
    }
    const timeout = options?.timeout ?? TIMEOUTS.stop_ms;
    if (!Number.isInteger(timeout) || timeout < 0 || timeout > 2 ** 32 - 1)
      return Promise.reject(fail('stop() option timeout', 'a non-negative integer (ms)', timeout));
    this._telemetry.stopped = true;
    return this._native.stop(timeout).finally(() => {
      clearInterval(this._alive);
      this._alive = null;
    });
  }
}

module.exports = { Producer };
