'use strict';
// Bad input: a clear error naming the option or argument, never a crash or a silent default.
// (The core's half of the table is crates/kafka-native/tests/validation.rs.)
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { kafka, tempDir, quietLogger } = require('./helpers');

const ok = () => Promise.resolve();
const consumer = (extra) => () => new kafka.Consumer({ broker: 'localhost:9092', topic: 't', receive_callback: ok, logger: quietLogger(), ...extra });
const producer = (extra) => () => new kafka.Producer({ broker: 'localhost:9092', logger: quietLogger(), ...extra });
const aFile = path.join(tempDir(), 'a-file');
fs.writeFileSync(aFile, '');

// [what, thunk, pattern]: each pattern names the option or argument.
const constructors = [
  ['Producer without options', () => new kafka.Producer(), /Producer options must be an object, got undefined/],
  ['Producer with an array for options', () => new kafka.Producer([]), /Producer options must be an object, got an array/],
  ['Producer without broker', () => new kafka.Producer({}), /option broker is required/],
  ['Producer with a numeric broker', producer({ broker: 9092 }), /option broker must be a string, got 9092/],
  ['Producer with an empty broker', producer({ broker: '' }), /broker is required/],
  ['Producer with a string interval', producer({ statistics_interval_ms: '100' }), /option statistics_interval_ms must be an integer/],
  ['Producer with an interval over a day', producer({ statistics_interval_ms: 100000000 }), /statistics_interval_ms must be at most 86400000/],
  ['Producer with a negative queue size', producer({ queue_buffering_max_messages: -1 }), /option queue_buffering_max_messages must be an integer from 0/],
  ['Producer with a zero queue size', producer({ queue_buffering_max_messages: 0 }), /queue_buffering_max_messages must be between 1 and 2147483647, got 0/],
  ['Producer with a negative queue byte bound', producer({ queue_buffering_max_kbytes: -1 }), /option queue_buffering_max_kbytes must be an integer from 0/],
  ['Producer with a zero queue byte bound', producer({ queue_buffering_max_kbytes: 0 }), /queue_buffering_max_kbytes must be between 1 and 2147483647, got 0/],
  ['Producer with the queue byte bound set twice', producer({ queue_buffering_max_kbytes: 5, driver_options: { 'queue.buffering.max.kbytes': 10 } }), /option queue_buffering_max_kbytes and driver_options\["queue\.buffering\.max\.kbytes"\] set the same thing/],
  ['Producer lingering a million ms', producer({ queue_buffering_max_ms: 1000000 }), /queue_buffering_max_ms must be at most 900000/],
  ['Producer with a non-function stats_callback', producer({ stats_callback: 1 }), /option stats_callback must be a function/],
  ['Producer with a string delivery_report_callback', producer({ delivery_report_callback: 'f' }), /option delivery_report_callback must be a function/],
  ['Producer with an unknown option', producer({ queue_buffering_max_msgs: 5 }), /unknown Producer option queue_buffering_max_msgs \(did you mean queue_buffering_max_messages\?\)/],
  ['Producer with a far-off unknown option', producer({ colour: 'blue' }), /unknown Producer option colour$/],
  ['Producer with an unknown driver option', producer({ driver_options: { 'no.such.key': 1 } }), /no\.such\.key/],
  ['Producer with a bad driver option value', producer({ driver_options: { 'linger.ms': 'soon' } }), /linger\.ms/],
  ['Producer with an object driver option value', producer({ driver_options: { 'linger.ms': {} } }), /driver_options\["linger\.ms"\]/],
  ['Producer with an array of driver options', producer({ driver_options: ['linger.ms'] }), /option driver_options must be an object/],
  ['Producer with bootstrap.servers in driver_options', producer({ driver_options: { 'bootstrap.servers': 'elsewhere:9092' } }), /driver_options must not set "bootstrap\.servers"/],
  ['Producer with metadata.broker.list in driver_options', producer({ driver_options: { 'metadata.broker.list': 'x:1' } }), /driver_options must not set "metadata\.broker\.list"/],
  ['Producer with linger set twice', producer({ queue_buffering_max_ms: 5, driver_options: { 'linger.ms': 10 } }), /option queue_buffering_max_ms and driver_options\["linger\.ms"\] set the same thing/],
  ['Producer with a bad topic option', producer({ topic_options: { acks: 'some' } }), /acks/],
  ['Producer with a logger lacking error()', producer({ logger: {} }), /option logger\.error must be a function/],
  ['Producer with a string logger', producer({ logger: 'console' }), /option logger must be/],
  ['Consumer without broker', consumer({ broker: undefined }), /option broker is required/],
  ['Consumer without topic', consumer({ topic: undefined }), /option topic is required/],
  ['Consumer with a numeric topic', consumer({ topic: 5 }), /option topic must be a topic name or \(with group_id\) an array of them, got 5/],
  ['Consumer with an empty topic list', consumer({ topic: [] }), /option topic must be a topic name or \(with group_id\) an array of them, got an array/],
  ['Consumer with topics but no group', consumer({ topic: ['a', 'b'] }), /topic may name several topics only with group_id/],
  ['Consumer in a group with num_workers', consumer({ group_id: 'g', num_workers: 2 }), /num_workers and worker_slot split partitions by hand; with group_id the brokers assign them/],
  ['Consumer in a group with an offset_directory', consumer({ group_id: 'g', offset_directory: '/tmp/x' }), /offset_directory and group_id cannot go together/],
  ['Consumer with an empty group_id', consumer({ group_id: ' ' }), /group_id must not be empty/],
  ['Consumer with a bad group_protocol', consumer({ group_id: 'g', group_protocol: 'eager' }), /group_protocol must be "classic" or "consumer", got "eager"/],
  ['Consumer with a string rebalance_callback', consumer({ group_id: 'g', rebalance_callback: 'f' }), /option rebalance_callback must be a function/],
  ['Consumer with an empty topic', consumer({ topic: '' }), /topic must be 1 to 249 characters long/],
  ['Consumer with an illegal topic name', consumer({ topic: '../../etc/passwd' }), /topic may only hold/],
  ['Consumer with topic ".."', consumer({ topic: '..' }), /topic must not be "\.\."/],
  ['Consumer with a string receive_callback', consumer({ receive_callback: 'f' }), /option receive_callback must be a function/],
  ['Consumer with worker_slot >= num_workers', consumer({ num_workers: 2, worker_slot: 2 }), /worker_slot must be between 0 and num_workers - 1 \(1\), got 2/],
  ['Consumer with negative worker_slot', consumer({ worker_slot: -1 }), /worker_slot must be between 0/],
  ['Consumer with zero num_workers', consumer({ num_workers: 0 }), /num_workers must be at least 1, got 0/],
  ['Consumer with fractional max_messages_per_callback', consumer({ max_messages_per_callback: 1.5 }), /option max_messages_per_callback must be an integer/],
  ['Consumer with zero max_messages_per_callback', consumer({ max_messages_per_callback: 0 }), /max_messages_per_callback must be at least 1/],
  ['Consumer with zero queued_max_messages_kbytes', consumer({ queued_max_messages_kbytes: 0 }), /queued_max_messages_kbytes must be between 1 and 2097151/],
  ['Consumer with a bad payload_encoding', consumer({ payload_encoding: 'latin1' }), /option payload_encoding must be "utf8" or "buffer", got "latin1"/],
  ['Consumer with a bad topic option', consumer({ topic_options: { 'auto.offset.reset': 'sideways' } }), /auto\.offset\.reset/],
  ['Consumer with start_offset -1', consumer({ start_offset: -1 }), /start_offset must be "earliest", "latest" or an offset >= 0, got "-1"/],
  ['Consumer with start_offset "middle"', consumer({ start_offset: 'middle' }), /start_offset must be .* got "middle"/],
  ['Consumer with a fractional start_offset', consumer({ start_offset: 1.5 }), /option start_offset must be .* got 1\.5/],
  ['Consumer with an object start_offset', consumer({ start_offset: {} }), /option start_offset must be/],
  ['Consumer with a string fetch_wait_max_ms', consumer({ fetch_wait_max_ms: 'x' }), /option fetch_wait_max_ms must be an integer from 0 to 4294967295, got "x"/],
  ['Consumer with a negative fetch_wait_max_ms', consumer({ fetch_wait_max_ms: -5 }), /option fetch_wait_max_ms must be an integer/],
  ['Consumer with fetch_wait_max_ms over 5 minutes', consumer({ fetch_wait_max_ms: 400000 }), /fetch_wait_max_ms must be at most 300000 \(5 minutes\), got 400000/],
  ['Consumer with fetch.wait.max.ms set twice', consumer({ fetch_wait_max_ms: 5, driver_options: { 'fetch.wait.max.ms': 10 } }), /option fetch_wait_max_ms and driver_options\["fetch\.wait\.max\.ms"\]/],
  ['Consumer with bootstrap.servers in driver_options', consumer({ driver_options: { 'bootstrap.servers': 'x:1' } }), /driver_options must not set "bootstrap\.servers"/],
  // What the consumer sets itself and depends on (group.id '' with group_id once made start() panic).
  ['Consumer with group.id in driver_options', consumer({ group_id: 'g', driver_options: { 'group.id': '' } }), /driver_options must not set "group\.id": give group_id/],
  ['Consumer with group.protocol in driver_options', consumer({ group_id: 'g', driver_options: { 'group.protocol': 'consumer' } }), /driver_options must not set "group\.protocol": give group_protocol/],
  ['Consumer with enable.auto.commit in driver_options', consumer({ driver_options: { 'enable.auto.commit': 'true' } }), /driver_options must not set "enable\.auto\.commit": the consumer commits offsets itself/],
  ['Consumer with enable.auto.offset.store in driver_options', consumer({ driver_options: { 'enable.auto.offset.store': 'true' } }), /driver_options must not set "enable\.auto\.offset\.store"/],
  ['Consumer with log.queue in driver_options', consumer({ driver_options: { 'log.queue': 'false' } }), /driver_options must not set "log\.queue"/],
  // Without a report per delivered message, deliver() never settled and the process never exited.
  ['Producer with delivery.report.only.error in driver_options', producer({ driver_options: { 'delivery.report.only.error': 'true' } }), /driver_options must not set "delivery\.report\.only\.error": the producer counts every message's delivery report/],
  ['Producer with OAUTHBEARER and no token callback', producer({ driver_options: { 'security.protocol': 'sasl_plaintext', 'sasl.mechanism': 'OAUTHBEARER' } }), /oauthbearer_token_callback is required with sasl\.mechanism OAUTHBEARER/],
  ['Producer with log.queue in driver_options', producer({ driver_options: { 'log.queue': 'false' } }), /driver_options must not set "log\.queue"/],
  ['Consumer with group_protocol but no group_id', consumer({ group_protocol: 'consumer' }), /option group_protocol needs group_id/],
  ['Consumer with rebalance_callback but no group_id', consumer({ rebalance_callback: () => {} }), /rebalance_callback needs group_id/],
  ['Consumer with a numeric offset_directory', consumer({ offset_directory: 7 }), /option offset_directory must be a string, got 7/],
  ['Consumer with an empty offset_directory', consumer({ offset_directory: '' }), /offset_directory must not be empty/],
  ['Consumer whose offset_directory is a file', consumer({ offset_directory: aFile }), /offset_directory .*a-file is not a directory/],
  ['Consumer with an unknown option', consumer({ offset_dir: '/tmp' }), /unknown Consumer option offset_dir \(did you mean offset_directory\?\)/],
];

const cluster = new kafka.MockCluster(1);
const sender = new kafka.Producer({ broker: cluster.bootstrapServers, logger: quietLogger() });
const calls = [
  ['send() with a string for payloads', () => sender.send('t', 0, 'not an array'), { name: 'TypeError', message: /argument payloads/ }],
  ['send() with a numeric topic', () => sender.send(42, 0, ['x']), { name: 'TypeError', message: /argument topic/ }],
  ['send() with a fractional partition', () => sender.send('t', 1.5, ['x']), { name: 'TypeError', message: /argument partition/ }],
  ['send() with a string partition', () => sender.send('t', '0', ['x']), { name: 'TypeError', message: /argument partition/ }],
  ['send() to partition 2**32 + 1', () => sender.send('t', 2 ** 32 + 1, ['x']), { name: 'RangeError', message: /argument partition must be from -1 to 2147483647, got 4294967297/ }],
  ['send() to partition 2**31', () => sender.send('t', 2 ** 31, ['x']), { name: 'RangeError', message: /argument partition must be from -1 to 2147483647, got 2147483648/ }],
  ['send() to partition -2', () => sender.send('t', -2, ['x']), { name: 'RangeError', message: /argument partition/ }],
  ['send() of a number', () => sender.send('t', 0, [42]), { name: 'TypeError', message: /argument payloads\[0\] must be a string, a Buffer or a \{payload, key, headers\} record, got 42/ }],
  ["send() of KafkaJS's {value}", () => sender.send('t', 0, ['ok', { value: 'hello' }]), { name: 'TypeError', message: /argument payloads\[1\] must be a record .* it has "value" \(KafkaJS calls it value; here it is payload\)/ }],
  ['send() of an array', () => sender.send('t', 0, [['x']]), { name: 'TypeError', message: /argument payloads\[0\] must be .* got an array/ }],
  ['send() of a Date', () => sender.send('t', 0, [new Date()]), { name: 'TypeError', message: /argument payloads\[0\] must be .* got a Date/ }],
  ['send() of an empty object', () => sender.send('t', 0, [{}]), { name: 'TypeError', message: /argument payloads\[0\] must be a record .* it has none of them/ }],
  ['send() of a record with an extra key', () => sender.send('t', 0, [{ payload: 'x', partition: 1 }]), { name: 'TypeError', message: /payloads\[0\] .* it has "partition"/ }],
  // The argument is named by the call: the message once held the whole payloads array, stringified.
  ['send() of a record whose payload is a number', () => sender.send('t', 0, ['ok', { payload: 5 }]), { name: 'TypeError', message: /^kafka-native: send\(\) argument payloads\[1\]\.payload must be a string, a Buffer, null or undefined, got 5$/ }],
  ['send() of a numeric record payload', () => sender.send('t', 0, [{ payload: 5 }]), { name: 'TypeError', message: /argument payloads\[0\]\.payload/ }],
  ['send() of array headers', () => sender.send('t', 0, [{ payload: 'x', headers: [] }]), { name: 'TypeError', message: /argument payloads\[0\]\.headers/ }],
  ['send() of a header array holding a number', () => sender.send('t', 0, [{ payload: 'x', headers: { tag: ['a', 5] } }]), { name: 'TypeError', message: /argument payloads\[0\]\.headers\.tag\[1\] must be a string, a Buffer/ }],
  ['send() to an illegal topic', () => sender.send('bad topic', 0, ['x']), { message: /topic may only hold/ }],
  ['MockCluster("3")', () => new kafka.MockCluster('3'), { name: 'TypeError', message: /MockCluster argument brokers must be an integer, got "3"/ }],
  ['MockCluster(1.7)', () => new kafka.MockCluster(1.7), { name: 'TypeError', message: /MockCluster argument brokers must be an integer, got 1\.7/ }],
  ['MockCluster(NaN)', () => new kafka.MockCluster(NaN), { name: 'TypeError', message: /MockCluster argument brokers must be an integer, got NaN/ }],
  ['MockCluster(0)', () => new kafka.MockCluster(0), { message: /brokers must be between 1 and 64, got 0/ }],
  ['createTopic(123, 1)', () => cluster.createTopic(123, 1), { name: 'TypeError', message: /createTopic\(\) argument name must be a string, got 123/ }],
  ["createTopic('a', '2')", () => cluster.createTopic('a', '2'), { name: 'TypeError', message: /createTopic\(\) argument partitions must be an integer/ }],
  ["createTopic('a', 1e6)", () => cluster.createTopic('a', 1e6), { message: /partitions must be between 1 and 10000, got 1000000/ }],
  ["createTopic('a', 1, 2) on one broker", () => cluster.createTopic('a', 1, 2), { message: /replication_factor must be between 1 and the broker count 1/ }],
  ['brokerDown(9)', () => cluster.brokerDown(9), { message: /broker_id must be between 1 and 1, got 9/ }],
  ["brokerDown('1')", () => cluster.brokerDown('1'), { name: 'TypeError', message: /brokerDown\(\) argument id must be an integer/ }],
  ['setPartitionRetentionBytes(0)', () => cluster.setPartitionRetentionBytes(0), { name: 'TypeError', message: /setPartitionRetentionBytes\(\) argument bytes must be a positive integer, got 0/ }],
  ["setPartitionRetentionBytes('1')", () => cluster.setPartitionRetentionBytes('1'), { name: 'TypeError', message: /setPartitionRetentionBytes\(\) argument bytes must be a positive integer, got "1"/ }],
  ['setPartitionRetentionBytes(1.5)', () => cluster.setPartitionRetentionBytes(1.5), { name: 'TypeError', message: /setPartitionRetentionBytes\(\) argument bytes must be a positive integer, got 1\.5/ }],
  ["pushRequestErrors('0', [])", () => cluster.pushRequestErrors('0', []), { name: 'TypeError', message: /pushRequestErrors\(\) argument apiKey must be an integer, got "0"/ }],
  ['pushRequestErrors(-1, [])', () => cluster.pushRequestErrors(-1, []), { message: /pushRequestErrors\(\) argument apiKey must be a Kafka API key, 0-32767, got -1/ }],
  ["pushRequestErrors(0, 'x')", () => cluster.pushRequestErrors(0, 'x'), { name: 'TypeError', message: /pushRequestErrors\(\) argument errors must be an array of Kafka error names/ }],
  ['pushRequestErrors(0, [5])', () => cluster.pushRequestErrors(0, [5]), { name: 'TypeError', message: /pushRequestErrors\(\) argument errors\[0\] must be a Kafka error name, got 5/ }],
  ["pushRequestErrors(0, ['NOPE'])", () => cluster.pushRequestErrors(0, ['NOT_LEADER_FOR_PARTITION', 'NOPE']), { message: /pushRequestErrors\(\) argument errors\[1\] must name a Kafka error \(e\.g\. NOT_LEADER_FOR_PARTITION\), got "NOPE"/ }],
];

for (const [name, make, expected] of constructors) {
  test(name, () => assert.throws(make, expected));
}
for (const [name, call, expected] of calls) {
  test(name, () => assert.throws(call, expected));
}

// Every typed option the core maps to librdkafka properties, given beside each of them: the
// table is the core's (ProducerConfig/ConsumerConfig::OPTION_PROPERTIES), not a copy in JS.
test('each typed option given beside a librdkafka property it sets is refused, for every pair the core names', () => {
  const { optionProperties } = require('../js/native/index.js');
  const values = { statistics_interval_ms: 1000, queue_buffering_max_messages: 10, queue_buffering_max_kbytes: 10, queue_buffering_max_ms: 5, compression_codec: 'lz4', enable_idempotence: true, transactional_id: 't', transaction_timeout_ms: 10000, queued_max_messages_kbytes: 1024, fetch_wait_max_ms: 10, isolation_level: 'read_committed', group_protocol: 'consumer' };
  const tables = optionProperties();
  let pairs = 0;
  for (const [kind, make] of [['producer', producer], ['consumer', consumer]]) {
    for (const [option, properties] of Object.entries(tables[kind])) {
      assert.ok(option in values, `no value for ${option}`);
      const group = kind === 'consumer' && option === 'group_protocol' ? { group_id: 'g' } : {};
      for (const property of properties) {
        const escaped = property.replace(/\./g, '\\.');
        assert.throws(make({ ...group, [option]: values[option], driver_options: { [property]: '1' } }), new RegExp(`option ${option} and driver_options\\["${escaped}"\\] set the same thing`));
        pairs++;
      }
    }
  }
  assert.ok(pairs >= 15, `${pairs} pairs`);
});

test('an option the addon refuses carries code _INVALID_ARG', () => {
  assert.throws(consumer({ group_id: 'g', driver_options: { 'group.id': '' } }), (err) => err.code === '_INVALID_ARG' && err.retriable === false && err.fatal === false);
  assert.throws(() => new kafka.MockCluster(1).setBrokerAddress(1, 'localhost', 70000), (err) => err.code === '_INVALID_ARG' && /port must be between 1 and 65535/.test(err.message));
});

test('the table holds at least 40 bad inputs', () => {
  assert.ok(constructors.length + calls.length >= 40, `${constructors.length + calls.length}`);
});

test('Promise-returning calls reject, naming the argument', async () => {
  await assert.rejects(sender.partition_count(7), /partition_count\(\) argument topic must be a string/);
  await assert.rejects(sender.stop('soon'), /stop\(\) argument options must be an object like \{timeout: ms\}, got "soon"/);
  await assert.rejects(sender.stop({ timeout: 'x' }), /stop\(\) option timeout must be a non-negative integer/);
});

test('stop(null) and stop() take the default timeout', async () => {
  const p = new kafka.Producer({ broker: cluster.bootstrapServers, logger: quietLogger() });
  await p.stop(null);
  await sender.stop();
});

test('start() errors name the topic, the option or the file', async () => {
  const c = new kafka.MockCluster(1);
  c.createTopic('three', 3, 1);
  const dir = tempDir();
  const make = (extra) => new kafka.Consumer({ broker: c.bootstrapServers, topic: 'three', offset_directory: dir, receive_callback: ok, logger: quietLogger(), ...extra });
  await assert.rejects(make({ topic: 'nowhere' }).start(), /"nowhere"/);
  await assert.rejects(make({ num_workers: 4 }).start(), /num_workers is 4 but topic "three" has only 3 partition/);
  fs.writeFileSync(`${dir}/file`, '');
  await assert.rejects(make({ offset_directory: `${dir}/file/sub` }).start(), new RegExp(`offset_directory ${dir}/file/sub`));
  fs.writeFileSync(`${dir}/three-0.offset`, 'zero\n');
  await assert.rejects(make({}).start(), /three-0\.offset.*zero/);
});

test('a broker name that does not resolve is refused quickly, with the reason', async () => {
  const started = Date.now();
  const p = new kafka.Producer({ broker: 'nonsense', logger: quietLogger() });
  await assert.rejects(p.partition_count('t'), /Failed to resolve 'nonsense.*no broker can be reached|no broker can be reached.*resolve/s);
  assert.ok(Date.now() - started < 9000, `took ${Date.now() - started} ms`);
  await p.stop();
  const k = new kafka.Consumer({ broker: 'nonsense:9092', topic: 't', offset_directory: null, receive_callback: ok, logger: quietLogger() });
  await assert.rejects(k.start(), /resolve/);
});
