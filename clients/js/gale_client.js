// gale_client.js: a thin promise-based Node.js client for Gale's nimbus.
//
// The Thrift code is generated from thrift/gale.thrift at build time
// (`thrift --gen js:node`, target gale_client_js) into
// <build>/clients/js/gen-nodejs; this module finds it through $GALE_JS_GEN,
// else $GALE_BUILD_DIR/clients/js/gen-nodejs, else <repo>/build/clients/js/gen-nodejs.
// The npm package `thrift` (pinned in package.json; `npm ci` here installs it)
// must match the compiler: 0.17.0 for Debian 12's thrift 0.17.
//
//   const gale = require('./gale_client');
//   const nimbus = await gale.connect('127.0.0.1', 6627, { timeoutMs: 10000 });
//   try { console.log(await nimbus.list()); } finally { nimbus.close(); }
//
// Every call returns a promise. A declared exception rejects it with the
// generated type (gale.types.NotAliveException, ...; message in `.msg`). A
// call that gets no answer within timeoutMs, or whose connection fails or
// closes, rejects with an Error and the connection is closed.
'use strict';

const fs = require('fs');
const path = require('path');

function generatedDir() {
  if (process.env.GALE_JS_GEN) return process.env.GALE_JS_GEN;
  const build = process.env.GALE_BUILD_DIR || path.join(__dirname, '..', '..', 'build');
  return path.join(build, 'clients', 'js', 'gen-nodejs');
}

function loadGenerated() {
  const dir = generatedDir();
  if (!fs.existsSync(path.join(dir, 'Nimbus.js'))) {
    throw new Error(`gale_client: no generated Thrift code in ${dir}; build it ` +
      '(ninja -C build gale_client_js) or point GALE_JS_GEN at the folder holding Nimbus.js');
  }
  try {
    require.resolve('thrift', { paths: [dir] });
  } catch (e) {
    throw new Error(`gale_client: the generated code in ${dir} cannot find the npm package ` +
      "'thrift': run `npm ci` in clients/js (scripts/setup.sh does), or set NODE_PATH to " +
      'clients/js/node_modules');
  }
  return { Nimbus: require(path.join(dir, 'Nimbus.js')), types: require(path.join(dir, 'gale_types.js')) };
}

const generated = loadGenerated();
const thrift = require(require.resolve('thrift', { paths: [generatedDir()] }));
const types = generated.types;
const DECLARED = ['NotAliveException', 'AlreadyAliveException', 'InvalidTopologyException',
  'PluginNotFoundException', 'UploadException', 'IllegalStateException'].map((n) => types[n]);

// An i64 (node-int64 Int64) or a number as a Number.
function num(v) {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber(true);
}

function statusName(status) {
  for (const [name, value] of Object.entries(types.TopologyStatus)) {
    if (value === status) return name;
  }
  return String(status);
}

function isDeclared(err) {
  return DECLARED.some((T) => err instanceof T);
}

class NimbusConnection {
  constructor(connection, client, address, timeoutMs) {
    this.connection = connection;
    this.client = client;
    this.address = address;
    this.timeoutMs = timeoutMs;
    this.pending = new Set();
    this.closed = false;
    const failAll = (why) => {
      this.closed = true;
      for (const p of [...this.pending]) p.reject(new Error(`${p.method} to nimbus at ${address}: ${why}`));
      this.pending.clear();
    };
    connection.on('error', (err) => failAll(err.message || String(err)));
    connection.on('close', () => failAll('connection closed'));
  }

  // Calls a generated client method with a callback, bounded by timeoutMs.
  call(method, ...args) {
    if (this.closed) return Promise.reject(new Error(`nimbus connection to ${this.address} is closed`));
    return new Promise((resolve, reject) => {
      const entry = { method, reject: null };
      const timer = setTimeout(() => {
        this.pending.delete(entry);
        this.close();
        reject(new Error(`nimbus at ${this.address} did not answer ${method} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      entry.reject = (err) => { clearTimeout(timer); reject(err); };
      this.pending.add(entry);
      this.client[method](...args, (err, result) => {
        clearTimeout(timer);
        this.pending.delete(entry);
        if (err) reject(err); else resolve(result);
      });
    });
  }

  list() { return this.call('getClusterInfo'); }
  info(name) { return this.call('getTopologyInfo', name); }
  activate(name) { return this.call('activate', name); }
  deactivate(name) { return this.call('deactivate', name); }
  kill(name, waitSecs) {
    return this.call('killTopology', name, new types.KillOptions({ wait_secs: waitSecs }));
  }

  close() {
    this.closed = true;
    this.connection.destroy();
  }
}

// Connects with the framed transport and the binary protocol (nimbus reads
// nothing else). timeoutMs bounds connecting and every call.
function connect(host = '127.0.0.1', port = 6627, { timeoutMs = 10000 } = {}) {
  const address = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    const connection = thrift.createConnection(host, port, {
      transport: thrift.TFramedTransport,
      protocol: thrift.TBinaryProtocol,
      connect_timeout: timeoutMs,
    });
    let done = false;
    const fail = (why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      connection.destroy();
      reject(new Error(`cannot connect to nimbus at ${address}: ${why}`));
    };
    const timer = setTimeout(() => fail(`no connection within ${timeoutMs} ms`), timeoutMs);
    connection.on('error', (err) => fail(err.message || String(err)));
    connection.on('close', () => fail('connection closed'));
    connection.on('connect', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      connection.removeAllListeners('error');
      connection.removeAllListeners('close');
      resolve(new NimbusConnection(connection, thrift.createClient(generated.Nimbus, connection),
        address, timeoutMs));
    });
  });
}

module.exports = { connect, types, thrift, num, statusName, isDeclared, generatedDir };
