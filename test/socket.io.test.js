'use strict';
// kafka-native/socket.io across real socket.io servers, each in its own process, with
// socket.io-client sockets: everything socket.io's cluster API offers, a killed server dropped,
// connection state recovery from Kafka, and a control run on the in-memory adapter.
const test = require('node:test');
const assert = require('node:assert/strict');
const { once } = require('node:events');
const { encode, decode } = require('@msgpack/msgpack');
const { wide, kafka, testCluster, waitFor, quietLogger } = require('./helpers');
const { startServer, startClient, stopEverything } = require('./socket.io/harness');

const cluster = testCluster();
const broker = cluster.bootstrapServers;
const onKafka = process.env.KAFKA_TEST_BROKER === 'kafka';
const WIDE = wide(30000); // deadline for anything crossing processes and Kafka on a loaded CI machine
// SOCKET_IO_TEST_ADAPTER=memory runs the Kafka tests on socket.io's in-memory adapter: they fail,
// which shows they test what crosses Kafka.
const ADAPTER = process.env.SOCKET_IO_TEST_ADAPTER;

test.after(stopEverything);

async function newTopic(name) {
  const topic = `${name}-${process.pid}-${Date.now()}`;
  await cluster.createTopic(topic, 4);
  return topic;
}

// A cluster message as another process would publish it: a serverSideEmit of `packet` from a
// sender that is not a server ('emitter' is socket.io's uid for one; it is not counted).
const serverSideEmitMessage = (packet) => ({ key: '/', headers: { uid: 'emitter' }, payload: Buffer.from(encode({ uid: 'emitter', nsp: '/', type: 9, data: { packet } })) });

async function startCluster(names, env) {
  const servers = await Promise.all(names.map((NAME) => startServer({ BROKER: broker, NAME, ADAPTER, ...env })));
  // Each server announces itself once its consumer reads, so once every server counts them all,
  // every server sees every other's messages.
  for (const s of servers) {
    await waitUntil(`${s.name} to count ${names.length} servers`, async () => (await s.call('serverCount')) === names.length);
  }
  // A lone server counts itself before it reads anything: it reads once it hears a probe.
  if (servers.length === 1) {
    const [server] = servers;
    const producer = new kafka.Producer({ broker, queue_buffering_max_ms: 0, logger: quietLogger() });
    try {
      await waitUntil(`${server.name} to read ${env.TOPIC}`, async () => {
        await producer.deliver(env.TOPIC, -1, [serverSideEmitMessage(['hello', 'probe'])]);
        return (await server.call('heard')).some((h) => h[0] === 'probe');
      });
    } finally {
      await producer.stop();
    }
  }
  return servers;
}

