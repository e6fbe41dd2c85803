'use strict';
// A share group member that takes one batch and holds it (its receive_callback never settles),
// telling its parent what it holds: share-consumer.test.js kills it with SIGKILL.
// Arguments: broker, group id, topic.
const kafka = require('..');

const [broker, group_id, topic] = process.argv.slice(2);
const consumer = new kafka.ShareConsumer({
  broker,
  group_id,
  topic,
  logger: { error() {}, warn() {}, info() {}, debug() {} },
  receive_callback: ({ messages }) => {
    process.send(messages.map((m) => m.payload));
    return new Promise(() => {});
  },
});
consumer.start();
