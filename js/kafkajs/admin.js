'use strict';
// kafka.admin(): KafkaJS's admin client on kafka-native's Admin. The methods kafka-native's
// Admin cannot serve yet throw KafkaJSNotImplemented, naming what is missing.
const { Admin: NativeAdmin } = require('../client/admin');
const { resolveBrokers, reachCluster, nativeLogger, retried, invalid, checkKnown } = require('./client');
const {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSAggregateError,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  KafkaJSDeleteTopicRecordsError,
  kafkaErrorCode,
  kafkaJSErrors,
  notSupported,
  toKafkaJSError,
  asIs,
} = require('./errors');
const { AssignerProtocol } = require('./assigner-protocol');

const NOT_YET = ['createAcls', 'describeAcls', 'deleteAcls', 'alterPartitionReassignments', 'listPartitionReassignments'];
// KafkaJS's ConfigResourceTypes, as kafka-native's resource kinds (BROKER_LOGGER, 8, has none).
const RESOURCE_KINDS = { 2: 'topic', 4: 'broker' };
const RESOURCE_TYPES = { topic: 2, broker: 4 };

function checkResources(where, resources) {
  if (!resources || !Array.isArray(resources)) throw new KafkaJSNonRetriableError(`Invalid resources array ${resources}`);
  if (resources.length === 0) throw new KafkaJSNonRetriableError('Resources array cannot be empty');
  const invalidType = resources.find((r) => ![2, 4, 8].includes(r.type));
  if (invalidType) throw new KafkaJSNonRetriableError(`Invalid resource type ${invalidType.type}: ${JSON.stringify(invalidType)}`);
  const invalidName = resources.find((r) => !r.name || typeof r.name !== 'string');
  if (invalidName) throw new KafkaJSNonRetriableError(`Invalid resource name ${invalidName.name}: ${JSON.stringify(invalidName)}`);
  if (resources.some((r) => r.type === 8))
    throw notSupported(`${where} on BROKER_LOGGER resources`, "librdkafka's admin client has no broker-logger resource");
}

function checkTopics(topics) {
  for (const topic of topics) if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
}

