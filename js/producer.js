'use strict';
const { NativeProducer } = require('./native/index.js');
const { producerOptions, logTo, fail, STOP_TIMEOUT_MS, PARTITION_COUNT_TIMEOUT_MS } = require('./options');

const toBuffer = (p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p);

// A record's payload or key: a string, a Buffer or Uint8Array, or null/undefined for none.
function recordBytes(value, what) {
  if (value === undefined || value === null) return undefined;
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw fail(`send() record ${what}`, 'a string, a Buffer, null or undefined', value);
}

function toRecord(record, i) {
  if (typeof record === 'string' || record instanceof Uint8Array) return { payload: recordBytes(record, `payloads[${i}]`), headerNames: [], headerValues: [] };
  const headers = record.headers ?? {};
  if (typeof headers !== 'object' || Array.isArray(headers)) throw fail(`send() record payloads[${i}].headers`, 'an object of header names to strings or Buffers', headers);
  const headerNames = Object.keys(headers);
  return {
    payload: recordBytes(record.payload, `payloads[${i}].payload`),
    key: recordBytes(record.key, `payloads[${i}].key`),
    headerNames,
    headerValues: headerNames.map((name) => recordBytes(headers[name], `payloads[${i}].headers.${name}`) ?? Buffer.alloc(0)),
  };
}

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

  // Enqueues the payloads with one native call. Each is a string (sent as UTF-8), a Buffer or
  // Uint8Array, or a {payload, key, headers} record. Strings cross into the addon as one joined
  // string and Buffers as one concatenated Buffer, with their lengths beside them: one crossing
  // per batch instead of one per payload.
  send(topic, partition, payloads) {
    if (typeof topic !== 'string') throw fail('send() argument topic', 'a string', topic);
    if (!Number.isInteger(partition) || partition < -1) throw fail('send() argument partition', 'an integer partition number', partition);
    if (!Array.isArray(payloads)) throw fail('send() argument payloads', 'an array of strings, Buffers or {payload, key, headers} records', payloads);
    const lengths = new Uint32Array(payloads.length);
    let strings = 0;
    let records = 0;
    for (let i = 0; i < payloads.length; i++) {
      const p = payloads[i];
      if (typeof p === 'string') {
        lengths[i] = p.length;
        strings++;
      } else if (p instanceof Uint8Array) {
        lengths[i] = p.length;
      } else if (p !== null && typeof p === 'object') {
        records++;
      } else {
        throw fail(`send() argument payloads[${i}]`, 'a string, a Buffer or a {payload, key, headers} record', p);
      }
    }
    let result;
    if (records > 0) {
      result = this._native.sendRecords(topic, partition, payloads.map(toRecord));
    } else if (strings === payloads.length && strings > 0) {
      result = this._native.sendText(topic, partition, payloads.join(''), lengths)
        ?? this._sendBytes(topic, partition, payloads);
    } else {
      result = strings === 0
        ? this._native.sendBytes(topic, partition, Buffer.concat(payloads), lengths)
        : this._sendBytes(topic, partition, payloads);
    }
    return { enqueued: result.enqueued, send_queue_length: result.sendQueueLength };
  }

  // Strings and Buffers mixed: strings become UTF-8 Buffers first.
  _sendBytes(topic, partition, payloads) {
    const buffers = payloads.map(toBuffer);
    return this._native.sendBytes(topic, partition, Buffer.concat(buffers), Uint32Array.from(buffers, (b) => b.length));
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
