'use strict';
// ShareConsumer: a member of a share group (KIP-932, "Queues for Kafka"; Apache Kafka 4.2 and
// newer). Many members read the same partitions; each record is acquired by one member at a time,
// acknowledged on its own, and delivered again (delivery_count one higher) when released or when
// its member dies holding it.
//
// The settle rules are the Consumer's: a batch whose receive_callback resolves is accepted; one
// whose callback throws, rejects or rejects with notProcessed() is released for redelivery. A
// record acknowledged on its own first (message.accept(), release(), reject()) keeps that.
// Poison records: with max_deliveries N, a record delivered more than N times is not handed over
// again but rejected, first written to dead_letter_topic (if given) with headers naming where it
// came from, how often it was delivered and the last error this member saw for it.
const { NativeShareConsumer } = require('../native/index.js');
const { shareConsumerOptions, logTo, fromNative } = require('./options');
const { checkSignal, abortError } = require('./abort');
const { NOT_PROCESSED, notProcessed } = require('./consumer');
const { unpack } = require('./columns');
const iteration = require('./consumer-iteration');
const { DeadLetters, decodeKeepingBytes } = require('./dead-letters');
const tracing = require('../observability/tracing');
const { channels } = require('../observability/diagnostics');
const { ClientTelemetry } = require('../observability/metrics');

// A message's place in its batch, and the batch, for acknowledging it.
const INDEX = Symbol('kafka-native share record index');
const IN_HAND = Symbol('kafka-native share batch');

// A record handed to receive_callback: the Consumer's message fields, its delivery count, and
// the acknowledgements that decide it on its own before its batch settles.
class ShareMessage {
  // As the columns make it (columns.js); its batch and place in it, and its delivery count, are
  // set by unpackShare.
  constructor(topic, partition, offset, timestamp, payload, key) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.payload = payload;
    if (key !== undefined) this.key = key;
  }

  accept() {
    this[IN_HAND].acknowledge(this[INDEX], 'accept');
  }

  release() {
    this[IN_HAND].acknowledge(this[INDEX], 'release');
  }

  reject() {
    this[IN_HAND].acknowledge(this[INDEX], 'reject');
  }

  // Still being worked on: the broker starts this record's lock anew (Kafka 4.2+), and it stays
  // to be acknowledged. renew_locks does this for every record of a batch out.
  renew() {
    this[IN_HAND].acknowledge(this[INDEX], 'renew');
  }
}

// The addon hands a batch over in columns, as the Consumer's (columns.js), with each record's
// delivery count beside.
function unpackShare({ records, deliveryCounts }, inHand) {
  const messages = unpack(records, ShareMessage);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    m.delivery_count = deliveryCounts[i];
    m[INDEX] = i;
    m[IN_HAND] = inHand;
  }
  return messages;
}

// The last error seen per record (topic/partition/offset), for a dead-lettered record's headers:
// bounded, the oldest forgotten first.
const LAST_ERRORS_KEPT = 10000;

class ShareConsumer {
  constructor(options) {
    const opts = shareConsumerOptions(options);
    this._opts = opts;
    this._implicit = opts.native.acknowledgementMode === 'implicit';
    this._logger = opts.logger;
    this._lastErrors = new Map();
    this._telemetry = new ClientTelemetry('share-consumer', 0);
    this._deadLetters = DeadLetters.forConsumer(opts, opts.logger);
    this._inHand = null; // {messages, settled} of the batch handed over
    // Without receive_callback, the one loop that reads this consumer pulls the batches.
    this._iteration = opts.receive_callback ? null : new iteration.BatchIteration(this, notProcessed);
    this._started = false;
    this._stopping = null;
    const self = new WeakRef(this);
    const onCommit = opts.acknowledgement_commit_callback;
    this._native = fromNative(
      () =>
        new NativeShareConsumer(
          opts.native,
          () => self.deref()?._pull(),
          logTo(opts.logger, () => self.deref()),
          // {topic, partition, offsets, error?}: error an Error whose code names Kafka's error.
          onCommit &&
            (({ topic, partition, offsets, errorCode, errorMessage }) => {
              const outcome = { topic, partition, offsets };
              if (errorCode)
                outcome.error = Object.assign(new Error(`kafka-native: acknowledging ${topic}/${partition}: ${errorMessage}`), {
                  code: errorCode,
                });
              onCommit(outcome);
            }),
        ),
    );
  }

