#!/usr/bin/python3
"""gale_py: drives nimbus from Python through the gale_client package (clients/python).

    scripts/gale_py.py [--nimbus HOST:PORT] [--timeout SECS] COMMAND ...

    submit FILE.yaml [--filter PROPS] [--inactive] [--plugin-path DIR ...]
                                a YAML topology file, as `gale submit` (loaded by nimbus)
    submit-wordcount [--plugin build/lib/libwordcount.so] [--workers 2] [--name wordcount]
                     [--rate 100] [--once] [--report-file PATH] [--inactive]
                                word count, built in Python (not read from YAML)
    list                        topologies and supervisors
    info NAME                   a topology's components and executors
    kill NAME [--wait SECS]
    activate NAME | deactivate NAME
    rebalance NAME [--workers N] [--executors COMPONENT=N ...] [--wait SECS]

The nimbus address is --nimbus, else $GALE_NIMBUS, else 127.0.0.1:6627. It uses the
installed gale_client package when there is one (pip install clients/python), else the
one in this checkout with the build tree's generated code; either way the interpreter
needs the `thrift` library (Debian: python3-thrift). Exit codes: 0 ok, 1 an error from
nimbus (printed as `Type: message`) or nimbus unreachable, 2 bad arguments.
"""

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
try:
    import gale_client as gc  # installed
except ImportError:
    sys.path.insert(0, os.path.join(REPO, "clients", "python"))
    import gale_client as gc  # noqa: E402  this checkout


def wordcount(args):
    """sentences -> split (shuffle) -> count (fields on word) -> report (global)."""
    spout_config = {"sentences.loop": not args.once}
    if args.rate > 0:
        rate = int(args.rate) if args.rate == int(args.rate) else args.rate
        spout_config["sentences.per.second"] = rate
    report_config = {"topology.tick.tuple.freq.secs": 1}
    if args.report_file:
        report_config["report.file"] = os.path.abspath(args.report_file)
    return (gc.TopologyBuilder(args.name)
            .plugin(args.plugin)
            .config({"topology.workers": args.workers,
                     "topology.max.spout.pending": 1000,
                     "topology.message.timeout.secs": 30})
            .spout("sentences", "SentenceSpout", 1, outputs={"default": ["sentence"]},
                   config=spout_config)
            .bolt("split", "SplitSentence", 2, outputs={"default": ["word"]})
            .bolt("count", "WordCount", 2, outputs={"default": ["word", "count"]})
            .bolt("report", "ReportBolt", 1, config=report_config)
            .shuffle("sentences", "split")
            .fields("split", "count", ["word"])
            .global_("count", "report"))


