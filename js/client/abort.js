'use strict';
// AbortSignal options: checked as every option is, and the AbortError an aborted wait rejects
// with (the signal's reason when it is one, as Node's own APIs do).

function abortError(signal, what = 'the wait') {
  const reason = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const err = new DOMException(`kafka-native: ${what} was aborted`, 'AbortError');
  if (reason !== undefined) Object.defineProperty(err, 'cause', { value: reason, configurable: true, writable: true });
  return err;
}

function checkSignal(where, options) {
  if (options === null || typeof options !== 'object') throw new TypeError(`kafka-native: ${where} takes an options object like {signal}`);
  const unknown = Object.keys(options).filter((k) => k !== 'signal');
  if (unknown.length > 0) throw new TypeError(`kafka-native: ${where} has unknown option ${unknown[0]} (it takes signal)`);
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new TypeError(`kafka-native: ${where} option signal must be an AbortSignal`);
  return signal;
}

module.exports = { checkSignal, abortError };
