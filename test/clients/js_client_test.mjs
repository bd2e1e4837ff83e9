// Tests of the gale-client npm package (clients/js) against a real nimbus.
//
//   node js_client_test.mjs --nimbus HOST:PORT --plugin libwordcount.so --tmp DIR --repo REPO
//
// test/integration/clients_test.cc packs the package (npm pack, whose
// prepare script generates its Thrift code), installs the tarball into a
// fresh project, copies this file there and runs it: 'gale-client' must be
// the installed package, with nothing from the build tree. Every call is
// bounded by the client's timeout and every wait by a deadline.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import { test } from 'node:test';

import gale, {
  connect, GaleError, NotFound, AlreadyAlive, InvalidTopology, Timeout, Unavailable, statusName,
} from 'gale-client';

const require = createRequire(import.meta.url);

function parseArgs() {
  const args = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i + 1 < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const k of ['nimbus', 'plugin', 'tmp', 'repo']) {
    if (!args[k]) throw new Error(`--${k} is required`);
  }
  const m = /^(.+):(\d+)$/.exec(args.nimbus);
  args.host = m[1];
  args.port = Number(m[2]);
  return args;
}
const ARGS = parseArgs();

async function waitFor(predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return predicate();
}

async function withNimbus(fn) {
  const nimbus = await connect(ARGS.host, ARGS.port, { timeoutMs: 10000 });
  try {
    await fn(nimbus);
  } finally {
    nimbus.close();
  }
}

function wordcount(name, plugin) {
  return {
    name,
    plugins: [plugin],
    config: { 'topology.workers': 1, 'topology.message.timeout.secs': 30 },
    spouts: [{
      id: 'sentences', className: 'SentenceSpout', outputs: { default: ['sentence'] },
      config: { 'sentences.loop': true, 'sentences.per.second': 50 },
    }],
    bolts: [
      { id: 'split', className: 'SplitSentence', parallelism: 2, outputs: { default: ['word'] } },
      { id: 'count', className: 'WordCount', outputs: { default: ['word', 'count'] } },
    ],
    streams: [
      { from: 'sentences', to: 'split' },
      { from: 'split', to: 'count', grouping: { type: 'FIELDS', fields: ['word'] } },
    ],
  };
}

test('the installed package: license, types, both entry points, its own generated code', () => {
  const pkg = require('gale-client/package.json');
  assert.equal(pkg.license, 'Apache-2.0');
  const dir = path.dirname(require.resolve('gale-client/package.json'));
  assert.ok(dir.includes(`${path.sep}node_modules${path.sep}gale-client`), dir);
  for (const f of ['index.d.ts', 'index.d.mts', 'index.mjs', 'index.js']) {
    assert.ok(fs.existsSync(path.join(dir, f)), f);
  }
  assert.equal(gale.generatedDir(), path.join(dir, 'gen-nodejs'));
  const cjs = require('gale-client');
  assert.equal(cjs.connect, connect);
  assert.equal(cjs.NotFound, NotFound);
  assert.ok(new NotFound('x') instanceof GaleError);
  assert.ok(new Timeout('x') instanceof Unavailable);
  // An i64 beyond 2^53 is a BigInt, below it a number.
  const Int64 = require('node-int64');
  assert.equal(gale.num(new Int64('0020000000000001')), 9007199254740993n);
  assert.equal(gale.num(new Int64(12345)), 12345);
});

test('declared exceptions reject with their GaleError and nimbus\'s message', async () => {
  await withNimbus(async (nimbus) => {
    for (const call of [() => nimbus.info('zzz'), () => nimbus.kill('zzz', 0),
      () => nimbus.activate('zzz'), () => nimbus.rebalance('zzz', { workers: 1 })]) {
      await assert.rejects(call(), (err) => {
        assert.ok(err instanceof NotFound, String(err));
        assert.ok(err instanceof GaleError);
        assert.equal(err.message, "no topology named 'zzz'");
        assert.equal(err.thrift.name, 'NotAliveException');
        return true;
      });
    }
    // The connection is still usable.
    const summary = await nimbus.list();
    assert.equal(typeof summary.slots_total, 'number');
  });
});

test('uploads plugins by SHA-256 in chunks', async () => {
  await withNimbus(async (nimbus) => {
    const blob = path.join(ARGS.tmp, 'blob.bin');
    fs.writeFileSync(blob, crypto.randomBytes(gale.CHUNK_SIZE * 2 + 77));
    const want = crypto.createHash('sha256').update(fs.readFileSync(blob)).digest('hex');
    assert.equal(await nimbus.hasPlugin(want), false);
    assert.equal(await nimbus.uploadPlugin(blob), want);
    assert.equal(await nimbus.hasPlugin(want), true);
    assert.equal(await nimbus.uploadPlugin(blob), want);  // stored: nothing sent
    await assert.rejects(nimbus.uploadPlugin(blob, 'a'.repeat(64)), (err) => {
      assert.equal(err.name, 'UploadError');
      assert.match(err.message, /^uploaded file has SHA-256 [0-9a-f]{64}, not a{64}$/);
      return true;
    });
  });
});

