'use strict';
// A Consumer read with `for await`: batches(), messages() and readable() (a Web Streams
// ReadableStream). Built on the same hand-over as receive_callback: the native consumer hands
// one batch and fetches the next only once that batch is settled.
//
// A batch is settled as processed (its offsets recorded, or committed in a group) when the loop
// asks for the next one, that is when the loop body has finished with it. Leaving the loop by
// break, return or throw calls the iterator's return() alike (JavaScript gives it no way to tell
// them apart), so the batch in hand then is settled as not processed: it is read again (at least
// once), and nothing is lost whichever way the loop was left. The consumer stops. Aborting the
// signal ends the loop between batches with an AbortError, once the consumer has stopped, with
// every batch whose loop body finished recorded.
const { checkSignal, abortError } = require('./abort');

// Between the native consumer's hand-over and one async iterator of batches.
class BatchIteration {
  // notProcessed(reason): the rejection that settles a batch as not processed (consumer.js).
  constructor(consumer, notProcessed) {
    this.consumer = consumer;
    this.notProcessed = notProcessed;
    this.attached = false;
    this.signal = undefined;
    this.offered = null; // {batch, settle} handed over and not yet taken
    this.inHand = null; // settle(processed) of the batch the loop body has
    this.waiter = null; // {resolve, reject} of a next() waiting for a batch
    this.finished = false;
    this.failure = null; // why the consumer could not start
    this.onAbort = () => this.abort();
  }

  // One reader per consumer: batches(), messages() or readable(), once.
  attach(signal) {
    if (this.attached) throw new TypeError('kafka-native: this Consumer is already being read (one batches(), messages() or readable() per Consumer)');
    this.attached = true;
    this.signal = signal;
    if (signal) signal.addEventListener('abort', this.onAbort, { once: true });
  }

  // start() failed: the loop throws its error.
  fail(err) {
    this.failure = err;
    this.end();
  }

  // The native consumer hands a batch over; resolves (processed) or rejects (not) when settled.
  offer(batch) {
    return new Promise((resolve, reject) => {
      const settle = (processed) => (processed ? resolve() : reject(this.notProcessed('the loop over the consumer was left before its body finished with the batch')));
      if (this.finished) {
        settle(false);
        return;
      }
      this.offered = { batch, settle };
      this.wake();
    });
  }

  wake() {
    const waiter = this.waiter;
    if (!waiter || !this.offered) return;
    this.waiter = null;
    waiter.resolve(this.take());
  }

  take() {
    const { batch, settle } = this.offered;
    this.offered = null;
    this.inHand = settle;
    return { value: batch, done: false };
  }

  settleInHand(processed) {
    const settle = this.inHand;
    this.inHand = null;
    if (settle) settle(processed);
  }

  async next() {
    this.settleInHand(true); // the loop body finished with it
    if (this.signal && this.signal.aborted) {
      await this.finish();
      throw abortError(this.signal, 'the loop over the consumer');
    }
    if (this.failure) throw this.failure;
    if (this.finished) return { value: undefined, done: true };
    if (this.offered) return this.take();
    if (this.waiter) throw new Error('kafka-native: next() called again before the last one settled');
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
  }

  async return(value) {
    this.settleInHand(false);
    await this.finish();
    return { value, done: true };
  }

  // Aborted while the loop body runs: the next next() ends the loop. Aborted while next()
  // waits: it rejects once the consumer has stopped.
  abort() {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = null;
    this.finish().then(() => waiter.reject(abortError(this.signal, 'the loop over the consumer')), waiter.reject);
  }

  // The consumer stopped (by the loop's end or by stop()): a waiting next() is done.
  end() {
    if (this.finished) return;
    this.finished = true;
    if (this.signal) this.signal.removeEventListener('abort', this.onAbort);
    if (this.offered) {
      this.offered.settle(false);
      this.offered = null;
    }
    this.settleInHand(false);
    const waiter = this.waiter;
    this.waiter = null;
    if (!waiter) return;
    if (this.failure) waiter.reject(this.failure);
    else waiter.resolve({ value: undefined, done: true });
  }

  async finish() {
    this.end();
    await this.consumer.stop();
  }
}

// The async iterator over a consumer's batches; starts the consumer if it is not running.
function batches(consumer, options = {}) {
  const signal = checkSignal('batches()', options);
  const iteration = consumer._iterate(signal);
  const iterator = {
    next: () => iteration.next(),
    return: (value) => iteration.return(value),
    [Symbol.asyncIterator]() { return this; },
  };
  return iterator;
}

// Message by message: a batch is settled as processed once the loop asks for the message after
// its last one. Arguments are checked, and the reader attached, at the call.
function messages(consumer, options = {}) {
  const signal = checkSignal('messages()', options);
  const source = batches(consumer, signal ? { signal } : {});
  return (async function* eachMessage() {
    for await (const batch of source) yield* batch.messages;
  })();
}

// A ReadableStream of batches, pulled one at a time (its queue holds none ahead): a batch is
// settled as processed when the stream's reader takes the next; cancelling the stream stops the
// consumer and leaves the batch in hand unrecorded.
function readable(consumer, options = {}) {
  const signal = checkSignal('readable()', options);
  const iterator = batches(consumer, signal ? { signal } : {});
  return new ReadableStream({
    async pull(controller) {
      const { value, done } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel() {
      return iterator.return().then(() => undefined);
    },
  }, { highWaterMark: 0 });
}

module.exports = { BatchIteration, batches, messages, readable };
