'use strict';
// The receiving side of the ws-proxy benchmark: CLIENTS ws clients of URL (the query says what
// they read), in one process. Each message's text is its send time; see ../deliveries.js for
// what is measured.
const WebSocket = require('ws');
const { received, report } = require('../deliveries');

const { URL, CLIENTS = '1000' } = process.env;

(async () => {
  const sockets = [];
  for (let i = 0; i < Number(CLIENTS); i++) {
    const ws = new WebSocket(URL);
    ws.on('message', (data) => {
      for (const entry of JSON.parse(data.toString())) received(Number(entry.message));
    });
    sockets.push(new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    }));
  }
  const connected = await Promise.all(sockets);
  await report();
  for (const ws of connected) ws.close();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
