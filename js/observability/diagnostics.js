'use strict';
// node:diagnostics_channel channels, for APM agents and tools that subscribe without patching.
// Each is published to only when it has subscribers, so an unwatched client pays one property
// read per event. What each message holds is in docs/operations.md ("diagnostics_channel").
const diagnosticsChannel = require('node:diagnostics_channel');

const channels = {
  // A client's start() resolved: {client, kind: 'producer' | 'consumer', assigned?}.
  connect: diagnosticsChannel.channel('kafka-native:connect'),
  // send() or deliver() handed messages to librdkafka: {producer, topic, partition, count}.
  send: diagnosticsChannel.channel('kafka-native:send'),
  // A deliver() call's messages were all delivered, or one failed:
  // {producer, topic, partition, count, positions?, error?}.
  delivery: diagnosticsChannel.channel('kafka-native:delivery'),
  // A batch is handed to the consumer's callback or loop: {consumer, messages}.
  batch: diagnosticsChannel.channel('kafka-native:batch'),
  // A group rebalance changed the consumer's partitions: {consumer, assigned, revoked}.
  rebalance: diagnosticsChannel.channel('kafka-native:rebalance'),
  // Something failed that no Promise reports (a delivery report's failures, a librdkafka
  // error, a user callback that threw): {client, error}.
  error: diagnosticsChannel.channel('kafka-native:error'),
};

module.exports = { channels };
