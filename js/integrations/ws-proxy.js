'use strict';
// kafka-native/ws-proxy: Kafka over WebSockets, the successor of kafka-proxy.
//
// A client connects to ws://host:port/?topic=T[&consumerGroup=G][&offset=N][&partition=P] and
// receives batches as JSON text frames, kafka-proxy's format with partition and key added:
// [{"message": "...", "offset": 225107, "partition": 0, "key": null}, ...]. It sends with a text
// frame {"produce": [{topic, message, key?, partition?}], "id"?} and is answered
// {"produced": n, "id"} once Kafka has every message, or {"error": "...", "id"}.
//
// Who may do what (ws-proxy-access.js): nothing beyond what the operator grants, per action
// (read a topic, write a topic, use a consumer group, start from an offset), by static options or
// an authorize hook; internal topics never. A refused upgrade gets 403, a refused send an error.
//
// Who reads what:
// - consumerGroup: a member of that Kafka consumer group (its own Consumer). A batch is committed
//   once it was written to the socket; a client that goes away before that leaves it uncommitted,
//   so the group's next member reads it again. kafka-proxy's unit, the (topic, consumerGroup,
//   partition) combination, holds: a new connection for one replaces the old one.
// - no group, an offset: its own Consumer of that partition from that offset.
// - no group, no offset: from 'latest', sharing one Consumer per (topic, partition) with every
//   other such client; the batches fan out in JS.
// Backpressure: a batch is done only when the socket has taken it and its bufferedAmount is
// below maxBufferedBytes again, and the next batch waits for that; so a client that stops
// reading pauses its consumer instead of filling the proxy's memory (and each consumer fetches
// at most PREFETCH_KBYTES ahead per partition). A shared consumer goes at
// the pace of its slowest client; one that takes longer than slowClientTimeout to drain is
// disconnected (close code 4008), so the others go on.
const crypto = require('node:crypto');
const http = require('node:http');
const { EventEmitter, once } = require('node:events');
const {
  requirePeer,
  checkOptions,
  checkClientOptions,
  checkedLogger,
  isTopicName,
  REALTIME_PRODUCER,
  REALTIME_CONSUMER,
  REALTIME_DRIVER,
} = require('./integration-options');

const WHAT = 'kafka-native/ws-proxy';
const { WebSocketServer, WebSocket } = requirePeer('ws', WHAT);
const { Consumer, notProcessed } = require('../index.js');
const { accessControl } = require('./ws-proxy-access');
const { RelayProducer } = require('./relay-producer');
const { otelApi } = require('../observability/otel-api');

const OPTIONS = [
  'wsPort',
  'host',
  'server',
  'kafka',
  'idleTimeout',
  'maxBytes',
  'partition',
  'auth',
  'verifyClient',
  'maxBufferedBytes',
  'slowClientTimeout',
  'maxConnections',
  'maxConsumers',
  'maxInFlightSends',
  'maxSendBytes',
  'maxSendMessages',
  'maxClientQueuedMessages',
  'maxClientQueuedBytes',
  'producer',
  'consumer',
  'logger',
  'topics',
  'groups',
  'groupPrefix',
  'offsets',
  'createTopics',
  'authorize',
];
const CLOSE_REPLACED = 4000;
const CLOSE_TOO_SLOW = 4008;
const CLOSE_NOT_READING = 4009;
// What fanOut() returns when every client took a batch at once: receive_callback settles by a Promise.
const KEPT_UP = Promise.resolve();
// A send's id is echoed in its reply: kept short, so that replies stay small.
const MAX_ID_LENGTH = 256;
// W3C trace context fields are short: traceparent 55 characters, tracestate at most 32 members.
const MAX_TRACE_FIELD = 1024;
// librdkafka prefetches up to queued.max.messages.kbytes per partition (64 MiB by default)
// whether or not the client reads: the proxy's consumers keep 2 MiB (or one fetch, if larger).
const PREFETCH_KBYTES = 2048;
const CLOSE_KAFKA = 4011;
// A frame larger than this is cut off by ws (close code 1009) before it is parsed; one between
// maxSendBytes and this gets an error reply and the connection goes on.
const MAX_FRAME = 16 * 1024 * 1024;
// librdkafka's local queue bounds (queue.buffering.max.messages and .kbytes) at its defaults.
const PRODUCER_QUEUE = { messages: 100000, kbytes: 1048576 };

