'use strict';
// A message that is not delivered is never a silent success: stop() rejects, and the failure
// is logged, whether or not a delivery_report_callback is given.
const test = require('node:test');
const assert = require('node:assert/strict');
const { kafka, waitFor, quietLogger } = require('./helpers');

for (const withCallback of [false, true]) {
  test(`a send to an unknown partition on a fresh producer fails stop() and is logged (${withCallback ? 'with' : 'without'} a delivery callback)`, async () => {
    const cluster = new kafka.MockCluster(1);
    cluster.createTopic('four', 4);
    // The broker answers after a second: the fresh producer cannot know the partitions when it
    // sends, so librdkafka enqueues the messages and fails them once metadata arrives.
    cluster.setBrokerRtt(1, 1000);
    const logger = quietLogger();
    const reports = [];
    const producer = new kafka.Producer({
      broker: cluster.bootstrapServers, logger,
      ...(withCallback ? { delivery_report_callback: (r) => reports.push(r) } : {}),
    });
    assert.deepEqual(producer.send('four', 99, ['a', 'b']).enqueued, 2);
    await assert.rejects(producer.stop(), (err) => err.code === 'UNDELIVERED' && /2 message\(s\) were not delivered: 2 × _UNKNOWN_PARTITION/.test(err.message));
    const logged = logger.lines.filter((l) => l.level === 'error' && /not delivered/.test(l.line));
    assert.equal(logged.length, 1, JSON.stringify(logger.lines));
    assert.match(logged[0].line, /2 message\(s\) to four\/99 not delivered/);
    if (withCallback) {
      await waitFor('the failure report', () => reports.some((r) => r.errors === 2));
      assert.equal(reports.find((r) => r.errors === 2).rdkafka_errinfo[0].name, '_UNKNOWN_PARTITION');
    }
  });
}

test('a known topic refuses an unknown partition at once', async () => {
  const cluster = new kafka.MockCluster(1);
  cluster.createTopic('four', 4);
  const producer = new kafka.Producer({ broker: cluster.bootstrapServers, logger: quietLogger() });
  await producer.partition_count('four');
  assert.throws(() => producer.send('four', 99, ['x']), /Unknown partition/);
  await producer.stop();
});
