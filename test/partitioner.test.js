'use strict';
// Keys land on the partition the Java client would pick (murmur2), checked against KafkaJS's
// default partitioner: a client nobody here wrote.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Partitioners } = require('kafkajs');
const { kafka, testCluster, waitFor, quietLogger } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;

test('for 1,000 keys, partition -1 picks what KafkaJS\'s default partitioner picks', async () => {
  const topic = 'keyed';
  const partitions = 6;
  await cluster.createTopic(topic, partitions);
  const keys = Array.from({ length: 1000 }, (_, i) => `user-${i * 7919}`);
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  await producer.partition_count(topic);
  assert.equal(producer.send(topic, -1, keys.map((key) => ({ key, payload: key }))).enqueued, 1000);
  await producer.stop();
  const landed = new Map();
  const consumer = new kafka.Consumer({
    broker, topic, offset_directory: null, logger: quietLogger(),
    receive_callback: (d) => { for (const m of d.messages) landed.set(m.key, m.partition); },
  });
  await consumer.start();
  await waitFor('1000 messages', () => landed.size === 1000);
  await consumer.stop();
  const kafkajs = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 1 }));
  const differ = keys.filter((key) => kafkajs({ topic, partitionMetadata, message: { key, value: key } }) !== landed.get(key));
  assert.deepEqual(differ, []);
  assert.equal(new Set(landed.values()).size, partitions, 'keys spread over every partition');
});

// kafka-native/kafkajs's DefaultPartitioner() (and JavaCompatiblePartitioner) returned a
// function that threw when called: code that calls a partitioner itself (a custom partitioner
// wrapping the default, a test) broke. It picks what KafkaJS's does.
test('the KafkaJS layer\'s default partitioner, called from JS, picks what KafkaJS\'s picks', () => {
  const layer = require('../js/kafkajs').Partitioners;
  const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({ partitionId, leader: partitionId === 2 ? -1 : 1 }));
  for (const name of ['DefaultPartitioner', 'JavaCompatiblePartitioner']) {
    const ours = layer[name]();
    const theirs = Partitioners[name]();
    const keys = Array.from({ length: 1000 }, (_, i) => (i % 2 ? `user-${i * 7919}` : Buffer.from([i & 255, (i >> 8) & 255, 7])));
    const differ = keys.filter((key) => ours({ topic: 't', partitionMetadata, message: { key } }) !== theirs({ topic: 't', partitionMetadata, message: { key } }));
    assert.deepEqual(differ, [], name);
    assert.equal(ours({ topic: 't', partitionMetadata, message: { partition: 4 } }), 4);
    const unkeyed = new Set(Array.from({ length: 20 }, () => ours({ topic: 't', partitionMetadata, message: { value: 'v' } })));
    assert.deepEqual([...unkeyed].sort(), [0, 1, 3, 4, 5], `${name}: round-robin over the partitions with a leader`);
  }
});
