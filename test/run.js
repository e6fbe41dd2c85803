'use strict';
// npm test: every test, on librdkafka's MockCluster and on Apache Kafka.
//   1. cargo fmt --check and ESLint (npm run lint); the Rust tests on the MockCluster (group.rs
//      only without Apache Kafka: it runs there instead), built in release for the host target,
//      as the addon is,
//      so librdkafka (and OpenSSL) are built once for both, and the doctests; clippy with
//      -D warnings on the same build, and the core's rustdoc with -D warnings;
//   2. the addon build (incremental) and the Node tests on the MockCluster, files side by side;
//      the runtime acceptance subset (test/runtimes/) on Bun and Deno;
//   3. on Apache Kafka (deps/kafka: Java 17 and Maven), one node started here while step 1 runs
//      and killed with this run: the broker-independent Rust suites (any_broker, group, admin,
//      transactions, memory) and share groups (share), run beside the build of the crate guide's
//      example from the packaged crates in a project outside the workspace (.ci/rust-package,
//      on both brokers),
//      the broker-independent Node suites, the game in Chromium on a 3-node cluster (instead of
//      on the MockCluster), and test/kafka/ (SASL, TLS, the CLI, a broker killed under load,
//      network faults through Toxiproxy; the
//      3-node files start clusters of their own).
// Without Java or Maven, step 3 is skipped with a list of what did not run; on CI (CI=true)
// that is a failure.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startKafka } = require('../js/dev-cluster/cluster.js');
const { missingTools } = require('../js/dev-cluster/install.js');
const { makeCerts } = require('./tls/certs.js');
const { KAFKA_USERS } = require('./kafka/security.js');

const root = path.join(__dirname, '..');
// Test files run side by side: most of their time is spent waiting on brokers and timers. Fewer
// at once on the MockCluster: under the load of 6 files its classic groups took longer to rejoin
// than a revocation waits for its commit (2 s), and a group test saw messages again.
const CONCURRENCY_MOCK = 3;
const CONCURRENCY_KAFKA = 6;
// How much slower than usual this machine is now (1 to 3), for the bounds that wait on a JVM or a
// cluster (helpers.js wide(); KN_TEST_SLOWNESS) and for how many files run side by side: the
// larger of the shared Kafka node's measured start against its usual one (about 4 s idle, up to
// 15 s beside the Rust build a CI run starts it with), and the load average per core when a step
// starts. On a newcomer's loaded machine (load 7 on 2 cores) fixed bounds failed five files.
const USUAL_KAFKA_START_MS = 15000;
let kafkaStartMs = 0;
function slowness() {
  const load = os.loadavg()[0] / os.cpus().length;
  return Math.min(3, Math.max(1, kafkaStartMs / USUAL_KAFKA_START_MS, load));
}
// A loaded machine runs fewer files at once, each with wider bounds.
function nodeTestArgs(concurrency) {
  const slow = slowness();
  const files = slow >= 2 ? Math.max(2, Math.floor(concurrency / 2)) : concurrency;
  if (slow > 1) console.log(`(this machine is ${slow.toFixed(1)} × slower than usual now: bounds widened, ${files} test files at once)`);
  return { args: ['--test', TEST_TIMEOUT, `--test-concurrency=${files}`], env: { KN_TEST_SLOWNESS: slow.toFixed(2) } };
}
// A test still running after 10 minutes fails, naming itself, and its after hooks run (the
// longest take about 2.5 minutes); a file that then does not exit is ended by its step's limit.
const TEST_TIMEOUT = '--test-timeout=600000';
const ON_KAFKA = ['observability', 'health', 'dead-letters', 'kafkajs', 'iteration', 'exactly-once', 'api', 'flow', 'start', 'kcat', 'group', 'admin', 'partitioner', 'deliver', 'socket.io', 'ws-proxy', 'not-processed', 'deepstream', 'codecs'];
const RUST_ON_KAFKA = ['any_broker', 'group', 'admin', 'transactions', 'memory', 'share'];
// Run on Apache Kafka only, where it runs: the MockCluster's classic groups hold every rebalance
// for the session timeout, so group.rs took ~110 s there and proves on Kafka what it proves;
// share groups are proven on Kafka (the MockCluster's are librdkafka's imitation).
const RUST_KAFKA_INSTEAD = ['group', 'share'];
// Run on Apache Kafka only, where it runs: the game's broker failover proves something there;
// the iteration's memory bound needs more data than a mock partition keeps; the frameworks
// (NestJS, Moleculer) are proven on the broker their users run.
const KAFKA_INSTEAD = ['game', 'iteration-memory', 'share-consumer', 'work-queue', 'frameworks'];
// The Node files on Apache Kafka that take longest (a clean-clone CI run's figures), started first.
const LONGEST_ON_KAFKA = ['test/kafka/failover.test.js', 'test/kafka/chaos.test.js', 'test/kafka/cli.test.js', 'test/frameworks.test.js', 'test/kafka/regain.test.js', 'test/game.test.js'];

