'use strict';
// Bun and Deno for the runtime acceptance subset, from the npm registry's per-platform packages
// at the versions and sha512 integrities pinned in versions.json (linux x64). Each is unpacked
// once into ~/.cache/kafka-native/runtimes/<name>-<version>/ and reused.
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const pinned = require('./versions.json');
const cacheDir = path.join(os.homedir(), '.cache', 'kafka-native', 'runtimes');

// The path of the `name` (bun or deno) binary, fetching it if need be.
function runtimeBinary(name) {
  const pin = pinned[name];
  if (!pin || !pin.integrity) throw new Error(`deps/runtimes: no pinned ${name} (see versions.json)`);
  const dir = path.join(cacheDir, `${name}-${pin.version}`);
  const binary = path.join(dir, path.basename(pin.binary));
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(cacheDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(cacheDir, 'fetch-'));
  try {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work, `${pin.package}@${pin.version}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const tarball = path.join(work, packed.filename);
    const actual = `sha512-${crypto.createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}`;
    if (actual !== pin.integrity) throw new Error(`deps/runtimes: ${pin.package}@${pin.version} has integrity ${actual}, pinned ${pin.integrity}`);
    const unpacked = path.join(work, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1', `package/${pin.binary}`]);
    fs.mkdirSync(dir, { recursive: true });
    fs.renameSync(path.join(unpacked, pin.binary), binary);
    fs.chmodSync(binary, 0o755);
    return binary;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { runtimeBinary, pinned };
