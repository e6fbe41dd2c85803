'use strict';
// kafka-native/socket.io: a socket.io adapter that relays between servers through a Kafka topic.
//
// Built like socket.io's own cluster adapters (the Postgres and Redis Streams ones) on
// socket.io-adapter's ClusterAdapterWithHeartbeat: doPublish/doPublishResponse write to the
// topic; one Consumer per createAdapter() reads every partition of it from 'latest', with no
// group and no offset files, so every server sees every message, and feeds onMessage/onResponse.
// Messages are keyed by namespace (one namespace's messages stay in order) and MessagePack-encoded
// (binary payloads survive). Headers say who sent a message and, for a response, to whom, so a
// server skips what is not for it without decoding it.
//
// Connection state recovery: a broadcast's offset is its Kafka position, "partition:offset",
// from the producer's delivery report; a disconnected socket's session is written to the same
// partition. restoreSession reads that partition from the client's last offset up to its end and
// finds the session and the packets the client missed there, so any server can restore it.
const {
  requirePeer,
  checkOptions,
  checkClientOptions,
  checkedLogger,
  RELAY_PRODUCER,
  REALTIME_CONSUMER,
  relayClient,
} = require('./integration-options');

const { Adapter, ClusterAdapterWithHeartbeat, MessageType } = requirePeer('socket.io-adapter', 'kafka-native/socket.io');
const { encode, decode } = requirePeer('@msgpack/msgpack', 'kafka-native/socket.io');
const { Consumer, Admin } = require('../index.js');
const { RelayProducer } = require('./relay-producer');
const { messageProblem, sessionProblem } = require('./socket.io-messages.js');

const WHAT = 'kafka-native/socket.io';
const OPTIONS = ['broker', 'topic', 'partition', 'createTopics', 'heartbeatInterval', 'heartbeatTimeout', 'producer', 'consumer', 'logger'];
// socket.io-kafka's options, accepted where they still mean something.
const OLD_OPTIONS = ['key', 'uri', 'host', 'port'];

// How long a restore waits to read what the client missed.
const RESTORE_TIMEOUT_MS = 10000;
// How often a relay whose topic does not exist yet tries again to read it.
const TOPIC_RETRY_MS = 1000;
const SETTLED = Promise.resolve();
// Consumer errors that mean the topic is not there (yet).
const NO_TOPIC = new Set(['UNKNOWN_TOPIC_OR_PART', '_UNKNOWN_TOPIC', '_UNKNOWN_PARTITION']);

