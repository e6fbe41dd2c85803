'use strict';
// Which peer clients this machine has: commands on PATH and Node packages, the latter looked up
// in the package's own node_modules and on NODE_PATH (where `--with-node-rdkafka` puts
// node-rdkafka's cache folder, outside the package).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { nodeBinary } = require('../deps/node/fetch.js');
const { installKafka, missingTools, VERSION: KAFKA_VERSION } = require('../js/dev-cluster/install.js');

const root = path.join(__dirname, '..');
const cache = process.env.KAFKA_NATIVE_BENCH_CACHE || path.join(os.homedir(), '.cache', 'kafka-native-bench');

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function resolvable(mod) {
  const paths = [root, ...(process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean)];
  try {
    require.resolve(mod, { paths });
    return true;
  } catch {
    return false;
  }
}

// Builds node-rdkafka and confluent-kafka-javascript into their cache folders (deps/*/install,
// idempotent) and puts those folders on NODE_PATH for this process and the clients it starts.
function useNodeRdkafka() {
  const r = spawnSync(path.join(root, 'deps/node-rdkafka/install'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error('deps/node-rdkafka/install failed');
  onNodePath(r.stdout.trim().split('\n').pop());
  // The awaited-send benchmark also compares confluent-kafka-javascript (the other librdkafka
  // client with a KafkaJS-style API), built the same way; the others run without it.
  const c = spawnSync(path.join(root, 'deps/confluent-kafka-javascript/install'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (c.status === 0) onNodePath(c.stdout.trim().split('\n').pop());
  else console.error('deps/confluent-kafka-javascript/install failed: its rows are skipped');
}

function onNodePath(dir) {
  process.env.NODE_PATH = [dir, process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
}

// @platformatic/kafka at its newest 2.x needs Node >= 22.22, newer than the Node this package is
// developed on: it is installed (plain JavaScript, seconds) into the bench cache, and its clients
// run on the Node 22 that deps/node pins. → {node, env} to run a client with, or {missing: why}.
const PLATFORMATIC = { version: '2.12.1', node: '22.23.3' };
let platformaticPeer;
function platformatic() {
  if (platformaticPeer) return platformaticPeer;
  const dir = path.join(cache, `platformatic-kafka-${PLATFORMATIC.version}`);
  try {
    if (!fs.existsSync(path.join(dir, 'node_modules', '@platformatic', 'kafka', 'package.json'))) {
      fs.mkdirSync(dir, { recursive: true });
      const r = spawnSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', `@platformatic/kafka@${PLATFORMATIC.version}`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`npm install failed: ${(r.stderr || '').trim().split('\n').pop()}`);
    }
    platformaticPeer = { node: nodeBinary(process.arch, PLATFORMATIC.node), env: { NODE_PATH: path.join(dir, 'node_modules') } };
  } catch (e) {
    platformaticPeer = { missing: `not installed: ${e.message.split('\n')[0]}` };
  }
  return platformaticPeer;
}

// Kafka's own Java client, measured by its own tools: ProducerPerformance and ConsumerPerformance
// from the kafka-tools jar of the broker's version (Maven Central, into the bench cache), run
// on the broker's jars (the dev cluster's install, which holds every library they need).
// → {classpath} to run them with, or {missing: why}.
let kafkaToolsPeer;
async function kafkaTools() {
  if (kafkaToolsPeer) return kafkaToolsPeer;
  try {
    const missing = missingTools();
    if (missing) throw new Error(missing);
    const libs = await installKafka({ log() {} });
    const dir = path.join(cache, `kafka-tools-${KAFKA_VERSION}`);
    const jar = path.join(dir, `kafka-tools-${KAFKA_VERSION}.jar`);
    if (!fs.existsSync(jar)) {
      const r = spawnSync('mvn', ['-B', '-q', 'dependency:copy', `-Dartifact=org.apache.kafka:kafka-tools:${KAFKA_VERSION}`, `-DoutputDirectory=${dir}`], { encoding: 'utf8' });
      if (r.status !== 0 || !fs.existsSync(jar)) throw new Error(`mvn dependency:copy of kafka-tools ${KAFKA_VERSION} failed: ${(r.stdout + r.stderr).trim().split('\n').pop()}`);
    }
    kafkaToolsPeer = { classpath: `${jar}${path.delimiter}${path.join(libs, '*')}` };
  } catch (e) {
    kafkaToolsPeer = { missing: `not runnable here: ${e.message.split('\n')[0]}` };
  }
  return kafkaToolsPeer;
}

// The rows of `configs` this machine can run, given BENCH_CLIENTS (`only`): a row with a `peer`
// that is missing, or `needs` a package that is not installed, is skipped with a note (once
// per client) saying how to get it.
function runnable(configs, only, notes, bench) {
  const skip = (client, why) => {
    if (!notes.some((n) => n.startsWith(client))) notes.push(`${client}: skipped, ${why}.`);
    return false;
  };
  return configs.filter((c) => {
    if (only && !only.includes(c.client)) return false;
    const missing = c.peer?.().missing;
    if (missing) return skip(c.client, missing);
    if (!c.needs || resolvable(c.needs)) return true;
    return skip(c.client, `not installed${c.needs === 'kafkajs' ? '' : ` (npm run bench -- ${bench} --with-node-rdkafka builds it)`}`);
  });
}

// BENCH_BASELINE=DIR measures another checkout of this package beside this one, in the same run
// (the commit before an engine upgrade, say: its addon built in js/native, and for the
// throughput benchmark its Rust client, `cargo build --release --example bench_client`). Its
// rows are this package's own, named `kafka-native [BENCH_BASELINE_LABEL]` (no comma: BENCH_CLIENTS
// is a comma-separated list of names), and run that
// checkout's client files.
function baseline() {
  const dir = process.env.BENCH_BASELINE;
  if (!dir) return undefined;
  return { dir: path.resolve(dir), label: process.env.BENCH_BASELINE_LABEL || 'baseline' };
}

// `configs` and, with a baseline, a copy of each `kafka-native` row that runs the baseline's
// client from `clientsDir` (this benchmark's folder of client files).
function withBaseline(configs, clientsDir) {
  const base = baseline();
  if (!base) return configs;
  const dir = path.join(base.dir, path.relative(root, clientsDir));
  const copies = configs.filter((c) => c.client === 'kafka-native').map((c) => ({ ...c, client: `kafka-native [${base.label}]`, dir }));
  return [...configs, ...copies];
}

module.exports = { has, resolvable, useNodeRdkafka, platformatic, kafkaTools, runnable, baseline, withBaseline };
