'use strict';
// kafka-native/deepstream: a deepstream cluster node over Kafka, the successor of
// deepstream.io-msg-kafka (a message connector for the interface deepstream dropped in 3.0).
//
// deepstream (5.0+) loads it as its `clusterNode` plugin:
//   clusterNode:
//     path: kafka-native/deepstream
//     options: { broker: 'localhost:9092', topic: 'deepstream' }
// Every node writes its cluster messages to one topic and reads all of it from 'latest', with no
// consumer group and no offset files (every node must see every message, as with deepstream's
// Redis cluster node and its pub/sub). A message is JSON {message}, keyed by the sending node's
// name (so each node's messages stay in order), with headers naming the sender and, for
// sendDirect, the one server it is for: a node skips its own messages and those for another
// server without decoding them.
const {
  requirePeer,
  checkOptions,
  checkClientOptions,
  isTopicName,
  RELAY_PRODUCER,
  REALTIME_CONSUMER,
  relayClient,
} = require('./integration-options');

const WHAT = 'kafka-native/deepstream';
const { DeepstreamPlugin, EVENT } = requirePeer('@deepstream/types', WHAT);
const { Consumer } = require('../index.js');
const { RelayProducer } = require('./relay-producer');

const OPTIONS = ['broker', 'topic', 'producer', 'consumer'];
// Consumer options the node sets, or that would keep a node from reading every message.
const EVERY_MESSAGE = 'every node must read every message of the topic';
const REFUSED_CONSUMER = {
  group_id: `${EVERY_MESSAGE} (a group would split them)`,
  group_protocol: `${EVERY_MESSAGE} (it goes with group_id)`,
  rebalance_callback: `${EVERY_MESSAGE} (it goes with group_id)`,
  num_workers: `${EVERY_MESSAGE} (workers would split its partitions)`,
  worker_slot: `${EVERY_MESSAGE} (workers would split its partitions)`,
  broker: "give it as the node's broker option",
  topic: "give it as the node's topic option",
  start_offset: "the node reads from 'latest'",
  offset_directory: 'the node keeps no offset files',
  payload_encoding: 'the node decodes its messages itself',
  receive_callback: 'the node handles the messages',
};
const REFUSED_PRODUCER = { broker: "give it as the node's broker option" };
const SETTLED = Promise.resolve(); // a batch is handled when receive() returns

