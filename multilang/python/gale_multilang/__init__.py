"""Spouts and bolts in Python for Gale, over Storm's multilang protocol.

    from gale_multilang import Bolt

    class Split(Bolt):
        def process(self, tup):
            for word in tup.values[0].split():
                self.emit([word])          # anchored to `tup`, which is acked after process()

    if __name__ == "__main__":
        Split().run()

The same component runs under Apache Storm's ShellBolt (JSON). Under Gale it
also speaks msgpack when the topology says `serializer: msgpack` (detected
from the first message; no setting here). Pure standard library: uses the
`msgpack` package when it is installed, its own encoder otherwise.

While a component runs, its stdout carries the protocol: print() and
anything else written to sys.stdout goes to stderr, which Gale logs line by
line with the component and task.
"""

import json
import os
import queue as _queue
import sys
import threading
import traceback

try:  # the C implementation when available (Debian: python3-msgpack)
    import msgpack as _mp

    _mp_packb = _mp.Packer(use_bin_type=True).pack

    def _mp_unpacker():
        return _mp.Unpacker(raw=False, max_buffer_size=1 << 30)

    _mp_unpackb = None
except ImportError:  # pragma: no cover - depends on the machine
    from . import _msgpack as _mp_pure

    _mp_packb = _mp_pure.packb
    _mp_unpackb = _mp_pure.unpackb
    _mp_unpacker = None

# msgpack messages written out by hand (their constant parts pre-encoded).
_MP_ACK = b"\x82\xa7command\xa3ack\xa2id"
_MP_EMIT = b"\xa7command\xa4emit\xa7anchors"

__all__ = ["Tuple", "Bolt", "Spout", "Component", "TRACE", "DEBUG", "INFO", "WARN", "ERROR"]

TRACE, DEBUG, INFO, WARN, ERROR = 0, 1, 2, 3, 4
_LEVELS = {"trace": TRACE, "debug": DEBUG, "info": INFO, "warn": WARN, "warning": WARN,
           "error": ERROR}

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_loads = json.loads


class Tuple(object):
    """A tuple a bolt received: its id, source component, stream and task,
    and its values (a list)."""

    __slots__ = ("id", "component", "stream", "task", "values")

    def __init__(self, id, component, stream, task, values):
        self.id = id
        self.component = component
        self.stream = stream
        self.task = task
        self.values = values

    @property
    def is_tick(self):
        return self.stream == "__tick" and self.task == -1

    @property
    def is_heartbeat(self):
        return self.stream == "__heartbeat" and self.task == -1

    def __repr__(self):
        return "Tuple(id=%r, component=%r, stream=%r, task=%r, values=%r)" % (
            self.id, self.component, self.stream, self.task, self.values)


