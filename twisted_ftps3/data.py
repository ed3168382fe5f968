# -*- test-case-name: tests.test_data,tests.test_integration -*-
"""
Data connections: Twisted's DTP under TLS, accepted only from the session's
own client, and, where the operator asks, only when they resume the control
connection's TLS session.

A data connection whose TLS handshake does not end in time is closed (425),
and one on which nothing moves for too long while the server waits on its
client is aborted (426); see L{DataChannel}.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from OpenSSL.SSL import Error as TLSError
from OpenSSL.SSL import WantReadError, ZeroReturnError
from twisted.internet import defer
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IAddress, IHandshakeListener, IPushProducer, IReactorTime
from twisted.logger import Logger
from twisted.protocols import ftp
from twisted.protocols.tls import BufferingTLSTransport, TLSMemoryBIOFactory
from twisted.python.failure import Failure
from zope.interface import directlyProvides, implementer, providedBy

from .interfaces import ISequenceConsumer
from .replies import CannotOpenDataConnection, TransferAborted
from .timeouts import DEFAULT_TIMEOUTS, Deadline, Timeouts
from .tls import SessionTLS, resumed, seal_whole_writes

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


#: Bytes read from a connection to S3 at a time, and how much it buffers
#: before it pauses what writes into it: four times Twisted's 64 KiB, so
#: that a transfer takes a quarter of the reads and of the trips through the
#: HTTP parser, per byte.
READ_SIZE = 256 * 1024
#: The same for a data connection, sixteen times Twisted's: an upload hands
#: on the TLS records of a read together, and a download's producer (the
#: GET) is paused and resumed only once this much waits for the client.
#: Against 256 KiB it took the server's CPU per GB to 0.91x up and 0.86x
#: to 0.95x down (benchmarks/against_commit.py).
DATA_READ_SIZE = 1024 * 1024
#: Bytes handed to the kernel in one send, four times Twisted's 128 KiB: on
#: a download the sends to the client are the largest share of the CPU, and
#: larger ones cost less per byte.
SEND_SIZE = 512 * 1024
#: The most a TLS record adds to the 16 KiB of data it can carry (TLS 1.3's
#: bound; TLS 1.2's AES-GCM adds 29 bytes).
RECORD_DATA = 16 * 1024
RECORD_OVERHEAD = 256


class DataTLS(BufferingTLSTransport):
    """
    TLS on a data connection, which can keep back the records TLS sends of
    its own accord after the handshake, and which reads and sends in larger
    pieces than Twisted's defaults (L{DATA_READ_SIZE}, L{SEND_SIZE}).

    Under TLS 1.3 the server sends session tickets once the handshake is
    over. A client that uploads does not read its data connection, so the
    tickets wait unread in its socket; closing a socket with unread bytes
    makes the kernel send a reset and throw away whatever the client had
    not yet sent, which is the end of the upload. Held back until the
    server sends data of its own, or closes, the tickets never arrive
    unread. Nothing is reordered: the held records go first.
    """

    def makeConnection(self, transport: Any) -> None:
        transport.bufferSize = DATA_READ_SIZE
        transport.SEND_LIMIT = SEND_SIZE
        self._wire = _Withholding(transport)
        super().makeConnection(self._wire)
        seal_whole_writes(self._tlsConnection)

    def _write(self, data: bytes) -> None:
        """
        Seal C{data} in one call to OpenSSL, and send its records in one write.

        Twisted's hands OpenSSL 16 KiB at a time and reads each record out
        on its own, about ten Python calls a record, which came to a third
        of a download's CPU (perf).
        """
        if self._lostTLSConnection:
            return
        try:
            self._tlsConnection.send(data)
        except WantReadError:
            self._bufferedWrite(data)
        except TLSError:
            self._tlsShutdownFinished(Failure())
        else:
            records = len(data) // RECORD_DATA + 1
            self._flushSendBIO(len(data) + records * RECORD_OVERHEAD)

    def _flushSendBIO(self, size: int = 2 * RECORD_DATA) -> None:
        """Send everything TLS has sealed, reading it out C{size} bytes at a time."""
        sealed = []
        while True:
            try:
                sealed.append(self._tlsConnection.bio_read(size))
            except WantReadError:
                break
        if len(sealed) == 1:
            self.transport.write(sealed[0])
        elif sealed:
            self.transport.writeSequence(sealed)

    def _flushReceiveBIO(self) -> None:
        """
        Open every whole record TLS holds, and hand them to the channel
        together (L{DataChannel.recordsReceived}), before any end of TLS
        that follows them.

        A read of TCP holds a dozen or so records; Twisted's hands each to
        the protocol on its own, six calls a record between TLS and the
        upload's part.
        """
        records: list[bytes] = []
        closed = False
        broken: Failure | None = None
        while not self._lostTLSConnection:
            try:
                records.append(self._tlsConnection.recv(RECORD_DATA))
            except WantReadError:
                break
            except ZeroReturnError:
                closed = True
                break
            except TLSError:
                broken = Failure()
                break
        if records and not self._aborted:
            self.wrappedProtocol.recordsReceived(records)
        if closed:
            self._shutdownTLS()
            self._tlsShutdownFinished(None)
        elif broken is not None:
            self._tlsShutdownFinished(broken)
        self._flushSendBIO()

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


@implementer(IPushProducer)
class _Watched:
    """
    A download's producer (the S3 response) as the data connection's
    transport sees it: the transport pauses it when the client stops
    reading, which is when the server waits on the client.
    """

    def __init__(self, producer: IPushProducer, waiting: Deadline) -> None:
        self._producer = producer
        self._waiting = waiting

    def pauseProducing(self) -> None:
        self._waiting.start()
        self._producer.pauseProducing()

    def resumeProducing(self) -> None:
        self._waiting.stop()
        self._producer.resumeProducing()

    def stopProducing(self) -> None:
        self._waiting.stop()
        self._producer.stopProducing()


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
    fails with a 425 reply; so does a handshake that has not ended within
    the session's bound (not counting the time the transfer spends getting
    ready before its 150 reply, which clients wait for before they
    handshake).

    Nothing may move for longer than the session's data-idle bound while
    the server waits on the client: for an upload, while the server is
    ready to take bytes (not while S3 holds the client back, which is the
    server's doing and no sign of a dead client); for a download, while the
    transport holds back what the client has not read (not while S3 is slow
    to send). Past the bound the connection is aborted and the transfer
    fails with 426; an aborted upload leaves nothing behind.
    """

    #: Why the connection ended, once it has.
    lost: Failure | None = None
    #: Why the server refused the connection, if it did: the transfer's reply.
    refusal: Failure | None = None
    _handshake_done = False
    _sending = False
    #: Whether the upload's consumer (S3) holds the client back now.
    _held_back = False

    def connectionMade(self) -> None:
        self._handshake_waiters: list[defer.Deferred[None]] = []
        clock, timeouts = self.factory.clock, self.factory.timeouts
        self._handshake = Deadline(clock, timeouts.tls_handshake, self._handshake_expired)
        self._idle = Deadline(clock, timeouts.data_idle, self._idle_expired)
        self._handshake.start()
        super().connectionMade()

    def server_busy(self) -> None:
        """
        The server is preparing the transfer (waiting on S3 before its 150
        reply): the client, which handshakes after that reply, is not the
        one waited on, so the handshake bound stops until L{server_ready}.
        """
        if not self._handshake_done:
            self._handshake.stop()

    def server_ready(self) -> None:
        """The transfer's 150 reply is sent: the handshake bound runs again, from now."""
        if not self._handshake_done and self.isConnected:
            self._handshake.start()

    def _handshake_expired(self) -> None:
        seconds = self._handshake.seconds
        self._expired(
            "no TLS handshake",
            CannotOpenDataConnection(f"no TLS handshake within {seconds:g} seconds."),
        )

    def _idle_expired(self) -> None:
        seconds = self._idle.seconds
        self._expired(
            f"nothing moved for {seconds:g} s",
            TransferAborted(f"no data moved for {seconds:g} seconds; the transfer was aborted."),
        )

    def _expired(self, what: str, reply: Exception) -> None:
        log.info(
            "data connection from {client}: {what}; aborting it",
            client=self.pi.client_address,
            what=what,
        )
        self.refuse(reply)

    def refuse(self, reply: Exception) -> None:
        """End the connection; C{reply} is what its transfer answers."""
        if self.refusal is None:
            self.refusal = Failure(reply)
        self.transport.abortConnection()

    def handshakeCompleted(self) -> None:
        self._handshake.stop()
        handle = self.transport.getHandle()
        reused = resumed(handle)
        if self.pi.log_debug:
            log.debug(
                "data connection from {client}: {version}, {session} TLS session",
                client=self.pi.client_address,
                version=handle.get_protocol_version_name(),
                session="resumed" if reused else "new",
            )
        if self.pi.require_session_reuse and not reused:
            log.warn(
                "refused a data connection from {client}: no TLS session reuse",
                client=self.pi.client_address,
            )
            self.refuse(
                CannotOpenDataConnection(
                    "the data connection did not resume the control connection's TLS session;"
                    " this server requires it."
                )
            )
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

    # -- the idle bound -----------------------------------------------------

    def registerProducer(self, producer: IPushProducer, streaming: bool) -> None:
        # A download: the transport pauses the producer when the client stops reading.
        super().registerProducer(_Watched(producer, self._idle), streaming)

    def dataReceived(self, data: bytes) -> None:
        if self._cons is not None and not self._held_back:
            self._idle.start()
        super().dataReceived(data)

    def recordsReceived(self, records: list[bytes]) -> None:
        """
        Take the records L{DataTLS} opened from one read: in one call to an
        upload's consumer that can take them so (L{ISequenceConsumer}), one
        at a time otherwise (an ASCII-mode upload, or before a consumer).
        """
        if len(records) > 1 and ISequenceConsumer.providedBy(self._cons):
            if not self._held_back:
                self._idle.start()
            self._cons.writeSequence(records)
            return
        for record in records:
            self.dataReceived(record)

    def pauseProducing(self) -> None:
        # An upload's consumer holds the client back: S3 is the one waited on.
        self._held_back = True
        self._idle.stop()
        super().pauseProducing()

    def resumeProducing(self) -> None:
        self._held_back = False
        if self._cons is not None and self.isConnected:
            self._idle.start()
        super().resumeProducing()

    def stopProducing(self) -> None:
        self._idle.stop()
        super().stopProducing()

    def unregisterProducer(self) -> None:
        self._idle.stop()
        if not self.isConnected:
            # The connection is gone (aborted, or lost); TLS has nothing
            # left to unregister or shut down.
            return
        self.transport.unregisterProducer()
        self.close().addErrback(lambda _: None)

    def connectionLost(self, reason: Failure) -> None:
        self.isConnected = False
        self._handshake.stop()
        self._idle.stop()
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
        # An upload: the client is waited on from now, unless the consumer
        # pauses it at once.
        if self.isConnected:
            self._idle.start()
        result = super().registerConsumer(consumer)
        if self.lost is not None and not self.lost.check(ConnectionDone):
            return defer.fail(self.lost)
        return result


class DataChannelFactory(ftp.DTPFactory):
    """
    Accept one data connection, and only from the session's own client.

    @param reactor: times the wait for the connection, and the channel's
        handshake and idle bounds, which C{timeouts} gives.
    """

    def __init__(
        self,
        pi: Any,
        peerHost: str | None = None,
        reactor: IReactorTime | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
    ) -> None:
        super().__init__(pi, peerHost, reactor)
        if reactor is None:
            from twisted.internet import reactor as default

            reactor = default  # type: ignore[assignment]
        self.clock: IReactorTime = reactor  # type: ignore[assignment]
        self.timeouts = timeouts

    # Twisted's three below log a legacy line each for every data connection,
    # whatever the log level: 8,000 of the 35,000 lines of a 1,000-session
    # visit. They do the same here without it.

    def setTimeout(self, seconds: float) -> None:
        self.delayedCall = self.clock.callLater(seconds, self.timeoutFactory)

    def cancelTimeout(self) -> None:
        if self.delayedCall is not None and self.delayedCall.active():
            self.delayedCall.cancel()

    def stopFactory(self) -> None:
        self.cancelTimeout()

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
