// gale-client (Node.js) against a nimbus that requires authentication (run by
// test/integration/clients_test.cc, which starts the cluster with keys from
// `gale auth init`).
//
//   node auth_client_test.mjs --client DIR --nimbus HOST:PORT --keys DIR
//        --mode token|tls --yaml FILE --plugin-path DIR
//
// The same checks as auth_client_test.py: alice (submitter) submits FILE with
// submitYaml (its resources/ folder packed and uploaded) and prints
// "submitted NAME" and "resources SHA"; bob (reader) may read, not kill; a
// wrong token, a connection that never authenticates (tls: one without a
// certificate) and a nimbus certificate of another CA are refused with
// nimbus's message. The topology keeps running (the caller checks its output
// and kills it). Exits 1 at the first failed check.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`--${name} is required`);
  return process.argv[i + 1];
}
const A = {
  client: arg('client'), nimbus: arg('nimbus'), keys: arg('keys'), mode: arg('mode'),
  yaml: arg('yaml'), pluginPath: arg('plugin-path'),
};
const gale = (await import(pathToFileURL(path.join(A.client, 'index.mjs')).href)).default;
const [host, port] = [A.nimbus.slice(0, A.nimbus.lastIndexOf(':')),
  Number(A.nimbus.slice(A.nimbus.lastIndexOf(':') + 1))];
const ca = path.join(A.keys, 'ca.pem');

function fail(what) {
  console.error(`FAILED: ${what}`);
  process.exit(1);
}
function check(cond, what) {
  if (!cond) fail(what);
}
// The promise must reject with `Kind` whose message contains `contains`.
async function rejects(Kind, promise, contains) {
  try {
    await promise;
  } catch (err) {
    check(err instanceof Kind, `expected ${Kind.name}, got ${err && err.name}: ${err && err.message}`);
    check(err.message.includes(contains), `${Kind.name}: '${err.message}' lacks '${contains}'`);
    return err;
  }
  return fail(`expected ${Kind.name} containing '${contains}', got no error`);
}
function yamlValue(file, key) {
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const at = line.indexOf(':');
    if (at > 0 && line.slice(0, at).trim() === key) return line.slice(at + 1).trim();
  }
  return fail(`${file} has no ${key}`);
}
function login(user, extra = {}) {
  const options = A.mode === 'tls'
    ? { caFile: ca, certFile: path.join(A.keys, `${user}.pem`), keyFile: path.join(A.keys, `${user}.key`) }
    : { caFile: ca, user, token: yamlValue(path.join(A.keys, `${user}.yaml`), 'gale.auth.token') };
  return gale.connect(host, port, { timeoutMs: 30000, ...options, ...extra });
}

let nimbus = await login('alice');
await nimbus.list();
const name = await nimbus.submitYaml(A.yaml, { pluginPath: [A.pluginPath] });
console.log(`submitted ${name}`);
console.log(`resources ${await nimbus.uploadResources(path.resolve(A.yaml))}`);
check((await nimbus.info(name)).owner === 'alice', 'the owner is alice');
nimbus.close();

nimbus = await login('bob');
check((await nimbus.list()).topologies.some((t) => t.name === name), `bob lists ${name}`);
const err = await rejects(gale.Unauthorized, nimbus.kill(name, 0),
  `user 'bob' (role reader) may not kill topology '${name}'`);
check(err.thrift instanceof gale.types.AuthorizationException, 'err.thrift is generated');
check(err.name === 'Unauthorized' && gale.isDeclared(err), 'a declared error');
await nimbus.info(name);  // still usable after a refusal
nimbus.close();

if (A.mode === 'token') {
  await rejects(gale.Unauthorized, login('alice', { token: '0'.repeat(32) }),
    "authentication failed for user 'alice' (wrong user or token)");
  nimbus = await gale.connect(host, port, { timeoutMs: 30000, caFile: ca });  // TLS, no token
  await rejects(gale.Unauthorized, nimbus.list(),
    'not authenticated: nimbus runs with gale.auth.mode token');
  nimbus.close();
} else {
  // Mutual TLS: nimbus ends the handshake of a client without a certificate
  // (Node.js sees the alert at connect or at the first call; nimbus reads on
  // until the client has it).
  const attempt = (async () => {
    const n = await gale.connect(host, port, { timeoutMs: 30000, caFile: ca });
    try {
      await n.list();
    } finally {
      n.close();
    }
  })();
  await rejects(gale.Unavailable, attempt, 'alert');
}
// The client checks nimbus's certificate: another CA's is refused.
const other = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tls', 'other.pem');
await rejects(gale.Unavailable, gale.connect(host, port, { timeoutMs: 30000, caFile: other }),
  `cannot connect to nimbus at ${A.nimbus}`);

console.log('OK');