function hostTarget() {
  const r = spawnSync('rustc', ['-vV'], { encoding: 'utf8' });
  const host = /^host: (.+)$/m.exec(r.stdout || '');
  if (!host) throw new Error('rustc -vV did not name the host target');
  return host[1];
}

// A step is a process group of its own, killed whole if it outlives `limitMin` minutes (a test
// process that never exits must fail the run, not hang it) or when this run is interrupted.
const steps = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of steps) killGroup(child);
    process.exit(130);
  });
}

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function step(title, cmd, args, env = {}, limitMin = 20) {
  console.log(`\n== ${title}: ${cmd} ${args.join(' ')}`);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env }, detached: true });
    steps.add(child);
    let timedOut = false;
    let lastResort;
    const timer = setTimeout(() => {
      timedOut = true;
      // A node --test step: its test files still running are named and ended first, so that the
      // runner reports each as failed with the tests it finished; the rest a minute later.
      const files = stillRunning(child).filter((p) => p.pid !== child.pid && /\.test\.js$/.test(p.args));
      for (const p of files) {
        console.log(`!! ${title}: ${path.relative(root, p.args.split(' ').pop())} still running after ${p.seconds} s: ended (SIGTERM)`);
        try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone meanwhile */ }
      }
      lastResort = setTimeout(() => killGroup(child), files.length ? 60000 : 0);
    }, limitMin * 60000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(lastResort);
      steps.delete(child);
      killGroup(child); // anything it left behind
      const took = `${Math.round((Date.now() - started) / 1000)} s`;
      console.log(`== ${title}: ${code === 0 ? 'passed' : 'FAILED'} in ${took}`);
      if (code === 0) resolve();
      else if (timedOut) reject(new Error(`${title} was still running after ${limitMin} minutes: killed (a test process that does not exit?)`));
      else reject(new Error(`${title} failed (${code ?? signal})`));
    });
  });
}

// The processes of a step's group: pid, how long each has run (s) and its command line.
function stillRunning(child) {
  const r = spawnSync('ps', ['-o', 'pid=,etimes=,args=', '-g', String(child.pid)], { encoding: 'utf8' });
  return (r.stdout || '').split('\n').map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)).filter(Boolean)
    .map(([, pid, seconds, args]) => ({ pid: Number(pid), seconds: Number(seconds), args }));
}

// The test programs `cargo test --workspace <args>` would run, built if they are not, as
// [name, path] pairs.
function rustTestPrograms(args) {
  const r = spawnSync('cargo', ['test', '--workspace', ...args, '--no-run', '--message-format=json-render-diagnostics'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`cargo test --no-run failed (${r.status ?? r.signal})`);
  return r.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line))
    .filter((m) => m.reason === 'compiler-artifact' && m.executable && m.profile.test)
    .map((m) => [m.target.name, m.executable]);
}

