"""
Tests for L{twisted_ftps3.transfers}: RETR, STOR and the listings from
start to end, driven through a fake shell's L{IDownload} and L{IUpload},
and the listings through the real shell over an in-memory bucket.

Data connections arrive when a test says so (L{SessionTestCase.connect_data}),
as their TCP connection; no TLS handshake is made, so the transfers tested
here are those that end without one: refusals, and uploads, whose end is the
client closing the connection.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer
from twisted.internet.error import ConnectionAborted, ConnectionDone, ConnectionLost
from twisted.internet.interfaces import IPushProducer
from twisted.python.failure import Failure
from zope.interface import implementer
from zope.interface.verify import verifyObject

from twisted_ftps3.config import User
from twisted_ftps3.interfaces import IDownload
from twisted_ftps3.replies import LocalError
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.timeouts import Timeouts

from .support.memory_store import MemoryObjectStore
from .support.producers import FakeProducer
from .support.session import SessionTestCase
from .support.shells import memory_shells


class RestartTests(SessionTestCase):
    """REST: any offset is taken; RETR resumes from it, STOR refuses it."""

    def setUp(self) -> None:
        super().setUp()
        self.login()

    def test_rest_zero(self) -> None:
        """REST 0 is accepted with 350."""
        [line] = self.send(b"REST 0")
        self.assertTrue(line.startswith("350 "), line)

    def test_rest_nonzero(self) -> None:
        """REST 1 is accepted with 350, naming the offset."""
        [line] = self.send(b"REST 1")
        self.assertEqual(line, "350 Restarting at 1. Send RETR to resume a download.")

    def test_rest_not_a_number(self) -> None:
        """REST with no number is a syntax error: 501."""
        [line] = self.send(b"REST x")
        self.assertTrue(line.startswith("501 "), line)

    def test_rest_unicode_digits(self) -> None:
        """Digits other than ASCII ones (a superscript two) are a 501, not an internal error."""
        [line] = self.send("REST ²".encode())
        self.assertTrue(line.startswith("501 "), line)

    def test_retr_past_end(self) -> None:
        """RETR after a REST past the end of the file is a 554 that gives its size."""
        self.shell.files["f"] = b"abc"
        self.send(b"PASV")
        self.connect_data()
        self.send(b"REST 5")
        self.assertEqual(self.send(b"RETR f"), ["554 REST 5 is past the end of /f (3 bytes)."])

    def test_rest_forgotten_after_transfer(self) -> None:
        """A transfer uses the REST offset up: the next one starts from 0."""
        self.send(b"PASV")
        self.connect_data()
        self.send(b"REST 5")
        self.send(b"RETR missing")
        self.send(b"PASV")
        self.connect_data()
        self.send(b"STOR f")
        self.assertEqual(self.shell.calls[-1], ("openForWriting", ["f"]))


class WaitingForDataTests(SessionTestCase):
    """A transfer command that comes before its data connection waits for it."""

    def setUp(self) -> None:
        super().setUp()
        self.login()
        self.shell.files["f"] = b"abc"

    def test_no_pasv(self) -> None:
        """With no PASV first, there is nothing to wait for: 425 at once."""
        self.assertEqual(self.send(b"RETR f"), ["425 no data connection; send PASV first."])
        self.assertEqual(self.shell.calls, [])

    def test_waits(self) -> None:
        """RETR before the data connection answers nothing, and opens nothing yet."""
        self.send(b"PASV")
        self.assertEqual(self.send(b"RETR missing"), [])
        self.assertEqual(self.shell.calls, [])

    def test_starts_when_connected(self) -> None:
        """The transfer goes on once the data connection arrives."""
        self.send(b"PASV")
        self.send(b"RETR missing")
        self.connect_data()
        self.assertEqual(self.replies(), ["550 /missing: No such file or directory."])
        self.assertEqual(self.shell.calls, [("openForReading", ["missing"])])

    def test_noop_while_waiting(self) -> None:
        """A NOOP while the transfer waits is told the transfer is in progress."""
        self.send(b"PASV")
        self.send(b"RETR f")
        self.assertEqual(self.send(b"NOOP"), ["200 A transfer is in progress."])

    def test_never_connected(self) -> None:
        """
        If the data connection never comes, the transfer is refused with 425
        when the passive timeout passes, and the port goes back to the pool.
        """
        self.send(b"PASV")
        self.send(b"RETR f")
        self.transport.clear()
        self.clock.advance(self.protocol.dtpTimeout)
        self.global_reactor.advance(0)
        self.assertEqual(self.replies(), ["425 no data connection arrived in time."])
        self.assertEqual(self.ports.free, 2)
        self.assertEqual(self.shell.calls, [])

    def test_session_goes_on(self) -> None:
        """After that 425 the session serves commands again."""
        self.send(b"PASV")
        self.send(b"RETR f")
        self.clock.advance(self.protocol.dtpTimeout)
        self.global_reactor.advance(0)
        self.assertEqual(self.send(b"PWD"), ['257 "/" is the current directory.'])

    def test_abor(self) -> None:
        """ABOR while waiting ends the transfer with 426, then answers 226 itself."""
        self.send(b"PASV")
        self.send(b"RETR f")
        self.assertEqual(
            self.send(b"ABOR"),
            [
                "426 aborted before the data connection was made.",
                "226 ABOR successful; the transfer was stopped.",
            ],
        )
        self.assertEqual(self.ports.free, 2)


class UploadTests(SessionTestCase):
    """STOR through L{IUpload}: committed only when the client closed cleanly."""

    def setUp(self) -> None:
        super().setUp()
        self.login()
        self.send(b"PASV")
        self.channel = self.connect_data()
        self.assertEqual(
            self.send(b"STOR f"), ["125 Data connection already open, starting transfer"]
        )
        [self.upload] = self.shell.uploads

    def end(self, reason: Failure) -> list[str]:
        """The client's data connection ends for C{reason}; the replies."""
        self.transport.clear()
        self.channel.connectionLost(reason)
        self.global_reactor.advance(0)
        return self.replies()

    def test_complete(self) -> None:
        """A clean close commits what arrived, and the reply is 226."""
        self.channel.dataReceived(b"hello")
        self.assertEqual(self.end(Failure(ConnectionDone())), ["226 Transfer Complete."])
        self.assertEqual((self.upload.data, self.upload.closed), (b"hello", True))

    def test_cut_short(self) -> None:
        """A lost connection aborts the upload, and the reply is 426."""
        self.assertEqual(
            self.end(Failure(ConnectionLost())),
            ["426 data connection closed before the end; nothing was stored."],
        )
        self.assertFalse(self.upload.closed)
        self.assertEqual(len(self.upload.aborted), 1)

    def test_storage_error(self) -> None:
        """When storage failed first, the reply is the one the upload gives for it."""
        self.upload.failure = LocalError("/f: storage unavailable; try again later")
        self.assertEqual(
            self.end(Failure(ConnectionLost())), ["451 /f: storage unavailable; try again later"]
        )
        self.assertEqual(len(self.upload.aborted), 1)

    def test_control_connection_lost(self) -> None:
        """A lost control connection aborts the upload."""
        self.protocol.connectionLost(Failure(ConnectionLost()))
        self.assertEqual(self.upload.aborted, ["control connection lost"])