class _Channel(object):
    """Messages over fds 0 and 1: JSON ending in an "end" line (Storm's), or
    msgpack (Gale's: each message's length as a msgpack uint32, 0xce and 4
    bytes, then the message), told apart by the first byte of the handshake.

    A reader thread reads and decodes stdin and answers heartbeats itself, at
    once, so a process() that runs for longer than the worker's timeout does
    not get the component killed as hung (in pure Python code or while it
    sleeps or waits: the thread needs the GIL for a moment). Output is
    buffered and written before a read that would wait, so a burst of emits
    and acks is one write."""

    def __init__(self, in_fd=0, out_fd=1):
        self.in_fd = in_fd
        self.out_fd = out_fd
        self.out = []
        self.out_bytes = 0
        self.msgpack = None  # decided by the first byte that arrives
        self.queued = []     # messages read while waiting for task ids
        self.ready = []      # decoded, not yet returned (last first)
        self.lock = threading.Lock()  # whole messages on fd out_fd
        self.inbox = _queue.SimpleQueue()  # lists of messages, or an exception
        self.thread = threading.Thread(target=self._reader, name="gale-multilang-reader",
                                       daemon=True)
        self.thread.start()

    # -- the reader thread ---------------------------------------------------
    def _reader(self):
        try:
            buf, pos, unpacker = b"", 0, None
            sync = None
            while True:
                chunk = os.read(self.in_fd, 1 << 16)
                if not chunk:
                    self.inbox.put(EOFError("stdin closed: the worker is gone"))
                    return
                buf = buf[pos:] + chunk if pos else buf + chunk
                pos = 0
                if self.msgpack is None:
                    if not buf.strip():
                        continue
                    msgpack = buf.lstrip()[:1] not in (b"{", b"[")
                    if msgpack and _mp_unpacker is not None:
                        unpacker = _mp_unpacker()
                    if msgpack:
                        body = _mp_packb({"command": "sync"})
                        sync = b"\xce" + len(body).to_bytes(4, "big") + body
                    else:
                        sync = b'{"command":"sync"}\nend\n'
                    self.msgpack = msgpack
                if self.msgpack:
                    if unpacker is not None:
                        # The C unpacker reads the whole buffer at once; the
                        # lengths in between are ints, the messages never are.
                        unpacker.feed(buf)
                        buf = b""
                        got = [o for o in unpacker if type(o) is not int]
                    else:
                        got = []
                        n_buf = len(buf)
                        while n_buf - pos >= 5:
                            end = pos + 5 + int.from_bytes(buf[pos + 1:pos + 5], "big")
                            if end > n_buf:
                                break
                            got.append(_mp_unpackb(buf[pos + 5:end]))
                            pos = end
                else:
                    # Every whole message buffered, decoded in one call: one
                    # JSON array of them (what json.loads costs is mostly per call).
                    last = buf.rfind(b"\nend\n", pos)
                    got = None
                    if last >= 0:
                        parts = buf[pos:last].split(b"\nend\n")
                        pos = last + 5
                        got = _loads(b"[" + b",".join(parts) + b"]")
                if not got:
                    continue
                rest = []
                for m in got:
                    if type(m) is dict and m.get("task") == -1 and m.get("stream") == "__heartbeat":
                        self._write(sync)
                    else:
                        rest.append(m)
                if rest:
                    rest.reverse()
                    self.inbox.put(rest)
        except BaseException as e:  # noqa: B902 - handed to the main thread
            self.inbox.put(e)

    def _write(self, data):
        with self.lock:
            view = memoryview(data)
            while view:
                n = os.write(self.out_fd, view)
                view = view[n:]

    # -- the component's thread ----------------------------------------------
    def read(self):
        if self.queued:
            return self.queued.pop(0)
        if self.ready:
            return self.ready.pop()
        if self.inbox.empty():
            self.flush()  # about to wait: what we wrote must go first
        item = self.inbox.get()
        if isinstance(item, BaseException):
            raise item
        self.ready = item
        return item.pop()

    def send(self, msg):
        if self.msgpack:
            self.send_msgpack_body(_mp_packb(msg))
            return
        text = _dumps(msg) + "\nend\n"
        self.out.append(text)
        self.out_bytes += len(text)
        if self.out_bytes > (1 << 16):
            self.flush()

    def send_msgpack_body(self, body):
        """One msgpack message already encoded."""
        self.out.append(b"\xce" + len(body).to_bytes(4, "big") + body)
        self.out_bytes += len(body) + 5
        if self.out_bytes > (1 << 16):
            self.flush()

    def send_json_text(self, text):
        """A JSON message already written out, "end" line included."""
        self.out.append(text)
        self.out_bytes += len(text)
        if self.out_bytes > (1 << 16):
            self.flush()

    def flush(self):
        if not self.out:
            return
        if self.msgpack:
            data = b"".join(self.out)
        else:
            data = "".join(self.out).encode("utf-8")
        self.out = []
        self.out_bytes = 0
        self._write(data)

    def read_task_ids(self):
        """The next list message; other messages wait in `queued`."""
        while True:
            msg = self._read_direct()
            if isinstance(msg, list):
                return msg
            self.queued.append(msg)

    def _read_direct(self):
        q, self.queued = self.queued, []
        try:
            return self.read()
        finally:
            self.queued = q + self.queued


