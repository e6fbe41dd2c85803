'use strict';
// The receiving side of the broadcast benchmark: CLIENTS socket.io-client sockets on URL, in
// one process. Each `tick` carries its send time; see ../deliveries.js for what is measured.
const { io: connect } = require('socket.io-client');
const { received, report } = require('../deliveries');

const { URL, CLIENTS = '100' } = process.env;

(async () => {
  const sockets = [];
  for (let i = 0; i < Number(CLIENTS); i++) {
    const socket = connect(URL, { transports: ['websocket'], reconnection: false });
    socket.on('tick', received);
    sockets.push(new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    }));
  }
  const connected = await Promise.all(sockets);
  await report();
  for (const s of connected) s.close();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
