'use strict';
// An application that registers OpenTelemetry's SDK only after kafka-native has sent and received:
// sends 'before' to TOPIC partition 0 and receives it, registers the SDK (./otel), then sends and
// receives 'after'. Prints as JSON whether @opentelemetry/api had been loaded before the SDK was
// registered, the headers each message arrived with, and the spans recorded.
const path = require('node:path');
const { Producer, Consumer } = require('kafka-native');

const { BROKER, TOPIC } = process.env;
const logger = { debug() {}, info() {}, warn: console.error, error: console.error };
const apiLoaded = () => Object.keys(require.cache).some((file) => file.includes(`${path.sep}@opentelemetry${path.sep}api${path.sep}`));

(async () => {
  const received = [];
  let arrived;
  const consumer = new Consumer({
    broker: BROKER, topic: TOPIC, offset_directory: null, logger,
    receive_callback: async ({ messages }) => {
      for (const m of messages) received.push({ payload: m.payload, headers: m.headers ? Object.keys(m.headers) : [] });
      arrived?.();
    },
  });
  const producer = new Producer({ broker: BROKER, logger });
  const receive = async (payload) => {
    await producer.deliver(TOPIC, 0, [payload]);
    while (!received.some((m) => m.payload === payload)) await new Promise((resolve) => { arrived = resolve; });
  };
  await consumer.start();
  await receive('before');
  const loadedBefore = apiLoaded();
  const otel = require('./otel');
  await receive('after');
  // The batch span ends once its batch settles, on a later turn.
  while (!otel.finishedSpans().some((s) => s.name === `process ${TOPIC}`)) await new Promise((resolve) => setTimeout(resolve, 10));
  await producer.stop();
  await consumer.stop();
  console.log(JSON.stringify({ loadedBefore, received, spans: otel.finishedSpans().map((s) => s.name) }));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
