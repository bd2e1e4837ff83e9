"""A reliable spout on the protocol: emits the words of conf `words.text`
(space-separated), each with its index as id, once; replays a failed one;
writes every acked id to `words.acked` (a file)."""
import proto

conf, context = proto.handshake()
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
