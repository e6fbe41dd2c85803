'use strict';
// The directory holding the librdkafka.so.1 that kafka-native-sys built (the newest), for
// running Debian's kcat (librdkafka 2.0.2) against tansu, whose ApiVersion reply it cannot parse.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

// The newest build wins: target/ keeps the builds of earlier feature sets too (one without
// zstd, say), and kcat should have what the addon has.
function librdkafkaDir() {
  const found = [];
  for (const profile of ['release', 'debug']) {
    const build = path.join(root, 'target', profile, 'build');
    if (!fs.existsSync(build)) continue;
    for (const dir of fs.readdirSync(build).filter((d) => d.startsWith('kafka-native-sys-'))) {
      const src = path.join(build, dir, 'out', 'src');
      const lib = path.join(src, 'librdkafka.so.1');
      if (fs.existsSync(lib)) found.push({ src, built: fs.statSync(lib).mtimeMs });
    }
  }
  if (found.length === 0) throw new Error('no librdkafka.so.1 under target/*/build/kafka-native-sys-*/out/src (run cargo build)');
  return found.sort((a, b) => b.built - a.built)[0].src;
}

module.exports = { librdkafkaDir };
