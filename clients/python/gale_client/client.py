"""Nimbus: a connection to Gale's nimbus, and connect()."""

import logging
import os
import socket
import subprocess
import tempfile
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from thrift.Thrift import TApplicationException
from thrift.protocol import TBinaryProtocol
from thrift.transport import TSocket, TTransport
from thrift.transport.TTransport import TTransportException

from ._generated import load as _load
from .builder import CHUNK_SIZE, TopologyBuilder, sha256_file
from .errors import (AlreadyAlive, IllegalState, InvalidTopology, NotFound, PluginNotFound,
                     ServerError, Timeout, Unauthorized, Unavailable, UploadError)

_NimbusService, ttypes = _load()

__all__ = ["Nimbus", "connect", "status_name", "YamlPlan"]

# TSocket logs a failed connect itself; the exception raised says it all, so
# that log goes nowhere unless the program configures logging.
logging.getLogger("thrift.transport.TSocket").addHandler(logging.NullHandler())
_log = logging.getLogger("gale_client")

# The generated exception types and what each becomes.
_DECLARED = {
    ttypes.NotAliveException: NotFound,
    ttypes.PluginNotFoundException: PluginNotFound,
    ttypes.AlreadyAliveException: AlreadyAlive,
    ttypes.InvalidTopologyException: InvalidTopology,
    ttypes.UploadException: UploadError,
    ttypes.IllegalStateException: IllegalState,
    ttypes.AuthorizationException: Unauthorized,
}

# Submits wait for nimbus to ask the plugins (up to its describe timeout,
# 10 s by default; twice for a YAML file): they get at least this long.
SUBMIT_TIMEOUT = 60.0

# How `gale submit` packs a resources/ folder (core/multilang/resources.cc):
# the same bytes for the same folder, so the same hash.
RESOURCES_TAR_FLAGS = ("--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
                       "--dereference", "--exclude=__pycache__", "--exclude=*.pyc")

# YAML files: rounds of planYamlTopology before giving up (each round adds
# the files and names nimbus asked for, so only deep include chains need many).
_MAX_YAML_ROUNDS = 64

YamlPlan = Any  # ttypes.YamlTopologyPlan


def status_name(status: int) -> str:
    """"ACTIVE", "INACTIVE", "REBALANCING" or "KILLED" for a TopologyStatus value."""
    return ttypes.TopologyStatus._VALUES_TO_NAMES.get(status, str(status))


def _read_text(path: str) -> str:
    with open(path, "rb") as f:
        data = f.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidTopology("%s: not UTF-8 text (%s)" % (path, e)) from e