def uptime(secs):
    out = ""
    if secs >= 3600:
        out += "%dh" % (secs // 3600)
    if secs >= 60:
        out += "%dm" % (secs % 3600 // 60)
    return out + "%ds" % (secs % 60)


def cmd_submit_wordcount(nimbus, args):
    if not os.path.isfile(args.plugin):
        print("gale_py: no plugin file '%s' (build it: ninja -C build wordcount)" % args.plugin,
              file=sys.stderr)
        return 2
    builder = wordcount(args)
    sha = nimbus.upload_plugin(args.plugin)
    print("uploaded %s (sha256 %s...)" % (args.plugin, sha[:12]))
    nimbus.submit(builder, inactive=args.inactive)
    print("submitted topology '%s' (%d components, %d workers)%s"
          % (args.name, len(builder.components), args.workers,
             " inactive" if args.inactive else ""))
    return 0


def cmd_submit(nimbus, args):
    name = nimbus.submit_yaml(args.file, filter_file=args.filter, inactive=args.inactive,
                              plugin_path=args.plugin_path,
                              on_warning=lambda w: print("warning: " + w, file=sys.stderr))
    print("submitted topology '%s'%s" % (name, " (inactive)" if args.inactive else ""))
    return 0


def cmd_list(nimbus, args):
    summary = nimbus.list()
    print("%-20s %-12s %6s %6s %8s %9s  %s"
          % ("topology", "status", "tasks", "execs", "workers", "uptime", "id"))
    for t in summary.topologies:
        print("%-20s %-12s %6d %6d %8d %9s  %s"
              % (t.name, gc.status_name(t.status), t.num_tasks, t.num_executors, t.num_workers,
                 uptime(t.uptime_secs), t.id))
    if not summary.topologies:
        print("(no topologies)")
    print("\n%d supervisor(s), %d slot(s): %d used, %d free"
          % (len(summary.supervisors), summary.slots_total, summary.slots_used,
             summary.slots_free))
    for s in summary.supervisors:
        print("  %s on %s: %d/%d slots used, up %s"
              % (s.id, s.host, s.num_used_slots, s.num_slots, uptime(s.uptime_secs)))
    return 0


def cmd_info(nimbus, args):
    info = nimbus.info(args.name)
    print("topology %s (%s): %s, up %s, %d worker(s), %d executor(s)\n"
          % (info.name, info.id, gc.status_name(info.status), uptime(info.uptime_secs),
             info.num_workers, len(info.executors)))
    rows = {}
    for e in info.executors:
        r = rows.setdefault(e.component_id, {"execs": 0, "tasks": 0, "stats": None})
        r["execs"] += 1
        r["tasks"] += e.task_end - e.task_start + 1
        if e.stats is None:
            continue
        s = r["stats"] = r["stats"] or dict.fromkeys(
            ("emitted", "transferred", "remote", "acked", "failed", "executed", "errors"), 0)
        s["emitted"] += e.stats.emitted
        s["transferred"] += e.stats.transferred
        s["remote"] += e.stats.transferred_remote or 0
        s["acked"] += e.stats.acked
        s["failed"] += e.stats.failed
        s["executed"] += e.stats.executed
        s["errors"] += e.stats.error_count or 0
    print("%-16s %5s %5s %10s %11s %10s %10s %8s %10s %7s"
          % ("component", "execs", "tasks", "emitted", "transferred", "remote", "acked",
             "failed", "executed", "errors"))
    for cid in sorted(rows):
        r = rows[cid]
        s = r["stats"]
        if s is None:
            print("%-16s %5d %5d %10s   (no heartbeat yet)" % (cid, r["execs"], r["tasks"], "-"))
            continue
        print("%-16s %5d %5d %10d %11d %10d %10d %8d %10d %7d"
              % (cid, r["execs"], r["tasks"], s["emitted"], s["transferred"], s["remote"],
                 s["acked"], s["failed"], s["executed"], s["errors"]))
    print("\nexecutors:")
    for e in info.executors:
        where = "%s:%d" % (e.host, e.port)
        line = "  %-16s %-9s %-21s %-12s" % (e.component_id, "[%d-%d]" % (e.task_start, e.task_end),
                                             where, e.supervisor_id)
        if e.stats is not None:
            line += " emitted %d, acked %d, up %s" % (e.stats.emitted, e.stats.acked,
                                                       uptime(e.uptime_secs))
        else:
            line += " (no heartbeat yet)"
        print(line)
    for component, errors in sorted((info.errors or {}).items()):
        print("\nlast errors of %s:" % component)
        for err in errors:
            print("  %d %s:%d: %s" % (err.error_time_secs, err.host, err.port, err.error))
    return 0


def cmd_kill(nimbus, args):
    nimbus.kill(args.name, wait=args.wait)
    print("killed topology '%s'" % args.name)
    return 0


def cmd_activate(nimbus, args):
    nimbus.activate(args.name)
    print("activated topology '%s'" % args.name)
    return 0


def cmd_deactivate(nimbus, args):
    nimbus.deactivate(args.name)
    print("deactivated topology '%s'" % args.name)
    return 0


def cmd_rebalance(nimbus, args):
    executors = {}
    for item in args.executors or []:
        component, sep, n = item.partition("=")
        if not sep or not n.isdigit():
            print("gale_py: --executors takes COMPONENT=N, not '%s'" % item, file=sys.stderr)
            return 2
        executors[component] = int(n)
    nimbus.rebalance(args.name, workers=args.workers, executors=executors, wait=args.wait)
    print("rebalancing topology '%s'" % args.name)
    return 0


def parse_args(argv):
    p = argparse.ArgumentParser(prog="gale_py.py", description="Drive Gale's nimbus from Python.")
    p.add_argument("--nimbus", default=os.environ.get("GALE_NIMBUS") or "127.0.0.1:6627",
                   help="HOST:PORT of nimbus (default $GALE_NIMBUS, else 127.0.0.1:6627)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds to wait for nimbus per call (default 10)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("submit-wordcount", help="build word count in Python and submit it")
    s.add_argument("--plugin", default=os.path.join(REPO, "build", "lib", "libwordcount.so"))
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--name", default="wordcount")
    s.add_argument("--rate", type=float, default=100,
                   help="sentences.per.second of the spout (0: as fast as it can)")
    s.add_argument("--once", action="store_true", help="read the text once (no sentences.loop)")
    s.add_argument("--report-file", help="where the report bolt writes the counts")
    s.add_argument("--inactive", action="store_true")
    s.set_defaults(run=cmd_submit_wordcount)

    s = sub.add_parser("submit", help="submit a YAML topology file, as `gale submit`")
    s.add_argument("file")
    s.add_argument("--filter", help="properties file for ${name}")
    s.add_argument("--inactive", action="store_true")
    s.add_argument("--plugin-path", nargs="+", metavar="DIR",
                   help="folders for plugins named without '/' (default $GALE_PLUGIN_PATH)")
    s.set_defaults(run=cmd_submit)

    sub.add_parser("list").set_defaults(run=cmd_list)
    for name, run in (("info", cmd_info), ("activate", cmd_activate),
                      ("deactivate", cmd_deactivate)):
        s = sub.add_parser(name)
        s.add_argument("name")
        s.set_defaults(run=run)
    s = sub.add_parser("kill")
    s.add_argument("name")
    s.add_argument("--wait", type=int, help="seconds before the workers stop")
    s.set_defaults(run=cmd_kill)
    s = sub.add_parser("rebalance")
    s.add_argument("name")
    s.add_argument("--workers", type=int)
    s.add_argument("--executors", nargs="+", metavar="COMPONENT=N")
    s.add_argument("--wait", type=int)
    s.set_defaults(run=cmd_rebalance)
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    host, sep, port = args.nimbus.rpartition(":")
    if not sep or not host or not port.isdigit():
        print("gale_py: --nimbus takes HOST:PORT, not '%s'" % args.nimbus, file=sys.stderr)
        return 2
    try:
        with gc.connect(host, int(port), timeout=args.timeout) as nimbus:
            return args.run(nimbus, args)
    except gc.Unavailable as e:
        print("gale_py: %s; is gale-nimbus running?" % e, file=sys.stderr)
        return 1
    except gc.GaleError as e:
        # Named as gale.thrift names it (NotAliveException, ...) when nimbus declared it.
        kind = type(e.thrift).__name__ if e.thrift is not None and hasattr(e.thrift, "msg") \
            else type(e).__name__
        print("gale_py: %s: %s" % (kind, e), file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. piped into head
        sys.stdout = None
        return 0
    except OSError as e:  # a plugin file that cannot be read
        print("gale_py: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
