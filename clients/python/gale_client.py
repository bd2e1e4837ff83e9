"""gale_client: a thin Python client for Gale's nimbus.

The Thrift code itself is generated from thrift/gale.thrift at build time
(`thrift --gen py`, target gale_client_py) into <build>/clients/python/gen;
this module finds it through $GALE_PY_GEN, else $GALE_BUILD_DIR/clients/python/gen,
else <repo>/build/clients/python/gen. It needs Debian's python3-thrift:
run it with /usr/bin/python3.

    import gale_client as gc
    with gc.connect("127.0.0.1", 6627, timeout=10) as nimbus:
        topology = (gc.TopologyBuilder("wordcount")
                    .plugin("build/lib/libwordcount.so")
                    .spout("sentences", "SentenceSpout", outputs={"default": ["sentence"]})
                    .bolt("split", "SplitSentence", 2, outputs={"default": ["word"]})
                    .shuffle("sentences", "split"))
        nimbus.submit(topology)
        print(nimbus.info("wordcount").status)
        nimbus.kill("wordcount", wait=0)

Declared exceptions reach the caller as the generated types (re-exported here:
NotAliveException, AlreadyAliveException, InvalidTopologyException,
PluginNotFoundException, UploadException, IllegalStateException), each with
its message in `.msg`. A nimbus that cannot be reached or does not answer
within the timeout raises thrift's TTransportException; the connection is
closed then and cannot be used again.
"""

import hashlib
import importlib
import logging
import os
import socket
import sys

__all__ = [
    "connect", "Nimbus", "TopologyBuilder", "config_value", "sha256_file", "generated_dir",
    "NotAliveException", "AlreadyAliveException", "InvalidTopologyException",
    "PluginNotFoundException", "UploadException", "IllegalStateException",
    "TTransportException", "TApplicationException", "ttypes", "TopologyStatus",
    "status_name", "CHUNK_SIZE", "DECLARED_EXCEPTIONS",
]

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(os.path.dirname(_HERE))


def generated_dir():
    """Where the generated package gale_thrift is looked for."""
    if os.environ.get("GALE_PY_GEN"):
        return os.environ["GALE_PY_GEN"]
    build = os.environ.get("GALE_BUILD_DIR") or os.path.join(_REPO, "build")
    return os.path.join(build, "clients", "python", "gen")


def _import_generated():
    gen = generated_dir()
    if not os.path.isfile(os.path.join(gen, "gale_thrift", "Nimbus.py")):
        raise ImportError(
            "gale_client: no generated Thrift code in %s; build it (ninja -C build "
            "gale_client_py) or point GALE_PY_GEN at the folder holding gale_thrift/" % gen)
    if gen not in sys.path:
        sys.path.insert(0, gen)
    try:
        importlib.import_module("thrift.Thrift")
    except ImportError as e:
        raise ImportError(
            "gale_client: the Python thrift library is missing (%s); install Debian's "
            "python3-thrift and run with /usr/bin/python3" % e) from e
    from gale_thrift import Nimbus as nimbus_service
    from gale_thrift import ttypes as generated_types
    return nimbus_service, generated_types


_NimbusService, ttypes = _import_generated()

from thrift.Thrift import TApplicationException  # noqa: E402
from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.transport import TSocket, TTransport  # noqa: E402
from thrift.transport.TTransport import TTransportException  # noqa: E402

# TSocket logs a failed connect itself; the exception raised here says it all,
# so that log goes nowhere unless the program configures logging.
logging.getLogger("thrift.transport.TSocket").addHandler(logging.NullHandler())

NotAliveException = ttypes.NotAliveException
AlreadyAliveException = ttypes.AlreadyAliveException
InvalidTopologyException = ttypes.InvalidTopologyException
PluginNotFoundException = ttypes.PluginNotFoundException
UploadException = ttypes.UploadException
IllegalStateException = ttypes.IllegalStateException
TopologyStatus = ttypes.TopologyStatus

# The declared exceptions of the client calls.
DECLARED_EXCEPTIONS = (NotAliveException, AlreadyAliveException, InvalidTopologyException,
                       PluginNotFoundException, UploadException, IllegalStateException)

CHUNK_SIZE = 1 << 20  # plugin upload chunks (nimbus takes at most 4 MiB)


def status_name(status):
    return ttypes.TopologyStatus._VALUES_TO_NAMES.get(status, str(status))


