'use strict';
// OpenTelemetry's SDK as an application registers it, with an in-memory exporter the tests
// read: W3C trace context, AsyncLocalStorage context, every span sampled.
const api = require('@opentelemetry/api');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');

const exporter = new InMemorySpanExporter();
api.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());

// The finished spans, as plain data (they cross process boundaries as JSON).
const finishedSpans = () => exporter.getFinishedSpans().map((s) => ({
  name: s.name,
  kind: s.kind,
  traceId: s.spanContext().traceId,
  spanId: s.spanContext().spanId,
  parentSpanId: s.parentSpanContext ? s.parentSpanContext.spanId : undefined,
  links: s.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
  attributes: s.attributes,
  status: s.status,
}));

module.exports = { api, finishedSpans, SpanKind: api.SpanKind };
