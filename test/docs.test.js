'use strict';
// The docs as a new user meets them: README.md is the front door (short, every link of it and
// of docs/ leads somewhere), and every JavaScript block of README.md and docs/ type-checks with
// `tsc --strict` against the package's own types, as the user's editor would check it. (The
// Rust blocks of the crate guide (crates/kafka-native/src/guide.md) compile as its doctests: `cargo test --doc`.)
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const pages = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const read = (page) => fs.readFileSync(path.join(root, page), 'utf8');

// GitHub's anchor for a heading.
const slug = (heading) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
const anchors = (page) => new Set([...read(page).matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));

// Each fenced block: its language and text, and the line it starts on.
function blocks(page) {
  const found = [];
  const lines = read(page).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    found.push({ lang: open[1], text: body.join('\n'), line: start + 1 });
  }
  return found;
}

test('README.md is a front door: under 300 lines, and it maps every page of docs/', () => {
  const readme = read('README.md');
  assert.ok(readme.split('\n').length < 300, `README.md has ${readme.split('\n').length} lines`);
  for (const page of pages.filter((p) => p.startsWith('docs/'))) assert.ok(readme.includes(`](${page})`), `README.md does not link ${page}`);
});

test('BENCHMARKS.md is a reference, not a log: at most 550 lines (earlier runs are in git)', () => {
  const lines = read('BENCHMARKS.md').trimEnd().split('\n').length;
  assert.ok(lines <= 550, `BENCHMARKS.md has ${lines} lines`);
});

test('every relative link of README.md and docs/ leads to a file, and its #anchor to a heading there', () => {
  const broken = [];
  for (const page of pages) {
    const text = read(page).replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^(https?:|mailto:)/.test(target)) continue;
      const [file, anchor] = target.split('#');
      const resolved = file ? path.normalize(path.join(path.dirname(page), file)) : page;
      if (!fs.existsSync(path.join(root, resolved))) {
        broken.push(`${page}: ${target} (no file ${resolved})`);
        continue;
      }
      if (anchor && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) broken.push(`${page}: ${target} (no heading #${anchor} in ${resolved})`);
    }
  }
  assert.deepEqual(broken, []);
});

test('every JavaScript block of README.md and docs/ type-checks with tsc --strict against the package\'s types', () => {
  // Inside the package, so that `kafka-native` resolves to this package (its exports) by name.
  const dir = path.join(root, 'test-output', 'snippets');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const files = [];
  for (const page of pages) {
    for (const { lang, text, line } of blocks(page)) {
      if (lang !== 'js') continue;
      // An ES module where the block imports (its top-level await too), else CommonJS.
      const ext = /^import /m.test(text) ? 'mjs' : 'cjs';
      const file = path.join(dir, `${page.replace(/[/.]/g, '_')}_${line}.${ext}`);
      fs.writeFileSync(file, `// ${page}, line ${line}\n${text}\n`);
      files.push(file);
    }
  }
  assert.ok(files.length >= 10, `only ${files.length} blocks found`);
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--allowJs', '--checkJs', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--target', 'es2022', '--types', 'node', '--skipLibCheck', ...files], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});
