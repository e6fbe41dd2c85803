'use strict';
// Admin: topics and consumer groups, managed through the brokers. Every method returns a
// Promise; errors name the topic or group and carry librdkafka's error name.
const { NativeAdmin } = require('../native/index.js');
const { oauthbearerBridge } = require('./oauthbearer');
const { adminOptions, logTo, fail, fromNative } = require('./options');
const { offsetList } = require('./argument-error');

function topicSpec(spec, i) {
  const where = `createTopics() argument topics[${i}]`;
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw fail(where, 'an object like {topic, partitions}', spec);
  const unknown = Object.keys(spec).filter((k) => !['topic', 'partitions', 'replication_factor', 'config'].includes(k));
  if (unknown.length > 0)
    throw new TypeError(`kafka-native: ${where} has unknown key ${unknown[0]} (it takes topic, partitions, replication_factor, config)`);
  if (typeof spec.topic !== 'string') throw fail(`${where}.topic`, 'a string', spec.topic);
  if (!Number.isInteger(spec.partitions)) throw fail(`${where}.partitions`, 'an integer', spec.partitions);
  if (spec.replication_factor !== undefined && !Number.isInteger(spec.replication_factor))
    throw fail(`${where}.replication_factor`, 'an integer', spec.replication_factor);
  const config = spec.config ?? {};
  if (typeof config !== 'object' || Array.isArray(config)) throw fail(`${where}.config`, 'an object of topic properties', config);
  return {
    topic: spec.topic,
    partitions: spec.partitions,
    replicationFactor: spec.replication_factor,
    config: Object.fromEntries(
      Object.entries(config).map(([k, v]) => {
        if (!['string', 'number', 'boolean'].includes(typeof v))
          throw fail(`${where}.config[${JSON.stringify(k)}]`, 'a string, number or boolean', v);
        return [k, String(v)];
      }),
    ),
  };
}

function checkResources(where, resources, argument = 'resources') {
  if (!Array.isArray(resources))
    throw fail(`${where} argument ${argument}`, "an array of {kind: 'topic' | 'broker' | 'group', name}", resources);
  resources.forEach((r, i) => {
    if (r === null || typeof r !== 'object') throw fail(`${where} argument ${argument}[${i}]`, '{kind, name}', r);
    if (r.kind !== 'topic' && r.kind !== 'broker' && r.kind !== 'group')
      throw fail(`${where} argument ${argument}[${i}].kind`, "'topic', 'broker' or 'group'", r.kind);
    if (typeof r.name !== 'string')
      throw fail(`${where} argument ${argument}[${i}].name`, 'a string (a broker by its id, e.g. "1")', r.name);
  });
}

function configChanges(where, changes) {
  checkResources(where, changes, 'changes');
  return changes.map(({ kind, name, config }, i) => {
    if (config === null || typeof config !== 'object' || Array.isArray(config))
      throw fail(`${where} argument changes[${i}].config`, 'an object of settings', config);
    return {
      kind,
      name,
      config: Object.fromEntries(
        Object.entries(config).map(([k, v]) => {
          if (!['string', 'number', 'boolean'].includes(typeof v))
            throw fail(`${where} argument changes[${i}].config[${JSON.stringify(k)}]`, 'a string, number or boolean', v);
          return [k, String(v)];
        }),
      ),
    };
  });
}

// Runs an admin call; a bad argument rejects rather than throws.
function call(run) {
  try {
    return run();
  } catch (err) {
    return Promise.reject(err);
  }
}

const groupListings = (groups) => groups.map((g) => ({ group_id: g.groupId, type: g.groupType, state: g.state, simple: g.simple }));

class Admin {
  constructor(options) {
    const opts = adminOptions(options);
    const self = new WeakRef(this);
    this._native = fromNative(
      () =>
        new NativeAdmin(
          opts.native,
          logTo(opts.logger, () => self.deref()),
          oauthbearerBridge(opts.oauthbearer_token_callback),
        ),
    );
  }

  // Stops the client: calls made after it reject (err.code 'STOPPED'); its thread and
  // connections go once the calls in flight have ended. Idempotent.
  stop() {
    return this._native.stop();
  }

  // [{topic, partitions, replication_factor, config}]; replication_factor defaults to the
  // broker's. On the MockCluster it rejects at once: use MockCluster.createTopic there.
  createTopics(topics) {
    return call(() => {
      if (!Array.isArray(topics)) throw fail('createTopics() argument topics', 'an array of {topic, partitions}', topics);
      return this._native.createTopics(topics.map(topicSpec));
    });
  }

