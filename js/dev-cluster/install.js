#!/usr/bin/env node
'use strict';
// Installs the pinned Apache Kafka broker (deps/kafka/pom.xml) into a cache outside the
// repo, ~/.cache/kafka-native/kafka-<version>/libs (or $KAFKA_NATIVE_CACHE/kafka-<version>/libs),
// with Maven's dependency:copy-dependencies, and checks every jar against deps/kafka/jars.sha256. Reused
// across runs: a cache whose jars were checked once is taken as it is. Needs Java 17 or newer
// and Maven (`mvn`) on the PATH; run as a script it installs and prints the folder.
const { spawnSync } = require('node:child_process');
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
  return fs.readFileSync(PINS, 'utf8').trim().split('\n').map((line) => {
    const [sha256, name] = line.trim().split(/\s+/);
    return { sha256, name };
  });
}

// What is missing to run Kafka here, as a sentence, or null when Java 17+ and Maven are there.
function missingTools() {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error) return 'Java 17 or newer is not installed (no `java` on the PATH)';
  const major = Number((/version "(\d+)/.exec(java.stderr) || [])[1]);
  if (!(major >= 17)) return `Apache Kafka 4 needs Java 17 or newer; \`java -version\` says ${JSON.stringify(java.stderr.split('\n')[0])}`;
  if (spawnSync('mvn', ['--version'], { stdio: 'ignore' }).error) return 'Maven is not installed (no `mvn` on the PATH): it fetches the Kafka jars once';
  return null;
}

const MARK = '.checked';

// Installs when needed and returns the libs folder. `log` gets a line before a download.
function installKafka({ log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const libs = libsDir();
  if (fs.existsSync(path.join(libs, MARK))) return libs;
  const problem = missingTools();
  if (problem) throw new Error(`kafka-native: cannot install Apache Kafka ${VERSION}: ${problem}`);
  log(`kafka-native: fetching Apache Kafka ${VERSION} with Maven into ${libs} (once; about 45 MB)`);
  const staging = `${libs}.${process.pid}.tmp`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  try {
    const mvn = spawnSync('mvn', ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${staging}`], { encoding: 'utf8' });
    if (mvn.status !== 0) throw new Error(`kafka-native: Maven could not fetch Apache Kafka ${VERSION} (exit ${mvn.status ?? mvn.signal}):\n${(mvn.stdout + mvn.stderr).trim().slice(-2000)}`);
    const expected = pins();
    const got = fs.readdirSync(staging).sort();
    const names = expected.map((p) => p.name).sort();
    if (got.join('\n') !== names.join('\n')) {
      const extra = got.filter((n) => !names.includes(n));
      const missing = names.filter((n) => !got.includes(n));
      throw new Error(`kafka-native: Maven's jars differ from ${PINS}: extra ${extra.join(', ') || 'none'}; missing ${missing.join(', ') || 'none'}`);
    }
    for (const { sha256, name } of expected) {
      const actual = crypto.createHash('sha256').update(fs.readFileSync(path.join(staging, name))).digest('hex');
      if (actual !== sha256) throw new Error(`kafka-native: ${name} has sha256 ${actual}, ${PINS} pins ${sha256}`);
    }
    fs.writeFileSync(path.join(staging, MARK), `${VERSION}\n`);
    fs.rmSync(libs, { recursive: true, force: true });
    fs.renameSync(staging, libs);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return libs;
}

module.exports = { installKafka, missingTools, VERSION };

if (require.main === module) {
  try {
    process.stdout.write(`${installKafka()}\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
