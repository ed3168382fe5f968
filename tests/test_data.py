"""
Tests for L{twisted_ftps3.data}: data connections, their TLS, and what they
hold back.

L{_Withholding} is tested over a L{StringTransport}. The rest runs a real
data connection in memory: the L{DataTLS} that L{DataTLSFactory} builds
around the L{DataChannel} of a L{DataChannelFactory}, over a
L{StringTransport}, with a pyOpenSSL client at the other end whose bytes the
test carries to and fro. The server's TLS comes from a L{ServerTLS} control
connection, made the same way, whose session the client can resume.

Under TLS 1.3 the server sends session tickets once the handshake is over;
those are the bytes the data connection holds back. The client's session
resumes only once it has read them, which is how the tests tell whether,
and when, they arrived.
"""

from __future__ import annotations

from typing import Any

import twisted.internet
from OpenSSL import SSL, crypto
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionAborted, ConnectionDone, ConnectionLost
from twisted.internet.interfaces import IConsumer, IHandshakeListener, IPushProducer, ITransport
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.logger import capturedLogs
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer, providedBy
from zope.interface.verify import verifyObject

from twisted_ftps3.data import (
    DATA_READ_SIZE,
    SEND_SIZE,
    DataChannel,
    DataChannelFactory,
    DataTLS,
    DataTLSFactory,
    _Withholding,
)
from twisted_ftps3.interfaces import ISequenceConsumer
from twisted_ftps3.replies import CannotOpenDataConnection
from twisted_ftps3.selfsigned import make_certificate, new_key
from twisted_ftps3.tls import ServerTLS, SessionTLS, resumed

from .support.tlspair import (
    client_connection,
    client_context,
    handshake_between,
    session_after,
)
from .support.transport import ControlTransport

CLIENT = IPv4Address("TCP", "203.0.113.9", 50123)
SERVER = IPv4Address("TCP", "198.51.100.7", 40000)


class RecordingTransport(StringTransport):
    """
    A L{StringTransport} that also records what was done to it, in order.

    @ivar aborted: whether C{abortConnection} was called.
    """

    aborted = False

    def __init__(self) -> None:
        super().__init__(hostAddress=SERVER, peerAddress=CLIENT)
        self.events: list[tuple[str, bytes] | tuple[str]] = []

    def write(self, data: bytes) -> None:
        self.events.append(("write", data))
        super().write(data)

    def writeSequence(self, data: Any) -> None:
        data = list(data)
        self.events.append(("writeSequence", b"".join(data)))
        super().writeSequence(data)

    def loseConnection(self) -> None:
        self.events.append(("loseConnection",))
        super().loseConnection()

    def abortConnection(self) -> None:
        self.events.append(("abortConnection",))
        self.aborted = True
        self.disconnecting = True


