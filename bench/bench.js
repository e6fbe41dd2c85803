'use strict';
// npm run bench [-- throughput|fetch|latency|awaited|socket.io|ws-proxy|ws-proxy-memory|transactions|rust-async|tracing|share|frameworks] [--with-node-rdkafka]
//   throughput: bulk produce and consume rates against kcat and the Node peers (throughput.js);
//   fetch:      peak RSS reading single-record compressed batches, a plain topic beside a compressed one (fetch.js);
//   latency:    milliseconds from send() to receive_callback at a steady rate (latency.js);
//   awaited:    `await send()` of one message, one at a time and 100 at once, against the peers (awaited.js);
//   socket.io:  broadcast latency across socket.io servers, against the Redis adapter (socket.io.js);
//   ws-proxy:   1,000 WebSocket clients on one kafka-native/ws-proxy: memory, threads, rate (ws-proxy.js);
//   ws-proxy-memory: what one client that never reads costs the proxy (ws-proxy-memory.js);
//   transactions: transactional produce on Apache Kafka against KafkaJS and node-rdkafka (transactions.js);
//   rust-async: the core's async API against rust-rdkafka's FutureProducer and StreamConsumer (rust-async.js);
//   tracing:    throughput and awaited sends without OpenTelemetry, with it off and with it on (tracing.js);
//   share:      share-group records/s and latency against Kafka's Java KafkaShareConsumer (share.js);
//   frameworks: NestJS and Moleculer round trips on kafka-native-kafkajs against KafkaJS (frameworks.js);
//   none:       all twelve. Each rewrites its table in BENCHMARKS.md.
//   --with-node-rdkafka builds node-rdkafka (a peer, never a dependency) into a cache folder
//   outside the package, ~/.cache/kafka-native-bench, so the tables can carry it.
const args = process.argv.slice(2);
const known = ['throughput', 'fetch', 'latency', 'awaited', 'socket.io', 'ws-proxy', 'ws-proxy-memory', 'transactions', 'rust-async', 'tracing', 'share', 'frameworks', '--with-node-rdkafka'];
const unknown = args.filter((a) => !known.includes(a));
if (unknown.length > 0) {
  console.error(`bench: unknown argument ${unknown.join(' ')}; expected ${known.join(', ')}`);
  process.exit(2);
}
if (args.includes('--with-node-rdkafka')) require('./peers').useNodeRdkafka();
const selected = args.filter((a) => !a.startsWith('--'));
const runs = selected.length > 0 ? selected : ['throughput', 'fetch', 'latency', 'awaited', 'socket.io', 'ws-proxy', 'ws-proxy-memory', 'transactions', 'rust-async', 'tracing', 'share', 'frameworks'];

(async () => {
  for (const name of runs) await require(`./${name}`)[name]();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
