'use strict';
// kafka.admin(): KafkaJS's admin client on kafka-native's Admin. The methods kafka-native's
// Admin cannot serve yet throw KafkaJSNotImplemented, naming what is missing.
const { Admin: NativeAdmin } = require('../admin');
const { resolveBrokers, nativeLogger, invalid, checkKnown } = require('./client');
const { KafkaJSError, KafkaJSNonRetriableError, KafkaJSDeleteGroupsError, kafkaJSErrors, notSupported, toKafkaJSError } = require('./errors');

const NOT_YET = ['fetchTopicOffsetsByTimestamp', 'describeGroups', 'describeCluster', 'describeConfigs', 'alterConfigs', 'deleteTopicRecords', 'createAcls',
  'describeAcls', 'deleteAcls', 'alterPartitionReassignments', 'listPartitionReassignments'];
const events = {
  CONNECT: 'admin.connect',
  DISCONNECT: 'admin.disconnect',
  REQUEST: 'admin.network.request',
  REQUEST_TIMEOUT: 'admin.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'admin.network.request_queue_size',
};

class Admin {
  constructor(kafka, config = {}) {
    if (config === null || typeof config !== 'object') throw invalid('kafka.admin() takes an object');
    checkKnown(config, ['retry'], 'kafka.admin()');
    this._kafka = kafka;
    this._logger = kafka.logger().namespace('Admin');
    this._listeners = new Map();
    this.events = events;
    for (const name of NOT_YET) {
      this[name] = async () => {
        throw notSupported(`admin.${name}()`, 'kafka-native\'s admin client does not offer it yet');
      };
    }
  }

  async connect() {
    const broker = await resolveBrokers(this._kafka._config.brokers);
    this._native = new NativeAdmin({
      broker,
      driver_options: this._kafka._config.props,
      oauthbearer_token_callback: this._kafka._config.oauthbearer_token_callback,
      logger: nativeLogger(this._logger),
    });
    this._emit(events.CONNECT);
  }

  async disconnect() {
    const native = this._native;
    this._native = null;
    if (native) await native.stop();
    this._emit(events.DISCONNECT);
  }

  logger() {
    return this._logger;
  }

  on(eventName, listener) {
    if (eventName !== events.CONNECT && eventName !== events.DISCONNECT) {
      throw notSupported(`admin event ${eventName}`, 'librdkafka does not report single network requests');
    }
    if (!this._listeners.has(eventName)) this._listeners.set(eventName, new Set());
    this._listeners.get(eventName).add(listener);
    return () => this._listeners.get(eventName).delete(listener);
  }

  _emit(type) {
    for (const listener of this._listeners.get(type) || []) {
      Promise.resolve().then(() => listener({ id: 0, type, timestamp: Date.now(), payload: null })).catch(() => {});
    }
  }

  _admin() {
    if (!this._native) throw new KafkaJSError('The admin client is disconnected');
    return this._native;
  }

