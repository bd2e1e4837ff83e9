"""TopologyBuilder: a topology built in Python (no YAML file)."""

import hashlib
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ._generated import load as _load

_, ttypes = _load()

__all__ = ["TopologyBuilder", "config_value", "sha256_file", "ConfigScalar", "Outputs",
           "CHUNK_SIZE"]

CHUNK_SIZE = 1 << 20  # plugin upload chunks (nimbus takes at most 4 MiB)

ConfigScalar = Union[bool, int, float, str, None]
# stream id -> field names, or {"fields": [...], "direct": bool}
Outputs = Mapping[str, Union[Sequence[str], Mapping[str, Any]]]


def sha256_file(path: str) -> str:
    """Lower-case hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK_SIZE), b""):
            h.update(block)
    return h.hexdigest()


def config_value(value: ConfigScalar) -> Any:
    """A Python value as a ttypes.ConfigValue: bool, int, float, str or None."""
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


def _config_map(config: Optional[Mapping[str, ConfigScalar]]) -> Dict[str, Any]:
    return {str(k): config_value(v) for k, v in (config or {}).items()}


def _stream_decls(component_id: str, outputs: Optional[Outputs]) -> List[Any]:
    decls = []
    for stream, decl in (outputs or {}).items():
        direct = False
        if isinstance(decl, Mapping):
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

    def __init__(self, name: str) -> None:
        self.name = name
        self.components: List[Any] = []
        self.subscriptions: List[Any] = []
        self.topology_config: Dict[str, ConfigScalar] = {}
        # (path or None, name, sha256 or None)
        self.plugins: List[Tuple[Optional[str], str, Optional[str]]] = []

    # ---- components

    def _component(self, kind: int, id: str, class_name: str, parallelism: int,
                   outputs: Optional[Outputs], config: Optional[Mapping[str, ConfigScalar]],
                   num_tasks: int) -> "TopologyBuilder":
        self.components.append(ttypes.Component(
            id=id, kind=kind, class_name=class_name, parallelism=int(parallelism),
            num_tasks=int(num_tasks), config=_config_map(config),
            outputs=_stream_decls(id, outputs)))
        return self

    def spout(self, id: str, class_name: str, parallelism: int = 1,
              outputs: Optional[Outputs] = None,
              config: Optional[Mapping[str, ConfigScalar]] = None,
              num_tasks: int = 0) -> "TopologyBuilder":
        return self._component(ttypes.ComponentKind.SPOUT, id, class_name, parallelism, outputs,
                               config, num_tasks)

    def bolt(self, id: str, class_name: str, parallelism: int = 1,
             outputs: Optional[Outputs] = None,
             config: Optional[Mapping[str, ConfigScalar]] = None,
             num_tasks: int = 0) -> "TopologyBuilder":
        return self._component(ttypes.ComponentKind.BOLT, id, class_name, parallelism, outputs,
                               config, num_tasks)

    # ---- streams: `to` subscribes to `stream` of `from_`

    def grouping(self, from_: str, to: str, type: Union[int, str],
                 fields: Optional[Sequence[str]] = None,
                 stream: str = "default") -> "TopologyBuilder":
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

    def shuffle(self, from_: str, to: str, stream: str = "default") -> "TopologyBuilder":
        return self.grouping(from_, to, ttypes.GroupingType.SHUFFLE, stream=stream)

    def local_or_shuffle(self, from_: str, to: str, stream: str = "default") -> "TopologyBuilder":
        return self.grouping(from_, to, ttypes.GroupingType.LOCAL_OR_SHUFFLE, stream=stream)

    def fields(self, from_: str, to: str, fields: Sequence[str],
               stream: str = "default") -> "TopologyBuilder":
        return self.grouping(from_, to, ttypes.GroupingType.FIELDS, fields, stream)

    def partial_key(self, from_: str, to: str, fields: Sequence[str],
                    stream: str = "default") -> "TopologyBuilder":
        return self.grouping(from_, to, ttypes.GroupingType.PARTIAL_KEY, fields, stream)

    def global_(self, from_: str, to: str, stream: str = "default") -> "TopologyBuilder":
        return self.grouping(from_, to, ttypes.GroupingType.GLOBAL, stream=stream)

    def all(self, from_: str, to: str, stream: str = "default") -> "TopologyBuilder":
        return self.grouping(from_, to, ttypes.GroupingType.ALL, stream=stream)

    def none(self, from_: str, to: str, stream: str = "default") -> "TopologyBuilder":
        return self.grouping(from_, to, ttypes.GroupingType.NONE, stream=stream)

    def direct(self, from_: str, to: str, stream: str = "default") -> "TopologyBuilder":
        return self.grouping(from_, to, ttypes.GroupingType.DIRECT, stream=stream)

    # ---- topology config and plugins

    def config(self, key_or_dict: Union[str, Mapping[str, ConfigScalar]],
               value: ConfigScalar = None) -> "TopologyBuilder":
        """config("topology.workers", 2) or config({"topology.workers": 2, ...})."""
        if isinstance(key_or_dict, Mapping):
            self.topology_config.update(key_or_dict)
        else:
            self.topology_config[key_or_dict] = value
        return self

    def plugin(self, path: str) -> "TopologyBuilder":
        """A plugin library file; Nimbus.submit() uploads it (unless nimbus has it)."""
        self.plugins.append((path, os.path.basename(path), None))
        return self

    def uploaded_plugin(self, name: str, sha256: str) -> "TopologyBuilder":
        """A plugin nimbus already stores, by its SHA-256 (nothing is uploaded)."""
        self.plugins.append((None, name, sha256))
        return self

    def build(self, shas: Optional[Mapping[str, str]] = None) -> Any:
        """The ttypes.Topology; `shas` gives the SHA-256 of each plugin file (by path),
        computed here when missing."""
        shas = shas or {}
        refs = []
        for path, name, sha in self.plugins:
            if sha is None:
                assert path is not None
                sha = shas.get(path) or sha256_file(path)
            refs.append(ttypes.PluginRef(name=name, sha256=sha))
        return ttypes.Topology(name=self.name, components=list(self.components),
                               streams=list(self.subscriptions),
                               config=_config_map(self.topology_config), plugins=refs)
