// Types for kafka-native's JavaScript API (the addon's own generated types are in native/index.d.ts).
/// <reference types="node" />

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug?(message: string): void;
}

/** librdkafka properties; values are passed on as strings. */
export type LibrdkafkaProperties = Record<string, string | number | boolean>;

/** A SASL/OAUTHBEARER token, as oauthbearer_token_callback gives it. */
export interface OAuthBearerToken {
  token: string;
  /** When it expires, in milliseconds since the epoch (as the Java client's lifetimeMs). */
  lifetime_ms: number;
  principal: string;
  extensions?: Record<string, string>;
}

/** Called with librdkafka's sasl.oauthbearer.config when the client starts and before each token expires. */
export type OAuthBearerTokenCallback = (config: string) => OAuthBearerToken | Promise<OAuthBearerToken>;

export interface ProducerOptions {
  broker: string;
  stats_callback?: (info: ProducerStats) => void;
  delivery_report_callback?: (info: DeliveryReport) => void;
  /** Default 5000. */
  statistics_interval_ms?: number;
  /** How many messages the local queue holds. Default 50000 (librdkafka's is 100000). */
  queue_buffering_max_messages?: number;
  /** The bytes (of payloads and keys) the local queue holds, in KiB. Default 32768 (librdkafka's is 1048576), never below one message.max.bytes. */
  queue_buffering_max_kbytes?: number;
  /** How long a message may wait to fill a batch (librdkafka's linger.ms). Default 0: an awaited send waits for nothing. */
  queue_buffering_max_ms?: number;
  /** How batches are compressed (librdkafka's compression.codec). Default 'none'. */
  compression_codec?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** The broker writes each message once and in order, whatever the retries. Default true. */
  enable_idempotence?: boolean;
  /** Makes the producer transactional (initTransactions() and the rest). Default none. */
  transactional_id?: string;
  /** How long the broker lets a transaction stay open. Default 60000. */
  transaction_timeout_ms?: number;
  driver_options?: LibrdkafkaProperties;
  topic_options?: LibrdkafkaProperties;
  /** Default console. */
  /** With sasl.mechanism OAUTHBEARER: makes the tokens (new). */
  oauthbearer_token_callback?: OAuthBearerTokenCallback;
  logger?: Logger;
}

export interface ProducerStats {
  send_queue_length: number;
  rdkafka_stats: Record<string, any>;
}

export interface DeliveryErrorInfo {
  code: number;
  name: string;
  message: string;
  count: number;
}

export interface DeliveryReport {
  /** Failed deliveries since the last report. */
  errors: number;
  /** Successful deliveries since the last report. */
  delivered: number;
  rdkafka_errinfo: DeliveryErrorInfo[];
}

export interface SendResult {
  enqueued: number;
  send_queue_length: number;
}

/** A message with a key, headers or a timestamp. A null or missing payload is a tombstone. */
export interface ProducerRecord {
  payload?: string | Uint8Array | null;
  key?: string | Uint8Array | null;
  /** A name whose value is an array is written once per value, in order. */
  headers?: Record<string, string | Uint8Array | (string | Uint8Array)[]>;
  /** Milliseconds since the Unix epoch (the message's CreateTime); default: when it is sent. */
  timestamp?: number | null;
}

