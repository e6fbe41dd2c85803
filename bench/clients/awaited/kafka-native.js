'use strict';
// This package: `await producer.deliver(topic, partition, [payload])`, at its defaults unless
// SETTINGS = {producer: {...}} says otherwise.
const { Producer } = require('../../../js/index.js');
const { run, measure } = require('./common');

const quiet = { error: console.error, warn() {}, info() {} };
const producer = new Producer({ broker: run.broker, logger: quiet, ...run.settings.producer });

measure({
  async start() {},
  send: (partition, payload) => producer.deliver(run.topic, partition, [payload]),
  stop: () => producer.stop(),
});
