# -*- test-case-name: tests.test_data,tests.test_integration -*-
"""
Data connections: Twisted's DTP under TLS, accepted only from the session's
own client, and, where the operator asks, only when they resume the control
connection's TLS session.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from twisted.internet import defer
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IAddress, IHandshakeListener
from twisted.logger import Logger
from twisted.protocols import ftp
from twisted.protocols.tls import BufferingTLSTransport, TLSMemoryBIOFactory
from twisted.python.failure import Failure
from zope.interface import directlyProvides, implementer, providedBy

from .replies import CannotOpenDataConnection
from .tls import SessionTLS, resumed

log = Logger()


class _Withholding:
    """
    The TCP transport under a data connection's TLS, able to keep back
    what is written to it until it is released or closed.

    Everything else is the TCP transport's own.
    """

    _held: list[bytes] | None = None

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        directlyProvides(self, *providedBy(transport))

    def withhold(self) -> None:
        if self._held is None:
            self._held = []

    def release(self) -> None:
        held, self._held = self._held, None
        if held:
            self._transport.writeSequence(held)

    def write(self, data: bytes) -> None:
        if self._held is None:
            self._transport.write(data)
        else:
            self._held.append(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        if self._held is None:
            self._transport.writeSequence(data)
        else:
            self._held.extend(data)

    def loseConnection(self) -> None:
        self.release()
        self._transport.loseConnection()

    def abortConnection(self) -> None:
        self._held = None
        self._transport.abortConnection()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class DataTLS(BufferingTLSTransport):
    """
    TLS on a data connection, which can keep back the records TLS sends of
    its own accord after the handshake.

    Under TLS 1.3 the server sends session tickets once the handshake is
    over. A client that uploads does not read its data connection, so the
    tickets wait unread in its socket; closing a socket with unread bytes
    makes the kernel send a reset and throw away whatever the client had
    not yet sent, which is the end of the upload. Held back until the
    server sends data of its own, or closes, the tickets never arrive
    unread. Nothing is reordered: the held records go first.
    """

    def makeConnection(self, transport: Any) -> None:
        self._wire = _Withholding(transport)
        super().makeConnection(self._wire)

    def withhold(self) -> None:
        """Keep back what TLS writes from now on (see the class)."""
        self._wire.withhold()

    def release(self) -> None:
        """Send what was kept back, and stop keeping anything back."""
        self._wire.release()


class DataTLSFactory(TLSMemoryBIOFactory):
    """A passive port's factory: the session's TLS around its data factory."""

    protocol = DataTLS

    def __init__(self, session: SessionTLS, wrappedFactory: DataChannelFactory) -> None:
        super().__init__(session, False, wrappedFactory)
        self.session = session

    def buildProtocol(self, addr: IAddress) -> Any:
        # Twisted's would wrap a refusal (None) and then fail on it.
        inner = self.wrappedFactory.buildProtocol(addr)
        if inner is None:
            return None
        return self.protocol(self, inner)


@implementer(IHandshakeListener)
class DataChannel(ftp.DTP):
    """
    Twisted's data connection, with these differences.

    A connection lost without a clean close is reported as a failure. In
    stream mode the end of the connection is the end of the file, and over
    TLS only a close_notify proves that the client meant it; an upload cut
    short by a crash or a network fault must not be stored as if complete.

    Closing waits for the TLS handshake. Clients connect, send the command,
    and only handshake after the 150 reply; closing before that (an empty
    listing, an empty file) would reset the connection under them.

    When the session requires it, a handshake that did not resume the
    control connection's TLS session ends the connection, and the transfer
    fails with a 425 reply.
    """

    #: Why the connection ended, once it has.
    lost: Failure | None = None
    #: Why the server refused the connection, if it did: the transfer's reply.
    refusal: Failure | None = None
    _handshake_done = False
    _sending = False

    def connectionMade(self) -> None:
        self._handshake_waiters: list[defer.Deferred[None]] = []
        super().connectionMade()

    def handshakeCompleted(self) -> None:
        handle = self.transport.getHandle()
        reused = resumed(handle)
        log.debug(
            "data connection from {client}: {version}, {session} TLS session",
            client=self.pi.client_address,
            version=handle.get_protocol_version_name(),
            session="resumed" if reused else "new",
        )
        if self.pi.require_session_reuse and not reused:
            self.refusal = Failure(
                CannotOpenDataConnection(
                    "the data connection did not resume the control connection's TLS session;"
                    " this server requires it."
                )
            )
            log.warn(
                "refused a data connection from {client}: no TLS session reuse",
                client=self.pi.client_address,
            )
            self.transport.abortConnection()
            return
        # Only TLS 1.3 sends tickets after the handshake. Under TLS 1.2 what
        # is queued now is the end of the handshake itself (the server
        # speaks last in a full one), which the client must have.
        if not self._sending and handle.get_protocol_version_name() == "TLSv1.3":
            self.transport.withhold()
        self._handshake_done = True
        waiters, self._handshake_waiters = self._handshake_waiters, []
        for waiter in waiters:
            waiter.callback(None)

    def write(self, data: bytes) -> None:
        self._send()
        super().write(data)

    def sendLine(self, line: bytes) -> None:
        self._send()
        super().sendLine(line)

    def _send(self) -> None:
        if not self._sending:
            self._sending = True
            self.transport.release()

    def close(self) -> defer.Deferred[None]:
        """
        Close once the handshake is done, sending whatever is buffered
        first. Fails if the connection is lost before any TLS handshake: a
        client that never spoke TLS received nothing.
        """
        if self._handshake_done:
            self._end()
            return defer.succeed(None)
        if self.refusal is not None or self.lost is not None:
            return defer.fail(self.refusal or self.lost)
        waiter: defer.Deferred[None] = defer.Deferred()
        waiter.addCallback(lambda _: self._end())
        self._handshake_waiters.append(waiter)
        return waiter

    def _end(self) -> None:
        # The close_notify is the server's own to send, and must not wait
        # behind a withheld ticket for the client's.
        self._send()
        self.transport.loseConnection()

    def unregisterProducer(self) -> None:
        if not self.isConnected:
            # The connection is gone (aborted, or lost); TLS has nothing
            # left to unregister or shut down.
            return
        self.transport.unregisterProducer()
        self.close().addErrback(lambda _: None)

    def connectionLost(self, reason: Failure) -> None:
        self.isConnected = False
        # A refusal is the reason the connection ended, not its abort.
        reason = self.refusal or reason
        self.lost = reason
        waiters, self._handshake_waiters = self._handshake_waiters, []
        for waiter in waiters:
            waiter.errback(reason)
        waiting = self._onConnLost
        if waiting is not None:
            if reason.check(ConnectionDone):
                waiting.callback(None)
            else:
                waiting.errback(reason)

    def registerConsumer(self, consumer: Any) -> defer.Deferred[None]:
        result = super().registerConsumer(consumer)
        if self.lost is not None and not self.lost.check(ConnectionDone):
            return defer.fail(self.lost)
        return result


class DataChannelFactory(ftp.DTPFactory):
    """Accept one data connection, and only from the session's own client."""

    def buildProtocol(self, addr: IAddress) -> DataChannel | None:
        if self._state is not self._IN_PROGRESS:
            return None
        if not self.pi.data_peer_allowed(addr.host):
            log.warn(
                "refused a data connection from {peer} for a session from {client}",
                peer=addr.host,
                client=self.pi.client_address,
            )
            return None
        self._state = self._FINISHED
        self.cancelTimeout()
        channel = DataChannel()
        channel.factory = self
        channel.pi = self.pi
        self.pi.dtpInstance = channel
        return channel