export declare class Producer {
  constructor(options: ProducerOptions);
  /** Strings are sent as UTF-8; Buffers and Uint8Arrays byte for byte. One native call per batch. */
  send(topic: string, partition: number, payloads: Array<string | Uint8Array | ProducerRecord>): SendResult;
  /**
   * Like `send`, and resolves with where each message landed (in payload order) once all are
   * delivered; rejects with the first failure, or with code `QUEUE_FULL` when the local queue
   * refused some.
   */
  /** `signal`: aborting rejects with an AbortError (aborted before the call: nothing is sent; later: the wait ends, the messages are still sent). */
  deliver(topic: string, partition: number, payloads: Array<string | Uint8Array | ProducerRecord>, options?: { signal?: AbortSignal }): Promise<Array<{ partition: number; offset: number }>>;
  partition_count(topic: string): Promise<number>;
  /** The fatal error this producer raised (`fatal` true, `code` the cause's), or null. After one it refuses every send and can only be stopped. Never waits. */
  fatalError(): KafkaNativeError | null;
  /** How the producer is doing, as it sees it: from the last statistics interval (statistics_interval_ms, 5 s), no request is made. */
  health(): Health;
  /** Registers the transactional producer, fencing older ones with its transactional_id. */
  initTransactions(options?: { timeout?: number } | null): Promise<void>;
  /** Starts a transaction (local: no request). */
  beginTransaction(): void;
  /**
   * Adds the group consumer's position after its batch in hand (`consumer.nextOffsets()`), or
   * the offsets given (each the next offset to read), to the transaction.
   */
  sendOffsetsToTransaction(consumer: Consumer, offsets?: TopicPartitionOffset[] | null, options?: { timeout?: number } | null): Promise<void>;
  /** For a group named by its id (no member generation for the broker to fence a zombie by). */
  sendOffsetsToTransaction(groupId: string, offsets: TopicPartitionOffset[], options?: { timeout?: number } | null): Promise<void>;
  commitTransaction(options?: { timeout?: number } | null): Promise<void>;
  abortTransaction(options?: { timeout?: number } | null): Promise<void>;
  /**
   * The transaction protocol, chosen when `initTransactions()` completes: 2 (transactions v2,
   * KIP-890: no AddPartitionsToTxn/AddOffsetsToTxn round trips, the epoch bumped at every end)
   * where the cluster finalized `transaction.version` 2, else 1. Null before, and without
   * `transactional_id`. Never waits.
   */
  transactionVersion(): 1 | 2 | null;
  /**
   * Resolves once every message is delivered; rejects when `timeout` (ms, default 15000) runs
   * out or when any message this producer enqueued was not delivered.
   */
  stop(options?: { timeout?: number } | null): Promise<void>;
}

export interface Message<P = string | Buffer> {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the Unix epoch (CreateTime, or LogAppendTime where the topic says so); null if it has none. */
  timestamp: number | null;
  /** null for a tombstone (a message without a payload). */
  payload: P | null;
  /** Present when the message has a key. */
  key?: P;
  /** Present when the message has headers; a name that repeats gets an array of its values. */
  headers?: Record<string, Buffer | Buffer[]>;
}

export interface ReceivedBatch<P = string | Buffer> {
  messages: Array<Message<P>>;
  repeats: number;
  misses: number;
  /**
   * Calls `fn` with the batch's trace span (`process <topic>`) active and returns what it returns.
   * `receive_callback` runs so already; a `for await` body over `batches()` runs in its loop's
   * context, so spans it starts are the batch span's children only inside `withContext`.
   */
  withContext<T>(fn: () => T): T;
}

/** A partition of a topic. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A partition's next offset to read (its last processed offset + 1). */
export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** What a consumer group's rebalance changed. */
export interface RebalanceChange {
  assigned: TopicPartition[];
  revoked: TopicPartition[];
}

/** How payloads and keys are given: 'utf8' strings (the default) or Buffers. */
export type PayloadEncoding = 'utf8' | 'buffer';
/** The payload (and key) type for a `payload_encoding`: string, Buffer, or either when it is not known. */
export type PayloadFor<E> = [E] extends ['buffer'] ? Buffer : [E] extends ['utf8'] ? string : string | Buffer;
/** What start() resolves with for a `group_id`: [{topic, partition}] in a group, partition numbers outside one. */
export type StartedFor<G> = [G] extends [undefined] ? number[] : [G] extends [string] ? TopicPartition[] : number[] | TopicPartition[];

/** The options a Consumer and a ShareConsumer take alike. */
export interface ConsumingOptions<E extends PayloadEncoding = PayloadEncoding> {
  broker: string;
  /** A topic, or several (exact names; a Consumer outside a group reads one). */
  topic: string | string[];
  /** 'utf8' (default) gives string payloads and keys; 'buffer' gives Buffers. */
  payload_encoding?: E;
  /** With max_deliveries: where the records that failed every delivery are written first (their original bytes, whatever payload_encoding says), with headers naming their source. */
  dead_letter_topic?: string;
  driver_options?: LibrdkafkaProperties;
  /** Default console. */
  logger?: Logger;
}