class WithholdingTests(SynchronousTestCase):
    """L{_Withholding} over a TCP transport."""

    def setUp(self) -> None:
        self.tcp = RecordingTransport()
        self.wire = _Withholding(self.tcp)

    def test_passes_writes_through(self) -> None:
        """Until asked to withhold, writes reach the transport at once."""
        self.wire.write(b"one ")
        self.wire.writeSequence([b"two ", b"three"])
        self.assertEqual(self.tcp.value(), b"one two three")

    def test_withholds_write(self) -> None:
        """After C{withhold}, a write does not reach the transport."""
        self.wire.withhold()
        self.wire.write(b"ticket")
        self.assertEqual(self.tcp.value(), b"")

    def test_withholds_write_sequence(self) -> None:
        """After C{withhold}, a C{writeSequence} does not reach the transport either."""
        self.wire.withhold()
        self.wire.writeSequence([b"ticket 1", b"ticket 2"])
        self.assertEqual(self.tcp.value(), b"")

    def test_release_in_order(self) -> None:
        """
        C{release} writes what was held, in the order it was written, and
        before anything written afterwards, which passes through again.
        """
        self.wire.withhold()
        self.wire.write(b"a")
        self.wire.writeSequence([b"b", b"c"])
        self.wire.write(b"d")
        self.wire.release()
        self.wire.write(b"e")
        self.assertEqual(self.tcp.value(), b"abcde")

    def test_release_nothing_held(self) -> None:
        """C{release} with nothing held writes nothing, not even an empty string."""
        self.wire.release()
        self.wire.withhold()
        self.wire.release()
        self.assertEqual(self.tcp.events, [])

    def test_withhold_again_keeps_held(self) -> None:
        """A second C{withhold} keeps what the first one held."""
        self.wire.withhold()
        self.wire.write(b"first")
        self.wire.withhold()
        self.wire.write(b" second")
        self.wire.release()
        self.assertEqual(self.tcp.value(), b"first second")

    def test_lose_connection_flushes(self) -> None:
        """C{loseConnection} writes what was held, then closes the transport."""
        self.wire.withhold()
        self.wire.write(b"ticket")
        self.wire.loseConnection()
        self.assertEqual(self.tcp.events, [("writeSequence", b"ticket"), ("loseConnection",)])

    def test_lose_connection_nothing_held(self) -> None:
        """C{loseConnection} with nothing held just closes the transport."""
        self.wire.loseConnection()
        self.assertEqual(self.tcp.events, [("loseConnection",)])

    def test_abort_drops_held(self) -> None:
        """C{abortConnection} throws away what was held and aborts the transport."""
        self.wire.withhold()
        self.wire.write(b"ticket")
        self.wire.abortConnection()
        self.assertEqual((self.tcp.events, self.tcp.aborted), ([("abortConnection",)], True))

    def test_other_attributes_proxied(self) -> None:
        """Everything else is the transport's own: its addresses, its state."""
        self.tcp.loseConnection()
        self.assertEqual(
            (self.wire.getPeer(), self.wire.getHost(), self.wire.disconnecting),
            (CLIENT, SERVER, True),
        )

    def test_same_interfaces(self) -> None:
        """It provides exactly the interfaces the transport provides."""
        self.assertEqual(set(providedBy(self.wire)), set(providedBy(self.tcp)))

    def test_provides_transport(self) -> None:
        """In particular, it is a transport, as TLS asks of what it wraps."""
        self.assertTrue(ITransport.providedBy(self.wire))


class FakePI:
    """The control connection's protocol, as far as a data connection asks."""

    client_address = CLIENT.host
    log_debug = True

    def __init__(self, require_session_reuse: bool = False) -> None:
        self.require_session_reuse = require_session_reuse
        self.dtpInstance: DataChannel | None = None

    def data_peer_allowed(self, host: str) -> bool:
        return host == self.client_address


class DataChannelFactoryTests(SynchronousTestCase):
    """
    L{DataChannelFactory} times the wait for its connection as Twisted's
    does, without a log line for each step.
    """

    def test_timeoutFires(self) -> None:
        """The wait set with C{setTimeout} fails the factory's Deferred when it ends."""
        clock = Clock()
        factory = DataChannelFactory(FakePI(), None, clock)
        failures: list[Failure] = []
        factory.deferred.addErrback(failures.append)
        factory.setTimeout(30)
        clock.advance(29)
        self.assertEqual(failures, [])
        clock.advance(1)
        self.assertEqual(len(failures), 1)

    def test_stopCancels(self) -> None:
        """Stopping the factory cancels the wait; nothing is logged along the way."""
        clock = Clock()
        factory = DataChannelFactory(FakePI(), None, clock)
        with capturedLogs() as events:
            factory.setTimeout(30)
            factory.cancelTimeout()
            factory.setTimeout(30)
            factory.stopFactory()
        self.assertEqual((clock.getDelayedCalls(), events), ([], []))


@implementer(IConsumer)
class Collector:
    """Where an upload goes: the bytes written to it, in order."""

    def __init__(self) -> None:
        self.data = b""
        self.producer: IPushProducer | None = None

    def registerProducer(self, producer: IPushProducer, streaming: bool) -> None:
        self.producer = producer

    def unregisterProducer(self) -> None:
        self.producer = None

    def write(self, data: bytes) -> None:
        self.data += data


