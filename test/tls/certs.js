'use strict';
// Test certificates, made fresh for each test run with the openssl CLI into a temporary folder
// (never checked in): a private CA; a broker certificate for 127.0.0.1 and localhost; one for
// another host name; a client certificate for mutual TLS; and a second CA that signed none of
// them. EC P-256 keys, valid for a day.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

// A key and a certificate for `subject`, signed by the CA in `dir` (or self-signed as a CA).
function issue(dir, name, subject, { ca = false, san } = {}) {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  if (ca) {
    openssl(['req', '-x509', '-new', '-key', `${name}.key`, '-out', `${name}.pem`, '-days', '1', '-subj', subject,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    return;
  }
  const ext = `${name}.ext`;
  fs.writeFileSync(path.join(dir, ext), [
    'basicConstraints=CA:FALSE',
    'keyUsage=digitalSignature,keyEncipherment',
    `extendedKeyUsage=${san ? 'serverAuth' : 'clientAuth'}`,
    ...(san ? [`subjectAltName=${san}`] : []),
  ].join('\n'));
  openssl(['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', `${name}.pem`, '-days', '1', '-extfile', ext], dir);
}

function makeCerts() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-tls-'));
  issue(dir, 'ca', '/CN=kafka-native test CA', { ca: true });
  issue(dir, 'broker', '/CN=localhost', { san: 'IP:127.0.0.1,DNS:localhost' });
  issue(dir, 'elsewhere', '/CN=elsewhere.example', { san: 'DNS:elsewhere.example' });
  issue(dir, 'client', '/CN=kafka-native test client');
  const other = path.join(dir, 'other');
  fs.mkdirSync(other);
  issue(other, 'ca', '/CN=another CA', { ca: true });
  const file = (f) => path.join(dir, f);
  const pem = (f) => fs.readFileSync(file(f), 'utf8');
  return {
    dir,
    ca: { path: file('ca.pem'), pem: pem('ca.pem') },
    otherCa: { path: path.join(other, 'ca.pem'), pem: fs.readFileSync(path.join(other, 'ca.pem'), 'utf8') },
    broker: { cert: pem('broker.pem'), key: pem('broker.key') },
    elsewhere: { cert: pem('elsewhere.pem'), key: pem('elsewhere.key') },
    client: { cert: pem('client.pem'), key: pem('client.key'), certPath: file('client.pem'), keyPath: file('client.key') },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

module.exports = { makeCerts };
