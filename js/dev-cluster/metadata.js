'use strict';
// One Kafka Metadata request (v4) over a plain TCP socket: the brokers a node knows, and the
// leader of each partition of the topics asked about. The starter's readiness check ("it answers
// metadata, with every node in it"), kept free of the addon so that the starter runs before the
// addon is built; tests ask it who leads a partition.
const net = require('node:net');

function request(correlationId, topics) {
  const clientId = Buffer.from('kafka-native-probe');
  const names = topics.map((t) => Buffer.from(t));
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + names.reduce((n, b) => n + 2 + b.length, 0) + 1);
  let at = 0;
  at = body.writeInt16BE(3, at); // Metadata
  at = body.writeInt16BE(4, at); // version 4
  at = body.writeInt32BE(correlationId, at);
  at = body.writeInt16BE(clientId.length, at);
  at += clientId.copy(body, at);
  at = body.writeInt32BE(names.length, at);
  for (const name of names) {
    at = body.writeInt16BE(name.length, at);
    at += name.copy(body, at);
  }
  body.writeInt8(0, at); // allow_auto_topic_creation: false
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

// The response body after the correlation id: throttle_time_ms, brokers [id, host, port, rack],
// cluster_id, controller_id, then topics [error, name, internal, partitions [error, index,
// leader, replicas [id], isr [id]]].
function parse(buf) {
  let at = 4; // throttle_time_ms
  const count = buf.readInt32BE(at);
  at += 4;
  const brokers = [];
  for (let i = 0; i < count; i++) {
    const id = buf.readInt32BE(at);
    const hostLength = buf.readInt16BE(at + 4);
    const host = buf.toString('utf8', at + 6, at + 6 + hostLength);
    at += 6 + hostLength;
    const port = buf.readInt32BE(at);
    const rackLength = buf.readInt16BE(at + 4);
    at += 6 + Math.max(rackLength, 0);
    brokers.push({ id, host, port });
  }
  const string = () => {
    const length = buf.readInt16BE(at);
    at += 2;
    const text = length < 0 ? null : buf.toString('utf8', at, at + length);
    at += Math.max(length, 0);
    return text;
  };
  string(); // cluster_id
  at += 4; // controller_id
  const leaders = {};
  const topicCount = buf.readInt32BE(at);
  at += 4;
  for (let t = 0; t < topicCount; t++) {
    at += 2; // error_code
    const name = string();
    at += 1; // is_internal
    const partitionCount = buf.readInt32BE(at);
    at += 4;
    leaders[name] = [];
    for (let p = 0; p < partitionCount; p++) {
      const index = buf.readInt32BE(at + 2);
      leaders[name][index] = buf.readInt32BE(at + 6);
      at += 10;
      for (let list = 0; list < 2; list++) at += 4 + 4 * buf.readInt32BE(at); // replicas, isr
    }
  }
  return { brokers, leaders };
}

// Resolves to {brokers: [{id, host, port}], leaders: {topic: [leader id by partition]}}, or
// rejects (refused, closed, timed out, malformed).
function metadata(host, port, topics = [], timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    let received = Buffer.alloc(0);
    const done = (err, value) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no Metadata answer from ${host}:${port} in ${timeoutMs} ms`)));
    socket.on('error', (err) => done(err));
    socket.on('close', () => done(new Error(`${host}:${port} closed the connection`)));
    socket.on('connect', () => socket.write(request(1, topics)));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      try {
        done(null, parse(received.subarray(8, 4 + received.readInt32BE(0))));
      } catch (err) {
        done(new Error(`a malformed Metadata answer from ${host}:${port}: ${err.message}`));
      }
    });
  });
}

// The brokers a node knows: [{id, host, port}].
const brokers = (host, port, timeoutMs) => metadata(host, port, [], timeoutMs).then((m) => m.brokers);

module.exports = { brokers, metadata };
