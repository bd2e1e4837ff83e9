"""A splitter on the bare protocol: emits each word anchored to its
sentence, asks for the task ids (need_task_ids is true unless false) and
reads them back, logs and counts a metric, acks."""
import proto

conf, context = proto.handshake()
proto.send({"command": "log", "msg": "raw_split ready as task %d of %s"
            % (context["taskid"], context["componentid"]), "level": 2})
later = []  # tuples that came while we waited for task ids
while True:
    m = later.pop(0) if later else proto.read()
    if proto.is_heartbeat(m):
        proto.send({"command": "sync"})
        continue
    for word in m["tuple"][0].split():
        proto.send({"command": "emit", "anchors": [m["id"]], "tuple": [word]})
        ids = proto.read()
        while not isinstance(ids, list):  # a tuple or heartbeat that came first
            if proto.is_heartbeat(ids):
                proto.send({"command": "sync"})
            else:
                later.append(ids)
            ids = proto.read()
        assert len(ids) == 1, ids
    proto.send({"command": "metrics", "name": "sentences", "params": 1},
               {"command": "ack", "id": m["id"]})
