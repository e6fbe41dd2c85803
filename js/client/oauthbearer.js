'use strict';
// oauthbearer_token_callback: a function (config) => {token, lifetime_ms, principal, extensions?}
// or a Promise of it, called when a client starts with sasl.mechanism OAUTHBEARER and again
// before its token expires. librdkafka asks on its background thread; the addon's bridge calls
// this, which answers through bridge.provide() or bridge.fail(). A callback that throws, rejects
// or returns a bad token is logged (as librdkafka's authentication error), and librdkafka asks
// again about 10 s later.
const { OAuthBearerBridge } = require('../native/index.js');

// The token, checked; throws naming the field.
function checkedToken(t) {
  if (t === null || typeof t !== 'object') throw new TypeError('must resolve to {token, lifetime_ms, principal, extensions?}');
  if (typeof t.token !== 'string' || t.token === '') throw new TypeError('token must be a non-empty string');
  if (!Number.isSafeInteger(t.lifetime_ms)) throw new TypeError('lifetime_ms must be when the token expires, in ms since the epoch');
  if (typeof t.principal !== 'string' || t.principal === '') throw new TypeError('principal must be a non-empty string');
  const extensions = t.extensions ?? {};
  if (typeof extensions !== 'object' || Object.values(extensions).some((v) => typeof v !== 'string')) {
    throw new TypeError('extensions must be an object of strings');
  }
  return { token: t.token, lifetimeMs: t.lifetime_ms, principal: t.principal, extensions };
}

// The bridge for a client's options, or undefined without a callback.
function oauthbearerBridge(callback) {
  if (callback === undefined) return undefined;
  // Each request has an id, and its answer names it: a late answer to an earlier request is
  // never taken for the answer to a later one.
  const bridge = new OAuthBearerBridge(({ id, config }) => {
    Promise.resolve()
      .then(() => callback(config))
      .then(checkedToken)
      .then((token) => bridge.provide(id, token))
      // librdkafka reports the failure as an authentication error, which the client logs
      // (once a minute while it lasts).
      .catch((err) => bridge.fail(id, `oauthbearer_token_callback failed: ${err && err.message ? err.message : String(err)}`));
  });
  return bridge;
}

module.exports = { oauthbearerBridge };
