'use strict';
// A NestJS 11 microservice and its client over Kafka, written as NestJS's docs write them (in
// JavaScript: decorators applied by hand); nothing here knows which kafkajs it gets. Each start
// makes the server and the client, asks for a sum (request-response), asks for what fails (an
// error reply), emits an event and waits for the server to take it, then closes both.
//   node nest.js <brokers> <topic prefix> <starts> [rounds]
// Prints one JSON line per start: {start, ms, sum, error, event}, and with `rounds` (the
// benchmark's, bench/frameworks.js) rtt_ms: that many more requests, one at a time, each timed.
require('reflect-metadata');
const { Module, Controller } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { MessagePattern, EventPattern, Transport, ClientKafka, RpcException } = require('@nestjs/microservices');
const { lastValueFrom } = require('rxjs');

const [brokers, prefix, starts, rounds] = [process.argv[2].split(','), process.argv[3], Number(process.argv[4] || 1), Number(process.argv[5] || 0)];
const events = [];
let eventArrived = () => {};

class MathController {
  sum(numbers) {
    return numbers.reduce((a, b) => a + b, 0);
  }

  divide({ a, b }) {
    if (b === 0) throw new RpcException('division by zero');
    return a / b;
  }

  added(data) {
    events.push(data);
    eventArrived();
  }
}
const method = (name) => Object.getOwnPropertyDescriptor(MathController.prototype, name);
Reflect.decorate([MessagePattern(`${prefix}.sum`)], MathController.prototype, 'sum', method('sum'));
Reflect.decorate([MessagePattern(`${prefix}.divide`)], MathController.prototype, 'divide', method('divide'));
Reflect.decorate([EventPattern(`${prefix}.added`)], MathController.prototype, 'added', method('added'));
Controller()(MathController);
class AppModule {}
Module({ controllers: [MathController] })(AppModule);

(async () => {
  for (let start = 1; start <= starts; start++) {
    const began = Date.now();
    const server = await NestFactory.createMicroservice(AppModule, {
      transport: Transport.KAFKA,
      options: { client: { clientId: 'math', brokers }, consumer: { groupId: `${prefix}-math` } },
      logger: ['error'],
    });
    await server.listen();
    const client = new ClientKafka({ client: { clientId: 'caller', brokers }, consumer: { groupId: `${prefix}-caller` } });
    client.subscribeToResponseOf(`${prefix}.sum`);
    client.subscribeToResponseOf(`${prefix}.divide`);
    await client.connect();
    const sum = await lastValueFrom(client.send(`${prefix}.sum`, [1, 2, 3 + start]));
    const error = await lastValueFrom(client.send(`${prefix}.divide`, { a: 1, b: 0 })).then(() => null, (err) => err.message ?? String(err));
    const arrived = new Promise((resolve) => { eventArrived = resolve; });
    await lastValueFrom(client.emit(`${prefix}.added`, { start }));
    await arrived;
    const ms = Date.now() - began;
    const rtt_ms = [];
    for (let i = 0; i < rounds; i++) {
      const sent = process.hrtime.bigint();
      await lastValueFrom(client.send(`${prefix}.sum`, [i, 1]));
      rtt_ms.push(Number(process.hrtime.bigint() - sent) / 1e6);
    }
    await client.close();
    await server.close();
    console.log(JSON.stringify({ start, ms, sum, error, event: events[events.length - 1], ...(rounds ? { rtt_ms } : {}) }));
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
