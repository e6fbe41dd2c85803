'use strict';
// Preloaded (node -r) by the tracing benchmark: OTEL_MODE decides what OpenTelemetry the client
// process has.
//   absent: @opentelemetry/api cannot be loaded, as for a user who never installed it;
//   api:    the package is installed and nothing registered (the common case: tracing off);
//   sdk:    OpenTelemetry's SDK registered, every span sampled and batched to an exporter that
//           drops them (what tracing costs the client when it is on).
const Module = require('node:module');

const mode = process.env.OTEL_MODE;
if (mode === 'absent') {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function resolveWithoutOtel(request, ...rest) {
    if (request === '@opentelemetry/api') throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
    return resolve.call(this, request, ...rest);
  };
} else if (mode === 'sdk') {
  const api = require('@opentelemetry/api');
  const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core');
  const dropAll = { export: (spans, done) => done({ code: 0 }), shutdown: async () => {} };
  api.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropAll)] }));
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
} else if (mode !== 'api') {
  throw new Error(`OTEL_MODE must be absent, api or sdk, got ${mode}`);
}
