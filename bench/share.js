'use strict';
// The share-group benchmark: kafka-native's ShareConsumer (from Node) against Apache Kafka's own
// Java KafkaShareConsumer (clients/share/ShareBench.java, compiled here against the kafka-clients
// jar the dev cluster runs), at 1, 4 and 16 members of one share group, on one Apache Kafka node
// (share groups are Kafka's; the MockCluster's are librdkafka's imitation), fresh per member
// count and shared by both clients' runs, which alternate. Each client is one process holding all
// the members; both acknowledge every record explicitly (ACCEPT, each on its own). The rows:
// 1, 4 and 16 members; at 4, record_limit acquisition with max_records 10 and 500, a renewing
// worker (each record's lock renewed once, then accepted), and implicit acknowledgement against
// Kafka's own kafka-share-consumer-perf-test.sh (clients/share/perf-test.js) instead of ShareBench;
// and accepting each at 1 and 4 members on three nodes (a member fetches from every leader).
// - Throughput: COUNT × 100 B written first (clients/share/produce.js), then read by the group
//   from the earliest offset: records/s from the first record to the last.
// - Latency: one producer at RATE records/s (lingering 0 ms), WARM_SECONDS of warm-up then
//   SECONDS measured: milliseconds from each send() to the record's acknowledgement by a member.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { KAFKA, stopBroker } = require('./brokers');
const { machine, publish, median, fmt } = require('./report');
const { installKafka, VERSION } = require('../js/dev-cluster/install.js');
const { Admin } = require('..');

const MEMBERS = (process.env.SHARE_MEMBERS || '1,4,16').split(',').map(Number);
// Both clients acquire as Java's does by default (batch_optimized: whole record batches), but in
// the record_limit rows (kafka-native's default: at most max_records a fetch).
const EACH = { SHARE_ACK: 'each', SHARE_ACQUIRE: 'batch_optimized' };
const LIMITED = { SHARE_ACK: 'each', SHARE_ACQUIRE: 'record_limit' };
const ROWS = [
  { members: 1, how: 'accept each', env: EACH },
  { members: 4, how: 'accept each', env: EACH },
  { members: 16, how: 'accept each', env: EACH },
  // A fetch round trip per 10 records: fewer records, so that a run takes seconds.
  { members: 4, how: 'record_limit, max_records 10', env: { ...LIMITED, SHARE_MAX_RECORDS: '10' }, count: 20_000 },
  { members: 4, how: 'record_limit, max_records 500', env: { ...LIMITED, SHARE_MAX_RECORDS: '500' } },
  { members: 4, how: 'renew, then accept each', env: { ...EACH, SHARE_RENEW: '1' } },
  // Kafka's own perf test (implicit acknowledgement, batch_optimized, its default): a million
  // records, as its time counts from its start, its members' join included; no latency.
  { members: 4, how: 'implicit', env: { SHARE_ACK: 'implicit', SHARE_ACQUIRE: 'batch_optimized' }, count: 1_000_000, reference: 'perf-test' },
  // Three nodes, each leading two of six partitions: both clients fetch from every leader at once
  // with batch_optimized (kafka-native since the engine's patch 34; before, one at a time).
  { members: 1, nodes: 3, how: 'accept each, 3 nodes', env: EACH },
  { members: 4, nodes: 3, how: 'accept each, 3 nodes', env: EACH },
].filter((r) => MEMBERS.includes(r.members));
// A million records: a run of 200k took under half a second at 4 members, mostly the members'
// join and the JVM's warm-up (Java read 260-370k records/s at 200k and 435-496k at 1M).
const COUNT = Number(process.env.SHARE_COUNT || 1_000_000);
const RUNS = Number(process.env.RUNS || 3);
const RATE = 1000;
const WARM_SECONDS = 5;
const SECONDS = Number(process.env.SHARE_SECONDS || 10);
const PARTITIONS = 4; // on one node; on three, two each
const partitionsOf = ({ nodes = 1 }) => (nodes === 1 ? PARTITIONS : 2 * nodes);
const clients = path.join(__dirname, 'clients', 'share');
const javaClasses = path.join(os.homedir(), '.cache', 'kafka-native-bench', 'share-java');