function proxyOptions(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${WHAT}: new KafkaProxy() takes {wsPort, kafka, ...}, got ${options === null ? 'null' : typeof options}`);
  }
  checkOptions(WHAT, 'KafkaProxy', options, OPTIONS);
  const o = { ...options };
  if (typeof o.kafka !== 'string' || o.kafka.replace(/\/+$/, '') === '') {
    throw new TypeError(`${WHAT}: option kafka must be a broker list like 'localhost:9092', got ${JSON.stringify(o.kafka)}`);
  }
  if (o.server === undefined && !(Number.isInteger(o.wsPort) && o.wsPort >= 0 && o.wsPort <= 65535)) {
    throw new TypeError(`${WHAT}: option wsPort must be a port number (0: any free port), got ${JSON.stringify(o.wsPort)}`);
  }
  if (o.server !== undefined && !(o.server instanceof http.Server))
    throw new TypeError(`${WHAT}: option server must be an http.Server (or https.Server)`);
  for (const [name, min] of [
    ['idleTimeout', 0],
    ['maxBytes', 1],
    ['partition', 0],
    ['maxBufferedBytes', 1],
    ['slowClientTimeout', 1],
    ['maxConnections', 1],
    ['maxConsumers', 0],
    ['maxInFlightSends', 1],
    ['maxSendBytes', 1],
    ['maxSendMessages', 1],
    ['maxClientQueuedMessages', 1],
    ['maxClientQueuedBytes', 1],
  ]) {
    if (o[name] !== undefined && !(Number.isInteger(o[name]) && o[name] >= min)) {
      throw new TypeError(`${WHAT}: option ${name} must be an integer >= ${min}, got ${JSON.stringify(o[name])}`);
    }
  }
  if (o.auth !== undefined && (typeof o.auth !== 'string' || o.auth === ''))
    throw new TypeError(`${WHAT}: option auth must be a non-empty string`);
  if (o.verifyClient !== undefined && typeof o.verifyClient !== 'function')
    throw new TypeError(`${WHAT}: option verifyClient must be a function (req) => boolean | identity | Promise of either`);
  const access = accessControl(WHAT, o);
  for (const name of ['producer', 'consumer']) checkClientOptions(WHAT, o, name);
  const logger = checkedLogger(WHAT, o.logger ?? undefined);
  const broker = o.kafka.replace(/\/+$/, ''); // kafka-proxy's 'localhost:9092/'
  const queue = producerQueue(o.producer);
  const share = {
    messages: o.maxClientQueuedMessages ?? Math.min(10000, queue.messages),
    bytes: o.maxClientQueuedBytes ?? Math.min(16 * 1024 * 1024, queue.bytes),
  };
  const maxSendMessages = o.maxSendMessages ?? Math.min(10000, share.messages);
  if (maxSendMessages > share.messages)
    throw new TypeError(
      `${WHAT}: option maxSendMessages (${maxSendMessages}) must not exceed maxClientQueuedMessages (${share.messages}): such a send could never be taken`,
    );
  if (share.messages > queue.messages || share.bytes > queue.bytes) {
    throw new TypeError(
      `${WHAT}: a client's share of the producer's queue (maxClientQueuedMessages ${share.messages}, maxClientQueuedBytes ${share.bytes}) must fit in the queue (${queue.messages} messages, ${queue.bytes} bytes: the producer's queue_buffering_max_messages and _kbytes)`,
    );
  }
  return {
    wsPort: o.wsPort,
    host: o.host,
    server: o.server,
    auth: o.auth,
    verifyClient: o.verifyClient,
    access,
    partition: o.partition ?? 0,
    maxBufferedBytes: o.maxBufferedBytes ?? 1024 * 1024,
    slowClientTimeout: o.slowClientTimeout ?? 30000,
    maxConnections: o.maxConnections ?? 10000,
    maxConsumers: o.maxConsumers ?? 1000,
    maxInFlightSends: o.maxInFlightSends ?? 64,
    maxSendBytes: o.maxSendBytes ?? 1024 * 1024,
    maxSendMessages,
    share,
    queue,
    logger,
    broker,
    // A client never creates a topic by naming it, unless the operator allows it: librdkafka's
    // producer asks the broker to auto-create the topics it looks up.
    producer: {
      ...REALTIME_PRODUCER,
      ...o.producer,
      broker,
      logger,
      driver_options: { ...REALTIME_DRIVER, 'allow.auto.create.topics': String(access.createTopics), ...o.producer?.driver_options },
    },
    // idleTimeout: how long an idle fetch waits; maxBytes: how much one fetch brings per
    // partition (librdkafka still fetches a larger message whole, which kafka-proxy could not).
    consumer: {
      ...REALTIME_CONSUMER,
      fetch_wait_max_ms: o.idleTimeout ?? 100, // kafka-proxy's idleTimeout default
      ...o.consumer,
      broker,
      logger,
      offset_directory: null,
      // A group member of a proxy that died holds its partitions for the session timeout:
      // 10 s rather than librdkafka's 45 s, for real-time clients (KafkaJS: 30 s).
      driver_options: {
        ...REALTIME_DRIVER,
        'session.timeout.ms': 10000,
        'heartbeat.interval.ms': 1000,
        'queued.max.messages.kbytes': Math.max(PREFETCH_KBYTES, Math.ceil((o.maxBytes ?? 0) / 1024)),
        ...(o.maxBytes !== undefined ? { 'max.partition.fetch.bytes': o.maxBytes } : {}),
        ...o.consumer?.driver_options,
      },
    },
  };
}

