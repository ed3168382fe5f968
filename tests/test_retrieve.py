# -*- test-case-name: tests.test_retrieve -*-
"""
RETR over the real shell and an in-memory bucket, through the real
protocol: a download asks S3 once, its answer decides the reply before any
150, and whatever ends the transfer before its body streams lets that
answer go (L{MemoryObjectStore.held}), so that no S3 connection is left
waiting on a paused body.
"""

from __future__ import annotations

from twisted.internet.error import ConnectionAborted, ConnectionLost
from twisted.python.failure import Failure

from twisted_ftps3.config import User

from .support.memory_store import MemoryObjectStore
from .support.session import SessionTestCase
from .support.shells import memory_shells

DATA = bytes(range(256)) * 1024


class RetrieveTests(SessionTestCase):
    """RETR over an in-memory bucket holding C{f} (256 KiB), C{empty} and directory C{d}."""

    def setUp(self) -> None:
        super().setUp()
        self.store = MemoryObjectStore()
        self.store.store("f", DATA)
        self.store.store("empty", b"")
        self.store.store("d/", b"")
        self.shell = memory_shells(self.store)(User("alice", "pw"))  # type: ignore[assignment]
        self.login()
        self.send(b"PASV")
        self.channel = self.connect_data()

    def handshake(self) -> list[str]:
        """The data connection's TLS handshake ends; the replies then."""
        return self.data_handshake(self.channel)

    def sent(self) -> bytes:
        """What went out on the data connection."""
        return self.channel.transport.value()

    def requests(self) -> list[str]:
        """The store's calls, by name."""
        return [call[0] for call in self.store.calls]

    def release(self) -> list[str]:
        """Let the held GET answer; the replies meanwhile."""
        self.transport.clear()
        self.store.release("open_object")
        self.clock.advance(0)
        return self.replies()

    def test_one_request(self) -> None:
        """RETR asks S3 once, sends every byte, and ends with 226; nothing is left held."""
        self.assertEqual(
            self.send(b"RETR f"), ["125 Data connection already open, starting transfer"]
        )
        self.assertEqual(self.handshake(), ["226 Transfer Complete."])
        self.assertEqual(self.sent(), DATA)
        self.assertEqual(self.requests(), ["open_object"])
        self.assertEqual(self.store.held(), [])

    def test_restart(self) -> None:
        """REST n then RETR opens the object from n, in that one request."""
        self.send(b"REST 1000")
        self.send(b"RETR f")
        self.assertEqual(self.handshake(), ["226 Transfer Complete."])
        self.assertEqual(self.sent(), DATA[1000:])
        self.assertEqual(self.store.calls, [("open_object", "f", 1000)])

    def test_restart_at_end(self) -> None:
        """REST at the end of the file sends nothing, with 226, and lets the answer go."""
        self.send(b"REST %d" % len(DATA))
        self.assertEqual(
            self.send(b"RETR f"), ["125 Data connection already open, starting transfer"]
        )
        self.assertEqual(self.handshake(), ["226 Transfer Complete."])
        self.assertEqual((self.sent(), self.store.held()), (b"", []))

    def test_restart_past_end(self) -> None:
        """REST past the end is the 554 it was, and lets the answer go."""
        self.send(b"REST 300000")
        self.assertEqual(
            self.send(b"RETR f"), ["554 REST 300000 is past the end of /f (262144 bytes)."]
        )
        self.assertEqual(self.store.held(), [])

    def test_empty_file(self) -> None:
        """An empty file is sent as nothing, with 226."""
        self.send(b"RETR empty")
        self.assertEqual(self.handshake(), ["226 Transfer Complete."])
        self.assertEqual((self.sent(), self.store.held()), (b"", []))

    def test_missing(self) -> None:
        """A missing file is a 550 with no 150 before it, and nothing sent."""
        self.assertEqual(self.send(b"RETR no"), ["550 /no: No such file or directory."])
        self.assertEqual(self.sent(), b"")

    def test_directory(self) -> None:
        """A directory is the 550 "is a directory" it was, with no 150."""
        self.assertEqual(self.send(b"RETR d"), ["550 /d: is a directory"])

    def test_abor_while_opening(self) -> None:
        """
        ABOR while S3 has not answered yet: 426 then 226, no 150, and the
        answer, when it comes, is let go unread.
        """
        self.store.hold("open_object")
        self.send(b"RETR f")
        self.assertEqual(self.send(b"ABOR"), [])
        self.assertTrue(self.channel.transport.aborted)
        # The reactor reports the aborted connection lost.
        self.channel.connectionLost(Failure(ConnectionAborted()))
        self.assertEqual(
            self.release(),
            [
                "426 data connection closed before the transfer began.",
                "226 ABOR successful; the transfer was stopped.",
            ],
        )
        self.assertEqual(self.sent(), b"")
        self.assertEqual(self.store.held(), [])
        self.assertTrue(self.store.opened[0].discarded)

    def test_client_gone_while_opening(self) -> None:
        """A data connection lost while S3 answers: 426, and the answer let go."""
        self.store.hold("open_object")
        self.send(b"RETR f")
        self.channel.connectionLost(Failure(ConnectionLost()))
        self.assertEqual(self.release(), ["426 data connection closed before the transfer began."])
        self.assertEqual(self.store.held(), [])

    def test_shutdown_while_opening(self) -> None:
        """A shutdown that aborts the transfer while S3 answers: 426, and the answer let go."""
        self.store.hold("open_object")
        self.send(b"RETR f")
        self.protocol.abort_for_shutdown()
        self.channel.connectionLost(Failure(ConnectionAborted()))
        self.assertEqual(
            self.release(), ["426 the server is shutting down; the transfer was aborted."]
        )
        self.assertEqual(self.store.held(), [])

    def test_session_ends_while_opening(self) -> None:
        """
        A control connection lost while S3 answers leaves nothing held: the
        data connection, still open, takes the body.
        """
        self.store.hold("open_object")
        self.send(b"RETR f")
        self.protocol.connectionLost(Failure(ConnectionLost()))
        self.release()
        self.assertEqual(self.store.held(), [])

    def test_client_gone_while_sending(self) -> None:
        """
        A data connection lost mid-download stops the body (its producer
        is stopped): 426, and nothing left held.
        """
        transport = self.channel.transport
        write = transport.write

        def write_then_pause(data: bytes) -> None:
            # The client reads slowly: the first bytes fill its window.
            write(data)
            transport.producer.pauseProducing()

        transport.write = write_then_pause  # type: ignore[method-assign]
        self.send(b"RETR f")
        producer = transport.producer
        self.assertEqual(len(self.store.held()), 1)
        self.transport.clear()
        self.channel.connectionLost(Failure(ConnectionLost()))
        producer.stopProducing()
        self.clock.advance(0)
        self.assertEqual(self.replies(), ["426 data connection closed by the client."])
        self.assertEqual(self.store.held(), [])

    def test_never_connected(self) -> None:
        """A RETR whose data connection never comes asks S3 nothing."""
        self.send(b"PASV")
        self.send(b"RETR f")
        self.store.calls.clear()
        self.clock.advance(self.protocol.dtpTimeout)
        self.global_reactor.advance(0)
        self.assertEqual(self.replies(), ["425 no data connection arrived in time."])
        self.assertEqual(self.store.calls, [])
