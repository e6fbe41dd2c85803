'use strict';
// Kafka's own kafka-share-consumer-perf-test.sh (org.apache.kafka.tools.ShareConsumerPerformance,
// kafka-tools' jar beside the dev cluster's) in the share-group benchmark (bench/share.js): MEMBERS
// share consumers (--threads) of GROUP read EXPECT records of KAFKA_TOPIC, acknowledged implicitly
// (the tool's way: each poll's records accepted with the next). Prints one JSON line as the other
// clients do; records/s is the tool's nMsg.sec, from its start to its last record (its members'
// join included). TOOLS_CP: the Java class path (bench/share.js makes it).
const { spawnSync } = require('node:child_process');

const { KAFKA_BROKERS, KAFKA_TOPIC, GROUP, MEMBERS, EXPECT, TOOLS_CP } = process.env;
const run = spawnSync(
  'java',
  ['-Xmx1G', '-cp', TOOLS_CP, 'org.apache.kafka.tools.ShareConsumerPerformance', '--bootstrap-server', KAFKA_BROKERS,
    '--topic', KAFKA_TOPIC, '--group', GROUP, '--num-records', EXPECT, '--threads', MEMBERS, '--timeout', '60000'],
  { encoding: 'utf8' },
);
// start.time, end.time, data.consumed.in.MB, MB.sec, nMsg.sec, data.consumed.in.nMsg, fetch.time.ms
const header = run.stdout.split('\n').findIndex((l) => l.startsWith('start.time'));
const fields = header < 0 ? [] : run.stdout.split('\n')[header + 1].split(',').map((f) => f.trim());
const records = Number(fields[5]);
if (run.status !== 0 || !(records >= Number(EXPECT))) {
  console.error(`kafka-share-consumer-perf-test: ${records} of ${EXPECT} records (exit ${run.status}): ${`${run.stdout}${run.stderr}`.trim().slice(-600)}`);
  process.exit(1);
}
console.log(JSON.stringify({ records_per_s: Number(fields[4]) }));