// The options of both call shapes, checked: createAdapter({broker, ...}) and socket.io-kafka's
// createAdapter('host:9092', {key, createTopics, partition}).
function adapterOptions(uriOrOptions, maybeOptions) {
  let opts;
  let old;
  if (typeof uriOrOptions === 'string') {
    if (maybeOptions !== undefined && (maybeOptions === null || typeof maybeOptions !== 'object')) {
      throw new TypeError(`${WHAT}: createAdapter(uri, options): options must be an object, got ${typeof maybeOptions}`);
    }
    opts = { ...maybeOptions, uri: uriOrOptions };
    old = true;
  } else if (uriOrOptions !== null && typeof uriOrOptions === 'object' && !Array.isArray(uriOrOptions)) {
    opts = { ...uriOrOptions };
    old = opts.broker === undefined;
  } else {
    throw new TypeError(
      `${WHAT}: createAdapter() takes {broker, topic, ...} (or a broker list string), got ${uriOrOptions === null ? 'null' : typeof uriOrOptions}`,
    );
  }
  checkOptions(WHAT, 'createAdapter()', opts, [...OPTIONS, ...OLD_OPTIONS]);
  for (const name of ['producer', 'consumer']) {
    checkClientOptions(WHAT, opts, name);
    const value = opts[name];
    if (value !== undefined && (typeof value.send === 'function' || typeof value.on === 'function')) {
      throw new TypeError(
        `${WHAT}: option ${name} takes kafka-native ${name === 'producer' ? 'Producer' : 'Consumer'} options (e.g. {queue_buffering_max_ms: 5}), not a client instance: socket.io-kafka's kafka-node clients are gone`,
      );
    }
  }
  const broker = opts.broker ?? opts.uri ?? (opts.host !== undefined ? `${opts.host}:${opts.port ?? 9092}` : undefined);
  if (typeof broker !== 'string' || broker === '') {
    throw new TypeError(
      `${WHAT}: option broker must be a broker list like 'localhost:9092', got ${broker === undefined ? 'nothing' : JSON.stringify(broker)}`,
    );
  }
  if (/^zk:|zookeeper|:2181(\/|,|$)/i.test(broker)) {
    throw new Error(
      `${WHAT}: ${broker} looks like a ZooKeeper address: Kafka clients connect to brokers now (e.g. 'localhost:9092'); socket.io-kafka's ZooKeeper URIs are gone`,
    );
  }
  const topic = opts.topic ?? opts.key ?? 'socket.io';
  if (typeof topic !== 'string' || topic === '')
    throw new TypeError(`${WHAT}: option ${opts.topic === undefined ? 'key' : 'topic'} must be a topic name, got ${JSON.stringify(topic)}`);
  const partition = opts.partition ?? -1;
  if (!Number.isInteger(partition) || partition < -1)
    throw new TypeError(
      `${WHAT}: option partition must be a partition number (or -1: by namespace), got ${JSON.stringify(opts.partition)}`,
    );
  const createTopics = opts.createTopics ?? old;
  if (typeof createTopics !== 'boolean' && (createTopics === null || typeof createTopics !== 'object')) {
    throw new TypeError(
      `${WHAT}: option createTopics must be true, false or {partitions, replication_factor}, got ${JSON.stringify(createTopics)}`,
    );
  }
  for (const name of ['heartbeatInterval', 'heartbeatTimeout']) {
    if (opts[name] !== undefined && (!Number.isInteger(opts[name]) || opts[name] <= 0)) {
      throw new TypeError(`${WHAT}: option ${name} must be a positive integer (ms), got ${JSON.stringify(opts[name])}`);
    }
  }
  const logger = checkedLogger(WHAT, opts.logger ?? undefined);
  return {
    broker,
    topic,
    partition,
    createTopics,
    heartbeat: { heartbeatInterval: opts.heartbeatInterval ?? 5000, heartbeatTimeout: opts.heartbeatTimeout ?? 10000 },
    producer: { ...relayClient(RELAY_PRODUCER, opts.producer), broker, logger: opts.producer?.logger ?? logger },
    consumer: relayClient(REALTIME_CONSUMER, opts.consumer),
    logger,
  };
}

// Whether a socket in `rooms` gets a broadcast with these options (socket.io's rule).
function reaches(rooms, opts) {
  const included = opts.rooms.length === 0 || rooms.some((room) => opts.rooms.includes(room));
  return included && rooms.every((room) => !opts.except.includes(room));
}

// Whether socket.io adds an offset to this broadcast, i.e. whether a client can miss it.
function recoverable(packet, opts) {
  return packet.type === 2 && packet.id === undefined && opts.flags?.volatile === undefined;
}

