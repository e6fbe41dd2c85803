'use strict';
// A deepstream server in its own process, clustered through kafka-native/deepstream, for
// test/deepstream.test.js: SERVER_NAME, PORT (its WebSocket and HTTP port), KAFKA_BROKERS,
// KAFKA_TOPIC. It sends {ready: true} over IPC once started, answers {id, op: 'registry'} with
// the servers its cluster registry knows, and stops on SIGTERM (leaving the cluster).
const { Deepstream } = require('@deepstream/server');

const { SERVER_NAME, PORT, KAFKA_BROKERS, KAFKA_TOPIC } = process.env;

const server = new Deepstream({
  serverName: SERVER_NAME,
  showLogo: false,
  logLevel: 'WARN',
  httpServer: { type: 'default', options: { port: Number(PORT), host: '127.0.0.1' } },
  connectionEndpoints: [{ type: 'ws-binary', options: { urlPath: '/deepstream' } }],
  telemetry: { type: 'deepstreamIO', options: { enabled: false } },
  clusterNode: {
    path: require.resolve('kafka-native/deepstream'),
    options: { broker: KAFKA_BROKERS, topic: KAFKA_TOPIC, consumer: { fetch_wait_max_ms: 5 } },
  },
  // A server that stops sending its status is dropped after 5 s (deepstream's default: 6 s).
  clusterRegistry: { type: 'default', options: { keepAliveInterval: 500, activeCheckInterval: 250, nodeInactiveTimeout: 5000 } },
});

server.on('started', () => process.send({ ready: true }));
server.on('stopped', () => process.exit(0));
process.on('message', ({ id, op }) => {
  if (op === 'registry') process.send({ id, result: server.services.clusterRegistry.getAll().sort() });
});
process.on('SIGTERM', () => server.stop());
server.start();
