// Type-checked against the installed gale-client package by
// test/integration/clients_test.cc: the CommonJS entry.
import gale = require('gale-client');

export async function main(): Promise<void> {
  const nimbus = await gale.connect();
  const summary = await nimbus.list();
  const free: number = summary.slots_free;
  const names: string[] = summary.topologies.map((t) => t.name);
  if (gale.isDeclared(new Error())) console.log(free, names);
  const n: number | bigint = gale.num(3);
  console.log(n, gale.CHUNK_SIZE);
  nimbus.close();
}
