'use strict';
// Official Node.js binaries for the platform tests, from the npm registry's node-linux-<arch>
// packages at the versions and sha512 integrities pinned in versions.json. Each is unpacked once
// into ~/.cache/kafka-native/node/<arch>-<version>/ and reused.
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const pinned = require('./versions.json');
const cacheDir = path.join(os.homedir(), '.cache', 'kafka-native', 'node');

// The path of bin/node for `arch` (x64 or arm64) at `version`, fetching it if need be.
function nodeBinary(arch, version) {
  const integrity = pinned[arch]?.[version];
  if (!integrity) throw new Error(`deps/node: no pinned node-linux-${arch}@${version} (see versions.json)`);
  const dir = path.join(cacheDir, `${arch}-${version}`);
  const node = path.join(dir, 'bin', 'node');
  if (fs.existsSync(node)) return node;
  fs.mkdirSync(cacheDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(cacheDir, 'fetch-'));
  try {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work, `node-linux-${arch}@${version}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const tarball = path.join(work, packed.filename);
    const actual = `sha512-${crypto.createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}`;
    if (actual !== integrity) throw new Error(`deps/node: node-linux-${arch}@${version} has integrity ${actual}, pinned ${integrity}`);
    const unpacked = path.join(work, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1', 'package/bin/node', 'package/LICENSE']);
    fs.renameSync(unpacked, dir);
    return node;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { nodeBinary, pinned };
