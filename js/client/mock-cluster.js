'use strict';
// MockCluster: librdkafka's mock brokers, embedded. The addon takes numbers of its own types;
// this checks the JS types first so that a wrong one is an error naming the argument (the core
// checks the ranges).
const native = require('../native/index.js');
const { fail, fromNative } = require('./options');

function integer(value, name) {
  if (!Number.isSafeInteger(value)) throw fail(name, 'an integer', value);
  if (value < -(2 ** 31) || value > 2 ** 31 - 1) throw new RangeError(`kafka-native: ${name} must be a 32-bit integer, got ${value}`);
  return value;
}

class MockCluster {
  constructor(brokers = 1) {
    this._native = fromNative(() => new native.MockCluster(integer(brokers, 'MockCluster argument brokers')));
  }

  // `host:port,...` for the broker option.
  get bootstrapServers() {
    return this._native.bootstrapServers;
  }

  get brokerCount() {
    return this._native.brokerCount;
  }

  createTopic(name, partitions, replicationFactor = 1) {
    if (typeof name !== 'string') throw fail('createTopic() argument name', 'a string', name);
    const p = integer(partitions, 'createTopic() argument partitions');
    const r = integer(replicationFactor, 'createTopic() argument replicationFactor');
    fromNative(() => this._native.createTopic(name, p, r));
  }

  // Takes broker `id` down; the partitions it led (of topics made with createTopic) move to
  // another replica that is up, as a Kafka cluster's controller would move them.
  brokerDown(id) {
    fromNative(() => this._native.brokerDown(integer(id, 'brokerDown() argument id')));
  }

  brokerUp(id) {
    fromNative(() => this._native.brokerUp(integer(id, 'brokerUp() argument id')));
  }

  // The broker leading `partition` of a topic made with createTopic (null for others).
  partitionLeader(topic, partition) {
    if (typeof topic !== 'string') throw fail('partitionLeader() argument topic', 'a string', topic);
    return this._native.partitionLeader(topic, integer(partition, 'partitionLeader() argument partition')) ?? null;
  }

  // Makes broker `id` advertise host:port instead of its own address: with a TLS terminator
  // there in front of brokerPort(id), clients reach the (plaintext) mock over TLS.
  setBrokerAddress(id, host, port) {
    if (typeof host !== 'string') throw fail('setBrokerAddress() argument host', 'a string', host);
    fromNative(() =>
      this._native.setBrokerAddress(integer(id, 'setBrokerAddress() argument id'), host, integer(port, 'setBrokerAddress() argument port')),
    );
  }

  // The port broker `id` listens on.
  brokerPort(id) {
    return fromNative(() => this._native.brokerPort(integer(id, 'brokerPort() argument id')));
  }

  // Delays every response of broker `id` by `rttMs` (0 removes the delay).
  setBrokerRtt(id, rttMs) {
    fromNative(() => this._native.setBrokerRtt(integer(id, 'setBrokerRtt() argument id'), integer(rttMs, 'setBrokerRtt() argument rttMs')));
  }

  // Makes broker `id` the leader of a partition, as an election would; nothing else changes
  // (with setBrokerRtt, an old leader that hangs rather than goes away).
  setPartitionLeader(topic, partition, id) {
    if (typeof topic !== 'string')
      throw new TypeError(`kafka-native: setPartitionLeader() argument topic must be a string, got ${typeof topic}`);
    fromNative(() =>
      this._native.setPartitionLeader(
        topic,
        integer(partition, 'setPartitionLeader() argument partition'),
        integer(id, 'setPartitionLeader() argument id'),
      ),
    );
  }

  // How many bytes of batches each partition keeps, now and in topics made later, like Kafka's
  // retention.bytes: past it the oldest batches go (the earliest offset moves up). The mock
  // keeps 5 MiB unless told: a test that writes more to one partition and reads it from the
  // start would miss the oldest messages.
  setPartitionRetentionBytes(bytes) {
    if (!Number.isSafeInteger(bytes) || bytes < 1) throw fail('setPartitionRetentionBytes() argument bytes', 'a positive integer', bytes);
    fromNative(() => this._native.setPartitionRetentionBytes(bytes));
  }

  // How long the first member of a new consumer group waits for others before the group forms
  // (librdkafka's mock waits 3000 ms unless told; Kafka's group.initial.rebalance.delay.ms).
  setGroupInitialRebalanceDelay(ms) {
    const delay = integer(ms, 'setGroupInitialRebalanceDelay() argument ms');
    if (delay < 0) throw new RangeError(`kafka-native: setGroupInitialRebalanceDelay() argument ms must be >= 0, got ${delay}`);
    this._native.setGroupInitialRebalanceDelay(delay);
  }

  // The next requests with Kafka API key `apiKey` (0 Produce, 1 Fetch, 3 Metadata, 22
  // InitProducerId, ...) fail with `errors`, one each, in order: names as err.code gives them
  // (e.g. 'NOT_LEADER_FOR_PARTITION'). Fault injection for tests.
  pushRequestErrors(apiKey, errors) {
    const key = integer(apiKey, 'pushRequestErrors() argument apiKey');
    if (!Array.isArray(errors)) throw fail('pushRequestErrors() argument errors', 'an array of Kafka error names', errors);
    errors.forEach((e, i) => {
      if (typeof e !== 'string') throw fail(`pushRequestErrors() argument errors[${i}]`, 'a Kafka error name', e);
    });
    fromNative(() => this._native.pushRequestErrors(key, errors));
  }
}

module.exports = { MockCluster };
