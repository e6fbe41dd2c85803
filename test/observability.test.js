'use strict';
// Observability: OpenTelemetry traces that cross Kafka between processes, Prometheus metrics
// scraped over HTTP (consumer lag while paused and after), OpenTelemetry metrics, and the
// diagnostics_channel channels. This process registers OpenTelemetry's SDK (test/observability/otel.js).
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { execFile } = require('node:child_process');
const diagnosticsChannel = require('node:diagnostics_channel');
const prom = require('prom-client');
const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');
const { api, finishedSpans, SpanKind } = require('./observability/otel');
const { wide, kafka, testCluster, waitFor, quietLogger, silentBroker } = require('./helpers');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
const WIDE = wide(30000);
let serial = 0;
const newTopic = async (name, partitions = 1) => {
  const topic = `obs-${name}-${process.pid}-${serial++}`;
  await cluster.createTopic(topic, partitions);
  return topic;
};

// Runs a script of test/observability/ against `topic` in another process; resolves with the JSON it prints.
function runInAnotherProcess(script, topic, env = {}) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, 'observability', script)], {
      env: { ...process.env, BROKER: broker, TOPIC: topic, ...env },
      timeout: 60000,
    }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))));
  });
}

// Runs test/observability/send.js: each payload sent in its own application span, in another process.
const sendFromAnotherProcess = (topic, payloads, env = {}) => runInAnotherProcess('send.js', topic, { PAYLOADS: JSON.stringify(payloads), ...env });

// A consumer of `topic` from its beginning whose receive_callback records each batch, the span
// active inside it, and a span the application starts there.
function recordingConsumer(t, topic, extra = {}) {
  const batches = [];
  const groupId = `obs-${process.pid}-${serial++}`;
  const consumer = new kafka.Consumer({
    broker, topic, group_id: groupId, start_offset: 'earliest', logger: quietLogger(),
    receive_callback: async ({ messages }) => {
      const active = api.trace.getSpan(api.context.active());
      api.trace.getTracer('application').startSpan('handle message').end();
      batches.push({ messages, active: active && active.spanContext().spanId });
    },
    ...extra,
  });
  t.after(() => consumer.stop());
  return { consumer, batches, groupId };
}

test('a send in one process and its receipt in another form one trace, with the messaging conventions', async (t) => {
  const topic = await newTopic('trace');
  const sent = await sendFromAnotherProcess(topic, ['traced'], { SDK: '1' });
  const request = sent.find((s) => s.name === 'handle request');
  const send = sent.find((s) => s.name === `send ${topic}`);
  assert.ok(request && send, JSON.stringify(sent));
  assert.equal(send.kind, SpanKind.PRODUCER);
  assert.equal(send.traceId, request.traceId);
  assert.equal(send.parentSpanId, request.spanId);
  assert.deepEqual(send.attributes, {
    'messaging.system': 'kafka', 'messaging.operation.name': 'send', 'messaging.operation.type': 'send',
    'messaging.destination.name': topic, 'messaging.destination.partition.id': '0', 'messaging.kafka.offset': 0,
  });

  const { consumer, batches, groupId } = recordingConsumer(t, topic);
  await consumer.start();
  await waitFor('the traced message', () => batches.length > 0, WIDE);
  const [message] = batches[0].messages;
  assert.match(String(message.headers.traceparent), new RegExp(`^00-${send.traceId}-${send.spanId}-01$`));
  await waitFor('the batch span to end', () => finishedSpans().some((s) => s.name === `process ${topic}`), WIDE);
  const spans = finishedSpans();
  const process_ = spans.find((s) => s.name === `process ${topic}`);
  assert.equal(process_.kind, SpanKind.CONSUMER);
  assert.equal(process_.traceId, send.traceId, 'the consumer continues the producer\'s trace');
  assert.equal(process_.parentSpanId, send.spanId);
  assert.deepEqual(process_.attributes, {
    'messaging.system': 'kafka', 'messaging.operation.name': 'process', 'messaging.operation.type': 'process',
    'messaging.destination.name': topic, 'messaging.destination.partition.id': '0', 'messaging.batch.message_count': 1,
    'messaging.consumer.group.name': groupId, 'messaging.kafka.offset': 0,
  });
  // The batch span is the active span while receive_callback runs.
  assert.equal(batches[0].active, process_.spanId);
  const handled = spans.find((s) => s.name === 'handle message');
  assert.equal(handled.parentSpanId, process_.spanId);
  assert.equal(handled.traceId, send.traceId);
});

