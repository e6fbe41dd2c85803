'use strict';
// Kafka's own Java client as a benchmark client, through Kafka's own tools: ProducerPerformance
// (random records of SIZE bytes, no key: the default partitioner spreads them) and
// ConsumerPerformance (a consumer group). KAFKA_TOOLS_CLASSPATH: the kafka-tools jar and the
// broker's jars (bench/peers.js kafkaTools). JAVA_TUNING=tuned adds what Kafka's documentation
// suggests for throughput (batch.size 1 MiB and linger.ms 20 to produce; larger fetches and polls
// to consume); otherwise the client's defaults. Heap as Kafka's perf-test scripts give it (512 MB).
//
// Each tool's own timing is reported, not the process's, so the JVM's start is not counted:
// ProducerPerformance's records/sec (first send to the last acknowledgement) and
// ConsumerPerformance's whole read, its group join included, as this package's clients count
// their own start (connecting, assignment) in theirs. The tool's fetch time alone (after the
// join) is reported beside it as fetch_seconds.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { run } = require('./common');

const classpath = process.env.KAFKA_TOOLS_CLASSPATH;
const tuned = process.env.JAVA_TUNING === 'tuned';

function java(mainClass, args) {
  const r = spawnSync('java', ['-Xmx512M', '-cp', classpath, `org.apache.kafka.tools.${mainClass}`, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${mainClass} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout).slice(-800)}`);
  return r.stdout;
}

function produce() {
  const props = [`bootstrap.servers=${run.broker}`, ...(tuned ? ['batch.size=1048576', 'linger.ms=20'] : [])];
  const out = java('ProducerPerformance', ['--topic', run.topic, '--num-records', String(run.messages), '--record-size', String(run.size), '--throughput', '-1', '--producer-props', ...props]);
  // "1000000 records sent, 143164.5 records/sec (13.65 MB/sec), 180.1 ms avg latency, ..."
  const last = /(\d+) records sent, ([\d.]+) records\/sec/.exec(out.trim().split('\n').pop());
  if (!last) throw new Error(`ProducerPerformance said: ${out.slice(-500)}`);
  const [, sent, rate] = last;
  return { seconds: Number(sent) / Number(rate), counted: Number(sent) };
}

function consume() {
  const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kn-java-perf-')), 'consumer.properties');
  fs.writeFileSync(config, tuned ? 'max.poll.records=10000\nfetch.max.bytes=104857600\nmax.partition.fetch.bytes=10485760\n' : '');
  try {
    const out = java('ConsumerPerformance', ['--bootstrap-server', run.broker, '--topic', run.topic, '--num-records', String(run.messages), '--timeout', '60000', '--group', `bench-java-${process.pid}`, '--command-config', config]);
    // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
    // rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
    const fields = out.trim().split('\n').pop().split(',').map((f) => f.trim());
    const count = Number(fields[4]);
    const rate = Number(fields[5]);
    const fetchMs = Number(fields[7]);
    if (!(count >= run.messages && rate > 0 && fetchMs > 0)) throw new Error(`ConsumerPerformance said: ${out.slice(-500)}`);
    return { seconds: count / rate, counted: count, fetch_seconds: fetchMs / 1000 };
  } finally {
    fs.rmSync(path.dirname(config), { recursive: true, force: true });
  }
}

try {
  console.log(JSON.stringify(run.op === 'produce' ? produce() : consume()));
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