// A kafka-native group description as KafkaJS's: each member's assignment (and, for want of
// its subscription, the topics of that assignment as its metadata) in Kafka's consumer
// protocol encoding.
function kafkaJSGroup(g) {
  return {
    errorCode: 0,
    groupId: g.group_id,
    state: g.state,
    protocolType: g.simple ? '' : 'consumer',
    protocol: g.partition_assignor,
    members: g.members.map((m) => {
      const assignment = {};
      for (const { topic, partition } of m.assignment) (assignment[topic] ??= []).push(partition);
      return {
        memberId: m.member_id,
        clientId: m.client_id,
        clientHost: m.host,
        memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics: Object.keys(assignment) }),
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment }),
      };
    }),
  };
}
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
    // Its retry options: the client's, with its own over them (as the consumer's).
    this._retry = { ...kafka._config.retry, ...(config.retry || {}) };
    this._logger = kafka.logger().namespace('Admin');
    this._listeners = new Map();
    this.events = events;
    for (const name of NOT_YET) {
      this[name] = async () => {
        throw notSupported(`admin.${name}()`, "kafka-native's admin client does not offer it yet");
      };
    }
  }

  async connect() {
    const broker = await resolveBrokers(this._kafka._config.brokers);
    await reachCluster(this._kafka._config, broker, this._logger);
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
      Promise.resolve()
        .then(() => listener({ id: 0, type, timestamp: Date.now(), payload: null }))
        .catch(() => {});
    }
  }

  _admin() {
    if (!this._native) throw new KafkaJSError('The admin client is disconnected');
    return this._native;
  }

  // Resolves true once every topic exists, false when some existed already (as KafkaJS).
  async createTopics({ topics, validateOnly = false, waitForLeaders = true, timeout } = {}) {
    return kafkaJSErrors(async () => {
      if (!Array.isArray(topics))
        throw invalid('createTopics() topics must be an array of {topic, numPartitions, replicationFactor, configEntries}');
      if (validateOnly) throw notSupported('createTopics({validateOnly: true})', "kafka-native's admin client creates for real");
      if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0))
        throw invalid('createTopics() timeout must be a positive integer (ms)');
      void waitForLeaders; // kafka-native's createTopics resolves once the metadata lists every partition
      const admin = this._admin();
      const existing = new Set((await admin.listTopics()).map((t) => t.topic));
      const fresh = topics.filter((t) => !existing.has(t.topic));
      const specs = fresh.map(({ topic, numPartitions, replicationFactor, configEntries = [], replicaAssignment }) => {
        if (replicaAssignment && replicaAssignment.length > 0)
          throw notSupported('createTopics() replicaAssignment', "kafka-native's admin client lets the brokers place replicas");
        return {
          topic,
          // As KafkaJS: left out, the broker's default (num.partitions).
          partitions: numPartitions === undefined ? -1 : numPartitions,
          ...(replicationFactor === undefined || replicationFactor === -1 ? {} : { replication_factor: replicationFactor }),
          config: Object.fromEntries(configEntries.map(({ name, value }) => [name, value])),
        };
      });
      // One request per topic, so that each failure is told with its topic: as KafkaJS, a
      // KafkaJSAggregateError of KafkaJSCreateTopicErrors (a topic made meanwhile is no failure).
      const outcomes = await Promise.allSettled(specs.map((spec) => admin.createTopics([spec])));
      const errors = [];
      outcomes.forEach((outcome, i) => {
        if (outcome.status === 'fulfilled') return;
        const error = toKafkaJSError(outcome.reason);
        if (error.type === 'TOPIC_ALREADY_EXISTS') return;
        errors.push(error instanceof KafkaJSProtocolError ? new KafkaJSCreateTopicError(error, specs[i].topic) : error);
      });
      if (errors.length > 0) throw asIs(new KafkaJSAggregateError('Topic creation errors', errors));
      return fresh.length === topics.length;
    });
  }

  // A topic that does not exist is retried, as KafkaJS retries UNKNOWN_TOPIC_OR_PARTITION, and
  // then rejects with KafkaJSNumberOfRetriesExceeded.
  async deleteTopics({ topics } = {}) {
    return this._retried(() => this._admin().deleteTopics(topics));
  }

  // KafkaJS's retrier, with this admin's retry options (its own over the client's).
  _retried(fn) {
    return retried(this._retry, fn);
  }

  async listTopics() {
    return kafkaJSErrors(async () => (await this._admin().listTopics()).map((t) => t.topic));
  }

  // {topics: [{name, partitions: [{partitionErrorCode, partitionId, leader, replicas, isr,
  // offlineReplicas}]}]}: the topics named, or every topic. offlineReplicas are the replicas
  // on no broker the metadata lists.
  async fetchTopicMetadata({ topics = [] } = {}) {
    return kafkaJSErrors(async () => {
      checkTopics(topics || []);
      const admin = this._admin();
      const [described, cluster] = await Promise.all([admin.describeTopics(topics || []), admin.describeCluster()]);
      const live = new Set(cluster.brokers.map((b) => b.id));
      return {
        topics: described.map(({ topic, partitions }) => ({
          name: topic,
          partitions: partitions.map((p) => ({
            partitionErrorCode: p.error ? kafkaErrorCode(p.error) : 0,
            partitionId: p.partition,
            leader: p.leader,
            replicas: p.replicas,
            isr: p.in_sync_replicas,
            offlineReplicas: p.replicas.filter((id) => !live.has(id)),
          })),
        })),
      };
    });
  }

  // Each topic's partition ids ([{topic, ids}]; every topic when none is named), from one
  // metadata request: what the offset calls need of fetchTopicMetadata, without its brokers.
  async _partitionIds(topics) {
    checkTopics(topics);
    const described = await this._admin().describeTopics(topics);
    return described.map(({ topic, partitions }) => ({ topic, ids: partitions.map((p) => p.partition) }));
  }

  async describeCluster() {
    return kafkaJSErrors(async () => {
      const { brokers, controller, cluster_id: clusterId } = await this._admin().describeCluster();
      return { brokers: brokers.map(({ id, host, port }) => ({ nodeId: id, host, port })), controller, clusterId };
    });
  }

  // [{partition, offset, high, low}]: offset is the high watermark, as in KafkaJS.
  async fetchTopicOffsets(topic) {
    return this._retried(async () => {
      const [{ ids }] = await this._partitionIds([topic]);
      const admin = this._admin();
      return Promise.all(
        ids.map(async (partitionId) => {
          const { low, high } = await admin.watermarks(topic, partitionId);
          return { partition: partitionId, offset: String(high), high: String(high), low: String(low) };
        }),
      );
    });
  }

  // [{partition, offset}]: each partition's first offset at or after `timestamp`, or its high
  // watermark where no message is that recent (as KafkaJS).
  async fetchTopicOffsetsByTimestamp(topic, timestamp) {
    return kafkaJSErrors(async () => {
      if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
      const high = await this.fetchTopicOffsets(topic);
      if (timestamp === undefined || timestamp === null) return high.map(({ partition, offset }) => ({ partition, offset }));
      const at = Number(timestamp);
      if (!Number.isSafeInteger(at) || at < 0) throw new KafkaJSNonRetriableError(`Invalid timestamp ${timestamp}`);
      const found = await this._admin().offsetsAtTime(topic, at);
      return found.map(({ partition, offset }) => ({
        partition,
        offset: offset !== null ? String(offset) : high.find((h) => h.partition === partition).offset,
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
      const metadata = await this._partitionIds(names);
      return metadata.map(({ topic: name, ids }) => ({
        topic: name,
        partitions: ids.map((partitionId) => {
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
      if (validateOnly) throw notSupported('createPartitions({validateOnly: true})', "kafka-native's admin client creates for real");
      if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0))
        throw invalid('createPartitions() timeout must be a positive integer (ms)');
      for (const { topic, assignments } of topicPartitions) {
        if (typeof topic !== 'string')
          throw new KafkaJSNonRetriableError('Invalid topic partitions array, the topic names have to be a valid string');
        if (assignments && assignments.length > 0)
          throw notSupported('createPartitions() assignments', "kafka-native's admin client lets the brokers place replicas");
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
      const outcomes = await Promise.all(
        groupIds.map((groupId) =>
          admin.deleteGroups([groupId]).then(
            () => ({ groupId, errorCode: 0 }),
            (err) => {
              const error = toKafkaJSError(err);
              return { groupId, errorCode: error.code ?? -1, error };
            },
          ),
        ),
      );
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
      const offsets = await Promise.all(
        partitions.map(async ({ partition, offset }) => {
          let at = BigInt(offset);
          if (at === -1n || at === -2n) {
            const { low, high } = await admin.watermarks(topic, partition);
            at = BigInt(at === -2n ? low : high);
          }
          if (at < 0n) throw new KafkaJSNonRetriableError(`Invalid offset ${offset} for partition ${partition}`);
          return { topic, partition, offset: Number(at) };
        }),
      );
      await admin.setGroupOffsets(groupId, offsets).catch((err) => {
        if (err.code === 'UNKNOWN_MEMBER_ID')
          throw new KafkaJSNonRetriableError(`The consumer group must have no running instances (${err.message})`);
        throw err;
      });
    });
  }

  async resetOffsets({ groupId, topic, earliest = false } = {}) {
    return kafkaJSErrors(async () => {
      if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`);
      if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
      const [{ ids }] = await this._partitionIds([topic]);
      return this.setOffsets({ groupId, topic, partitions: ids.map((partition) => ({ partition, offset: earliest ? '-2' : '-1' })) });
    });
  }

  // {groups: [{errorCode, groupId, state, protocolType, protocol, members: [{memberId,
  // clientId, clientHost, memberMetadata, memberAssignment}]}]}; decode memberAssignment with
  // AssignerProtocol.MemberAssignment.decode. A group that does not exist is 'Dead'.
  async describeGroups(groupIds) {
    return kafkaJSErrors(async () => {
      if (!Array.isArray(groupIds)) throw new KafkaJSNonRetriableError(`Invalid groupIds array ${groupIds}`);
      if (groupIds.length === 0) return { groups: [] };
      const groups = await this._admin().describeGroups(groupIds);
      return { groups: groups.map(kafkaJSGroup) };
    });
  }

  // {resources: [{errorCode, errorMessage, resourceType, resourceName, configEntries:
  // [{configName, configValue, readOnly, isDefault, configSource, isSensitive,
  // configSynonyms}]}], throttleTime}; configNames picks entries (all when empty).
  async describeConfigs({ resources, includeSynonyms = false } = {}) {
    return kafkaJSErrors(async () => {
      checkResources('describeConfigs()', resources);
      const badNames = resources.find((r) => !Array.isArray(r.configNames) && r.configNames != null);
      if (badNames) throw new KafkaJSNonRetriableError(`Invalid resource configNames ${badNames.configNames}: ${JSON.stringify(badNames)}`);
      const described = await this._admin().describeConfigs(resources.map(({ type, name }) => ({ kind: RESOURCE_KINDS[type], name })));
      return {
        resources: described.map((d, i) => {
          const names = resources[i].configNames;
          const entries = names && names.length > 0 ? d.entries.filter((e) => names.includes(e.name)) : d.entries;
          return {
            errorCode: 0,
            errorMessage: null,
            resourceType: RESOURCE_TYPES[d.kind],
            resourceName: d.name,
            configEntries: entries.map((e) => ({
              configName: e.name,
              configValue: e.value,
              readOnly: e.read_only,
              isDefault: e.is_default,
              configSource: e.source,
              isSensitive: e.sensitive,
              configSynonyms: includeSynonyms
                ? e.synonyms.map((y) => ({ configName: y.name, configValue: y.value, configSource: y.source }))
                : [],
            })),
          };
        }),
        throttleTime: 0,
      };
    });
  }

  // As KafkaJS (Kafka's AlterConfigs): each resource's dynamic configuration becomes exactly
  // the entries given; those not given return to their defaults.
  async alterConfigs({ resources, validateOnly = false } = {}) {
    return kafkaJSErrors(async () => {
      checkResources('alterConfigs()', resources);
      const badEntries = resources.find((r) => !Array.isArray(r.configEntries));
      if (badEntries)
        throw new KafkaJSNonRetriableError(`Invalid resource configEntries ${badEntries.configEntries}: ${JSON.stringify(badEntries)}`);
      const badValue = resources.find((r) => r.configEntries.some((e) => typeof e.name !== 'string' || typeof e.value !== 'string'));
      if (badValue) throw new KafkaJSNonRetriableError(`Invalid resource config value: ${JSON.stringify(badValue)}`);
      if (validateOnly) throw notSupported('alterConfigs({validateOnly: true})', "kafka-native's admin client alters for real");
      await this._admin().replaceConfigs(
        resources.map(({ type, name, configEntries }) => ({
          kind: RESOURCE_KINDS[type],
          name,
          config: Object.fromEntries(configEntries.map(({ name: n, value }) => [n, value])),
        })),
      );
      return {
        resources: resources.map(({ type, name }) => ({ errorCode: 0, errorMessage: null, resourceName: name, resourceType: type })),
        throttleTime: 0,
      };
    });
  }

  // Deletes each partition's messages before its offset ('-1': all); a failure rejects, as
  // KafkaJS does, with a KafkaJSNonRetriableError whose cause, a KafkaJSDeleteTopicRecordsError,
  // names each failed partition.
  async deleteTopicRecords({ topic, partitions } = {}) {
    return kafkaJSErrors(async () => {
      if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic "${topic}"`);
      if (!partitions || partitions.length === 0) throw new KafkaJSNonRetriableError('Invalid partitions');
      const before = partitions.map(({ partition, offset }) => {
        const at = Number(offset);
        if (!Number.isInteger(partition) || !Number.isSafeInteger(at) || at < -1)
          throw new KafkaJSNonRetriableError(`Invalid partition ${partition} or offset ${offset}`);
        return { topic, partition, offset: at };
      });
      // One request per partition, so that each partition's outcome is its own.
      const admin = this._admin();
      const outcomes = await Promise.all(
        before.map((b, i) =>
          admin.deleteRecords([b]).then(
            () => null,
            (err) => ({ partition: b.partition, offset: partitions[i].offset, error: toKafkaJSError(err) }),
          ),
        ),
      );
      const failed = outcomes.filter((o) => o !== null);
      if (failed.length > 0) {
        // As KafkaJS's retrier hands it out: a KafkaJSNonRetriableError caused by it.
        const error = new KafkaJSDeleteTopicRecordsError({ topic, partitions: failed });
        throw new KafkaJSNonRetriableError(error, { cause: error });
      }
    });
  }

  async listGroups() {
    return kafkaJSErrors(async () => ({
      groups: (await this._admin().listGroups()).map((g) => ({ groupId: g.group_id, protocolType: g.simple ? '' : 'consumer' })),
    }));
  }
}

module.exports = { Admin, kafkaJSGroup };
