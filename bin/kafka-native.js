#!/usr/bin/env node
'use strict';
// kafka-native's command line:
//   kafka-native mock-cluster [--brokers N] [--topic NAME:PARTITIONS[:REPLICATION]]... [--retention-bytes N] [--port-file F]
// starts librdkafka's mock cluster in this process, prints its bootstrap servers and serves until
// Ctrl-C (or SIGTERM). It replaces docker-compose for development and tests. Lines on its stdin
// take brokers down and up (`down 2`, `up 2`) and show who leads what (`leaders`).
//   kafka-native kafka [--nodes 1|3] [--topic NAME:PARTITIONS[:REPLICATION]]... [--port N] [--port-file F]
// starts Apache Kafka itself (KRaft, 1 or 3 nodes on loopback; Java 17 and Maven needed, the jars
// fetched once into ~/.cache/kafka-native) and serves until Ctrl-C, then leaves nothing behind;
// lines on its stdin stop, kill and start nodes (`down 2`, `kill 2`, `up 2`, `restart 2`, `status`).
//   kafka-native ws-proxy --port N --broker HOST:PORT [--auth SECRET] [--partition N] [--idle-timeout MS]
// serves kafka-native/ws-proxy (Kafka over WebSockets, kafka-proxy's successor) until Ctrl-C.
// The addon is loaded by the commands that use it, not for --help or a usage error.
const fs = require('node:fs');

const MOCK_USAGE = `usage: kafka-native mock-cluster [--brokers N] [--topic NAME:PARTITIONS[:REPLICATION]]... [--retention-bytes N] [--port-file FILE]

  --brokers N      number of brokers (default 1)
  --topic SPEC     create a topic, e.g. game:4:2 (4 partitions, replication factor 2); repeatable.
                   Topics also auto-create with 4 partitions on first use.
  --retention-bytes N
                   bytes of messages each partition keeps (default 5242880, librdkafka's mock);
                   past it the oldest go, as with Kafka's retention.bytes
  --port-file F    write the bootstrap servers to F once the cluster is up (removed on exit)

While it runs, type (or pipe) commands on its stdin:
  down N           take broker N down; the partitions it led move to another replica (a topic
                   of replication factor 2 stays available with one broker down)
  up N             bring broker N back
  leaders          print the leader of every partition of the --topic topics

The mock answers a fetch that finds no data only after the consumer's fetch_wait_max_ms (default
500), so for low latency give consumers fetch_wait_max_ms: 5 (or 1) and producers
queue_buffering_max_ms: 0. It has no CreateTopics: create topics with --topic (an Admin's
createTopics() is refused at once). Consumer groups work; with the classic protocol a change of
members takes the session timeout less a second here (group_protocol: 'consumer' does not).`;

const PROXY_USAGE = `usage: kafka-native ws-proxy --port N --broker HOST:PORT[,HOST:PORT...] [--auth SECRET] [--partition N] [--idle-timeout MS]
                           [--read TOPICS] [--write TOPICS] [--groups GROUPS] [--group-prefix P] [--offsets yes|no] [--create-topics yes|no]

  --port N          the WebSocket port (0: any free one; the port is printed)
  --broker LIST     the Kafka brokers
  --auth SECRET     refuse upgrades without 'authorization: basic SECRET' (or standard Basic of it)
  --partition N     the partition a client reads when its URL names none (default 0)
  --idle-timeout MS how long a fetch that finds nothing waits at the broker (default 100)
Access is denied by default beyond what these grant (internal __ topics never):
  --read TOPICS     topics clients may read: names or prefixes ending in *, comma-separated ('chat.*,news')
  --write TOPICS    topics clients may send to
  --groups GROUPS   consumer groups clients may name (consumerGroup=)
  --group-prefix P  what a client's consumerGroup is prefixed with in Kafka (e.g. ws-)
  --offsets yes     clients may choose where to start reading (offset=)
  --create-topics yes  a send to a topic that does not exist may create it

Clients connect to ws://host:N/?topic=T[&consumerGroup=G][&offset=O][&partition=P] and get
batches as JSON text frames; they send with {"produce": [{"topic", "message"}], "id"}.`;

