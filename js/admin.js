'use strict';
// Admin: topics and consumer groups, managed through the brokers. Every method returns a
// Promise; errors name the topic or group and carry librdkafka's error name.
const { NativeAdmin } = require('./native/index.js');
const { oauthbearerBridge } = require('./oauthbearer');
const { adminOptions, logTo, fail, fromNative } = require('./options');

function topicSpec(spec, i) {
  const where = `createTopics() argument topics[${i}]`;
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw fail(where, 'an object like {topic, partitions}', spec);
  const unknown = Object.keys(spec).filter((k) => !['topic', 'partitions', 'replication_factor', 'config'].includes(k));
  if (unknown.length > 0) throw new TypeError(`kafka-native: ${where} has unknown key ${unknown[0]} (it takes topic, partitions, replication_factor, config)`);
  if (typeof spec.topic !== 'string') throw fail(`${where}.topic`, 'a string', spec.topic);
  if (!Number.isInteger(spec.partitions)) throw fail(`${where}.partitions`, 'an integer', spec.partitions);
  if (spec.replication_factor !== undefined && !Number.isInteger(spec.replication_factor)) throw fail(`${where}.replication_factor`, 'an integer', spec.replication_factor);
  const config = spec.config ?? {};
  if (typeof config !== 'object' || Array.isArray(config)) throw fail(`${where}.config`, 'an object of topic properties', config);
  return {
    topic: spec.topic,
    partitions: spec.partitions,
    replicationFactor: spec.replication_factor,
    config: Object.fromEntries(Object.entries(config).map(([k, v]) => {
      if (!['string', 'number', 'boolean'].includes(typeof v)) throw fail(`${where}.config[${JSON.stringify(k)}]`, 'a string, number or boolean', v);
      return [k, String(v)];
    })),
  };
}

// Runs an admin call; a bad argument rejects rather than throws.
function call(run) {
  try {
    return run();
  } catch (err) {
    return Promise.reject(err);
  }
}

class Admin {
  constructor(options) {
    const opts = adminOptions(options);
    this._native = fromNative(() => new NativeAdmin(opts.native, logTo(opts.logger), oauthbearerBridge(opts.oauthbearer_token_callback)));
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
      if (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string')) throw fail('deleteTopics() argument topics', 'an array of topic names', topics);
      return this._native.deleteTopics(topics);
    });
  }

  // [{topic, count}]: raises each topic's partition count to `count` (Kafka never lowers one);
  // resolves once the metadata lists it. On the MockCluster it rejects at once.
  createPartitions(totals) {
    return call(() => {
      if (!Array.isArray(totals)) throw fail('createPartitions() argument totals', 'an array of {topic, count}', totals);
      totals.forEach((t, i) => {
        if (t === null || typeof t !== 'object' || typeof t.topic !== 'string' || !Number.isInteger(t.count)) throw fail(`createPartitions() argument totals[${i}]`, '{topic, count}', t);
      });
      return this._native.createPartitions(totals.map(({ topic, count }) => ({ topic, count })));
    });
  }

  // Deletes consumer groups; one with members is refused (err.code 'NON_EMPTY_GROUP').
  deleteGroups(group_ids) {
    return call(() => {
      if (!Array.isArray(group_ids) || group_ids.some((g) => typeof g !== 'string')) throw fail('deleteGroups() argument group_ids', 'an array of group ids', group_ids);
      return this._native.deleteGroups(group_ids);
    });
  }

  // Sets a group's committed offsets, [{topic, partition, offset}] (each the next offset to
  // read). The group must have no members.
  setGroupOffsets(group_id, offsets) {
    return call(() => {
      if (typeof group_id !== 'string') throw fail('setGroupOffsets() argument group_id', 'a string', group_id);
      if (!Array.isArray(offsets)) throw fail('setGroupOffsets() argument offsets', 'an array of {topic, partition, offset}', offsets);
      offsets.forEach((o, i) => {
        if (o === null || typeof o !== 'object' || typeof o.topic !== 'string' || !Number.isInteger(o.partition) || !Number.isSafeInteger(o.offset)) throw fail(`setGroupOffsets() argument offsets[${i}]`, '{topic, partition, offset}', o);
      });
      return this._native.setGroupOffsets(group_id, offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
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
      if (!Number.isInteger(partition) || partition < 0 || partition > 2 ** 31 - 1) throw fail('watermarks() argument partition', 'a partition number', partition);
      return this._native.watermarks(topic, partition);
    });
  }

  // → [{group_id, state, simple}].
  listGroups() {
    return this._native.listGroups().then((groups) => groups.map((g) => ({ group_id: g.groupId, state: g.state, simple: g.simple })));
  }

  // → [{topic, partition, committed, high_watermark, lag}] for every partition the group
  // committed to.
  groupOffsets(group_id) {
    return call(() => {
      if (typeof group_id !== 'string') throw fail('groupOffsets() argument group_id', 'a string', group_id);
      return this._native.groupOffsets(group_id).then((offsets) => offsets.map((o) => ({
        topic: o.topic, partition: o.partition, committed: o.committed, high_watermark: o.highWatermark, lag: o.lag,
      })));
    });
  }
}

module.exports = { Admin };
