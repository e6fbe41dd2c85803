'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createTopic } = require('../deps/tansu/broker.js');
const kafka = require('../js/index.js');

// The broker under test: KAFKA_TEST_BROKER=mock (default: an embedded MockCluster) or tansu (a
// separate broker process at KAFKA_BROKERS, topics created with the tansu binary at TANSU).
// Both offer bootstrapServers and createTopic(name, partitions).
// An embedded cluster lives as long as the test process: a test file that only hands its
// address to child processes keeps no reference to it, and a collected MockCluster is shut down.
const embedded = [];

function testCluster() {
  const kind = process.env.KAFKA_TEST_BROKER || 'mock';
  if (kind === 'mock') {
    const cluster = new kafka.MockCluster(1);
    embedded.push(cluster);
    return cluster;
  }
  if (kind !== 'tansu') throw new Error(`KAFKA_TEST_BROKER=${kind}: expected mock or tansu`);
  const servers = process.env.KAFKA_BROKERS;
  const tansu = process.env.TANSU;
  if (!servers || !tansu) throw new Error('KAFKA_TEST_BROKER=tansu needs KAFKA_BROKERS and TANSU');
  return {
    bootstrapServers: servers,
    createTopic(name, partitions) {
      createTopic(`tcp://${servers}`, name, partitions);
    },
  };
}

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kn-test-'));
}

function readOffset(dir, topic, partition) {
  try {
    return fs.readFileSync(path.join(dir, `${topic}-${partition}.offset`), 'utf8');
  } catch {
    return undefined;
  }
}

async function produce(broker, topic, partition, payloads) {
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  const { enqueued } = producer.send(topic, partition, payloads);
  if (enqueued !== payloads.length) throw new Error(`enqueued ${enqueued} of ${payloads.length}`);
  await producer.stop();
}

// Polls `predicate` (which may be async) until it holds.
async function waitFor(what, predicate, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A logger that keeps lines for assertions instead of printing them.
function quietLogger() {
  const lines = [];
  const keep = (level) => (line) => lines.push({ level, line });
  return { lines, error: keep('error'), warn: keep('warn'), info: keep('info'), debug: keep('debug') };
}

// For a connection that should fail (TLS, SASL): what partition_count() rejects with, how fast,
// and the error lines logged meanwhile.
async function refusal(broker, topic, driverOptions) {
  const logger = quietLogger();
  const producer = new kafka.Producer({ broker, logger, driver_options: driverOptions });
  const started = Date.now();
  const err = await producer.partition_count(topic).then(() => null, (e) => e);
  const ms = Date.now() - started;
  await producer.stop();
  if (!err) throw new Error('partition_count() resolved over a connection that should have failed');
  return { message: err.message, ms, logged: logger.lines.filter((l) => l.level === 'error').map((l) => l.line) };
}

module.exports = { kafka, testCluster, tempDir, readOffset, produce, waitFor, sleep, quietLogger, refusal };
