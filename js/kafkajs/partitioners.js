'use strict';
// KafkaJS's Partitioners. The default (Java-compatible murmur2 of the key) is librdkafka's own
// 'murmur2_random', run in the native producer: a message without a key goes to a random
// partition there, where KafkaJS's goes round-robin. The legacy partitioner (KafkaJS 1.x's
// murmur2, which differs from Java's) and any custom partitioner run here, per message, with
// the topic's partition list.

// KafkaJS 1.x's murmur2, reproduced exactly (its float arithmetic included) so that keyed
// messages land where they did: from kafkajs/src/producer/partitioners/legacy/murmur2.js (MIT).
/* eslint-disable no-fallthrough */
function legacyMurmur2(key) {
  const SEED = 0x9747b28c;
  const M = 0x5bd1e995;
  const R = 24;
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const length = data.length;
  let h = SEED ^ length;
  const length4 = length / 4;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4 + 0] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16) + ((data[i4 + 3] & 0xff) << 24);
    k *= M;
    k ^= k >>> R;
    k *= M;
    h *= M;
    h ^= k;
  }
  switch (length % 4) {
    case 3:
      h ^= (data[(length & ~3) + 2] & 0xff) << 16;
    case 2:
      h ^= (data[(length & ~3) + 1] & 0xff) << 8;
    case 1:
      h ^= data[length & ~3] & 0xff;
      h *= M;
  }
  h ^= h >>> 13;
  h *= M;
  h ^= h >>> 15;
  return h;
}
/* eslint-enable no-fallthrough */

// The Java client's murmur2 (KafkaJS's default partitioner's, librdkafka's 'murmur2_random'
// for keyed messages), in 32-bit integer arithmetic.
/* eslint-disable no-fallthrough */
function javaMurmur2(key) {
  const SEED = 0x9747b28c;
  const M = 0x5bd1e995;
  const R = 24;
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const length = data.length;
  let h = SEED ^ length;
  for (let i4 = 0; i4 + 4 <= length; i4 += 4) {
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  switch (length % 4) {
    case 3:
      h ^= data[(length & ~3) + 2] << 16;
    case 2:
      h ^= data[(length & ~3) + 1] << 8;
    case 1:
      h ^= data[length & ~3];
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h;
}
/* eslint-enable no-fallthrough */

const toPositive = (x) => x & 0x7fffffff;

// KafkaJS's partitioner shape over a murmur2: the message's own partition, else its key's hash,
// else round-robin over the partitions that have a leader.
const partitionerOver = (murmur2) => () => {
  const counters = {};
  return ({ topic, partitionMetadata, message }) => {
    if (!(topic in counters)) counters[topic] = Math.floor(Math.random() * 2 ** 32);
    const numPartitions = partitionMetadata.length;
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) return toPositive(murmur2(message.key)) % numPartitions;
    if (available.length > 0) return available[toPositive(++counters[topic]) % available.length].partitionId;
    return toPositive(++counters[topic]) % numPartitions;
  };
};

// Marks the default partitioner: the native producer runs it (librdkafka's murmur2_random, the
// same partition for a key); called from JS, it picks as KafkaJS's does.
const NATIVE = Symbol('kafka-native partitioner');
const javaCompatible = partitionerOver(javaMurmur2);

function DefaultPartitioner() {
  const partitioner = javaCompatible();
  partitioner[NATIVE] = true;
  return partitioner;
}

const LegacyPartitioner = partitionerOver(legacyMurmur2);

const Partitioners = { DefaultPartitioner, LegacyPartitioner, JavaCompatiblePartitioner: DefaultPartitioner };

const runsNatively = (partitioner) => partitioner[NATIVE] === true;

module.exports = { Partitioners, runsNatively, legacyMurmur2 };
