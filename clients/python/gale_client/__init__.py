"""gale_client: the Python client of Gale's nimbus.

    import gale_client as gc
    with gc.connect("127.0.0.1", 6627) as nimbus:
        name = nimbus.submit_yaml("topologies/wordcount.yaml")   # as `gale submit`
        print(gc.status_name(nimbus.info(name).status))
        nimbus.rebalance(name, workers=2, wait=0)
        nimbus.kill(name, wait=0)

Topologies come from a YAML file (submit_yaml, loaded by Gale's own loader in
nimbus) or are built in Python (TopologyBuilder, submit). Every call is
bounded by the connection's timeout. Errors are GaleError subclasses
(gale_client.errors), str() being nimbus's message. The structs are the
generated Thrift types, in gale_client.ttypes.
"""

from ._generated import generated_dir
from .builder import CHUNK_SIZE, ConfigScalar, Outputs, TopologyBuilder, config_value, sha256_file
from .client import SUBMIT_TIMEOUT, Nimbus, connect, status_name, ttypes
from .errors import (AlreadyAlive, GaleError, IllegalState, InvalidTopology, NotFound,
                     PluginNotFound, ServerError, Timeout, Unauthorized, Unavailable, UploadError)

__version__ = "0.1.0"

TopologyStatus = ttypes.TopologyStatus

# The names of the generated exceptions, for code written against them.
NotAliveException = NotFound
AlreadyAliveException = AlreadyAlive
InvalidTopologyException = InvalidTopology
PluginNotFoundException = PluginNotFound
UploadException = UploadError
IllegalStateException = IllegalState
AuthorizationException = Unauthorized

__all__ = [
    "connect", "Nimbus", "TopologyBuilder", "config_value", "sha256_file", "status_name",
    "generated_dir", "ttypes", "TopologyStatus", "CHUNK_SIZE", "SUBMIT_TIMEOUT",
    "ConfigScalar", "Outputs",
    "GaleError", "NotFound", "PluginNotFound", "AlreadyAlive", "InvalidTopology",
    "UploadError", "IllegalState", "Unauthorized", "ServerError", "Unavailable", "Timeout",
    "NotAliveException", "AlreadyAliveException", "InvalidTopologyException",
    "PluginNotFoundException", "UploadException", "IllegalStateException",
    "AuthorizationException",
]