@implementer(ISequenceConsumer)
class SequenceCollector(Collector):
    """A L{Collector} that also takes records together, and counts each call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def write(self, data: bytes) -> None:
        self.calls.append(1)
        super().write(data)

    def writeSequence(self, data: list[bytes]) -> None:
        self.calls.append(len(data))
        self.data += b"".join(data)


class DataLink:
    """
    One data connection, in memory: the server side as a passive port
    builds it, and a pyOpenSSL client.

    @ivar tls: the server's L{DataTLS}.
    @ivar tcp: the TCP transport under it; what is written to it is what
        the server has sent, not yet carried to the client.
    @ivar channel: the server's L{DataChannel}.
    """

    def __init__(self, session: SessionTLS, pi: FakePI, client: SSL.Connection) -> None:
        #: The clock of the channel's handshake and idle bounds.
        self.clock = Clock()
        factory = DataTLSFactory(session, DataChannelFactory(pi, None, self.clock))
        tls = factory.buildProtocol(CLIENT)
        assert isinstance(tls, DataTLS)
        self.tls = tls
        self.tcp = RecordingTransport()
        self.tls.makeConnection(self.tcp)
        assert pi.dtpInstance is not None
        self.channel = pi.dtpInstance
        self.client = client
        self.client.set_connect_state()

    def to_server(self) -> None:
        """Carry what the client has sent to the server."""
        try:
            data = self.client.bio_read(65536)
        except SSL.WantReadError:
            return
        self.tls.dataReceived(data)

    def to_client(self) -> bytes:
        """Carry what the server has sent to the client, and return it."""
        data = self.tcp.value()
        self.tcp.clear()
        if data:
            self.client.bio_write(data)
        return data

    def shake(self) -> bool:
        """
        Carry bytes both ways until the client's handshake is done, then
        carry the client's last flight to the server. What the server sends
        after that stays in C{tcp}.

        @return: whether the client's handshake got done.
        """
        for _ in range(10):
            try:
                self.client.do_handshake()
            except SSL.WantReadError:
                self.to_server()
                self.to_client()
            else:
                self.to_server()
                return True
        return False

    def handshake(self) -> None:
        """Complete the handshake on both sides (see L{shake})."""
        if not self.shake():
            raise AssertionError("the client's handshake did not finish")
        # The server has the client's Finished message: its side is over.
        if self.tls.getHandle().get_peer_finished() is None:
            raise AssertionError("the server's handshake did not finish")

    def read(self) -> tuple[bytes, bool]:
        """
        Carry what the server has sent to the client, and have the client
        read it all.

        @return: the data the client read, and whether the server closed
            TLS cleanly (a close_notify) after it.
        """
        self.to_client()
        data = b""
        while True:
            try:
                data += self.client.recv(65536)
            except SSL.WantReadError:
                return data, False
            except SSL.ZeroReturnError:
                return data, True

    def read_first(self) -> bytes:
        """Carry what the server has sent, and have the client read one record's data."""
        self.to_client()
        return self.client.recv(65536)

    def lose(self, reason: Exception) -> None:
        """The TCP connection ends for C{reason}, as the reactor would report it."""
        self.tls.connectionLost(Failure(reason))


class DataLinkTestCase(SynchronousTestCase):
    """
    A control connection, with the session its client keeps, and the means
    to make data connections for it.

    The global reactor, which schedules the flush of what TLS aggregates,
    is a L{Clock} while a test runs.
    """

    version = SSL.TLS1_3_VERSION
    #: Whether the client asks for session tickets (without, TLS 1.2 resumes by session ID).
    tickets = True
    require_session_reuse = False

    def setUp(self) -> None:
        self.reactor = Clock()
        self.patch(twisted.internet, "reactor", self.reactor)
        key = new_key()
        self.server_tls = ServerTLS(
            certificate=crypto.X509.from_cryptography(make_certificate(key, "localhost")),
            key=crypto.PKey.from_cryptography_key(key),
        )
        self.client_context = client_context(self.version, self.tickets)
        # Kept until the test ends: OpenSSL forgets the session of a
        # connection freed without a TLS shutdown.
        self.kept: list[Any] = []
        self.control, self.session = self.control_connection()
        self.tls = SessionTLS.of(ControlTransport(self.control))

    def control_connection(self) -> tuple[SSL.Connection, SSL.Session]:
        """A control connection's server side, and the session its client keeps."""
        server = self.server_tls.serverConnectionForTLS(object())
        client = client_connection(self.client_context)
        handshake_between(client, server)
        self.kept += [server, client]
        return server, session_after(client, server)

    def link(self, session: SSL.Session | None = None) -> DataLink:
        """A data connection of this session, from a client offering C{session}."""
        link = DataLink(
            self.tls,
            FakePI(self.require_session_reuse),
            client_connection(self.client_context, session),
        )
        self.kept.append(link)
        return link

    def resumes(self, session: SSL.Session) -> bool:
        """Whether C{session} resumes on a new data connection of this session."""
        link = self.link(session)
        link.handshake()
        return resumed(link.tls.getHandle())


