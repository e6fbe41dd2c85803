'use strict';
const { NativeConsumer } = require('../native/index.js');
const { oauthbearerBridge } = require('./oauthbearer');
const { consumerOptions, logTo, fromNative, fail, CONSUMER_DEFAULTS, TIMEOUTS } = require('./options');
const { offsetList } = require('./argument-error');
const iteration = require('./consumer-iteration');
const { checkSignal, abortError } = require('./abort');
const tracing = require('../observability/tracing');
const { channels } = require('../observability/diagnostics');
const { ClientTelemetry } = require('../observability/metrics');
const { DeadLetters, decodeKeepingBytes } = require('./dead-letters');
const { healthObject } = require('./health');
const { unpack } = require('./columns');

// receive_callback's Promise rejected with notProcessed(reason): the batch was not processed.
// Its offsets are not recorded (nor committed, in a group) and the consumer fetches no more; a
// restart, or the group's next owner of the partition, reads it again. Any other rejection
// keeps kafka-native's rule: logged, and the offsets recorded.
const NOT_PROCESSED = Symbol('kafka-native not processed');

function notProcessed(reason) {
  const err = new Error(`kafka-native: batch not processed: ${reason}`);
  err[NOT_PROCESSED] = true;
  return err;
}

class Consumer {
  constructor(options) {
    const opts = consumerOptions(options);
    const { stats_callback, rebalance_callback, logger } = opts;
    const groupId = opts.native.groupId;
    this._inGroup = opts.in_group;
    // Without receive_callback, the one loop that reads this consumer pulls the batches.
    this._iteration = opts.receive_callback ? null : new iteration.BatchIteration(this, notProcessed);
    const receive_callback = opts.receive_callback;
    let warnedNotPromise = false;
    // The addon holds its wake callback strongly, so it holds this consumer weakly: a strong
    // reference back would keep a consumer that is never started from ever being collected.
    // A started one is held by its keep-alive timer (see start()).
    const self = new WeakRef(this);
    // Settled on the next turn of the event loop, not at once: a next batch ready at once would
    // be handed over in the same turn, and the next, starving timers and I/O for as long as the
    // consumer has data.
    const settleBatch = (processed) =>
      setImmediate(() => {
        const consumer = self.deref();
        if (!consumer) return;
        consumer._native.settle(processed);
        // The next batch, if one is ready (no wake-up comes for what is queued already).
        consumer._pull();
      });
    // The batch the addon handed over, published and traced: {batch, span, settle(processed,
    // err)}. The addon hands over no other before settle(). (No closure here names `this`: the
    // addon holds them, and one that did would keep every consumer from being collected.)
    const decodeText = opts.decode_text;
    const handOver = (columns) => {
      const batch = { messages: unpack(columns), repeats: columns.repeats, misses: columns.misses };
      if (decodeText) decodeKeepingBytes(batch.messages);
      if (channels.batch.hasSubscribers) channels.batch.publish({ consumer: self.deref(), messages: batch.messages });
      const span = tracing.startProcess(batch.messages, groupId);
      // Runs fn with the batch's span active: receive_callback runs so, but a for await body
      // runs in its loop's context, which an iterator cannot change.
      batch.withContext = span ? (fn) => tracing.within(span, fn) : (fn) => fn();
      const settle = (processed, err) => {
        if (span) tracing.endProcess(span, err);
        settleBatch(processed);
      };
      return { batch, span, settle };
    };
    // Hands one batch to receive_callback and settles it by its outcome.
    const onBatch = (columns) => {
      const { batch, span, settle } = handOver(columns);
      if (opts.max_deliveries !== undefined) {
        self.deref()?._tries(batch, span, settle);
        return;
      }
      const failed = (err) => {
        if (channels.error.hasSubscribers) channels.error.publish({ client: self.deref(), error: err });
        settle(true, err);
      };
      let result;
      try {
        result = span ? tracing.within(span, () => receive_callback(batch)) : receive_callback(batch);
      } catch (err) {
        logger.error(`kafka-native: receive_callback threw; offsets are recorded anyway: ${err && err.stack ? err.stack : err}`);
        failed(err);
        return;
      }
      if (!result || typeof result.then !== 'function') {
        if (!warnedNotPromise) {
          warnedNotPromise = true;
          logger.warn('kafka-native: receive_callback did not return a Promise; each batch counts as settled when it returns');
        }
        settle(true);
        return;
      }
      result.then(
        () => settle(true),
        (err) => {
          if (err && err[NOT_PROCESSED]) {
            settle(false, err);
            return;
          }
          logger.error(`kafka-native: receive_callback rejected; offsets are recorded anyway: ${err && err.stack ? err.stack : err}`);
          failed(err);
        },
      );
    };
    this._telemetry = new ClientTelemetry('consumer', opts.native.statisticsIntervalMs ?? CONSUMER_DEFAULTS.statistics_interval_ms);
    const onStats = this._telemetry.statsOn
      ? (s) => {
          self.deref()?._telemetry.keep(s);
          if (stats_callback) {
            stats_callback({
              waiting_kafka: s.waitingKafka,
              waiting_local: s.waitingLocal,
              kafka_log_size: s.kafkaLogSize,
              rdkafka_stats: s.rdkafkaStats,
            });
          }
        }
      : undefined;
    // Given without a group too, so that the core refuses rebalance_callback there, naming it.
    const onRebalance =
      this._inGroup || rebalance_callback
        ? (change) => {
            const consumer = self.deref();
            if (consumer) consumer._telemetry.rebalances++;
            if (channels.rebalance.hasSubscribers)
              channels.rebalance.publish({ consumer, assigned: change.assigned, revoked: change.revoked });
            if (rebalance_callback) rebalance_callback(change);
          }
        : undefined;
    this._handOver = handOver;
    this._onBatch = onBatch;
    this._receive = receive_callback;
    this._logger = logger;
    this._maxDeliveries = opts.max_deliveries;
    this._deadLetters = DeadLetters.forConsumer(opts, logger);
    this._retryWait = null; // {timer, resolve} while a failed batch waits to be tried again
    this._native = fromNative(
      () =>
        new NativeConsumer(
          opts.native,
          // The addon calls this when a batch can be pulled; it is taken here, on the JS thread
          // (see _pull).
          () => self.deref()?._pull(),
          onStats,
          logTo(logger, () => self.deref()),
          onRebalance,
          oauthbearerBridge(opts.oauthbearer_token_callback),
        ),
    );
  }

