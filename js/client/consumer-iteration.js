'use strict';
// A Consumer or a ShareConsumer read with `for await`: batches(), messages() and readable() (a
// Web Streams ReadableStream). On the same hand-over as receive_callback (wake -> pull ->
// settle): the consumer hands over one batch and the next only once that batch is settled.
//
// A batch is settled as processed (a Consumer's offsets recorded, or committed in a group; a
// ShareConsumer's records not acknowledged otherwise accepted) when the loop asks for the next
// one, that is when the loop body has finished with it. Leaving the loop by break, return or
// throw calls the iterator's return() alike (JavaScript gives it no way to tell them apart), so
// the batch in hand then is settled as not processed: read again (at least once; a share
// batch's records released), and nothing is lost whichever way the loop was left. The consumer
// stops. Aborting the signal ends the loop between batches with an AbortError, once the consumer
// has stopped, with every batch whose loop body finished settled as processed.
//
// The consumer gives the iteration what it needs: `_take()` (the batch it hands over now as
// {batch, settle(processed, err)}, null when there is none, or a Promise of either: a
// ShareConsumer writes dead letters first), `start()`, `stop()`, and `notProcessed(reason)`, the
// error a batch left unfinished is settled with.
const { checkSignal, abortError } = require('./abort');

// One async iterator of batches over the consumer's hand-over: next() settles the batch the
// loop body had and pulls the next, or waits for the consumer's wake to pull it.
class BatchIteration {
  // notProcessed(reason): the error a batch left unfinished is settled with (consumer.js).
  constructor(consumer, notProcessed) {
    this.consumer = consumer;
    this.notProcessed = notProcessed;
    this.attached = false;
    this.taking = null; // a take under way (a Promise), while it is
    this.signal = undefined;
    this.inHand = null; // settle(processed, err) of the batch the loop body has
    this.waiter = null; // {resolve, reject} of a next() waiting for a batch
    this.finished = false;
    this.failure = null; // why the consumer could not start
    this.starting = null; // the start() this iteration made, settled (see finish)
    this.onAbort = () => this.abort();
  }

  // One reader per consumer: batches(), messages() or readable(), once.
  attach(signal) {
    const name = this.consumer.constructor.name;
    if (this.attached)
      throw new TypeError(`kafka-native: this ${name} is already being read (one batches(), messages() or readable() per ${name})`);
    this.attached = true;
    if (this.finished) return; // stopped before it was read: it ends at once
    this.signal = signal;
    if (signal) signal.addEventListener('abort', this.onAbort, { once: true });
  }

  // start() failed: the loop throws its error, unless the loop was left already (the stop
  // that return() made cancels a start under way, which then fails too).
  fail(err) {
    if (this.finished) return;
    this.failure = err;
    this.end();
  }

  // The batch the consumer hands over now, as the loop's next value; null when there is none,
  // or a Promise of either while the consumer takes it.
  pull() {
    if (this.taking) return null; // the take under way gives the batch
    const taken = this.consumer._take();
    if (!taken) return null;
    if (typeof taken.then !== 'function') return this.hold(taken);
    this.taking = taken.then((t) => {
      this.taking = null;
      if (!t) return null;
      if (this.finished) {
        t.settle(false, this.notProcessed('the loop over the consumer ended while the batch was handed over'));
        return null;
      }
      return this.hold(t);
    });
    return this.taking;
  }

  hold({ batch, settle }) {
    this.inHand = settle;
    return { value: batch, done: false };
  }

  // The consumer says a batch can be pulled: a waiting next() takes it.
  wake() {
    if (!this.waiter || this.finished) return;
    const next = this.pull();
    if (!next) return;
    if (typeof next.then === 'function') this.deliverWhenTaken(next);
    else this.deliver(next);
  }

  // A take under way (pull()'s Promise): its batch, or its error, goes to the waiting next().
  deliverWhenTaken(taking) {
    taking.then(
      (n) => {
        if (n) this.deliver(n);
      },
      (err) => this.deliver(null, err),
    );
  }

  // Gives a waiting next() its batch (or its error). With none waiting (an abort took it), a
  // batch held is settled as not processed by the end that follows.
  deliver(next, err) {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = null;
    if (err) waiter.reject(err);
    else waiter.resolve(next);
  }

  settleInHand(processed) {
    const settle = this.inHand;
    this.inHand = null;
    if (settle)
      settle(
        processed,
        processed ? undefined : this.notProcessed('the loop over the consumer was left before its body finished with the batch'),
      );
  }

  async next() {
    const settling = this.inHand !== null;
    this.settleInHand(true); // the loop body finished with it
    if (this.signal && this.signal.aborted) {
      await this.finish();
      throw abortError(this.signal, 'the loop over the consumer');
    }
    if (this.failure) throw this.failure;
    if (this.finished) return { value: undefined, done: true };
    if (this.waiter) throw new Error('kafka-native: next() called again before the last one settled');
    // After a settle, the next batch is pulled once the settle has reached the consumer (on the
    // next turn: its wake); else one may be there already.
    const ready = settling ? null : this.pull();
    if (ready && typeof ready.then !== 'function') return ready;
    const waiting = new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
    if (ready) this.deliverWhenTaken(ready);
    return waiting;
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
    this.settleInHand(false);
    const waiter = this.waiter;
    this.waiter = null;
    if (!waiter) return;
    if (this.failure) waiter.reject(this.failure);
    else waiter.resolve({ value: undefined, done: true });
  }

  // Ends the iteration and stops the consumer; settles once the start it made has settled too.
  async finish() {
    this.end();
    await this.consumer.stop();
    await this.starting;
  }
}

// The async iterator over a consumer's batches; starts the consumer if it is not running.
function batches(consumer, options = {}) {
  const signal = checkSignal('batches()', options);
  const iteration = consumer._iterate(signal);
  const iterator = {
    next: () => iteration.next(),
    return: (value) => iteration.return(value),
    [Symbol.asyncIterator]() {
      return this;
    },
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
  return new ReadableStream(
    {
      async pull(controller) {
        const { value, done } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel() {
        return iterator.return().then(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

// What a consumer class is read by: batches(), messages() and readable(), each handing the
// consumer's one iteration to one reader and starting the consumer unless it was started
// (its `_startsForReading()` says). Written once for the Consumer and the ShareConsumer.
const readers = {
  batches(options) {
    return batches(this, options);
  },
  messages(options) {
    return messages(this, options);
  },
  readable(options) {
    return readable(this, options);
  },
  _iterate(signal) {
    const name = this.constructor.name;
    if (!this._iteration)
      throw new TypeError(
        `kafka-native: this ${name} is read by its receive_callback; batches(), messages() and readable() read a ${name} created without one`,
      );
    this._iteration.attach(signal);
    if (this._startsForReading()) this._iteration.starting = this.start().catch((err) => this._iteration.fail(err));
    return this._iteration;
  },
};

// Gives `Class` the readers, as methods of its own (not enumerable).
function addReaders(Class) {
  for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(readers))) {
    Object.defineProperty(Class.prototype, name, { ...descriptor, enumerable: false });
  }
}

module.exports = { BatchIteration, addReaders };