/**
 * A Consumer's options. `E` and `G` are what `payload_encoding` and `group_id` are, when known,
 * so that the types of payloads and of start()'s result follow them.
 */
export interface ConsumerOptions<E extends PayloadEncoding = PayloadEncoding, G extends string | undefined = string | undefined> extends ConsumingOptions<E> {
  /** Join this consumer group: the brokers assign partitions and keep the committed offsets. */
  group_id?: G;
  /** 'classic' (default, cooperative-sticky) or 'consumer' (KIP-848). */
  group_protocol?: 'classic' | 'consumer';
  /** Messages of aborted or open transactions are skipped with 'read_committed' (default). */
  isolation_level?: 'read_committed' | 'read_uncommitted';
  /** Told after each rebalance of the group. */
  rebalance_callback?: (change: RebalanceChange) => void;
  /** Offsets are recorded when the returned Promise settles; the next batch waits for it. */
  /** Optional: a Consumer without it is read with batches(), messages() or readable(). */
  receive_callback?: (info: ReceivedBatch<PayloadFor<E>>) => Promise<unknown> | unknown;
  /**
   * Where each partition's last processed offset is kept. Default './kafka-offsets'; null
   * records nothing, so every start reads from `start_offset`.
   */
  offset_directory?: string | null;
  /** Record (in a group: commit) each batch's offsets once it settles. Default true; false: only commit() records. */
  auto_commit?: boolean;
  /** With receive_callback: a batch that throws or rejects is tried again (after 100 ms, doubling up to 2 s) up to this many tries in all; then it goes to dead_letter_topic (if given) and the consumer moves on. */
  max_deliveries?: number;
  /** Where a partition without a recorded offset starts. Default 'earliest'. */
  start_offset?: 'earliest' | 'latest' | number;
  /** A partition with messages to read that hands none over for this long is stuck: health() says so and a warning is logged once. Default 60000; 0: never. Checked at each statistics interval. */
  stuck_after_ms?: number;
  /**
   * librdkafka's fetch.wait.max.ms: how long a broker may hold a fetch that finds no data.
   * Default 500 (Apache Kafka answers as soon as data arrives). The MockCluster and tansu
   * answer only after this wait, so there it is the latency; 5 gives a p99 of about 6 ms there.
   */
  fetch_wait_max_ms?: number;
  stats_callback?: (info: ConsumerStats) => void;
  /** Most messages per receive_callback call. Default 2000 (a batch also holds about 512 KiB of payloads and keys at most). */
  max_messages_per_callback?: number;
  /** Default 5000. */
  statistics_interval_ms?: number;
  /** Bounds librdkafka's prefetch, in KiB. Default 16384. */
  queued_max_messages_kbytes?: number;
  /** Default 1. */
  num_workers?: number;
  /** Default 0. */
  worker_slot?: number;
  topic_options?: LibrdkafkaProperties;
  /** With sasl.mechanism OAUTHBEARER: makes the tokens (new). */
  oauthbearer_token_callback?: OAuthBearerTokenCallback;
}

/** A broker as a client sees it (health()). */
export interface BrokerHealth {
  id: number;
  /** host:port */
  address: string;
  /** librdkafka's state of the connection: 'UP', 'DOWN', 'CONNECT', 'INIT', ... */
  connection: string;
  /** The client lost its connection, or requests waited socket.timeout.ms unanswered (a frozen broker's connection stays 'UP'). */
  down: boolean;
  /** Requests waited a few seconds (5 s; a consumer's fetch_wait_max_ms more) with nothing received: a broker that swallows what it is sent, or one far slower than usual. Called down only at socket.timeout.ms. */
  not_answering: boolean;
  down_since: Date | null;
  last_error: string | null;
  waiting_requests: number;
  throttle_ms: number;
  rtt_ms: number;
}

