'use strict';
// Which peer clients this machine has: commands on PATH and Node packages, the latter looked up
// in the package's own node_modules and on NODE_PATH (where `--with-node-rdkafka` puts
// node-rdkafka's cache folder, outside the package).
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function resolvable(mod) {
  const paths = [root, ...(process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean)];
  try {
    require.resolve(mod, { paths });
    return true;
  } catch {
    return false;
  }
}

// Builds node-rdkafka into its cache folder (deps/node-rdkafka/install, idempotent) and puts
// that folder on NODE_PATH for this process and the clients it starts.
function useNodeRdkafka() {
  const r = spawnSync(path.join(root, 'deps/node-rdkafka/install'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error('deps/node-rdkafka/install failed');
  const dir = r.stdout.trim().split('\n').pop();
  process.env.NODE_PATH = [dir, process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
}

module.exports = { has, resolvable, useNodeRdkafka };