class Nimbus:
    """A connection to nimbus (framed transport, binary protocol).

    Not safe to share between threads. Nimbus closes a connection idle for
    30 s: a long-lived program reconnects after Unavailable. Use it as a
    context manager, or call close().
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 6627,
                 timeout: Optional[float] = 10.0, *, ca_file: Optional[str] = None,
                 cert_file: Optional[str] = None, key_file: Optional[str] = None,
                 user: Optional[str] = None, token: Optional[str] = None) -> None:
        self.address = "%s:%d" % (host, int(port))
        self.timeout = timeout
        if ca_file or cert_file or key_file:
            # TLS: nimbus's certificate checked against ca_file; with
            # cert_file and key_file, a client certificate (mutual TLS).
            import ssl
            from thrift.transport import TSSLSocket
            context = ssl.create_default_context(cafile=ca_file)
            if cert_file:
                context.load_cert_chain(cert_file, key_file)
            # The context checks the certificate and the host name itself.
            self._socket: Any = TSSLSocket.TSSLSocket(
                host, int(port), ssl_context=context, server_hostname=host,
                validate_callback=lambda cert, hostname: None)
        else:
            self._socket = TSocket.TSocket(host, int(port))
        self._set_timeout(timeout)
        self._transport = TTransport.TFramedTransport(self._socket)
        self._protocol = TBinaryProtocol.TBinaryProtocol(self._transport)
        self._client = _NimbusService.Client(self._protocol)
        try:
            self._transport.open()
        except TTransportException as e:
            raise Unavailable("cannot connect to nimbus at %s: %s"
                              % (self.address, e.message or e), e) from e
        if token is not None:
            self.authenticate(user or "", token)

    def _set_timeout(self, timeout: Optional[float]) -> None:
        # Bounds connect, every send and every wait for an answer.
        self._socket.setTimeout(None if timeout is None else timeout * 1000.0)

    @property
    def raw(self) -> Any:
        """The generated gale_thrift.Nimbus.Client, for calls not wrapped here
        (its exceptions are the generated types)."""
        return self._client

    def close(self) -> None:
        """Closes the connection; closing it again does nothing."""
        if self._socket.handle is not None:
            self._transport.close()

    def __enter__(self) -> "Nimbus":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _call(self, method: str, *args: Any, timeout: Optional[float] = None) -> Any:
        if timeout is not None and self.timeout is not None and timeout > self.timeout:
            self._set_timeout(timeout)
        else:
            timeout = self.timeout
        try:
            return getattr(self._client, method)(*args)
        except tuple(_DECLARED) as e:
            # The connection stays usable.
            raise _DECLARED[type(e)](e.msg, e) from e
        except TApplicationException as e:
            self.close()
            raise ServerError("nimbus at %s failed in %s: %s"
                              % (self.address, method, e.message or e), e) from e
        except TTransportException as e:
            self.close()
            inner = getattr(e, "inner", None)
            if isinstance(inner, (socket.timeout, TimeoutError)) or \
                    e.type == TTransportException.TIMED_OUT:
                raise Timeout("nimbus at %s did not answer %s within %s s"
                              % (self.address, method, timeout), e) from e
            # Thrift's "unexpected exception" hides the reason, e.g. nimbus's
            # TLS alert "certificate required": say the inner one.
            detail = e.message or str(e)
            if inner is not None and detail == "unexpected exception":
                detail = str(inner)
            raise Unavailable("%s to nimbus at %s failed: %s"
                              % (method, self.address, detail), e) from e
        except (socket.timeout, TimeoutError) as e:  # from a send
            self.close()
            raise Timeout("%s to nimbus at %s failed: %s" % (method, self.address, e), e) from e
        except OSError as e:
            self.close()
            raise Unavailable("%s to nimbus at %s failed: %s" % (method, self.address, e),
                              e) from e
        finally:
            if timeout != self.timeout and self._socket.handle is not None:
                self._set_timeout(self.timeout)

    # ---- authentication

    def authenticate(self, user: str, token: str) -> None:
        """`authenticate(user, token)`: the first call on a TLS connection to a
        nimbus in token mode (connect() makes it when given a token). A wrong
        user or token raises Unauthorized and closes the connection."""
        try:
            self._call("authenticate", user, token)
        except Unauthorized:
            self.close()
            raise

    # ---- queries

    def list(self) -> Any:
        """The ttypes.ClusterSummary: supervisors, topologies, slots."""
        return self._call("getClusterInfo")

    def info(self, name: str) -> Any:
        """The ttypes.TopologyInfo of a topology; NotFound when there is none."""
        return self._call("getTopologyInfo", name)

    # ---- plugins

    def has_plugin(self, sha256: str) -> bool:
        return bool(self._call("hasPlugin", sha256))

    def upload_plugin(self, path: str, sha256: Optional[str] = None) -> str:
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

    def submit(self, topology: Union[TopologyBuilder, Any], inactive: bool = False) -> str:
        """Submits a TopologyBuilder (uploading its plugin files first) or a
        ttypes.Topology (whose plugins must be uploaded). Returns the name."""
        if isinstance(topology, TopologyBuilder):
            shas = {path: self.upload_plugin(path)
                    for path, _, sha in topology.plugins if sha is None and path is not None}
            topology = topology.build(shas)
        self._call("submitTopology", topology, self._submit_options(inactive),
                   timeout=SUBMIT_TIMEOUT)
        return str(topology.name)

    @staticmethod
    def _submit_options(inactive: bool) -> Any:
        return ttypes.SubmitOptions(initial_status=ttypes.TopologyStatus.INACTIVE
                                    if inactive else ttypes.TopologyStatus.ACTIVE)

    def activate(self, name: str) -> None:
        self._call("activate", name)

    def deactivate(self, name: str) -> None:
        self._call("deactivate", name)

    def rebalance(self, name: str, workers: Optional[int] = None,
                  executors: Optional[Mapping[str, int]] = None,
                  wait: Optional[int] = None) -> None:
        """executors: {component id: executors}; wait: seconds (default: the
        topology's message timeout). Options left out keep their value."""
        options = ttypes.RebalanceOptions(
            wait_secs=wait, num_workers=workers,
            num_executors=dict(executors) if executors else None)
        self._call("rebalance", name, options)

    def kill(self, name: str, wait: Optional[int] = None) -> None:
        """wait: seconds the spouts are off before the workers stop (default:
        the topology's message timeout)."""
        self._call("killTopology", name, ttypes.KillOptions(wait_secs=wait))

    # ---- YAML topology files

    def _yaml_request(self, path: str, filter_file: Optional[str],
                      env: Optional[Mapping[str, str]],
                      plugin_path: Optional[Sequence[str]]) -> Any:
        """Asks nimbus (planYamlTopology) until it has every file and ${ENV-...}
        value it needs; returns the request with the plugins resolved."""
        env = os.environ if env is None else env
        if plugin_path is None:
            plugin_path = [d for d in os.environ.get("GALE_PLUGIN_PATH", "").split(":") if d]
        request = ttypes.YamlTopologyRequest(
            file=os.path.abspath(path), sources=[], env={}, env_unset=[],
            plugin_search_path=[os.path.abspath(d) for d in plugin_path], unreadable=[])
        if filter_file:
            request.filter_file = os.path.abspath(filter_file)
        asked: set = set()
        for _ in range(_MAX_YAML_ROUNDS):
            plan = self._call("planYamlTopology", request)
            if not plan.missing_files and not plan.missing_env:
                break
            for f in plan.missing_files:
                if f in asked:  # sent already: nimbus could not use it
                    raise InvalidTopology("nimbus asks again for '%s'" % f)
                asked.add(f)
                try:
                    request.sources.append(ttypes.YamlSource(path=f, text=_read_text(f)))
                except OSError:
                    request.unreadable.append(f)  # nimbus reports the loader's error
            for name in plan.missing_env:
                if name in env:
                    request.env[name] = env[name]
                else:
                    request.env_unset.append(name)
        else:
            raise InvalidTopology("%s: includes nest deeper than %d files"
                                  % (request.file, _MAX_YAML_ROUNDS))
        # The plugins: the first candidate that is a file, as `gale` takes it.
        request.plugins = []
        for need in plan.plugins:
            chosen = next((c for c in need.candidates if os.path.isfile(c)), "")
            request.plugins.append(ttypes.PluginRef(
                name=chosen, sha256=sha256_file(chosen) if chosen else ""))
        return request

    def validate_yaml(self, path: str, filter_file: Optional[str] = None,
                      env: Optional[Mapping[str, str]] = None,
                      plugin_path: Optional[Sequence[str]] = None) -> YamlPlan:
        """Loads a YAML topology file through nimbus and checks its structure (as
        `gale validate` does, except asking the plugins: that needs them uploaded).
        Returns the ttypes.YamlTopologyPlan (name, plugins, warnings); raises
        InvalidTopology with the loader's file:line:column errors."""
        request = self._yaml_request(path, filter_file, env, plugin_path)
        return self._call("planYamlTopology", request)

    def submit_yaml(self, path: str, filter_file: Optional[str] = None, inactive: bool = False,
                    env: Optional[Mapping[str, str]] = None,
                    plugin_path: Optional[Sequence[str]] = None,
                    on_warning: Optional[Callable[[str], None]] = None) -> str:
        """Does what `gale submit FILE [--filter PROPS] [--inactive]` does: loads and
        validates the YAML file (includes, ${name} from `filter_file`, ${ENV-NAME}
        from `env`, default os.environ), uploads the plugins it names (unless nimbus
        has them), and submits it. Returns the topology's name. With shell
        (multilang) components, the resources/ folder next to the file is packed
        and uploaded too (GNU tar), and workers run the commands in it.

        Gale's own loader reads the file, in nimbus (planYamlTopology,
        submitYamlTopology): only the files and environment variables it asks for
        are sent. Plugins named without a '/' are looked for next to the file, then
        in `plugin_path` (default $GALE_PLUGIN_PATH). Warnings go to `on_warning`
        (default: logged to the "gale_client" logger)."""
        request = self._yaml_request(path, filter_file, env, plugin_path)
        plan = self._call("planYamlTopology", request)  # the structure, before any upload
        for w in plan.warnings:
            (on_warning or _log.warning)(w)
        for ref in request.plugins:
            self.upload_plugin(ref.name, ref.sha256)
        if plan.shell_components:
            request.resources_sha256 = self._upload_resources(request.file)
        return str(self._call("submitYamlTopology", request, self._submit_options(inactive),
                              timeout=SUBMIT_TIMEOUT))

    def _upload_resources(self, topology_file: str) -> Optional[str]:
        """Shell components' code, as `gale submit` sends it: the resources/
        folder next to the topology file packed into one tar archive (GNU tar
        with gale's flags, so the same folder always has the same SHA-256) and
        uploaded like a plugin. Returns its hash; None without the folder."""
        folder = os.path.join(os.path.dirname(topology_file), "resources")
        if not os.path.isdir(folder):
            return None
        with tempfile.TemporaryDirectory(prefix="gale-resources-") as tmp:
            archive = os.path.join(tmp, "resources.tar")
            try:
                r = subprocess.run(["tar"] + list(RESOURCES_TAR_FLAGS) +
                                   ["-C", folder, "-cf", archive, "."],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   universal_newlines=True)
            except OSError as e:
                raise InvalidTopology("packing resources folder '%s': cannot run tar: %s"
                                      % (folder, e)) from e
            if r.returncode != 0:
                raise InvalidTopology("packing resources folder '%s': tar failed: %s"
                                      % (folder, r.stderr.strip()))
            return self.upload_plugin(archive)


def connect(host: str = "127.0.0.1", port: int = 6627, timeout: Optional[float] = 10.0, *,
            ca_file: Optional[str] = None, cert_file: Optional[str] = None,
            key_file: Optional[str] = None, user: Optional[str] = None,
            token: Optional[str] = None) -> Nimbus:
    """A Nimbus connection. `timeout` (seconds) bounds connecting and every call
    (submits get at least 60 s); None waits forever. TLS (ca_file, cert_file,
    key_file) and token authentication (user, token) are for a nimbus that
    requires them (clients/README.md, "TLS and token authentication")."""
    return Nimbus(host, port, timeout, ca_file=ca_file, cert_file=cert_file,
                  key_file=key_file, user=user, token=token)
