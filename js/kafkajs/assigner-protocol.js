'use strict';
// AssignerProtocol: Kafka's consumer protocol encoding of a member's metadata (its topics) and
// of its assignment, byte for byte as KafkaJS writes and reads them; describeGroups() hands its
// members' assignments out in this form, as KafkaJS does. Decoding checks every length against
// the buffer, so bytes from a broker cannot read past it.

class Writer {
  constructor() {
    this.chunks = [];
  }

  int16(n) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.chunks.push(b);
    return this;
  }

  int32(n) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    this.chunks.push(b);
    return this;
  }

  string(s) {
    const bytes = Buffer.from(String(s), 'utf8');
    this.int16(bytes.length);
    this.chunks.push(bytes);
    return this;
  }

  bytes(b) {
    if (b === null || b === undefined) return this.int32(-1);
    const bytes = Buffer.from(b);
    this.int32(bytes.length);
    this.chunks.push(bytes);
    return this;
  }

  array(items, write) {
    this.int32(items.length);
    for (const item of items) write(item);
    return this;
  }

  get buffer() {
    return Buffer.concat(this.chunks);
  }
}

class Reader {
  constructor(buffer) {
    if (!Buffer.isBuffer(buffer)) throw new TypeError('AssignerProtocol: decode() takes a Buffer');
    this.buffer = buffer;
    this.offset = 0;
  }

  need(n) {
    if (this.offset + n > this.buffer.length)
      throw new RangeError(`AssignerProtocol: truncated data (${n} bytes wanted at ${this.offset} of ${this.buffer.length})`);
  }

  canReadInt16() {
    return this.offset + 2 <= this.buffer.length;
  }

  int16() {
    this.need(2);
    const n = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return n;
  }

  int32() {
    this.need(4);
    const n = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return n;
  }

  string() {
    const length = this.int16();
    if (length < 0) return null;
    this.need(length);
    const s = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return s;
  }

  bytes() {
    // A member written before user data existed ends here.
    if (this.offset === this.buffer.length) return Buffer.alloc(0);
    const length = this.int32();
    if (length < 0) return null;
    this.need(length);
    const b = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return b;
  }

  array(read) {
    const count = this.int32();
    if (count < 0) return [];
    // Each element takes at least 2 bytes: a count beyond that is corrupt, not a huge array.
    if (count > (this.buffer.length - this.offset) / 2)
      throw new RangeError(`AssignerProtocol: array of ${count} cannot fit in ${this.buffer.length - this.offset} bytes`);
    const items = [];
    for (let i = 0; i < count; i++) items.push(read());
    return items;
  }
}

const MemberMetadata = {
  encode({ version, topics, userData = Buffer.alloc(0) }) {
    const w = new Writer().int16(version);
    w.array(topics, (t) => w.string(t));
    return w.bytes(userData).buffer;
  },

  decode(buffer) {
    const r = new Reader(buffer);
    return { version: r.int16(), topics: r.array(() => r.string()), userData: r.bytes() };
  },
};

const MemberAssignment = {
  encode({ version, assignment, userData = Buffer.alloc(0) }) {
    const w = new Writer().int16(version);
    w.array(Object.keys(assignment), (topic) => {
      w.string(topic);
      w.array(assignment[topic], (p) => w.int32(p));
    });
    return w.bytes(userData).buffer;
  },

  // null for an empty buffer (a member with no assignment yet), as KafkaJS.
  decode(buffer) {
    const r = new Reader(buffer);
    if (!r.canReadInt16()) return null;
    const version = r.int16();
    const assignment = {};
    for (const { topic, partitions } of r.array(() => ({ topic: r.string(), partitions: r.array(() => r.int32()) })))
      assignment[topic] = partitions;
    return { version, assignment, userData: r.bytes() };
  },
};

module.exports = { AssignerProtocol: { MemberMetadata, MemberAssignment } };
