'use strict';
// The benchmark's baseline (node -r this): the frameworks' require('kafkajs') gets KafkaJS 2.2.4
// itself (this repository's dev dependency) instead of the project's kafka-native-kafkajs.
const Module = require('node:module');
const path = require('node:path');

const kafkajs = require.resolve('kafkajs', { paths: [path.join(__dirname, '..', '..', '..')] });
const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveKafkaJS(request, ...rest) {
  return request === 'kafkajs' ? kafkajs : resolve.call(this, request, ...rest);
};
