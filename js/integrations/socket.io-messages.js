'use strict';
// What kafka-native/socket.io may hand to socket.io from its topic. Any producer can write to
// the topic, so a record is checked before socket.io sees it: a malformed packet would otherwise
// be sent on to every client (whose parser then disconnects them), and a malformed request or
// response would throw inside socket.io-adapter. messageProblem() says what is wrong with a
// decoded cluster message, or null when socket.io can take it; it knows the shapes of
// socket.io-adapter's ClusterAdapter messages (socket.io-adapter 2.5).
const { MessageType } = require('socket.io-adapter');

const PACKET_EVENT = 2; // socket.io-parser's PacketType.EVENT: what a broadcast carries
// Event names socket.io's clients refuse (socket.io-parser's RESERVED_EVENTS): a packet naming
// one is a parse error there, and the client disconnects.
const RESERVED_EVENTS = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
const isRoom = (r) => typeof r === 'string' || typeof r === 'number';
const isRoomList = (v) => Array.isArray(v) && v.every(isRoom);
const isRequestId = (v) => typeof v === 'string';

function optsProblem(opts) {
  if (!isObject(opts)) return 'its opts are not an object';
  if (!isRoomList(opts.rooms) || !isRoomList(opts.except)) return 'its opts.rooms and opts.except are not lists of rooms';
  if (opts.flags !== undefined && opts.flags !== null && !isObject(opts.flags)) return 'its opts.flags are not an object';
  return null;
}

function packetProblem(packet) {
  if (!isObject(packet)) return 'its packet is not an object';
  if (packet.type !== PACKET_EVENT) return `its packet is of type ${JSON.stringify(packet.type)}, not an event`;
  if (!Array.isArray(packet.data) || packet.data.length === 0) return 'its packet data is not [event, ...args]';
  const [event] = packet.data;
  if (!(typeof event === 'number' || (typeof event === 'string' && !RESERVED_EVENTS.has(event)))) {
    return `its packet names no event clients accept (${JSON.stringify(event)})`;
  }
  if (packet.id !== undefined && !Number.isInteger(packet.id)) return 'its packet id is not an integer';
  return null;
}

// The problem with `data` for a message of `type`, or null.
function dataProblem(type, data) {
  if (!isObject(data)) return 'its data is not an object';
  if (data.requestId !== undefined && !isRequestId(data.requestId)) return 'its requestId is not a string';
  switch (type) {
    case MessageType.BROADCAST:
      return packetProblem(data.packet) ?? optsProblem(data.opts);
    case MessageType.SOCKETS_JOIN:
    case MessageType.SOCKETS_LEAVE:
      return optsProblem(data.opts) ?? (isRoomList(data.rooms) ? null : 'its rooms are not a list of rooms');
    case MessageType.DISCONNECT_SOCKETS:
      return optsProblem(data.opts);
    case MessageType.FETCH_SOCKETS:
      return optsProblem(data.opts) ?? (isRequestId(data.requestId) ? null : 'it has no requestId');
    case MessageType.SERVER_SIDE_EMIT:
      return Array.isArray(data.packet) && data.packet.length > 0 ? null : 'its packet is not [event, ...args]';
    case MessageType.FETCH_SOCKETS_RESPONSE:
      if (!isRequestId(data.requestId)) return 'it has no requestId';
      return Array.isArray(data.sockets) && data.sockets.every((s) => isObject(s) && typeof s.id === 'string' && isRoomList(s.rooms))
        ? null
        : 'its sockets are not a list of {id, rooms, ...}';
    case MessageType.BROADCAST_CLIENT_COUNT:
      if (!isRequestId(data.requestId)) return 'it has no requestId';
      return Number.isInteger(data.clientCount) ? null : 'its clientCount is not an integer';
    case MessageType.BROADCAST_ACK:
    case MessageType.SERVER_SIDE_EMIT_RESPONSE:
      return isRequestId(data.requestId) ? null : 'it has no requestId';
    default:
      return `its type ${JSON.stringify(type)} is not one socket.io-adapter knows`;
  }
}

function messageProblem(message) {
  if (!isObject(message)) return 'it is not an object';
  if (typeof message.uid !== 'string' || typeof message.nsp !== 'string') return 'it names no sender (uid) or namespace (nsp)';
  switch (message.type) {
    case MessageType.INITIAL_HEARTBEAT:
    case MessageType.HEARTBEAT:
    case MessageType.ADAPTER_CLOSE:
      return null;
    default:
      return dataProblem(message.type, message.data);
  }
}

// A session kept for connection state recovery: {sid, pid, rooms, data, disconnectedAt}.
function sessionProblem(session) {
  if (!isObject(session)) return 'it is not an object';
  if (typeof session.sid !== 'string' || typeof session.pid !== 'string') return 'it has no sid or pid';
  if (!isRoomList(session.rooms)) return 'its rooms are not a list of rooms';
  if (!Number.isFinite(session.disconnectedAt)) return 'it has no disconnectedAt';
  return null;
}

module.exports = { messageProblem, sessionProblem };
