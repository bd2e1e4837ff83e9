// gale-client: the Node.js client of Gale's nimbus (CommonJS entry; index.mjs
// is the ES module one, index.d.ts the TypeScript declarations).
//
//   const gale = require('gale-client');
//   const nimbus = await gale.connect('127.0.0.1', 6627, { timeoutMs: 10000 });
//   try {
//     await nimbus.submitYaml('topology.yaml');        // as `gale submit`
//     console.log(await nimbus.info('wordcount'));
//   } finally { nimbus.close(); }
//
// Every call returns a promise. Results are plain objects whose i64 fields
// are numbers (BigInt beyond 2^53). A declared exception rejects with a
// GaleError subclass (NotFound, AlreadyAlive, InvalidTopology, ...) whose
// message is nimbus's text; the connection stays usable. A call that gets no
// answer within timeoutMs, or whose connection fails or closes, rejects with
// Timeout or Unavailable, and the connection is closed.
//
// The Thrift code generated from thrift/gale.thrift is looked for in
// $GALE_JS_GEN, then gen-nodejs/ in this package (written by the `prepare`
// script: npm pack, npm install of the folder with --install-links, npm ci
// here) and <repo>/build/clients/js/gen-nodejs (CMake target gale_client_js),
// the build tree's first when this file is in a checkout of the repository.
'use strict';

const childProcess = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

// ---------------------------------------------------------------- generated code

function generatedDir() {
  const candidates = [];
  if (process.env.GALE_JS_GEN) candidates.push(process.env.GALE_JS_GEN);
  const own = path.join(__dirname, 'gen-nodejs');
  const build = path.join(process.env.GALE_BUILD_DIR || path.join(__dirname, '..', '..', 'build'),
    'clients', 'js', 'gen-nodejs');
  // In a checkout of the repository the build tree's copy, which the build
  // regenerates whenever gale.thrift changes, comes before the package's own
  // (written by the last `npm ci` here); an installed copy has only its own.
  const inCheckout = fs.existsSync(path.join(__dirname, '..', '..', 'thrift', 'gale.thrift'));
  candidates.push(...(inCheckout ? [build, own] : [own, build]));
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, 'Nimbus.js'))) return dir;
  }
  throw new Error('gale-client: no generated Thrift code in ' + candidates.join(', ') +
    '; run `npm run prepare` in clients/js (needs the thrift compiler), build the ' +
    'repository (ninja -C build gale_client_js), or point GALE_JS_GEN at the folder ' +
    'holding Nimbus.js');
}

function loadGenerated() {
  const dir = generatedDir();
  const resolve = (name) => {
    try {
      return require.resolve(name, { paths: [dir, __dirname] });
    } catch (e) {
      throw new Error(`gale-client: the generated code in ${dir} cannot find the npm package ` +
        `'${name}': install this package's dependencies (npm ci in clients/js), or set ` +
        'NODE_PATH to a node_modules holding it');
    }
  };
  return {
    dir,
    thrift: require(resolve('thrift')),
    Int64: require(resolve('node-int64')),
    Nimbus: require(path.join(dir, 'Nimbus.js')),
    types: require(path.join(dir, 'gale_types.js')),
  };
}

const generated = loadGenerated();
const { thrift, Int64, types } = generated;

// ---------------------------------------------------------------- errors

class GaleError extends Error {
  constructor(message, thriftError) {
    super(message);
    this.name = new.target.name;
    if (thriftError !== undefined) this.thrift = thriftError;
  }
}
class NotFound extends GaleError {}
class PluginNotFound extends NotFound {}
class AlreadyAlive extends GaleError {}
class InvalidTopology extends GaleError {}
class UploadError extends GaleError {}
class IllegalState extends GaleError {}
class Unauthorized extends GaleError {}
class ServerError extends GaleError {}
class Unavailable extends GaleError {}
class Timeout extends Unavailable {}

const DECLARED = [
  [types.PluginNotFoundException, PluginNotFound],
  [types.NotAliveException, NotFound],
  [types.AlreadyAliveException, AlreadyAlive],
  [types.InvalidTopologyException, InvalidTopology],
  [types.UploadException, UploadError],
  [types.IllegalStateException, IllegalState],
  [types.AuthorizationException, Unauthorized],
];

