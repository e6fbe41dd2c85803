'use strict';
// The error for an option or argument that is not what it must be, naming it: the one shape every
// check of the package's JS gives (options.js, the clients, observability). A leaf: it requires
// nothing, so a module that only checks its arguments loads no addon.

// A value as an error message shows it.
function shown(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  return String(value);
}

// `name` (e.g. "option broker", "seek() argument partition") must be `expectation`.
function fail(name, expectation, value) {
  return new TypeError(`kafka-native: ${name} must be ${expectation}, got ${shown(value)}`);
}

// A list of {topic, partition, offset} checked for its shape (which offsets are valid is the
// core's to say), as plain objects. `where` names the argument (e.g. "commit() argument
// offsets"); `array` and `element` are what an error says it must be.
// `named`: an offset may also be a name ('earliest', 'latest'), which the core reads.
function offsetList(
  where,
  list,
  { array = 'an array of {topic, partition, offset}', element = '{topic, partition, offset}', named = false } = {},
) {
  if (!Array.isArray(list)) throw fail(where, array, list);
  return list.map((o, i) => {
    if (
      o === null ||
      typeof o !== 'object' ||
      typeof o.topic !== 'string' ||
      !Number.isInteger(o.partition) ||
      !(Number.isSafeInteger(o.offset) || (named && typeof o.offset === 'string'))
    ) {
      throw fail(`${where}[${i}]`, element, o);
    }
    return { topic: o.topic, partition: o.partition, offset: o.offset };
  });
}

module.exports = { fail, shown, offsetList };
