'use strict';
// Kubernetes-style probes from health(): a group consumer and a producer that answer on HTTP
// whether the process is alive and ready.
//
//   BROKER=host:9092 TOPIC=orders GROUP=orders PORT=8080 node examples/health-probes.js
//
// GET /livez  200 unless a client has a fatal error (it can do nothing more) or a partition is
//             stuck (messages to read and none handed over for stuck_after_ms, say a handler
//             that hangs): what a restart of the pod cures.
// GET /readyz 200 once statistics have come in and every client's status is 'ok': a broker the
//             client was connected to and lost (or that answers nothing for socket.timeout.ms)
//             makes it 'degraded', and a restart would not help: not ready, but alive.
// Each answers JSON: {status, reasons, ...} per client. In a pod spec:
//   livenessProbe:  { httpGet: { path: /livez,  port: 8080 }, periodSeconds: 10, failureThreshold: 3 }
//   readinessProbe: { httpGet: { path: /readyz, port: 8080 }, periodSeconds: 5 }
// Without BROKER it runs on an embedded MockCluster.
const http = require('node:http');
const { Producer, Consumer, MockCluster } = require('../js/index.js');

async function main() {
  let cluster;
  let broker = process.env.BROKER;
  const topic = process.env.TOPIC || 'orders';
  if (!broker) {
    cluster = new MockCluster(1);
    cluster.createTopic(topic, 2, 1);
    broker = cluster.bootstrapServers;
  }
  // Statistics every second, so that the probes see a change within a second or two (the
  // default, 5 s, suits probes every 10 s or more).
  const producer = new Producer({ broker, statistics_interval_ms: 1000 });
  const consumer = new Consumer({
    broker,
    topic,
    group_id: process.env.GROUP || 'orders',
    statistics_interval_ms: 1000,
    stuck_after_ms: 60000,
    receive_callback: async ({ messages }) => {
      console.log(`read ${messages.length}`); // the work, which would write with the producer
    },
  });
  await consumer.start();

  const clients = { consumer, producer };
  const probe = (alive) => {
    const health = Object.fromEntries(Object.entries(clients).map(([name, c]) => [name, c.health()]));
    const all = Object.values(health);
    const ok = alive
      ? all.every((h) => h.status !== 'failed' && h.status !== 'stopped' && !(h.partitions ?? []).some((p) => p.stuck))
      : all.every((h) => h.status === 'ok' && h.updated !== null);
    return { code: ok ? 200 : 503, body: health };
  };
  const server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://probe').pathname;
    if (path !== '/livez' && path !== '/readyz') {
      res.writeHead(404).end();
      return;
    }
    const { code, body } = probe(path === '/livez');
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise((resolve) => server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', resolve));
  console.log(`health probes: listening on http://127.0.0.1:${server.address().port} (/livez, /readyz)`);

  const shutdown = async () => {
    server.close();
    await consumer.stop();
    await producer.stop();
    cluster?.stop?.();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
