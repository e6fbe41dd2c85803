'use strict';
// The producer of a relay (ws-proxy, the socket.io adapter, deepstream), made at its first use
// and made again after a fatal error. A producer with a fatal error (an idempotent producer's
// sequence out of step with the broker's, say) refuses every later send and can only be
// stopped, while a relay serves for as long as its process runs: one such error would leave it
// unable to publish until restarted. What the old producer held fails with the error (each
// caller hears of its own message, as with any failed delivery); the message whose send found
// the producer failed goes to a new one when nothing of it was enqueued (send()), and fails
// with the error otherwise (deliver(): it cannot tell), as does what follows it.
const { Producer } = require('./index.js');

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

  // Producer#deliver; a fatal error rejects it and retires the producer.
  deliver(topic, partition, payloads) {
    const producer = this.producer();
    return producer.deliver(topic, partition, payloads).catch((err) => {
      if (err.fatal) this.replace(producer, err);
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
    const stopped = producer.stop().catch(() => {}).finally(() => this.retiring.delete(stopped));
    this.retiring.add(stopped);
  }
}

module.exports = { RelayProducer };