  // Joins the share group: resolves once the group has assigned this member partitions (from
  // then on, a record written to them is the group's to deliver; before, with the default
  // share.auto.offset.reset 'latest', it is not), or rejects: after join_timeout_ms (60 s), the
  // consumer stopped, with err.code '_TIMED_OUT'; after stop(), 'STOPPED'. Keeps the process
  // alive until stop(). options.signal: aborting it stops the consumer (and start() rejects
  // with an AbortError).
  start(options = {}) {
    let signal;
    try {
      signal = checkSignal('start()', options);
      if (signal && signal.aborted) throw abortError(signal, 'start()');
    } catch (err) {
      return Promise.reject(err);
    }
    const started = this._native.start();
    // Learnt while the member joins; no batch is handed over before (see _handOver).
    if (this._opts.max_deliveries !== undefined) this._learning ??= this._learnDeliveryLimit();
    if (signal) {
      const onAbort = () => this.stop().catch(() => {});
      signal.addEventListener('abort', onAbort, { once: true });
      this._unlisten = () => signal.removeEventListener('abort', onAbort);
    }
    this._started = true;
    if (!this._keepAlive) this._keepAlive = setInterval(() => this, 2 ** 30);
    return started.then(
      async () => {
        if (signal?.aborted) throw abortError(signal, 'start()');
        await this._learning;
        if (channels.connect.hasSubscribers) channels.connect.publish({ client: this, kind: 'share-consumer' });
      },
      (err) => {
        clearInterval(this._keepAlive);
        this._keepAlive = undefined;
        throw signal?.aborted ? abortError(signal, 'start()') : err;
      },
    );
  }

  // With max_deliveries: the group's delivery limit (share.delivery.count.limit: the group's own,
  // or the broker's group.share.delivery.count.limit, 5 by default). The broker archives a record
  // after that many deliveries instead of delivering it again, so with max_deliveries at or
  // above it a record would never come past max_deliveries: then a record whose receive_callback
  // fails on the broker's last delivery is dead-lettered (or rejected) at once, and the start
  // says so.
  async _learnDeliveryLimit() {
    const { Admin } = require('./admin');
    const { brokers, driverOptions, groupId } = this._opts.native;
    const admin = new Admin({ broker: brokers, driver_options: driverOptions, logger: this._logger });
    const max = this._opts.max_deliveries;
    try {
      const [described] = await admin.describeConfigs([{ kind: 'group', name: groupId }]);
      const limit = Number(described?.entries.find((e) => e.name === 'share.delivery.count.limit')?.value);
      if (!Number.isInteger(limit) || limit < 1) return;
      this._deliveryLimit = limit;
      if (max >= limit) {
        const then = this._deadLetters ? `written to dead_letter_topic ${this._deadLetters.topic} and rejected` : 'rejected';
        this._logger.warn(
          `kafka-native: share consumer: max_deliveries ${max} is not below the group's share.delivery.count.limit ${limit}, after which the broker archives a record: a record whose receive_callback fails on its delivery ${limit} is ${then} then`,
        );
      }
    } catch (err) {
      this._logger.warn(
        `kafka-native: share consumer: could not read the group's share.delivery.count.limit (${err && err.message}); a record the broker archives before max_deliveries ${max} is not dead-lettered`,
      );
    } finally {
      await admin.stop();
    }
  }

  // The addon says a batch can be pulled (or the consumer ended). Called after each batch
  // settles too.
  _pull() {
    if (this._native.ended()) {
      this._iteration?.end();
      return;
    }
    if (this._iteration) {
      this._iteration.wake(); // the loop pulls when it asks for a batch
      return;
    }
    if (this._inHand || this._stopping) return; // stopping: no batch is handed over any more
    const taken = this._take();
    if (taken) taken.then((t) => t && this._run(t.inHand, t.batch.messages));
  }

