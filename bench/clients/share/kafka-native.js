'use strict';
// kafka-native's ShareConsumer in the share-group benchmark (bench/share.js): MEMBERS consumers of
// one share group in this process, at their defaults (explicit acknowledgement; each batch whose
// receive_callback returns is accepted, the acknowledgements sent with the next fetch), or as
// the row says: SHARE_ACK=each accepts each record on its own (message.accept(), sent at once),
// SHARE_ACK=implicit has librdkafka accept each poll's records with the next (acknowledgement_mode
// 'implicit'), SHARE_ACQUIRE sets acquire_mode, SHARE_MAX_RECORDS=N hands at most N a fetch, and
// SHARE_RENEW=1 renews each record's lock (message.renew()) before accepting it. Counts
// records until EXPECT measured ones came, then prints one JSON line as ShareBench.java does:
// records/s from the first record to the last, and the milliseconds from each record's production
// (the producer's wall-clock microseconds in its payload, see produce.js) to its acknowledgement.
const { ShareConsumer } = require('../../..');
const { nowMicros, summary } = require('./common');

const brokers = process.env.KAFKA_BROKERS;
const topic = process.env.KAFKA_TOPIC;
const group = process.env.GROUP;
const members = Number(process.env.MEMBERS);
const expect = Number(process.env.EXPECT);
const timeoutMs = Number(process.env.TIMEOUT_MS || 120_000);
const logger = { error: console.error, warn: console.error, info() {} };

const latencies = [];
let measured = 0;
let first;
let last;
let finished;
const done = new Promise((resolve) => { finished = resolve; });

const eachAck = process.env.SHARE_ACK === 'each';
const renew = process.env.SHARE_RENEW === '1';
const maxRecords = {
  ...(process.env.SHARE_MAX_RECORDS ? { max_records: Number(process.env.SHARE_MAX_RECORDS) } : {}),
  ...(process.env.SHARE_ACQUIRE ? { acquire_mode: process.env.SHARE_ACQUIRE } : {}),
  ...(process.env.SHARE_ACK === 'implicit' ? { acknowledgement_mode: 'implicit' } : {}),
};

function receive({ messages }) {
  const now = nowMicros();
  for (const message of messages) {
    if (renew) message.renew();
    if (eachAck) message.accept();
    const payload = message.payload;
    if (payload.charCodeAt(0) !== 109 /* m: measured; w: warm-up */) continue;
    latencies.push(now - Number(payload.slice(1, payload.indexOf(' '))));
    measured++;
    first ??= process.hrtime.bigint();
    if (measured === expect) {
      last = process.hrtime.bigint();
      finished();
    }
  }
}

(async () => {
  const consumers = Array.from({ length: members }, () => new ShareConsumer({ broker: brokers, group_id: group, topic, receive_callback: receive, logger, ...maxRecords }));
  await Promise.all(consumers.map((c) => c.start()));
  const timer = setTimeout(() => {
    console.error(`kafka-native share bench: ${measured} of ${expect} records in ${timeoutMs} ms`);
    process.exit(1);
  }, timeoutMs);
  await done;
  clearTimeout(timer);
  await Promise.all(consumers.map((c) => c.stop()));
  console.log(JSON.stringify(summary(expect, Number(last - first) / 1e9, latencies)));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
