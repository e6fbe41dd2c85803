// kafka-native/ws-proxy: Kafka over WebSockets, the successor of kafka-proxy.
import type { IncomingMessage, Server } from 'node:http';
import type { EventEmitter } from 'node:events';
import type { Logger, ProducerOptions, ConsumerOptions } from '../index';

export interface KafkaProxyOptions {
  /** The port to listen on (0: any free port). Required unless `server` is given. */
  wsPort?: number;
  /** The address to listen on. Default: every address, as http.Server.listen. */
  host?: string;
  /** Serve the WebSocket upgrades of this HTTP(S) server instead of listening on wsPort. */
  server?: Server;
  /** Broker list, e.g. 'localhost:9092' (a trailing '/' is tolerated, as kafka-proxy wrote it). */
  kafka: string;
  /** How long a fetch that finds nothing waits at the broker, ms (librdkafka's fetch.wait.max.ms). Default 100. */
  idleTimeout?: number;
  /** How much one fetch brings per partition, bytes (max.partition.fetch.bytes). Default librdkafka's 1 MiB. */
  maxBytes?: number;
  /** The partition a client reads when its URL names none. Default 0. */
  partition?: number;
  /** A secret: an upgrade must carry `authorization: basic <auth>`, or standard Basic with base64(auth). */
  auth?: string;
  /**
   * Decides about each upgrade after `auth`; false (or a Promise of it) refuses it with 401.
   * Any other truthy value is the client's identity, which `authorize` and `groupPrefix` see.
   */
  verifyClient?: (req: IncomingMessage) => unknown | Promise<unknown>;
  /** Topics clients may read and send to: names, prefixes ending in '*' ('*': all), or RegExps. Default none. Internal `__*` topics never. */
  topics?: { read?: Array<string | RegExp>; write?: Array<string | RegExp> };
  /** Consumer groups a client may name with consumerGroup= (same patterns). Default none. */
  groups?: Array<string | RegExp>;
  /** Prefixed to a client's consumerGroup to make its Kafka group, e.g. 'ws-': clients never join the backend's own groups. */
  groupPrefix?: string | ((identity: unknown, req: IncomingMessage) => string);
  /** Whether a client may choose where to start reading (offset=). Default false. */
  offsets?: boolean;
  /** Whether a send to a topic that does not exist may create it. Default false. */
  createTopics?: boolean;
  /** Decides each action instead of the static grants (which it sees as `granted`). */
  authorize?: (request: ProxyAccessRequest) => boolean | Promise<boolean>;
  /** A client's consumer pauses while its socket holds more than this, bytes. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** A client of a shared stream that has not drained for this long is disconnected (4008), ms. Default 30000. */
  slowClientTimeout?: number;
  /** Upgrades beyond this many connections are refused with 503. Default 10000. */
  maxConnections?: number;
  /** Clients with a consumer of their own (consumerGroup or offset) beyond this are refused with 503. Default 1000. */
  maxConsumers?: number;
  /** A client's produce frames waiting for Kafka beyond this are answered with an error. Default 64. */
  maxInFlightSends?: number;
  /** A produce frame larger than this is refused unread, bytes. Default 1 MiB. */
  maxSendBytes?: number;
  /** A produce frame of more messages than this is refused. Default 10000. */
  maxSendMessages?: number;
  /** One client's share of the producer's queue, messages: a send that would exceed it is refused whole. Default 10000. */
  maxClientQueuedMessages?: number;
  /** One client's share of the producer's queue, bytes of payload and key. Default 16 MiB. */
  maxClientQueuedBytes?: number;
  /** kafka-native Producer options for what clients send (the proxy sets broker and logger). */
  producer?: Partial<Omit<ProducerOptions, 'broker'>>;
  /** kafka-native Consumer options for every consumer the proxy makes (it sets broker, topic, placement, start and the callback). */
  consumer?: Partial<Omit<ConsumerOptions, 'broker' | 'topic' | 'receive_callback' | 'start_offset' | 'offset_directory' | 'group_id' | 'num_workers' | 'worker_slot'>>;
  /** Where the proxy and its clients log. Default console. */
  logger?: Logger;
}

/** What a client asks to do, as `authorize` sees it. */
export interface ProxyAccessRequest {
  /** read a topic, write (send to) a topic, use a consumer group, or start from an offset. */
  action: 'read' | 'write' | 'group' | 'offset';
  topic?: string;
  /** The client's consumerGroup (before groupPrefix). */
  group?: string;
  offset?: number;
  partition?: number;
  /** What verifyClient returned (when not just true), else the Basic user name under `auth`. */
  identity: unknown;
  /** The upgrade request. */
  req: IncomingMessage;
  /** What the static options (topics, groups, offsets) say. */
  granted: boolean;
}

/** One entry of a batch frame: kafka-proxy's {message, offset}, with partition and key. */
export interface ProxyEntry {
  message: string;
  offset: number;
  partition: number;
  key: string | null;
}

/** What a client reads and how much waits in its socket. */
export interface ProxyClientInfo {
  topic: string;
  partition: number;
  consumerGroup: string | null;
  shared: boolean;
  bufferedAmount: number;
  /** The batch being written, per partition, if any. */
  inFlight: Array<{ partition: number; from: number; to: number }> | null;
}

export declare class KafkaProxy extends EventEmitter {
  constructor(options: KafkaProxyOptions);
  /** Starts listening on wsPort (unless given a server); resolves with the port. */
  listen(): Promise<{ port: number }>;
  /** The port it listens on, once listening. */
  readonly port: number | undefined;
  clients(): ProxyClientInfo[];
  /** Closes every connection (1001), stops every consumer and the producer (after what it holds is delivered). */
  close(): Promise<void>;
}
