'use strict';
// The directory holding the librdkafka.so.1 that rdkafka-sys built (release preferred), for
// running Debian's kcat (librdkafka 2.0.2) against tansu, whose ApiVersion reply it cannot parse.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

function librdkafkaDir() {
  for (const profile of ['release', 'debug']) {
    const build = path.join(root, 'target', profile, 'build');
    if (!fs.existsSync(build)) continue;
    for (const dir of fs.readdirSync(build).filter((d) => d.startsWith('rdkafka-sys-'))) {
      const src = path.join(build, dir, 'out', 'src');
      if (fs.existsSync(path.join(src, 'librdkafka.so.1'))) return src;
    }
  }
  throw new Error('no librdkafka.so.1 under target/*/build/rdkafka-sys-*/out/src (run cargo build)');
}

module.exports = { librdkafkaDir };