@implementer(IDownload)
class StreamingDownload:
    """
    A download that streams as S3 does: it registers its producer with
    the data connection and goes on until the test ends it, or the
    producer is stopped (the connection went away).
    """

    size = 1 << 30

    def __init__(self) -> None:
        self.producer = FakeProducer()
        self.done: defer.Deferred[int] = defer.Deferred()

    def send(self, consumer: Any) -> defer.Deferred[int]:
        return self.send_from(consumer, 0)

    def send_from(self, consumer: Any, offset: int) -> defer.Deferred[int]:
        consumer.registerProducer(self.producer, True)
        original = self.producer.stopProducing

        def stopped() -> None:
            original()
            self.done.errback(LocalError("/big: the download was interrupted"))

        self.producer.stopProducing = stopped  # type: ignore[method-assign]
        return self.done

    def close(self) -> None:
        pass


class DataIdleTests(SessionTestCase):
    """
    A data connection on which nothing moves for 300 s while the server
    waits on its client is aborted, and its transfer gets 426; time spent
    waiting on S3 does not count.
    """

    IDLE = "426 no data moved for 300 seconds; the transfer was aborted."

    def setUp(self) -> None:
        super().setUp()
        self.login()
        # These data connections make no TLS handshake: its bound is put out of the way.
        self.factory.timeouts = Timeouts(tls_handshake=10**6, data_idle=300)
        self.send(b"PASV")
        self.channel = self.connect_data()

    def store(self) -> None:
        self.assertEqual(
            self.send(b"STOR f"), ["125 Data connection already open, starting transfer"]
        )

    def retrieve(self) -> StreamingDownload:
        download = StreamingDownload()
        self.shell.openForReading = lambda path, offset: defer.succeed(download)  # type: ignore[method-assign]
        self.assertEqual(
            self.send(b"RETR big"), ["125 Data connection already open, starting transfer"]
        )
        return download

    def lost(self) -> list[str]:
        """The aborted connection is lost, as the reactor would report it; the replies."""
        self.transport.clear()
        producer = self.channel.transport.producer
        self.channel.connectionLost(Failure(ConnectionAborted()))
        if producer is not None:
            producer.stopProducing()
        self.global_reactor.advance(0)
        return self.replies()

    def test_upload_stalls(self) -> None:
        """An upload whose client stops sending is aborted 300 s after its last bytes: 426."""
        self.store()
        self.clock.advance(200)
        self.channel.dataReceived(b"some")
        self.clock.advance(299)
        self.assertFalse(self.channel.transport.aborted)
        self.clock.advance(1)
        self.assertTrue(self.channel.transport.aborted)
        self.assertEqual(self.lost(), [self.IDLE])
        [upload] = self.shell.uploads
        self.assertEqual((len(upload.aborted), upload.closed), (1, False))

    def test_upload_never_sends(self) -> None:
        """An upload whose client sends nothing at all is aborted 300 s after it starts."""
        self.store()
        self.clock.advance(300)
        self.assertTrue(self.channel.transport.aborted)

    def test_upload_held_by_s3(self) -> None:
        """
        While S3 holds the client back (the upload's consumer paused the
        connection), the client is not idle, however long that takes;
        the bound runs again from the resume.
        """
        self.store()
        self.channel.pauseProducing()
        self.clock.advance(3600)
        self.assertFalse(self.channel.transport.aborted)
        self.channel.resumeProducing()
        self.clock.advance(299)
        self.assertFalse(self.channel.transport.aborted)
        self.clock.advance(1)
        self.assertTrue(self.channel.transport.aborted)

    def test_upload_completes(self) -> None:
        """An upload that ends leaves no bound behind."""
        self.store()
        self.channel.dataReceived(b"all")
        self.channel.connectionLost(Failure(ConnectionDone()))
        self.clock.advance(1000)
        self.assertFalse(self.channel.transport.aborted)

    def test_download_not_read(self) -> None:
        """
        A download whose client stops reading (the transport pauses the
        producer, its buffer full) is aborted 300 s later: 426.
        """
        download = self.retrieve()
        self.assertTrue(verifyObject(IPushProducer, self.channel.transport.producer))
        self.channel.transport.producer.pauseProducing()
        self.assertEqual(download.producer.events, ["pause"])
        self.clock.advance(299)
        self.assertFalse(self.channel.transport.aborted)
        self.clock.advance(1)
        self.assertTrue(self.channel.transport.aborted)
        self.assertEqual(self.lost(), [self.IDLE])

    def test_download_read_again(self) -> None:
        """A client that reads again before the bound stops it."""
        download = self.retrieve()
        self.channel.transport.producer.pauseProducing()
        self.clock.advance(299)
        self.channel.transport.producer.resumeProducing()
        self.assertEqual(download.producer.events, ["pause", "resume"])
        self.clock.advance(1000)
        self.assertFalse(self.channel.transport.aborted)

    def test_download_slow_s3(self) -> None:
        """While S3 is slow to send, the transport is not paused: no bound runs."""
        self.retrieve()
        self.clock.advance(3600)
        self.assertFalse(self.channel.transport.aborted)


