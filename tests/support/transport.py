"""
A control connection's transport for tests: a L{StringTransport} with the
TLS handle a real one has.

The server reads the control connection's TLS session (the
L{twisted_ftps3.tls.SessionTLS} its data connections belong to) through
C{getHandle()}, when it builds a data connection's TLS; this transport
hands over a real pyOpenSSL connection when a test has one, and a stand-in
with a session of its own when none is needed.
"""

from __future__ import annotations

from typing import Any, cast

from twisted.internet.testing import StringTransport

from twisted_ftps3.tls import ServerTLS, SessionTLS


class ControlHandle:
    """The OpenSSL connection of a control transport, as far as data connections ask."""

    #: A session that no test asks for a connection.
    session = SessionTLS(cast(ServerTLS, None), b"a stand-in")


class ControlTransport(StringTransport):
    """
    A control connection's transport.

    @param handle: what C{getHandle()} returns: a pyOpenSSL connection, or
        by default a L{ControlHandle}.
    """

    #: Whether the connection was aborted rather than closed.
    aborted = False

    def __init__(self, handle: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.handle = ControlHandle() if handle is None else handle

    def getHandle(self) -> Any:
        return self.handle

    def abortConnection(self) -> None:
        self.aborted = True
        super().abortConnection()


class DataTransport(StringTransport):
    """
    The TCP side of a data connection, as L{DataChannel} uses it under TLS:
    nothing is ever held back, so there is nothing to release.
    """

    #: Whether the connection was aborted rather than closed.
    aborted = False

    def abortConnection(self) -> None:
        self.aborted = True
        super().abortConnection()

    def withhold(self) -> None:
        pass

    def release(self) -> None:
        pass