// Waits for every promise, then fails with the first failure (a failed step does not leave the
// others running unwatched).
async function settleAll(promises) {
  const failed = (await Promise.allSettled(promises)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

const nodeTests = (dir) => fs.readdirSync(path.join(__dirname, dir)).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join('test', dir, f));

(async () => {
  const started = Date.now();
  const cargoTarget = ['--release', '--target', hostTarget()];
  // npm run test:quick: the MockCluster suites only (no Java, no Kafka).
  const quick = process.argv.includes('--quick');
  const missing = quick ? 'a quick run (npm run test:quick) leaves Apache Kafka out' : missingTools();
  // Apache Kafka starts (a few JVMs, mostly waiting) while the Rust tests run.
  let certs;
  let kafka;
  if (!missing) {
    certs = makeCerts();
    const kafkaStarting = Date.now();
    kafka = startKafka({
      nodes: 1,
      tls: { cert: certs.broker.cert, key: certs.broker.key, ca: certs.ca.pem },
      users: KAFKA_USERS,
      log: (line) => console.log(line),
    });
    kafka.then(() => { kafkaStartMs = Date.now() - kafkaStarting; }, () => {}); // awaited below
  }
  try {
    await step('Rust formatting', 'cargo', ['fmt', '--all', '--', '--check']);
    await step('JS lint (ESLint)', 'npm', ['run', '--silent', 'lint']);
    // What cargo test would run, less the suites that run on Apache Kafka instead (when it is
    // there); the doctests take a run of their own (cargo cannot mix --doc with targets), and the
    // examples are compiled by the lints below.
    const rustTests = fs.readdirSync(path.join(root, 'crates/kafka-native/tests')).filter((f) => f.endsWith('.rs')).map((f) => f.slice(0, -3));
    const onMockTargets = missing ? [] : ['--lib', '--bins', ...rustTests.filter((t) => !RUST_KAFKA_INSTEAD.includes(t)).flatMap((t) => ['--test', t])];
    await step('Rust tests on the MockCluster', 'cargo', ['test', '--workspace', ...cargoTarget, ...onMockTargets]);
    if (!missing) await step('Rust doctests', 'cargo', ['test', '--workspace', ...cargoTarget, '--doc']);
    // Lints on what the tests just built (same profile and target: nothing is built twice).
    await step('Rust lints', 'cargo', ['clippy', '--workspace', '--all-targets', ...cargoTarget, '--', '-D', 'warnings']);
    // The core's documentation as docs.rs builds it (the crate guide, every public item
    // documented: #![warn(missing_docs)]), with no warning (a broken intra-doc link fails).
    await step('Rust docs', 'cargo', ['doc', '--no-deps', '-p', 'kafka-native', ...cargoTarget], { RUSTDOCFLAGS: '-D warnings' });
    await step('build the addon', 'npm', ['run', 'build']);
    const onMock = nodeTests('.').filter((f) => missing || !KAFKA_INSTEAD.some((t) => f === path.join('test', `${t}.test.js`)));
    const mockRun = nodeTestArgs(CONCURRENCY_MOCK);
    await step('Node tests on the MockCluster', process.execPath, [...mockRun.args, ...onMock], mockRun.env);
    // The runtime-neutral acceptance subset on Bun and Deno (pinned, fetched once from npm).
    await step('Bun and Deno: the acceptance subset', process.execPath, ['test/runtimes/run.js', 'bun', 'deno'], {}, 5);
    if (missing) {
      const skipped = [...RUST_ON_KAFKA.map((s) => `Rust ${s}`), ...ON_KAFKA.map((t) => `test/${t}.test.js`), ...nodeTests('kafka')];
      console.log(`\n!! NOT RUN on Apache Kafka: ${missing}.\n!! Skipped: ${skipped.join(', ')}.\n!! Install Java 17+ and Maven to run them (docs/development.md).`);
      if (process.env.CI && !quick) throw new Error(`CI must run the Apache Kafka suites: ${missing}`);
      console.log(`\nthe MockCluster tests passed (in ${Math.round((Date.now() - started) / 1000)} s); the Apache Kafka suites did not run`);
      return;
    }
    const cluster = await kafka;
    const env = {
      KAFKA_TEST_BROKER: 'kafka',
      KAFKA_BROKERS: cluster.bootstrapServers,
      // For test/kafka/: every listener of the shared cluster and the files to reach them.
      KAFKA_TEST_CLUSTER: JSON.stringify({ listeners: cluster.listeners, ca: certs.ca.path, otherCa: certs.otherCa.path, client: { cert: certs.client.certPath, key: certs.client.keyPath } }),
    };
    // The Rust suites on Apache Kafka (mostly waiting on the broker) run beside the packaged
    // crates' build (mostly compiling librdkafka): their test programs, already built by the
    // MockCluster step (same workspace, profile and target: `-p kafka-native` would unify
    // features differently and build them again), are run directly, so that no cargo holds the
    // target directory's lock while they run.
    const rustOnKafka = rustTestPrograms([...cargoTarget, ...RUST_ON_KAFKA.flatMap((s) => ['--test', s])]);
    // test/kafka/transactions-v2.test.js runs the transactions suite once more on its cluster of
    // transactions v1.
    env.KN_RUST_TRANSACTIONS_TEST = rustOnKafka.find(([name]) => name === 'transactions')?.[1] ?? '';
    await settleAll([
      (async () => {
        for (const [name, program] of rustOnKafka) {
          await step(`Rust tests on Apache Kafka: ${name}`, program, [], env);
        }
      })(),
      // The packaged crates, from a Rust project outside the workspace: the crate guide's example
      // on the MockCluster and on this Apache Kafka.
      step('Rust, from the packaged crates', '.ci/rust-package', [], env),
    ]);
    // The longest files first, so that none starts late behind the short ones: failover.test.js
    // alone (a 3-node cluster, a broker killed once, a rolling restart) takes most of the step
    // (about 2.5 minutes of a clean-clone run's 2.6).
    const onKafka = [...[...ON_KAFKA, ...KAFKA_INSTEAD].map((t) => `test/${t}.test.js`), ...nodeTests('kafka')];
    const rank = (f) => { const i = LONGEST_ON_KAFKA.indexOf(f); return i === -1 ? LONGEST_ON_KAFKA.length : i; };
    onKafka.sort((a, b) => rank(a) - rank(b));
    const kafkaRun = nodeTestArgs(CONCURRENCY_KAFKA);
    await step('Node tests on Apache Kafka', process.execPath, [...kafkaRun.args, ...onKafka], { ...env, ...kafkaRun.env });
    console.log(`\nall tests passed, on the MockCluster and on Apache Kafka, in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    if (kafka) await kafka.then((c) => c.stop(), () => {});
    certs?.remove();
  }
})().catch((e) => {
  console.error(`\n${e.stack || e.message}`);
  process.exitCode = 1;
});