const KAFKA_USAGE = `usage: kafka-native kafka [--nodes 1|3] [--topic NAME:PARTITIONS[:REPLICATION]]... [--port N] [--port-file FILE]

  --nodes N        1 (default) or 3 Apache Kafka nodes, each a combined broker and controller
  --topic SPEC     create a topic, e.g. orders:6:3 (6 partitions, replication factor 3); repeatable.
                   Topics also auto-create with 4 partitions on first use.
  --port N         node 1 listens for clients on port N (node 2 on N+1, node 3 on N+2), e.g.
                   --port 9092 for tools that expect localhost:9092; default: free ports at random
  --port-file F    write the bootstrap servers to F once the cluster is up (removed on exit)

Apache Kafka ${require('../js/dev-cluster/install.js').VERSION} in KRaft mode on loopback ports, with its data in a temporary folder that
Ctrl-C (or SIGTERM) removes. Each node's JVM runs as Kafka's kafka-server-start.sh runs it (G1),
with 512 MB of heap. Needs Java 17 or newer and Maven: the first start fetches the jars (about
45 MB) into ~/.cache/kafka-native. Kafka answers a fetch as soon as data arrives, so consumers
need no short fetch_wait_max_ms here; producers send at once by default
(queue_buffering_max_ms 0).

No node outlives the command, however it ends (Ctrl-C, SIGTERM, SIGHUP, the end of the process
that started it, or a SIGKILL). A node that dies is reported at once with the end of its log,
and the port file then lists the nodes still running. While it runs, type (or pipe) on its stdin:
  down N           stop node N as an operator would (a controlled shutdown)
  kill N           kill node N at once (SIGKILL)
  up N             start node N again, on its ports and with its data
  restart N        down N, then up N
  status           print each node's state and port`;

const USAGE = `${MOCK_USAGE}\n\n${KAFKA_USAGE}\n\n${PROXY_USAGE}`;

function usage(problem, text = USAGE) {
  process.stderr.write(`kafka-native: ${problem}\n${text}\n`);
  process.exit(2);
}

// --name value pairs into an object of strings; `known` lists the names.
function flags(args, known, text) {
  const values = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-h' || args[i] === '--help') {
      process.stdout.write(`${text}\n`);
      process.exit(0);
    }
    const name = args[i].replace(/^--/, '');
    if (!args[i].startsWith('--') || !known.includes(name)) usage(`unknown option ${JSON.stringify(args[i])}`, text);
    if (i + 1 >= args.length) usage(`${args[i]} needs a value`, text);
    values[name] = args[++i];
  }
  return values;
}

