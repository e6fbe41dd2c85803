'use strict';
// kafka.consumer(): KafkaJS's group consumer on kafka-native's. kafka-native hands a batch over
// and records (commits) its offsets once the batch's Promise settles; this file turns each
// batch into KafkaJS's eachMessage / eachBatch calls, per partition in order, several
// partitions at once up to partitionsConsumedConcurrently, and settles the batch only when
// every message in it was processed: a commit always follows the handler.
const { EventEmitter } = require('node:events');
const { Consumer: NativeConsumer, notProcessed } = require('../client/consumer');
const { Admin: NativeAdmin } = require('../client/admin');
const { kafkaJSGroup } = require('./admin');
const { Batch } = require('./batch');
const { resolveBrokers, reachCluster, nativeLogger, retryDelay, invalid, checkKnown } = require('./client');
const {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSNumberOfRetriesExceeded,
  kafkaJSErrors,
  notSupported,
} = require('./errors');

const CONSUMER_OPTIONS = [
  'groupId',
  'partitionAssigners',
  'sessionTimeout',
  'rebalanceTimeout',
  'heartbeatInterval',
  'metadataMaxAge',
  'allowAutoTopicCreation',
  'maxBytesPerPartition',
  'minBytes',
  'maxBytes',
  'maxWaitTimeInMs',
  'retry',
  'readUncommitted',
  'maxInFlightRequests',
  'rackId',
];
const RUN_OPTIONS = [
  'autoCommit',
  'autoCommitInterval',
  'autoCommitThreshold',
  'eachBatchAutoResolve',
  'partitionsConsumedConcurrently',
  'eachBatch',
  'eachMessage',
];
const events = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
};
const EMITTED = [
  events.GROUP_JOIN,
  events.START_BATCH_PROCESS,
  events.END_BATCH_PROCESS,
  events.CONNECT,
  events.DISCONNECT,
  events.STOP,
  events.CRASH,
  events.REBALANCING,
];
// The built-in assigner KafkaJS users name. librdkafka assigns partitions itself, with
// cooperative-sticky here, whatever the assigners: it cannot run a JavaScript assign().
const roundRobin = Object.assign(() => ({ name: 'RoundRobinAssigner', version: 0 }), { kafkaNative: 'roundrobin' });
const PartitionAssigners = { roundRobin };
// Assigners whose purpose cooperative-sticky serves, so it is said once at debug level: NestJS's
// reply assigner gives each client member a partition of each reply topic and keeps it across
// rebalances; cooperative-sticky gives every member a share (at least one partition when there
// are as many as members) and moves as few as it can.
const SERVED_BY_STICKY = new Set(['RoundRobinAssigner', 'NestReplyPartitionAssigner']);
const DEFAULT_HEARTBEAT_MS = 3000; // KafkaJS's
// How long run() waits, after the first assignment is made, for it to be told here.
const JOIN_TOLD_WAIT_MS = 2000;
// How often the statistics (each partition's high watermark, for batch.highWatermark) come.
const STATS_INTERVAL_MS = 1000;

const key = (topic, partition) => `${partition}\0${topic}`;

// START_BATCH_PROCESS's fields (and END_BATCH_PROCESS's, which add the duration) for `batch`,
// its `size` messages handed over.
function batchFields(batch, size) {
  const { topic, partition, highWatermark } = batch;
  return {
    topic,
    partition,
    highWatermark,
    offsetLag: batch.offsetLag(),
    offsetLagLow: batch.offsetLagLow(),
    batchSize: size,
    firstOffset: batch.firstOffset(),
    lastOffset: batch.lastOffset(),
  };
}

// KafkaJS's batchContext (the fields of the record batch a message came in) for one partition's
// messages of a kafka-native batch. librdkafka does not hand record batches out: the offsets and
// timestamps are those of these messages, and what is not known is Kafka's "none" (-1).
function batchContext(messages) {
  const first = messages[0];
  const last = messages[messages.length - 1];
  let maxTimestamp = -1;
  for (const m of messages) if (m.timestamp > maxTimestamp) maxTimestamp = m.timestamp;
  return {
    firstOffset: String(first.offset),
    firstTimestamp: String(first.timestamp ?? -1),
    partitionLeaderEpoch: -1,
    inTransaction: false,
    isControlBatch: false,
    lastOffsetDelta: Number(last.offset) - Number(first.offset),
    producerId: '-1',
    producerEpoch: -1,
    firstSequence: -1,
    maxTimestamp: String(maxTimestamp),
    timestampType: 0,
    magicByte: 2,
  };
}