  // Resolves true once every topic exists, false when some existed already (as KafkaJS).
  async createTopics({ topics, validateOnly = false, waitForLeaders = true, timeout } = {}) {
    return kafkaJSErrors(async () => {
      if (!Array.isArray(topics)) throw invalid('createTopics() topics must be an array of {topic, numPartitions, replicationFactor, configEntries}');
      if (validateOnly) throw notSupported('createTopics({validateOnly: true})', 'kafka-native\'s admin client creates for real');
      if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) throw invalid('createTopics() timeout must be a positive integer (ms)');
      void waitForLeaders; // kafka-native's createTopics resolves once the metadata lists every partition
      const admin = this._admin();
      const existing = new Set((await admin.listTopics()).map((t) => t.topic));
      const fresh = topics.filter((t) => !existing.has(t.topic));
      if (fresh.length > 0) {
        await admin.createTopics(fresh.map(({ topic, numPartitions, replicationFactor, configEntries = [], replicaAssignment }) => {
          if (replicaAssignment && replicaAssignment.length > 0) throw notSupported('createTopics() replicaAssignment', 'kafka-native\'s admin client lets the brokers place replicas');
          return {
            topic,
            partitions: numPartitions === undefined || numPartitions === -1 ? 1 : numPartitions,
            ...(replicationFactor === undefined || replicationFactor === -1 ? {} : { replication_factor: replicationFactor }),
            config: Object.fromEntries(configEntries.map(({ name, value }) => [name, value])),
          };
        }));
      }
      return fresh.length === topics.length;
    });
  }

  async deleteTopics({ topics } = {}) {
    return kafkaJSErrors(() => this._admin().deleteTopics(topics));
  }

  async listTopics() {
    return kafkaJSErrors(async () => (await this._admin().listTopics()).map((t) => t.topic));
  }

  // Partition ids only: leaders, replicas and ISRs are not in kafka-native's topic listing yet.
  async fetchTopicMetadata({ topics } = {}) {
    return kafkaJSErrors(async () => {
      const all = await this._admin().listTopics();
      const wanted = topics && topics.length > 0 ? topics : all.map((t) => t.topic);
      return {
        topics: wanted.map((name) => {
          const found = all.find((t) => t.topic === name);
          if (!found) {
            const err = new Error(`This server does not host this topic-partition: ${name}`);
            err.code = 'UNKNOWN_TOPIC_OR_PART';
            throw err;
          }
          return { name, partitions: Array.from({ length: found.partitions }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId })) };
        }),
      };
    });
  }

  // [{partition, offset, high, low}]: offset is the high watermark, as in KafkaJS.
  async fetchTopicOffsets(topic) {
    return kafkaJSErrors(async () => {
      const { topics: [{ partitions }] } = await this.fetchTopicMetadata({ topics: [topic] });
      const admin = this._admin();
      return Promise.all(partitions.map(async ({ partitionId }) => {
        const { low, high } = await admin.watermarks(topic, partitionId);
        return { partition: partitionId, offset: String(high), high: String(high), low: String(low) };
      }));
    });
  }

  // [{topic, partitions: [{partition, offset, metadata}]}]; offset '-1' where nothing is committed.
  async fetchOffsets({ groupId, topics } = {}) {
    return kafkaJSErrors(async () => {
      if (typeof groupId !== 'string' || groupId === '') throw invalid('fetchOffsets() needs a groupId');
      const admin = this._admin();
      const committed = await admin.groupOffsets(groupId);
      const names = topics && topics.length > 0 ? topics : [...new Set(committed.map((c) => c.topic))];
      const { topics: metadata } = await this.fetchTopicMetadata({ topics: names });
      return metadata.map(({ name, partitions }) => ({
        topic: name,
        partitions: partitions.map(({ partitionId }) => {
          const c = committed.find((o) => o.topic === name && o.partition === partitionId);
          return { partition: partitionId, offset: c ? String(c.committed) : '-1', metadata: null };
        }),
      }));
    });
  }

  // [{topic, count}]: each topic's new partition count; resolves with nothing (as KafkaJS 2.2.4
  // does, whatever its types say).
  async createPartitions({ topicPartitions, validateOnly = false, timeout } = {}) {
    return kafkaJSErrors(async () => {
      if (!Array.isArray(topicPartitions)) throw new KafkaJSNonRetriableError(`Invalid topic partitions array ${topicPartitions}`);
      if (topicPartitions.length === 0) throw new KafkaJSNonRetriableError('Empty topic partitions array');
      if (validateOnly) throw notSupported('createPartitions({validateOnly: true})', 'kafka-native\'s admin client creates for real');
      if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) throw invalid('createPartitions() timeout must be a positive integer (ms)');
      for (const { topic, assignments } of topicPartitions) {
        if (typeof topic !== 'string') throw new KafkaJSNonRetriableError('Invalid topic partitions array, the topic names have to be a valid string');
        if (assignments && assignments.length > 0) throw notSupported('createPartitions() assignments', 'kafka-native\'s admin client lets the brokers place replicas');
      }
      await this._admin().createPartitions(topicPartitions.map(({ topic, count }) => ({ topic, count })));
    });
  }

  // Resolves [{groupId, errorCode: 0}]; a group that could not be deleted rejects with
  // KafkaJSDeleteGroupsError naming it (as KafkaJS).
  async deleteGroups(groupIds) {
    return kafkaJSErrors(async () => {
      if (!Array.isArray(groupIds)) throw new KafkaJSNonRetriableError(`Invalid groupIds array ${groupIds}`);
      const bad = groupIds.find((g) => typeof g !== 'string' || g === '');
      if (bad !== undefined) throw new KafkaJSNonRetriableError(`Invalid groupId name: ${JSON.stringify(bad)}`);
      const admin = this._admin();
      // One request per group, so that each group's outcome is its own.
      const outcomes = await Promise.all(groupIds.map((groupId) => admin.deleteGroups([groupId]).then(
        () => ({ groupId, errorCode: 0 }),
        (err) => {
          const error = toKafkaJSError(err);
          return { groupId, errorCode: error.code ?? -1, error };
        },
      )));
      const failed = outcomes.filter((o) => o.errorCode !== 0);
      if (failed.length > 0) throw new KafkaJSDeleteGroupsError('Error in DeleteGroups', failed);
      return outcomes;
    });
  }

  // Sets a group's committed offsets for one topic; '-2' / '-1' are the earliest and latest.
  // The group must have no running members.
  async setOffsets({ groupId, topic, partitions } = {}) {
    return kafkaJSErrors(async () => {
      if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`);
      if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
      if (!Array.isArray(partitions) || partitions.length === 0) throw new KafkaJSNonRetriableError('Invalid partitions');
      const admin = this._admin();
      const offsets = await Promise.all(partitions.map(async ({ partition, offset }) => {
        let at = BigInt(offset);
        if (at === -1n || at === -2n) {
          const { low, high } = await admin.watermarks(topic, partition);
          at = BigInt(at === -2n ? low : high);
        }
        if (at < 0n) throw new KafkaJSNonRetriableError(`Invalid offset ${offset} for partition ${partition}`);
        return { topic, partition, offset: Number(at) };
      }));
      await admin.setGroupOffsets(groupId, offsets).catch((err) => {
        if (err.code === 'UNKNOWN_MEMBER_ID') throw new KafkaJSNonRetriableError(`The consumer group must have no running instances (${err.message})`);
        throw err;
      });
    });
  }

  async resetOffsets({ groupId, topic, earliest = false } = {}) {
    return kafkaJSErrors(async () => {
      if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`);
      if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
      const { topics: [{ partitions }] } = await this.fetchTopicMetadata({ topics: [topic] });
      return this.setOffsets({ groupId, topic, partitions: partitions.map(({ partitionId }) => ({ partition: partitionId, offset: earliest ? '-2' : '-1' })) });
    });
  }

  async listGroups() {
    return kafkaJSErrors(async () => ({
      groups: (await this._admin().listGroups()).map((g) => ({ groupId: g.group_id, protocolType: g.simple ? '' : 'consumer' })),
    }));
  }
}

module.exports = { Admin };
