"""Direct emits (bare protocol): each word to the task of component `count`
picked by the word's bytes, found in the handshake's task->component."""
import proto

conf, context = proto.handshake()
counts = sorted(int(t) for t, c in context["task->component"].items() if c == "count")
assert counts, context
while True:
    m = proto.read()
    if proto.is_heartbeat(m):
        proto.send({"command": "sync"})
        continue
    out = [{"command": "emit", "anchors": [m["id"]], "task": counts[sum(w.encode()) % len(counts)],
            "tuple": [w]} for w in m["tuple"][0].split()]
    out.append({"command": "ack", "id": m["id"]})
    proto.send(*out)