// An async iterator cannot change its caller's context: the loop body is given the batch's.
test('a for await body over batches() runs in the batch span inside batch.withContext()', async (t) => {
  const topic = await newTopic('loop');
  await sendFromAnotherProcess(topic, ['looped'], { SDK: '1' });
  const consumer = new kafka.Consumer({ broker, topic, group_id: `obs-${process.pid}-${serial++}`, start_offset: 'earliest', logger: quietLogger() });
  t.after(() => consumer.stop());
  let inside;
  for await (const batch of consumer.batches()) {
    inside = await batch.withContext(async () => {
      await new Promise((resolve) => setImmediate(resolve)); // still inside after an await
      api.trace.getTracer('application').startSpan('handle in loop').end();
      return api.trace.getSpan(api.context.active())?.spanContext().spanId;
    });
    break;
  }
  await waitFor('the batch span to end', () => finishedSpans().some((s) => s.name === `process ${topic}`), WIDE);
  const batchSpan = finishedSpans().find((s) => s.name === `process ${topic}`);
  assert.equal(inside, batchSpan.spanId, 'withContext() returns what its function returns, run in the batch span');
  assert.equal(finishedSpans().find((s) => s.name === 'handle in loop').parentSpanId, batchSpan.spanId);
});

test('a batch of messages from several traces links to each', async (t) => {
  const topic = await newTopic('links');
  const sent = await sendFromAnotherProcess(topic, ['one', 'two', 'three'], { SDK: '1' });
  const sends = sent.filter((s) => s.name === `send ${topic}`);
  assert.equal(new Set(sends.map((s) => s.traceId)).size, 3);
  const { consumer, batches } = recordingConsumer(t, topic);
  await consumer.start();
  await waitFor('the three messages', () => batches.reduce((n, b) => n + b.messages.length, 0) === 3, WIDE);
  await waitFor('the batch spans to end', () => finishedSpans().filter((s) => s.name === `process ${topic}`).length === batches.length, WIDE);
  const linked = finishedSpans().filter((s) => s.name === `process ${topic}`).flatMap((s) => (s.links.length > 0 ? s.links : [{ traceId: s.traceId, spanId: s.parentSpanId }]));
  assert.deepEqual(linked.map((l) => l.spanId).sort(), sends.map((s) => s.spanId).sort());
});

test('with @opentelemetry/api installed but no tracer provider, messages carry no trace headers', async (t) => {
  const topic = await newTopic('untraced');
  assert.deepEqual(await sendFromAnotherProcess(topic, ['plain']), []);
  const { consumer, batches } = recordingConsumer(t, topic);
  await consumer.start();
  await waitFor('the message', () => batches.length > 0, WIDE);
  assert.equal(batches[0].messages[0].headers, undefined);
});

test('@opentelemetry/api is loaded only once something registers with it, and tracing starts then', async () => {
  const topic = await newTopic('late');
  const out = await runInAnotherProcess('late-sdk.js', topic);
  assert.equal(out.loadedBefore, false, 'sending and receiving with nothing registered must not load the package');
  assert.deepEqual(out.received, [{ payload: 'before', headers: [] }, { payload: 'after', headers: ['traceparent'] }]);
  assert.ok(out.spans.includes(`send ${topic}`) && out.spans.includes(`process ${topic}`), JSON.stringify(out.spans));
});

test('a failed deliver() ends its span as an error, naming the error', async () => {
  const producer = new kafka.Producer({ broker, logger: quietLogger(), driver_options: { 'message.max.bytes': 1000 } });
  const topic = await newTopic('fail');
  await assert.rejects(producer.deliver(topic, 0, ['x'.repeat(5000)]));
  await producer.stop().catch(() => {});
  const span = finishedSpans().find((s) => s.name === `send ${topic}`);
  assert.equal(span.status.code, api.SpanStatusCode.ERROR);
  assert.equal(span.attributes['error.type'], 'MSG_SIZE_TOO_LARGE');
});