  // With max_deliveries: a batch whose receive_callback throws or rejects is tried again (after
  // 100 ms, doubling up to 2 s) up to max_deliveries tries in all, before the next batch, so
  // order holds. After the last, its records go to dead_letter_topic (if any) and the batch is
  // recorded: the consumer moves on. If they cannot be written, or the consumer stops meanwhile,
  // the batch is left unrecorded, as with notProcessed().
  async _tries(batch, span, settle) {
    const logger = this._logger;
    let lastError;
    for (let attempt = 1; attempt <= this._maxDeliveries; attempt++) {
      try {
        await (span ? tracing.within(span, () => this._receive(batch)) : this._receive(batch));
        settle(true);
        return;
      } catch (caught) {
        const err = caught ?? new Error('receive_callback rejected with nothing');
        if (err[NOT_PROCESSED]) {
          settle(false, err);
          return;
        }
        lastError = err;
        if (channels.error.hasSubscribers) channels.error.publish({ client: this, error: err });
        const next = attempt < this._maxDeliveries ? ', tried again' : '';
        logger.error(
          `kafka-native: receive_callback failed (try ${attempt} of max_deliveries ${this._maxDeliveries}${next}): ${err.stack ?? err}`,
        );
      }
      if (attempt < this._maxDeliveries && !(await this._waitToRetry(Math.min(100 * 2 ** (attempt - 1), 2000)))) {
        settle(false, lastError); // stopping: left for the next start
        return;
      }
    }
    const first = batch.messages[0];
    const where = first ? `${batch.messages.length} message(s) from ${first.topic}/${first.partition}/${first.offset}` : 'an empty batch';
    if (this._deadLetters && batch.messages.length > 0) {
      try {
        await this._deadLetters.write(batch.messages, this._maxDeliveries, lastError);
        this._telemetry.deadLettered += batch.messages.length;
      } catch (err) {
        logger.error(
          `kafka-native: ${where} failed ${this._maxDeliveries} times and could not be written to dead_letter_topic ${this._deadLetters.topic}: left unrecorded, the consumer fetches no more (${err && err.message})`,
        );
        settle(false, err);
        return;
      }
      logger.warn(
        `kafka-native: ${where} failed ${this._maxDeliveries} times (max_deliveries): written to dead_letter_topic ${this._deadLetters.topic}, and the consumer moves on`,
      );
    } else {
      logger.warn(
        `kafka-native: ${where} failed ${this._maxDeliveries} times (max_deliveries): recorded anyway, and the consumer moves on`,
      );
    }
    settle(true, lastError);
  }

