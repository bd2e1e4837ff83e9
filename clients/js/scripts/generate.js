#!/usr/bin/env node
// The package's `prepare` script: generates gen-nodejs/ (Nimbus.js,
// gale_types.js) in this package from the repository's thrift/gale.thrift
// with the `thrift` compiler, so that a packed or installed copy of the
// package holds its Thrift code. npm runs it for `npm pack`, for `npm install
// --install-links <repo>/clients/js`, and for `npm ci` / `npm install` here.
//   THRIFT          the compiler (default: `thrift` on PATH; Debian: thrift-compiler)
//   GALE_THRIFT_IDL the IDL (default: ../../thrift/gale.thrift from this package)
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const pkg = path.join(__dirname, '..');
const idl = process.env.GALE_THRIFT_IDL || path.join(pkg, '..', '..', 'thrift', 'gale.thrift');
const compiler = process.env.THRIFT || 'thrift';
const out = path.join(pkg, 'gen-nodejs');

if (!fs.existsSync(idl)) {
  console.error(`gale-client: no Thrift IDL at ${idl}; pack or install the package from a ` +
    'checkout of the Gale repository, or set GALE_THRIFT_IDL');
  process.exit(1);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gale-client-gen-'));
try {
  try {
    execFileSync(compiler, ['--gen', 'js:node', '-out', tmp, idl], { stdio: 'inherit' });
  } catch (e) {
    console.error(`gale-client: running the Thrift compiler '${compiler}' failed (${e.message}); ` +
      'install it (Debian: apt-get install thrift-compiler) or name it in $THRIFT');
    process.exit(1);
  }
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out);
  for (const f of ['Nimbus.js', 'gale_types.js']) {
    fs.copyFileSync(path.join(tmp, f), path.join(out, f));
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
