'use strict';
// See package.json: loading this means a deepstream config asked for the uws endpoint.
throw new Error('uWebSockets.js is not installed (kafka-native overrides it with an empty stand-in): use deepstream\'s ws-binary endpoint');
