'use strict';
// The addon for this machine, through napi-rs's generated loader (binding.js, rewritten by every
// build). Where no prebuilt addon fits, the loader's error blames npm; this one names the
// platform and the ones kafka-native is built for, with the loader's error as its cause.
const SUPPORTED = ['linux-x64-gnu', 'linux-arm64-gnu'];

function platform() {
  if (process.platform !== 'linux') return `${process.platform}-${process.arch}`;
  const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
  return `linux-${process.arch}-${glibc ? 'gnu' : 'musl'}`;
}

try {
  module.exports = require('./binding.js');
} catch (err) {
  const here = platform();
  const why = SUPPORTED.includes(here)
    ? `its package, kafka-native-${here}, is missing or could not be loaded (reinstall kafka-native; optional dependencies must not be omitted)`
    : 'kafka-native has no prebuilt addon for it';
  const error = new Error(
    `kafka-native: cannot load the addon on ${here} (Node ${process.version}): ${why}. Prebuilt addons: ${SUPPORTED.join(', ')}.`,
  );
  error.code = 'ERR_KAFKA_NATIVE_PLATFORM';
  error.cause = err;
  throw error;
}
