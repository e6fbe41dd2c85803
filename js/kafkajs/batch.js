'use strict';
// eachBatch's `batch`, as KafkaJS 2.2.4 makes it (src/consumer/batch.js): the same own fields,
// in the same order, and the same methods on its prototype. This layer hands over no control
// record and no message before the offset fetched, so `rawMessages` and `messagesWithinOffset`
// are `messages`, and the emptiness checks that tell them apart agree with it.
class Batch {
  constructor(topic, partition, highWatermark, fetchedOffset, messages) {
    this.fetchedOffset = fetchedOffset;
    this.topic = topic;
    this.partition = partition;
    this.highWatermark = highWatermark;
    this.rawMessages = messages;
    this.messagesWithinOffset = messages;
    this.messages = messages;
  }

  isEmpty() {
    return this.messages.length === 0;
  }

  isEmptyIncludingFiltered() {
    return this.messagesWithinOffset.length === 0;
  }

  isEmptyDueToFiltering() {
    return this.isEmpty() && this.rawMessages.length > 0;
  }

  isEmptyControlRecord() {
    return this.isEmpty() && this.messagesWithinOffset.some(({ isControlRecord }) => isControlRecord);
  }

  isEmptyDueToLogCompactedMessages() {
    return this.rawMessages.length > 0 && this.isEmptyIncludingFiltered();
  }

  firstOffset() {
    return this.isEmptyIncludingFiltered() ? null : this.messagesWithinOffset[0].offset;
  }

  lastOffset() {
    if (this.isEmptyDueToLogCompactedMessages()) return this.fetchedOffset;
    if (this.isEmptyIncludingFiltered()) return String(BigInt(this.highWatermark) - 1n);
    return this.messagesWithinOffset[this.messagesWithinOffset.length - 1].offset;
  }

  // The lag from the batch's last offset ("high").
  offsetLag() {
    return String(BigInt(this.highWatermark) - 1n - BigInt(this.lastOffset()));
  }

  // The lag from the batch's first offset.
  offsetLagLow() {
    if (this.isEmptyIncludingFiltered()) return '0';
    return String(BigInt(this.highWatermark) - 1n - BigInt(this.firstOffset()));
  }
}

module.exports = { Batch };
