"""Storm's multilang protocol, JSON serializer, written from its documentation
(Multilang-protocol.md) for Gale's tests: a message is a JSON document
followed by a line "end"; the handshake sends conf, context and pidDir and
wants {"pid": N} back after the pid file was created."""
import json
import os
import sys

_in = sys.stdin.buffer
_out = os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)  # print() goes to stderr, not into the protocol


def read():
    lines = []
    while True:
        line = _in.readline()
        if not line:
            sys.exit(0)  # the worker closed our stdin
        line = line.rstrip(b"\n")
        if line == b"end":
            break
        lines.append(line)
    return json.loads(b"\n".join(lines).decode("utf-8"))


def send(*msgs):
    """Writes the messages in one write."""
    _out.write(b"".join(json.dumps(m).encode("utf-8") + b"\nend\n" for m in msgs))
    _out.flush()


def handshake():
    setup = read()
    pid = os.getpid()
    open(os.path.join(setup["pidDir"], str(pid)), "w").close()
    send({"pid": pid})
    return setup["conf"], setup["context"]


def is_heartbeat(m):
    return isinstance(m, dict) and m.get("task") == -1 and m.get("stream") == "__heartbeat"