class TicketTests(DataLinkTestCase):
    """
    TLS 1.3 session tickets on a data connection are held back until the
    server sends data or closes.
    """

    def test_handshake_listener(self) -> None:
        """A data channel hears of its TLS handshake's end (IHandshakeListener)."""
        self.assertTrue(verifyObject(IHandshakeListener, self.link().channel))

    def test_control_session_resumes(self) -> None:
        """
        The session of the control connection resumes on a data
        connection: the link works as a passive port's does.
        """
        self.assertTrue(self.resumes(self.session))

    def test_session_needs_tickets(self) -> None:
        """
        A client's session taken before it has read the tickets does not
        resume: resuming is how the tests below tell that they arrived.
        """
        server = self.server_tls.serverConnectionForTLS(object())
        client = client_connection(self.client_context)
        handshake_between(client, server)
        self.kept += [server, client]
        self.assertFalse(self.resumes(client.get_session()))

    def test_nothing_after_handshake(self) -> None:
        """
        When the channel has written nothing, nothing reaches the client
        after the handshake, even once the reactor has run.
        """
        link = self.link()
        link.handshake()
        self.reactor.advance(0)
        self.assertEqual(link.tcp.value(), b"")

    def test_session_not_resumable_while_held(self) -> None:
        """The client cannot resume its session yet: it has no ticket."""
        link = self.link()
        link.handshake()
        link.to_client()
        self.assertFalse(self.resumes(link.client.get_session()))

    def test_nothing_after_resumed_handshake(self) -> None:
        """What the server sends after a resumed handshake is held back too."""
        link = self.link(self.session)
        link.handshake()
        self.reactor.advance(0)
        self.assertEqual((resumed(link.tls.getHandle()), link.tcp.value()), (True, b""))

    def test_write_sends_tickets_then_data(self) -> None:
        """
        Data the channel writes arrives intact, after the held tickets: the
        client has processed them by the time it reads the data.
        """
        link = self.link()
        link.handshake()
        link.channel.write(b"the contents of a file")
        self.reactor.advance(0)
        self.assertEqual(link.read_first(), b"the contents of a file")
        self.assertTrue(self.resumes(link.client.get_session()))

    def test_send_line_sends_tickets_then_data(self) -> None:
        """A listing line arrives intact, after the held tickets."""
        link = self.link()
        link.handshake()
        link.channel.sendLine(b"-rw-r--r-- 1 owner group 3 Jan 01 00:00 a.txt")
        self.reactor.advance(0)
        self.assertEqual(link.read_first(), b"-rw-r--r-- 1 owner group 3 Jan 01 00:00 a.txt\r\n")
        self.assertTrue(self.resumes(link.client.get_session()))

    def test_several_writes(self) -> None:
        """Every write arrives, in order, and nothing else does."""
        link = self.link()
        link.handshake()
        link.channel.write(b"one ")
        link.channel.sendLine(b"two")
        link.channel.write(b"three")
        self.reactor.advance(0)
        self.assertEqual(link.read(), (b"one two\r\nthree", False))

    def test_close_sends_tickets_then_close_notify(self) -> None:
        """
        Closing an idle channel sends the held tickets and then a
        close_notify: the client processes both, and sees a clean close.
        """
        link = self.link()
        link.handshake()
        self.assertIsNone(self.successResultOf(link.channel.close()))
        self.assertEqual(link.read(), (b"", True))
        self.assertTrue(self.resumes(link.client.get_session()))

    def test_close_completes(self) -> None:
        """
        Once the client answers the close_notify, the server closes TCP, and
        the channel reports a clean end.
        """
        link = self.link()
        link.handshake()
        link.channel.close()
        link.read()
        link.client.shutdown()
        link.to_server()
        self.assertTrue(link.tcp.disconnecting)
        link.lose(ConnectionDone())
        assert link.channel.lost is not None
        self.assertTrue(link.channel.lost.check(ConnectionDone))

    def test_write_then_close(self) -> None:
        """Data written, then a close: the client reads the data and a clean close."""
        link = self.link()
        link.handshake()
        link.channel.write(b"last bytes")
        link.channel.close()
        self.assertEqual(link.read(), (b"last bytes", True))

    def test_write_before_handshake(self) -> None:
        """
        Data written before the handshake (a listing sent before the client
        starts TLS) is sent once it is over, without waiting for a close.
        """
        link = self.link()
        link.channel.write(b"a listing")
        self.reactor.advance(0)
        link.handshake()
        self.reactor.advance(0)
        self.assertEqual(link.read(), (b"a listing", False))

    def test_close_before_handshake_waits(self) -> None:
        """A close before the handshake waits for it, and does not end TLS early."""
        link = self.link()
        closing = link.channel.close()
        self.assertNoResult(closing)
        self.assertEqual(link.tcp.disconnecting, False)

    def test_close_before_handshake_then_clean(self) -> None:
        """
        A close before the handshake (an empty listing) happens once the
        handshake is over: tickets, then a close_notify, both processed.
        """
        link = self.link()
        closing = link.channel.close()
        link.handshake()
        self.assertIsNone(self.successResultOf(closing))
        self.assertEqual(link.read(), (b"", True))
        self.assertTrue(self.resumes(link.client.get_session()))

    def test_upload_receives_nothing(self) -> None:
        """
        An uploading client is sent nothing while it sends: its data
        reaches the consumer, and nothing goes back.
        """
        link = self.link(self.session)
        collector = Collector()
        link.channel.registerConsumer(collector)
        link.handshake()
        link.client.sendall(b"uploaded bytes")
        link.to_server()
        self.reactor.advance(0)
        self.assertEqual((collector.data, link.tcp.value()), (b"uploaded bytes", b""))

    def test_upload_clean_end(self) -> None:
        """
        When the uploading client ends TLS, the server sends the held
        tickets and then its own close_notify, which the client processes in
        that order; it closes, and the upload ends cleanly.
        """
        link = self.link(self.session)
        collector = Collector()
        done = link.channel.registerConsumer(collector)
        link.handshake()
        link.client.sendall(b"uploaded bytes")
        link.to_server()
        link.client.shutdown()
        link.to_server()
        self.assertEqual((link.read(), link.tcp.disconnecting), ((b"", True), True))
        self.assertTrue(self.resumes(link.client.get_session()))
        link.lose(ConnectionDone())
        self.assertIsNone(self.successResultOf(done))
        self.assertEqual(collector.data, b"uploaded bytes")

    def send_upload(self, collector: Collector, size: int) -> bytes:
        """
        Upload C{size} bytes into C{collector} over a new link, carried to
        the server in reads of 64 KiB, and return them.
        """
        link = self.link(self.session)
        link.channel.registerConsumer(collector)
        link.handshake()
        data = bytes(i % 253 for i in range(size))
        link.client.sendall(data)
        while True:
            before = len(collector.data)
            link.to_server()
            if len(collector.data) == before:
                break
        return data

    def test_upload_records_together(self) -> None:
        """
        The records of one read reach a consumer that can take them together
        in one call, whole and in order.
        """
        collector = SequenceCollector()
        data = self.send_upload(collector, 200 * 1024)
        self.assertEqual(collector.data, data)
        self.assertLess(len(collector.calls), 5)
        self.assertGreaterEqual(max(collector.calls), 3)

    def test_upload_records_one_by_one(self) -> None:
        """A consumer that takes only writes gets every record in order."""
        collector = Collector()
        data = self.send_upload(collector, 100 * 1024)
        self.assertEqual(collector.data, data)

    def test_upload_records_then_close(self) -> None:
        """Records that arrive with the client's close_notify come before the clean end."""
        link = self.link(self.session)
        collector = SequenceCollector()
        done = link.channel.registerConsumer(collector)
        link.handshake()
        data = bytes(i % 241 for i in range(40 * 1024))
        link.client.sendall(data)
        link.client.shutdown()
        link.tls.dataReceived(link.client.bio_read(1024 * 1024))
        self.assertEqual((collector.data, link.tcp.disconnecting), (data, True))
        link.lose(ConnectionDone())
        self.assertIsNone(self.successResultOf(done))

    def test_upload_records_then_broken_tls(self) -> None:
        """
        Records followed by bytes TLS cannot open are delivered, then the
        upload fails.
        """
        link = self.link(self.session)
        collector = SequenceCollector()
        done = link.channel.registerConsumer(collector)
        link.handshake()
        data = bytes(40 * 1024)
        link.client.sendall(data)
        link.tls.dataReceived(
            link.client.bio_read(1024 * 1024) + b"\x17\x03\x03\x00\x20" + bytes(32)
        )
        self.assertEqual((collector.data, link.tcp.disconnecting), (data, True))
        link.lose(ConnectionDone())
        self.failureResultOf(done)

    def test_upload_without_close_notify_fails(self) -> None:
        """
        An upload whose connection ends without a close_notify, even with a
        clean TCP close, fails: it may have been cut short.
        """
        link = self.link(self.session)
        done = link.channel.registerConsumer(Collector())
        link.handshake()
        link.client.sendall(b"the first half")
        link.to_server()
        link.lose(ConnectionDone())
        self.failureResultOf(done, ConnectionLost)

    def test_abort_drops_tickets(self) -> None:
        """
        Aborting an idle channel (a failed transfer) sends nothing: the
        held tickets and the close_notify TLS writes on its way out are
        dropped, so the end cannot look like a clean close.
        """
        link = self.link()
        link.handshake()
        link.channel.transport.abortConnection()
        self.assertEqual((link.tcp.value(), link.tcp.aborted), (b"", True))

    def test_read_and_send_sizes(self) -> None:
        """
        The TCP transport under a data connection reads and buffers a MiB,
        and sends 512 KiB at a time.
        """
        link = self.link()
        self.assertEqual((link.tcp.bufferSize, link.tcp.SEND_LIMIT), (DATA_READ_SIZE, SEND_SIZE))
        self.assertEqual((DATA_READ_SIZE, SEND_SIZE), (1024 * 1024, 512 * 1024))

    def test_refused_peer(self) -> None:
        """A connection from another address is refused before any TLS."""
        factory = DataTLSFactory(self.tls, DataChannelFactory(FakePI(), None, Clock()))
        self.assertIsNone(factory.buildProtocol(IPv4Address("TCP", "192.0.2.1", 50124)))


