'use strict';
// The producer of a relay (ws-proxy, the socket.io adapter, deepstream), made at its first use
// and made again after a fatal error. A producer with a fatal error (an idempotent producer's
// sequence out of step with the broker's, say) refuses every later send and can only be
// stopped, while a relay serves for as long as its process runs: one such error would leave it
// unable to publish until restarted. What the old producer held fails with the error (each
// caller hears of its own message, as with any failed delivery). A failed deliver() has the
// producer asked for a fatal error at once, so the next send goes to a new producer; a send()
// refused for one (nothing of it enqueued: its failures before were reported asynchronously)
// goes to a new producer itself.
const { Producer } = require('../index.js');

class RelayProducer {
  // `logError(message)` logs as the relay logs its errors.
  constructor(options, logError) {
    this.options = options;
    this.logError = logError;
    this.current = null;
    this.retiring = new Set(); // stop()s of replaced producers
  }

  producer() {
    this.current ??= new Producer(this.options);
    return this.current;
  }

  // Producer#send; refused for a fatal error, the payloads go to a new producer instead.
  send(topic, partition, payloads) {
    const producer = this.producer();
    try {
      return producer.send(topic, partition, payloads);
    } catch (err) {
      if (!err.fatal) throw err;
      this.replace(producer, err);
      return this.producer().send(topic, partition, payloads);
    }
  }

  // Producer#deliver; when it fails, a fatal error (its own, or the one its failure raised)
  // retires the producer.
  deliver(topic, partition, payloads) {
    const producer = this.producer();
    return producer.deliver(topic, partition, payloads).catch((err) => {
      const fatal = err.fatal ? err : producer.fatalError();
      if (fatal) this.replace(producer, fatal);
      throw err;
    });
  }

  partition_count(topic) {
    return this.producer().partition_count(topic);
  }

  // Stops the producer (after what it holds is delivered, as Producer#stop) and any being
  // replaced.
  async stop(options) {
    const producer = this.current;
    this.current = null;
    await Promise.all([...this.retiring]);
    if (producer) await producer.stop(options);
  }

  replace(producer, err) {
    if (this.current !== producer) return; // replaced already
    this.current = null;
    this.logError(`the producer had a fatal error and is replaced by a new one: ${err.message}`);
    // What it held failed with the error, reported to each caller; stop() counts them again.
    const stopped = producer
      .stop()
      .catch(() => {})
      .finally(() => this.retiring.delete(stopped));
    this.retiring.add(stopped);
  }
}

module.exports = { RelayProducer };