export interface Health {
  /** 'degraded': a broker it was connected to is down or not answering, no broker was reached yet, or a partition is stuck; 'failed': a fatal error; 'stopped': not started or stopped. */
  status: 'ok' | 'degraded' | 'failed' | 'stopped';
  /** Why it is not 'ok', a sentence each. */
  reasons: string[];
  brokers: BrokerHealth[];
  fatal_error: KafkaNativeError | null;
  /** When statistics last updated it (null before the first). */
  updated: Date | null;
}

export interface ConsumerHealth extends Health {
  partitions: Array<{ topic: string; partition: number; lag: number | null; next_offset: number | null; stalled_since: Date | null; stuck: boolean }>;
  /** A group member's membership, as librdkafka's statistics show it; null outside a group. */
  group: { state: string; join_state: string; rebalances: number; since_rebalance_ms: number | null; assigned: number } | null;
}

export interface ConsumerStats {
  waiting_kafka: number;
  waiting_local: number;
  kafka_log_size: number;
  rdkafka_stats: Record<string, any>;
}

/**
 * For receive_callback's Promise to reject with: the batch was not processed. Its offsets are
 * not recorded (nor committed), the consumer fetches no more, and the next start (or the
 * group's next owner) reads it again.
 */
export declare function notProcessed(reason: string): Error;

/**
 * What the client's Promises reject with and its calls throw for a Kafka or client failure.
 * `code` is librdkafka's error name (e.g. `'UNKNOWN_TOPIC_OR_PART'`, `'_TIMED_OUT'`,
 * `'_TRANSPORT'`), `'_INVALID_ARG'` for a bad option or argument, or the client's own (e.g.
 * `'STOP_TIMED_OUT'`, `'OFFSETS_NOT_STORED'`, `'STOPPED'`, `'QUEUE_FULL'`).
 */
export interface KafkaNativeError extends Error {
  code: string;
  /** librdkafka says the same call may succeed if tried again. */
  retriable?: boolean;
  /** librdkafka says the client can do nothing more: stop it. */
  fatal?: boolean;
  /** librdkafka says the transaction in progress must be aborted. */
  abortable?: boolean;
}

/**
 * How both consumers are read without a receive_callback, one batch out at a time; each starts
 * the consumer. A batch is settled once the loop asks for the next (a Consumer records its
 * offsets, committed in a group; a ShareConsumer accepts the records not acknowledged
 * otherwise). Leaving the loop (break, return or throw) leaves the batch in hand unsettled (a
 * ShareConsumer releases it) and stops the consumer; aborting `signal` ends the loop between
 * batches with an AbortError.
 */
export interface BatchReaders<B, M> {
  /** `for await (const batch of consumer.batches({signal}))`. */
  batches(options?: { signal?: AbortSignal }): AsyncIterableIterator<B>;
  /** As batches(), message by message: a batch is settled once the loop asks for the message after its last. */
  messages(options?: { signal?: AbortSignal }): AsyncIterableIterator<M>;
  /** A ReadableStream of batches, pulled one at a time; cancelling it stops the consumer. */
  readable(options?: { signal?: AbortSignal }): ReadableStream<B>;
}

/**
 * A Consumer; `E` and `G` are its `payload_encoding` and `group_id` where known (see
 * ConsumerOptions), the wide types where not.
 */
export interface Consumer<E extends PayloadEncoding = PayloadEncoding, G extends string | undefined = string | undefined> extends BatchReaders<ReceivedBatch<PayloadFor<E>>, Message<PayloadFor<E>>> {
  /** This worker's partitions; in a group, [{topic, partition}] once the group assigned them. */
  /** `signal`: aborting it stops the consumer (cancelling a start under way); start() rejects with an AbortError. */
  start(options?: { signal?: AbortSignal }): Promise<StartedFor<G>>;
  /** The partitions read now. */
  assignment(): TopicPartition[];
  /** How the consumer is doing, as it sees it: its brokers, partitions (lag, progress, stuck) and group, from the last statistics interval; no request is made. */
  health(): ConsumerHealth;
  /** The batch in hand's next offsets to read (inside receive_callback), else null. */
  nextOffsets(): TopicPartitionOffset[] | null;
  /**
   * Reads the partition from `offset` next, between batches (from inside receive_callback: once
   * its batch settles). The position is recorded (committed, in a group) as `offset - 1`.
   */
  seek(topic: string, partition: number, offset: number | 'earliest' | 'latest'): void;
  /** Records each partition's next offset to read; resolves once stored (committed, in a group). */
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  pause(): void;
  resume(): void;
  /**
   * How far behind each partition read now the handler is: the high watermark, asked of the
   * partition's leader (so it moves while paused), less the next offset to be handed over.
   */
  lag(options?: { timeout?: number }): Promise<PartitionLag[]>;
  /** Resolves after the pending offsets are on disk. */
  stop(): Promise<void>;
}

