'use strict';
// No import circle in the core crate, the binding crate, the sys crate's own files or js/ (test/import-graph.js says what
// an import is; `node test/import-graph.js --edges` prints the graphs).
const test = require('node:test');
const assert = require('node:assert');
const { trees, circles } = require('./import-graph.js');

for (const [name, graph] of Object.entries(trees)) {
  test(`${name} imports in one direction: no module reaches itself`, () => {
    const edges = graph();
    const imports = [...edges.values()].reduce((n, to) => n + to.length, 0);
    // The parser found the modules (the sys crate has four: its bindings, types, helpers and root).
    const least = name === 'crates/kafka-native-sys' ? { modules: 4, imports: 3 } : { modules: 6, imports: edges.size + 1 };
    assert.ok(edges.size >= least.modules && imports >= least.imports, `only ${edges.size} modules and ${imports} imports found in ${name}`);
    const found = circles(edges);
    const described = found.map((set) => set.map((v) => `${v} -> ${edges.get(v).filter((w) => set.includes(w)).join(', ')}`).join('; '));
    assert.deepStrictEqual(described, []);
  });
}

test('a circle is found where there is one', () => {
  const edges = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
  assert.deepStrictEqual(circles(edges), [['a', 'b', 'c']]);
});
