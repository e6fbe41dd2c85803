'use strict';
// Two Moleculer nodes over its Kafka transporter (KafkaJS-based: moleculer 0.15.0-beta2), as
// Moleculer's docs write them; nothing here knows which kafkajs it gets. Each start makes a
// responder and a caller node, calls an action (request-response), calls one that throws (an
// error reply), emits an event and waits for the responder to take it, then stops both.
//   node moleculer.js <brokers> <namespace> <starts> [rounds]
// Prints one JSON line per start: {start, ms, firstReplyMs, sum, error, event}, and with `rounds`
// (the benchmark's, bench/frameworks.js) rtt_ms: that many more calls, one at a time, each timed.
const { ServiceBroker, Errors } = require('moleculer');

const [brokers, namespace, starts, rounds] = [process.argv[2].split(','), process.argv[3], Number(process.argv[4] || 1), Number(process.argv[5] || 0)];
const node = (nodeID) => new ServiceBroker({
  namespace,
  nodeID,
  transporter: { type: 'Kafka', options: { client: { brokers } } },
  logger: false,
});

(async () => {
  for (let start = 1; start <= starts; start++) {
    const began = Date.now();
    const events = [];
    let eventArrived = () => {};
    const responder = node(`responder-${start}`);
    responder.createService({
      name: 'math',
      actions: {
        add: (ctx) => ctx.params.a + ctx.params.b,
        divide: (ctx) => {
          if (ctx.params.b === 0) throw new Errors.MoleculerClientError('division by zero', 422, 'DIVISION_BY_ZERO');
          return ctx.params.a / ctx.params.b;
        },
      },
      events: {
        'math.added': (ctx) => {
          events.push(ctx.params);
          eventArrived();
        },
      },
    });
    const caller = node(`caller-${start}`);
    await Promise.all([responder.start(), caller.start()]);
    await caller.waitForServices('math');
    const asked = Date.now();
    const sum = await caller.call('math.add', { a: 1, b: 2 + start });
    const firstReplyMs = Date.now() - asked;
    const error = await caller.call('math.divide', { a: 1, b: 0 }).then(() => null, (err) => `${err.name} ${err.code} ${err.type}: ${err.message}`);
    const arrived = new Promise((resolve) => { eventArrived = resolve; });
    await caller.emit('math.added', { start });
    await arrived;
    const ms = Date.now() - began;
    const rtt_ms = [];
    for (let i = 0; i < rounds; i++) {
      const sent = process.hrtime.bigint();
      await caller.call('math.add', { a: i, b: 1 });
      rtt_ms.push(Number(process.hrtime.bigint() - sent) / 1e6);
    }
    await Promise.all([caller.stop(), responder.stop()]);
    console.log(JSON.stringify({ start, ms, firstReplyMs, sum, error, event: events[events.length - 1], ...(rounds ? { rtt_ms } : {}) }));
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