class Component(object):
    """What bolts and spouts share: the handshake, logging, errors, metrics."""

    def __init__(self):
        self.conf = {}
        self.context = {}
        self._chan = None

    # -- to override -----------------------------------------------------
    def initialize(self, conf, context):
        """Called once, after the handshake: `conf` is the topology config,
        `context` holds taskid, componentid and task->component."""

    # -- to call -------------------------------------------------------------
    def log(self, message, level=INFO):
        """A line in the worker's log, tagged with this component and task."""
        if isinstance(level, str):
            level = _LEVELS.get(level.lower(), INFO)
        self._chan.send({"command": "log", "msg": str(message), "level": level})

    def report_error(self, message):
        """Reports an error: it shows as this task's last error in `gale info`
        and the UI. The component goes on running."""
        self._chan.send({"command": "error", "msg": str(message)})

    def metric(self, name, value=1):
        """Adds `value` to the counter `name` of this task's user metrics."""
        self._chan.send({"command": "metrics", "name": name, "params": value})

    # -- the protocol --------------------------------------------------------
    def _handshake(self):
        # The protocol owns fd 1; whatever the code prints goes to stderr.
        out_fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        self._chan = _Channel(0, out_fd)
        setup = self._chan.read()
        self.conf = setup.get("conf") or {}
        self.context = setup.get("context") or {}
        pid = os.getpid()
        pid_dir = setup.get("pidDir")
        if pid_dir:
            open(os.path.join(pid_dir, str(pid)), "w").close()
        self._chan.send({"pid": pid})
        self._chan.flush()
        self.initialize(self.conf, self.context)

    def _run(self, loop):
        try:
            self._handshake()
            loop()
        except EOFError:
            pass
        except Exception:
            try:
                self._chan.flush()
            except Exception:
                pass
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
        try:
            self._chan.flush()
        except Exception:
            pass


