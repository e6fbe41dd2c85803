'use strict';
// The import graphs of the core crate, the binding crate and js/, and the circles in them.
//
// A module (a Rust file, a JS file) depends on another when it names something defined there:
// a Rust path (`use crate::a::B`, `super::B`, `a::B` through an imported module), followed
// through `pub use` re-exports to the module that defines the item; a JS `require()` or
// `import` of a relative path. A circle is a strongly connected set of two or more modules.
// A `pub use` is not an edge of its own (a parent re-exporting its children is their façade);
// `#[cfg(test)]` modules are left out: test code may reach anywhere.
//
//   node test/import-graph.js          prints each tree's circles (exit 1 if any)
//   node test/import-graph.js --edges  prints the edges as well
//   IMPORT_GRAPH_WHY=1 node test/import-graph.js  prints, for each Rust edge, the path behind it

const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

function filesUnder(dir, ext) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full, ext));
    else if (ext.some((e) => entry.name.endsWith(e))) out.push(full);
  }
  return out.sort();
}

// --- Rust -------------------------------------------------------------------------------

/** Source without comments, string and char literals, and `#[cfg(test)]` items. */
function stripRust(text) {
  let out = '';
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < text.length && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') (depth++, (i += 2));
        else if (text[i] === '*' && text[i + 1] === '/') (depth--, (i += 2));
        else i++;
      }
    } else if (c === 'r' && /^r#*"/.test(text.slice(i, i + 8)) && !/\w/.test(text[i - 1] || '')) {
      const hashes = /^r(#*)"/.exec(text.slice(i))[1];
      const end = text.indexOf('"' + hashes, i + 2 + hashes.length);
      i = end < 0 ? text.length : end + 1 + hashes.length;
      out += '""';
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      out += '""';
    } else if (c === "'" && /^'(\\.|[^\\'])'/.test(text.slice(i, i + 4))) {
      i += text[i + 1] === '\\' ? text.indexOf("'", i + 3) + 1 - i : 3;
      out += "' '";
    } else {
      out += c;
      i++;
    }
  }
  // `#[cfg(test)]` followed by an item: drop the item, braces matched.
  for (;;) {
    const at = out.search(/#\[cfg\(test\)\]/);
    if (at < 0) break;
    let i = out.indexOf('#', at) + '#[cfg(test)]'.length;
    while (i < out.length && out[i] !== '{' && out[i] !== ';') i++;
    if (out[i] === '{') {
      let depth = 0;
      do {
        if (out[i] === '{') depth++;
        else if (out[i] === '}') depth--;
        i++;
      } while (depth > 0 && i < out.length);
    } else i++;
    out = out.slice(0, at) + out.slice(i);
  }
  return out;
}

/** `a::{b, c::{D, E as F}, *}` → [['a','b'], ['a','c','D', 'F'], ...]: segments, then the local name. */
function expandUseTree(tree) {
  tree = tree.replace(/\s+as\s+/g, '=').replace(/\s+/g, '');
  const out = [];
  const walk = (prefix, t) => {
    const brace = t.indexOf('{');
    if (brace < 0) {
      const [p, alias] = t.split('=');
      const segs = [...prefix, ...p.split('::').filter(Boolean)];
      if (segs.length === 0) return;
      if (segs[segs.length - 1] === 'self') segs.pop();
      out.push({ segs, name: alias || segs[segs.length - 1] });
      return;
    }
    const head = t.slice(0, brace).split('::').filter(Boolean);
    const inner = t.slice(brace + 1, t.lastIndexOf('}'));
    let depth = 0;
    let start = 0;
    for (let i = 0; i <= inner.length; i++) {
      const ch = inner[i];
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
      else if ((ch === ',' || i === inner.length) && depth === 0) {
        const part = inner.slice(start, i);
        if (part) walk([...prefix, ...head], part);
        start = i + 1;
      }
    }
  };
  walk([], tree);
  return out;
}