/**
 * `new Consumer(options)`: payloads are strings unless `payload_encoding` is 'buffer', and
 * start() resolves with partition numbers unless `group_id` is set (then [{topic, partition}]).
 */
export interface ConsumerConstructor {
  new <E extends PayloadEncoding = 'utf8', G extends string | undefined = undefined>(options: ConsumerOptions<E, G>): Consumer<E, G>;
  readonly prototype: Consumer;
}
export declare const Consumer: ConsumerConstructor;

/** A record of a share group, acquired by this member until acknowledged. */
export interface ShareMessage<P = string | Buffer> extends Message<P> {
  /** How many times the record has been delivered, this time included (1 the first time). */
  delivery_count: number;
  /** Processed: done with (otherwise the batch's outcome decides). */
  accept(): void;
  /** Not processed: delivered again, to this member or another. */
  release(): void;
  /** Never to be delivered again (a poison record). */
  reject(): void;
  /** Still being worked on: the broker starts this record's lock anew (Apache Kafka 4.2+); it stays to be acknowledged. */
  renew(): void;
}

/** What a ShareConsumer hands over: to `receive_callback`, and as each value of `batches()`. */
export interface ShareBatch<P = string | Buffer> {
  messages: Array<ShareMessage<P>>;
}

export interface ShareConsumerOptions<E extends PayloadEncoding = PayloadEncoding> extends ConsumingOptions<E> {
  /** The share group. */
  group_id: string;
  /** Resolved: the records not acknowledged otherwise are accepted; thrown or rejected: released. */
  receive_callback?: (batch: ShareBatch<PayloadFor<E>>) => Promise<unknown> | unknown;
  /** 'explicit': records acknowledged one by one or with their batch; 'implicit': librdkafka accepts each batch when the next is fetched. Default 'explicit'. */
  acknowledgement_mode?: 'explicit' | 'implicit';
  /** How many records one batch holds at most (librdkafka's max.poll.records, default 500); about as many with acquire_mode 'batch_optimized'. */
  max_records?: number;
  /** 'record_limit': a fetch acquires at most max_records records, splitting a producer's batch; 'batch_optimized' (Kafka's Java default): whole producer batches, from every broker leading a partition of the member's at once ('record_limit': one broker at a time). Default 'record_limit'. */
  acquire_mode?: 'record_limit' | 'batch_optimized';
  /** Renew the locks of a batch's records not acknowledged yet every half lock while its receive_callback works (explicit mode, Apache Kafka 4.2+). Default false. */
  renew_locks?: boolean;
  /** How long one fetch waits for records, in ms (also the longest stop() waits for one). Default 250. */
  poll_wait_ms?: number;
  /** How long stop() waits for the batch handed over to settle, in ms; then its records are released and stop() rejects with SETTLE_TIMED_OUT. Default 15000. */
  stop_timeout_ms?: number;
  /** How long start() waits for the group to assign this member partitions, in ms; then the consumer stops and start() rejects with _TIMED_OUT. Default 60000. */
  join_timeout_ms?: number;
  /** Told each partition's acknowledgement outcome once the broker answered (Java's AcknowledgementCommitCallback); a failed one (e.g. a lock run out: err.code 'INVALID_RECORD_STATE') is also logged as a warning. */
  acknowledgement_commit_callback?: (outcome: { topic: string; partition: number; offsets: number[]; error?: Error & { code: string } }) => void;
  /** A record delivered more times than this is not handed over again but rejected (dead-lettered first with dead_letter_topic). */
  max_deliveries?: number;
}

