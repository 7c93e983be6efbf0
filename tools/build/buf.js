#!/usr/bin/env node
// Runs the buf binary shipped inside @bufbuild/buf-<platform>. npm 11 does not run @bufbuild/buf's
// postinstall, so the .bin wrapper may lack its run bit; calling the platform binary directly
// (and restoring its mode if needed) keeps a fresh clone free of global tools.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const platformPkg = `@bufbuild/buf-${process.platform}-${process.arch === 'x64' ? 'x64' : process.arch}`;
let bin;
try {
  bin = path.join(path.dirname(require.resolve(`${platformPkg}/package.json`)), 'bin', 'buf');
} catch {
  console.error(`buf: package ${platformPkg} is not installed (run npm ci)`);
  process.exit(2);
}
try {
  fs.accessSync(bin, fs.constants.X_OK);
} catch {
  fs.chmodSync(bin, 0o755);
}
const res = spawnSync(bin, process.argv.slice(2), { stdio: 'inherit', cwd: path.join(__dirname, '..', '..') });
process.exit(res.status === null ? 1 : res.status);