// The GaleError for a generated exception (null when it is none of them).
function fromThrift(err) {
  for (const [T, E] of DECLARED) {
    if (err instanceof T) return new E(err.msg, err);
  }
  return null;
}

function isDeclared(err) {
  return err instanceof GaleError && !(err instanceof ServerError) && !(err instanceof Unavailable);
}

// ---------------------------------------------------------------- values

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function isInt64(v) {
  return v !== null && typeof v === 'object' && Buffer.isBuffer(v.buffer) &&
    typeof v.toNumber === 'function';
}

// An i64 as a number, or a BigInt beyond 2^53.
function i64Value(v) {
  const big = v.buffer.readBigInt64BE(v.offset || 0);
  return big > MAX_SAFE || big < -MAX_SAFE ? big : Number(big);
}

// Generated structs as plain objects: i64 as numbers (BigInt beyond 2^53),
// unset optional fields left out.
function plain(v) {
  if (v === null || v === undefined) return undefined;
  if (isInt64(v)) return i64Value(v);
  if (Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      const p = plain(x);
      if (p !== undefined) out[k] = p;
    }
    return out;
  }
  return v;
}

// A number or BigInt for an i64 field.
function toI64(v) {
  if (typeof v === 'bigint') {
    return new Int64(BigInt.asUintN(64, v).toString(16).padStart(16, '0'));
  }
  return v;
}

function configValue(v, where) {
  if (v === null || v === undefined) return new types.ConfigValue({});
  if (typeof v === 'boolean') return new types.ConfigValue({ bool_value: v });
  if (typeof v === 'bigint') return new types.ConfigValue({ int_value: toI64(v) });
  if (typeof v === 'number') {
    return Number.isInteger(v) ? new types.ConfigValue({ int_value: v })
      : new types.ConfigValue({ double_value: v });
  }
  if (typeof v === 'string') return new types.ConfigValue({ string_value: v });
  throw new TypeError(`${where}: config values are boolean, number, bigint, string or null, ` +
    `not ${typeof v} (${JSON.stringify(v)})`);
}

function configMap(config, where) {
  const out = {};
  for (const [k, v] of Object.entries(config || {})) out[k] = configValue(v, `${where} '${k}'`);
  return out;
}

function statusName(status) {
  for (const [name, value] of Object.entries(types.TopologyStatus)) {
    if (value === status) return name;
  }
  return String(status);
}

// Kept for programs written against the generated structs: an i64 (Int64
// object) or a number as a number.
function num(v) {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  return i64Value(v);
}

// ---------------------------------------------------------------- topologies

// A topology in the shape of a Flux YAML file, as a Thrift Topology.
// `shas` maps each plugin file to its SHA-256.
function buildTopology(t, shas) {
  if (!t || typeof t.name !== 'string') throw new TypeError('a topology needs a name');
  const components = [];
  const add = (list, kind, noun) => {
    for (const c of list || []) {
      if (!c || typeof c.id !== 'string' || typeof c.className !== 'string') {
        throw new TypeError(`${noun} ${JSON.stringify(c)} needs an id and a className`);
      }
      const outputs = [];
      for (const [id, decl] of Object.entries(c.outputs || {})) {
        const fields = Array.isArray(decl) ? decl : (decl && decl.fields) || [];
        if (!Array.isArray(fields)) {
          throw new TypeError(`${noun} '${c.id}' stream '${id}': fields must be an array`);
        }
        outputs.push(new types.StreamDecl({
          id, fields: fields.map(String), direct: !Array.isArray(decl) && !!(decl && decl.direct),
        }));
      }
      components.push(new types.Component({
        id: c.id, kind, class_name: c.className, parallelism: c.parallelism ?? 1,
        num_tasks: c.numTasks ?? 0, config: configMap(c.config, `${noun} '${c.id}' config`), outputs,
      }));
    }
  };
  add(t.spouts, types.ComponentKind.SPOUT, 'spout');
  add(t.bolts, types.ComponentKind.BOLT, 'bolt');
  const streams = (t.streams || []).map((s) => {
    const g = s.grouping || { type: 'SHUFFLE' };
    const type = typeof g.type === 'number' ? g.type : types.GroupingType[String(g.type).toUpperCase()];
    if (type === undefined) {
      throw new TypeError(`stream ${s.from} -> ${s.to}: unknown grouping type '${g.type}' (one of ` +
        `${Object.keys(types.GroupingType).join(', ')})`);
    }
    return new types.Subscription({
      from_component: s.from, to_component: s.to, stream: s.stream ?? g.streamId ?? 'default',
      grouping: new types.Grouping({ type, fields: (g.fields ?? g.args ?? []).map(String) }),
    });
  });
  const plugins = (t.plugins || []).map((p) => (typeof p === 'string'
    ? new types.PluginRef({ name: path.basename(p), sha256: shas.get(p) })
    : new types.PluginRef({ name: p.name, sha256: p.sha256 })));
  return new types.Topology({
    name: t.name, components, streams, config: configMap(t.config, 'topology config'), plugins,
  });
}