class StreamedListingTests(SessionTestCase):
    """
    LIST, NLST and MLSD over the real shell and an in-memory bucket whose
    listings come in pages of two entries, every store call held until the
    test releases it: each page goes out as it arrives, the next is asked
    for only while the data connection is not paused, and a page that
    fails ends the transfer with its reply, never 226.
    """

    def setUp(self) -> None:
        super().setUp()
        self.store = MemoryObjectStore(page_size=2)
        for n in range(6):
            self.store.store(f"big/f{n}", b"x" * n)
        self.shell = memory_shells(self.store)(User("alice", "pw"))  # type: ignore[assignment]
        self.login()
        self.send(b"PASV")
        self.channel = self.connect_data()
        self.store.hold("list_objects")

    def start(self, command: bytes) -> None:
        """Send C{command}; let the directory check through, and the first page."""
        self.send(command)
        self.give(0)

    def give(self, index: int, error: Exception | None = None) -> list[str]:
        """Let the C{index}th held listing call go on, or fail; the replies meanwhile."""
        self.transport.clear()
        self.store.release("list_objects", index, error)  # type: ignore[arg-type]
        self.clock.advance(0)
        return self.replies()

    def asked(self) -> int:
        """How many listing calls were made of the store so far."""
        return len(self.store.named("list_objects"))

    def data(self) -> list[str]:
        """The lines sent on the data connection so far."""
        return self.channel.transport.value().decode("utf-8").split("\r\n")[:-1]

    def handshake(self) -> list[str]:
        """The data connection's TLS handshake ends; the replies then."""
        return self.data_handshake(self.channel)

    def test_first_page_before_second_is_asked(self) -> None:
        """
        The 150 and the first page's lines go out as soon as that page is
        here, while the second page is still on its way.
        """
        self.start(b"NLST big")
        self.assertEqual(self.asked(), 2)
        self.assertEqual(self.give(1), ["125 Data connection already open, starting transfer"])
        self.assertEqual(self.data(), ["f0", "f1"])
        self.assertEqual(self.asked(), 3)
        self.assertEqual(self.give(2), [])
        self.assertEqual(self.data(), ["f0", "f1", "f2", "f3"])
        self.give(3)

    def test_paused_connection_stops_fetching(self) -> None:
        """
        While the data connection's transport has the listing paused, the
        page that arrives is sent but no further page is asked for; the
        resume asks for it.
        """
        self.start(b"NLST big")
        self.give(1)
        self.channel.transport.producer.pauseProducing()
        self.give(2)
        self.assertEqual(self.data(), ["f0", "f1", "f2", "f3"])
        self.assertEqual(self.asked(), 3)
        self.channel.transport.producer.resumeProducing()
        self.assertEqual(self.asked(), 4)
        self.give(3)
        self.assertEqual(self.data(), [f"f{n}" for n in range(6)])

    def test_complete(self) -> None:
        """Every page sent, the connection is closed cleanly and the reply is 226."""
        self.start(b"NLST big")
        for index in (1, 2, 3):
            self.give(index)
        self.assertEqual(self.handshake(), ["226 Transfer Complete."])
        self.assertEqual(self.data(), [f"f{n}" for n in range(6)])
        self.assertTrue(self.channel.transport.disconnecting)
        self.assertFalse(self.channel.transport.aborted)

    def test_failure_mid_listing(self) -> None:
        """
        S3 failing on the third page ends the transfer with 451, not 226,
        and the data connection is aborted so that the client cannot take
        what it has for the whole listing.
        """
        self.start(b"LIST big")
        self.give(1)
        self.give(2)
        failure = S3Error("InternalError", 500, "We encountered an internal error.")
        self.assertEqual(self.give(3, failure), ["451 /big: storage unavailable; try again later"])
        self.assertEqual(len(self.data()), 4)
        self.assertTrue(self.channel.transport.aborted)
        self.assertEqual(self.handshake(), [])

    def test_refused_before_150(self) -> None:
        """A missing directory is a 550 with no 150 before it."""
        self.send(b"NLST missing")
        self.assertEqual(self.give(0), ["550 /missing: No such file or directory."])

    def test_client_gone(self) -> None:
        """A data connection lost mid-listing ends it with 426; no further page is asked for."""
        self.start(b"NLST big")
        self.give(1)
        self.channel.transport.producer.stopProducing()
        self.channel.connectionLost(Failure(ConnectionLost()))
        self.assertEqual(self.give(2), ["426 data connection closed by the client."])
        self.assertEqual(self.asked(), 3)

    def test_long_and_machine_listings(self) -> None:
        """LIST and MLSD lines are made a page at a time too, each entry once."""
        self.start(b"LIST big")
        for index in (1, 2, 3):
            self.give(index)
        lines = self.data()
        self.assertEqual([line.split()[-1] for line in lines], [f"f{n}" for n in range(6)])
        self.assertTrue(lines[5].startswith("-rw-r--r--"), lines[5])
        self.assertEqual(self.handshake(), ["226 Transfer Complete."])
        self.send(b"PASV")
        self.channel = self.connect_data()
        self.send(b"MLSD big")
        for index in (4, 5, 6, 7, 8):
            self.give(index)
        entries = [line.split(" ", 1) for line in self.data()]
        self.assertEqual([name for _, name in entries], [f"f{n}" for n in range(6)])
        self.assertIn("type=file;size=5;", entries[5][0])
