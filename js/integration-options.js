'use strict';
// What the integrations (kafka-native/socket.io, ...) share: loading their ecosystem's packages,
// which are peer dependencies, with an error that says what to install; and checking option names.

function requirePeer(name, what) {
  try {
    return require(name);
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(`'${name}'`)) {
      throw new Error(`${what} needs the package ${name}: npm install ${name}`);
    }
    throw err;
  }
}

// Throws a TypeError naming the first option not in `known`.
function checkOptions(what, call, options, known) {
  const unknown = Object.keys(options).find((k) => !known.includes(k));
  if (unknown !== undefined) {
    throw new TypeError(`${what}: unknown ${call} option ${unknown} (known: ${known.join(', ')})`);
  }
}

module.exports = { requirePeer, checkOptions };