/** What a ShareConsumer did with records: its totals, or one partition's (Rust: ShareCounts). */
export interface ShareCounts {
  /** Records handed over: acquired by this member, under a lock. */
  acquired: number;
  /** Of those, records delivered before: released, or held by a member whose lock ran out or that died. */
  redelivered: number;
  /** Acknowledgements made, by type (implicit mode: every record handed over is accepted with the next poll). */
  accepted: number;
  released: number;
  rejected: number;
  /** Lock renewals: message.renew() and renew_locks. */
  renewed: number;
  /** Records whose acknowledgement the broker refused (a lock that had run out) or that could not be sent. */
  failed: number;
  /** Records whose lock ran out in this member's hands: acknowledged or renewed after the lock's end (from the poll that handed them over, for the duration the broker gave, started anew by each renewal). */
  expired: number;
}

/** A ShareConsumer's counts since it started, in all (kafka-native's own: librdkafka's share consumer has no statistics). */
export interface ShareStats extends ShareCounts {
  /** The same counts for each partition this consumer was handed records of: which partition's records keep coming back, or fail. */
  partitions: Array<ShareCounts & { topic: string; partition: number }>;
}

/** A member of a share group (KIP-932, Apache Kafka 4.2 and newer); read as a Consumer is (BatchReaders). */
export declare class ShareConsumer<E extends PayloadEncoding = 'utf8'> {
  constructor(options: ShareConsumerOptions<E>);
  /** Resolves once the group has assigned this member partitions: a record written after is delivered (with share.auto.offset.reset 'latest', one written before is not). */
  start(options?: { signal?: AbortSignal }): Promise<void>;
  /** What this consumer did since it started; local, also after stop(). */
  stats(): ShareStats;
  stop(): Promise<void>;
}
export interface ShareConsumer<E extends PayloadEncoding = 'utf8'> extends BatchReaders<ShareBatch<PayloadFor<E>>, ShareMessage<PayloadFor<E>>> {}

export interface AdminOptions {
  broker: string;
  /** Default 10000. */
  request_timeout_ms?: number;
  driver_options?: LibrdkafkaProperties;
  /** With sasl.mechanism OAUTHBEARER: makes the tokens (new). */
  oauthbearer_token_callback?: OAuthBearerTokenCallback;
  logger?: Logger;
}

export interface NewTopic {
  topic: string;
  /** -1: the broker's default (num.partitions). */
  partitions: number;
  /** Default: the broker's default.replication.factor. */
  replication_factor?: number;
  config?: Record<string, string | number | boolean>;
}

export interface GroupPartitionOffset {
  topic: string;
  partition: number;
  committed: number;
  high_watermark: number;
  lag: number;
}

/** A share group's offsets of one partition (Admin.shareGroupOffsets()), as `kafka-share-groups.sh --describe --offsets`. */
export interface SharePartitionOffset {
  topic: string;
  partition: number;
  /** The share-partition start offset: every record before it is done with; the group delivers from it on. */
  start_offset: number;
  /** The leader epoch the start offset was recorded in; null where the broker does not say. */
  leader_epoch: number | null;
  /** Records from the start offset on the group has not finished with; null from a broker that does not count them. */
  lag: number | null;
}

/** Where a share group is to start on a partition (Admin.setShareGroupOffsets()). */
export interface TopicPartitionStart {
  topic: string;
  partition: number;
  /** An offset (0 or more), 'earliest' or 'latest'; Admin.offsetsAtTime() gives a time's offsets. */
  offset: number | 'earliest' | 'latest';
}

export interface ClusterDescription {
  cluster_id: string | null;
  controller: number | null;
  brokers: Array<{ id: number; host: string; port: number }>;
}

export interface TopicDescription {
  topic: string;
  partitions: Array<{ partition: number; leader: number; replicas: number[]; in_sync_replicas: number[]; error: string | null }>;
}

/** Which protocol a group's members speak: classic, consumer (KIP-848) or share (KIP-932, ShareConsumers); 'unknown' where the brokers do not say. */
export type GroupType = 'classic' | 'consumer' | 'share' | 'unknown';

