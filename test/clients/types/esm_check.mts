// Type-checked (tsc --noEmit --strict, module node16) against the installed
// gale-client package by test/integration/clients_test.cc: the ES module entry.
import gale, {
  connect, NotFound, GaleError, Timeout, type TopologyInfo, type TopologyDef, type YamlTopologyPlan,
} from 'gale-client';

export async function main(): Promise<void> {
  const nimbus = await connect('127.0.0.1', 6627, { timeoutMs: 5000 });
  const info: TopologyInfo = await nimbus.info('x');
  const emitted: number | bigint | undefined = info.executors[0].stats?.emitted;
  const t: TopologyDef = {
    name: 'a', plugins: ['x.so', { name: 'y.so', sha256: 'f'.repeat(64) }],
    config: { 'topology.workers': 2, big: 1n, flag: true, none: null },
    spouts: [{ id: 's', className: 'S', outputs: { default: ['w'], d: { fields: ['x'], direct: true } } }],
    bolts: [{ id: 'b', className: 'B', parallelism: 2, numTasks: 4 }],
    streams: [{ from: 's', to: 'b', grouping: { type: 'FIELDS', fields: ['w'] } }],
  };
  const name: string = await nimbus.submit(t, { inactive: true });
  await nimbus.rebalance(name, { workers: 2, executors: { s: 1 }, waitSecs: 0 });
  const plan: YamlTopologyPlan = await nimbus.validateYaml('t.yaml', { env: { A: 'b' } });
  await nimbus.submitYaml('t.yaml', { filterFile: 'p', pluginPath: [], onWarning: (w) => console.log(w) });
  try {
    await nimbus.kill(name, 0);
  } catch (e) {
    if (e instanceof NotFound) console.log(e.message, e.thrift?.msg);
    if (e instanceof Timeout) console.log('timeout');
  }
  const sha: string = await nimbus.uploadPlugin('x.so');
  console.log(gale.statusName(info.status), emitted, plan.plugins[0].candidates, sha,
    new GaleError('x') instanceof Error);
  nimbus.close();
}
