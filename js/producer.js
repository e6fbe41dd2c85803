'use strict';
const { NativeProducer } = require('./native/index.js');
const { producerOptions, logTo, fail, STOP_TIMEOUT_MS, PARTITION_COUNT_TIMEOUT_MS } = require('./options');

class Producer {
  constructor(options) {
    const opts = producerOptions(options);
    const { stats_callback, delivery_report_callback } = opts;
    this._native = new NativeProducer(
      opts.native,
      stats_callback && ((s) => stats_callback({ send_queue_length: s.sendQueueLength, rdkafka_stats: JSON.parse(s.rdkafkaStats) })),
      delivery_report_callback && ((r) => delivery_report_callback({
        errors: r.errors,
        delivered: r.delivered,
        rdkafka_errinfo: r.rdkafkaErrinfo,
      })),
      logTo(opts.logger),
    );
  }

  // Enqueues the payloads (strings or Buffers) with one native call.
  send(topic, partition, payloads) {
    if (typeof topic !== 'string') throw fail('send() argument topic', 'a string', topic);
    if (!Number.isInteger(partition) || partition < -1) throw fail('send() argument partition', 'an integer partition number', partition);
    if (!Array.isArray(payloads)) throw fail('send() argument payloads', 'an array of strings or Buffers', payloads);
    const result = this._native.send(topic, partition, payloads);
    return { enqueued: result.enqueued, send_queue_length: result.sendQueueLength };
  }

  partition_count(topic) {
    if (typeof topic !== 'string') return Promise.reject(fail('partition_count() argument topic', 'a string', topic));
    return this._native.partitionCount(topic, PARTITION_COUNT_TIMEOUT_MS);
  }

  // options.timeout (ms, as bluebird-retry's option in kafka-native) defaults to 15 s.
  stop(options = {}) {
    const timeout = options.timeout ?? STOP_TIMEOUT_MS;
    if (!Number.isInteger(timeout) || timeout < 0) return Promise.reject(fail('stop() option timeout', 'a non-negative integer (ms)', timeout));
    return this._native.stop(timeout);
  }
}

module.exports = { Producer };
