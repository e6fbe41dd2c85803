'use strict';
// npm pack's prepack and postpack steps: the packed package.json goes without the `prepare`
// script. In a clone, `npm install` builds the addon through it; in an installed tarball it has
// nothing to build (the addon is a package of its own), and npm warns about it at every install
// ("1 package has install scripts not yet covered by allowScripts"). `strip` keeps the manifest
// aside and writes it without `prepare`; `restore` puts it back (postpack, before anything that
// may fail). Since npm runs `prepare` after `prepack`, a pack does not build the addon: build
// it first (npm run release:pack does).
const fs = require('node:fs');
const path = require('node:path');

const manifest = path.join(__dirname, '..', 'package.json');
const kept = `${manifest}.packing`;

if (process.argv[2] === 'strip') {
  fs.copyFileSync(manifest, kept);
  const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  delete pkg.scripts.prepare;
  fs.writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (process.argv[2] === 'restore') {
  if (fs.existsSync(kept)) fs.renameSync(kept, manifest);
} else {
  console.error('usage: node .ci/pack-manifest.js strip|restore');
  process.exit(2);
}