class TLS12DataTests(DataLinkTestCase):
    """
    Under TLS 1.2 no tickets follow the handshake: a resumed handshake ends
    with the client's Finished, a full one with the server's.
    """

    version = SSL.TLS1_2_VERSION

    def test_resumes(self) -> None:
        """The control connection's session resumes on a data connection."""
        self.assertTrue(self.resumes(self.session))

    def test_resumed_nothing_after_handshake(self) -> None:
        """After a resumed handshake the server has nothing more to send."""
        link = self.link(self.session)
        link.handshake()
        self.reactor.advance(0)
        self.assertEqual(link.tcp.value(), b"")

    def test_resumed_write(self) -> None:
        """Data written arrives intact, and a close is clean."""
        link = self.link(self.session)
        link.handshake()
        link.channel.write(b"the contents of a file")
        link.channel.close()
        self.assertEqual(link.read(), (b"the contents of a file", True))

    def test_resumed_close(self) -> None:
        """An idle channel closes cleanly."""
        link = self.link(self.session)
        link.handshake()
        link.channel.close()
        self.assertEqual(link.read(), (b"", True))

    def test_full_handshake_upload(self) -> None:
        """
        An upload over a full handshake (a client that does not resume,
        which the default settings accept) gets through.

        The last flight of a full TLS 1.2 handshake is the server's (its
        NewSessionTicket, ChangeCipherSpec and Finished), and the client
        sends nothing before it has it. The server must send it even though
        the channel has nothing to write.
        """
        link = self.link()
        collector = Collector()
        link.channel.registerConsumer(collector)
        self.assertTrue(link.shake(), "the client is still waiting for the server's Finished")
        link.client.sendall(b"uploaded bytes")
        link.to_server()
        self.assertEqual(collector.data, b"uploaded bytes")