test('submits with plugin upload, counts as numbers, rebalances and kills', async () => {
  await withNimbus(async (nimbus) => {
    assert.equal(await nimbus.submit(wordcount('jswc', ARGS.plugin)), 'jswc');
    await assert.rejects(nimbus.submit(wordcount('jswc', ARGS.plugin)), (err) => {
      assert.ok(err instanceof AlreadyAlive);
      assert.equal(err.message,
        "topology 'jswc' is already running; kill it first or choose another name");
      return true;
    });
    let info = null;
    assert.ok(await waitFor(async () => {
      info = await nimbus.info('jswc');
      const spout = info.executors.find((e) => e.component_id === 'sentences');
      return spout && spout.stats && spout.stats.emitted > 0;
    }, 60000), JSON.stringify(info));
    for (const e of info.executors) {
      if (!e.stats) continue;
      for (const k of ['emitted', 'transferred', 'acked', 'failed', 'executed']) {
        assert.equal(typeof e.stats[k], 'number', `${e.component_id} ${k}`);
      }
    }
    assert.equal(statusName(info.status), 'ACTIVE');
    assert.equal(info.executors.filter((e) => e.component_id === 'split').length, 2);

    await assert.rejects(nimbus.rebalance('jswc', { executors: { split: 5 } }), (err) => {
      assert.ok(err instanceof InvalidTopology);
      assert.equal(err.message,
        "rebalance: component 'split' has 2 task(s), so it can run 1 to 2 executors, not 5");
      return true;
    });
    await nimbus.rebalance('jswc', { executors: { split: 1 }, waitSecs: 0 });
    assert.ok(await waitFor(async () => {
      info = await nimbus.info('jswc');
      return statusName(info.status) === 'ACTIVE' &&
        info.executors.filter((e) => e.component_id === 'split').length === 1;
    }, 30000), JSON.stringify(info));

    await nimbus.kill('jswc', 0);
    assert.ok(await waitFor(async () => !(await nimbus.list()).topologies.some(
      (t) => t.name === 'jswc'), 30000));
  });
});

test('submitYaml does what gale submit does: includes, filter, plugin path', async () => {
  await withNimbus(async (nimbus) => {
    const props = path.join(ARGS.tmp, 'wc.properties');
    fs.writeFileSync(props, `report.file=${path.join(ARGS.tmp, 'report.txt')}\n` +
      'sentences.per.second=20\n');
    const yaml = path.join(ARGS.repo, 'topologies', 'wordcount', 'wordcount-cluster.yaml');
    const lib = path.dirname(path.resolve(ARGS.plugin));
    await assert.rejects(nimbus.submitYaml(yaml, { pluginPath: [lib] }), (err) => {
      assert.ok(err instanceof InvalidTopology);
      assert.equal(err.message.split('\n')[0],
        `${yaml}:16:29: undefined property '\${sentences.per.second}' (no --filter file given)`);
      return true;
    });
    const name = await nimbus.submitYaml(yaml, { filterFile: props, pluginPath: [lib],
      inactive: true });
    assert.equal(name, 'wordcount');
    let info = await nimbus.info('wordcount');
    assert.equal(statusName(info.status), 'INACTIVE');
    // Assigned once slots are free.
    const want = JSON.stringify(['__acker', 'count', 'report', 'sentences', 'split']);
    assert.ok(await waitFor(async () => {
      info = await nimbus.info('wordcount');
      return JSON.stringify([...new Set(info.executors.map((e) => e.component_id))].sort()) === want;
    }, 20000), JSON.stringify(info));
    await nimbus.kill('wordcount', 0);
  });
});

test('a silent server times out instead of hanging', async () => {
  const sockets = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const nimbus = await connect('127.0.0.1', server.address().port, { timeoutMs: 500 });
    const start = Date.now();
    await assert.rejects(nimbus.list(), (err) => {
      assert.ok(err instanceof Timeout, String(err));
      assert.match(err.message, /did not answer getClusterInfo within 500 ms/);
      return true;
    });
    assert.ok(Date.now() - start < 5000);
    await assert.rejects(nimbus.list(), Unavailable);  // closed now
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
  // Nothing listening: refused.
  await assert.rejects(connect('127.0.0.1', 1, { timeoutMs: 2000 }),
    (err) => err instanceof Unavailable && /cannot connect to nimbus at 127\.0\.0\.1:1/.test(err.message));
});

// A stand-in for a nimbus that speaks TLS: terminates TLS with the test
// certificate (test/clients/tls) and forwards the bytes to nimbus.
async function withTlsProxy(fn) {
  const tlsDir = path.join(ARGS.repo, 'test', 'clients', 'tls');
  const sockets = [];
  const server = tls.createServer({
    cert: fs.readFileSync(path.join(tlsDir, 'cert.pem')),
    key: fs.readFileSync(path.join(tlsDir, 'key.pem')),
  }, (client) => {
    const upstream = net.connect(ARGS.port, ARGS.host);
    sockets.push(client, upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  server.on('tlsClientError', () => {});
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(server.address().port, tlsDir);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
}

test('TLS: a server signed by caFile is used, another is refused', async () => {
  await withTlsProxy(async (port, tlsDir) => {
    const nimbus = await connect('127.0.0.1', port,
      { timeoutMs: 10000, caFile: path.join(tlsDir, 'cert.pem') });
    try {
      assert.equal(typeof (await nimbus.list()).slots_total, 'number');
      await assert.rejects(nimbus.info('zzz'), (err) => err instanceof NotFound &&
        err.message === "no topology named 'zzz'");
    } finally {
      nimbus.close();
    }
    await assert.rejects(connect('127.0.0.1', port,
      { timeoutMs: 5000, caFile: path.join(tlsDir, 'other.pem') }), Unavailable);
  });
});