/** A group as the brokers list it. */
export interface GroupListing {
  group_id: string;
  type: GroupType;
  state: string;
  simple: boolean;
}

export interface GroupDescription {
  group_id: string;
  type: GroupType;
  /** 'Stable', 'Empty', 'PreparingRebalance', 'CompletingRebalance', 'Dead' (no such group), ... */
  state: string;
  partition_assignor: string;
  simple: boolean;
  coordinator: number | null;
  members: Array<{ member_id: string; client_id: string; host: string; group_instance_id: string | null; assignment: Array<{ topic: string; partition: number }> }>;
}

/** A topic, or a broker named by its id (e.g. "1"). */
export interface ConfigResource {
  kind: 'topic' | 'broker' | 'group';
  name: string;
}

export interface ConfigDescription extends ConfigResource {
  entries: Array<{
    name: string;
    value: string | null;
    /** Kafka's config source: 1 topic, 2 dynamic broker, 3 dynamic default broker, 4 static broker, 5 default. */
    source: number;
    is_default: boolean;
    read_only: boolean;
    sensitive: boolean;
    synonyms: Array<{ name: string; value: string | null; source: number }>;
  }>;
}

export interface ConfigChange extends ConfigResource {
  config: Record<string, string | number | boolean>;
}

/** Topics and consumer groups, managed through the brokers. */
export declare class Admin {
  constructor(options: AdminOptions);
  /** Stops the client: later calls reject (`err.code === 'STOPPED'`). Idempotent. */
  stop(): Promise<void>;
  /** Resolves once the brokers' metadata lists every topic with all its partitions. */
  createTopics(topics: NewTopic[]): Promise<void>;
  deleteTopics(topics: string[]): Promise<void>;
  listTopics(): Promise<Array<{ topic: string; partitions: number }>>;
  watermarks(topic: string, partition: number): Promise<{ low: number; high: number }>;
  /** The consumer groups. */
  listGroups(): Promise<GroupListing[]>;
  /** The share groups (KIP-932), as Kafka's Java Admin.listShareGroups(); describeGroups() describes them and deleteGroups() deletes them. */
  listShareGroups(): Promise<GroupListing[]>;
  /** A share group's start offset, leader epoch and lag on each partition it has begun (Apache Kafka 4.1+). */
  shareGroupOffsets(group_id: string): Promise<SharePartitionOffset[]>;
  /** Moves a share group's start offsets; the group must have no members (`err.code === 'NON_EMPTY_GROUP'`). */
  setShareGroupOffsets(group_id: string, offsets: TopicPartitionStart[]): Promise<void>;
  /** Forgets a share group's offsets of whole topics; the group must have no members. */
  deleteShareGroupOffsets(group_id: string, topics: string[]): Promise<void>;
  groupOffsets(group_id: string): Promise<GroupPartitionOffset[]>;
  /** Raises each topic's partition count to `count`; resolves once the metadata lists it. */
  createPartitions(totals: Array<{ topic: string; count: number }>): Promise<void>;
  /** Deletes consumer groups and share groups; one with members is refused (`err.code === 'NON_EMPTY_GROUP'`). */
  deleteGroups(group_ids: string[]): Promise<void>;
  /** Sets a group's committed offsets (each the next offset to read); the group must have no members. */
  setGroupOffsets(group_id: string, offsets: TopicPartitionOffset[]): Promise<void>;
  describeCluster(): Promise<ClusterDescription>;
  /** The topics named, or every topic. */
  describeTopics(topics?: string[]): Promise<TopicDescription[]>;
  /** Each partition's first offset at or after `timestamp`; null where no message is that recent. */
  offsetsAtTime(topic: string, timestamp: number | Date): Promise<Array<{ partition: number; offset: number | null }>>;
  describeGroups(group_ids: string[]): Promise<GroupDescription[]>;
  describeConfigs(resources: ConfigResource[]): Promise<ConfigDescription[]>;
  /** Sets the settings named; the others stay as they are. */
  setConfigs(changes: ConfigChange[]): Promise<void>;
  /** Replaces each resource's dynamic configuration: settings not named return to their defaults. */
  replaceConfigs(changes: ConfigChange[]): Promise<void>;
  /** Deletes each partition's messages before `offset` (-1: all); resolves the new low watermarks. */
  deleteRecords(before: TopicPartitionOffset[]): Promise<TopicPartitionOffset[]>;
}