function asBuffer(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// The Producer and Consumer that one createAdapter() shares between its namespaces. They are
// created with the first namespace and stopped when the last one closes (io.close()).
class KafkaRelay {
  constructor(options) {
    this.options = options;
    this.adapters = new Map(); // namespace name → adapter
    this.producer = null;
    this.consumer = null;
    this.admin = null;
    this.ready = null;
    this.stopping = SETTLED;
  }

  attach(adapter) {
    this.adapters.set(adapter.nsp.name, adapter);
    if (!this.producer) this.open();
    if (!this.ready) {
      const { consumer } = this;
      // A new start waits for the previous stop, so a server that closes and reopens its
      // namespaces never runs two consumers.
      this.ready = this.stopping
        .then(() => this.createTopic())
        .then(() => this.startReading(consumer))
        .then(() => undefined);
      this.ready.catch((err) => this.options.logger.error(`${WHAT}: could not start reading ${this.options.topic}: ${err.message}`));
    }
    return this.ready;
  }

  // Starts `consumer`; while its topic does not exist, tries again every TOPIC_RETRY_MS (and says
  // so, once) until it does or the relay closes: a server started before its topic is created
  // joins the others once it is.
  async startReading(consumer) {
    let said = false;
    for (;;) {
      try {
        return await consumer.start();
      } catch (err) {
        if (!NO_TOPIC.has(err.code) || this.consumer !== consumer) throw err;
        if (!said)
          this.options.logger.warn(
            `${WHAT}: topic ${this.options.topic} does not exist (yet): reading it once it does, trying every ${TOPIC_RETRY_MS / 1000} s (${err.message})`,
          );
        said = true;
      }
      await new Promise((resolve) => setTimeout(resolve, TOPIC_RETRY_MS));
      if (this.consumer !== consumer) throw new Error('the adapter closed before its topic existed');
    }
  }

  // Creates the clients (checking their options); the consumer starts with the first namespace.
  open() {
    const { broker, topic, logger } = this.options;
    this.producer = new RelayProducer(this.options.producer, (m) => logger.error(`${WHAT}: ${m}`));
    this.producer.producer(); // made now, so that its options are checked now
    this.consumer = new Consumer({
      ...this.options.consumer,
      broker,
      topic,
      offset_directory: null,
      start_offset: 'latest',
      payload_encoding: 'buffer',
      logger: this.options.consumer.logger ?? logger,
      receive_callback: (batch) => this.receive(batch),
    });
  }

  async createTopic() {
    const { createTopics, topic, logger } = this.options;
    if (!createTopics) return;
    const spec = { topic, partitions: createTopics.partitions ?? 1 };
    if (createTopics.replication_factor !== undefined) spec.replication_factor = createTopics.replication_factor;
    try {
      await this.adminClient().createTopics([spec]);
      logger.info(`${WHAT}: created topic ${topic}`);
    } catch (err) {
      if (err.code === 'TOPIC_ALREADY_EXISTS') return;
      if (err.code !== '_UNSUPPORTED_FEATURE') throw err;
      // The MockCluster has no CreateTopics, but creates a topic (with its default partition
      // count) when a producer asks for its metadata.
      await this.producer.partition_count(topic);
    }
  }

  adminClient() {
    this.admin ??= new Admin({ broker: this.options.broker, logger: this.options.logger });
    return this.admin;
  }

  // The last namespace closed: stop reading, and stop the producer once what it holds (the
  // namespaces' ADAPTER_CLOSE messages among them) is delivered.
  detach(adapter) {
    if (this.adapters.get(adapter.nsp.name) === adapter) this.adapters.delete(adapter.nsp.name);
    if (this.adapters.size > 0 || !this.producer) return SETTLED;
    const { producer, consumer, admin, logger } = this;
    const ready = (this.ready ?? SETTLED).catch(() => undefined);
    this.producer = null;
    this.consumer = null;
    this.admin = null;
    this.ready = null;
    this.stopping = Promise.allSettled([producer.stop(), ready.then(() => consumer.stop()), admin?.stop()]).then((results) => {
      for (const r of results) if (r.status === 'rejected') logger.error(`${WHAT}: ${r.reason.message}`);
    });
    return this.stopping;
  }

  // Writes one message. Resolves with its position ("partition:offset") when `withPosition`,
  // else as soon as it is enqueued. Async, so it never throws: socket.io calls this where a
  // throw would be an unhandled rejection (serverSideEmit), so a message that cannot be encoded
  // (a BigInt) or sent (larger than the producer's message.max.bytes) rejects, saying why.
  async publish(message, headers, withPosition) {
    const { topic, partition } = this.options;
    if (!this.producer) throw new Error(`${WHAT}: the adapter is closed`);
    let payload;
    try {
      payload = asBuffer(encode(message));
    } catch (err) {
      throw new TypeError(`${WHAT}: cannot encode the message with MessagePack: ${err.message}`, { cause: err });
    }
    const record = { key: message.nsp, payload, headers };
    if (withPosition) {
      return this.producer.deliver(topic, partition, [record]).then(([at]) => `${at.partition}:${at.offset}`);
    }
    const { enqueued } = this.producer.send(topic, partition, [record]);
    if (enqueued !== 1) {
      const err = new Error(
        `${WHAT}: not sent to ${topic}: the producer's local queue is full (queue_buffering_max_messages, queue_buffering_max_kbytes)`,
      );
      err.code = 'QUEUE_FULL';
      throw err;
    }
  }

  receive({ messages }) {
    for (const m of messages) {
      const adapter = m.key && this.adapters.get(m.key.toString());
      if (!adapter || !m.headers) continue;
      const { uid, to, session } = m.headers;
      if (session || !uid || uid.toString('latin1') === adapter.uid) continue;
      if (to && to.toString('latin1') !== adapter.uid) continue;
      let message;
      try {
        message = decode(m.payload);
      } catch (err) {
        this.options.logger.warn(
          `${WHAT}: skipped ${m.topic}/${m.partition} at ${m.offset}: not a socket.io cluster message (${err.message})`,
        );
        continue;
      }
      const problem = messageProblem(message);
      if (problem) {
        this.options.logger.warn(`${WHAT}: skipped ${m.topic}/${m.partition} at ${m.offset}: not a socket.io cluster message (${problem})`);
        continue;
      }
      // A handler that throws (an io.on() listener of serverSideEmit, say) is logged; the rest
      // of the batch is still delivered.
      try {
        if (to) adapter.onResponse(message);
        else adapter.onMessage(message, `${m.partition}:${m.offset}`);
      } catch (err) {
        this.options.logger.error(
          `${WHAT}: namespace ${adapter.nsp.name} threw on ${m.topic}/${m.partition} at ${m.offset}: ${err.stack || err.message}`,
        );
      }
    }
    return SETTLED;
  }

  // What a client missed since `offset` in namespace `nsp`, and its session (written when it
  // disconnected, after `offset`, to the same partition): read from Kafka, from `offset` to the
  // partition's end at the time of the call.
  async replay(nsp, pid, offset) {
    const position = /^(\d+):(\d+)$/.exec(offset);
    if (!position) throw new Error(`invalid offset ${JSON.stringify(offset)}`);
    const [partition, from] = [Number(position[1]), Number(position[2])];
    const { topic, broker, logger } = this.options;
    const { low, high } = await this.adminClient().watermarks(topic, partition);
    if (from < low || from >= high)
      throw new Error(`offset ${offset} is not in ${topic} (partition ${partition} holds ${low} to ${high - 1})`);
    if (from === high - 1) throw new Error(`no session ${pid} after ${offset}`);
    const partitions = await this.producer.partition_count(topic);
    let session = null;
    const missed = [];
    let expected = from;
    let finish;
    const done = new Promise((resolve, reject) => {
      finish = { resolve, reject };
    });
    const reader = new Consumer({
      broker,
      topic,
      offset_directory: null,
      start_offset: from,
      num_workers: partitions,
      worker_slot: partition,
      payload_encoding: 'buffer',
      fetch_wait_max_ms: this.options.consumer.fetch_wait_max_ms,
      logger,
      receive_callback: ({ messages }) => {
        for (const m of messages) {
          if (m.offset !== expected) {
            finish.reject(new Error(`${topic}/${partition} skipped from ${expected} to ${m.offset}: messages were deleted`));
            return SETTLED;
          }
          expected = m.offset + 1;
          if (m.offset === from || !m.key || m.key.toString() !== nsp || !m.headers) continue;
          // A record that is not what it claims is skipped: it spoils no one's recovery.
          const skip = (why) => logger.warn(`${WHAT}: restoring a session skipped ${topic}/${partition} at ${m.offset}: ${why}`);
          let decoded;
          try {
            decoded = decode(m.payload);
          } catch (err) {
            skip(`not MessagePack (${err.message})`);
            continue;
          }
          if (m.headers.session) {
            if (m.headers.session.toString('latin1') !== pid) continue;
            const problem = sessionProblem(decoded?.session);
            if (problem) skip(`not a session (${problem})`);
            else session = decoded.session;
            continue;
          }
          if (m.headers.to) continue;
          const problem = messageProblem(decoded);
          if (problem) {
            skip(`not a socket.io cluster message (${problem})`);
            continue;
          }
          if (decoded.type !== MessageType.BROADCAST) continue;
          const { packet, opts } = decoded.data;
          if (!recoverable(packet, opts)) continue;
          missed.push({ opts, data: [...packet.data, `${m.partition}:${m.offset}`] });
        }
        if (expected >= high) finish.resolve();
        return SETTLED;
      },
    });
    const timer = setTimeout(() => finish.reject(new Error(`reading ${topic}/${partition} from ${from} timed out`)), RESTORE_TIMEOUT_MS);
    try {
      await reader.start();
      await done;
    } finally {
      clearTimeout(timer);
      await reader.stop().catch(() => undefined);
    }
    if (!session) throw new Error(`no session ${pid} after ${offset}`);
    return { session, missed };
  }
}

class KafkaAdapter extends ClusterAdapterWithHeartbeat {
  constructor(nsp, relay, options) {
    super(nsp, options.heartbeat);
    this.relay = relay;
    this.logger = options.logger;
    this.closed = false;
    // Announced only once the consumer reads: a server that sees our heartbeat can count on us
    // seeing its messages.
    relay.attach(this).then(
      () => {
        if (!this.closed) this.init();
      },
      () => undefined,
    );
  }

  // ClusterAdapter's broadcast delivers nothing, not even to this server's own clients, when
  // publishing fails (a packet over message.max.bytes, say); socket.io's Redis adapter delivers
  // locally whatever happens to the publish. So does this: the failure is logged (doPublish),
  // and the packet goes to this server's clients without a recovery offset.
  async broadcast(packet, opts) {
    if (!opts.flags?.local) {
      try {
        const offset = await this.publishAndReturnOffset({
          type: MessageType.BROADCAST,
          data: { packet, opts: { rooms: [...opts.rooms], except: [...opts.except], flags: opts.flags } },
        });
        this.addOffsetIfNecessary(packet, opts, offset);
      } catch {
        // logged by doPublish
      }
    }
    Adapter.prototype.broadcast.call(this, packet, opts);
  }

  doPublish(message) {
    const recovery = this.nsp.server.opts.connectionStateRecovery;
    const withPosition =
      Boolean(recovery) &&
      message.type === MessageType.BROADCAST &&
      message.data.requestId === undefined &&
      recoverable(message.data.packet, message.data.opts);
    return this.relay.publish(message, { uid: this.uid }, withPosition).catch((err) => {
      this.logger.error(`${WHAT}: could not publish to namespace ${this.nsp.name}: ${err.message}`);
      throw err;
    });
  }

  doPublishResponse(requesterUid, response) {
    return this.relay.publish(response, { uid: this.uid, to: requesterUid }, false).catch((err) => {
      this.logger.error(`${WHAT}: could not answer ${requesterUid} in namespace ${this.nsp.name}: ${err.message}`);
      throw err;
    });
  }

  persistSession(session) {
    const record = { ...session, disconnectedAt: Date.now() };
    this.relay
      .publish({ nsp: this.nsp.name, session: record }, { uid: this.uid, session: session.pid }, false)
      .catch((err) => this.logger.error(`${WHAT}: could not keep session of socket ${session.sid}: ${err.message}`));
  }

  async restoreSession(pid, offset) {
    const { session, missed } = await this.relay.replay(this.nsp.name, pid, offset);
    const { maxDisconnectionDuration } = this.nsp.server.opts.connectionStateRecovery;
    if (session.disconnectedAt + maxDisconnectionDuration < Date.now()) throw new Error(`session ${pid} expired`);
    return {
      sid: session.sid,
      pid: session.pid,
      rooms: session.rooms,
      data: session.data,
      missedPackets: missed.filter((p) => reaches(session.rooms, p.opts)).map((p) => p.data),
    };
  }

  close() {
    this.closed = true;
    super.close();
    return this.relay.detach(this);
  }
}

// createAdapter({broker, topic, partition, createTopics, heartbeatInterval, heartbeatTimeout,
// producer, consumer, logger}) or createAdapter('host:9092', {key, createTopics, partition}):
// a function for io.adapter(), or `new Server({adapter})`.
function createAdapter(uriOrOptions, maybeOptions) {
  const options = adapterOptions(uriOrOptions, maybeOptions);
  const relay = new KafkaRelay(options);
  relay.open();
  return function kafkaAdapter(nsp) {
    return new KafkaAdapter(nsp, relay, options);
  };
}

module.exports = { createAdapter, KafkaAdapter };