// The producer's local queue bounds, from its options (snake_case or librdkafka's names) or
// librdkafka's defaults: {messages, bytes}.
function producerQueue(producer = {}) {
  const driver = producer.driver_options ?? {};
  const messages = Number(producer.queue_buffering_max_messages ?? driver['queue.buffering.max.messages'] ?? PRODUCER_QUEUE.messages);
  const kbytes = Number(producer.queue_buffering_max_kbytes ?? driver['queue.buffering.max.kbytes'] ?? PRODUCER_QUEUE.kbytes);
  return { messages, bytes: kbytes * 1024 };
}

// Whether `header` (an Authorization header) carries `secret`: kafka-proxy's `basic <secret>`, or
// standard Basic with base64 `user:password` equal to it. Compared in constant time.
function authorized(header, secret) {
  const m = /^basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const digest = (s) => crypto.createHash('sha256').update(s).digest();
  const expected = digest(secret);
  const raw = crypto.timingSafeEqual(digest(m[1]), expected);
  const decoded = crypto.timingSafeEqual(digest(Buffer.from(m[1], 'base64').toString('utf8')), expected);
  return raw || decoded;
}

// The user name of standard Basic credentials (`user:password`, base64), if the header has one.
function basicUser(header) {
  const m = /^basic\s+(\S+)\s*$/i.exec(header ?? '');
  const decoded = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
  return decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : undefined;
}

// The connection's query, checked: {topic, group, partition, offset}, or a reason to refuse it.
function subscription(url, defaultPartition) {
  const q = new URL(url, 'ws://proxy').searchParams;
  const topic = q.get('topic');
  if (!isTopicName(topic)) return { error: `topic must be a Kafka topic name, got ${JSON.stringify(topic)}` };
  const number = (name) => {
    const v = q.get(name);
    if (v === null || v === '') return { value: undefined };
    return /^\d+$/.test(v) && Number.isSafeInteger(Number(v))
      ? { value: Number(v) }
      : { error: `${name} must be an integer >= 0, got ${JSON.stringify(v)}` };
  };
  const partition = number('partition');
  const offset = number('offset');
  const problem = partition.error ?? offset.error;
  if (problem) return { error: problem };
  const group = q.get('consumerGroup') || undefined;
  return { topic, group, partition: partition.value ?? defaultPartition, offset: offset.value };
}

// Whether a client has a consumer of its own (a group member, or reading from an offset).
const ownsConsumer = (sub) => sub.group !== undefined || sub.offset !== undefined;

// Writes one batch frame; resolves once the socket took it and has drained below `limit`,
// rejects if the socket closes first. Usually the socket has drained when it took the frame;
// only a client that reads slowly is polled.
function sendBatch(ws, frame, limit) {
  return new Promise((resolve, reject) => {
    if (ws.readyState !== WebSocket.OPEN) {
      reject(new Error('the client is gone'));
      return;
    }
    ws.send(frame, (err) => {
      if (err) reject(err);
      else drainedBelow(ws, limit).then(resolve, reject);
    });
  });
}

// A shared stream's batch, framed once for all its clients: the text frame's bytes (header and
// UTF-8 payload in one Buffer) are computed once and handed to each socket as they are, as
// socket.io's in-memory adapter and engine.io do for a broadcast (ws issue 617). ws.send framed
// and encoded a string again for every socket. The proxy's server has no permessage-deflate and
// sends no Blobs, so ws's sender never queues a frame this could overtake. `text` is the
// fallback, for a ws without Sender.frame or sendFrame.
function framedOnce(text) {
  const data = Buffer.from(text);
  const frame =
    typeof WebSocket.Sender?.frame === 'function'
      ? [Buffer.concat(WebSocket.Sender.frame(data, { readOnly: false, mask: false, rsv1: false, opcode: 1, fin: true }))]
      : null;
  return { data, frame };
}
const TEXT = Object.freeze({ binary: false });

