'use strict';
// startKafka(): an Apache Kafka cluster of 1 or 3 nodes on this machine, in KRaft mode (each node
// a combined broker and controller), for the tests, the benchmarks and `kafka-native kafka`.
// Each node is a JVM with a modest heap, its own temporary log directory and loopback ports.
// It resolves once every node answers Metadata listing every node. A node dies with the process
// that started it, however that process ends (a watcher on its stdin pipe kills it).
//
// Listeners, each with its own port on every node:
//   PLAINTEXT, always (also the brokers' own listener);
//   with `tls: {cert, key, ca}` (PEM): SSL, and MTLS (SSL that requires a client certificate
//   signed by `ca`);
//   with `users: {name: password}`: SASL_PLAINTEXT, and SASL_SSL when `tls` is given too, each
//   offering PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (credentials written at format time) and
//   OAUTHBEARER (Kafka's unsecured-JWS validator: any well-formed unsigned token is accepted);
//   with `proxied`: PROXIED (plaintext), which each node advertises on a port of its own where
//   nothing listens until a proxy in front of the node's PROXIED port does (`proxyRoutes`), so
//   that every client connection through it goes through the proxy; the brokers' own
//   connections stay on PLAINTEXT.
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { installKafka } = require('./install.js');
const { brokers } = require('./metadata.js');

const LOG4J = `rootLogger.level=WARN
rootLogger.appenderRef.out.ref=out
appender.out.type=Console
appender.out.name=out
appender.out.target=SYSTEM_ERR
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
logger.started.name=kafka.server.KafkaRaftServer
logger.started.level=INFO
`;

// With startKafka's `requestLog`: every request a node completes, one JSON line each
// ("Completed request:{...}"), in its kafka.log (see KafkaCluster.requests()).
const REQUEST_LOG = `logger.request.name=kafka.request.logger
logger.request.level=DEBUG
`;

// Settings for a small cluster on a developer's machine or a test run: groups form at once,
// internal topics are small and replicated as far as the cluster allows.
function clusterDefaults(nodes) {
  const replicas = Math.min(3, nodes);
  return {
    'num.partitions': 4,
    'default.replication.factor': replicas,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': replicas,
    'offsets.topic.num.partitions': 8,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': Math.min(2, replicas),
    'transaction.state.log.num.partitions': 8,
    // A transaction past its transaction.timeout.ms is aborted within a second (default 10 s).
    'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1000,
    'share.coordinator.state.topic.replication.factor': replicas,
    'share.coordinator.state.topic.min.isr': Math.min(2, replicas),
    'group.initial.rebalance.delay.ms': 0,
    // KIP-848 groups: let tests and developers use short sessions, as classic groups allow.
    'group.consumer.min.session.timeout.ms': 6000,
    'group.consumer.min.heartbeat.interval.ms': 1000,
    'group.consumer.heartbeat.interval.ms': 2000,
    'group.consumer.session.timeout.ms': 10000,
    // Share groups (KIP-932, on by default since Kafka 4.2): members known within a second, a
    // dead member's records back within 10 s (a group may set its lock down to 1 s).
    'group.share.min.heartbeat.interval.ms': 1000,
    'group.share.heartbeat.interval.ms': 1000,
    'group.share.min.session.timeout.ms': 6000,
    'group.share.session.timeout.ms': 10000,
    'group.share.min.record.lock.duration.ms': 1000,
    'group.share.record.lock.duration.ms': 10000,
    'log.retention.check.interval.ms': 60000,
  };
}

// A port nobody listens on, below the kernel's ephemeral range (32768 and up here): a port
// listen(0) handed out is free only until the JVM binds it seconds later, while other test
// files' clients and MockClusters keep taking ephemeral ports meanwhile.
const PORTS = { low: 20000, high: 32767 };

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePort() {
  for (;;) {
    const port = PORTS.low + crypto.randomInt(PORTS.high - PORTS.low + 1);
    if (await portIsFree(port)) return port;
  }
}

