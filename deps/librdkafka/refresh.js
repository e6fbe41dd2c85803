'use strict';
// Makes crates/kafka-native-sys/librdkafka from the pinned source (source.json) and the patch
// series (deps/librdkafka-patches/*.patch, applied in file-name order with `git apply`).
//   node deps/librdkafka/refresh.js          write it (then regenerate the bindings if the
//                                            headers changed: crates/kafka-native-sys/update-bindings)
//   node deps/librdkafka/refresh.js --check  fail unless the vendored tree is exactly that
// Needs npm (the registry), tar and git.
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const source = require('./source.json');
const patchDir = path.join(root, 'deps', 'librdkafka-patches');
const vendored = path.join(root, 'crates', 'kafka-native-sys', 'librdkafka');

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// The pinned source with the series applied, in a new folder under `work`.
function build(work) {
  const spec = `${source.package}@${source.version}`;
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work, spec], work));
  const tarball = path.join(work, packed.filename);
  const actual = `sha512-${crypto.createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}`;
  if (actual !== source.integrity) throw new Error(`${spec} has integrity ${actual}, pinned ${source.integrity}`);
  run('tar', ['-xzf', tarball, '-C', work, source.path], work);
  const tree = path.join(work, source.path);
  const changelog = fs.readFileSync(path.join(tree, 'CHANGELOG.md'), 'utf8');
  if (!changelog.startsWith(`# librdkafka v${source.librdkafka}\n`)) throw new Error(`${spec} does not carry librdkafka ${source.librdkafka}`);
  for (const dir of source.leftOut) fs.rmSync(path.join(tree, dir), { recursive: true, force: true });
  const patches = fs.readdirSync(patchDir).filter((f) => f.endsWith('.patch')).sort();
  for (const patch of patches) {
    try {
      run('git', ['apply', '--whitespace=nowarn', path.join(patchDir, patch)], tree);
    } catch (e) {
      throw new Error(`${patch} does not apply: ${e.stderr || e.message}`);
    }
  }
  return { tree, patches };
}

function main() {
  const check = process.argv.includes('--check');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-native-librdkafka-'));
  try {
    const { tree, patches } = build(work);
    if (check) {
      try {
        run('diff', ['-r', '--brief', tree, vendored], work);
      } catch (e) {
        throw new Error(`crates/kafka-native-sys/librdkafka is not librdkafka ${source.librdkafka} with the ${patches.length} patches of deps/librdkafka-patches:\n${e.stdout}`);
      }
      console.log(`crates/kafka-native-sys/librdkafka is librdkafka ${source.librdkafka} with the ${patches.length} patches of deps/librdkafka-patches`);
      return;
    }
    fs.rmSync(vendored, { recursive: true, force: true });
    fs.cpSync(tree, vendored, { recursive: true, preserveTimestamps: true });
    console.log(`wrote crates/kafka-native-sys/librdkafka: librdkafka ${source.librdkafka} with ${patches.length} patches`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`deps/librdkafka/refresh: ${e.message}`);
  process.exitCode = 1;
}
