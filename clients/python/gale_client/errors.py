"""The exceptions of gale_client: one hierarchy under GaleError.

Each exception nimbus declares (gale.thrift) becomes one of these, with
str(e) (and e.message) being nimbus's message exactly; the generated
exception is kept in e.thrift and as __cause__.

    GaleError
    ├── NotFound            NotAliveException: no topology of that name
    │   └── PluginNotFound  PluginNotFoundException: a plugin hash nimbus does not store
    ├── AlreadyAlive        AlreadyAliveException: the name is taken
    ├── InvalidTopology     InvalidTopologyException: the topology, YAML file or options
    ├── UploadError         UploadException: a plugin upload failed
    ├── IllegalState        IllegalStateException: not allowed in the topology's status
    ├── Unauthorized        AuthorizationException: not authenticated, or the role may not
    ├── ServerError         TApplicationException: nimbus itself failed
    └── Unavailable         nimbus cannot be reached, or the connection broke
        └── Timeout         nimbus did not answer in time

After a declared exception (the first seven) the connection stays usable;
after ServerError, Unavailable or Timeout it is closed.
"""

from typing import Optional

__all__ = ["GaleError", "NotFound", "PluginNotFound", "AlreadyAlive", "InvalidTopology",
           "UploadError", "IllegalState", "Unauthorized", "ServerError", "Unavailable", "Timeout"]


class GaleError(Exception):
    """Base class; str(e) is the message (nimbus's own for a declared exception)."""

    def __init__(self, message: str, thrift: Optional[BaseException] = None) -> None:
        super().__init__(message)
        self.message: str = message
        self.thrift: Optional[BaseException] = thrift

    @property
    def msg(self) -> str:
        """The message, under the name the generated exceptions use."""
        return self.message

    def __str__(self) -> str:
        return self.message


class NotFound(GaleError):
    """No topology of that name (NotAliveException)."""


class PluginNotFound(NotFound):
    """The topology needs a plugin nimbus does not store (PluginNotFoundException)."""


class AlreadyAlive(GaleError):
    """A topology of that name exists (AlreadyAliveException)."""


class InvalidTopology(GaleError):
    """The topology, its YAML file or the call's options are invalid (InvalidTopologyException)."""


class UploadError(GaleError):
    """A plugin upload failed (UploadException)."""


class IllegalState(GaleError):
    """The call is not allowed in the topology's status (IllegalStateException)."""


class Unauthorized(GaleError):
    """Nimbus refused the call (AuthorizationException): the connection is not
    authenticated, the user or token is wrong ("authentication failed for user
    'x'"), or the user's role may not make it ("user 'bob' (role reader) may not
    kill topology 'x'")."""


class ServerError(GaleError):
    """Nimbus failed to handle the call (TApplicationException); the connection is closed."""


class Unavailable(GaleError):
    """Nimbus cannot be reached or the connection broke; the connection is closed."""


class Timeout(Unavailable):
    """Nimbus did not answer within the timeout; the connection is closed."""
