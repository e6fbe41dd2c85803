// kafka-native/ws-proxy: Kafka over WebSockets, the successor of kafka-proxy.
import type { IncomingMessage, Server } from 'node:http';
import type { EventEmitter } from 'node:events';
import type { Logger, ProducerOptions, ConsumerOptions } from './index';

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
  /** Decides about each upgrade after `auth`; false (or a Promise of it) refuses it with 401. */
  verifyClient?: (req: IncomingMessage) => boolean | Promise<boolean>;
  /** A client's consumer pauses while its socket holds more than this, bytes. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** A client of a shared stream that has not drained for this long is disconnected (4008), ms. Default 30000. */
  slowClientTimeout?: number;
  /** kafka-native Producer options for what clients send (the proxy sets broker and logger). */
  producer?: Partial<Omit<ProducerOptions, 'broker'>>;
  /** kafka-native Consumer options for every consumer the proxy makes (it sets broker, topic, placement, start and the callback). */
  consumer?: Partial<Omit<ConsumerOptions, 'broker' | 'topic' | 'receive_callback' | 'start_offset' | 'offset_directory' | 'group_id' | 'num_workers' | 'worker_slot'>>;
  /** Where the proxy and its clients log. Default console. */
  logger?: Logger;
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