async function wsProxy(args) {
  const values = flags(
    args,
    ['port', 'broker', 'auth', 'partition', 'idle-timeout', 'read', 'write', 'groups', 'group-prefix', 'offsets', 'create-topics'],
    PROXY_USAGE,
  );
  const list = (name) =>
    values[name] === undefined
      ? undefined
      : values[name]
          .split(',')
          .map((p) => p.trim())
          .filter((p) => p !== '');
  const yesNo = (name) => {
    if (values[name] === undefined) return undefined;
    if (!['yes', 'no'].includes(values[name])) usage(`--${name} takes yes or no, got ${JSON.stringify(values[name])}`, PROXY_USAGE);
    return values[name] === 'yes';
  };
  const integer = (name) => {
    if (values[name] === undefined) return undefined;
    const n = Number(values[name]);
    if (!/^\d+$/.test(values[name]) || !Number.isSafeInteger(n))
      usage(`--${name} must be an integer >= 0, got ${JSON.stringify(values[name])}`, PROXY_USAGE);
    return n;
  };
  if (values.port === undefined) usage('--port is required', PROXY_USAGE);
  if (values.broker === undefined) usage('--broker is required', PROXY_USAGE);
  const { KafkaProxy } = require('../js/integrations/ws-proxy.js');
  const proxy = new KafkaProxy({
    wsPort: integer('port'),
    kafka: values.broker,
    auth: values.auth,
    partition: integer('partition'),
    idleTimeout: integer('idle-timeout'),
    topics: { read: list('read'), write: list('write') },
    groups: list('groups'),
    groupPrefix: values['group-prefix'],
    offsets: yesNo('offsets'),
    createTopics: yesNo('create-topics'),
  });
  const { port } = await proxy.listen();
  process.stdout.write(`ws-proxy listening on port ${port}, Kafka at ${values.broker}\n`);
  const shutdown = async (signal) => {
    process.stderr.write(`ws-proxy closing (${signal})\n`);
    await proxy.close();
    process.exit(0);
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

function parseTopic(spec) {
  const m = /^([a-zA-Z0-9._-]+):(\d+)(?::(\d+))?$/.exec(spec);
  if (!m) usage(`--topic ${JSON.stringify(spec)} is not NAME:PARTITIONS[:REPLICATION]`);
  return { name: m[1], partitions: Number(m[2]), replication: Number(m[3] ?? 1) };
}

// The defaults are mock-cluster's; `kafka` names its own count flag, usage and counts, and has
// no retention setting.
function parseArgs(args, { countFlag = '--brokers', text = MOCK_USAGE, counts, retention = true, port = false } = {}) {
  const options = { brokers: 1, topics: [], portFile: undefined, retentionBytes: undefined, port: undefined };
  for (let i = 0; i < args.length; i++) {
    const value = () => {
      if (i + 1 >= args.length) usage(`${args[i]} needs a value`);
      return args[++i];
    };
    switch (args[i]) {
      case countFlag: {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || (counts && !counts.includes(n)))
          usage(`${countFlag} must be ${counts ? counts.join(' or ') : 'a positive integer'}`, text);
        options.brokers = n;
        break;
      }
      case '--topic':
        options.topics.push(parseTopic(value()));
        break;
      case '--port-file':
        options.portFile = value();
        break;
      case '--port': {
        if (!port) usage(`unknown option ${JSON.stringify(args[i])}`, text);
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > 65533) usage('--port must be a port number (1 to 65533)', text);
        options.port = n;
        break;
      }
      case '--retention-bytes': {
        if (!retention) usage(`unknown option ${JSON.stringify(args[i])}`, text);
        const n = Number(value());
        if (!Number.isSafeInteger(n) || n < 1) usage('--retention-bytes must be a positive integer', text);
        options.retentionBytes = n;
        break;
      }
      case '-h':
      case '--help':
        process.stdout.write(`${text}\n`);
        process.exit(0);
        break;
      default:
        usage(`unknown option ${JSON.stringify(args[i])}`, text);
    }
  }
  for (const t of options.topics) {
    if (t.partitions < 1) usage(`--topic ${t.name}: partitions must be at least 1`);
    if (t.replication < 1 || t.replication > options.brokers)
      usage(`--topic ${t.name}: replication must be between 1 and ${countFlag} (${options.brokers})`, text);
  }
  return options;
}

