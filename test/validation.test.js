'use strict';
// Bad input: a clear error naming the option or argument, never a crash.
const test = require('node:test');
const assert = require('node:assert/strict');
const { kafka, quietLogger } = require('./helpers');

const ok = () => Promise.resolve();
const consumer = (extra) => () => new kafka.Consumer({ broker: 'localhost:9092', topic: 't', receive_callback: ok, logger: quietLogger(), ...extra });
const producer = (extra) => () => new kafka.Producer({ broker: 'localhost:9092', logger: quietLogger(), ...extra });

const cases = [
  ['Producer without options', () => new kafka.Producer(), /Producer options must be an object/],
  ['Producer without broker', () => new kafka.Producer({}), /option broker is required/],
  ['Producer with a numeric broker', producer({ broker: 9092 }), /option broker must be a non-empty string/],
  ['Producer with a string interval', producer({ statistics_interval_ms: '100' }), /option statistics_interval_ms must be an integer/],
  ['Producer with a negative queue size', producer({ queue_buffering_max_messages: -1 }), /option queue_buffering_max_messages must be an integer/],
  ['Producer with a non-function stats_callback', producer({ stats_callback: 1 }), /option stats_callback must be a function/],
  ['Producer with an unknown driver option', producer({ driver_options: { 'no.such.key': 1 } }), /no\.such\.key/],
  ['Producer with a bad driver option value', producer({ driver_options: { 'linger.ms': 'soon' } }), /linger\.ms/],
  ['Producer with an object driver option value', producer({ driver_options: { 'linger.ms': {} } }), /driver_options\["linger\.ms"\]/],
  ['Producer with a logger lacking error()', producer({ logger: {} }), /option logger\.error must be a function/],
  ['Consumer without broker', consumer({ broker: undefined }), /option broker is required/],
  ['Consumer without topic', consumer({ topic: undefined }), /option topic is required/],
  ['Consumer without receive_callback', consumer({ receive_callback: undefined }), /option receive_callback is required/],
  ['Consumer with a string receive_callback', consumer({ receive_callback: 'f' }), /option receive_callback must be a function/],
  ['Consumer with worker_slot >= num_workers', consumer({ num_workers: 2, worker_slot: 2 }), /worker_slot must be less than num_workers/],
  ['Consumer with negative worker_slot', consumer({ worker_slot: -1 }), /option worker_slot must be an integer from 0/],
  ['Consumer with zero num_workers', consumer({ num_workers: 0 }), /option num_workers must be an integer from 1/],
  ['Consumer with fractional max_messages_per_callback', consumer({ max_messages_per_callback: 1.5 }), /option max_messages_per_callback/],
  ['Consumer with an illegal topic name', consumer({ topic: '../../etc/passwd' }), /topic may only hold/],
  ['Consumer with a bad payload_encoding', consumer({ payload_encoding: 'latin1' }), /option payload_encoding/],
  ['Consumer with start_offset -1', consumer({ start_offset: -1 }), /option start_offset must be "earliest", "latest" or an integer offset >= 0, got -1/],
  ['Consumer with start_offset "middle"', consumer({ start_offset: 'middle' }), /option start_offset must be .* got "middle"/],
  ['Consumer with a fractional start_offset', consumer({ start_offset: 1.5 }), /option start_offset/],
  ['Consumer with a string fetch_wait_max_ms', consumer({ fetch_wait_max_ms: 'x' }), /option fetch_wait_max_ms must be an integer from 0 to 300000, got "x"/],
  ['Consumer with a negative fetch_wait_max_ms', consumer({ fetch_wait_max_ms: -5 }), /option fetch_wait_max_ms/],
  ['Consumer with a numeric offset_directory', consumer({ offset_directory: 7 }), /option offset_directory must be a non-empty string/],
  ['Consumer with a bad topic option', consumer({ topic_options: { 'auto.offset.reset': 'sideways' } }), /auto\.offset\.reset/],
];

for (const [name, make, expected] of cases) {
  test(name, () => assert.throws(make, expected));
}

test('send() argument errors are TypeErrors naming the argument', async () => {
  const p = new kafka.Producer({ broker: '127.0.0.1:1', logger: quietLogger() });
  assert.throws(() => p.send('t', 0, 'not an array'), { name: 'TypeError', message: /argument payloads/ });
  assert.throws(() => p.send(42, 0, ['x']), { name: 'TypeError', message: /argument topic/ });
  assert.throws(() => p.send('t', 1.5, ['x']), { name: 'TypeError', message: /argument partition/ });
  assert.throws(() => p.send('t', '0', ['x']), { name: 'TypeError', message: /argument partition/ });
  assert.throws(() => p.send('t', 0, [42]), /string|Buffer/i);
  assert.throws(() => p.send('bad topic', 0, ['x']), /topic may only hold/);
  await assert.rejects(p.partition_count(7), /argument topic/);
  await p.stop();
});

test('start() errors name the topic, the path or the file', async () => {
  const { tempDir } = require('./helpers');
  const fs = require('node:fs');
  const cluster = new kafka.MockCluster(1);
  cluster.createTopic('three', 3, 1);
  const dir = tempDir();
  const make = (extra) => new kafka.Consumer({ broker: cluster.bootstrapServers, topic: 'three', offset_directory: dir, receive_callback: ok, logger: quietLogger(), ...extra });
  await assert.rejects(make({ topic: 'nowhere' }).start(), /"nowhere"/);
  await assert.rejects(make({ num_workers: 4 }).start(), /num_workers.*3 partition/);
  fs.writeFileSync(`${dir}/file`, '');
  await assert.rejects(make({ offset_directory: `${dir}/file/sub` }).start(), new RegExp(`${dir}/file/sub`));
  fs.writeFileSync(`${dir}/three-0.offset`, 'zero\n');
  await assert.rejects(make({}).start(), /three-0\.offset.*zero/);
});
