// kafka-native/socket.io: a socket.io adapter that relays between servers through a Kafka topic.
import type { Namespace } from 'socket.io';
import type { ClusterAdapterWithHeartbeat, ClusterMessage, ClusterResponse } from 'socket.io-adapter';
import type { Logger, ProducerOptions, ConsumerOptions } from '../index';

export interface KafkaAdapterOptions {
  /** Broker list, e.g. 'localhost:9092'. */
  broker: string;
  /** The topic every server writes to and reads all of. Default 'socket.io'. */
  topic?: string;
  /** The partition to write to; -1 (the default) picks it by namespace. */
  partition?: number;
  /** Create the topic through the admin client first: true (1 partition) or its spec. */
  createTopics?: boolean | { partitions?: number; replication_factor?: number };
  /** How often a server announces itself, ms. Default 5000. */
  heartbeatInterval?: number;
  /** How long without a heartbeat before a server is dropped, ms. Default 10000. */
  heartbeatTimeout?: number;
  /** kafka-native Producer options (the adapter sets broker); default {queue_buffering_max_ms: 0}. */
  producer?: Partial<Omit<ProducerOptions, 'broker'>>;
  /** kafka-native Consumer options (the adapter sets broker, topic, start_offset, offsets and the callback); default {fetch_wait_max_ms: 10}. */
  consumer?: Partial<Omit<ConsumerOptions, 'broker' | 'topic' | 'receive_callback' | 'start_offset' | 'offset_directory' | 'payload_encoding'>>;
  /** Where the adapter and its clients log. Default console. */
  logger?: Logger;
}

/** socket.io-kafka's options, for createAdapter('host:9092', options). */
export interface LegacyAdapterOptions extends Partial<KafkaAdapterOptions> {
  /** The topic name. */
  key?: string;
}

export declare class KafkaAdapter extends ClusterAdapterWithHeartbeat {
  /** Resolves with the message's Kafka position, "partition:offset", when socket.io keeps it for recovery. */
  protected doPublish(message: ClusterMessage): Promise<string>;
  protected doPublishResponse(requesterUid: string, response: ClusterResponse): Promise<void>;
}

/** A function for io.adapter() or new Server({adapter}). */
export declare function createAdapter(options: KafkaAdapterOptions): (nsp: Namespace) => KafkaAdapter;
export declare function createAdapter(broker: string, options?: LegacyAdapterOptions): (nsp: Namespace) => KafkaAdapter;
