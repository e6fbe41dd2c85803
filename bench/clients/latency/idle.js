'use strict';
// An idle consumer of this package, for what `fetch_wait_max_ms` costs when nothing arrives.
// Prints "ready" once it is fetching (the harness then samples the broker's CPU), stays idle for
// SECONDS, and prints {fetches_per_s, client_cpu_pct} from librdkafka's own request counts.
const { Consumer } = require('../../../js/index.js');
const { run } = require('./common');

const fetchCount = (stats) => Object.values(stats.brokers).reduce((n, b) => n + (b.req.Fetch || 0), 0);
const samples = [];
const consumer = new Consumer({
  broker: run.broker, topic: run.topic, offset_directory: null, logger: { error: console.error, warn() {}, info() {} },
  statistics_interval_ms: 500, ...run.settings.consumer,
  stats_callback: (s) => samples.push({ at: process.hrtime.bigint(), fetches: fetchCount(s.rdkafka_stats) }),
  receive_callback() {},
});

(async () => {
  await consumer.start();
  await new Promise((r) => setTimeout(r, 1000)); // fetching has settled into its rhythm
  const from = samples.length;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  console.log('ready');
  await new Promise((r) => setTimeout(r, run.seconds * 1000));
  const used = process.cpuUsage(cpu);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const first = samples[from];
  const last = samples[samples.length - 1];
  await consumer.stop();
  console.log(JSON.stringify({
    fetches_per_s: first && last !== first ? (last.fetches - first.fetches) / (Number(last.at - first.at) / 1e9) : undefined,
    client_cpu_pct: ((used.user + used.system) / 1e6 / seconds) * 100,
  }));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