// Written whole, then renamed, so a reader never sees a partial file.
function writePortFile(file, servers) {
  fs.writeFileSync(`${file}.tmp`, `${servers}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

// `kafka-native kafka` supervises its nodes: none outlives it, however it ends (Ctrl-C, SIGTERM,
// SIGHUP, its parent ending, as when a script kills the `npx` that started it; if it is killed
// outright, each node's watcher kills its JVM); a node that dies is told at once with its log's
// last lines and left out of the port file until `up N` starts it again on its ports and data.
async function kafkaCluster(args) {
  const options = parseArgs(args, { countFlag: '--nodes', text: KAFKA_USAGE, counts: [1, 3], retention: false, port: true });
  const { startKafka } = require('../js/dev-cluster/cluster.js');
  const started = Date.now();
  let cluster;
  let stopping = false;
  const shutdown = async (why) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`stopping Apache Kafka (${why})\n`);
    if (options.portFile) fs.rmSync(options.portFile, { force: true });
    // Before the cluster is up, exiting is the stop: startKafka's exit hook kills the nodes
    // started so far and removes their data.
    if (cluster) await cluster.stop({ graceful: true });
    process.stderr.write('Apache Kafka stopped; its data is removed\n');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(signal, () => shutdown(signal));
  // A parent that ends does not always pass its signal on (npm exec's shell does not): this
  // process is then adopted by another, and stops.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown(`the process that started it (pid ${parent}) ended`);
  }, 500).unref();
  try {
    cluster = await startKafka({
      nodes: options.brokers,
      port: options.port,
      jvm: 'kafka',
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (err) {
    if (!/port \d+ is taken/.test(err.message)) throw err;
    usage(err.message.replace(/^kafka-native: /, ''), KAFKA_USAGE);
  }
  if (stopping) return;
  if (options.topics.length > 0) {
    const { Admin } = require('../js/index.js');
    const admin = new Admin({ broker: cluster.bootstrapServers, logger: { error() {}, warn() {}, info() {}, debug() {} } });
    await admin.createTopics(options.topics.map((t) => ({ topic: t.name, partitions: t.partitions, replication_factor: t.replication })));
  }
  process.stdout.write(`${cluster.bootstrapServers}\n`);
  // The port file lists the nodes that run, so that a client started now connects.
  const advertise = () => {
    if (!options.portFile || stopping) return;
    const servers = cluster.runningServers;
    if (servers) writePortFile(options.portFile, servers);
    else fs.rmSync(options.portFile, { force: true });
  };
  advertise();
  cluster.on('nodeExit', ({ id, how, logTail }) => {
    process.stderr.write(
      `kafka-native kafka: node ${id} exited (${how}) without being asked to; \`up ${id}\` starts it again. The end of its log:\n${logTail}\n`,
    );
    advertise();
  });
  const topics = options.topics.map((t) => `${t.name} (${t.partitions}×${t.replication})`).join(', ') || 'none (auto-create: 4 partitions)';
  process.stderr.write(
    `Apache Kafka: ${options.brokers} node(s) at ${cluster.bootstrapServers} · topics: ${topics} · ready in ${((Date.now() - started) / 1000).toFixed(1)} s · Ctrl-C to stop\n`,
  );
  const nodeId = (arg) => {
    const id = Number(arg);
    if (!/^\d+$/.test(arg ?? '') || !cluster.nodeIds.includes(id))
      throw new Error(`no node ${JSON.stringify(arg ?? '')}: the nodes are ${cluster.nodeIds.join(', ')}`);
    return id;
  };
  const state = () =>
    cluster
      .status()
      .map((n) => `node ${n.id} ${n.pid === undefined ? 'down' : 'up'} (127.0.0.1:${n.port})`)
      .join(' · ');
  const after = async (work) => {
    await work;
    advertise();
    return state();
  };
  serveCommands(
    {
      down: (arg) => after(cluster.down(nodeId(arg))),
      kill: (arg) => after(cluster.kill(nodeId(arg))),
      up: (arg) => after(cluster.up(nodeId(arg))),
      restart: (arg) => after(cluster.restart(nodeId(arg), { graceful: true })),
      status: () => state(),
    },
    'down N, kill N, up N, restart N or status',
    false,
  );
  setInterval(() => {}, 2 ** 30); // serve until a signal
}

