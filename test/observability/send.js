'use strict';
// Sends to TOPIC partition 0 from its own process, as an application would, and prints the spans
// it recorded as JSON. SDK=1 registers OpenTelemetry's SDK; without it @opentelemetry/api is
// installed but no tracer provider is registered. Each send runs inside an application span.
const { Producer } = require('kafka-native');

const { BROKER, TOPIC, SDK, PAYLOADS } = process.env;
const otel = SDK ? require('./otel') : null;
const api = require('@opentelemetry/api');

(async () => {
  const producer = new Producer({ broker: BROKER, logger: { debug() {}, info() {}, warn: console.error, error: console.error } });
  const tracer = api.trace.getTracer('application');
  for (const payload of JSON.parse(PAYLOADS)) {
    await tracer.startActiveSpan('handle request', async (span) => {
      await producer.deliver(TOPIC, 0, [payload]);
      span.end();
    });
  }
  await producer.stop();
  console.log(JSON.stringify(otel ? otel.finishedSpans() : []));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