  // The batch the addon hands over now, as {batch: {messages}, settle(processed), inHand}
  // (a Promise: records past max_deliveries are dead-lettered first); null when none is ready.
  // A batch of such records only is settled here, and the Promise gives null.
  _take() {
    const columns = this._native.pull();
    if (!columns) return null;
    return this._handOver(columns).catch((err) => {
      this._logger.error(`kafka-native: share consumer: ${err && err.stack ? err.stack : err}`);
      return null;
    });
  }

  async _handOver(columns) {
    if (this._learning) await this._learning;
    const native = this._native;
    const inHand = {
      settled: false,
      acks: new Map(), // record index -> how, for the records acknowledged on their own
      acknowledge(index, how) {
        if (inHand.settled) throw new TypeError(`kafka-native: message.${how}(): its batch has settled already`);
        fromNative(() => native.acknowledge(index, how));
        if (how !== 'renew') inHand.acks.set(index, how);
        // Checked now; sent together with the others acknowledged in this turn, at its end.
        if (!inHand.sending) {
          inHand.sending = true;
          queueMicrotask(() => {
            inHand.sending = false;
            native.sendAcknowledged();
          });
        }
      },
    };
    this._inHand = inHand;
    const all = unpackShare(columns, inHand);
    if (this._opts.decode_text) decodeKeepingBytes(all);
    let messages = all;
    if (this._opts.max_deliveries !== undefined) {
      messages = [];
      for (const message of all) {
        if (message.delivery_count > this._opts.max_deliveries) await this._poison(message);
        else messages.push(message);
      }
    }
    if (messages.length === 0) {
      this._settle(inHand, true);
      return null;
    }
    inHand.messages = messages;
    if (channels.batch.hasSubscribers) channels.batch.publish({ consumer: this, messages });
    return { batch: { messages }, settle: (processed) => this._settle(inHand, processed), inHand };
  }

  // receive_callback(messages): resolved → its records not acknowledged otherwise accepted; any
  // failure → released. Records delivered before come one per call after the others, so that a
  // poison record fails alone and the records fetched with it are not held back with it. The
  // records of calls that resolved are accepted by the batch's settle, in one call to the addon.
  async _run(inHand, messages) {
    let fresh = messages;
    let again = [];
    if (messages.some((m) => m.delivery_count > 1)) {
      fresh = messages.filter((m) => m.delivery_count <= 1);
      again = messages.filter((m) => m.delivery_count > 1);
    }
    const calls = [...(fresh.length > 0 ? [fresh] : []), ...again.map((m) => [m])];
    // receive_callback({messages}), as the Consumer's
    for (const call of calls) {
      const err = await this._call(call);
      if (err === undefined) continue;
      this._remember(call, err);
      if (this._implicit) continue; // accepted with the batch: nothing can be released
      for (const m of call) {
        if (inHand.acks.has(m[INDEX])) continue;
        if (this._deliveryLimit !== undefined && m.delivery_count >= this._deliveryLimit) {
          // The broker's last delivery: released, it would be archived, never dead-lettered.
          await this._poison(m, `the broker's last delivery (share.delivery.count.limit ${this._deliveryLimit})`);
          continue;
        }
        try {
          m.release();
        } catch (ackErr) {
          this._logger.error(`kafka-native: share consumer: release ${m.topic}/${m.partition}/${m.offset}: ${ackErr.message}`);
        }
      }
    }
    this._settle(inHand, true);
  }

  // One receive_callback call: undefined when it resolved, else its error (logged).
  async _call(messages) {
    const span = tracing.startProcess(messages, this._opts.native.groupId);
    let err;
    try {
      const batch = { messages };
      await (span ? tracing.within(span, () => this._opts.receive_callback(batch)) : this._opts.receive_callback(batch));
    } catch (caught) {
      err = caught ?? new Error('receive_callback rejected with nothing');
      if (!err[NOT_PROCESSED]) {
        const outcome = this._implicit
          ? "acknowledgement_mode is 'implicit': its records are accepted all the same"
          : 'its records not acknowledged are released';
        this._logger.error(`kafka-native: share consumer's receive_callback failed; ${outcome}: ${err.stack ?? err}`);
        if (channels.error.hasSubscribers) channels.error.publish({ client: this, error: err });
      }
    }
    if (span) tracing.endProcess(span, err);
    return err;
  }

