#!/usr/bin/env node
// gale_info.js: lists the topologies nimbus holds and prints a topology's info
// (components with emitted/acked, executors with host:port).
//
//   node clients/js/gale_info.js [--nimbus HOST:PORT] [--timeout-ms N] [NAME]
//
// Without NAME it prints the info of every topology listed. The nimbus address
// is --nimbus, else $GALE_NIMBUS, else 127.0.0.1:6627. Exit codes: 0 ok, 1 a
// declared exception from nimbus (e.g. NotAliveException) or nimbus
// unreachable, 2 bad arguments.
'use strict';

const gale = require('./index.js');

function usage(why) {
  console.error(`gale_info: ${why}\nusage: node gale_info.js [--nimbus HOST:PORT] [--timeout-ms N] [NAME]`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { nimbus: process.env.GALE_NIMBUS || '127.0.0.1:6627', timeoutMs: 10000, name: null };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--nimbus' || a === '--timeout-ms') {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      if (a === '--nimbus') args.nimbus = argv[++i];
      else args.timeoutMs = Number(argv[++i]);
    } else if (a.startsWith('-')) {
      usage(`unknown option ${a}`);
    } else if (args.name === null) {
      args.name = a;
    } else {
      usage(`unexpected argument ${a}`);
    }
  }
  const m = /^(.+):(\d+)$/.exec(args.nimbus);
  if (!m) usage(`--nimbus takes HOST:PORT, not '${args.nimbus}'`);
  if (!(args.timeoutMs > 0)) usage('--timeout-ms takes a positive number');
  args.host = m[1];
  args.port = Number(m[2]);
  return args;
}

const pad = (s, n) => String(s).padEnd(n);
const rpad = (s, n) => String(s).padStart(n);

function printList(summary) {
  console.log(`${pad('topology', 20)} ${pad('status', 12)} ${rpad('execs', 6)} ${rpad('workers', 8)}  id`);
  for (const t of summary.topologies) {
    console.log(`${pad(t.name, 20)} ${pad(gale.statusName(t.status), 12)} ${rpad(t.num_executors, 6)} ` +
      `${rpad(t.num_workers, 8)}  ${t.id}`);
  }
  if (summary.topologies.length === 0) console.log('(no topologies)');
  console.log(`${summary.supervisors.length} supervisor(s), ${summary.slots_used}/${summary.slots_total} slot(s) used`);
}

function printInfo(info) {
  console.log(`\ntopology ${info.name} (${info.id}): ${gale.statusName(info.status)}, ` +
    `up ${info.uptime_secs}s, ${info.num_workers} worker(s), ${info.executors.length} executor(s)`);
  const rows = new Map();
  for (const e of info.executors) {
    const r = rows.get(e.component_id) || { execs: 0, emitted: 0, acked: 0, failed: 0, reported: false };
    r.execs += 1;
    if (e.stats) {
      r.reported = true;
      r.emitted += gale.num(e.stats.emitted);
      r.acked += gale.num(e.stats.acked);
      r.failed += gale.num(e.stats.failed);
    }
    rows.set(e.component_id, r);
  }
  console.log(`${pad('component', 16)} ${rpad('execs', 5)} ${rpad('emitted', 10)} ${rpad('acked', 10)} ${rpad('failed', 8)}`);
  for (const id of [...rows.keys()].sort()) {
    const r = rows.get(id);
    if (!r.reported) {
      console.log(`${pad(id, 16)} ${rpad(r.execs, 5)} ${rpad('-', 10)}   (no heartbeat yet)`);
    } else {
      console.log(`${pad(id, 16)} ${rpad(r.execs, 5)} ${rpad(r.emitted, 10)} ${rpad(r.acked, 10)} ${rpad(r.failed, 8)}`);
    }
  }
  console.log('executors:');
  for (const e of info.executors) {
    const stats = e.stats ? `emitted ${gale.num(e.stats.emitted)}, acked ${gale.num(e.stats.acked)}`
      : '(no heartbeat yet)';
    console.log(`  ${pad(e.component_id, 16)} ${pad(`[${e.task_start}-${e.task_end}]`, 9)} ` +
      `${pad(`${e.host}:${e.port}`, 21)} ${pad(e.supervisor_id, 12)} ${stats}`);
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const nimbus = await gale.connect(args.host, args.port, { timeoutMs: args.timeoutMs });
  try {
    const summary = await nimbus.list();
    printList(summary);
    const names = args.name !== null ? [args.name] : summary.topologies.map((t) => t.name);
    for (const name of names) printInfo(await nimbus.info(name));
  } finally {
    nimbus.close();
  }
}

main().catch((err) => {
  if (gale.isDeclared(err)) {  // named as gale.thrift names it (NotAliveException, ...)
    console.error(`gale_info: ${err.thrift.name}: ${err.message}`);
  } else {
    console.error(`gale_info: ${err.message || err}`);
  }
  process.exitCode = 1;
});
