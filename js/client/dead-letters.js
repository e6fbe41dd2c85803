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
  const record = { payload: message.payload ?? null, headers };
  if (message.key !== undefined) record.key = message.key;
  return record;
}

class DeadLetters {
  // options: {broker, topic, driver_options, logger}; the producer is made when first needed and
  // connects as the consumer does (its driver_options: security settings and the like).
  constructor(options) {
    this.topic = options.topic;
    this._options = options;
    this._producer = null;
  }

  // Writes the messages, in order, with their delivery count and the last error; resolves once
  // the broker has them, rejects if any was not written.
  async write(messages, deliveries, lastError) {
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

  stop() {
    return this._producer ? this._producer.stop() : Promise.resolve();
  }
}

module.exports = { DeadLetters, DEAD_LETTER_HEADERS: HEADERS };
