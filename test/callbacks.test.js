'use strict';
// A user callback that throws or rejects is logged through logger.error and the client keeps
// working; a logger that throws falls back to console.error. Never fatal: each case runs in a
// child process whose exit status would show a crash.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const index = JSON.stringify(path.join(__dirname, '..', 'js', 'index.js'));
function run(body) {
  const script = `
    const { Producer, Consumer, MockCluster } = require(${index});
    const lines = [];
    const logger = { error: (l) => lines.push(['error', l]), warn: (l) => lines.push(['warn', l]), info() {}, debug() {} };
    const until = async (what, ok) => { const end = Date.now() + 20000; while (!ok()) { if (Date.now() > end) throw new Error('timed out: ' + what); await new Promise((r) => setTimeout(r, 20)); } };
    (async () => { ${body} })().then(() => { console.log(JSON.stringify(lines)); }, (e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  return { lines: JSON.parse(r.stdout.trim().split('\n').pop()), stderr: r.stderr };
}

test('throwing stats_callback and delivery_report_callback are logged; the producer carries on', () => {
  const { lines } = run(`
    const cluster = new MockCluster(1);
    let stats = 0, reports = 0;
    const producer = new Producer({ broker: cluster.bootstrapServers, logger, statistics_interval_ms: 100,
      stats_callback() { stats++; throw new Error('stats boom'); },
      delivery_report_callback() { reports++; throw new Error('report boom'); } });
    producer.send('cb', 0, ['a']);
    await until('a report', () => reports >= 1);
    producer.send('cb', 0, ['b']);
    await until('two reports and stats', () => reports >= 2 && stats >= 2);
    await producer.stop();`);
  assert.ok(lines.some(([level, l]) => level === 'error' && /stats_callback threw.*stats boom/s.test(l)));
  assert.ok(lines.some(([level, l]) => level === 'error' && /delivery_report_callback threw.*report boom/s.test(l)));
});

test('a consumer stats_callback that rejects and a receive_callback that throws are logged; consuming goes on', () => {
  const { lines } = run(`
    const cluster = new MockCluster(1);
    const producer = new Producer({ broker: cluster.bootstrapServers, logger });
    producer.send('cb', 0, ['a', 'b', 'c']);
    await producer.stop();
    let seen = 0, stats = 0;
    const consumer = new Consumer({ broker: cluster.bootstrapServers, topic: 'cb', offset_directory: null, logger,
      max_messages_per_callback: 1, statistics_interval_ms: 100,
      stats_callback: async () => { stats++; throw new Error('async stats boom'); },
      receive_callback() { seen++; throw new Error('receive boom'); } });
    await consumer.start();
    await until('three batches and two stats', () => seen === 3 && stats >= 2);
    await consumer.stop();`);
  assert.ok(lines.some(([level, l]) => level === 'error' && /stats_callback threw.*async stats boom/s.test(l)));
  assert.equal(lines.filter(([level, l]) => level === 'error' && /receive_callback threw.*receive boom/s.test(l)).length, 3);
});

test('a logger that throws falls back to console.error; the client carries on', () => {
  const { stderr } = run(`
    const throwing = { error() { throw new Error('logger boom'); }, warn() { throw new Error('logger boom'); }, info() {} };
    const producer = new Producer({ broker: '127.0.0.1:1', logger: throwing,
      delivery_report_callback() { throw new Error('and the callback'); } });
    producer.send('cb', 0, ['x']);
    await new Promise((r) => setTimeout(r, 500));
    await producer.stop({ timeout: 100 }).catch(() => {});`);
  assert.match(stderr, /logger\.error threw \(logger boom\); the line was: kafka-native/);
});