class Bolt(Component):
    """Subclass and define process(tup). By default every emit made during
    process() is anchored to the tuple being processed (auto_anchor), the
    tuple is acked when process() returns (auto_ack) and failed when it
    raises (auto_fail: the error is reported and the bolt goes on)."""

    auto_ack = True
    auto_anchor = True
    auto_fail = True

    def __init__(self):
        Component.__init__(self)
        self._current = None
        self._handled = False

    def process(self, tup):
        raise NotImplementedError("define process(self, tup)")

    def process_tick(self, tup):
        """Tick tuples (topology.tick.tuple.freq.secs) come here."""

    def emit(self, values, anchors=None, stream=None, direct_task=None, need_task_ids=False):
        """Emits `values` (a list). anchors: tuples (or their ids) to anchor
        to; by default the one being processed. direct_task: a task id for a
        direct stream. need_task_ids=True returns the ids of the tasks it
        went to (waiting for the worker's answer)."""
        if anchors is None:
            ids = [self._current.id] if self.auto_anchor and self._current is not None else None
        else:
            ids = [a.id if isinstance(a, Tuple) else a for a in anchors]
        chan = self._chan
        if chan.msgpack and direct_task is None and not need_task_ids:
            pack = _mp_packb
            if stream is None:
                chan.send_msgpack_body(b"\x84" + _MP_EMIT + pack(ids or []) + b"\xa5tuple" +
                                       pack(values) + b"\xadneed_task_ids\xc2")
            else:
                chan.send_msgpack_body(b"\x85" + _MP_EMIT + pack(ids or []) + b"\xa5tuple" +
                                       pack(values) + b"\xa6stream" + pack(stream) +
                                       b"\xadneed_task_ids\xc2")
            return None
        if not chan.msgpack and direct_task is None and not need_task_ids:
            # The common case, written out by hand: no dict to build.
            chan.send_json_text(
                '{"command":"emit","anchors":%s,%s"tuple":%s,"need_task_ids":false}\nend\n'
                % (_dumps(ids or []), "" if stream is None else '"stream":%s,' % _dumps(stream),
                   _dumps(values)))
            return None
        msg = {"command": "emit", "tuple": values}
        if ids is not None:
            msg["anchors"] = ids
        if stream is not None:
            msg["stream"] = stream
        if direct_task is not None:
            msg["task"] = direct_task
        elif not need_task_ids:
            msg["need_task_ids"] = False
        chan.send(msg)
        if need_task_ids and direct_task is None:
            return chan.read_task_ids()
        return None

    def ack(self, tup):
        if tup is self._current:
            self._handled = True
        self._chan.send({"command": "ack", "id": tup.id if isinstance(tup, Tuple) else tup})

    def fail(self, tup):
        if tup is self._current:
            self._handled = True
        self._chan.send({"command": "fail", "id": tup.id if isinstance(tup, Tuple) else tup})

    def run(self):
        self._run(self._loop)

    def _loop(self):
        chan = self._chan
        read, send = chan.read, chan.send
        sync = {"command": "sync"}
        json_mode = not chan.msgpack
        while True:
            m = read()
            if not isinstance(m, dict):
                continue
            task = m.get("task")
            stream = m.get("stream")
            if task == -1 and stream == "__heartbeat":
                send(sync)
                continue
            tup = Tuple(m.get("id"), m.get("comp"), stream, task, m.get("tuple"))
            self._current = tup
            self._handled = False
            try:
                if task == -1 and stream == "__tick":
                    self.process_tick(tup)
                else:
                    self.process(tup)
            except Exception:
                if not self.auto_fail:
                    raise
                self._current = None
                if not self._handled:
                    self.fail(tup)
                self.report_error("%s failed a tuple: %s" % (
                    type(self).__name__, traceback.format_exc()))
                continue
            self._current = None
            if self.auto_ack and not self._handled:
                if json_mode:
                    chan.send_json_text('{"command":"ack","id":%s}\nend\n' % _dumps(tup.id))
                else:
                    chan.send_msgpack_body(_MP_ACK + _mp_packb(tup.id))


class Spout(Component):
    """Subclass and define next_tuple(); ack(tup_id) and fail(tup_id) are
    told about tuples emitted with a tup_id."""

    def next_tuple(self):
        raise NotImplementedError("define next_tuple(self)")

    def ack(self, tup_id):
        pass

    def fail(self, tup_id):
        pass

    def activate(self):
        pass

    def deactivate(self):
        pass

    def emit(self, values, tup_id=None, stream=None, direct_task=None, need_task_ids=False):
        """Emits `values`; with a tup_id the tuple is tracked and ack() or
        fail() gets the id back."""
        msg = {"command": "emit", "tuple": values}
        if tup_id is not None:
            msg["id"] = tup_id
        if stream is not None:
            msg["stream"] = stream
        if direct_task is not None:
            msg["task"] = direct_task
        elif not need_task_ids:
            msg["need_task_ids"] = False
        self._chan.send(msg)
        if need_task_ids and direct_task is None:
            return self._chan.read_task_ids()
        return None

    def run(self):
        self._run(self._loop)

    def _loop(self):
        read, send = self._chan.read, self._chan.send
        sync = {"command": "sync"}
        while True:
            m = read()
            if not isinstance(m, dict):
                continue
            cmd = m.get("command")
            if cmd == "next":
                self.next_tuple()
            elif cmd == "ack":
                self.ack(m.get("id"))
            elif cmd == "fail":
                self.fail(m.get("id"))
            elif cmd == "activate":
                self.activate()
            elif cmd == "deactivate":
                self.deactivate()
            send(sync)