// Compiles ShareBench.java (when it changed) and returns the command that runs it.
async function javaClient() {
  const libs = await installKafka();
  const source = path.join(clients, 'ShareBench.java');
  const compiled = path.join(javaClasses, 'ShareBench.class');
  if (!fs.existsSync(compiled) || fs.statSync(compiled).mtimeMs < fs.statSync(source).mtimeMs) {
    fs.mkdirSync(javaClasses, { recursive: true });
    const jar = fs.readdirSync(libs).find((f) => /^kafka-clients-[\d.]+\.jar$/.test(f));
    const r = spawnSync('javac', ['-cp', path.join(libs, jar), '-d', javaClasses, source], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`javac ShareBench.java failed: ${r.stderr}`);
  }
  return { command: 'java', args: ['-cp', `${javaClasses}:${libs}/*`, 'ShareBench'] };
}

// Kafka's kafka-share-consumer-perf-test.sh: kafka-tools' jar (fetched once with Maven beside the
// compiled ShareBench) with the dev cluster's jars, run by clients/share/perf-test.js.
async function perfTestClient() {
  const libs = await installKafka();
  const jar = path.join(javaClasses, `kafka-tools-${VERSION}.jar`);
  if (!fs.existsSync(jar)) {
    fs.mkdirSync(javaClasses, { recursive: true });
    const r = spawnSync('mvn', ['-B', '-q', 'dependency:copy', `-Dartifact=org.apache.kafka:kafka-tools:${VERSION}:jar`, `-DoutputDirectory=${javaClasses}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`fetching kafka-tools ${VERSION}: ${(r.stdout + r.stderr).trim().slice(-400)}`);
  }
  return { command: process.execPath, args: [path.join(clients, 'perf-test.js')], env: { TOOLS_CP: `${jar}:${libs}/*` } };
}

const NATIVE = { name: 'kafka-native ShareConsumer (Node)', run: () => ({ command: process.execPath, args: [path.join(clients, 'kafka-native.js')] }) };
const CLIENTS = [NATIVE, { name: 'KafkaShareConsumer (Java)', run: javaClient }];
// A row's clients: kafka-native and the one it is measured against.
const clientsOf = (row) => (row.reference === 'perf-test' ? [NATIVE, { name: 'kafka-share-consumer-perf-test.sh (Java)', run: perfTestClient }] : CLIENTS);

// Runs a process to its end; its last line of output is its JSON result.
function finish(child, what) {
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(out.trim() ? JSON.parse(out.trim().split('\n').pop()) : undefined);
      else reject(new Error(`${what} failed (${code ?? signal}): ${err.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}

const start = (command, args, env) => spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });

async function shareRun(admin, servers, client, row, mode, index) {
  const { members, env: rowEnv, count = COUNT } = row;
  const topic = `share-${mode}-${index}`;
  const group = `${topic}-group`;
  const partitions = partitionsOf(row);
  await admin.createTopics([{ topic, partitions, replication_factor: 1 }]);
  await admin.setConfigs([{ kind: 'group', name: group, config: { 'share.auto.offset.reset': 'earliest' } }]);
  const common = { KAFKA_BROKERS: servers, KAFKA_TOPIC: topic, PARTITIONS: String(partitions), ...rowEnv };
  const produce = (env) => start(process.execPath, [path.join(clients, 'produce.js')], { ...common, ...env });
  const { command, args, env: clientEnv } = await client.run();
  const own = { ...common, ...clientEnv, GROUP: group, MEMBERS: String(members) };
  if (mode === 'throughput') {
    await finish(produce({ MODE: 'bulk', COUNT: String(count) }), 'the producer');
    return finish(start(command, args, { ...own, EXPECT: String(count) }), client.name);
  }
  const consumer = finish(start(command, args, { ...own, EXPECT: String(RATE * SECONDS) }), client.name);
  const producer = finish(produce({ MODE: 'steady', RATE: String(RATE), WARM_SECONDS: String(WARM_SECONDS), SECONDS: String(SECONDS) }), 'the producer');
  const [result] = await Promise.all([consumer, producer]);
  return result;
}

async function share() {
  const notes = [];
  if (!KAFKA.available) {
    console.error(`share: Apache Kafka is ${KAFKA.missing}; the share-group benchmark needs it`);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-share-'));
  const rows = [];
  let index = 0;
  // A fresh cluster per member count and cluster size.
  const clusters = [...new Set(ROWS.map((r) => `${r.members}/${r.nodes ?? 1}`))];
  for (const cluster of clusters) {
    const [members, nodes] = cluster.split('/').map(Number);
    const { child, servers } = await KAFKA.start(tmp, 'share-warm', PARTITIONS, { nodes });
    const admin = new Admin({ broker: servers, logger: { error: console.error, warn() {}, info() {} } });
    try {
      for (const row of ROWS.filter((r) => r.members === members && (r.nodes ?? 1) === nodes)) {
        const rowClients = clientsOf(row);
        const results = new Map(rowClients.map((c) => [c.name, { throughput: [], latency: undefined }]));
        for (let run = 0; run < RUNS; run++) {
          for (const client of run % 2 ? [...rowClients].reverse() : rowClients) {
            try {
              const r = await shareRun(admin, servers, client, row, 'throughput', index++);
              results.get(client.name).throughput.push(r.records_per_s);
              console.error(`${members} member(s), ${row.how}, ${client.name}: ${fmt(r.records_per_s / 1000, 1)}k records/s`);
            } catch (e) {
              notes.push(`${client.name}, ${members} member(s), ${row.how}, throughput: ${e.message}`);
            }
          }
        }
        for (const client of row.reference === 'perf-test' ? [] : rowClients) {
          try {
            const r = await shareRun(admin, servers, client, row, 'latency', index++);
            results.get(client.name).latency = r;
            console.error(`${members} member(s), ${row.how}, ${client.name}: p50 ${fmt(r.p50_ms, 1)} p99 ${fmt(r.p99_ms, 1)} ms`);
          } catch (e) {
            notes.push(`${client.name}, ${members} member(s), ${row.how}, latency: ${e.message}`);
          }
        }
        const java = median(results.get(rowClients[1].name).throughput);
        for (const client of rowClients) {
          const r = results.get(client.name);
          rows.push({ ...r.latency, members, how: row.how, client: client.name, records_per_s: median(r.throughput), runs: r.throughput, ratio: median(r.throughput) / java });
        }
      }
    } finally {
      admin.stop();
      await stopBroker(child);
    }
  }
  const table = [
    `| members | acquisition, acknowledgement | client | records/s (median of ${RUNS}) | × Java | p50 ms at ${RATE}/s | p99 ms | max ms |`,
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.members} | ${r.how} | ${r.client} | ${fmt(r.records_per_s / 1000, 1)}k (${r.runs.map((x) => `${fmt(x / 1000, 1)}k`).join(', ')}) | ${fmt(r.ratio, 2)} | ${fmt(r.p50_ms, 1)} | ${fmt(r.p99_ms, 1)} | ${fmt(r.max_ms, 1)} |`),
  ].join('\n');
  publish('share', [
    `${new Date().toISOString().slice(0, 10)}, ${machine()}, Apache Kafka (\`kafka-native kafka\`: one node, or three in the rows that say so; fresh per member count and size).`,
    `Command: \`npm run bench -- share\`. One share group per run, ${PARTITIONS} partitions (${partitionsOf({ nodes: 3 })} on three nodes, two led by each), 100 B records; every record acknowledged ACCEPT on its own (Java: \`acknowledge(record, ACCEPT)\`, sent with the next poll; kafka-native: \`message.accept()\`, those of one turn sent together within 5 ms); the renewing worker renews each record's lock first (Java: RENEW, the record handed back on the next poll; kafka-native: \`message.renew()\`).`,
    `Throughput: ${COUNT / 1000}k records (20k with max_records 10; the implicit row against Kafka's \`kafka-share-consumer-perf-test.sh\`, whose own figure counts from its start, its members' join included) written first, read from the earliest offset; both clients batch_optimized but in the record_limit rows. Latency: ${RATE} records/s for ${WARM_SECONDS} s of warm-up then ${SECONDS} s measured, from send() to acknowledgement.`,
    '',
    table,
    '',
  ], notes, !process.env.SHARE_MEMBERS && !process.env.SHARE_COUNT && !process.env.SHARE_SECONDS && !process.env.RUNS);
  fs.rmSync(tmp, { recursive: true, force: true });
}

module.exports = { share };