  _remember(messages, err) {
    const text = err instanceof Error ? err.message : String(err);
    for (const m of messages) {
      const key = `${m.topic}/${m.partition}/${m.offset}`;
      this._lastErrors.delete(key);
      this._lastErrors.set(key, text);
      if (this._lastErrors.size > LAST_ERRORS_KEPT) this._lastErrors.delete(this._lastErrors.keys().next().value);
    }
  }

  // A record past max_deliveries (or failed on the broker's last delivery: `why`): written to the
  // dead-letter topic (if any), then rejected.
  async _poison(message, why = `max_deliveries ${this._opts.max_deliveries}`) {
    const key = `${message.topic}/${message.partition}/${message.offset}`;
    const lastError = this._lastErrors.get(key);
    this._lastErrors.delete(key);
    if (this._deadLetters) {
      try {
        await this._deadLetters.write([message], message.delivery_count, lastError);
        this._telemetry.deadLettered++;
      } catch (err) {
        // Not written: released, so that it comes again rather than vanish.
        this._logger.error(
          `kafka-native: share consumer: a record past max_deliveries (${key}) could not be written to dead_letter_topic ${this._deadLetters.topic}; it is released: ${err && err.message}`,
        );
        message.release();
        return;
      }
    }
    this._logger.warn(
      `kafka-native: share consumer: ${key} was delivered ${message.delivery_count} times (${why}): rejected${this._deadLetters ? `, written to ${this._deadLetters.topic}` : ''}`,
    );
    message.reject();
  }

  // Settled on the next turn of the event loop: a batch ready at once must not starve timers.
  _settle(inHand, processed) {
    if (inHand.settled) return;
    inHand.settled = true;
    setImmediate(() => {
      if (this._inHand === inHand) this._inHand = null;
      // stop() waits for this in the addon (up to stop_timeout_ms).
      this._native.settle(processed);
      this._pull();
    });
  }

  // for await (const {messages} of consumer.batches({signal})) (a batch accepted, its records
  // not acknowledged otherwise, when the loop asks for the next; leaving the loop releases
  // those of the batch in hand and stops the consumer), messages() and readable(): added below
  // from consumer-iteration.js, as the Consumer's. For a ShareConsumer without
  // receive_callback; they start it unless it was started (or stopped).
  _startsForReading() {
    return !this._started && !this._stopping;
  }

  // What this consumer did since it started: {acquired, redelivered (delivered before: released,
  // or a lock that ran out), accepted, released, rejected, renewed (acknowledgements made, by
  // type), failed (acknowledgements refused by the broker or not sent), expired (records whose
  // lock ran out before this member acknowledged them), partitions (the same per topic and
  // partition)}. Local; also after stop().
  stats() {
    const { totals, partitions } = this._native.stats();
    return { ...totals, partitions: partitions.map(({ topic, partition, counts }) => ({ topic, partition, ...counts })) };
  }

  // Waits for the batch handed over (receive_callback's, or a for await body's) to settle, up to
  // stop_timeout_ms (15 s; then its records not acknowledged are released and this rejects with
  // err.code 'SETTLE_TIMED_OUT'), sends the acknowledgements and leaves the group. Idempotent.
  stop() {
    if (!this._stopping) {
      this._telemetry.stopped = true;
      this._unlisten?.();
      this._stopping = (async () => {
        try {
          this._iteration?.end();
          await this._native.stop();
        } finally {
          if (this._deadLetters) await this._deadLetters.stop();
        }
      })().finally(() => {
        clearInterval(this._keepAlive);
        this._keepAlive = undefined;
      });
    }
    return this._stopping;
  }
}

iteration.addReaders(ShareConsumer);

module.exports = { ShareConsumer };