  deleteTopics(topics) {
    return call(() => {
      if (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string'))
        throw fail('deleteTopics() argument topics', 'an array of topic names', topics);
      return this._native.deleteTopics(topics);
    });
  }

  // [{topic, count}]: raises each topic's partition count to `count` (Kafka never lowers one);
  // resolves once the metadata lists it. On the MockCluster it rejects at once.
  createPartitions(totals) {
    return call(() => {
      if (!Array.isArray(totals)) throw fail('createPartitions() argument totals', 'an array of {topic, count}', totals);
      totals.forEach((t, i) => {
        if (t === null || typeof t !== 'object' || typeof t.topic !== 'string' || !Number.isInteger(t.count))
          throw fail(`createPartitions() argument totals[${i}]`, '{topic, count}', t);
      });
      return this._native.createPartitions(totals.map(({ topic, count }) => ({ topic, count })));
    });
  }

  // Deletes consumer groups; one with members is refused (err.code 'NON_EMPTY_GROUP').
  deleteGroups(group_ids) {
    return call(() => {
      if (!Array.isArray(group_ids) || group_ids.some((g) => typeof g !== 'string'))
        throw fail('deleteGroups() argument group_ids', 'an array of group ids', group_ids);
      return this._native.deleteGroups(group_ids);
    });
  }

  // Sets a group's committed offsets, [{topic, partition, offset}] (each the next offset to
  // read). The group must have no members.
  setGroupOffsets(group_id, offsets) {
    return call(() => {
      if (typeof group_id !== 'string') throw fail('setGroupOffsets() argument group_id', 'a string', group_id);
      return this._native.setGroupOffsets(group_id, offsetList('setGroupOffsets() argument offsets', offsets));
    });
  }

  // → [{topic, partitions}], by name.
  listTopics() {
    return this._native.listTopics();
  }

  // → {low, high}.
  watermarks(topic, partition) {
    return call(() => {
      if (typeof topic !== 'string') throw fail('watermarks() argument topic', 'a string', topic);
      if (!Number.isInteger(partition) || partition < 0 || partition > 2 ** 31 - 1)
        throw fail('watermarks() argument partition', 'a partition number', partition);
      return this._native.watermarks(topic, partition);
    });
  }

  // → [{group_id, type, state, simple}]: the consumer groups (type 'classic' or 'consumer').
  listGroups() {
    return this._native.listGroups(false).then(groupListings);
  }

  // → [{group_id, type: 'share', state, simple: false}]: the share groups (KIP-932), as Kafka's
  // Java Admin.listShareGroups(). describeGroups() describes them and deleteGroups() deletes them.
  listShareGroups() {
    return this._native.listGroups(true).then(groupListings);
  }

  // → [{topic, partition, start_offset, leader_epoch, lag}] for each partition the share group
  // has begun, as `kafka-share-groups.sh --describe --offsets` (leader_epoch and lag null where
  // the broker gives none).
  shareGroupOffsets(group_id) {
    return call(() => {
      if (typeof group_id !== 'string') throw fail('shareGroupOffsets() argument group_id', 'a string', group_id);
      return this._native.shareGroupOffsets(group_id).then((offsets) =>
        offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          start_offset: o.startOffset,
          leader_epoch: o.leaderEpoch ?? null,
          lag: o.lag ?? null,
        })),
      );
    });
  }

  // Moves a share group's start offsets, [{topic, partition, offset}] (offset 0 or more,
  // 'earliest' or 'latest'; offsetsAtTime() gives a time's). The group must have no members.
  setShareGroupOffsets(group_id, offsets) {
    return call(() => {
      const where = 'setShareGroupOffsets() argument offsets';
      if (typeof group_id !== 'string') throw fail('setShareGroupOffsets() argument group_id', 'a string', group_id);
      // The shape here; which offsets are valid (0 or more, 'earliest', 'latest') is the core's.
      const list = offsetList(where, offsets, {
        element: "{topic, partition, offset} (offset: 0 or more, 'earliest' or 'latest')",
        named: true,
      });
      return this._native.setShareGroupOffsets(
        group_id,
        list.map((o) => ({ ...o, offset: String(o.offset) })),
      );
    });
  }

  // Forgets a share group's offsets of whole topics ([names]); the group starts them over as
  // new ones. The group must have no members.
  deleteShareGroupOffsets(group_id, topics) {
    return call(() => {
      if (typeof group_id !== 'string') throw fail('deleteShareGroupOffsets() argument group_id', 'a string', group_id);
      if (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string'))
        throw fail('deleteShareGroupOffsets() argument topics', 'an array of topic names', topics);
      return this._native.deleteShareGroupOffsets(group_id, topics);
    });
  }

  // → {cluster_id, controller, brokers: [{id, host, port}]}; cluster_id and controller are
  // null where the brokers do not say.
  describeCluster() {
    return this._native
      .describeCluster()
      .then((c) => ({ cluster_id: c.clusterId ?? null, controller: c.controller ?? null, brokers: c.brokers }));
  }

  // → [{topic, partitions: [{partition, leader, replicas, in_sync_replicas, error}]}]: the
  // topics named, or every topic. A topic the brokers do not know rejects
  // (err.code 'UNKNOWN_TOPIC_OR_PART').
  describeTopics(topics = []) {
    return call(() => {
      if (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string'))
        throw fail('describeTopics() argument topics', 'an array of topic names', topics);
      return this._native.describeTopics(topics).then((described) =>
        described.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => ({
            partition: p.partition,
            leader: p.leader,
            replicas: p.replicas,
            in_sync_replicas: p.inSyncReplicas,
            error: p.error ?? null,
          })),
        })),
      );
    });
  }

  // → [{partition, offset}]: each partition's first offset whose timestamp is at or after
  // `timestamp` (ms since the epoch, or a Date); offset null where no message is that recent.
  offsetsAtTime(topic, timestamp) {
    return call(() => {
      if (typeof topic !== 'string') throw fail('offsetsAtTime() argument topic', 'a string', topic);
      const at = timestamp instanceof Date ? timestamp.getTime() : timestamp;
      if (!Number.isSafeInteger(at) || at < 0)
        throw fail('offsetsAtTime() argument timestamp', 'milliseconds since the epoch or a Date', timestamp);
      return this._native
        .offsetsAtTime(topic, at)
        .then((offsets) => offsets.map((o) => ({ partition: o.partition, offset: o.offset ?? null })));
    });
  }

  // → [{group_id, type, state, partition_assignor, simple, coordinator, members: [{member_id,
  // client_id, host, group_instance_id, assignment: [{topic, partition}]}]}]: consumer groups
  // and share groups (type 'share'). A group that does not exist has the state 'Dead'. On the
  // MockCluster it rejects at once.
  describeGroups(group_ids) {
    return call(() => {
      if (!Array.isArray(group_ids) || group_ids.some((g) => typeof g !== 'string'))
        throw fail('describeGroups() argument group_ids', 'an array of group ids', group_ids);
      return this._native.describeGroups(group_ids).then((groups) =>
        groups.map((g) => ({
          group_id: g.groupId,
          type: g.groupType,
          state: g.state,
          partition_assignor: g.partitionAssignor,
          simple: g.simple,
          coordinator: g.coordinator ?? null,
          members: g.members.map((m) => ({
            member_id: m.memberId,
            client_id: m.clientId,
            host: m.host,
            group_instance_id: m.groupInstanceId ?? null,
            assignment: m.assignment,
          })),
        })),
      );
    });
  }

  // [{kind: 'topic' | 'broker' | 'group', name}] → [{kind, name, entries: [{name, value, source,
  // is_default, read_only, sensitive, synonyms: [{name, value, source}]}]}]; source is Kafka's
  // number (1 topic, 2 dynamic broker, 3 dynamic default broker, 4 static broker, 5 default).
  describeConfigs(resources) {
    return call(() => {
      checkResources('describeConfigs()', resources);
      return this._native.describeConfigs(resources.map(({ kind, name }) => ({ kind, name }))).then((described) =>
        described.map((d) => ({
          kind: d.kind,
          name: d.name,
          entries: d.entries.map((e) => ({
            name: e.name,
            value: e.value ?? null,
            source: e.source,
            is_default: e.isDefault,
            read_only: e.readOnly,
            sensitive: e.sensitive,
            synonyms: e.synonyms.map((y) => ({ name: y.name, value: y.value ?? null, source: y.source })),
          })),
        })),
      );
    });
  }

  // [{kind, name, config: {name: value}}]: sets the settings named and leaves the others.
  setConfigs(changes) {
    return call(() => this._native.setConfigs(configChanges('setConfigs()', changes)));
  }

  // [{kind, name, config}]: replaces each resource's dynamic configuration; settings not named
  // return to their defaults (as KafkaJS's alterConfigs). setConfigs() is usually what you want.
  replaceConfigs(changes) {
    return call(() => this._native.replaceConfigs(configChanges('replaceConfigs()', changes)));
  }

  // [{topic, partition, offset}]: deletes each partition's messages before `offset` (-1: all
  // of them); → [{topic, partition, offset}], each partition's new low watermark.
  deleteRecords(before) {
    return call(() => {
      return this._native.deleteRecords(offsetList('deleteRecords() argument before', before));
    });
  }

  // → [{topic, partition, committed, high_watermark, lag}] for every partition the group
  // committed to.
  groupOffsets(group_id) {
    return call(() => {
      if (typeof group_id !== 'string') throw fail('groupOffsets() argument group_id', 'a string', group_id);
      return this._native.groupOffsets(group_id).then((offsets) =>
        offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          committed: o.committed,
          high_watermark: o.highWatermark,
          lag: o.lag,
        })),
      );
    });
  }
}

module.exports = { Admin };
