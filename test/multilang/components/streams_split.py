"""Emits on two streams (bare protocol): each word on `default`, and the
first word of each sentence on `first`; acks."""
import proto

proto.handshake()
while True:
    m = proto.read()
    if proto.is_heartbeat(m):
        proto.send({"command": "sync"})
        continue
    words = m["tuple"][0].split()
    out = [{"command": "emit", "anchors": [m["id"]], "tuple": [w], "need_task_ids": False}
           for w in words]
    out.append({"command": "emit", "anchors": [m["id"]], "stream": "first", "tuple": [words[0]],
                "need_task_ids": False})
    out.append({"command": "ack", "id": m["id"]})
    proto.send(*out)
