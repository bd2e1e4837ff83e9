"""A reliable spout on the protocol: emits the words of conf `words.text`
(space-separated), each with its index as id, once; replays a failed one;
writes every acked id to `words.acked` (a file). With `words.crash.marker`
(a file that does not exist yet), its first run exits with code 3 at the
first "next", before emitting anything."""
import os
import sys

import proto

conf, context = proto.handshake()
marker = conf.get("words.crash.marker")
if marker and not os.path.exists(marker):
    open(marker, "w").close()
    proto.read()
    print("words_spout: crashing on purpose", file=sys.stderr, flush=True)
    sys.exit(3)
words = conf["words.text"].split()
acked_file = conf["words.acked"]
todo = list(range(len(words)))
while True:
    m = proto.read()
    cmd = m.get("command")
    out = []
    if cmd == "next" and todo:
        i = todo.pop(0)
        out.append({"command": "emit", "id": i, "tuple": [words[i]], "need_task_ids": False})
    elif cmd == "ack":
        with open(acked_file, "a") as f:
            f.write("%d\n" % m["id"])
    elif cmd == "fail":
        todo.append(m["id"])
    out.append({"command": "sync"})
    proto.send(*out)
