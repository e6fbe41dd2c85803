'use strict';
// @opentelemetry/api (an optional peer), for tracing.js and ws-proxy.js: loaded only once
// something has registered with OpenTelemetry's global API (a tracer provider, propagator or
// context manager: an SDK or an APM agent). Until then every span would be non-recording and
// every propagation a no-op, and loading the package is not free: 30 ms on these machines,
// which a consumer's first batch or a producer's first send() would wait out.
//
// The API keeps what is registered on globalThis under a key per major version; kafka-native
// takes @opentelemetry/api ^1. Asked at each call until something is there (one property read).

const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');

let api; // undefined until loaded; null when @opentelemetry/api is not installed

// The API, or null while nothing is registered or when the package is missing. A failed
// require is not tried again: it searches the file system each time.
function otelApi() {
  if (api !== undefined) return api;
  if (globalThis[GLOBAL_KEY] === undefined) return null;
  try {
    api = require('@opentelemetry/api');
  } catch {
    api = null;
  }
  return api;
}

module.exports = { otelApi };
