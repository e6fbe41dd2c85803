'use strict';
const { NativeConsumer } = require('./native/index.js');
const { consumerOptions, logTo } = require('./options');

class Consumer {
  constructor(options) {
    const opts = consumerOptions(options);
    const { receive_callback, stats_callback, logger } = opts;
    let warnedNotPromise = false;
    // Hands one batch to receive_callback; the native side waits for settle() before the next.
    const onBatch = (batch) => {
      const settle = () => this._native.settle();
      let result;
      try {
        result = receive_callback(batch);
      } catch (err) {
        logger.error(`kafka-native: receive_callback threw; offsets are recorded anyway: ${err && err.stack ? err.stack : err}`);
        settle();
        return;
      }
      if (!result || typeof result.then !== 'function') {
        if (!warnedNotPromise) {
          warnedNotPromise = true;
          logger.warn('kafka-native: receive_callback did not return a Promise; each batch counts as settled when it returns');
        }
        settle();
        return;
      }
      result.then(settle, (err) => {
        logger.error(`kafka-native: receive_callback rejected; offsets are recorded anyway: ${err && err.stack ? err.stack : err}`);
        settle();
      });
    };
    this._native = new NativeConsumer(
      opts.native,
      onBatch,
      stats_callback && ((s) => stats_callback({
        waiting_kafka: s.waitingKafka,
        waiting_local: s.waitingLocal,
        kafka_log_size: s.kafkaLogSize,
        rdkafka_stats: JSON.parse(s.rdkafkaStats),
      })),
      logTo(logger),
    );
  }

  // A running consumer keeps the process alive (like a server socket) until stop().
  start() {
    const started = this._native.start();
    if (!this._keepAlive) this._keepAlive = setInterval(() => {}, 2 ** 30);
    return started.catch((err) => {
      this._release();
      throw err;
    });
  }

  pause() { this._native.pause(); }
  resume() { this._native.resume(); }

  stop() {
    return this._native.stop().finally(() => this._release());
  }

  _release() {
    clearInterval(this._keepAlive);
    this._keepAlive = undefined;
  }
}

module.exports = { Consumer };
