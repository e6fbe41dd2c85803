'use strict';
// OpenTelemetry tracing through @opentelemetry/api (an optional peer dependency), by
// OpenTelemetry's messaging semantic conventions: a PRODUCER span per send() or deliver() call,
// whose context goes into each message's headers through the registered propagator (W3C
// traceparent with the SDK's defaults), and a CONSUMER span per batch received, which continues
// the trace of its messages (their parent when the batch carries one trace context, links when
// it carries several) and is the active span while the batch is processed.
//
// Without @opentelemetry/api, or before anything is registered with it, nothing here runs
// (otel-api.js). With it and no tracer provider registered, a call costs one non-recording span.

const { otelApi } = require('./otel-api');

const TRACER_NAME = 'kafka-native';
// The SDK keeps 128 links per span by default; more would only be dropped.
const MAX_LINKS = 128;

let api; // set with the tracer
let cachedTracer;

function tracer() {
  if (cachedTracer === undefined) {
    api = otelApi();
    if (!api) return null;
    cachedTracer = api.trace.getTracer(TRACER_NAME, require('../../package.json').version);
  }
  return cachedTracer;
}

// Header values arrive as Buffers (an array of them when a name repeats).
const headerGetter = {
  keys: (headers) => Object.keys(headers),
  get(headers, key) {
    const value = headers[key];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map(String) : String(value);
  },
};

const baseAttributes = (operation, topic, partition) => {
  const attributes = {
    'messaging.system': 'kafka',
    'messaging.operation.name': operation,
    'messaging.operation.type': operation,
  };
  if (topic !== undefined) attributes['messaging.destination.name'] = topic;
  if (partition >= 0) attributes['messaging.destination.partition.id'] = String(partition);
  return attributes;
};

// A recording span for a send of `count` messages, or null.
function startSend(topic, partition, count) {
  const t = tracer();
  if (!t) return null;
  const span = t.startSpan(`send ${topic}`, { kind: api.SpanKind.PRODUCER });
  if (!span.isRecording()) return null;
  span.setAttributes(baseAttributes('send', topic, partition));
  if (count !== 1) span.setAttribute('messaging.batch.message_count', count);
  return span;
}

// Adds `span`'s context to each converted record's headers (replacing headers of the same names).
function addTraceHeaders(span, records) {
  const carrier = {};
  api.propagation.inject(api.trace.setSpan(api.context.active(), span), carrier);
  const names = Object.keys(carrier);
  if (names.length === 0) return;
  const values = names.map((name) => Buffer.from(String(carrier[name])));
  for (const record of records) {
    for (let j = record.headerNames.length - 1; j >= 0; j--) {
      if (names.includes(record.headerNames[j])) {
        record.headerNames.splice(j, 1);
        record.headerValues.splice(j, 1);
      }
    }
    record.headerNames.push(...names);
    record.headerValues.push(...values);
  }
}

// Ends a send span: `enqueued` of its messages went in, or `err` was thrown.
function endSend(span, { enqueued, count, err }) {
  if (err) fail(span, err);
  else if (enqueued < count)
    span.setStatus({
      code: api.SpanStatusCode.ERROR,
      message: `${count - enqueued} of ${count} messages refused: the local queue is full`,
    });
  span.end();
}

// Ends a deliver() span with its outcome.
function endDeliver(span, positions, err) {
  if (err) fail(span, err);
  else if (positions.length === 1) span.setAttribute('messaging.kafka.offset', positions[0].offset);
  span.end();
}

function fail(span, err) {
  span.recordException(err);
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: err && err.message });
  if (err && err.code) span.setAttribute('error.type', String(err.code));
}

// A recording span for a received batch, or null. The trace contexts its messages carry become
// its parent (one) or its links (several).
function startProcess(messages, groupId) {
  const t = tracer();
  if (!t || messages.length === 0) return null;
  const links = [];
  const traces = new Set();
  const fields = api.propagation.fields();
  let parent;
  let previous;
  for (let i = 0; i < messages.length; i++) {
    const { headers } = messages[i];
    if (headers === undefined) continue;
    // The messages of one send() carry the same context, side by side: extracted once.
    if (previous !== undefined && sameFields(fields, headers, previous)) continue;
    previous = headers;
    const context = api.propagation.extract(api.ROOT_CONTEXT, headers, headerGetter);
    const spanContext = api.trace.getSpanContext(context);
    if (!spanContext || !api.isSpanContextValid(spanContext)) continue;
    const key = `${spanContext.traceId}-${spanContext.spanId}`;
    if (traces.has(key)) continue;
    traces.add(key);
    parent = context;
    if (links.length < MAX_LINKS) links.push({ context: spanContext });
  }
  const first = messages[0];
  const oneTopic = messages.every((m) => m.topic === first.topic);
  const topic = oneTopic ? first.topic : 'multiple';
  const span = t.startSpan(
    `process ${topic}`,
    { kind: api.SpanKind.CONSUMER, links: traces.size > 1 ? links : [] },
    traces.size === 1 ? parent : api.context.active(),
  );
  if (!span.isRecording()) return null;
  const onePartition = oneTopic && messages.every((m) => m.partition === first.partition);
  span.setAttributes(baseAttributes('process', oneTopic ? topic : undefined, onePartition ? first.partition : -1));
  span.setAttribute('messaging.batch.message_count', messages.length);
  if (groupId) span.setAttribute('messaging.consumer.group.name', groupId);
  if (messages.length === 1) span.setAttribute('messaging.kafka.offset', first.offset);
  return span;
}

// Whether two messages' headers hold the same values for the propagator's fields.
function sameFields(fields, a, b) {
  for (const field of fields) {
    const x = a[field];
    const y = b[field];
    if (x === y) continue;
    if (x === undefined || y === undefined || Array.isArray(x) || Array.isArray(y) || !x.equals(y)) return false;
  }
  return true;
}

// Runs `fn` with `span` as the active span.
function within(span, fn) {
  return api.context.with(api.trace.setSpan(api.context.active(), span), fn);
}

// Ends a batch span: `err` when the batch's processing failed.
function endProcess(span, err) {
  if (err) fail(span, err);
  span.end();
}

module.exports = { startSend, addTraceHeaders, endSend, endDeliver, startProcess, within, endProcess };
