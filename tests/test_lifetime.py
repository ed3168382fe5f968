"""
Tests for L{twisted_ftps3.lifetime}: the bounds on a control connection's
handshake and login, the refusals while the server drains, and the end of
every session once the drain is over; on the session's own clock.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IHandshakeListener
from twisted.python.failure import Failure
from zope.interface.verify import verifyObject

from twisted_ftps3.lifetime import ABORT_WAIT, CLOSE_WAIT, NEW_WORK, end_sessions
from twisted_ftps3.protocol import FTPS3

from .support.session import SessionTestCase
from .support.transport import ControlTransport


class StartingTLS(ControlTransport):
    """A control transport that records the TLS it is told to start (AUTH TLS)."""

    started: list[Any]

    def startTLS(self, options: Any) -> None:
        self.started = [*getattr(self, "started", []), options]


class HandshakeBoundTests(SessionTestCase):
    """A control connection whose TLS handshake does not end in time is aborted."""

    def test_session_listens(self) -> None:
        """What TLS wraps, the session the factory builds, hears of the handshake."""
        self.assertTrue(verifyObject(IHandshakeListener, self.protocol))

    def test_implicit_never_handshakes(self) -> None:
        """On the implicit port, no handshake within 30 s aborts the connection."""
        self.connect(handshake=False)
        self.clock.advance(29.9)
        self.assertFalse(self.transport.aborted)
        self.clock.advance(0.1)
        self.assertTrue(self.transport.aborted)

    def test_implicit_handshakes(self) -> None:
        """A handshake in time stops the bound: the session stays open."""
        self.connect(handshake=False)
        self.clock.advance(29)
        self.protocol.handshakeCompleted()
        self.login()
        self.clock.advance(100)
        self.assertFalse(self.transport.aborted)
        self.assertFalse(self.transport.disconnecting)

    def test_auth_tls_never_handshakes(self) -> None:
        """
        On the explicit port the bound starts with AUTH TLS, not before: a
        client that sends it and then no handshake is aborted 30 s later.
        """
        self.factory.implicit = False
        self.transport = StartingTLS(lenient=True)
        self.protocol = self.factory.buildProtocol(None)
        self.protocol.makeConnection(self.transport)
        self.clock.advance(20)
        self.assertFalse(self.transport.aborted)
        self.assertEqual(self.send(b"AUTH TLS")[0][:4], "234 ")
        self.assertEqual(self.transport.started, [self.factory.tls])
        self.clock.advance(29.9)
        self.assertFalse(self.transport.aborted)
        self.clock.advance(0.1)
        self.assertTrue(self.transport.aborted)

    def test_auth_tls_handshakes(self) -> None:
        """A handshake after AUTH TLS stops the bound."""
        self.factory.implicit = False
        self.transport = StartingTLS(lenient=True)
        self.protocol = self.factory.buildProtocol(None)
        self.protocol.makeConnection(self.transport)
        self.send(b"AUTH TLS")
        self.protocol.handshakeCompleted()
        self.clock.advance(59)
        self.assertFalse(self.transport.aborted)


class LoginBoundTests(SessionTestCase):
    """A control connection that has not logged in within 60 s is told 421 and closed."""

    def test_no_login(self) -> None:
        """No login: 421 at 60 s, the connection closed, and aborted if the client stays."""
        self.clock.advance(59.9)
        self.assertFalse(self.transport.disconnecting)
        self.transport.clear()
        self.clock.advance(0.1)
        self.assertEqual(
            self.replies(), ["421 Not logged in within 60 seconds; closing the connection."]
        )
        self.assertTrue(self.transport.disconnecting)
        self.assertFalse(self.transport.aborted)
        self.clock.advance(CLOSE_WAIT)
        self.assertTrue(self.transport.aborted)

    def test_user_without_pass(self) -> None:
        """USER alone is no login: the bound still runs."""
        self.send(b"USER alice")
        self.clock.advance(60)
        self.assertTrue(self.transport.disconnecting)

    def test_failed_login(self) -> None:
        """A refused password is no login either."""
        self.send(b"USER alice")
        self.send(b"PASS wrong")
        self.clock.advance(60)
        self.assertTrue(self.transport.disconnecting)

    def test_logged_in(self) -> None:
        """A login in time stops the bound."""
        self.clock.advance(30)
        self.login()
        self.clock.advance(100)
        self.assertFalse(self.transport.disconnecting)

    def test_closed_before(self) -> None:
        """A connection lost before the bound leaves no timer behind."""
        self.protocol.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(self.clock.getDelayedCalls(), [])


class DrainingTests(SessionTestCase):
    """While the server drains, sessions take nothing new: 421."""

    def test_new_login(self) -> None:
        """USER and PASS on a session opened before the drain get 421."""
        self.factory.drain.begin()
        refusal = "421 The server is shutting down; try again shortly."
        self.assertEqual(self.send(b"USER alice"), [refusal])
        self.assertEqual(self.send(b"PASS pw"), [refusal])

    def test_new_transfer(self) -> None:
        """Every command that sets up or starts a transfer gets 421; others are served."""
        self.login()
        self.factory.drain.begin()
        for command in ("PASV", "EPSV", "RETR f", "STOR f", "APPE f", "LIST", "NLST", "MLSD"):
            self.assertEqual(
                self.send(command.encode()),
                ["421 The server is shutting down; try again shortly."],
                command,
            )
        self.assertEqual(self.send(b"PWD"), ['257 "/" is the current directory.'])
        self.assertEqual(self.shell.calls, [])

    def test_new_work_commands(self) -> None:
        """The refused commands are the logins and the transfers."""
        self.assertEqual(
            NEW_WORK,
            {"USER", "PASS", "PASV", "EPSV", "RETR", "STOR", "APPE", "LIST", "NLST", "MLSD"},
        )

    def test_new_connection(self) -> None:
        """A connection accepted during the drain is told 421 and closed, without a greeting."""
        self.factory.drain.begin()
        self.connect()
        self.assertEqual(self.replies(), ["421 The server is shutting down; try again shortly."])
        self.assertTrue(self.transport.disconnecting)
        self.protocol.connectionLost(Failure(ConnectionDone()))
        self.assertNotIn(self.protocol, self.factory.sessions)

    def test_transfer_in_progress_goes_on(self) -> None:
        """An upload that started before the drain goes on, and ends with 226."""
        self.login()
        self.send(b"PASV")
        channel = self.connect_data()
        self.send(b"STOR f")
        self.factory.drain.begin()
        channel.dataReceived(b"more")
        self.transport.clear()
        channel.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(self.replies(), ["226 Transfer Complete."])
        self.assertEqual(self.shell.uploads[0].data, b"more")


class EndSessionsTests(SessionTestCase):
    """L{end_sessions}: what is left once the drain is over."""

    def end(self) -> defer.Deferred[None]:
        return defer.ensureDeferred(end_sessions([self.factory], self.factory.drain, self.clock))

    def test_sessions_closed(self) -> None:
        """Every session is told 421 and closed."""
        first = self.transport
        self.connect()
        self.login()
        self.transport.clear()
        self.successResultOf(self.end())
        for transport in (first, self.transport):
            self.assertTrue(
                transport.value().endswith(
                    b"421 The server is shutting down; closing the connection.\r\n"
                )
            )
            self.assertTrue(transport.disconnecting)

    def test_transfer_aborted(self) -> None:
        """
        An upload still in progress is aborted: its client gets 426, the
        upload is thrown away, then the session is closed with 421.
        """
        self.login()
        self.send(b"PASV")
        channel = self.connect_data()
        self.send(b"STOR f")
        self.assertEqual(self.factory.drain.transfers, 1)
        self.transport.clear()
        d = self.end()
        self.assertTrue(channel.transport.aborted)
        self.assertNoResult(d)
        channel.connectionLost(Failure(ConnectionDone()))
        self.clock.advance(0)
        self.successResultOf(d)
        self.assertEqual(
            self.replies(),
            [
                "426 the server is shutting down; the transfer was aborted.",
                "421 The server is shutting down; closing the connection.",
            ],
        )
        [upload] = self.shell.uploads
        self.assertEqual(len(upload.aborted), 1)
        self.assertFalse(upload.closed)

    def test_waiting_transfer_aborted(self) -> None:
        """A transfer still waiting for its data connection is refused with 426."""
        self.login()
        self.send(b"PASV")
        self.send(b"RETR f")
        self.transport.clear()
        d = self.end()
        self.clock.advance(0)
        self.successResultOf(d)
        self.assertEqual(
            self.replies(),
            [
                "426 the server is shutting down; no transfer was made.",
                "421 The server is shutting down; closing the connection.",
            ],
        )

    def test_unsettled(self) -> None:
        """A transfer that does not settle holds the end back for ABORT_WAIT seconds only."""
        self.factory.drain.track(defer.Deferred())
        d = self.end()
        self.clock.advance(ABORT_WAIT - 0.1)
        self.assertNoResult(d)
        self.clock.advance(0.1)
        self.successResultOf(d)
        self.assertTrue(self.transport.disconnecting)

    def test_closed_sessions_forgotten(self) -> None:
        """A session whose connection is lost is no longer one of the factory's."""
        protocol: FTPS3 = self.protocol
        self.assertEqual(self.factory.sessions, {protocol})
        protocol.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(self.factory.sessions, set())
