'use strict';
// A batch as the addon hands it over, in columns (see ReceivedColumns in
// crates/kafka-native-node): payloads and keys are slices of a few large strings or Buffers, and
// the rest typed arrays. Building the message objects here is far cheaper than building them one
// napi call at a time. The Consumer's and the ShareConsumer's batches come so alike.

// The messages of `columns`: plain objects {topic, partition, offset, timestamp, payload, key?,
// headers?}, or with `Message`, instances made as new Message(topic, partition, offset,
// timestamp, payload, key).
function unpack(columns, Message) {
  const { texts, buffers, chunkEnds, bounds, partitions, offsets, timestamps, topics, topicIndex } = columns;
  const chunks = texts.length > 0 ? texts : buffers;
  const messages = new Array(offsets.length);
  let i = 0;
  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c];
    for (const end = chunkEnds[c]; i < end; i++) {
      const b = 4 * i;
      const topic = topicIndex ? topics[topicIndex[i]] : topics[0];
      const payload = bounds[b] < 0 ? null : slice(chunk, bounds[b], bounds[b + 1]);
      const keyStart = bounds[b + 2];
      const timestamp = timestamps[i] < 0 ? null : timestamps[i];
      if (Message) {
        messages[i] = new Message(
          topic,
          partitions[i],
          offsets[i],
          timestamp,
          payload,
          keyStart < 0 ? undefined : slice(chunk, keyStart, bounds[b + 3]),
        );
      } else {
        messages[i] =
          keyStart < 0
            ? { topic, partition: partitions[i], offset: offsets[i], timestamp, payload }
            : { topic, partition: partitions[i], offset: offsets[i], timestamp, payload, key: slice(chunk, keyStart, bounds[b + 3]) };
      }
    }
  }
  for (const { index, names, values } of columns.headers) messages[index].headers = headersObject(names, values);
  return messages;
}

// Header values are Buffers; a name that repeats gets an array of its values, in order (as KafkaJS).
function headersObject(names, values) {
  const headers = {};
  for (let j = 0; j < names.length; j++) {
    const name = names[j];
    if (!Object.hasOwn(headers, name)) headers[name] = values[j];
    else if (Array.isArray(headers[name])) headers[name].push(values[j]);
    else headers[name] = [headers[name], values[j]];
  }
  return headers;
}

// Strings slice without copying (V8 keeps a reference to the chunk); Buffers are views.
const slice = (chunk, start, end) => (typeof chunk === 'string' ? chunk.slice(start, end) : chunk.subarray(start, end));

module.exports = { unpack, headersObject };