class WholeWriteTests(DataLinkTestCase):
    """
    A large write is sealed in one call and reaches TCP in one write, in
    records of at most 16 KiB that the client reads back intact.
    """

    #: More than one record and more than the aggregator's 64 KiB.
    size = 1024 * 1024 + 5

    def ready(self) -> DataLink:
        """A link past its handshake whose held records have gone."""
        link = self.link()
        link.handshake()
        link.channel.write(b"first")
        self.reactor.advance(0)
        self.assertEqual(link.read(), (b"first", False))
        link.tcp.events.clear()
        return link

    def contents(self) -> bytes:
        """Bytes that differ from record to record, so that a misordering shows."""
        return bytes(i * 7 % 251 for i in range(self.size))

    def test_large_write_intact(self) -> None:
        """A 1 MiB write arrives whole and in order."""
        link = self.ready()
        link.channel.write(self.contents())
        self.reactor.advance(0)
        self.assertEqual(link.read(), (self.contents(), False))

    def test_large_write_one_send(self) -> None:
        """
        The records of one write reach TCP together: one write of about
        the data's size, not one per record.
        """
        link = self.ready()
        link.channel.write(self.contents())
        self.reactor.advance(0)
        self.assertEqual([event[0] for event in link.tcp.events], ["write"])
        sent = len(link.tcp.events[0][1])
        self.assertTrue(self.size < sent < self.size * 1.01, sent)

    def test_records_at_most_16k(self) -> None:
        """Each record the client reads carries at most 16 KiB."""
        link = self.ready()
        link.channel.write(self.contents())
        self.reactor.advance(0)
        link.to_client()
        sizes = []
        while True:
            try:
                sizes.append(len(link.client.recv(65536)))
            except SSL.WantReadError:
                break
        self.assertEqual((sum(sizes), max(sizes)), (self.size, 16 * 1024))

    def test_large_write_before_handshake(self) -> None:
        """
        A large write made before the handshake is held, and sent whole
        once the handshake is over.
        """
        link = self.link()
        link.channel.write(self.contents())
        self.reactor.advance(0)
        link.handshake()
        self.reactor.advance(0)
        self.assertEqual(link.read(), (self.contents(), False))

    def test_large_write_then_close(self) -> None:
        """A large write, then a close: the client reads it all, and a clean close."""
        link = self.ready()
        link.channel.write(self.contents())
        link.channel.close()
        self.assertEqual(link.read(), (self.contents(), True))


