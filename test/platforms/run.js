'use strict';
// npm run test:platforms [-- --quick] [-- --node-only | --arm64-only]: what this one x64 machine
// can check of the other Node versions and platforms the package promises.
//   1. The Node matrix: the acceptance suites below, on every x64 Node pinned in
//      deps/node/versions.json (18, 20, 22, 24 and 26), all loading the one addon: napi 8 is
//      ABI-stable, so one binary per platform serves them all. --quick runs the first four suites.
//   2. linux-arm64-gnu: cross-compiles the addon (npm run build:arm64), packs the tarballs
//      (npm pack: kafka-native, kafka-native-linux-x64-gnu, kafka-native-linux-arm64-gnu),
//      installs kafka-native and the arm64 package into a fresh project, and runs
//      arm64-smoke.js there with an arm64 Node under qemu-user, against a MockCluster in a
//      separate (x64) process: 1,000 messages produced and read back.
//   3. Bun and Deno: test/runtimes/acceptance.mjs (also in npm test).
// Prints how long each part took; exits non-zero if any failed.
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { nodeBinary, pinned } = require('../../deps/node/fetch.js');
const { version: packageVersion } = require('../../package.json');

const root = path.join(__dirname, '..', '..');
const ACCEPTANCE = ['api', 'start', 'deliver', 'workers', 'flow', 'callbacks', 'group', 'undelivered', 'not-processed', 'validation', 'process', 'tls', 'oauthbearer', 'codecs'];
const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const results = [];

function timed(title, run) {
  const started = Date.now();
  let ok = false;
  try {
    ok = run();
  } finally {
    results.push({ title, ok, seconds: Math.round((Date.now() - started) / 1000) });
  }
  return ok;
}

function nodeMatrix() {
  const suites = (quick ? ACCEPTANCE.slice(0, 4) : ACCEPTANCE).map((t) => `test/${t}.test.js`);
  for (const version of Object.keys(pinned.x64)) {
    const node = nodeBinary('x64', version);
    console.log(`\n== Node ${version} (x64): ${suites.length} suites`);
    timed(`Node ${version}, ${suites.length} suites`, () =>
      spawnSync(node, ['--test', ...suites], { cwd: root, stdio: 'inherit' }).status === 0);
  }
}

// 3. Bun and Deno (deps/runtimes/versions.json): the runtime-neutral acceptance subset.
function runtimes() {
  console.log('\n== Bun and Deno: test/runtimes/acceptance.mjs');
  timed('Bun and Deno, the acceptance subset', () => spawnSync(process.execPath, ['test/runtimes/run.js', 'bun', 'deno'], { cwd: root, stdio: 'inherit' }).status === 0);
}

async function arm64() {
  console.log('\n== linux-arm64-gnu: cross-compile');
  if (!timed('arm64: cross-compile the addon', () => spawnSync('npm', ['run', 'build:arm64'], { cwd: root, stdio: 'inherit' }).status === 0)) return;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-arm64-'));
  const mock = { child: null };
  try {
    console.log('\n== linux-arm64-gnu: npm pack, install into a fresh project');
    const packed = path.join(work, 'packed');
    const app = path.join(work, 'app');
    fs.mkdirSync(app);
    fs.mkdirSync(packed);
    const installed = timed('arm64: pack and install', () => {
      execFileSync('npm', ['pack', '--silent', '--pack-destination', packed], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
      const tarballs = fs.readdirSync(packed);
      console.log(`packed: ${tarballs.join(', ')}`);
      fs.writeFileSync(path.join(app, 'package.json'), '{"name": "arm64-smoke", "version": "1.0.0", "private": true}\n');
      // --force: npm installs a package for another cpu only when told to.
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--force', path.join(packed, `kafka-native-${packageVersion}.tgz`), path.join(packed, `kafka-native-linux-arm64-gnu-${packageVersion}.tgz`)], { cwd: app, stdio: 'inherit' });
      fs.copyFileSync(path.join(__dirname, 'arm64-smoke.js'), path.join(app, 'smoke.js'));
      return !fs.existsSync(path.join(app, 'node_modules', 'kafka-native', 'js', 'native', 'kafka-native.linux-x64-gnu.node'));
    });
    if (!installed) return;
    if (!fs.existsSync('/usr/bin/qemu-aarch64')) execFileSync(path.join(root, '.ci', 'apt-install'), ['qemu-user'], { stdio: 'inherit' });
    const portFile = path.join(work, 'mock.port');
    mock.child = spawn(process.execPath, [path.join(root, 'bin', 'kafka-native.js'), 'mock-cluster', '--topic', 'smoke:1', '--port-file', portFile], { stdio: 'ignore' });
    const deadline = Date.now() + 30000;
    while (!fs.existsSync(portFile) || fs.readFileSync(portFile, 'utf8').trim() === '') {
      if (Date.now() > deadline) throw new Error('the mock-cluster process did not write its port file');
      await new Promise((r) => setTimeout(r, 100));
    }
    const broker = fs.readFileSync(portFile, 'utf8').trim();
    const node = nodeBinary('arm64', Object.keys(pinned.arm64)[0]);
    console.log(`\n== linux-arm64-gnu: 1,000 messages through the arm64 addon under qemu-user, MockCluster process at ${broker}`);
    timed('arm64: smoke test under qemu-user', () => {
      const r = spawnSync('qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', node, 'smoke.js', broker, 'smoke'], { cwd: app, encoding: 'utf8', timeout: 300000 });
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      const line = r.stdout.trim().split('\n').pop();
      return r.status === 0 && /"arch":"arm64".*"consumed":1000/.test(line);
    });
  } finally {
    mock.child?.kill();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

(async () => {
  if (!args.has('--arm64-only')) nodeMatrix();
  if (!args.has('--arm64-only')) runtimes();
  if (!args.has('--node-only')) await arm64();
  console.log('\n== summary');
  for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.title} (${r.seconds} s)`);
  if (results.some((r) => !r.ok)) process.exitCode = 1;
})().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
