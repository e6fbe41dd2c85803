// kafka-native/deepstream: a deepstream cluster node over Kafka.
import type { DeepstreamPlugin, DeepstreamClusterNode, DeepstreamServices, DeepstreamConfig } from '@deepstream/types';
import type { ProducerOptions, ConsumerOptions } from '../index';

declare namespace KafkaClusterNode {
  /** The `options` of deepstream's `clusterNode: {path: 'kafka-native/deepstream', options}`. */
  interface KafkaClusterNodeOptions {
    /** Broker list, e.g. 'localhost:9092'. */
    broker: string;
    /** The topic every node writes to and reads all of. Default 'deepstream'. */
    topic?: string;
    /** kafka-native Producer options (the node sets broker); default {queue_buffering_max_ms: 0}. */
    producer?: Partial<Omit<ProducerOptions, 'broker'>>;
    /** kafka-native Consumer options (the node sets broker, topic, start, offsets and the callback); default {fetch_wait_max_ms: 10}. */
    consumer?: Partial<Omit<ConsumerOptions, 'broker' | 'topic' | 'receive_callback' | 'start_offset' | 'offset_directory' | 'payload_encoding' | 'group_id'>>;
  }
}

/** deepstream constructs it as new KafkaClusterNode(options, services, config). */
declare class KafkaClusterNode extends DeepstreamPlugin implements DeepstreamClusterNode {
  constructor(options: KafkaClusterNode.KafkaClusterNodeOptions, services: DeepstreamServices, config: DeepstreamConfig);
  description: string;
  init(): void;
  whenReady(): Promise<void>;
  send: DeepstreamClusterNode['send'];
  sendDirect: DeepstreamClusterNode['sendDirect'];
  subscribe: DeepstreamClusterNode['subscribe'];
  close(): Promise<void>;
}

export = KafkaClusterNode;
