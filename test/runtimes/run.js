'use strict';
// node test/runtimes/run.js [bun] [deno] [node]: the runtime-neutral acceptance subset
// (acceptance.mjs) on the package installed in a fresh project's node_modules (its package.json
// and js/, as npm would place them), run by each runtime named (default: all three), Bun and
// Deno at the versions pinned in deps/runtimes/versions.json. Exits non-zero if any failed.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runtimeBinary } = require('../../deps/runtimes/fetch.js');
const { makeCerts } = require('../tls/certs.js');

const root = path.join(__dirname, '..', '..');

function project() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-runtimes-'));
  const installed = path.join(dir, 'node_modules', 'kafka-native');
  fs.mkdirSync(installed, { recursive: true });
  fs.cpSync(path.join(root, 'package.json'), path.join(installed, 'package.json'));
  fs.cpSync(path.join(root, 'js'), path.join(installed, 'js'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'kn-runtime-acceptance', private: true, type: 'module' }));
  for (const file of ['acceptance.mjs', 'worker.mjs']) fs.cpSync(path.join(__dirname, file), path.join(dir, file));
  return dir;
}

const COMMANDS = {
  node: () => [process.execPath, ['acceptance.mjs']],
  bun: () => [runtimeBinary('bun'), ['acceptance.mjs']],
  // -A: Deno's permissions (net, read, write, env, ffi for the addon, sys).
  deno: () => [runtimeBinary('deno'), ['run', '-A', 'acceptance.mjs']],
};

function main() {
  const wanted = process.argv.slice(2);
  const runtimes = wanted.length > 0 ? wanted : Object.keys(COMMANDS);
  const dir = project();
  const certs = makeCerts();
  let failed = 0;
  try {
    for (const name of runtimes) {
      if (!COMMANDS[name]) throw new Error(`test/runtimes: unknown runtime ${name} (node, bun or deno)`);
      const [cmd, args] = COMMANDS[name]();
      console.log(`\n== ${name}: ${path.basename(cmd)} ${args.join(' ')}`);
      const started = Date.now();
      const r = spawnSync(cmd, args, { cwd: dir, env: { ...process.env, TLS_DIR: certs.dir, NO_COLOR: '1' }, encoding: 'utf8', timeout: 120000 });
      process.stdout.write(r.stdout || '');
      process.stderr.write(r.stderr || '');
      const ok = r.status === 0 && /all passed on /.test(r.stdout || '');
      console.log(`${ok ? 'passed' : 'FAILED'} on ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s${r.error ? ` (${r.error.message})` : r.status !== 0 ? ` (exit ${r.status ?? r.signal})` : ''}`);
      if (!ok) failed++;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    certs.remove();
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

main();