// A shared stream's write: no callback to wait for, since nothing is committed for it. Null
// when the socket has taken the frame and is below `limit` (a client that reads: nearly
// always), else a Promise like sendBatch's. One promise per slow client instead of one per
// client and batch: 1,000 clients of a stream each cost a write and nothing more.
function sendShared(ws, batch, limit) {
  if (ws.readyState !== WebSocket.OPEN) return null; // gone: its close takes it off the stream
  if (batch.frame && typeof ws._sender?.sendFrame === 'function') ws._sender.sendFrame(batch.frame);
  else ws.send(batch.data, TEXT);
  return ws.bufferedAmount > limit ? drainedBelow(ws, limit) : null;
}

// Resolves once the socket's buffered bytes are at most `limit` (checked every 5 ms), rejects
// if it closes first.
function drainedBelow(ws, limit) {
  return new Promise((resolve, reject) => {
    let poll = null;
    const cleanup = () => {
      clearInterval(poll);
      ws.off('close', closed);
    };
    const closed = () => {
      cleanup();
      reject(new Error('the client went away before the batch was written'));
    };
    const drained = () => {
      if (ws.readyState !== WebSocket.OPEN) {
        closed(); // a socket torn down reports nothing buffered: that is not drained
        return true;
      }
      if (ws.bufferedAmount > limit) return false;
      cleanup();
      resolve();
      return true;
    };
    ws.once('close', closed);
    if (!drained()) poll = setInterval(drained, 5);
  });
}

// Closes with `code`; a client that has not answered the close handshake within a second (one
// that stopped reading cannot) is cut off. Resolves once the socket is closed.
function closeWithin(ws, code, reason) {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => ws.terminate(), 1000);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close(code, reason);
  });
}

// [{partition, from, to}] of a batch's messages.
function offsetRanges(messages) {
  const ranges = new Map();
  for (const { partition, offset } of messages) {
    const r = ranges.get(partition);
    if (r) r.to = offset;
    else ranges.set(partition, { partition, from: offset, to: offset });
  }
  return [...ranges.values()];
}

// A record as a client gets it; `traceparent` (W3C trace context) only when the record has one.
const toEntry = (m) => {
  const entry = { message: m.payload, offset: m.offset, partition: m.partition, key: m.key ?? null };
  const traceparent = m.headers?.traceparent;
  if (traceparent !== undefined && !Array.isArray(traceparent)) entry.traceparent = traceparent.toString('latin1');
  return entry;
};

// The trace context a produce request carries (W3C `traceparent`, `tracestate`), as an
// OpenTelemetry context its sends run in, so that they continue the client's trace; null
// without one, or without @opentelemetry/api. The propagator parses strictly: a malformed
// value is ignored. (A failed require is tried once: a client would choose how often.)
function requestContext(request) {
  const { traceparent, tracestate } = request;
  if (typeof traceparent !== 'string' || traceparent.length > MAX_TRACE_FIELD) return null;
  const api = otelApi();
  if (!api) return null;
  const carrier = { traceparent };
  if (typeof tracestate === 'string' && tracestate.length <= MAX_TRACE_FIELD) carrier.tracestate = tracestate;
  const context = api.propagation.extract(api.ROOT_CONTEXT, carrier);
  return (run) => api.context.with(context, run);
}

// The reply to a produce frame whose (topic, partition) groups were delivered with `outcomes`
// (Promise.allSettled's): {produced, id}, or the first error with how many are known written and
// the entries (indices in the frame) not known written.
function sendReply(groups, outcomes, id) {
  let produced = 0;
  const unconfirmed = [];
  let error;
  outcomes.forEach((outcome, g) => {
    if (outcome.status === 'fulfilled') {
      produced += outcome.value.length;
      return;
    }
    error ??= outcome.reason;
    // QUEUE_FULL cannot happen here (a frame is taken only when it fits); a failed delivery
    // leaves it unknown which of the group's other messages landed: none is counted as written.
    unconfirmed.push(...groups[g].entries);
  });
  if (error === undefined) return { produced, id };
  unconfirmed.sort((a, b) => a - b);
  return { error: `${WHAT}: ${error.message}`, id, produced, unconfirmed };
}