async function waitUntil(what, check) {
  const deadline = Date.now() + WIDE;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const stripOffset = (args) => args.filter((a) => !(typeof a === 'string' && /^\d+:\d+$/.test(a)));

test('three socket.io servers share one Kafka topic', async (t) => {
  const topic = await newTopic('sio');
  const [a, b, c] = await startCluster(['A', 'B', 'C'], { TOPIC: topic });
  const a1 = await startClient(a, 'a1');
  const b1 = await startClient(b, 'b1');
  const c1 = await startClient(c, 'c1');
  for (const s of [a1, b1, c1]) s.on('question', (ack) => ack(`${s.auth.name} answers`));
  await a1.emitWithAck('join', 'red');
  await b1.emitWithAck('join', 'red');
  await c1.emitWithAck('join', 'blue');
  const clients = [a1, b1, c1];
  const allGot = (event, n = 1) => waitFor(`every client to get ${event}`, () => clients.every((s) => s.received(event).length >= n), WIDE);

  await t.test('serverCount counts every server', async () => {
    for (const s of [a, b, c]) assert.equal(await s.call('serverCount'), 3);
  });

  await t.test('io.emit reaches the clients of every server', async () => {
    await a.call('emit', 'news', 1, { deep: ['x'] });
    await allGot('news');
    for (const s of clients) assert.deepEqual(s.received('news'), [[1, { deep: ['x'] }]]);
  });

  await t.test('rooms and except hold across servers', async () => {
    await a.call('emitTo', ['red', 'blue'], ['blue'], 'room-news', 2);
    await a.call('emit', 'marker', 'rooms'); // after room-news in the same partition
    await allGot('marker');
    assert.deepEqual(a1.received('room-news'), [[2]]);
    assert.deepEqual(b1.received('room-news'), [[2]]);
    assert.deepEqual(c1.received('room-news'), []);
  });

  await t.test('fetchSockets returns the sockets of every server, with their rooms and data', async () => {
    const sockets = await b.call('fetchSockets');
    assert.deepEqual(sockets.map((s) => s.name).sort(), ['a1', 'b1', 'c1']);
    const c1Remote = sockets.find((s) => s.name === 'c1');
    assert.deepEqual(c1Remote.rooms, ['blue', c1.id].sort());
  });

  await t.test('socketsJoin and socketsLeave move a socket on another server', async () => {
    await b.call('socketsJoin', c1.id, 'green');
    await waitUntil('c1 to join green', async () => (await a.call('fetchSockets')).find((s) => s.name === 'c1').rooms.includes('green'));
    await a.call('emitTo', ['green'], [], 'green-news', 'in');
    await waitFor('c1 to get green-news', () => c1.received('green-news').length === 1, WIDE);

    await b.call('socketsLeave', c1.id, 'green');
    await waitUntil('c1 to leave green', async () => !(await a.call('fetchSockets')).find((s) => s.name === 'c1').rooms.includes('green'));
    await a.call('emitTo', ['green'], [], 'green-news', 'out');
    await a.call('emit', 'marker', 'left');
    await allGot('marker', 2);
    assert.deepEqual(c1.received('green-news'), [['in']]);
  });

  await t.test('serverSideEmit reaches the other servers, and with an ack gathers their answers', async () => {
    await a.call('serverSideEmit', 'x1');
    await waitUntil('B and C to hear x1', async () => {
      const [hb, hc] = await Promise.all([b.call('heard'), c.call('heard')]);
      return hb.some((h) => h[0] === 'x1') && hc.some((h) => h[0] === 'x1');
    });
    assert.deepEqual(await a.call('heard'), []);
    const answers = await a.call('serverSideEmitWithAck', 'x2');
    assert.deepEqual(answers.sort(), ['B heard x2', 'C heard x2']);
  });

  await t.test('a broadcast with an ack gathers the answers of every server\'s clients', async () => {
    const answers = await a.call('emitWithAck', 'question');
    assert.deepEqual(answers.sort(), ['a1 answers', 'b1 answers', 'c1 answers']);
  });

  await t.test('binary payloads arrive byte for byte', async () => {
    await a.call('emitBinary', 'bytes', [0, 1, 2, 254, 255]);
    await allGot('bytes');
    for (const s of clients) assert.deepEqual([...s.received('bytes')[0][0]], [0, 1, 2, 254, 255]);
  });

  await t.test('disconnectSockets disconnects a socket on another server', async () => {
    const gone = once(c1, 'disconnect');
    await a.call('disconnectSockets', 'blue');
    const [reason] = await gone;
    assert.equal(reason, 'io server disconnect');
  });

  await t.test('the broadcasts went through Kafka', async () => {
    const found = [];
    const reader = new kafka.Consumer({
      broker, topic, offset_directory: null, payload_encoding: 'buffer', logger: quietLogger(),
      receive_callback: ({ messages }) => {
        for (const m of messages) {
          if (m.headers?.to || m.headers?.session) continue;
          const message = decode(m.payload);
          if (message.type === 3 && message.data.packet.data[0] === 'news') found.push({ key: m.key.toString(), data: message.data.packet.data });
        }
        return Promise.resolve();
      },
    });
    await reader.start();
    await waitFor('the news broadcast in the topic', () => found.length === 1, WIDE);
    await reader.stop();
    assert.deepEqual(found, [{ key: '/', data: ['news', 1, { deep: ['x'] }] }]);
  });

  await t.test('a killed server is dropped after the heartbeat timeout', async () => {
    assert.equal(await c.kill(), 'SIGKILL');
    await waitUntil('A and B to count 2 servers', async () => (await a.call('serverCount')) === 2 && (await b.call('serverCount')) === 2);
    // Requests no longer wait for C.
    assert.deepEqual(await a.call('serverSideEmitWithAck', 'x3'), ['B heard x3']);
    assert.deepEqual((await a.call('fetchSockets')).map((s) => s.name).sort(), ['a1', 'b1']);
  });

  for (const s of clients) s.disconnect();
  // io.close() sends ADAPTER_CLOSE, stops the clients, and the process exits by itself.
  assert.deepEqual(await Promise.all([a.stop(), b.stop()]), [0, 0]);
});

test('connection state recovery replays what a client missed, from Kafka, on any server', async () => {
  const topic = await newTopic('sio-recovery');
  const [r1, r2] = await startCluster(['R1', 'R2'], { TOPIC: topic, RECOVERY: '1' });
  const watcher = await startClient(r2, 'w');
  const k = await startClient(r1, 'k', { reconnection: false });
  await k.emitWithAck('join', 'mine');
  const watcherGot = (n) => waitFor(`the watcher to get ${n} ticks`, () => watcher.received('tick').length >= n, WIDE);
  // Disconnects k as a dropped network would, and waits until R1 has kept its session in Kafka
  // (R1 writes the session, then the tick: one producer, one partition, in order).
  const dropK = async (tick) => {
    const disconnected = once(k, 'disconnect'); // emitted from inside close()
    k.io.engine.close();
    await disconnected;
    await waitUntil('R1 to let k go', async () => !(await r1.call('fetchSockets')).some((s) => s.name === 'k'));
    await r1.call('emit', 'tick', tick);
  };

  await r1.call('emit', 'tick', 1);
  await waitFor('k to get tick 1', () => k.received('tick').length === 1, WIDE);
  const [, offset] = k.received('tick')[0];
  assert.match(offset, /^\d+:\d+$/, 'each broadcast carries its Kafka position');

  await dropK(2);
  // Tick 3 comes from the other server's producer: sent only once tick 2 is in Kafka, so that
  // Kafka's order is 2, 3 (two producers' sends in flight together may land either way).
  await watcherGot(2);
  await r2.call('emit', 'tick', 3);
  await r2.call('emitTo', ['elsewhere'], [], 'tick', 'not for k');
  await watcherGot(3);
  k.connect();
  await once(k, 'connect');
  assert.equal(k.recovered, true);
  await waitFor('k to get the missed ticks', () => k.received('tick').length === 3, WIDE);
  assert.deepEqual(k.received('tick').map(stripOffset), [[1], [2], [3]]);
  const sid = k.id;

  // Dropped again, and back through the other server: the session is in Kafka, not in R1.
  await dropK(4);
  await watcherGot(4);
  // A new client object carrying k's session, as a page that kept it would (its own `recovered`
  // flag only compares with a pid it had itself): the same id means R2 restored the session.
  const k2 = await startClient(r2, 'k', { auth: { pid: k._pid, offset: k._lastOffset } });
  assert.equal(k2.id, sid);
  await waitFor('k to get tick 4 through R2', () => k2.received('tick').length === 1, WIDE);
  assert.deepEqual(k2.received('tick').map(stripOffset), [[4]]);
  const r2Sockets = await r2.call('fetchSockets');
  assert.deepEqual(r2Sockets.find((s) => s.id === sid).rooms, ['mine', sid].sort());

  const stranger = await startClient(r1, 'stranger', { auth: { pid: 'no-such-session', offset: '0:0' } });
  assert.equal(stranger.recovered, false);

  for (const s of [watcher, k2, stranger]) s.disconnect();
  assert.deepEqual(await Promise.all([r1.stop(), r2.stop()]), [0, 0]);
});

test('a listener that throws is logged, and the rest of its batch still arrives', async () => {
  const topic = await newTopic('sio-throw');
  const [server] = await startCluster(['T'], { TOPIC: topic });
  // Two cluster messages in one send(), so one batch: a serverSideEmit whose listener throws,
  // then one that must still be heard.
  const producer = new kafka.Producer({ broker, queue_buffering_max_ms: 0, logger: quietLogger() });
  await producer.deliver(topic, -1, [serverSideEmitMessage(['boom']), serverSideEmitMessage(['hello', 'after the throw'])]);
  await producer.stop();
  await waitUntil('T to hear the second message', async () => (await server.call('heard')).some((h) => h[0] === 'after the throw'));
  assert.equal(await server.call('serverCount'), 1, 'the server is alive and counts itself');
  assert.equal(await server.stop(), 0);
});

test('no payload crashes a server: a BigInt or an oversize serverSideEmit fails, an oversize broadcast still reaches its own clients', async () => {
  const topic = await newTopic('sio-hostile-payload');
  const [server] = await startCluster(['H'], { TOPIC: topic });
  const client = await startClient(server, 'h1');
  // Without the fix either throws inside socket.io's async path: an unhandled rejection, and
  // the server process exits.
  await server.call('serverSideEmitBigInt');
  await server.call('serverSideEmitHuge', 2000000);
  // Over the producer's message.max.bytes (1 MB): not relayed, yet this server's own clients
  // get it, as with socket.io's Redis adapter.
  await server.call('emitHuge', 'huge', 2000000);
  await server.call('emit', 'after', 'the huge ones');
  await waitFor('the client to get both broadcasts', () => client.received('after').length === 1 && client.received('huge').length === 1, WIDE);
  assert.equal(client.received('huge')[0][0].length, 2000000);
  assert.equal(await server.call('serverCount'), 1, 'the server is alive');
  assert.equal(client.connected, true);
  client.disconnect();
  assert.equal(await server.stop(), 0);
});

// A record in the topic as another process could write it: well-formed MessagePack that is not
// a socket.io message socket.io can take.
const rawMessage = (message) => ({ key: '/', headers: { uid: 'emitter' }, payload: Buffer.from(encode(message)) });

test('records that are not socket.io messages are skipped: no client is disconnected, and what follows arrives', async () => {
  const topic = await newTopic('sio-poison');
  const [p1, p2] = await startCluster(['P1', 'P2'], { TOPIC: topic });
  const c1 = await startClient(p1, 'c1');
  const c2 = await startClient(p2, 'c2');
  const broadcast = (packet, opts = { rooms: [], except: [] }) => rawMessage({ uid: 'emitter', nsp: '/', type: 3, data: { packet, opts } });
  const producer = new kafka.Producer({ broker, queue_buffering_max_ms: 0, logger: quietLogger() });
  await producer.deliver(topic, -1, [
    broadcast({ type: 99, data: 'not a packet', nsp: '/' }), // a packet type clients cannot parse
    broadcast({ type: 2, data: ['disconnect'], nsp: '/' }), // an event name clients refuse
    broadcast({ type: 2, data: [{ not: 'an event name' }], nsp: '/' }),
    broadcast({ type: 2, data: ['news'], nsp: '/' }, { rooms: 'all' }), // rooms not a list
    rawMessage({ uid: 'emitter', nsp: '/', type: 7, data: { opts: null } }), // fetchSockets, no requestId
    rawMessage({ uid: 'emitter', nsp: '/', type: 42 }),
    rawMessage('a string'),
    { key: '/', headers: { uid: 'emitter' }, payload: Buffer.from([0xc1]) }, // not MessagePack
    broadcast({ type: 2, data: ['news', 'after the poison'], nsp: '/' }),
  ]);
  await producer.stop();
  await waitFor('both clients to get the news', () => [c1, c2].every((c) => c.received('news').length === 1), WIDE);
  for (const c of [c1, c2]) {
    assert.deepEqual(c.received('news'), [['after the poison']]);
    assert.equal(c.connected, true, `${c.auth.name} is still connected`);
  }
  for (const c of [c1, c2]) c.disconnect();
  assert.deepEqual(await Promise.all([p1.stop(), p2.stop()]), [0, 0]);
});

test('records that are not socket.io messages spoil no connection state recovery', async () => {
  const topic = await newTopic('sio-poison-recovery');
  const [server] = await startCluster(['Q'], { TOPIC: topic, RECOVERY: '1' });
  const k = await startClient(server, 'k', { reconnection: false });
  await server.call('emit', 'tick', 1);
  await waitFor('k to get tick 1', () => k.received('tick').length === 1, WIDE);
  const disconnected = once(k, 'disconnect');
  k.io.engine.close();
  await disconnected;
  await waitUntil('Q to let k go (and keep its session)', async () => !(await server.call('fetchSockets')).some((s) => s.name === 'k'));
  // After k's session, in the namespace's partition (same key): two records a restore must read
  // past, then the tick k misses.
  const producer = new kafka.Producer({ broker, queue_buffering_max_ms: 0, logger: quietLogger() });
  await producer.deliver(topic, -1, [
    { key: '/', headers: { uid: 'emitter' }, payload: Buffer.from([0xc1]) }, // not MessagePack
    rawMessage({ uid: 'emitter', nsp: '/', type: 3, data: { packet: 'not a packet' } }),
  ]);
  await producer.stop();
  await server.call('emit', 'tick', 2);
  k.connect();
  await once(k, 'connect');
  assert.equal(k.recovered, true);
  await waitFor('k to get the missed tick', () => k.received('tick').length === 2, WIDE);
  assert.deepEqual(k.received('tick').map(stripOffset), [[1], [2]]);
  k.disconnect();
  assert.equal(await server.stop(), 0);
});

test('a partition leader that hangs stalls the relay for seconds, not a minute', { skip: process.env.KAFKA_TEST_BROKER === 'kafka' && 'fault injection: the MockCluster run proves it' }, async () => {
  // Three brokers, the topic on all of them: the leader stops answering (a response delay of
  // two minutes, as a host gone without a reset) and another replica leads, as after an
  // election. Each request in flight to the old leader waits for librdkafka's socket timeout.
  const mock = new kafka.MockCluster(3);
  const topic = `sio-hang-${process.pid}`;
  await mock.createTopic(topic, 1, 3);
  const servers = await Promise.all(['H1', 'H2'].map((NAME) => startServer({ BROKER: mock.bootstrapServers, NAME, ADAPTER, TOPIC: topic })));
  for (const s of servers) await waitUntil(`${s.name} to count 2 servers`, async () => (await s.call('serverCount')) === 2);
  const [h1, h2] = servers;
  const client = await startClient(h2, 'c');
  await h1.call('emit', 'tick', 'before');
  await waitFor('the tick before', () => client.received('tick').length === 1, WIDE);
  const leader = mock.partitionLeader(topic, 0);
  mock.setBrokerRtt(leader, 120000);
  mock.setPartitionLeader(topic, 0, leader === 1 ? 2 : 1);
  const hungAt = Date.now();
  // With librdkafka's 60 s socket timeout this took 71 s; the relay's 5 s makes it about 11.
  let n = 0;
  const ticking = setInterval(() => h1.call('emit', 'tick', `after ${++n}`).catch(() => {}), 250);
  try {
    await waitFor('a tick across the servers after the leader hung', () => client.received('tick').length > 1, 40000);
  } finally {
    clearInterval(ticking);
  }
  const stalled = Date.now() - hungAt;
  mock.setBrokerRtt(leader, 0);
  client.disconnect();
  assert.deepEqual(await Promise.all([h1.stop(), h2.stop()]), [0, 0]);
  assert.ok(stalled < 40000, `stalled ${stalled} ms`);
});

// Proven on Apache Kafka (test/run.js runs this file there): the MockCluster creates a topic a
// consumer asks for, so there it passes either way.
test('a server started before its topic exists reads it once it is created', async () => {
  const topic = `sio-later-${process.pid}-${Date.now()}`; // created below, after L1 starts
  const l1 = await startServer({ BROKER: broker, NAME: 'L1', ADAPTER, TOPIC: topic });
  await cluster.createTopic(topic, 4);
  const l2 = await startServer({ BROKER: broker, NAME: 'L2', ADAPTER, TOPIC: topic });
  for (const s of [l1, l2]) {
    await waitUntil(`${s.name} to count 2 servers`, async () => (await s.call('serverCount')) === 2);
  }
  const c1 = await startClient(l1, 'c1');
  await l2.call('emit', 'hi', 'from L2');
  await waitFor('L1\'s client to hear L2', () => c1.received('hi').length === 1, WIDE);
  c1.disconnect();
  assert.deepEqual(await Promise.all([l1.stop(), l2.stop()]), [0, 0]);
});

test('a broadcast carries its trace through Kafka: the other server\'s batch span continues it', async () => {
  const topic = await newTopic('sio-trace');
  const [a, b] = await startCluster(['A', 'B'], { TOPIC: topic, TRACING: '1' });
  const b1 = await startClient(b, 'b1');
  const traceId = await a.call('tracedEmit', 'traced', 'hello');
  await waitFor('b1 to get the traced broadcast', () => b1.received('traced').length === 1, WIDE);
  // The batch span continues the trace: its parent is the send span when the batch carried
  // this trace alone, a link to it when the batch carried other traces too (docs/operations.md).
  let batch;
  await waitUntil('B\'s batch span', async () => {
    batch = (await b.call('spans')).find((s) => s.name === `process ${topic}` && (s.traceId === traceId || s.links.some((l) => l.traceId === traceId)));
    return batch !== undefined;
  });
  const send = (await a.call('spans')).find((s) => s.name === `send ${topic}` && s.traceId === traceId);
  assert.ok(send, 'A\'s send span is in the request\'s trace');
  if (batch.traceId === traceId) assert.equal(batch.parentSpanId, send.spanId);
  else assert.ok(batch.links.some((l) => l.spanId === send.spanId), JSON.stringify(batch));
});

test('socket.io-kafka\'s call shape creates its topic and works', async () => {
  const topic = `sio-old-${process.pid}-${Date.now()}`; // not created: createTopics makes it
  const [o1, o2] = await startCluster(['O1', 'O2'], { TOPIC: topic, OLD_SHAPE: '1' });
  const c1 = await startClient(o1, 'c1');
  const c2 = await startClient(o2, 'c2');
  await o1.call('emit', 'hi', 'there');
  await waitFor('both clients to get hi', () => [c1, c2].every((s) => s.received('hi').length === 1), WIDE);
  assert.deepEqual(c2.received('hi'), [['there']]);
  const topics = await new kafka.Admin({ broker, logger: quietLogger() }).listTopics();
  assert.ok(topics.some((t) => t.topic === topic), `${topic} exists`);
  for (const s of [c1, c2]) s.disconnect();
  assert.deepEqual(await Promise.all([o1.stop(), o2.stop()]), [0, 0]);
});

test('control: with socket.io\'s in-memory adapter the same servers do not see each other', async () => {
  const [x, y] = await Promise.all(['X', 'Y'].map((NAME) => startServer({ NAME, ADAPTER: 'memory' })));
  const x1 = await startClient(x, 'x1');
  const y1 = await startClient(y, 'y1');
  assert.equal(await x.call('serverCount'), 1);
  assert.deepEqual((await x.call('fetchSockets')).map((s) => s.name), ['x1']);
  x1.disconnect();
  y1.disconnect();
  assert.deepEqual(await Promise.all([x.stop(), y.stop()]), [0, 0]);
});

// A producer with a fatal error (here an idempotent producer's sequence out of step with the
// broker's, injected on a MockCluster of the test's own) refuses every later send: the adapter
// replaces it, so that one such error does not cut a server off from the others until restarted.
test('after a fatal producer error a server broadcasts on a new producer', { skip: (onKafka && 'fault injection, on a MockCluster of its own') || ADAPTER }, async () => {
  const mock = new kafka.MockCluster(1);
  mock.setGroupInitialRebalanceDelay(0);
  const topic = 'sio-fatal';
  mock.createTopic(topic, 4, 1);
  const [a, b] = await startCluster(['FA', 'FB'], { TOPIC: topic, BROKER: mock.bootstrapServers });
  const a1 = await startClient(a, 'fa1');
  const b1 = await startClient(b, 'fb1');
  // The next produce request fails: a broadcast's or a heartbeat's, of either server.
  mock.pushRequestErrors(0, ['OUT_OF_ORDER_SEQUENCE_NUMBER']);
  const failed = async () => (await Promise.all([a.call('errors'), b.call('errors')])).flat().filter((e) => /fatal/i.test(e));
  await waitUntil('a server\'s producer to fail', async () => (await failed()).length > 0);
  // Whichever failed, both servers' broadcasts reach the other's clients again.
  await a.call('emit', 'after', 'from A');
  await b.call('emit', 'after', 'from B');
  await waitFor('each client to hear both servers', () => [a1, b1].every((s) => s.received('after').length >= 2), WIDE);
  for (const s of [a1, b1]) assert.deepEqual(s.received('after').map(([from]) => from).sort(), ['from A', 'from B']);
  assert.ok((await failed()).some((e) => /replaced by a new one/.test(e)), (await failed()).join('\n'));
  for (const s of [a1, b1]) s.disconnect();
  assert.deepEqual(await Promise.all([a.stop(), b.stop()]), [0, 0]);
});

// A server publishes in bursts (socket.io's broadcast loop): its producer gathers each into one
// request for 1 ms, where linger 0 sends the first message alone and the rest after it. What
// librdkafka is given is read from its own configuration dump (debug 'conf'), so no clock is
// involved.
test('the relay\'s producer gathers a burst for 1 ms (linger.ms) by default; producer options still set it', async () => {
  const { Server } = require('socket.io');
  const { createAdapter } = require('kafka-native/socket.io');
  const topic = await newTopic('linger');
  const lingerOf = async (producer) => {
    const lines = [];
    const logger = { ...quietLogger(), debug: (line) => lines.push(line) };
    const io = new Server(require('node:http').createServer());
    io.adapter(createAdapter({ broker, topic, producer: { ...producer, driver_options: { debug: 'conf' }, logger } }));
    await io.close();
    return lines.map((l) => /queue\.buffering\.max\.ms = ([\d.]+)/.exec(l)?.[1]).find((v) => v !== undefined);
  };
  assert.equal(await lingerOf({}), '1');
  assert.equal(await lingerOf({ queue_buffering_max_ms: 0 }), '0');
});

test('createAdapter() refuses bad options, naming them', () => {
  const { createAdapter } = require('kafka-native/socket.io');
  assert.throws(() => createAdapter(42), /createAdapter\(\) takes \{broker, topic/);
  assert.throws(() => createAdapter('localhost:2181'), /ZooKeeper address/);
  assert.throws(() => createAdapter({ broker, topc: 'x' }), /unknown createAdapter\(\) option topc/);
  assert.throws(() => createAdapter({ broker, producer: { send() {} } }), /option producer takes kafka-native Producer options/);
  assert.throws(() => createAdapter({ broker, producer: { linger: 1 } }), /linger/);
  assert.throws(() => createAdapter({ broker, heartbeatTimeout: 0 }), /option heartbeatTimeout must be a positive integer/);
  assert.throws(() => createAdapter({ topic: 'x' }), /option broker must be a broker list/);
  assert.throws(() => createAdapter(broker, { key: '' }), /option key must be a topic name/);
});

test('kafka-native loads no socket.io package until kafka-native/socket.io is required', () => {
  const { spawnSync } = require('node:child_process');
  const loaded = (entry) => {
    const script = `require(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(require.cache)))`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: require('node:path').join(__dirname, '..'), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout).filter((f) => /socket\.io|msgpack/.test(f));
  };
  assert.deepEqual(loaded('kafka-native'), []);
  const adapter = loaded('kafka-native/socket.io');
  assert.ok(adapter.some((f) => f.includes('socket.io-adapter')), 'the adapter loads socket.io-adapter');
  assert.ok(adapter.some((f) => f.includes('@msgpack')), 'the adapter loads @msgpack/msgpack');
});

test('a missing peer dependency is named, with the command that installs it', () => {
  const { requirePeer } = require('../js/integrations/integration-options');
  assert.throws(() => requirePeer('no-such-peer-package', 'kafka-native/socket.io'),
    /^Error: kafka-native\/socket.io needs the package no-such-peer-package: npm install no-such-peer-package$/);
});