// A kafka-native message as KafkaJS's (librdkafka hands no control record out).
function kafkaMessage(m, context) {
  return {
    magicByte: 2,
    attributes: 0,
    timestamp: String(m.timestamp ?? -1),
    offset: String(m.offset),
    key: m.key ?? null,
    value: m.payload,
    headers: m.headers ?? {},
    isControlRecord: false,
    batchContext: context,
  };
}

// The messages of a kafka-native batch by topic-partition, each in offset order.
function byPartition(messages) {
  const groups = new Map();
  for (const m of messages) {
    const k = key(m.topic, m.partition);
    let group = groups.get(k);
    if (!group) groups.set(k, (group = { topic: m.topic, partition: m.partition, messages: [] }));
    group.messages.push(m);
  }
  return [...groups.values()];
}

// Runs tasks at most `limit` at a time. After one fails no other starts, those under way finish,
// and then the first failure is thrown.
async function inParallel(tasks, limit) {
  let next = 0;
  let failed = null;
  const worker = async () => {
    while (next < tasks.length && !failed) {
      try {
        await tasks[next++]();
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failed) throw failed.err;
}

class Consumer {
  constructor(kafka, config = {}) {
    if (config === null || typeof config !== 'object') throw invalid('kafka.consumer() takes an object like {groupId}');
    checkKnown(config, CONSUMER_OPTIONS, 'kafka.consumer()');
    if (typeof config.groupId !== 'string' || config.groupId.trim() === '')
      throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.');
    this._kafka = kafka;
    this._config = config;
    this._groupId = config.groupId;
    this._retry = { ...kafka._config.retry, ...(config.retry || {}) };
    this._topics = []; // [{topic, fromBeginning}]
    this._emitter = new EventEmitter();
    this._logger = kafka.logger().namespace('Consumer');
    this._takeAssigners(config.partitionAssigners);
    this._paused = new Map(); // key -> {topic, partition} ; topic -> true for a whole topic
    this._pausedTopics = new Set();
    this._waitingForResume = new Set();
    this._highWatermarks = new Map();
    this._seeking = new Set(); // partitions sought during the batch in hand
    this._sleepers = new Set(); // retry backoffs under way, cut short by stop()
    this._joinWaiters = new Set(); // run() waiting for a GROUP_JOIN, cut short by stop()
    this._running = false;
    this.events = events;
  }

  // partitionAssigners as KafkaJS takes them: factories of {name, version, protocol(), assign()}.
  // Each is made (with KafkaJS's {cluster, groupId, logger}) for its name; none assigns:
  // librdkafka does, with cooperative-sticky.
  _takeAssigners(factories = [roundRobin]) {
    if (!Array.isArray(factories)) throw new KafkaJSNonRetriableError('partitionAssigners must be an array of assigner factories');
    const cluster = {
      findTopicPartitionMetadata: () => {
        throw notSupported(
          "an assigner's cluster.findTopicPartitionMetadata()",
          'librdkafka assigns partitions itself; a custom assign() is never called',
        );
      },
    };
    factories.forEach((factory, i) => {
      if (typeof factory !== 'function')
        throw new KafkaJSNonRetriableError(`partitionAssigners[${i}] must be a function (config) => assigner`);
      if (factory === roundRobin) return;
      const assigner = factory({ cluster, groupId: this._groupId, logger: this._logger });
      const name = assigner && typeof assigner.name === 'string' ? assigner.name : `partitionAssigners[${i}]`;
      const note = `partition assigner ${name}: its assign() is not called; librdkafka assigns with cooperative-sticky (balanced, and a member keeps what it had where it can)`;
      if (SERVED_BY_STICKY.has(name)) this._logger.debug(note, { groupId: this._groupId });
      else this._logger.warn(note, { groupId: this._groupId });
    });
  }

  async connect() {
    const bootstrap = await resolveBrokers(this._kafka._config.brokers);
    await reachCluster(this._kafka._config, bootstrap, this._logger);
    this._bootstrap = bootstrap;
    this._connected = true;
    this._emit(events.CONNECT, null);
  }

  async disconnect() {
    await this.stop();
    this._connected = false;
    this._emit(events.DISCONNECT, null);
  }

  logger() {
    return this._logger;
  }

  on(eventName, listener) {
    if (!Object.values(events).includes(eventName)) {
      throw new KafkaJSNonRetriableError(`Event name should be one of ${Object.values(events).join(', ')}`);
    }
    if (!EMITTED.includes(eventName)) {
      throw notSupported(
        `consumer event ${eventName}`,
        "librdkafka does its fetches, heartbeats, commits and requests itself and reports none of them one by one; use kafka-native's stats_callback",
      );
    }
    // Called at once, as KafkaJS's emitter does (NestJS reads GROUP_JOIN's assignment before
    // run() resolves); a listener that throws or rejects is logged.
    const failed = (e) => this._logger.error(`Failed to execute listener: ${e && e.message}`, { eventName, stack: e && e.stack });
    const wrapped = (event) => {
      try {
        const result = listener(event);
        if (result && typeof result.then === 'function') result.then(undefined, failed);
      } catch (e) {
        failed(e);
      }
    };
    this._emitter.on(eventName, wrapped);
    return () => this._emitter.off(eventName, wrapped);
  }

  _emit(type, payload) {
    this._emitter.emit(type, { id: 0, type, timestamp: Date.now(), payload });
  }

  // Topics by name or RegExp; a RegExp matches the topics that exist now (as in KafkaJS).
  async subscribe(subscription = {}) {
    return kafkaJSErrors(async () => {
      if (this._running) throw new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running');
      const { topic, topics, fromBeginning = false } = subscription;
      const wanted = topics ?? (topic !== undefined ? [topic] : null);
      if (!Array.isArray(wanted) || wanted.length === 0) throw new KafkaJSNonRetriableError('Missing required argument "topics"');
      for (const t of wanted) {
        if (!(typeof t === 'string' || t instanceof RegExp))
          throw new KafkaJSNonRetriableError(`Invalid topic ${t} (${typeof t}), the topic name has to be a String or a RegExp`);
      }
      const given = wanted.filter((t) => typeof t === 'string');
      const patterns = wanted.filter((t) => t instanceof RegExp);
      if (patterns.length > 0 && !this._connected)
        throw new KafkaJSError('The consumer is disconnected; connect() before subscribing with a RegExp');
      // One admin client, and one list of the topics, for the RegExps and the check below.
      const admin = this._connected ? this._admin() : null;
      try {
        let listed = null;
        const existing = async () => (listed ??= new Set((await admin.listTopics()).map((t) => t.topic)));
        const names = [...given];
        if (patterns.length > 0) {
          for (const name of await existing()) {
            if (
              patterns.some((p) => {
                p.lastIndex = 0;
                return p.test(name);
              })
            )
              names.push(name);
          }
        }
        // Recorded before they are checked, as KafkaJS does (Moleculer calls run() without
        // awaiting subscribe()); a subscription that fails its check is taken back. (A topic a
        // RegExp matched exists: only the names given are checked.)
        const added = names
          .filter((name) => !this._topics.some((t) => t.topic === name))
          .map((name) => ({ topic: name, fromBeginning: !!fromBeginning }));
        this._topics.push(...added);
        if (!admin) return;
        try {
          await this._checkTopicsExist(admin, given, existing);
        } catch (err) {
          this._topics = this._topics.filter((t) => !added.includes(t));
          throw err;
        }
      } finally {
        await admin?.stop();
      }
    });
  }

  // As KafkaJS's subscribe(), which asks the topics' metadata: a topic that does not exist and
  // will not be made for the asking (allowAutoTopicCreation false, or brokers that do not
  // auto-create) is refused at once with UNKNOWN_TOPIC_OR_PARTITION (not asked, librdkafka's
  // group member would wait for an assignment that never comes); where the brokers auto-create,
  // it is made with their defaults, as KafkaJS's asking makes it. `existing()` resolves with the
  // cluster's topic names.
  async _checkTopicsExist(admin, names, existing) {
    if (names.length === 0) return;
    const known = await existing();
    const missing = names.filter((name) => !known.has(name));
    if (missing.length === 0) return;
    let autoCreated = 'no';
    if (this._config.allowAutoTopicCreation !== false) {
      const { brokers } = await admin.describeCluster();
      // Brokers that cannot say (the MockCluster has no DescribeConfigs; it makes any topic
      // a client asks for) are left to make it.
      autoCreated = await admin.describeConfigs([{ kind: 'broker', name: String(brokers[0].id) }]).then(
        ([described]) => (described.entries.some((e) => e.name === 'auto.create.topics.enable' && e.value === 'true') ? 'yes' : 'no'),
        () => 'unknown',
      );
    }
    if (autoCreated === 'unknown') return;
    if (autoCreated === 'no') {
      throw new KafkaJSProtocolError({
        message: `This server does not host this topic-partition (topic ${missing.map((t) => JSON.stringify(t)).join(', ')} does not exist, and is not created for the asking)`,
        type: 'UNKNOWN_TOPIC_OR_PARTITION',
        code: 3,
        retriable: true,
      });
    }
    await Promise.all(
      missing.map((topic) =>
        admin.createTopics([{ topic, partitions: -1 }]).catch((err) => {
          if (err.code !== 'TOPIC_ALREADY_EXISTS') throw err;
        }),
      ),
    );
  }

  async run(options = {}) {
    return kafkaJSErrors(async () => {
      if (this._running) {
        this._logger.warn('consumer#run was called, but the consumer is already running', { groupId: this._groupId });
        return;
      }
      checkKnown(options, RUN_OPTIONS, 'run()');
      const { eachMessage, eachBatch, autoCommit = true, eachBatchAutoResolve = true, partitionsConsumedConcurrently = 1 } = options;
      if (!this._connected) throw new KafkaJSError('The consumer is disconnected');
      if (typeof eachMessage !== 'function' && typeof eachBatch !== 'function')
        throw new KafkaJSNonRetriableError('Consumer run requires eachMessage or eachBatch');
      if (!Number.isInteger(partitionsConsumedConcurrently) || partitionsConsumedConcurrently < 1)
        throw invalid('partitionsConsumedConcurrently must be a positive integer');
      if (this._topics.length === 0) throw new KafkaJSNonRetriableError('Consumer must be subscribed to at least one topic');
      const fromBeginning = new Set(this._topics.map((t) => t.fromBeginning));
      if (fromBeginning.size > 1)
        throw notSupported(
          'subscribing to some topics fromBeginning and others not',
          'one consumer starts every partition without a committed offset at the same end',
        );
      this._handlers = {
        eachMessage,
        eachBatch,
        eachBatchAutoResolve,
        autoCommit: autoCommit !== false,
        concurrency: partitionsConsumedConcurrently,
      };
      this._running = true;
      this._assignment = new Map();
      this._joins = 0;
      this._native = this._makeNative(fromBeginning.has(true), autoCommit !== false);
      try {
        await this._native.start();
      } catch (err) {
        this._running = false;
        this._native = null;
        throw err;
      }
      // As KafkaJS: run() resolves after the member joined and GROUP_JOIN told its assignment.
      // start() resolves once the first assignment (possibly empty) is made; its rebalance
      // callback is on its way to this thread. (A KIP-848 group may start with none told.)
      await this._joinAfter(0, JOIN_TOLD_WAIT_MS);
      if (this._joins === 0) this._joined();
      // Cooperatively, a member joining a group whose partitions are all owned gets none at
      // first and its share once the others let theirs go, a moment later: run() resolves
      // with that share (KafkaJS's eager join hands it at once), or with none after a while
      // (as when the group has more members than partitions).
      // The second round starts when the others hear of it, at their next heartbeat.
      const deadline = Date.now() + 2 * (this._config.heartbeatInterval ?? DEFAULT_HEARTBEAT_MS) + 1000;
      while (this._running && this._assignment.size === 0 && Date.now() < deadline) {
        await this._joinAfter(this._joins, deadline - Date.now());
      }
    });
  }

  // Resolves once more than `seen` joins were told, after `ms` at most, or when stop() comes.
  _joinAfter(seen, ms) {
    if (this._joins > seen) return Promise.resolve();
    return this._sleep(ms, this._joinWaiters);
  }

  _makeNative(fromBeginning, autoCommit) {
    const c = this._config;
    const driver_options = { ...this._kafka._config.props };
    const set = (name, value) => {
      if (value !== undefined && value !== null) driver_options[name] = value;
    };
    set('session.timeout.ms', c.sessionTimeout ?? 30000);
    set('heartbeat.interval.ms', c.heartbeatInterval ?? DEFAULT_HEARTBEAT_MS);
    set('max.poll.interval.ms', c.rebalanceTimeout);
    set('metadata.max.age.ms', c.metadataMaxAge);
    set('max.partition.fetch.bytes', c.maxBytesPerPartition);
    set('fetch.min.bytes', c.minBytes);
    set('fetch.max.bytes', c.maxBytes);
    set('client.rack', c.rackId);
    set('max.in.flight.requests.per.connection', c.maxInFlightRequests);
    if (c.allowAutoTopicCreation !== undefined) driver_options['allow.auto.create.topics'] = c.allowAutoTopicCreation !== false;
    return new NativeConsumer({
      broker: this._bootstrap,
      topic: this._topics.map((t) => t.topic),
      group_id: this._groupId,
      offset_directory: null,
      auto_commit: autoCommit,
      start_offset: fromBeginning ? 'earliest' : 'latest',
      isolation_level: c.readUncommitted ? 'read_uncommitted' : 'read_committed',
      payload_encoding: 'buffer',
      ...(c.maxWaitTimeInMs !== undefined ? { fetch_wait_max_ms: c.maxWaitTimeInMs } : {}),
      statistics_interval_ms: STATS_INTERVAL_MS,
      stats_callback: (stats) => this._noteWatermarks(stats.rdkafka_stats),
      rebalance_callback: (change) => this._rebalanced(change),
      receive_callback: (batch) => this._process(batch.messages),
      driver_options,
      oauthbearer_token_callback: this._kafka._config.oauthbearer_token_callback,
      logger: nativeLogger(this._logger),
    });
  }

  _noteWatermarks(stats) {
    for (const [topic, t] of Object.entries(stats?.topics || {})) {
      for (const [partition, p] of Object.entries(t.partitions || {})) {
        if (p.hi_offset >= 0) this._highWatermarks.set(key(topic, Number(partition)), p.hi_offset);
      }
    }
  }

  // A rebalance's change. KafkaJS tells REBALANCING when the group rebalances and GROUP_JOIN
  // with the member's whole assignment after each join; librdkafka's cooperative protocol tells
  // a revocation, then an assignment (possibly empty) once the member rejoined.
  _rebalanced({ assigned, revoked }) {
    for (const { topic, partition } of revoked) this._assignment.delete(key(topic, partition));
    for (const { topic, partition } of assigned) this._assignment.set(key(topic, partition), { topic, partition });
    if (revoked.length > 0) this._emit(events.REBALANCING, { groupId: this._groupId, memberId: '' });
    if (revoked.length === 0) this._joined();
  }

  _joined() {
    const memberAssignment = {};
    for (const { topic, partition } of this._assignment.values()) (memberAssignment[topic] ||= []).push(partition);
    for (const partitions of Object.values(memberAssignment)) partitions.sort((a, b) => a - b);
    this._joins++;
    this._emit(events.GROUP_JOIN, {
      groupId: this._groupId,
      memberId: '',
      leaderId: '',
      isLeader: false,
      memberAssignment,
      groupProtocol: 'cooperative-sticky',
      duration: 0,
    });
    for (const done of [...this._joinWaiters]) done();
  }

  // One kafka-native batch: its partitions processed (in order each, several at once), then the
  // batch settles. A handler that throws is retried (KafkaJS's retry schedule) until it succeeds
  // or the consumer stops; a stop in that state leaves the batch unprocessed (read again).
  async _process(messages) {
    this._seeking.clear(); // a seek asked for before this batch was applied before it
    const groups = byPartition(messages);
    const { eachMessage, concurrency } = this._handlers;
    try {
      await inParallel(
        groups.map((g) => () => (eachMessage ? this._eachMessage(g) : this._eachBatch(g))),
        concurrency,
      );
    } catch (err) {
      throw notProcessed(err && err.message ? err.message : String(err));
    }
  }

  // Waits while the partition (or its topic) is paused; false if the consumer stopped meanwhile.
  _isPaused(topic, partition) {
    return this._pausedTopics.has(topic) || this._paused.has(key(topic, partition));
  }

  async _whileRunningUnpaused(topic, partition) {
    while (this._running && this._isPaused(topic, partition)) {
      await new Promise((resolve) => {
        this._waitingForResume.add(resolve);
      });
    }
    return this._running;
  }

  // Waits `ms`, or less if the consumer stops meanwhile (a retry's backoff must not hold stop())
  // or one of `wakers` (a set of functions, each ending its wait) is called.
  _sleep(ms, wakers = this._sleepers) {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakers.add(done);
    });
  }

  _wakeResumed() {
    const waiting = [...this._waitingForResume];
    this._waitingForResume.clear();
    for (const resolve of waiting) resolve();
  }

  // Calls the handler until it succeeds; throws when the consumer stops before that, or when
  // restartOnFailure says not to go on.
  async _withRetries(call, topic, partition) {
    for (let attempt = 0; ; attempt++) {
      try {
        // A handler that paused its own partition and threw is called again once it is resumed.
        if (attempt > 0 && !(await this._whileRunningUnpaused(topic, partition))) throw new Error('stopped');
        return await call();
      } catch (err) {
        if (!this._running) throw err;
        const error = err instanceof KafkaJSError ? err : new KafkaJSError(err instanceof Error ? err : String(err), { cause: err });
        const round = attempt % (this._retry.retries + 1);
        this._logger.error(`Error when calling eachMessage/eachBatch: ${err && err.message}`, {
          groupId: this._groupId,
          retryCount: round,
          stack: err && err.stack,
        });
        if (round === this._retry.retries) {
          // KafkaJS crashes here and restarts the consumer, which reads the message again.
          const exceeded = new KafkaJSNumberOfRetriesExceeded(error, { retryCount: round, retryTime: 0 });
          let restart = true;
          if (this._retry.restartOnFailure) restart = await this._retry.restartOnFailure(exceeded).catch(() => true);
          if (!restart) {
            // As KafkaJS: the consumer disconnects (STOP, DISCONNECT), then tells the crash. Its
            // native consumer stops once this batch has settled (unprocessed: read again).
            this._running = false;
            this._connected = false;
            this._emit(events.STOP, null);
            this._emit(events.DISCONNECT, null);
            this._emit(events.CRASH, { error: exceeded, groupId: this._groupId, restart });
            setImmediate(() => this._stopNative().catch((e) => this._logger.error(`stop after crash failed: ${e.message}`)));
            throw err;
          }
          // The layer restarts in place: the same member calls the handler again.
          this._emit(events.CRASH, { error: exceeded, groupId: this._groupId, restart });
        }
        await this._sleep(retryDelay(this._retry, round));
        if (!this._running) throw err;
      }
    }
  }

  // eachMessage over one partition's messages of the batch in hand. When a handler throws, the
  // messages before it are committed first (with autoCommit), as KafkaJS does. As KafkaJS's,
  // the partition's batch is framed by START_BATCH_PROCESS and END_BATCH_PROCESS.
  async _eachMessage({ topic, partition, messages }) {
    const { eachMessage, autoCommit } = this._handlers;
    const commitThrough = this._committer(topic, partition, autoCommit);
    let done = null; // the offset of the last message handled
    const context = batchContext(messages);
    const frame = this._batchFrame(topic, partition, messages, context);
    for (const m of messages) {
      if (this._seeking.has(key(topic, partition))) return; // read again from where it was sought
      // Stopped (or stopped while paused): no further call, as in KafkaJS. What was handled is
      // committed; the batch is left unprocessed, its rest read again by the group.
      if (!(await this._whileRunningUnpaused(topic, partition))) {
        await commitThrough(done);
        throw new Error(`stopped before ${topic}[${partition}] offset ${m.offset}`);
      }
      const payload = {
        topic,
        partition,
        message: kafkaMessage(m, context),
        heartbeat: async () => {},
        pause: () => this._pauseOne(topic, partition),
      };
      await this._withRetries(
        async () => {
          try {
            await eachMessage(payload);
          } catch (err) {
            await commitThrough(done);
            throw err;
          }
        },
        topic,
        partition,
      );
      done = m.offset;
    }
    frame.end();
  }

  // START_BATCH_PROCESS now for a partition's `messages` (kafka-native's, of `context`) handed
  // to eachMessage; end() emits END_BATCH_PROCESS, with its duration. Nothing, and no work on
  // the messages, when no one listens.
  _batchFrame(topic, partition, messages, context) {
    const listening = [events.START_BATCH_PROCESS, events.END_BATCH_PROCESS].some((e) => this._emitter.listenerCount(e) > 0);
    if (!listening || messages.length === 0) return { end() {} };
    const { batch } = this._batchPayload(
      topic,
      partition,
      messages.map((m) => kafkaMessage(m, context)),
      {},
    );
    const fields = batchFields(batch, messages.length);
    this._emit(events.START_BATCH_PROCESS, fields);
    const started = Date.now();
    return {
      end: () =>
        this._emit(events.END_BATCH_PROCESS, {
          ...fields,
          offsetLag: batch.offsetLag(),
          offsetLagLow: batch.offsetLagLow(),
          duration: Date.now() - started,
        }),
    };
  }

  // eachBatch over one partition's messages of the batch in hand. As KafkaJS: what resolveOffset()
  // marked is not handed again (a retry, and without eachBatchAutoResolve the next call, start
  // after it) and is committed (with autoCommit) when the handler throws, and without
  // eachBatchAutoResolve when it returns.
  async _eachBatch({ topic, partition, messages }) {
    const { eachBatch, eachBatchAutoResolve, autoCommit } = this._handlers;
    const commitThrough = this._committer(topic, partition, autoCommit);
    const context = batchContext(messages);
    let rest = messages.map((m) => kafkaMessage(m, context));
    let resolved = null; // the last offset resolveOffset() was given
    const afterResolved = () => (resolved === null ? rest : rest.filter((m) => Number(m.offset) > Number(resolved)));
    while (rest.length > 0 && !this._seeking.has(key(topic, partition))) {
      if (!(await this._whileRunningUnpaused(topic, partition))) {
        // Stopped: no further call, as in KafkaJS; what was resolved is committed, the rest read again.
        await commitThrough(resolved);
        throw new Error(`stopped with ${topic}[${partition}] unprocessed`);
      }
      let ends = null; // END_BATCH_PROCESS's fields of the call that succeeds
      await this._withRetries(
        async () => {
          rest = afterResolved();
          if (rest.length === 0) return;
          const { batch, payload } = this._batchPayload(topic, partition, rest, {
            resolveOffset: (offset) => {
              if (resolved === null || Number(offset) > Number(resolved)) resolved = String(offset);
            },
            uncommittedOffsets: () => ({
              topics:
                resolved === null ? [] : [{ topic, partitions: [{ partition: String(partition), offset: String(Number(resolved) + 1) }] }],
            }),
          });
          const fields = batchFields(batch, rest.length);
          this._emit(events.START_BATCH_PROCESS, fields);
          const started = Date.now();
          try {
            await eachBatch(payload);
          } catch (err) {
            await commitThrough(resolved);
            throw err;
          }
          ends = { ...fields, offsetLag: batch.offsetLag(), offsetLagLow: batch.offsetLagLow(), duration: Date.now() - started };
        },
        topic,
        partition,
      );
      if (ends) this._emit(events.END_BATCH_PROCESS, ends);
      if (eachBatchAutoResolve) return;
      await commitThrough(resolved);
      // What the handler did not resolve comes again (KafkaJS fetches it again from there),
      // unless the consumer is stopping (checked above): then it is read again later.
      rest = afterResolved();
      if (rest.length > 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  // Commits (with autoCommit) a partition's offsets through `last` (a message's offset, or null
  // for none yet), each position once, while its batch is in hand: through the batch's own native
  // consumer (stop() lets go of the layer's at once). A failed commit is logged: the batch's own
  // commit, once it is processed, covers it.
  _committer(topic, partition, autoCommit) {
    const native = this._native;
    let committed = null;
    return async (last) => {
      if (!autoCommit || last === null || Number(last) === committed) return;
      committed = Number(last);
      try {
        await native.commit([{ topic, partition, offset: committed + 1 }]);
      } catch (e) {
        this._logger.error(`commit of offsets through ${topic}[${partition}] ${committed} failed: ${e.message}`, {
          groupId: this._groupId,
        });
      }
    };
  }

  // eachBatch's {batch, payload} for `messages`; `offsets` gives resolveOffset and
  // uncommittedOffsets.
  _batchPayload(topic, partition, messages, offsets) {
    const high = this._highWatermarks.get(key(topic, partition));
    const last = messages[messages.length - 1].offset;
    const highWatermark = String(high !== undefined && high > Number(last) ? high : Number(last) + 1);
    // fetchedOffset: where this partition's messages in hand start.
    const batch = new Batch(topic, partition, highWatermark, messages[0].offset, messages);
    const payload = {
      batch,
      ...offsets,
      heartbeat: async () => {},
      // Offsets are committed once the kafka-native batch they came in is processed.
      commitOffsetsIfNecessary: async () => {},
      isRunning: () => this._running,
      // Stale once the partition was sought (kafka-native gives no partition away while its
      // batch is in hand, so a rebalance never makes a batch stale).
      isStale: () => this._seeking.has(key(topic, partition)),
      pause: () => this._pauseOne(topic, partition),
    };
    return { batch, payload };
  }

  // Pauses one partition from inside a handler; returns the function that resumes it.
  _pauseOne(topic, partition) {
    this._paused.set(key(topic, partition), { topic, partition });
    return () => this.resume([{ topic, partitions: [partition] }]);
  }

  // [{topic, partitions?}]: a whole topic without partitions. Messages of a paused partition in
  // the batch in hand wait (in order) until it is resumed, and so does the next batch.
  pause(topicPartitions) {
    if (!Array.isArray(topicPartitions)) throw new KafkaJSNonRetriableError('Expected an array of {topic, partitions}');
    for (const { topic, partitions } of topicPartitions) {
      if (typeof topic !== 'string') throw new KafkaJSNonRetriableError('Invalid topic to pause');
      if (partitions === undefined) this._pausedTopics.add(topic);
      else for (const partition of partitions) this._paused.set(key(topic, partition), { topic, partition });
    }
  }

  resume(topicPartitions) {
    if (!Array.isArray(topicPartitions)) throw new KafkaJSNonRetriableError('Expected an array of {topic, partitions}');
    for (const { topic, partitions } of topicPartitions) {
      if (partitions === undefined) {
        this._pausedTopics.delete(topic);
        for (const [k, tp] of this._paused) if (tp.topic === topic) this._paused.delete(k);
      } else {
        for (const partition of partitions) this._paused.delete(key(topic, partition));
      }
    }
    this._wakeResumed();
  }

  paused() {
    const byTopic = new Map();
    for (const topic of this._pausedTopics)
      byTopic.set(topic, new Set((this._native?.assignment() || []).filter((tp) => tp.topic === topic).map((tp) => tp.partition)));
    for (const { topic, partition } of this._paused.values()) {
      if (!byTopic.has(topic)) byTopic.set(topic, new Set());
      byTopic.get(topic).add(partition);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }));
  }

  // As KafkaJS's: the rest of the partition's messages in the batch in hand are skipped (and
  // eachBatch's isStale() turns true), the partition is read from `offset` next, and that
  // position is committed. A partition not assigned to this member is left alone (logged).
  seek({ topic, partition, offset } = {}) {
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
    if (isNaN(partition)) throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${partition}`);
    let at;
    try {
      at = BigInt(offset);
    } catch {
      throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${offset}`);
    }
    if (at < 0n && at !== -1n && at !== -2n) throw new KafkaJSNonRetriableError('Offset must not be a negative number');
    if (!this._native) throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
    const p = Number(partition);
    if (!this._native.assignment().some((tp) => tp.topic === topic && tp.partition === p)) {
      this._logger.warn(`seek of ${topic}[${p}] to ${offset} ignored: the partition is not assigned to this member`, {
        groupId: this._groupId,
      });
      return;
    }
    this._native.seek(topic, p, at === -1n ? 'latest' : at === -2n ? 'earliest' : Number(at));
    this._seeking.add(key(topic, p));
  }

  // [{topic, partition, offset}]: each partition's next offset to read, as in KafkaJS.
  async commitOffsets(topicPartitions = []) {
    return kafkaJSErrors(async () => {
      if (!this._native) throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
      const offsets = topicPartitions.map(({ topic, partition, offset, metadata }) => {
        if (metadata !== undefined && metadata !== null)
          throw notSupported('commitOffsets() metadata', 'librdkafka commits offsets without metadata here');
        let next;
        try {
          next = BigInt(offset);
        } catch {
          throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${offset}`);
        }
        if (next < 0n) throw new KafkaJSNonRetriableError('Offset must not be a negative number');
        return { topic, partition: Number(partition), offset: Number(next) };
      });
      await this._native.commit(offsets);
    });
  }

  // The group as admin.describeGroups() describes it.
  async describeGroup() {
    return kafkaJSErrors(async () => {
      if (!this._connected) throw new KafkaJSError('The consumer is disconnected; connect() before describeGroup()');
      const admin = this._admin();
      try {
        const [group] = await admin.describeGroups([this._groupId]);
        return kafkaJSGroup(group);
      } finally {
        await admin.stop();
      }
    });
  }

  // A short-lived admin client on the consumer's brokers and credentials.
  _admin() {
    return new NativeAdmin({
      broker: this._bootstrap,
      driver_options: this._kafka._config.props,
      oauthbearer_token_callback: this._kafka._config.oauthbearer_token_callback,
      logger: nativeLogger(this._logger),
    });
  }

  async stop() {
    this._running = false;
    this._wakeResumed();
    for (const wake of [...this._sleepers, ...this._joinWaiters]) wake();
    await this._stopNative();
    this._emit(events.STOP, null);
  }

  async _stopNative() {
    const native = this._native;
    this._native = null;
    if (native) await kafkaJSErrors(() => native.stop());
  }
}

module.exports = { Consumer, PartitionAssigners };