// A properties file's value: one line, backslashes and line breaks escaped.
const propertyValue = (v) => String(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function jaas(users) {
  const plainUsers = Object.entries(users)
    .map(([name, password]) => `user_${name}="${password}"`)
    .join(' ');
  return {
    plain: `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
    'scram-sha-256': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'scram-sha-512': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    oauthbearer: 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
  };
}

const SASL_MECHANISMS = 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER';

// The listener names this cluster has, in the order they are given ports.
function listenerNames({ tls, users, proxied }) {
  return [
    'PLAINTEXT',
    ...(tls ? ['SSL', 'MTLS'] : []),
    ...(users ? ['SASL_PLAINTEXT'] : []),
    ...(tls && users ? ['SASL_SSL'] : []),
    ...(proxied ? ['PROXIED'] : []),
  ];
}

const PROTOCOL = {
  PLAINTEXT: 'PLAINTEXT',
  SSL: 'SSL',
  MTLS: 'SSL',
  SASL_PLAINTEXT: 'SASL_PLAINTEXT',
  SASL_SSL: 'SASL_SSL',
  PROXIED: 'PLAINTEXT',
  CONTROLLER: 'PLAINTEXT',
};

// The port a node tells clients of a listener: its proxy's for PROXIED, else its own.
const advertisedPort = (node, l) => node.advertised?.[l] ?? node.ports[l];

function serverProperties({ node, nodes, dir, names, tlsFiles, users, properties }) {
  const voters = nodes.map((n) => `${n.id}@127.0.0.1:${n.ports.CONTROLLER}`).join(',');
  const props = {
    'process.roles': 'broker,controller',
    'node.id': node.id,
    'controller.quorum.voters': voters,
    listeners: [...names, 'CONTROLLER'].map((l) => `${l}://127.0.0.1:${node.ports[l]}`).join(','),
    'advertised.listeners': names.map((l) => `${l}://127.0.0.1:${advertisedPort(node, l)}`).join(','),
    'listener.security.protocol.map': [...names, 'CONTROLLER'].map((l) => `${l}:${PROTOCOL[l]}`).join(','),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': path.join(dir, 'data'),
    ...clusterDefaults(nodes.length),
  };
  for (const l of names.filter((n) => PROTOCOL[n].includes('SSL'))) {
    const p = `listener.name.${l.toLowerCase()}`;
    props[`${p}.ssl.keystore.type`] = 'PEM';
    props[`${p}.ssl.keystore.location`] = tlsFiles.keystore;
    props[`${p}.ssl.truststore.type`] = 'PEM';
    props[`${p}.ssl.truststore.location`] = tlsFiles.truststore;
    if (l === 'MTLS') props[`${p}.ssl.client.auth`] = 'required';
  }
  for (const l of names.filter((n) => n.startsWith('SASL'))) {
    const p = `listener.name.${l.toLowerCase()}`;
    props[`${p}.sasl.enabled.mechanisms`] = SASL_MECHANISMS;
    for (const [mechanism, config] of Object.entries(jaas(users))) props[`${p}.${mechanism}.sasl.jaas.config`] = config;
    // An OAUTHBEARER session ends when its token expires (KIP-368): the client must log in
    // again with a fresh token before then, as against a production cluster.
    props[`${p}.oauthbearer.connections.max.reauth.ms`] = 3600000;
  }
  Object.assign(props, properties);
  return (
    Object.entries(props)
      .map(([k, v]) => `${k}=${propertyValue(v)}`)
      .join('\n') + '\n'
  );
}

// A KRaft cluster id as Kafka's Uuid.randomUuid() makes one (16 random bytes, unpadded
// base64url, never starting with '-'), without a JVM start for `kafka-storage random-uuid`.
function clusterId() {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

// Formats a node's log directory with Kafka's storage tool (a short JVM); rejects with its output.
function formatStorage(libs, node, clusterIdValue, formatArgs) {
  const args = [
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Dlog4j2.configurationFile=${path.join(node.dir, 'log4j2.properties')}`,
    '-cp',
    path.join(libs, '*'),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterIdValue,
    '-c',
    path.join(node.dir, 'server.properties'),
    ...formatArgs,
  ];
  return runJava(args, `formatting Kafka node ${node.id}`);
}

// Runs a short JVM (Kafka's storage tool, SetFeature.java) with `args`; resolves when it exits 0,
// else rejects saying that `what` failed, with the end of its output.
function runJava(args, what) {
  return new Promise((resolve, reject) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      out += c;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`kafka-native: ${what} failed (${code}): ${out.trim().slice(-2000)}`)),
    );
  });
}

// The node's JVM, under a shell that kills it (SIGKILL) when its stdin pipe closes, that is when
// the process that started it ends however it ends. The shell prints the JVM's pid first.
const WATCHED =
  'exec 3<&0; "$@" </dev/null & pid=$!; echo "$pid"; (read -r _ <&3; kill -9 "$pid" 2>/dev/null) & watcher=$!; wait "$pid"; status=$?; kill "$watcher" 2>/dev/null; exit "$status"';

// How a node's JVM runs (startKafka's `jvm` option):
// - 'lean', for the tests: a heap that starts small and the serial collector, the least memory
//   and the fewest threads beside the other test files on two cores;
// - 'kafka', for the dev cluster and the benchmarks: the settings Kafka's own
//   kafka-server-start.sh runs a broker with (KAFKA_HEAP_OPTS, a heap fixed at its maximum, and
//   KAFKA_JVM_PERFORMANCE_OPTS, G1 held to 20 ms pauses). The serial collector stopped a warm
//   broker for 10-17 ms every few seconds at 1,000 msg/s, where G1 stopped it for 6-9 ms.
const JVM_PROFILES = {
  lean: (heapMb) => [`-Xmx${heapMb}m`, `-Xms${Math.min(heapMb, 128)}m`, '-XX:+UseSerialGC'],
  kafka: (heapMb) => [
    `-Xmx${heapMb}m`,
    `-Xms${heapMb}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:MaxInlineLevel=15',
  ],
};

function launch(libs, node, heapMb, jvm) {
  const log = fs.openSync(path.join(node.dir, 'kafka.log'), 'a');
  const java = [
    'java',
    ...JVM_PROFILES[jvm](heapMb),
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${path.join(node.dir, 'log4j2.properties')}`,
    '-cp',
    path.join(libs, '*'),
    'kafka.Kafka',
    path.join(node.dir, 'server.properties'),
  ];
  const child = spawn('sh', ['-c', WATCHED, 'kafka-node', ...java], { stdio: ['pipe', 'pipe', log] });
  fs.closeSync(log);
  child.unref();
  child.stdin.unref?.();
  child.stdout.unref?.();
  node.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  node.pid = new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
      const line = /^(\d+)\n/.exec(text);
      if (line) {
        node.runningPid = Number(line[1]);
        resolve(node.runningPid);
      }
    });
    child.once('exit', () => {
      node.runningPid = undefined;
      reject(new Error(`kafka node ${node.id} exited before it started`));
    });
  });
  node.pid.catch(() => {});
  node.child = child;
}

function logTail(node, lines = 15) {
  try {
    return fs.readFileSync(path.join(node.dir, 'kafka.log'), 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// Waits until `node` answers Metadata listing `count` brokers.
async function untilReady(node, count, deadline) {
  let exitedWith;
  node.exited.then((v) => {
    exitedWith = v;
  });
  for (;;) {
    if (exitedWith !== undefined) {
      throw Object.assign(new Error(`kafka-native: Kafka node ${node.id} exited (${exitedWith}) before it was ready:\n${logTail(node)}`), {
        nodeExited: true,
      });
    }
    const known = await brokers('127.0.0.1', node.ports.PLAINTEXT).catch(() => []);
    if (known.length >= count) return;
    if (Date.now() > deadline)
      throw new Error(`kafka-native: Kafka node ${node.id} not ready (${known.length} of ${count} brokers known):\n${logTail(node)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Options: nodes (1 or 3), tls ({cert, key, ca} PEM strings), users ({name: password}),
// proxied (true: the PROXIED listener, see above), port (node 1's PLAINTEXT port, node 2's the next
// and so on; default: free ports chosen at random), properties (more server properties), heapMb (per node, default 512), jvm ('lean', the default,
// or 'kafka': see JVM_PROFILES), features (finalized at format time, {name: level}, e.g.
// {'transaction.version': 1}; default: Kafka's for its release), requestLog (true: every request
// in the nodes' logs, see KafkaCluster.requests()), timeoutMs (to be ready,
// default 120000), log (a function for progress lines; default: none).
// A start whose node dies before it is ready (a port taken between its choice and the JVM's
// bind, say) is tried again from scratch, on new ports, up to three times in all.
async function startKafka({
  nodes: count = 1,
  tls,
  users,
  proxied = false,
  port,
  properties = {},
  features = {},
  requestLog = false,
  heapMb = 512,
  jvm = 'lean',
  timeoutMs = 120000,
  log = () => {},
} = {}) {
  if (count !== 1 && count !== 3) throw new TypeError(`kafka-native: startKafka() option nodes must be 1 or 3, got ${count}`);
  if (!Object.hasOwn(JVM_PROFILES, jvm))
    throw new TypeError(`kafka-native: startKafka() option jvm must be one of ${Object.keys(JVM_PROFILES).join(', ')}, got ${jvm}`);
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port + count - 1 <= 65535))
    throw new TypeError(`kafka-native: startKafka() option port must be a port number, got ${port}`);
  if (port !== undefined) {
    for (let p = port; p < port + count; p++)
      if (!(await portIsFree(p))) throw new Error(`kafka-native: port ${p} is taken: give another port, or none to pick free ones`);
  }
  const libs = await installKafka({ log });
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce({ count, tls, users, proxied, port, properties, features, requestLog, heapMb, jvm, timeoutMs, log, libs });
    } catch (err) {
      if (!err.nodeExited || attempt === 3) throw err;
      log(`${err.message}\nkafka-native: starting again on new ports`);
    }
  }
}

async function startOnce({ count, tls, users, proxied, port, properties, features, requestLog, heapMb, jvm, timeoutMs, log, libs }) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-kafka-'));
  const names = listenerNames({ tls, users, proxied });
  const nodes = [];
  for (let id = 1; id <= count; id++) {
    const ports = {};
    for (const l of [...names, 'CONTROLLER']) ports[l] = l === 'PLAINTEXT' && port !== undefined ? port + id - 1 : await freePort();
    const advertised = proxied ? { PROXIED: await freePort() } : undefined;
    nodes.push({ id, ports, advertised, dir: path.join(root, `node-${id}`) });
  }
  let tlsFiles;
  if (tls) {
    // Kafka's PEM key store takes a PKCS#8 key and its certificate chain in one file.
    const key = crypto.createPrivateKey(tls.key).export({ type: 'pkcs8', format: 'pem' });
    tlsFiles = { keystore: path.join(root, 'broker-keystore.pem'), truststore: path.join(root, 'ca.pem') };
    fs.writeFileSync(tlsFiles.keystore, `${key}${tls.cert}`);
    fs.writeFileSync(tlsFiles.truststore, tls.ca);
  }
  const id = clusterId();
  const scram = Object.entries(users ?? {}).flatMap(([name, password]) =>
    ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${name},password=${password}]`]),
  );
  for (const node of nodes) {
    fs.mkdirSync(node.dir, { recursive: true });
    fs.writeFileSync(
      path.join(node.dir, 'server.properties'),
      serverProperties({ node, nodes, dir: node.dir, names, tlsFiles, users, properties }),
    );
    fs.writeFileSync(path.join(node.dir, 'log4j2.properties'), requestLog ? LOG4J + REQUEST_LOG : LOG4J);
  }
  const featureArgs = Object.entries(features).flatMap(([name, level]) => ['--feature', `${name}=${level}`]);
  // One storage-tool JVM per node, run side by side.
  await Promise.all(nodes.map((node) => formatStorage(libs, node, id, [...scram, ...featureArgs])));
  log(`kafka-native: starting Apache Kafka, ${count} node(s)`);
  for (const node of nodes) launch(libs, node, heapMb, jvm);
  const cluster = new KafkaCluster(root, nodes, names, libs, heapMb, jvm);
  // The watcher kills the JVMs once this process is gone; at a normal exit this kills them
  // first and removes the log directories too.
  const atExit = () => {
    for (const node of nodes) {
      try {
        if (node.runningPid) process.kill(node.runningPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      fs.rmSync(root, { recursive: true, force: true });
    } catch {
      // a node killed just now may still be writing; the folder is in the system's tmp
    }
  };
  process.once('exit', atExit);
  cluster._forget = () => process.removeListener('exit', atExit);
  try {
    const deadline = Date.now() + timeoutMs;
    await Promise.all(nodes.map((node) => untilReady(node, count, deadline)));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

// Every non-zero errorCode in a logged response (its partitions', topics', its own).
function errorCodes(value, found = []) {
  if (Array.isArray(value)) for (const v of value) errorCodes(v, found);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'errorCode' && v !== 0) found.push(v);
      else errorCodes(v, found);
    }
  }
  return found;
}

// A node's JVM ending when nobody asked (a crash, an out-of-memory kill, a `kill` from outside)
// is told as a 'nodeExit' event: {id, how (exit code or signal), logTail (its log's last lines)}.
class KafkaCluster extends EventEmitter {
  constructor(root, nodes, names, libs, heapMb, jvm) {
    super();
    this._root = root;
    this._nodes = nodes;
    this._libs = libs;
    this._heapMb = heapMb;
    this._jvm = jvm;
    // {PLAINTEXT: '127.0.0.1:p1,127.0.0.1:p2,...', SSL: ..., MTLS: ..., SASL_PLAINTEXT: ..., SASL_SSL: ..., PROXIED: ...}
    this.listeners = Object.fromEntries(names.map((l) => [l, nodes.map((n) => `127.0.0.1:${advertisedPort(n, l)}`).join(',')]));
    this.bootstrapServers = this.listeners.PLAINTEXT;
    // With `proxied`: per node, where its proxy listens (the address the node advertises on
    // PROXIED) and where it forwards to (the node's PROXIED port).
    this.proxyRoutes = names.includes('PROXIED')
      ? nodes.map((n) => ({ id: n.id, listen: `127.0.0.1:${n.advertised.PROXIED}`, upstream: `127.0.0.1:${n.ports.PROXIED}` }))
      : [];
    for (const node of nodes) this._watch(node);
  }

  get nodeIds() {
    return this._nodes.map((n) => n.id);
  }

  // The PLAINTEXT bootstrap servers of the nodes whose JVM runs now.
  get runningServers() {
    return this._nodes
      .filter((n) => n.runningPid !== undefined)
      .map((n) => `127.0.0.1:${n.ports.PLAINTEXT}`)
      .join(',');
  }

  // Each node: {id, port (PLAINTEXT), pid (undefined when it is not running)}.
  status() {
    return this._nodes.map((n) => ({ id: n.id, port: n.ports.PLAINTEXT, pid: n.runningPid }));
  }

  _node(id) {
    const node = this._nodes.find((n) => n.id === id);
    if (!node) throw new RangeError(`kafka-native: no Kafka node ${id} (nodes ${this.nodeIds.join(', ')})`);
    return node;
  }

  _watch(node) {
    const { child } = node;
    node.exited.then((how) => {
      if (node.child !== child || node.ending) return;
      // The watcher shell exits with 128 + the signal that ended the JVM.
      const signal =
        typeof how === 'number' && how > 128
          ? Object.keys(os.constants.signals).find((name) => os.constants.signals[name] === how - 128)
          : undefined;
      this.emit('nodeExit', { id: node.id, how: signal ?? how, logTail: logTail(node, 20) });
    });
  }

  // Sends `signal` to a node's JVM and resolves once it is gone; one still there after
  // `killAfterMs` gets SIGKILL.
  async _end(node, signal, killAfterMs = 30000) {
    if (!node.child) return;
    node.ending = true;
    node.child.ref(); // this process waits for the node's end (launch() unrefs it)
    const pid = await node.pid.catch(() => undefined);
    if (pid === undefined) return;
    const send = (s) => {
      try {
        process.kill(pid, s);
      } catch {
        // already gone
      }
    };
    send(signal);
    const timer = setTimeout(() => send('SIGKILL'), killAfterMs);
    await node.exited;
    clearTimeout(timer);
  }

  // Kills node `id` at once (SIGKILL: no shutdown, no flush), resolving once it is gone.
  kill(id) {
    return this._end(this._node(id), 'SIGKILL');
  }

  // Stops node `id` as an operator would (SIGTERM: a controlled shutdown that hands its
  // partitions' leadership over), resolving once it is gone.
  down(id, timeoutMs = 30000) {
    return this._end(this._node(id), 'SIGTERM', timeoutMs);
  }

  // Starts node `id` again on its ports and data, resolving once it is back in the cluster.
  // A node still running is left as it is.
  async up(id, timeoutMs = 120000) {
    const node = this._node(id);
    if (node.runningPid !== undefined) return;
    node.ending = false;
    launch(this._libs, node, this._heapMb, this._jvm);
    this._watch(node);
    await untilReady(node, this._nodes.length, Date.now() + timeoutMs);
  }

  // Kills node `id` (SIGKILL) and starts it again on its ports and data, resolving once it is
  // back in the cluster. With `graceful`, stops it with SIGTERM instead.
  async restart(id, { graceful = false, timeoutMs = 120000 } = {}) {
    await (graceful ? this.down(id) : this.kill(id));
    await this.up(id, timeoutMs);
  }

  // With startKafka's `requestLog`: the requests the nodes completed, oldest first per node, each
  // {node, apiKey, apiVersion, clientId, errors} (apiKey is Kafka's number: 0 Produce, 24
  // AddPartitionsToTxn, 25 AddOffsetsToTxn, 26 EndTxn, 28 TxnOffsetCommit, ...; errors: the
  // non-zero error codes in its response).
  requests() {
    const found = [];
    for (const node of this._nodes) {
      let text;
      try {
        text = fs.readFileSync(path.join(node.dir, 'kafka.log'), 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        const at = line.indexOf('Completed request:');
        if (at < 0) continue;
        try {
          const { requestHeader: h, response } = JSON.parse(
            line.slice(at + 'Completed request:'.length).replace(/ \(kafka\.request\.logger\)$/, ''),
          );
          found.push({
            node: node.id,
            apiKey: h.requestApiKey,
            apiVersion: h.requestApiVersion,
            clientId: h.clientId,
            errors: errorCodes(response),
          });
        } catch {
          // a line cut by a node killed while writing it
        }
      }
    }
    return found;
  }

  // Sets a finalized feature's level (Admin.updateFeatures, as kafka-features.sh upgrade or
  // downgrade does), e.g. setFeature('transaction.version', 2). Needs a JDK (Kafka's jars run a
  // small Java program, SetFeature.java beside this file, from source).
  setFeature(name, level) {
    const program = path.join(__dirname, 'SetFeature.java');
    return runJava(
      ['-Xmx128m', '-cp', path.join(this._libs, '*'), program, this.bootstrapServers, name, String(level)],
      `setting ${name} to ${level}`,
    );
  }

  // Stops every node: SIGTERM (a controlled shutdown) with `graceful`, else SIGKILL; then
  // removes the log directories.
  async stop({ graceful = false, timeoutMs = 30000 } = {}) {
    await Promise.all(this._nodes.map((node) => this._end(node, graceful ? 'SIGTERM' : 'SIGKILL', timeoutMs)));
    fs.rmSync(this._root, { recursive: true, force: true });
    this._forget?.();
  }
}

module.exports = { startKafka, freePort };