class KafkaProxy extends EventEmitter {
  constructor(options) {
    super();
    this.options = proxyOptions(options);
    this.logger = this.options.logger;
    this.members = new Map(); // "topic\0group\0partition" → connection (group mode)
    this.leaving = new Map(); // "topic\0group\0partition" → its last member's stop(), until done
    this.shared = new Map(); // "topic\0partition" → SharedStream
    this.connections = new Set();
    // The producer for what clients send (and for partition counts): made at the first need (a
    // proxy on a given server may never be told to listen()), and again after a fatal error.
    this.producer = new RelayProducer(this.options.producer, (m) => this.logger.error(`${WHAT}: ${m}`));
    this.closed = false;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: Math.max(MAX_FRAME, this.options.maxSendBytes) });
    // What clients' sends hold in the producer's queue, all clients together: a frame is taken
    // whole only if it fits in the sender's share and in the queue, so that librdkafka never
    // refuses part of one (QUEUE_FULL) and one client cannot fill the queue for the others.
    this.queued = { messages: 0, bytes: 0 };
    this.server =
      this.options.server ??
      http.createServer((req, res) =>
        res.writeHead(426, { 'content-type': 'text/plain' }).end('kafka-native ws-proxy: connect with a WebSocket\n'),
      );
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  // Starts listening on wsPort (unless given a server). Resolves with {port}.
  async listen() {
    this.producer.producer(); // made now, so that its options are checked now
    if (!this.options.server) {
      this.server.listen(this.options.wsPort, this.options.host);
      await once(this.server, 'listening');
    }
    return { port: this.server.address().port };
  }

  get port() {
    return this.server.address()?.port;
  }

  // What each connection reads, and how much waits in its socket (for monitoring and tests).
  clients() {
    return [...this.connections].map((c) => ({
      topic: c.sub.topic,
      partition: c.sub.partition,
      consumerGroup: c.sub.group ?? null,
      shared: Boolean(c.stream),
      bufferedAmount: c.ws.bufferedAmount,
      inFlight: c.inFlight, // [{partition, from, to}]: the batch being written, if any
    }));
  }

  async upgrade(req, socket, head) {
    const refuse = (status, reason) => {
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${WHAT}: ${reason}\n`,
      );
    };
    try {
      if (this.closed) return refuse(503, 'the proxy is closed');
      if (this.options.auth !== undefined && !authorized(req.headers.authorization, this.options.auth)) return refuse(401, 'unauthorized');
      // The identity: what verifyClient returned (when not just true), else the Basic user.
      let identity = this.options.auth !== undefined ? basicUser(req.headers.authorization) : undefined;
      if (this.options.verifyClient) {
        const verdict = await this.options.verifyClient(req);
        if (!verdict) return refuse(401, 'refused by verifyClient');
        if (verdict !== true) identity = verdict;
      }
      const sub = subscription(req.url, this.options.partition);
      if (sub.error) return refuse(400, sub.error);
      const { access } = this.options;
      const ask = (action) =>
        access.refusal({ action, topic: sub.topic, group: sub.group, offset: sub.offset, partition: sub.partition, identity, req });
      const refused =
        (await ask('read')) ??
        (sub.group !== undefined ? await ask('group') : null) ??
        (sub.offset !== undefined ? await ask('offset') : null);
      if (refused) return refuse(403, refused);
      const { maxConnections, maxConsumers } = this.options;
      if (this.connections.size >= maxConnections) return refuse(503, `too many connections (maxConnections ${maxConnections})`);
      if (ownsConsumer(sub) && this.ownConsumers() >= maxConsumers)
        return refuse(
          503,
          `too many clients with a consumer of their own (maxConsumers ${maxConsumers}): connect without consumerGroup and offset to share one`,
        );
      if (sub.group !== undefined) sub.kafkaGroup = access.kafkaGroup(sub.group, identity, req);
      sub.identity = identity;
      sub.req = req;
      this.wss.handleUpgrade(req, socket, head, (ws) => this.connect(ws, sub));
    } catch (err) {
      this.logger.error(`${WHAT}: upgrade failed: ${err.stack || err.message}`);
      refuse(500, 'internal error');
    }
  }

  connect(ws, sub) {
    const connection = { ws, sub, consumer: null, stream: null, inFlight: null, sending: 0, queued: { messages: 0, bytes: 0 } };
    this.connections.add(connection);
    ws.on('message', (data, isBinary) => this.onFrame(connection, data, isBinary));
    ws.on('error', (err) => this.logger.warn(`${WHAT}: client of ${sub.topic}: ${err.message}`));
    ws.on('close', () => this.disconnect(connection));
    if (sub.group !== undefined) {
      const key = [sub.topic, sub.kafkaGroup, sub.partition].join('\0');
      const previous = this.members.get(key);
      if (previous) {
        this.disconnect(previous); // its consumer leaves the group now, not after the close handshake
        previous.ws.close(CLOSE_REPLACED, 'replaced by a new connection for the same topic, consumerGroup and partition');
      }
      this.members.set(key, connection);
      connection.key = key;
      // The new member joins once the old one has left and committed what it wrote: it goes on
      // from there, and the group does not wait for a member that is going away.
      const left = this.leaving.get(key);
      this.own(connection, { group_id: sub.kafkaGroup, topic: sub.topic, start_offset: sub.offset ?? 'latest' }, left);
    } else if (sub.offset !== undefined) {
      this.own(connection, { topic: sub.topic, start_offset: sub.offset, partition: sub.partition });
    } else {
      const key = [sub.topic, sub.partition].join('\0');
      let stream = this.shared.get(key);
      if (!stream) {
        stream = new SharedStream(this, sub.topic, sub.partition, () => this.shared.delete(key));
        this.shared.set(key, stream);
      }
      connection.stream = stream;
      stream.add(connection);
    }
  }

  // Connections with a consumer of their own (group and offset clients), starting or running.
  ownConsumers() {
    let n = 0;
    for (const c of this.connections) if (ownsConsumer(c.sub)) n++;
    return n;
  }

  // A Consumer of the connection's own: a group member, or one partition from an offset.
  async own(connection, { group_id, topic, start_offset, partition }, left) {
    const { ws } = connection;
    try {
      await left;
      const placement = group_id !== undefined ? { group_id } : await this.onePartition(topic, partition);
      if (connection.gone || ws.readyState !== WebSocket.OPEN) return;
      const consumer = new Consumer({
        ...this.options.consumer,
        ...placement,
        topic,
        start_offset,
        receive_callback: async ({ messages }) => {
          connection.inFlight = offsetRanges(messages);
          try {
            await sendBatch(ws, JSON.stringify(messages.map(toEntry)), this.options.maxBufferedBytes);
          } catch (err) {
            throw notProcessed(err.message); // not committed: the group reads it again
          }
          connection.inFlight = null;
        },
      });
      connection.consumer = consumer;
      await consumer.start();
    } catch (err) {
      if (connection.gone) return; // it left while its consumer started: nothing to say
      this.logger.error(`${WHAT}: cannot read ${topic}: ${err.message}`);
      if (ws.readyState === WebSocket.OPEN) ws.close(CLOSE_KAFKA, err.message.slice(0, 120));
    }
  }

  // Consumer options that read exactly `partition` of `topic` (kafka-native's workers).
  async onePartition(topic, partition) {
    const partitions = await this.producer.partition_count(topic);
    if (partition >= partitions) throw new Error(`${topic} has ${partitions} partitions, no partition ${partition}`);
    return { num_workers: partitions, worker_slot: partition };
  }

  // Forgets a connection and stops its consumer; resolves once that has stopped.
  disconnect(connection) {
    if (connection.gone) return connection.stopped;
    connection.gone = true;
    this.connections.delete(connection);
    if (connection.stream) connection.stream.remove(connection);
    const { key, consumer } = connection;
    if (key && this.members.get(key) === connection) this.members.delete(key);
    if (consumer) {
      connection.consumer = null;
      const stopped = consumer.stop().catch((err) => this.logger.warn(`${WHAT}: stopping a client's consumer: ${err.message}`));
      connection.stopped = stopped;
      if (key) {
        this.leaving.set(key, stopped);
        stopped.then(() => {
          if (this.leaving.get(key) === stopped) this.leaving.delete(key);
        });
      }
    }
    return connection.stopped;
  }

  // A produce frame: checked whole (size, entries, access, the sender's share of the producer's
  // queue) before any of it is handed to the producer, so that a refused frame writes nothing.
  // Once handed over, its messages can still fail at the broker: the error reply then says how
  // many are known written and which entries are not (`produced`, `unconfirmed`).
  async onFrame(connection, data, isBinary) {
    const { ws } = connection;
    const { maxSendBytes, maxSendMessages } = this.options;
    let request;
    try {
      if (isBinary) throw new Error('send text frames of JSON');
      if (data.length > maxSendBytes)
        throw new Error(`a send of ${data.length} bytes is over maxSendBytes (${maxSendBytes}): nothing of it was written; split it`);
      request = JSON.parse(data.toString('utf8'));
      if (request === null || typeof request !== 'object' || !Array.isArray(request.produce))
        throw new Error('expected {"produce": [{"topic", "message", "key"?, "partition"?}], "id"?}');
    } catch (err) {
      this.reply(ws, { error: `${WHAT}: ${err instanceof SyntaxError ? 'not JSON' : err.message}` });
      return;
    }
    const { id } = request;
    if (id !== undefined && !(Number.isFinite(id) || (typeof id === 'string' && id.length <= MAX_ID_LENGTH))) {
      this.reply(ws, { error: `${WHAT}: id must be a number or a string of at most ${MAX_ID_LENGTH} characters` });
      return;
    }
    if (request.produce.length > maxSendMessages) {
      this.reply(ws, {
        error: `${WHAT}: a send of ${request.produce.length} messages is over maxSendMessages (${maxSendMessages}): nothing of it was written; split it`,
        id,
      });
      return;
    }
    if (connection.sending >= this.options.maxInFlightSends) {
      this.reply(ws, {
        error: `${WHAT}: too many sends in flight (maxInFlightSends ${this.options.maxInFlightSends}): wait for their replies`,
        id,
      });
      return;
    }
    connection.sending++;
    const taken = { messages: 0, bytes: 0 };
    try {
      const groups = new Map(); // "topic\0partition" → {topic, partition, records, entries}
      request.produce.forEach((m, i) => {
        if (m === null || typeof m !== 'object') throw new Error(`produce[${i}] must be an object`);
        if (!isTopicName(m.topic)) throw new Error(`produce[${i}].topic must be a Kafka topic name`);
        if (typeof m.message !== 'string') throw new Error(`produce[${i}].message must be a string`);
        if (m.key !== undefined && m.key !== null && typeof m.key !== 'string') throw new Error(`produce[${i}].key must be a string`);
        if (m.partition !== undefined && !(Number.isInteger(m.partition) && m.partition >= 0))
          throw new Error(`produce[${i}].partition must be an integer >= 0`);
        const at = [m.topic, m.partition ?? -1].join('\0');
        if (!groups.has(at)) groups.set(at, { topic: m.topic, partition: m.partition ?? -1, records: [], entries: [] });
        const group = groups.get(at);
        group.records.push({ payload: m.message, key: m.key ?? undefined });
        group.entries.push(i);
        taken.bytes += Buffer.byteLength(m.message) + (typeof m.key === 'string' ? Buffer.byteLength(m.key) : 0);
      });
      taken.messages = request.produce.length;
      const { access } = this.options;
      for (const topic of new Set([...groups.values()].map((g) => g.topic))) {
        const refused = await access.refusal({ action: 'write', topic, identity: connection.sub.identity, req: connection.sub.req });
        if (refused) throw new Error(refused);
      }
      this.takeQueue(connection, taken); // throws when it does not fit; no await before the sends
      const sends = () => Promise.allSettled([...groups.values()].map((g) => this.producer.deliver(g.topic, g.partition, g.records)));
      const within = requestContext(request);
      const outcomes = await (within ? within(sends) : sends());
      this.reply(ws, sendReply([...groups.values()], outcomes, id));
    } catch (err) {
      this.reply(ws, { error: `${WHAT}: ${err.message}`, id });
    } finally {
      connection.sending--;
      this.releaseQueue(connection, taken);
    }
  }

  // Counts `taken` against the connection's share of the producer's queue and against the
  // queue, or throws (taking nothing) when it would not fit in either.
  takeQueue(connection, taken) {
    const { share, queue } = this.options;
    const mine = connection.queued;
    if (mine.messages + taken.messages > share.messages || mine.bytes + taken.bytes > share.bytes) {
      throw new Error(
        `this client's share of the producer's queue is full (maxClientQueuedMessages ${share.messages}, maxClientQueuedBytes ${share.bytes}; ` +
          `its sends hold ${mine.messages} messages, ${mine.bytes} bytes): nothing of this send was written; wait for replies`,
      );
    }
    const all = this.queued;
    if (all.messages + taken.messages > queue.messages || all.bytes + taken.bytes > queue.bytes) {
      throw new Error(
        `the proxy's producer queue is full (${all.messages} of ${queue.messages} messages, ${all.bytes} of ${queue.bytes} bytes): nothing of this send was written; try again`,
      );
    }
    for (const q of [mine, all]) {
      q.messages += taken.messages;
      q.bytes += taken.bytes;
    }
    taken.counted = true;
  }

  releaseQueue(connection, taken) {
    if (!taken.counted) return;
    taken.counted = false;
    for (const q of [connection.queued, this.queued]) {
      q.messages -= taken.messages;
      q.bytes -= taken.bytes;
    }
  }

  // Answers a client, unless it is not reading its answers: one whose socket already holds more
  // than twice maxBufferedBytes (room for a batch being written as well) is closed (4009), so
  // what it sends cannot grow the proxy's memory.
  reply(ws, message) {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > 2 * this.options.maxBufferedBytes) {
      closeWithin(ws, CLOSE_NOT_READING, 'not reading its replies');
      return;
    }
    ws.send(JSON.stringify(message));
  }

  // Closes every connection, stops every consumer and the producer (after what it holds is
  // delivered), and the server if the proxy made it.
  async close() {
    this.closed = true;
    const connections = [...this.connections];
    const closing = connections.map((c) => closeWithin(c.ws, 1001, 'the proxy is closing'));
    const stopped = connections.map((c) => this.disconnect(c));
    const streams = [...this.shared.values()];
    await Promise.allSettled([...stopped, ...streams.map((s) => s.stop())]);
    await Promise.all(closing);
    this.wss.close();
    // A message the producer could not deliver was answered with an error to the client that
    // sent it; the producer's stop() reports those again, so that is logged, not thrown.
    await this.producer.stop().catch((err) => this.logger.warn(`${WHAT}: closing the producer: ${err.message}`));
    if (!this.options.server && this.server.listening) await new Promise((r) => this.server.close(r));
  }
}

