'use strict';
// A TLS terminator in front of a plaintext broker: accepts TLS on a port of its own (with
// `requestCert`, only clients whose certificate the CA signed) and pipes each connection to the
// broker's port. The MockCluster speaks plaintext only; a broker told to advertise the
// terminator's port (MockCluster.setBrokerAddress) makes a TLS cluster of it.
const net = require('node:net');
const tls = require('node:tls');
const { once } = require('node:events');

async function startTerminator({ cert, key, ca, requestCert = false, upstreamPort }) {
  const sockets = new Set();
  const server = tls.createServer({ cert, key, ca, requestCert, rejectUnauthorized: requestCert }, (client) => {
    const broker = net.connect(upstreamPort, '127.0.0.1');
    for (const s of [client, broker]) {
      sockets.add(s);
      s.on('error', () => {}); // the other side's close ends both
      s.on('close', () => { sockets.delete(s); client.destroy(); broker.destroy(); });
    }
    client.pipe(broker).pipe(client);
  });
  server.on('tlsClientError', () => {}); // a refused handshake: the client reports it
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

module.exports = { startTerminator };
