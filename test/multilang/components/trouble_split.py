"""A splitter that misbehaves once, on the protocol, as `trouble.mode` says
(conf), then, restarted, works: the marker file `trouble.marker` remembers
that it already did.
  crash    writes to stderr and exits with code 3 on its first tuple
  hang     stops reading and answering (not even heartbeats)
  garbage  writes a message that is not JSON
  busy     sleeps `trouble.busy.secs` before each tuple, answering heartbeats
           only between tuples (never misbehaves; never restarted)
  failonce fails each sentence the first time it sees it (replayed)
Words are emitted before the ack, anchored; trouble comes before any emit."""
import os
import sys
import time

import proto

conf, context = proto.handshake()
mode = conf.get("trouble.mode", "")
marker = conf.get("trouble.marker", "")
first_run = bool(marker) and not os.path.exists(marker)
if first_run and mode in ("crash", "hang", "garbage"):
    open(marker, "w").close()
busy = float(conf.get("trouble.busy.secs", 0))
seen = set()
print("trouble_split task %d started (mode %s, first run %s)"
      % (context["taskid"], mode, first_run), file=sys.stderr, flush=True)
while True:
    m = proto.read()
    if proto.is_heartbeat(m):
        proto.send({"command": "sync"})
        continue
    if first_run and mode == "crash":
        print("trouble_split: about to die on %r" % (m["tuple"][0],), file=sys.stderr, flush=True)
        sys.exit(3)
    if first_run and mode == "hang":
        print("trouble_split: hanging on %r" % (m["tuple"][0],), file=sys.stderr, flush=True)
        while True:
            time.sleep(60)
    if first_run and mode == "garbage":
        sys.stdout.flush()
        proto._out.write(b"this is not json\nend\n")
        proto._out.flush()
        time.sleep(60)
    if busy:
        time.sleep(busy)
    sentence = m["tuple"][0]
    if mode == "failonce" and sentence not in seen:
        seen.add(sentence)
        proto.send({"command": "fail", "id": m["id"]})
        continue
    out = [{"command": "emit", "anchors": [m["id"]], "tuple": [w], "need_task_ids": False}
           for w in sentence.split()]
    out.append({"command": "ack", "id": m["id"]})
    proto.send(*out)