const CHUNK_SIZE = 1 << 20;  // plugin upload chunks, as `gale submit` (nimbus takes 4 MiB)
const SUBMIT_TIMEOUT_MS = 60000;  // submits wait for nimbus to ask the plugins
const MAX_YAML_ROUNDS = 64;
// How `gale submit` packs a resources/ folder (core/multilang/resources.cc):
// the same bytes for the same folder, so the same hash.
const RESOURCES_TAR_FLAGS = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0',
  '--numeric-owner', '--dereference', '--exclude=__pycache__', '--exclude=*.pyc'];

function sha256File(file) {
  return new Promise((resolve, reject) => {
    const h = crypto.createHash('sha256');
    fs.createReadStream(file).on('error', reject).on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')));
  });
}

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch (e) {
    return false;
  }
}

// ---------------------------------------------------------------- the connection

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
      for (const p of [...this.pending]) {
        p.reject(new Unavailable(`${p.method} to nimbus at ${address}: ${why}`));
      }
      this.pending.clear();
    };
    connection.on('error', (err) => failAll(err.message || String(err)));
    connection.on('close', () => failAll('connection closed'));
  }

  // Calls a generated client method, bounded by timeoutMs (or `timeoutMs`
  // given, when longer); results made plain.
  call(method, args = [], timeoutMs = this.timeoutMs) {
    if (this.closed) {
      return Promise.reject(new Unavailable(`nimbus connection to ${this.address} is closed`));
    }
    const limit = Math.max(timeoutMs, this.timeoutMs);
    return new Promise((resolve, reject) => {
      const entry = { method, reject: null };
      const timer = setTimeout(() => {
        this.pending.delete(entry);
        this.close();
        reject(new Timeout(`nimbus at ${this.address} did not answer ${method} within ${limit} ms`));
      }, limit);
      entry.reject = (err) => { clearTimeout(timer); reject(err); };
      this.pending.add(entry);
      const callback = (err, result) => {
        clearTimeout(timer);
        if (!this.pending.delete(entry)) return;  // timed out or failed already
        if (!err) {
          resolve(plain(result));
          return;
        }
        const declared = fromThrift(err);
        if (declared) {
          reject(declared);
        } else if (err instanceof thrift.TApplicationException) {
          this.close();
          reject(new ServerError(`nimbus at ${this.address} failed in ${method}: ${err.message}`, err));
        } else {
          this.close();
          reject(new Unavailable(`${method} to nimbus at ${this.address}: ${err.message || err}`, err));
        }
      };
      try {
        this.client[method](...args, callback);
      } catch (err) {  // the request could not be written (a value out of range, ...)
        clearTimeout(timer);
        this.pending.delete(entry);
        reject(err instanceof TypeError || err instanceof RangeError ? err
          : new InvalidTopology(`${method}: ${err.message || err}`, err));
      }
    });
  }

  list() { return this.call('getClusterInfo'); }
  info(name) { return this.call('getTopologyInfo', [name]); }
  activate(name) { return this.call('activate', [name]); }
  deactivate(name) { return this.call('deactivate', [name]); }

  kill(name, waitSecs) {
    const opts = typeof waitSecs === 'object' && waitSecs !== null ? waitSecs.waitSecs : waitSecs;
    return this.call('killTopology', [name, new types.KillOptions({ wait_secs: opts })]);
  }

  rebalance(name, { workers, executors, waitSecs } = {}) {
    return this.call('rebalance', [name, new types.RebalanceOptions({
      wait_secs: waitSecs, num_workers: workers, num_executors: executors || null,
    })]);
  }

  hasPlugin(sha256) { return this.call('hasPlugin', [sha256]); }

  // Uploads a plugin file (SHA-256, then 1 MiB chunks) unless nimbus has it;
  // resolves to its SHA-256.
  async uploadPlugin(file, sha256) {
    const sha = sha256 || await sha256File(file);
    const size = fs.statSync(file).size;
    const id = await this.call('beginPluginUpload', [sha, size]);
    if (id === '') return sha;  // stored already
    const fd = await fs.promises.open(file, 'r');
    try {
      const buf = Buffer.alloc(CHUNK_SIZE);
      for (;;) {
        const { bytesRead } = await fd.read(buf, 0, CHUNK_SIZE, null);
        if (bytesRead === 0) break;
        await this.call('uploadPluginChunk', [id, Buffer.from(buf.subarray(0, bytesRead))]);
      }
    } finally {
      await fd.close();
    }
    await this.call('finishPluginUpload', [id]);
    return sha;
  }

  // Submits a topology in the shape of a Flux YAML file (see index.d.ts),
  // uploading its plugin files first. Resolves to the name.
  async submit(topology, { inactive = false } = {}) {
    const shas = new Map();
    for (const p of topology.plugins || []) {
      if (typeof p === 'string') shas.set(p, await this.uploadPlugin(p));
    }
    const t = buildTopology(topology, shas);
    await this.call('submitTopology', [t, submitOptions(inactive)], SUBMIT_TIMEOUT_MS);
    return t.name;
  }

  async yamlRequest(file, { filterFile, env, pluginPath } = {}) {
    env = env || process.env;
    if (pluginPath === undefined) {
      pluginPath = (process.env.GALE_PLUGIN_PATH || '').split(':').filter((d) => d);
    }
    const request = new types.YamlTopologyRequest({
      file: path.resolve(file), sources: [], env: {}, env_unset: [],
      plugin_search_path: pluginPath.map((d) => path.resolve(d)), unreadable: [],
    });
    if (filterFile) request.filter_file = path.resolve(filterFile);
    const asked = new Set();
    let plan = null;
    for (let round = 0; ; ++round) {
      if (round === MAX_YAML_ROUNDS) {
        throw new InvalidTopology(`${request.file}: includes nest deeper than ${MAX_YAML_ROUNDS} files`);
      }
      plan = await this.call('planYamlTopology', [request]);
      if (plan.missing_files.length === 0 && plan.missing_env.length === 0) break;
      for (const f of plan.missing_files) {
        if (asked.has(f)) throw new InvalidTopology(`nimbus asks again for '${f}'`);
        asked.add(f);
        let text = null;
        try {
          text = fs.readFileSync(f, 'utf8');
        } catch (e) {
          request.unreadable.push(f);  // nimbus reports the loader's error
        }
        if (text !== null) request.sources.push(new types.YamlSource({ path: f, text }));
      }
      for (const name of plan.missing_env) {
        if (Object.prototype.hasOwnProperty.call(env, name) && env[name] !== undefined) {
          request.env[name] = String(env[name]);
        } else {
          request.env_unset.push(name);
        }
      }
    }
    request.plugins = [];
    for (const need of plan.plugins) {
      const chosen = need.candidates.find(isFile) || '';
      request.plugins.push(new types.PluginRef({
        name: chosen, sha256: chosen ? await sha256File(chosen) : '',
      }));
    }
    return request;
  }

  // Loads a YAML file through nimbus and checks its structure; resolves to
  // the plan (name, plugins, warnings).
  async validateYaml(file, options = {}) {
    const request = await this.yamlRequest(file, options);
    return this.call('planYamlTopology', [request]);
  }

  // What `gale submit FILE` does: load and validate the file (Gale's loader,
  // in nimbus), upload its plugins, submit. Resolves to the name.
  async submitYaml(file, options = {}) {
    const request = await this.yamlRequest(file, options);
    const plan = await this.call('planYamlTopology', [request]);
    for (const w of plan.warnings) (options.onWarning || ((m) => process.emitWarning(m)))(w);
    for (const ref of request.plugins) await this.uploadPlugin(ref.name, ref.sha256);
    if (plan.shell_components) {
      const sha = await this.uploadResources(request.file);
      if (sha !== null) request.resources_sha256 = sha;
    }
    return this.call('submitYamlTopology', [request, submitOptions(options.inactive)],
      SUBMIT_TIMEOUT_MS);
  }

  // Shell components' code, as `gale submit` sends it: the resources/ folder
  // next to the topology file packed into one tar archive (GNU tar with
  // gale's flags, so the same folder always has the same SHA-256) and
  // uploaded like a plugin. Resolves to its hash; null without the folder.
  async uploadResources(topologyFile) {
    const folder = path.join(path.dirname(topologyFile), 'resources');
    try {
      if (!fs.statSync(folder).isDirectory()) return null;
    } catch (e) {
      return null;
    }
    const tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'gale-resources-'));
    try {
      const archive = path.join(tmp, 'resources.tar');
      await new Promise((resolve, reject) => {
        childProcess.execFile('tar', [...RESOURCES_TAR_FLAGS, '-C', folder, '-cf', archive, '.'],
          (err, stdout, stderr) => {
            if (!err) {
              resolve();
            } else {
              const why = err.code === 'ENOENT' ? `cannot run tar: ${err.message}`
                : `tar failed: ${String(stderr).trim() || err.message}`;
              reject(new InvalidTopology(`packing resources folder '${folder}': ${why}`));
            }
          });
      });
      return await this.uploadPlugin(archive);
    } finally {
      await fs.promises.rm(tmp, { recursive: true, force: true });
    }
  }

  close() {
    this.closed = true;
    this.connection.destroy();
  }
}