// One Consumer of one partition from 'latest', fanned out to every client without a group or
// offset that reads it. It starts with its first client and stops with its last.
class SharedStream {
  constructor(proxy, topic, partition, onEmpty) {
    this.proxy = proxy;
    this.topic = topic;
    this.partition = partition;
    this.onEmpty = onEmpty;
    this.clients = new Set();
    this.consumer = null;
    this.starting = null;
  }

  add(connection) {
    this.clients.add(connection);
    this.starting ??= this.start().catch((err) => {
      this.proxy.logger.error(`${WHAT}: cannot read ${this.topic}/${this.partition}: ${err.message}`);
      for (const c of this.clients) c.ws.close(CLOSE_KAFKA, err.message.slice(0, 120));
    });
  }

  async start() {
    const placement = await this.proxy.onePartition(this.topic, this.partition);
    if (this.clients.size === 0) return;
    this.consumer = new Consumer({
      ...this.proxy.options.consumer,
      ...placement,
      topic: this.topic,
      start_offset: 'latest',
      receive_callback: ({ messages }) => this.fanOut(JSON.stringify(messages.map(toEntry))),
    });
    await this.consumer.start();
  }

  // Sends to every client; done when each has taken the batch and drained, or was dropped for
  // taking longer than slowClientTimeout. At once (a settled Promise) when every client kept up.
  fanOut(text) {
    const { maxBufferedBytes, slowClientTimeout } = this.proxy.options;
    const batch = framedOnce(text);
    const waits = [];
    for (const c of this.clients) {
      const wait = sendShared(c.ws, batch, maxBufferedBytes);
      if (wait) waits.push([c, wait]);
    }
    if (waits.length === 0) return KEPT_UP;
    const pending = new Set(waits.map(([c]) => c));
    return new Promise((resolve) => {
      // One timer for the batch: whoever has not drained when it fires is disconnected.
      const timer = setTimeout(() => {
        for (const c of pending) {
          this.proxy.logger.warn(
            `${WHAT}: a client of ${this.topic}/${this.partition} did not drain within ${slowClientTimeout} ms; disconnecting it`,
          );
          closeWithin(c.ws, CLOSE_TOO_SLOW, 'too slow for the shared stream: reconnect with an offset');
        }
        resolve();
      }, slowClientTimeout);
      Promise.all(waits.map(([c, wait]) => wait.catch(() => undefined).finally(() => pending.delete(c)))).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  remove(connection) {
    this.clients.delete(connection);
    if (this.clients.size === 0) {
      this.onEmpty();
      this.stop().catch((err) => this.proxy.logger.warn(`${WHAT}: stopping ${this.topic}/${this.partition}: ${err.message}`));
    }
  }

  async stop() {
    await this.starting;
    const { consumer } = this;
    this.consumer = null;
    if (consumer) await consumer.stop();
  }
}

module.exports = { KafkaProxy };