  // Resolves true after `ms`, or false at once when the consumer stops.
  _waitToRetry(ms) {
    if (this._telemetry.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this._retryWait = null;
        resolve(true);
      }, ms);
      this._retryWait = { timer, resolve };
    });
  }

  // For the iteration: the batch the addon hands over now, as {batch, settle}; null if none.
  _take() {
    const columns = this._native.pull();
    return columns ? this._handOver(columns) : null;
  }

  // The core's hand-over: the addon hands over one batch at a time (none while one is
  // unsettled, paused or stopped). Called when the addon says a batch can be pulled and after
  // each batch settles.
  _pull() {
    if (this._iteration) {
      this._iteration.wake(); // the loop pulls when it asks for a batch
      return;
    }
    const columns = this._native.pull();
    if (columns) this._onBatch(columns);
  }

  // A running consumer keeps the process alive (like a server socket) until stop(). Resolves
  // with the partitions read: numbers (kafka-native's shape), or in a group [{topic, partition}]
  // once the group has assigned them (possibly none).
  // options.signal: aborting it stops the consumer (cancelling a start under way); start()
  // then rejects with an AbortError.
  start(options = {}) {
    let signal;
    try {
      signal = checkSignal('start()', options);
    } catch (err) {
      return Promise.reject(err);
    }
    if (signal) return this._startUntilAborted(signal);
    const started = this._native.start();
    // Keeps the process alive, and this consumer with it, until stop(): a running consumer
    // nobody refers to still runs, as a server socket does.
    if (!this._keepAlive) this._keepAlive = setInterval(() => this, 2 ** 30);
    return started.then(
      (assigned) => {
        if (channels.connect.hasSubscribers) channels.connect.publish({ client: this, kind: 'consumer', assigned });
        return this._inGroup ? assigned : assigned.map((tp) => tp.partition);
      },
      (err) => {
        this._release();
        throw err;
      },
    );
  }

  _startUntilAborted(signal) {
    if (signal.aborted) return Promise.reject(abortError(signal, 'start()'));
    const onAbort = () => this.stop().catch(() => {});
    signal.addEventListener('abort', onAbort, { once: true });
    return this.start().then(
      (assigned) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) throw abortError(signal, 'start()');
        return assigned;
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        throw signal.aborted ? abortError(signal, 'start()') : err;
      },
    );
  }

  // The batch in hand's next offsets to read, [{topic, partition, offset}] (per partition, its
  // last offset + 1): what a transactional producer commits for it with
  // sendOffsetsToTransaction(). Only while receive_callback's batch is unsettled; else null.
  nextOffsets() {
    return this._native.nextOffsets();
  }

  // How far behind each partition read now the handler is: [{topic, partition, high, next,
  // lag}], high being the partition's high watermark (asked of its leader, so it moves while
  // the consumer is paused), next the next offset to be handed to the handler, lag the messages
  // between (next and lag null while unknown). [] when not running. options.timeout: ms,
  // default 5 s.
  lag(options) {
    try {
      if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options)))
        throw fail('lag() argument options', 'an object like {timeout: ms}', options);
      const timeout = options?.timeout ?? TIMEOUTS.lag_ms;
      if (!Number.isInteger(timeout) || timeout < 0 || timeout > 2 ** 32 - 1)
        throw fail('lag() option timeout', 'a non-negative integer (ms)', timeout);
      return this._native.lag(timeout).then((partitions) =>
        partitions.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          high: p.high,
          next: p.next ?? null,
          lag: p.lag ?? null,
        })),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // How the consumer is doing, as it sees it, from the last statistics interval (no request):
  // the producer's health() and its partitions (lag, progress, stuck after stuck_after_ms) and
  // group.
  health() {
    return healthObject(this._native.health());
  }

  // The partitions read now, [{topic, partition}] (a group's change with each rebalance).
  assignment() {
    return this._native.assignment();
  }

  // Reads the partition from `offset` next: a number, or 'earliest' / 'latest'. Between batches:
  // from inside receive_callback, once its batch settles (that batch's offsets in the partition
  // are then recorded only up to offset - 1). The position is recorded (committed, in a group)
  // as offset - 1. The partition must be one this consumer reads now (a worker's share, or
  // the group's assignment). Synchronous; never waits on the network.
  seek(topic, partition, offset) {
    if (typeof topic !== 'string') throw fail('seek() argument topic', 'a string', topic);
    if (!Number.isInteger(partition) || partition < 0 || partition > 2 ** 31 - 1)
      throw fail('seek() argument partition', 'a partition number', partition);
    // Which offsets are valid is the core's to say ('earliest', 'latest', 0 or more).
    if (!(typeof offset === 'string' || Number.isSafeInteger(offset)))
      throw fail('seek() argument offset', "an integer offset, 'earliest' or 'latest'", offset);
    fromNative(() => this._native.seek(topic, partition, offset));
  }

  // Records each partition's next offset to read ([{topic, partition, offset}]) and resolves
  // once it is stored (committed, in a group). With auto_commit: false, the only way offsets
  // are recorded. The partitions must be ones this consumer reads now.
  commit(offsets) {
    try {
      // The shape here; which offsets are valid (the next to read, 0 or more) is the core's.
      const list = offsetList('commit() argument offsets', offsets, {
        element: '{topic, partition, offset} (offset: the next to read, 0 or more)',
      });
      return this._native.commit(list);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  pause() {
    fromNative(() => this._native.pause());
  }
  resume() {
    fromNative(() => this._native.resume());
  }

  // for await (const batch of consumer.batches({signal})) (each batch recorded, or committed
  // in a group, once the loop body has finished with it), messages() and readable(): added
  // below from consumer-iteration.js. For a Consumer created without receive_callback; they
  // start it unless it is running.
  _startsForReading() {
    return !this._keepAlive;
  }

  stop() {
    if (this._iteration) this._iteration.end();
    this._telemetry.stopped = true;
    if (this._retryWait) {
      clearTimeout(this._retryWait.timer);
      this._retryWait.resolve(false);
      this._retryWait = null;
    }
    const deadLetters = this._deadLetters;
    return this._native
      .stop()
      .then(() => deadLetters && deadLetters.stop())
      .finally(() => this._release());
  }

  _release() {
    clearInterval(this._keepAlive);
    this._keepAlive = undefined;
  }
}

iteration.addReaders(Consumer);

module.exports = { Consumer, notProcessed, NOT_PROCESSED };