// A Prometheus endpoint, as an application serves one.
async function metricsEndpoint(t, registry) {
  const server = http.createServer(async (req, res) => {
    res.setHeader('content-type', registry.contentType);
    res.end(await registry.metrics());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return async () => (await fetch(`http://127.0.0.1:${server.address().port}/metrics`)).text();
}

const sample = (text, name, labels) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

test('Prometheus: a scrape shows lag rising while the consumer is paused, and 0 once it resumed', async (t) => {
  const topic = await newTopic('lag');
  const registry = new prom.Registry();
  const scrape = await metricsEndpoint(t, registry);
  const producer = new kafka.Producer({ broker, statistics_interval_ms: 200, logger: quietLogger() });
  t.after(() => producer.stop());
  kafka.collectMetrics(producer, { registry, name: 'orders-producer' });
  let received = 0;
  const consumer = new kafka.Consumer({
    broker, topic, group_id: `obs-lag-${process.pid}`, start_offset: 'earliest', statistics_interval_ms: 200, logger: quietLogger(),
    receive_callback: async ({ messages }) => { received += messages.length; },
  });
  t.after(() => consumer.stop());
  kafka.collectMetrics(consumer, { registry, name: 'orders-consumer' });
  await consumer.start();
  await producer.deliver(topic, 0, Array.from({ length: 10 }, (_, i) => `m${i}`));
  await waitFor('the first 10', () => received === 10, WIDE);
  const lag = async () => sample(await scrape(), 'kafka_native_consumer_lag_messages', { client: 'orders-consumer', topic, partition: '0' });
  assert.equal(await lag(), 0);

  consumer.pause();
  await producer.deliver(topic, 0, Array.from({ length: 50 }, (_, i) => `p${i}`));
  assert.equal(await lag(), 50, 'lag rose by the 50 sent while paused');
  assert.equal(received, 10);

  consumer.resume();
  await waitFor('the 50 sent while paused', () => received === 60, WIDE);
  assert.equal(await lag(), 0);

  // The statistics-based figures follow once librdkafka has reported them.
  let text;
  await waitFor('the statistics to count every message', async () => {
    text = await scrape();
    return sample(text, 'kafka_native_messages_sent_total', { client: 'orders-producer' }) === 60
      && sample(text, 'kafka_native_messages_received_total', { client: 'orders-consumer' }) >= 60;
  }, WIDE);
  assert.match(text, /# TYPE kafka_native_messages_sent_total counter/);
  assert.equal(sample(text, 'kafka_native_sent_bytes_total', { client: 'orders-producer' }), 10 * 2 + 50 * 2 + 40);
  assert.equal(sample(text, 'kafka_native_rebalances_total', { client: 'orders-consumer' }), 1);
  assert.equal(sample(text, 'kafka_native_producer_queue_messages', { client: 'orders-producer' }), 0);
  // The consumer's fetches keep its round-trip times current.
  await waitFor('the consumer\'s broker round-trip time', async () => sample(await scrape(), 'kafka_native_broker_rtt_seconds', { client: 'orders-consumer', quantile: '0.99' }) > 0, WIDE);

  // A stopped client leaves the scrape.
  await consumer.stop();
  assert.equal(sample(await scrape(), 'kafka_native_consumer_lag_messages', { client: 'orders-consumer' }), undefined);
});

test('Prometheus: failed deliveries are counted by error; the deliver() span ends as an error', async (t) => {
  const registry = new prom.Registry();
  const { broker: silent } = await silentBroker(t);
  const producer = new kafka.Producer({ broker: silent, statistics_interval_ms: 100, logger: quietLogger(), topic_options: { 'message.timeout.ms': 500 } });
  t.after(() => producer.stop().catch(() => {}));
  kafka.collectMetrics(producer, { registry });
  await assert.rejects(producer.deliver('nowhere', 0, ['lost']), (err) => err.code === '_MSG_TIMED_OUT');
  await waitFor('the failure in the metrics', async () => /kafka_native_delivery_failures_total\{client="producer-\d+",error="_MSG_TIMED_OUT"\} 1/.test(await registry.metrics()), WIDE);
  const span = finishedSpans().find((s) => s.name === 'send nowhere');
  assert.equal(span.status.code, api.SpanStatusCode.ERROR);
  assert.equal(span.attributes['error.type'], '_MSG_TIMED_OUT');
});

test('OpenTelemetry metrics: the same figures through a Meter', async (t) => {
  const reader = new (class extends MetricReader { async onForceFlush() {} async onShutdown() {} })();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const topic = await newTopic('otel-metrics');
  const producer = new kafka.Producer({ broker, statistics_interval_ms: 100, logger: quietLogger() });
  t.after(() => producer.stop());
  kafka.collectMetrics(producer, { meter: meterProvider.getMeter('kafka-native-test'), name: 'p' });
  await producer.deliver(topic, 0, ['a', 'b', 'c']);
  let sent;
  await waitFor('messaging.client.sent.messages to reach 3', async () => {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'messaging.client.sent.messages');
    sent = metric && metric.dataPoints[0];
    return sent && sent.value === 3;
  }, WIDE);
  assert.deepEqual(sent.attributes, { 'messaging.system': 'kafka', 'kafka_native.client': 'p' });
});

test('collectMetrics: bad arguments are clear errors', () => {
  const registry = new prom.Registry();
  assert.throws(() => kafka.collectMetrics({}, { registry }), /collectMetrics\(\) argument client must be a kafka-native Producer, Consumer or ShareConsumer/);
  const quiet = new kafka.Producer({ broker, statistics_interval_ms: 0, logger: quietLogger() });
  assert.throws(() => kafka.collectMetrics(quiet, { registry }), /needs a client whose option statistics_interval_ms is not 0/);
  const producer = new kafka.Producer({ broker, statistics_interval_ms: 1000, logger: quietLogger() });
  assert.throws(() => kafka.collectMetrics(producer, { registry: {} }), /option registry must be a prom-client Registry/);
  kafka.collectMetrics(producer, { registry, name: 'twice' });
  assert.throws(() => kafka.collectMetrics(producer, { registry, name: 'twice' }), /"twice" is already registered/);
  return Promise.all([quiet.stop(), producer.stop()]);
});

test('diagnostics_channel: connect, send, delivery, batch, rebalance and error', async (t) => {
  const seen = {};
  for (const name of ['connect', 'send', 'delivery', 'batch', 'rebalance', 'error']) {
    seen[name] = [];
    const listener = (message) => seen[name].push(message);
    diagnosticsChannel.subscribe(`kafka-native:${name}`, listener);
    t.after(() => diagnosticsChannel.unsubscribe(`kafka-native:${name}`, listener));
  }
  const topic = await newTopic('channels');
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  t.after(() => producer.stop());
  producer.send(topic, 0, ['a', 'b']);
  await producer.deliver(topic, 0, ['c']);
  let thrown = false;
  const consumer = new kafka.Consumer({
    broker, topic, group_id: `obs-channels-${process.pid}`, start_offset: 'earliest', logger: quietLogger(),
    receive_callback: async () => {
      if (!thrown) {
        thrown = true;
        throw new Error('a handler that fails');
      }
    },
  });
  t.after(() => consumer.stop());
  await consumer.start();
  const mine = (list, key, client) => list.filter((m) => m[key] === client);
  // The three records may come in one batch or two (a fetch can return the first message set alone).
  const received = () => mine(seen.batch, 'consumer', consumer).flatMap((b) => b.messages.map((m) => m.payload));
  await waitFor('the three records and the handler\'s error', () => received().length >= 3 && seen.error.length > 0, WIDE);
  assert.deepEqual(mine(seen.connect, 'client', producer).map((m) => m.kind), ['producer']);
  assert.deepEqual(mine(seen.connect, 'client', consumer).map((m) => m.kind), ['consumer']);
  assert.deepEqual(mine(seen.send, 'producer', producer).map(({ topic: to, partition, count }) => [to, partition, count]), [[topic, 0, 2], [topic, 0, 1]]);
  assert.deepEqual(mine(seen.delivery, 'producer', producer).map((m) => m.positions), [[{ partition: 0, offset: 2 }]]);
  assert.deepEqual(received().slice(0, 3), ['a', 'b', 'c']);
  assert.deepEqual(mine(seen.rebalance, 'consumer', consumer)[0].assigned, [{ topic, partition: 0 }]);
  assert.match(mine(seen.error, 'client', consumer)[0].error.message, /a handler that fails/);
});

test('diagnostics_channel: a deliver() rejected at once (a stopped producer) is published on kafka-native:delivery too', async (t) => {
  const heard = [];
  const listener = (message) => heard.push(message);
  diagnosticsChannel.subscribe('kafka-native:delivery', listener);
  t.after(() => diagnosticsChannel.unsubscribe('kafka-native:delivery', listener));
  const topic = await newTopic('delivery-refused');
  const producer = new kafka.Producer({ broker, logger: quietLogger() });
  await producer.stop();
  await assert.rejects(producer.deliver(topic, 0, ['late', 'later']), { code: 'STOPPED' });
  const mine = heard.filter((m) => m.producer === producer);
  assert.equal(mine.length, 1);
  assert.deepEqual([mine[0].topic, mine[0].partition, mine[0].count, mine[0].error.code], [topic, 0, 2, 'STOPPED']);
});

test('ws-proxy: a produce request\'s traceparent is continued through Kafka, and readers get the record\'s', async (t) => {
  const WebSocket = require('ws');
  const { once } = require('node:events');
  const { KafkaProxy } = require('kafka-native/ws-proxy');
  const topic = await newTopic('ws-proxy');
  const proxy = new KafkaProxy({ wsPort: 0, kafka: `${broker}/`, logger: quietLogger(), topics: { read: ['*'], write: ['*'] }, offsets: true });
  t.after(() => proxy.close());
  await proxy.listen();
  const connect = async (query) => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/?${new URLSearchParams(query)}`);
    t.after(() => ws.terminate());
    ws.frames = [];
    ws.on('message', (data) => ws.frames.push(JSON.parse(data.toString())));
    await once(ws, 'open');
    return ws;
  };
  const reader = await connect({ topic, partition: 0, offset: 0 });
  const writer = await connect({ topic });
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  writer.send(JSON.stringify({ produce: [{ topic, message: 'traced', partition: 0 }], id: 1, traceparent: `00-${traceId}-00f067aa0ba902b7-01` }));
  // The writer reads the topic too (its query names it): the record may reach it before the reply.
  const reply = () => writer.frames.find((f) => !Array.isArray(f));
  await waitFor('the reply', () => reply() !== undefined, WIDE);
  assert.deepEqual(reply(), { produced: 1, id: 1 });
  const send = finishedSpans().find((s) => s.name === `send ${topic}`);
  assert.equal(send.traceId, traceId, 'the proxy\'s send continues the client\'s trace');
  assert.equal(send.parentSpanId, '00f067aa0ba902b7');
  await waitFor('the reader to get the record', () => reader.frames.flat().length > 0, WIDE);
  assert.equal(reader.frames.flat()[0].traceparent, `00-${traceId}-${send.spanId}-01`);
});

test('deepstream: a subscriber on another node runs in the sender\'s trace', async (t) => {
  const KafkaClusterNode = require('kafka-native/deepstream');
  const topic = await newTopic('deepstream');
  const services = { logger: { error() {}, warn() {}, info() {}, debug() {} } };
  const [a, b] = ['A', 'B'].map((serverName) => new KafkaClusterNode({ broker, topic }, services, { serverName }));
  t.after(() => Promise.all([a.close(), b.close()]));
  await Promise.all([a.whenReady(), b.whenReady()]);
  const heard = [];
  b.subscribe(3, (message) => heard.push({ message, span: api.trace.getSpan(api.context.active())?.spanContext() }));
  // 'latest' is resolved once B's consumer runs: send, each in its own request span, until B hears one.
  await waitFor('B to hear A', () => {
    api.trace.getTracer('application').startActiveSpan('handle request', (span) => {
      a.send({ topic: 3, action: 1, name: 'traced' });
      span.end();
    });
    return heard.length > 0;
  }, WIDE);
  const { span } = heard[0];
  assert.ok(span, 'a span is active in the subscriber');
  await waitFor('the batch span to end', () => finishedSpans().some((s) => s.spanId === span.spanId), WIDE);
  const batch = finishedSpans().find((s) => s.spanId === span.spanId);
  assert.equal(batch.name, `process ${topic}`);
  const sends = finishedSpans().filter((s) => s.name === `send ${topic}`);
  const continued = sends.filter((s) => s.spanId === batch.parentSpanId || batch.links.some((l) => l.spanId === s.spanId));
  assert.ok(continued.length > 0, 'the batch span continues A\'s sends');
  for (const send of continued) {
    const request = finishedSpans().find((s) => s.spanId === send.parentSpanId);
    assert.equal(request.name, 'handle request');
  }
});