/** librdkafka's embedded mock cluster: real Kafka-protocol brokers on loopback. */
export declare class MockCluster {
  /** 1 to 64 brokers (default 1). */
  constructor(brokers?: number);
  /** `host:port,...` for the `broker` option. */
  readonly bootstrapServers: string;
  readonly brokerCount: number;
  /** Up to 10,000 partitions; the replication factor is at most the broker count. */
  createTopic(name: string, partitions: number, replicationFactor?: number): void;
  /** The partitions broker `id` led (of topics made with createTopic) move to another replica that is up. */
  brokerDown(id: number): void;
  /** It leads again the partitions that were offline without it. */
  brokerUp(id: number): void;
  /** The broker leading a partition of a topic made with createTopic, or null. */
  partitionLeader(topic: string, partition: number): number | null;
  /** Delays every response of broker `id` by `rttMs` (0 removes the delay). */
  setBrokerRtt(id: number, rttMs: number): void;
  /** Makes broker `id` the leader of a partition, as an election would (with setBrokerRtt: an old leader that hangs rather than goes away). */
  setPartitionLeader(topic: string, partition: number, id: number): void;
  /** How many bytes of batches each partition keeps, now and in topics made later (the mock's default: 5 MiB); past it the oldest batches go, as with Kafka's retention.bytes. */
  setPartitionRetentionBytes(bytes: number): void;
  /** How long a new consumer group's first member waits for others (the mock's default: 3000 ms). */
  setGroupInitialRebalanceDelay(ms: number): void;
  /** Fault injection: the next requests with Kafka API key `apiKey` (0 Produce, 1 Fetch, 3 Metadata, 22 InitProducerId, ...) fail with these errors, one each, in order, named as `err.code` names them (e.g. 'NOT_LEADER_FOR_PARTITION'). */
  pushRequestErrors(apiKey: number, errors: string[]): void;
  /** Makes broker `id` advertise host:port (e.g. a TLS terminator in front of brokerPort(id)). */
  setBrokerAddress(id: number, host: string, port: number): void;
  /** The port broker `id` listens on. */
  brokerPort(id: number): number;
}

export { librdkafkaVersion } from './native/index.js';

export interface PartitionLag {
  topic: string;
  partition: number;
  /** The partition's high watermark: the offset its next message will have. */
  high: number;
  /** The next offset to be handed to the handler (before any was, the group's committed offset); null when unknown. */
  next: number | null;
  /** Messages not yet handed to the handler; null when unknown. */
  lag: number | null;
}

export interface CollectMetricsOptions {
  /** A prom-client Registry (default: prom-client's global one). */
  registry?: { registerMetric(metric: unknown): void };
  /** An OpenTelemetry Meter, instead of a registry. */
  meter?: { createObservableGauge(name: string, options?: object): unknown; createObservableCounter(name: string, options?: object): unknown };
  /** The `client` label of its figures; default "producer-1", "consumer-2", ... */
  name?: string;
}

/**
 * Registers a client's metrics (throughput, delivery failures, queues, consumer lag, rebalances,
 * broker round-trip times) with a Prometheus registry or an OpenTelemetry Meter; read at each scrape.
 */
export declare function collectMetrics(client: Producer | Consumer | ShareConsumer, options?: CollectMetricsOptions): void;

/** The core's defaults (they live in the Rust core; this is a read-only copy). */
export declare const PRODUCER_DEFAULTS: Readonly<Required<Pick<ProducerOptions, 'statistics_interval_ms' | 'queue_buffering_max_messages' | 'queue_buffering_max_kbytes' | 'queue_buffering_max_ms'>>>;
export declare const CONSUMER_DEFAULTS: Readonly<{
  offset_directory: string;
  start_offset: string;
  max_messages_per_callback: number;
  statistics_interval_ms: number;
  queued_max_messages_kbytes: number;
  fetch_wait_max_ms: number;
  num_workers: number;
  worker_slot: number;
}>;