function rustGraph(srcDir) {
  const files = filesUnder(srcDir, ['.rs']);
  const modules = new Map(); // 'a::b' → { file, text, defined, reexports, globs, uses }
  for (const file of files) {
    const rel = path.relative(srcDir, file).replace(/\\/g, '/').replace(/\.rs$/, '');
    const parts = rel.split('/');
    if (parts[parts.length - 1] === 'mod' || rel === 'lib' || rel === 'main') parts.pop();
    const id = parts.join('::');
    modules.set(id, { id, file, text: stripRust(fs.readFileSync(file, 'utf8')) });
  }
  const isModule = (segs) => modules.has(segs.join('::'));
  for (const m of modules.values()) {
    m.defined = new Set();
    for (const d of m.text.matchAll(/\b(?:struct|enum|fn|trait|type|const|static|union|macro_rules!)\s+(\w+)/g)) m.defined.add(d[1]);
    m.uses = [];
    for (const u of m.text.matchAll(/(^|[;{}\]\s])(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);/g)) {
      for (const entry of expandUseTree(u[3])) m.uses.push({ ...entry, pub: Boolean(u[2]) });
    }
  }
  const selfSegs = (m) => (m.id ? m.id.split('::') : []);
  /** An absolute path for `segs` as written in module m, or null for another crate's path. */
  const absolute = (m, segs, locals) => {
    const here = selfSegs(m);
    if (segs[0] === 'crate') return segs.slice(1);
    if (segs[0] === 'self') return [...here, ...segs.slice(1)];
    if (segs[0] === 'super') {
      let base = here.slice();
      let i = 0;
      while (segs[i] === 'super') (base.pop(), i++);
      return [...base, ...segs.slice(i)];
    }
    if (isModule([...here, segs[0]])) return [...here, ...segs];
    const local = locals && locals.get(segs[0]);
    if (local) return [...local, ...segs.slice(1)];
    return null;
  };
  for (const m of modules.values()) {
    m.locals = new Map();
    for (const u of m.uses) {
      const abs = absolute(m, u.segs, null);
      if (abs && u.name !== '*') m.locals.set(u.name, abs);
    }
  }
  /** The module that defines what the absolute path `segs` names (following re-exports). */
  const resolve = (segs, depth = 0) => {
    let i = segs.length;
    while (i > 0 && !isModule(segs.slice(0, i))) i--;
    const mod = modules.get(segs.slice(0, i).join('::'));
    const item = segs[i];
    if (!mod || item === undefined || item === '*' || depth > 20) return mod ? mod.id : null;
    // A re-export first: `defined` also holds the names of nested (test, check) items.
    const named = mod.uses.find((u) => u.pub && u.name === item);
    if (named) {
      const abs = absolute(mod, named.segs, mod.locals);
      return abs ? resolve(abs, depth + 1) : mod.id;
    }
    if (mod.defined.has(item)) return mod.id;
    for (const glob of mod.uses.filter((u) => u.pub && u.name === '*')) {
      const abs = absolute(mod, glob.segs.slice(0, -1), mod.locals);
      if (!abs) continue;
      const target = modules.get(abs.join('::'));
      if (target && (target.defined.has(item) || target.uses.some((u) => u.pub && u.name === item))) {
        return resolve([...abs, item], depth + 1);
      }
    }
    return mod.id;
  };
  const edges = new Map();
  for (const m of modules.values()) {
    const to = new Set();
    const add = (abs) => {
      if (!abs) return;
      const target = resolve(abs);
      if (target === null || target === m.id) return;
      to.add(target);
      if (process.env.IMPORT_GRAPH_WHY) console.log(`${m.id || 'lib'} -> ${target || 'lib'}: ${abs.join('::')}`);
    };
    // A `pub use` re-exports: resolution goes through it, it is not a use of its own.
    // A glob import names nothing by itself: what the module then uses is resolved below.
    for (const u of m.uses.filter((u) => !u.pub && u.name !== '*')) add(absolute(m, u.segs, null));
    const body = m.text.replace(/(^|[;{}\]\s])(pub(?:\([^)]*\))?\s+)?use\s+[^;]+;/g, '$1');
    for (const p of body.matchAll(/(?<![\w$:])((?:[A-Za-z_]\w*::)+[A-Za-z_]\w*)/g)) {
      add(absolute(m, p[1].split('::'), m.locals));
    }
    for (const name of m.locals.keys()) {
      if (new RegExp(`(?<![\\w:])${name}(?![\\w])(?!::)`).test(body)) add(m.locals.get(name));
    }
    edges.set(m.id || 'lib', [...to].map((t) => t || 'lib').sort());
  }
  return edges;
}

// --- JavaScript ------------------------------------------------------------------------------

function jsGraph(dir) {
  const files = filesUnder(dir, ['.js', '.mjs']);
  const edges = new Map();
  const resolveFile = (from, spec) => {
    const base = path.resolve(path.dirname(from), spec);
    for (const candidate of [base, `${base}.js`, path.join(base, 'index.js')]) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
    }
    return null;
  };
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '');
    const to = new Set();
    for (const r of text.matchAll(/(?:require\(\s*|from\s+|import\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = resolveFile(file, r[1]);
      if (target && target.startsWith(dir) && target !== file) to.add(path.relative(dir, target));
    }
    edges.set(path.relative(dir, file), [...to].sort());
  }
  return edges;
}

// --- circles ---------------------------------------------------------------------------------

/** The strongly connected sets of two or more nodes (Tarjan), each sorted. */
function circles(edges) {
  let index = 0;
  const stack = [];
  const info = new Map();
  const found = [];
  const visit = (v) => {
    info.set(v, { index, low: index, on: true });
    index++;
    stack.push(v);
    for (const w of edges.get(v) || []) {
      if (!info.has(w)) {
        visit(w);
        info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
      } else if (info.get(w).on) {
        info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
      }
    }
    if (info.get(v).low === info.get(v).index) {
      const set = [];
      let w;
      do {
        w = stack.pop();
        info.get(w).on = false;
        set.push(w);
      } while (w !== v);
      if (set.length > 1) found.push(set.sort());
    }
  };
  for (const v of edges.keys()) if (!info.has(v)) visit(v);
  return found;
}

const trees = {
  'crates/kafka-native': () => rustGraph(path.join(root, 'crates/kafka-native/src')),
  'crates/kafka-native-node': () => rustGraph(path.join(root, 'crates/kafka-native-node/src')),
  'crates/kafka-native-sys': () => rustGraph(path.join(root, 'crates/kafka-native-sys/src')),
  js: () => jsGraph(path.join(root, 'js')),
};

module.exports = { trees, circles, rustGraph, jsGraph };

if (require.main === module) {
  let any = false;
  for (const [name, graph] of Object.entries(trees)) {
    const edges = graph();
    const found = circles(edges);
    any = any || found.length > 0;
    console.log(`${name}: ${edges.size} modules, ${found.length} circle(s)`);
    for (const set of found) {
      console.log(`  circle: ${set.join(', ')}`);
      for (const v of set) {
        const inside = edges.get(v).filter((w) => set.includes(w));
        console.log(`    ${v} -> ${inside.join(', ')}`);
      }
    }
    if (process.argv.includes('--edges')) {
      for (const [v, to] of edges) console.log(`  ${v || 'lib'} -> ${to.join(', ')}`);
    }
  }
  process.exitCode = any ? 1 : 0;
}