class TLS12WholeWriteTests(WholeWriteTests):
    """The same under TLS 1.2, whose records carry less overhead."""

    version = SSL.TLS1_2_VERSION


class RequiredReuseTests(DataLinkTestCase):
    """A session that requires its data connections to resume its TLS session."""

    require_session_reuse = True

    def refused(self) -> DataLink:
        """A data connection whose client offers no session, after its handshake."""
        link = self.link()
        link.handshake()
        return link

    def test_refusal_is_425(self) -> None:
        """The refusal is a L{CannotOpenDataConnection}: a 425 reply."""
        refusal = self.refused().channel.refusal
        assert refusal is not None
        self.assertTrue(refusal.check(CannotOpenDataConnection))
        self.assertTrue(refusal.value.response().startswith("425 "))

    def test_refusal_aborts(self) -> None:
        """The refused connection is aborted, not closed."""
        self.assertTrue(self.refused().tcp.aborted)

    def test_refusal_no_data(self) -> None:
        """Nothing the channel would write reaches the client."""
        link = self.refused()
        self.assertEqual(link.read()[0], b"")

    def test_refusal_close_fails(self) -> None:
        """Closing the refused channel fails with the refusal."""
        channel = self.refused().channel
        failure = self.failureResultOf(channel.close(), CannotOpenDataConnection)
        self.assertIs(failure, channel.refusal)

    def test_refusal_is_connection_lost_reason(self) -> None:
        """The channel reports the refusal, not the abort, as why the connection ended."""
        link = self.refused()
        link.lose(ConnectionAborted())
        self.assertIs(link.channel.lost, link.channel.refusal)

    def test_refusal_fails_waiting_close(self) -> None:
        """A close waiting for the handshake fails with the refusal once the connection ends."""
        link = self.link()
        closing = link.channel.close()
        link.handshake()
        link.lose(ConnectionAborted())
        self.failureResultOf(closing, CannotOpenDataConnection)

    def test_refusal_fails_upload(self) -> None:
        """An upload over the refused connection fails with the refusal."""
        link = self.link()
        done = link.channel.registerConsumer(Collector())
        link.handshake()
        link.lose(ConnectionAborted())
        self.failureResultOf(done, CannotOpenDataConnection)

    def test_other_session_refused(self) -> None:
        """A session from another control connection of the server is refused too."""
        _, other = self.control_connection()
        link = self.link(other)
        link.handshake()
        self.assertEqual(
            (resumed(link.tls.getHandle()), link.channel.refusal is not None), (False, True)
        )

    def test_resumed_served(self) -> None:
        """A data connection that resumes the control connection's session is served."""
        link = self.link(self.session)
        link.handshake()
        link.channel.write(b"the contents of a file")
        link.channel.close()
        self.assertEqual(
            (link.channel.refusal, link.read()), (None, (b"the contents of a file", True))
        )

    def test_resumed_tickets_withheld(self) -> None:
        """A served connection holds back its tickets like any other."""
        link = self.link(self.session)
        link.handshake()
        self.reactor.advance(0)
        self.assertEqual((link.tcp.aborted, link.tcp.value()), (False, b""))