function nodeOptions(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${WHAT}: clusterNode options must be {broker, topic, ...}, got ${options === null ? 'null' : typeof options}`);
  }
  // deepstream.io-msg-kafka's options, with what they became.
  if ('connectionString' in options)
    throw new TypeError(
      `${WHAT}: option connectionString (a ZooKeeper address for kafka-node) is gone: give the Kafka brokers as broker, e.g. 'localhost:9092'`,
    );
  if ('clientId' in options)
    throw new TypeError(
      `${WHAT}: option clientId is gone: each node is named by deepstream's serverName (set librdkafka's client.id through producer/consumer driver_options if you need one)`,
    );
  checkOptions(WHAT, 'clusterNode', options, OPTIONS);
  const { broker, topic = 'deepstream' } = options;
  if (typeof broker !== 'string' || broker === '')
    throw new TypeError(`${WHAT}: option broker must be a broker list like 'localhost:9092', got ${JSON.stringify(broker)}`);
  if (!isTopicName(topic)) throw new TypeError(`${WHAT}: option topic must be a Kafka topic name, got ${JSON.stringify(topic)}`);
  checkClientOptions(WHAT, options, 'producer', REFUSED_PRODUCER);
  checkClientOptions(WHAT, options, 'consumer', REFUSED_CONSUMER);
  return { broker, topic, producer: options.producer ?? {}, consumer: options.consumer ?? {} };
}

// kafka-native's logger interface, onto deepstream's logger.
function deepstreamLogger(logger) {
  return {
    error: (m) => logger.error(EVENT.PLUGIN_ERROR, `${WHAT}: ${m}`),
    warn: (m) => logger.warn(EVENT.PLUGIN_ERROR, `${WHAT}: ${m}`),
    info: (m) => logger.info(EVENT.INFO, `${WHAT}: ${m}`),
    debug: (m) => logger.debug(EVENT.INFO, `${WHAT}: ${m}`),
  };
}

// The deepstream message in a record's payload, or undefined when it holds none: deepstream's
// messages are objects with a topic (a number of its TOPIC enum).
function clusterMessage(payload) {
  if (payload === null || payload === undefined) return undefined;
  let parsed;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  const message = parsed?.message;
  if (message === null || typeof message !== 'object' || Array.isArray(message) || !['number', 'string'].includes(typeof message.topic))
    return undefined;
  return message;
}

class KafkaClusterNode extends DeepstreamPlugin {
  // deepstream constructs it as new Plugin(options, services, config); the node's name is
  // config.serverName.
  constructor(pluginOptions, services, config) {
    super();
    this.options = nodeOptions(pluginOptions ?? {});
    // The name keys and marks every message: without it a node cannot tell its own messages
    // from the others', nor which sendDirect messages are for it.
    if (typeof config?.serverName !== 'string' || config.serverName === '') {
      throw new TypeError(
        `${WHAT}: deepstream's serverName must be set (a non-empty string naming this node), got ${JSON.stringify(config?.serverName)}`,
      );
    }
    this.services = services;
    this.serverName = config.serverName;
    this.description = `kafka-native cluster node (topic ${this.options.topic} at ${this.options.broker})`;
    this.logger = deepstreamLogger(services.logger);
    this.callbacks = new Map(); // deepstream topic → Set of callbacks
    this.producer = new RelayProducer(
      { logger: this.logger, ...relayClient(RELAY_PRODUCER, this.options.producer), broker: this.options.broker },
      (m) => this.logger.error(m),
    );
    this.producer.producer(); // made now, so that its options are checked now
    this.consumer = new Consumer({
      logger: this.logger,
      ...relayClient(REALTIME_CONSUMER, this.options.consumer),
      broker: this.options.broker,
      topic: this.options.topic,
      start_offset: 'latest',
      offset_directory: null,
      payload_encoding: 'buffer',
      receive_callback: ({ messages }) => {
        this.receive(messages);
        return SETTLED;
      },
    });
    this.ready = null;
  }

  init() {
    this.ready ??= this.consumer.start().then(() => undefined);
    this.ready.catch((err) => this.logger.error(`cannot read ${this.options.topic}: ${err.message}`));
  }

  // Resolves once this node reads the topic: from then on it hears every other node.
  async whenReady() {
    this.init();
    await this.ready;
  }

  send(message) {
    this.publish(message, undefined);
  }

  sendDirect(serverName, message) {
    this.publish(message, serverName);
  }

  subscribe(topic, callback) {
    let callbacks = this.callbacks.get(topic);
    if (!callbacks) {
      callbacks = new Set();
      this.callbacks.set(topic, callbacks);
    }
    callbacks.add(callback);
  }

  // Stops reading, and stops the producer once what this node sent is delivered.
  async close() {
    await Promise.allSettled([this.ready]);
    const results = await Promise.allSettled([this.consumer.stop(), this.producer.stop()]);
    for (const r of results) if (r.status === 'rejected') this.logger.error(`close: ${r.reason.message}`);
  }

  // deepstream's send() has no way to fail, so a message the producer refuses (its local queue
  // is full, or the message cannot be encoded) is logged as the plugin error it is.
  publish(message, toServer) {
    const headers = { from: this.serverName };
    if (toServer !== undefined) headers.to = toServer;
    let reason;
    try {
      const { enqueued } = this.producer.send(this.options.topic, -1, [
        { key: this.serverName, payload: JSON.stringify({ message }), headers },
      ]);
      if (enqueued < 1)
        reason = "the producer's local queue is full (producer options queue_buffering_max_messages, queue_buffering_max_kbytes)";
    } catch (err) {
      reason = err.message;
    }
    if (reason !== undefined) this.logger.error(`a cluster message for topic ${message?.topic} was not sent: ${reason}`);
  }

  // Each record on its own: whatever one holds, the ones behind it are still handled.
  receive(messages) {
    for (const m of messages) {
      try {
        this.receiveOne(m);
      } catch (err) {
        this.logger.error(`the message at ${m.partition}:${m.offset} was skipped: ${err.message}`);
      }
    }
  }

  receiveOne(m) {
    const headers = m.headers ?? {};
    const from = headers.from?.toString('utf8');
    const to = headers.to?.toString('utf8');
    if (from === undefined || from === this.serverName || (to !== undefined && to !== this.serverName)) return;
    const message = clusterMessage(m.payload);
    if (message === undefined) {
      this.logger.error(
        `the message at ${m.partition}:${m.offset} from ${from} is not a cluster message ({message: {topic, ...}}): skipped`,
      );
      return;
    }
    const callbacks = this.callbacks.get(message.topic);
    if (!callbacks || callbacks.size === 0) {
      this.logger.warn(`received a message for topic ${message.topic}, which nothing here subscribed to`);
      return;
    }
    for (const callback of callbacks) {
      try {
        callback(message, from);
      } catch (err) {
        this.logger.error(`a subscriber to topic ${message.topic} threw: ${err.stack || err.message}`);
      }
    }
  }
}

module.exports = KafkaClusterNode;
module.exports.KafkaClusterNode = KafkaClusterNode;
module.exports.default = KafkaClusterNode;
