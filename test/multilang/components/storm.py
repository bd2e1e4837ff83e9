"""A minimal module with the interface of Apache Storm's storm.py (written
for Gale's tests from the protocol's documentation, not copied): Tuple,
Bolt, BasicBolt, Spout, emit, emitDirect, ack, fail, log, reportError,
rpcMetrics. emit() always reads the task ids back, as storm.py does."""
import json
import os
import sys
import traceback
from collections import deque

_pending_commands = deque()
_pending_taskids = deque()
MODE = None
ANCHOR_TUPLE = None


def readMsg():
    text = ""
    while True:
        line = sys.stdin.readline()
        if not line:
            raise Exception("Read EOF from stdin")
        if line[:-1] == "end":
            break
        text += line
    return json.loads(text[:-1])


def readTaskIds():
    if _pending_taskids:
        return _pending_taskids.popleft()
    msg = readMsg()
    while not isinstance(msg, list):
        _pending_commands.append(msg)
        msg = readMsg()
    return msg


def readCommand():
    if _pending_commands:
        return _pending_commands.popleft()
    msg = readMsg()
    while isinstance(msg, list):
        _pending_taskids.append(msg)
        msg = readMsg()
    return msg


def readTuple():
    cmd = readCommand()
    return Tuple(cmd["id"], cmd["comp"], cmd["stream"], cmd["task"], cmd["tuple"])


def sendMsgToParent(msg):
    print(json.dumps(msg))
    print("end")
    sys.stdout.flush()


def sync():
    sendMsgToParent({"command": "sync"})


def sendpid(heartbeatdir):
    pid = os.getpid()
    sendMsgToParent({"pid": pid})
    open(heartbeatdir + "/" + str(pid), "w").close()


def emit(*args, **kwargs):
    _emit(*args, **kwargs)
    return readTaskIds()


def emitDirect(task, *args, **kwargs):
    kwargs["directTask"] = task
    _emit(*args, **kwargs)


def _emit(*args, **kwargs):
    if MODE == Bolt:
        emitBolt(*args, **kwargs)
    elif MODE == Spout:
        emitSpout(*args, **kwargs)


def emitBolt(tup, stream=None, anchors=[], directTask=None):
    if ANCHOR_TUPLE is not None:
        anchors = [ANCHOR_TUPLE]
    m = {"command": "emit"}
    if stream is not None:
        m["stream"] = stream
    m["anchors"] = [a.id for a in anchors]
    if directTask is not None:
        m["task"] = directTask
    m["tuple"] = tup
    sendMsgToParent(m)


def emitSpout(tup, stream=None, id=None, directTask=None):
    m = {"command": "emit"}
    if id is not None:
        m["id"] = id
    if stream is not None:
        m["stream"] = stream
    if directTask is not None:
        m["task"] = directTask
    m["tuple"] = tup
    sendMsgToParent(m)


def ack(tup):
    sendMsgToParent({"command": "ack", "id": tup.id})


def fail(tup):
    sendMsgToParent({"command": "fail", "id": tup.id})


def reportError(msg):
    sendMsgToParent({"command": "error", "msg": msg})


def log(msg, level=2):
    sendMsgToParent({"command": "log", "msg": msg, "level": level})


def rpcMetrics(name, params):
    sendMsgToParent({"command": "metrics", "name": name, "params": params})


def initComponent():
    setupInfo = readMsg()
    sendpid(setupInfo["pidDir"])
    return [setupInfo["conf"], setupInfo["context"]]


class Tuple(object):
    def __init__(self, id, component, stream, task, values):
        self.id = id
        self.component = component
        self.stream = stream
        self.task = task
        self.values = values

    def is_heartbeat_tuple(self):
        return self.task == -1 and self.stream == "__heartbeat"


class Bolt(object):
    def initialize(self, stormconf, context):
        pass

    def process(self, tuple):
        pass

    def run(self):
        global MODE
        MODE = Bolt
        conf, context = initComponent()
        try:
            self.initialize(conf, context)
            while True:
                tup = readTuple()
                if tup.is_heartbeat_tuple():
                    sync()
                else:
                    self.process(tup)
        except Exception:
            reportError(traceback.format_exc())


class BasicBolt(object):
    def initialize(self, stormconf, context):
        pass

    def process(self, tuple):
        pass

    def run(self):
        global MODE, ANCHOR_TUPLE
        MODE = Bolt
        conf, context = initComponent()
        try:
            self.initialize(conf, context)
            while True:
                tup = readTuple()
                if tup.is_heartbeat_tuple():
                    sync()
                else:
                    ANCHOR_TUPLE = tup
                    try:
                        self.process(tup)
                        ack(tup)
                    except Exception:
                        reportError(traceback.format_exc())
                        fail(tup)
        except Exception:
            reportError(traceback.format_exc())


class Spout(object):
    def initialize(self, conf, context):
        pass

    def ack(self, id):
        pass

    def fail(self, id):
        pass

    def nextTuple(self):
        pass

    def run(self):
        global MODE
        MODE = Spout
        conf, context = initComponent()
        try:
            self.initialize(conf, context)
            while True:
                msg = readCommand()
                if msg["command"] == "next":
                    self.nextTuple()
                if msg["command"] == "ack":
                    self.ack(msg["id"])
                if msg["command"] == "fail":
                    self.fail(msg["id"])
                sync()
        except Exception:
            reportError(traceback.format_exc())
