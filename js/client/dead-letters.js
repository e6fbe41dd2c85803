'use strict';
// Dead letters: the records a consumer gave up on (its max_deliveries option), written to a topic
// of their own (dead_letter_topic) with their key, payload and headers, and headers that say where
// they came from, how often they were delivered and the last error seen, so that nothing is
// dropped without a trace. Used by Consumer and ShareConsumer.

const HEADERS = {
  topic: 'kafka-native-source-topic',
  partition: 'kafka-native-source-partition',
  offset: 'kafka-native-source-offset',
  deliveries: 'kafka-native-delivery-count',
  error: 'kafka-native-last-error',
};

const errorText = (err) => (err instanceof Error ? err.message : String(err));

// A message's key and payload as they were read, when the message holds them decoded as text:
// a dead letter is written from these bytes, never from the text (bytes that are not UTF-8, such
// as ff00fe80, decode to replacement characters and would be written as efbfbd...).
const RAW_BYTES = Symbol('kafka-native raw bytes');

// With dead letters, a consumer reads payloads and keys as Buffers whatever payload_encoding
// says; for 'utf8' this turns them into text for the application and keeps the bytes.
function decodeKeepingBytes(messages) {
  for (const message of messages) {
    const { payload, key } = message;
    message[RAW_BYTES] = { payload, key };
    if (payload) message.payload = payload.toString('utf8');
    if (key) message.key = key.toString('utf8');
  }
  return messages;
}

// The record written for `message`: its own headers kept, ours added (replacing any of the same
// name, as a record dead-lettered twice would carry).
function deadLetterRecord(message, deliveries, lastError) {
  const headers = { ...(message.headers ?? {}) };
  headers[HEADERS.topic] = message.topic;
  headers[HEADERS.partition] = String(message.partition);
  headers[HEADERS.offset] = String(message.offset);
  headers[HEADERS.deliveries] = String(deliveries);
  if (lastError !== undefined) headers[HEADERS.error] = errorText(lastError);
  else delete headers[HEADERS.error];
  const { payload, key } = message[RAW_BYTES] ?? message;
  const record = { payload: payload ?? null, headers };
  if (key !== undefined) record.key = key;
  return record;
}

class DeadLetters {
  // options: {broker, topic, driver_options, logger}; the producer is made when first needed and
  // connects as the consumer does (its driver_options: security settings and the like).
  // The writer of a consumer's checked options (a Consumer's or a ShareConsumer's), or null
  // without dead_letter_topic.
  static forConsumer(opts, logger) {
    if (opts.dead_letter_topic === undefined) return null;
    return new DeadLetters({
      broker: opts.native.brokers,
      topic: opts.dead_letter_topic,
      driver_options: opts.native.driverOptions,
      logger,
    });
  }

  constructor(options) {
    this.topic = options.topic;
    this._options = options;
    this._producer = null;
  }

  // Writes the messages, in order, with their delivery count and the last error; resolves once
  // the broker has them, rejects if any was not written.
  async write(messages, deliveries, lastError) {
    if (this._stopped) throw new Error(`kafka-native: dead_letter_topic ${this.topic}: the consumer has stopped, nothing more is written`);
    const records = messages.map((m) => deadLetterRecord(m, deliveries, lastError));
    await this._producerFor().deliver(this.topic, -1, records);
  }

  _producerFor() {
    if (!this._producer) {
      const { Producer } = require('./producer');
      const { broker, driver_options, logger } = this._options;
      this._producer = new Producer({ broker, driver_options, logger });
    }
    return this._producer;
  }

  // No producer is made after this.
  stop() {
    this._stopped = true;
    return this._producer ? this._producer.stop() : Promise.resolve();
  }
}

module.exports = { DeadLetters, decodeKeepingBytes, DEAD_LETTER_HEADERS: HEADERS };
