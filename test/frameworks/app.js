'use strict';
// A project as a framework user makes one: the frameworks of ./package.json installed from npm,
// and kafka-native's packed tarballs, with kafka-native-kafkajs in kafkajs's place by npm
// overrides (docs/kafkajs.md). Nothing links back into this repository: the frameworks'
// require('kafkajs') resolves inside the project. The framework scripts beside this file are
// copied in and run there, and KafkaJS's own examples (kafkajs-examples/) in a KafkaJS checkout's
// layout.
const { execFile, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const SCRIPTS = ['nest.js', 'moleculer.js'];

function frameworksApp() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-frameworks-'));
  const run = (cmd, args, cwd, env = {}) => execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  // kafka-native (no scripts: the addon is built already), then its platform and kafkajs
  // packages as its postpack step makes them.
  run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], root);
  run(path.join(root, '.ci', 'pack-platforms'), [], root, { npm_config_pack_destination: dir });
  const { version } = require(path.join(root, 'package.json'));
  const tarball = (name) => `file:${path.join(dir, `${name}-${version}.tgz`)}`;
  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  const platform = `kafka-native-${process.platform}-${process.arch === 'x64' ? 'x64' : process.arch}-gnu`;
  const manifest = {
    private: true,
    dependencies: {
      ...require('./package.json').dependencies,
      'kafka-native': tarball('kafka-native'),
      [platform]: tarball(platform),
      kafkajs: tarball('kafka-native-kafkajs'),
    },
    overrides: { kafkajs: '$kafkajs' },
  };
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify(manifest, null, 2));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], app);
  for (const script of SCRIPTS) fs.copyFileSync(path.join(__dirname, script), path.join(app, script));
  // KafkaJS's examples as in a checkout of KafkaJS: examples/ beside the root's index.js, which
  // is the package (here: kafkajs, that is kafka-native-kafkajs).
  const checkout = path.join(app, 'kafkajs-checkout');
  fs.mkdirSync(path.join(checkout, 'examples'), { recursive: true });
  fs.mkdirSync(path.join(checkout, 'testHelpers', 'certs'), { recursive: true });
  fs.writeFileSync(path.join(checkout, 'index.js'), "module.exports = require('kafkajs');\n");
  for (const example of fs.readdirSync(path.join(__dirname, 'kafkajs-examples')).filter((f) => f.endsWith('.js'))) {
    fs.copyFileSync(path.join(__dirname, 'kafkajs-examples', example), path.join(checkout, 'examples', example));
  }
  return { app, checkout, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

// Runs one of the framework scripts in the app (`node [preload...] script args...`); resolves
// with the JSON lines it printed, one per start.
function runAppScript(app, script, args, { preload = [], timeout = 240000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...preload, script, ...args], { cwd: app, timeout, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${script} failed: ${err.message}\n${stdout}\n${stderr.slice(-4000)}`));
      else resolve(stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)));
    });
  });
}

module.exports = { frameworksApp, runAppScript };