function submitOptions(inactive) {
  return new types.SubmitOptions({
    initial_status: inactive ? types.TopologyStatus.INACTIVE : types.TopologyStatus.ACTIVE,
  });
}

// Connects with the framed transport and the binary protocol (nimbus reads
// nothing else). timeoutMs bounds connecting and every call (submits get at
// least 60 s). TLS (caFile: nimbus's CA; certFile and keyFile: a client
// certificate, for mutual TLS) and token authentication (user, token:
// authenticate() is the connection's first call) are for a nimbus that
// requires them (clients/README.md, "TLS and token authentication").
function connect(host = '127.0.0.1', port = 6627, options = {}) {
  const { timeoutMs = 10000, caFile, certFile, keyFile, user, token } = options;
  const address = `${host}:${port}`;
  const tls = caFile || certFile || keyFile;
  return new Promise((resolve, reject) => {
    const connOptions = {
      transport: thrift.TFramedTransport,
      protocol: thrift.TBinaryProtocol,
      connect_timeout: timeoutMs,
    };
    if (tls) {
      connOptions.ca = caFile ? [fs.readFileSync(caFile)] : undefined;
      connOptions.cert = certFile ? fs.readFileSync(certFile) : undefined;
      connOptions.key = keyFile ? fs.readFileSync(keyFile) : undefined;
    }
    const connection = tls ? thrift.createSSLConnection(host, port, connOptions)
      : thrift.createConnection(host, port, connOptions);
    let done = false;
    const fail = (why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      connection.destroy();
      reject(new Unavailable(`cannot connect to nimbus at ${address}: ${why}`));
    };
    const timer = setTimeout(() => fail(`no connection within ${timeoutMs} ms`), timeoutMs);
    connection.on('error', (err) => fail(err.message || String(err)));
    connection.on('close', () => fail('connection closed'));
    connection.on('connect', () => {  // after the TLS handshake too
      if (done) return;
      done = true;
      clearTimeout(timer);
      connection.removeAllListeners('error');
      connection.removeAllListeners('close');
      const nimbus = new NimbusConnection(connection,
        thrift.createClient(generated.Nimbus, connection), address, timeoutMs);
      if (token === undefined) {
        resolve(nimbus);
        return;
      }
      authenticate(nimbus, user || '', token).then(() => resolve(nimbus), (err) => {
        nimbus.close();
        reject(err);
      });
    });
  });
}

// `authenticate(user, token)`, the first call on a TLS connection to a nimbus
// in token mode. A wrong user or token rejects with Unauthorized (the caller
// closes the connection).
function authenticate(nimbus, user, token) {
  return nimbus.call('authenticate', [user, token]);
}

module.exports = {
  connect,
  NimbusConnection,
  buildTopology,
  sha256File,
  statusName,
  isDeclared,
  num,
  generatedDir,
  types,
  thrift,
  GaleError,
  NotFound,
  PluginNotFound,
  AlreadyAlive,
  InvalidTopology,
  UploadError,
  IllegalState,
  Unauthorized,
  ServerError,
  Unavailable,
  Timeout,
  CHUNK_SIZE,
};