def sha256_file(path):
    """Lower-case hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK_SIZE), b""):
            h.update(block)
    return h.hexdigest()


def config_value(value):
    """A Python value as a ConfigValue: bool, int, float, str or None."""
    if value is None:
        return ttypes.ConfigValue()
    if isinstance(value, bool):  # before int: bool is an int in Python
        return ttypes.ConfigValue(bool_value=value)
    if isinstance(value, int):
        return ttypes.ConfigValue(int_value=value)
    if isinstance(value, float):
        return ttypes.ConfigValue(double_value=value)
    if isinstance(value, str):
        return ttypes.ConfigValue(string_value=value)
    raise TypeError("config values are bool, int, float, str or None, not %s (%r)"
                    % (type(value).__name__, value))


def _config_map(config):
    return {str(k): config_value(v) for k, v in (config or {}).items()}


def _stream_decls(component_id, outputs):
    """outputs: {stream id: [fields]} or {stream id: {"fields": [...], "direct": bool}}."""
    decls = []
    for stream, decl in (outputs or {}).items():
        direct = False
        if isinstance(decl, dict):
            unknown = set(decl) - {"fields", "direct"}
            if unknown:
                raise ValueError("component '%s' stream '%s': unknown key(s) %s"
                                 % (component_id, stream, sorted(unknown)))
            fields, direct = decl.get("fields", []), bool(decl.get("direct", False))
        else:
            fields = decl
        if isinstance(fields, str):
            raise ValueError("component '%s' stream '%s': fields must be a list of names, "
                             "not the string %r" % (component_id, stream, fields))
        decls.append(ttypes.StreamDecl(id=str(stream), fields=[str(f) for f in fields],
                                       direct=direct))
    return decls


class TopologyBuilder:
    """Builds a Topology in Python.

    Components name classes that an already built plugin registers. Nimbus
    never loads plugins, so each component also declares what its class's
    DeclareOutputFields() declares: `outputs` maps a stream id to its field
    names, or to {"fields": [...], "direct": True} for a direct stream. A
    component that declares nothing passes no outputs. Every method returns
    the builder, so calls chain.
    """

    def __init__(self, name):
        self.name = name
        self.components = []
        self.subscriptions = []
        self.topology_config = {}
        self.plugins = []  # (path or None, name, sha256 or None)

    # ---- components

    def _component(self, kind, id, class_name, parallelism, outputs, config, num_tasks):
        self.components.append(ttypes.Component(
            id=id, kind=kind, class_name=class_name, parallelism=int(parallelism),
            num_tasks=int(num_tasks), config=_config_map(config),
            outputs=_stream_decls(id, outputs)))
        return self

    def spout(self, id, class_name, parallelism=1, outputs=None, config=None, num_tasks=0):
        return self._component(ttypes.ComponentKind.SPOUT, id, class_name, parallelism, outputs,
                               config, num_tasks)

    def bolt(self, id, class_name, parallelism=1, outputs=None, config=None, num_tasks=0):
        return self._component(ttypes.ComponentKind.BOLT, id, class_name, parallelism, outputs,
                               config, num_tasks)

    # ---- streams: `to` subscribes to `stream` of `from_`

    def grouping(self, from_, to, type, fields=None, stream="default"):
        """A subscription with any GroupingType (a ttypes.GroupingType value or its name)."""
        if isinstance(type, str):
            names = ttypes.GroupingType._NAMES_TO_VALUES
            if type.upper() not in names:
                raise ValueError("unknown grouping type '%s' (one of %s)"
                                 % (type, ", ".join(sorted(names))))
            type = names[type.upper()]
        self.subscriptions.append(ttypes.Subscription(
            from_component=from_, stream=stream, to_component=to,
            grouping=ttypes.Grouping(type=type, fields=list(fields or []))))
        return self

    def shuffle(self, from_, to, stream="default"):
        return self.grouping(from_, to, ttypes.GroupingType.SHUFFLE, stream=stream)

    def local_or_shuffle(self, from_, to, stream="default"):
        return self.grouping(from_, to, ttypes.GroupingType.LOCAL_OR_SHUFFLE, stream=stream)

    def fields(self, from_, to, fields, stream="default"):
        return self.grouping(from_, to, ttypes.GroupingType.FIELDS, fields, stream)

    def partial_key(self, from_, to, fields, stream="default"):
        return self.grouping(from_, to, ttypes.GroupingType.PARTIAL_KEY, fields, stream)

    def global_(self, from_, to, stream="default"):
        return self.grouping(from_, to, ttypes.GroupingType.GLOBAL, stream=stream)

    def all(self, from_, to, stream="default"):
        return self.grouping(from_, to, ttypes.GroupingType.ALL, stream=stream)

    def none(self, from_, to, stream="default"):
        return self.grouping(from_, to, ttypes.GroupingType.NONE, stream=stream)

    def direct(self, from_, to, stream="default"):
        return self.grouping(from_, to, ttypes.GroupingType.DIRECT, stream=stream)

    # ---- topology config and plugins

    def config(self, key_or_dict, value=None):
        """config("topology.workers", 2) or config({"topology.workers": 2, ...})."""
        if isinstance(key_or_dict, dict):
            self.topology_config.update(key_or_dict)
        else:
            self.topology_config[key_or_dict] = value
        return self

    def plugin(self, path):
        """A plugin library file; Nimbus.submit() uploads it (unless nimbus has it)."""
        self.plugins.append((path, os.path.basename(path), None))
        return self

    def uploaded_plugin(self, name, sha256):
        """A plugin nimbus already stores, by its SHA-256 (nothing is uploaded)."""
        self.plugins.append((None, name, sha256))
        return self

    def build(self, shas=None):
        """The ttypes.Topology; `shas` gives the SHA-256 of each plugin file (by path),
        computed here when missing."""
        shas = shas or {}
        refs = []
        for path, name, sha in self.plugins:
            if sha is None:
                sha = shas.get(path) or sha256_file(path)
            refs.append(ttypes.PluginRef(name=name, sha256=sha))
        return ttypes.Topology(name=self.name, components=list(self.components),
                               streams=list(self.subscriptions),
                               config=_config_map(self.topology_config), plugins=refs)


class Nimbus:
    """A connection to nimbus. Not safe to share between threads. Nimbus closes a
    connection idle for 30 s: a long-lived user reconnects on TTransportException."""

    def __init__(self, host="127.0.0.1", port=6627, timeout=10.0):
        self.address = "%s:%d" % (host, port)
        self.timeout = timeout
        self._socket = TSocket.TSocket(host, int(port))
        # Bounds connect, every send and every wait for an answer.
        self._socket.setTimeout(None if timeout is None else timeout * 1000.0)
        self._transport = TTransport.TFramedTransport(self._socket)
        self._client = _NimbusService.Client(TBinaryProtocol.TBinaryProtocol(self._transport))
        try:
            self._transport.open()
        except TTransportException as e:
            raise TTransportException(
                type=TTransportException.NOT_OPEN,
                message="cannot connect to nimbus at %s: %s" % (self.address, e.message or e),
                inner=e) from e

    @property
    def raw(self):
        """The generated gale_thrift.Nimbus.Client, for calls not wrapped here."""
        return self._client

    def close(self):
        self._transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, method, *args):
        try:
            return getattr(self._client, method)(*args)
        except DECLARED_EXCEPTIONS:
            raise  # the generated type, with .msg: the connection stays usable
        except TTransportException as e:
            self.close()
            inner = getattr(e, "inner", None)
            if isinstance(inner, (socket.timeout, TimeoutError)) or \
                    e.type == TTransportException.TIMED_OUT:
                raise TTransportException(
                    type=TTransportException.TIMED_OUT,
                    message="nimbus at %s did not answer %s within %s s"
                            % (self.address, method, self.timeout), inner=e) from e
            raise TTransportException(
                type=e.type, message="%s to nimbus at %s failed: %s"
                                     % (method, self.address, e.message or e), inner=e) from e
        except (socket.timeout, TimeoutError, OSError) as e:  # from a send
            self.close()
            raise TTransportException(
                type=TTransportException.TIMED_OUT if isinstance(e, (socket.timeout, TimeoutError))
                else TTransportException.UNKNOWN,
                message="%s to nimbus at %s failed: %s" % (method, self.address, e),
                inner=e) from e

    # ---- queries

    def list(self):
        """The ClusterSummary: supervisors, topologies, slots."""
        return self._call("getClusterInfo")

    def info(self, name):
        """The TopologyInfo of a topology; NotAliveException when there is none."""
        return self._call("getTopologyInfo", name)

    # ---- plugins

    def has_plugin(self, sha256):
        return self._call("hasPlugin", sha256)

    def upload_plugin(self, path, sha256=None):
        """Uploads a plugin file unless nimbus has it already; returns its SHA-256."""
        sha = sha256 or sha256_file(path)
        size = os.path.getsize(path)
        upload_id = self._call("beginPluginUpload", sha, size)
        if upload_id == "":
            return sha  # nimbus stores that hash already
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(CHUNK_SIZE), b""):
                self._call("uploadPluginChunk", upload_id, chunk)
        self._call("finishPluginUpload", upload_id)
        return sha

    # ---- lifecycle

    def submit(self, topology, inactive=False):
        """Submits a TopologyBuilder (uploading its plugin files first) or a
        ttypes.Topology (whose plugins must be uploaded). Returns the name."""
        if isinstance(topology, TopologyBuilder):
            shas = {path: self.upload_plugin(path)
                    for path, _, sha in topology.plugins if sha is None}
            topology = topology.build(shas)
        options = ttypes.SubmitOptions(
            initial_status=TopologyStatus.INACTIVE if inactive else TopologyStatus.ACTIVE)
        self._call("submitTopology", topology, options)
        return topology.name

    def activate(self, name):
        self._call("activate", name)

    def deactivate(self, name):
        self._call("deactivate", name)

    def rebalance(self, name, workers=None, executors=None, wait=None):
        """executors: {component id: executors}; wait: seconds (default: the
        topology's message timeout)."""
        options = ttypes.RebalanceOptions(
            wait_secs=wait, num_workers=workers,
            num_executors=dict(executors) if executors else None)
        self._call("rebalance", name, options)

    def kill(self, name, wait=None):
        """wait: seconds the spouts are off before the workers stop (default:
        the topology's message timeout)."""
        self._call("killTopology", name, ttypes.KillOptions(wait_secs=wait))


def connect(host="127.0.0.1", port=6627, timeout=10.0):
    """A Nimbus connection (framed transport, binary protocol). `timeout` (seconds)
    bounds connecting and every call; None waits forever."""
    return Nimbus(host, port, timeout)