function mockCluster(args) {
  const options = parseArgs(args);
  const { MockCluster } = require('../js/index.js');
  const cluster = new MockCluster(options.brokers);
  // Held for as long as this process serves: a collected MockCluster shuts down, and once stdin
  // is closed (a background job, a benchmark) nothing else would refer to it.
  serving = cluster;
  if (options.retentionBytes !== undefined) cluster.setPartitionRetentionBytes(options.retentionBytes);
  for (const t of options.topics) cluster.createTopic(t.name, t.partitions, t.replication);
  const servers = cluster.bootstrapServers;
  process.stdout.write(`${servers}\n`);
  // The mock holds a fetch that finds no data for the consumer's whole fetch_wait_max_ms and is
  // not woken when data arrives, so that setting is the latency here (see docs/operations.md, Latency).
  process.stderr.write(
    'low latency on this cluster: consumer fetch_wait_max_ms: 5 (p99 about 6 ms; 1 gives about 2 ms), producer queue_buffering_max_ms: 0\n',
  );
  if (options.portFile) writePortFile(options.portFile, servers);

  const started = Date.now();
  const topics = options.topics.map((t) => `${t.name} (${t.partitions}×${t.replication})`).join(', ') || 'none (auto-create: 4 partitions)';
  const tty = process.stderr.isTTY;
  const status = () => {
    const up = Math.round((Date.now() - started) / 1000);
    process.stderr.write(
      `\r\x1b[2Kmock cluster: ${options.brokers} broker(s) at ${servers} · topics: ${topics} · up ${up}s · Ctrl-C to stop`,
    );
  };
  const timer = tty ? setInterval(status, 1000) : setInterval(() => {}, 2 ** 30);
  if (tty) status();

  const shutdown = (signal) => {
    clearInterval(timer);
    if (tty) process.stderr.write('\n');
    if (options.portFile) fs.rmSync(options.portFile, { force: true });
    process.stderr.write(`mock cluster stopped (${signal})\n`);
    process.exit(0);
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  readCommands(cluster, options.topics, tty);
}

// `down N`, `up N` and `leaders` from stdin; each answered with one line on stdout (errors on
// stderr). A closed stdin (a background job) just means no commands.
function readCommands(cluster, topics, tty) {
  const leaders = () =>
    topics
      .map((t) => `${t.name}: ${Array.from({ length: t.partitions }, (_, p) => `p${p}→${cluster.partitionLeader(t.name, p)}`).join(' ')}`)
      .join('; ') || 'no --topic topics';
  const brokerId = (arg) => {
    const id = Number(arg);
    if (!Number.isInteger(id)) throw new Error(`${JSON.stringify(arg)} is not a broker id`);
    return id;
  };
  serveCommands(
    {
      down: (arg) => {
        const id = brokerId(arg);
        cluster.brokerDown(id);
        return `broker ${id} down · leaders ${leaders()}`;
      },
      up: (arg) => {
        const id = brokerId(arg);
        cluster.brokerUp(id);
        return `broker ${id} up · leaders ${leaders()}`;
      },
      leaders: () => `leaders ${leaders()}`,
    },
    'down N, up N or leaders',
    tty,
  );
}

// Serves commands typed (or piped) on stdin: `name` or `name ARG`, as `commands` declares them
// (a function of one parameter takes one argument). Each is answered with one line on stdout
// once done, its error with one line on stderr; commands run one after another.
function serveCommands(commands, expected, tty) {
  const prefix = () => (tty ? '\r\x1b[2K' : '');
  let queue = Promise.resolve();
  const lines = require('node:readline').createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const [name, arg, ...extra] = line.trim().split(/\s+/);
    if (!name) return;
    queue = queue.then(async () => {
      try {
        const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
        if (!command || extra.length > 0 || (command.length === 1) !== (arg !== undefined))
          throw new Error(`unknown command ${JSON.stringify(line.trim())}: expected ${expected}`);
        const answer = await command(arg);
        process.stdout.write(`${prefix()}${answer}\n`);
      } catch (err) {
        const message = err.message.replace(/^kafka-native: /, '');
        process.stderr.write(
          `${prefix()}kafka-native: ${arg === undefined || /^unknown command/.test(message) ? '' : `${name}: `}${message}\n`,
        );
      }
    });
  });
  lines.on('error', () => {});
}

// The cluster `mock-cluster` serves (see there): held here, never read, so that it is not collected.
let serving; // eslint-disable-line no-unused-vars

const [command, ...rest] = process.argv.slice(2);
if (command === 'mock-cluster') mockCluster(rest);
else if (command === 'kafka') {
  kafkaCluster(rest).catch((err) => {
    process.stderr.write(`kafka-native kafka: ${err.message.replace(/^kafka-native: /, '')}\n`);
    process.exit(1);
  });
} else if (command === 'ws-proxy') {
  wsProxy(rest).catch((err) => {
    process.stderr.write(`kafka-native ws-proxy: ${err.message}\n`);
    process.exit(1);
  });
} else if (command === '-h' || command === '--help') process.stdout.write(`${USAGE}\n`);
else usage(command ? `unknown command ${JSON.stringify(command)}` : 'missing command');
