#!/usr/bin/env node
'use strict';
// Installs the pinned Apache Kafka broker (deps/kafka/pom.xml) into a cache outside the
// repo, ~/.cache/kafka-native/kafka-<version>/libs (or $KAFKA_NATIVE_CACHE/kafka-<version>/libs),
// with Maven's dependency:copy-dependencies, and checks every jar against deps/kafka/jars.sha256. Reused
// across runs: a cache whose jars were checked once is taken as it is. Needs Java 17 or newer
// and Maven (`mvn`) on the PATH; run as a script it installs and prints the folder.
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PINNED = path.join(__dirname, '..', '..', 'deps', 'kafka');
const POM = path.join(PINNED, 'pom.xml');
const PINS = path.join(PINNED, 'jars.sha256');
const VERSION = /<artifactId>kafka_2\.13<\/artifactId>\s*<version>([^<]+)<\/version>/.exec(fs.readFileSync(POM, 'utf8'))[1];

function cacheRoot() {
  return process.env.KAFKA_NATIVE_CACHE || path.join(os.homedir(), '.cache', 'kafka-native');
}

// The folder the jars live in once installed (whether or not they are there yet).
function libsDir() {
  return path.join(cacheRoot(), `kafka-${VERSION}`, 'libs');
}

function pins() {
  return fs
    .readFileSync(PINS, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [sha256, name] = line.trim().split(/\s+/);
      return { sha256, name };
    });
}

// What is missing to run Kafka here, as a sentence, or null when Java 17+ is there (and Maven,
// when `maven` is true: it is needed only to fetch the jars).
function missingTools({ maven = true } = {}) {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error)
    return 'Java 17 or newer is not installed (no `java` on the PATH; on Debian or Ubuntu: apt install openjdk-17-jre-headless)';
  const major = Number((/version "(\d+)/.exec(java.stderr) || [])[1]);
  if (!(major >= 17)) return `Apache Kafka 4 needs Java 17 or newer; \`java -version\` says ${JSON.stringify(java.stderr.split('\n')[0])}`;
  if (maven && spawnSync('mvn', ['--version'], { stdio: 'ignore' }).error)
    return 'Maven is not installed (no `mvn` on the PATH; on Debian or Ubuntu: apt install maven): it fetches the Kafka jars once';
  return null;
}

const MARK = '.checked';

// What Maven's batch-mode output says it fetched: the pinned jars among its "Downloaded from"
// lines, with their sizes as Maven prints them.
function downloadedJars(output, names) {
  const jars = [];
  for (const m of output.matchAll(/^\[INFO\] Downloaded from [^:]+: \S+\/([^/\s]+\.jar) \(([\d.]+ [kMG]?B)/gm)) {
    if (names.has(m[1])) jars.push({ name: m[1], size: m[2] });
  }
  return jars;
}

// Runs Maven's copy-dependencies into `staging`, telling `log` how many of the pinned jars it has
// downloaded every few seconds (a first fetch takes about half a minute); rejects with its output.
function fetchJars(staging, expected, log) {
  const names = new Set(expected.map((p) => p.name));
  return new Promise((resolve, reject) => {
    const mvn = spawn('mvn', ['-B', '-f', POM, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${staging}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    mvn.stdout.on('data', (c) => {
      output += c;
    });
    mvn.stderr.on('data', (c) => {
      output += c;
    });
    let told = 0;
    const progress = setInterval(() => {
      const jars = downloadedJars(output, names);
      if (jars.length === told) return;
      told = jars.length;
      log(`kafka-native: fetched ${jars.length} of ${names.size} jars (latest ${jars.at(-1).name}, ${jars.at(-1).size})`);
    }, 3000);
    mvn.on('error', (err) => {
      clearInterval(progress);
      reject(new Error(`kafka-native: could not run Maven: ${err.message}`));
    });
    mvn.on('exit', (code, signal) => {
      clearInterval(progress);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `kafka-native: Maven could not fetch Apache Kafka ${VERSION} (exit ${code ?? signal}):\n${output
              .trim()
              .split('\n')
              .filter((l) => !/^\[INFO\] Download(ing|ed) from/.test(l))
              .join('\n')
              .slice(-2000)}`,
          ),
        );
    });
  });
}

// Installs when needed and resolves with the libs folder. `log` gets a line before a download
// and progress lines during it. Java is checked every time (the jars need it to run).
async function installKafka({ log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const libs = libsDir();
  const installed = fs.existsSync(path.join(libs, MARK));
  const problem = missingTools({ maven: !installed });
  if (problem) throw new Error(`kafka-native: cannot run Apache Kafka ${VERSION}: ${problem}`);
  if (installed) return libs;
  log(`kafka-native: fetching Apache Kafka ${VERSION} with Maven into ${libs} (once; about 45 MB)`);
  const staging = `${libs}.${process.pid}.tmp`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  try {
    const expected = pins();
    await fetchJars(staging, expected, log);
    const got = fs.readdirSync(staging).sort();
    const names = expected.map((p) => p.name).sort();
    if (got.join('\n') !== names.join('\n')) {
      const extra = got.filter((n) => !names.includes(n));
      const missing = names.filter((n) => !got.includes(n));
      throw new Error(
        `kafka-native: Maven's jars differ from ${PINS}: extra ${extra.join(', ') || 'none'}; missing ${missing.join(', ') || 'none'}`,
      );
    }
    for (const { sha256, name } of expected) {
      const actual = crypto
        .createHash('sha256')
        .update(fs.readFileSync(path.join(staging, name)))
        .digest('hex');
      if (actual !== sha256) throw new Error(`kafka-native: ${name} has sha256 ${actual}, ${PINS} pins ${sha256}`);
    }
    fs.writeFileSync(path.join(staging, MARK), `${VERSION}\n`);
    fs.rmSync(libs, { recursive: true, force: true });
    fs.renameSync(staging, libs);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  log('kafka-native: Apache Kafka fetched and checked');
  return libs;
}

module.exports = { installKafka, missingTools, downloadedJars, libsDir, VERSION };

if (require.main === module) {
  installKafka().then(
    (libs) => process.stdout.write(`${libs}\n`),
    (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