class TLS12RequiredReuseTests(RequiredReuseTests):
    """The same under TLS 1.2, the session resumed by ticket."""

    version = SSL.TLS1_2_VERSION


class TLS12SessionIDRequiredReuseTests(RequiredReuseTests):
    """The same under TLS 1.2, the session resumed by session ID: the client asks for no ticket."""

    version = SSL.TLS1_2_VERSION
    tickets = False


class HandshakeBoundTests(DataLinkTestCase):
    """A data connection whose TLS handshake has not ended within 30 s is aborted: 425."""

    def test_never_handshakes(self) -> None:
        """No handshake: at 30 s the connection is aborted, and its transfer will get 425."""
        link = self.link()
        link.clock.advance(29.9)
        self.assertFalse(link.tcp.aborted)
        link.clock.advance(0.1)
        self.assertTrue(link.tcp.aborted)
        refusal = link.channel.refusal
        assert refusal is not None
        self.assertEqual(refusal.value.response(), "425 no TLS handshake within 30 seconds.")
        link.lose(ConnectionAborted())
        self.failureResultOf(link.channel.close(), CannotOpenDataConnection)

    def test_handshakes(self) -> None:
        """A handshake in time stops the bound, and leaves no timer behind."""
        link = self.link()
        link.clock.advance(29)
        link.handshake()
        self.assertEqual(link.clock.getDelayedCalls(), [])
        link.clock.advance(100)
        self.assertEqual((link.tcp.aborted, link.channel.refusal), (False, None))

    def test_server_busy(self) -> None:
        """While the server prepares the transfer, the bound does not run."""
        link = self.link()
        link.channel.server_busy()
        link.clock.advance(100)
        self.assertFalse(link.tcp.aborted)

    def test_server_ready(self) -> None:
        """Once the server is ready, the bound runs again, from then."""
        link = self.link()
        link.channel.server_busy()
        link.clock.advance(100)
        link.channel.server_ready()
        link.clock.advance(29.9)
        self.assertFalse(link.tcp.aborted)
        link.clock.advance(0.1)
        self.assertTrue(link.tcp.aborted)

    def test_ready_after_handshake(self) -> None:
        """After the handshake, the server being ready starts no bound."""
        link = self.link()
        link.handshake()
        link.channel.server_ready()
        self.assertEqual(link.clock.getDelayedCalls(), [])

    def test_lost_before(self) -> None:
        """A connection lost before the bound leaves no timer behind."""
        link = self.link()
        link.lose(ConnectionAborted())
        self.assertEqual(link.clock.getDelayedCalls(), [])
