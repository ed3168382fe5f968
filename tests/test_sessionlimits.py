"""
Tests for the session limits: L{twisted_ftps3.sessions} alone, a session's
admission and per-user limit in memory, and the limits with real clients
from several loopback addresses.
"""

from __future__ import annotations

import ftplib
import os
from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import MemoryReactorClock
from twisted.internet.threads import deferToThread
from twisted.logger import LogLevel
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.config import User, load_settings
from twisted_ftps3.lifetime import CLOSE_WAIT
from twisted_ftps3.login import FAILURE_DELAY
from twisted_ftps3.sessions import SessionLimits, TooManySessions, UserSessions
from twisted_ftps3.tap import build_service

from .support.access import AccessTestCase
from .support.clients import quit_session
from .support.logs import capture_logs
from .support.server import PASSWORD, USER, certified_environment
from .support.session import CLIENT, SessionTestCase
from .support.signals import FakeSignals

OTHER = IPv4Address("TCP", "203.0.113.10", 50200)
THIRD = IPv4Address("TCP", "203.0.113.11", 50300)
PER_ADDRESS = "421 Too many sessions from your address; try again later."
ON_SERVER = "421 Too many sessions on this server; try again later."
FOR_USER = "421 Too many sessions for this user; try again later."


class WiringTests(SynchronousTestCase):
    """The server builds one defence and one set of limits, from the access settings."""

    def test_shared(self) -> None:
        """Both listeners' factories share them, as the settings say."""
        environ = certified_environment(
            os.path.abspath(self.mktemp()),
            FTP_EXPLICIT_COMMAND_PORT="2121",
            FTP_LOGIN_MAX_FAILURES="7",
            FTP_LOGIN_FAILURE_WINDOW="70",
            FTP_LOGIN_BAN_SECONDS="700",
            FTP_MAX_SESSIONS="17",
            FTP_MAX_SESSIONS_PER_ADDRESS="3",
        )
        service = build_service(
            load_settings(environ), MemoryReactorClock(), environ, install_signals=FakeSignals()
        )
        implicit, explicit = service.factories
        self.assertIs(implicit.defence, explicit.defence)
        self.assertIs(implicit.limits, explicit.limits)
        defence, limits = implicit.defence, implicit.limits
        self.assertEqual(
            (defence.max_failures, defence.window_seconds, defence.ban_seconds), (7, 70, 700)
        )
        self.assertEqual((limits.max_sessions, limits.max_per_address), (17, 3))
        self.assertEqual(implicit.failure_delay, FAILURE_DELAY)
        self.assertEqual((implicit.log_debug, explicit.log_debug), (False, False))

    def test_log_level(self) -> None:
        """FTP_LOG_LEVEL=debug turns on the debug lines of both listeners' sessions."""
        environ = certified_environment(
            os.path.abspath(self.mktemp()), FTP_EXPLICIT_COMMAND_PORT="2121", FTP_LOG_LEVEL="debug"
        )
        service = build_service(
            load_settings(environ), MemoryReactorClock(), environ, install_signals=FakeSignals()
        )
        self.assertEqual([factory.log_debug for factory in service.factories], [True, True])


class SessionLimitsTests(SynchronousTestCase):
    """L{SessionLimits} with at most 3 connections, 2 from one address."""

    def setUp(self) -> None:
        self.limits = SessionLimits(3, 2)

    def test_per_address(self) -> None:
        """A third connection from one address is refused, naming that limit."""
        self.limits.admit("192.0.2.1")
        self.limits.admit("192.0.2.1")
        with self.assertRaises(TooManySessions) as caught:
            self.limits.admit("192.0.2.1")
        refused = caught.exception
        self.assertEqual(
            (refused.limit, refused.setting, refused.most),
            ("from your address", "FTP_MAX_SESSIONS_PER_ADDRESS", 2),
        )

    def test_total(self) -> None:
        """A fourth connection, from anywhere, is refused, naming that limit."""
        for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
            self.limits.admit(address)
        with self.assertRaises(TooManySessions) as caught:
            self.limits.admit("192.0.2.4")
        self.assertEqual(caught.exception.setting, "FTP_MAX_SESSIONS")

    def test_refusal_counts_nothing(self) -> None:
        """A refused connection is not counted."""
        self.limits.admit("192.0.2.1")
        self.limits.admit("192.0.2.1")
        self.assertRaises(TooManySessions, self.limits.admit, "192.0.2.1")
        self.assertEqual((self.limits.open, self.limits.from_address("192.0.2.1")), (2, 2))

    def test_release(self) -> None:
        """A released connection makes room for another."""
        release = self.limits.admit("192.0.2.1")
        self.limits.admit("192.0.2.1")
        release()
        self.limits.admit("192.0.2.1")
        self.assertEqual(self.limits.from_address("192.0.2.1"), 2)

    def test_release_once(self) -> None:
        """Releasing twice frees one place only."""
        release = self.limits.admit("192.0.2.1")
        self.limits.admit("192.0.2.1")
        release()
        release()
        self.assertEqual((self.limits.open, self.limits.from_address("192.0.2.1")), (1, 1))

    def test_forgotten(self) -> None:
        """An address with no connection left is forgotten."""
        releases = [self.limits.admit(f"192.0.2.{n}") for n in range(3)]
        for release in releases:
            release()
        self.assertEqual((self.limits.open, self.limits.addresses), (0, 0))

    def test_mapped_address(self) -> None:
        """An IPv4 client seen through an IPv6 socket counts as the same client."""
        self.limits.admit("192.0.2.1")
        self.limits.admit("::ffff:192.0.2.1")
        self.assertRaises(TooManySessions, self.limits.admit, "192.0.2.1")


class UserSessionsTests(SynchronousTestCase):
    """L{UserSessions}: logged-in sessions per login."""

    def test_no_limit(self) -> None:
        """A user without a limit of their own may have any number."""
        sessions = UserSessions()
        for _ in range(100):
            sessions.open("alice", None)
        self.assertEqual(sessions.of("alice"), 100)

    def test_limit(self) -> None:
        """A user at their limit is refused, naming that limit."""
        sessions = UserSessions()
        sessions.open("alice", 1)
        with self.assertRaises(TooManySessions) as caught:
            sessions.open("alice", 1)
        self.assertEqual(caught.exception.limit, "for this user")


class AdmissionTests(SessionTestCase):
    """Sessions over the limits (3 in all, 2 from one address) get 421 as they connect."""

    max_sessions = 3
    max_sessions_per_address = 2

    def open(self, peer: IPv4Address = CLIENT, handshake: bool = True) -> Any:
        self.connect(handshake=handshake, peer=peer)
        return self.protocol, self.transport

    def test_per_address(self) -> None:
        """
        A third connection from one address gets 421 instead of the greeting
        and is closed; the first two are not disturbed.
        """
        logs = capture_logs(self)
        first = self.protocol, self.transport
        self.open()
        _, refused = self.open()
        self.assertEqual(refused.value(), (PER_ADDRESS + "\r\n").encode())
        self.assertTrue(refused.disconnecting)
        self.assertEqual(
            logs.at(LogLevel.info)[-1],
            "refused a session from 203.0.113.9: FTP_MAX_SESSIONS_PER_ADDRESS (2) reached",
        )
        self.protocol, self.transport = first
        self.assertFalse(self.transport.disconnecting)
        self.login()

    def test_close_bounded(self) -> None:
        """A refused client that never closes its side is cut off."""
        self.open()
        _, refused = self.open(handshake=False)
        self.clock.advance(CLOSE_WAIT)
        self.assertTrue(refused.aborted)

    def test_total(self) -> None:
        """Past the limit of the server, a connection from another address gets 421."""
        self.open(peer=OTHER)
        self.open(peer=OTHER)
        _, refused = self.open(peer=THIRD)
        self.assertEqual(refused.value(), (ON_SERVER + "\r\n").encode())

    def test_not_logged_in_counts(self) -> None:
        """Connections still in their handshake, or not logged in, count."""
        self.open(handshake=False)
        _, refused = self.open()
        self.assertTrue(refused.value().startswith(b"421 "))

    def test_released_on_close(self) -> None:
        """When a session closes, its place is free for a new one."""
        closing, _ = self.open()
        closing.connectionLost(Failure(ConnectionDone()))
        _, admitted = self.open()
        self.assertEqual(admitted.value(), b"220 twisted-ftps3 ready\r\n")
        self.assertEqual(self.limits.from_address(CLIENT.host), 2)

    def test_refused_releases_nothing(self) -> None:
        """The close of a refused connection does not free a place it never had."""
        self.open()
        refused, _ = self.open()
        refused.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(self.limits.from_address(CLIENT.host), 2)

    def test_draining_not_counted(self) -> None:
        """A connection refused while the server drains is not counted."""
        self.factory.drain.begin()
        self.open(peer=OTHER)
        self.assertEqual(self.limits.from_address(OTHER.host), 0)


class UserLimitTests(SessionTestCase):
    """A user with C{max_sessions} 1."""

    users = (User("alice", "pw", max_sessions=1), User("bob", "pw2"))

    def test_second_login(self) -> None:
        """
        A second session of the user gets 421 at its PASS and is closed,
        without counting as a failed login; the first goes on.
        """
        self.login()
        first = self.protocol, self.transport
        self.connect()
        self.send(b"USER alice")
        self.assertEqual(self.send(b"PASS pw"), [FOR_USER])
        self.assertTrue(self.transport.disconnecting)
        self.assertEqual(self.defence.tracked, 0)
        self.protocol, self.transport = first
        self.assertEqual(self.send(b"PWD"), ['257 "/" is the current directory.'])

    def test_logged(self) -> None:
        """The refusal is logged with the login, the address and the limit."""
        self.login()
        logs = capture_logs(self)
        self.connect()
        self.send(b"USER alice")
        self.send(b"PASS pw")
        self.assertEqual(
            logs.at(LogLevel.info)[-1],
            "refused a login as 'alice' from 203.0.113.9: FTP_USERS__i__MAX_SESSIONS (1) reached",
        )

    def test_other_user(self) -> None:
        """Another user is not held back."""
        self.login()
        self.connect()
        self.send(b"USER bob")
        self.assertEqual(self.send(b"PASS pw2"), ["230 User logged in, proceed"])

    def test_after_close(self) -> None:
        """Once the first session closes, the user logs in again."""
        self.login()
        self.protocol.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(self.realm.sessions.of("alice"), 0)
        self.connect()
        self.login()

    def test_lost_while_checked(self) -> None:
        """A session lost while its right password is checked leaves no session counted."""
        self.verifier.hold = True
        self.send(b"USER alice")
        self.send(b"PASS pw")
        self.protocol.connectionLost(Failure(ConnectionDone()))
        self.verifier.release()
        self.assertEqual(self.realm.sessions.of("alice"), 0)

    def test_login_again_same_session(self) -> None:
        """USER and PASS again on a logged-in session end its login first."""
        self.login()
        self.login()
        self.assertEqual(self.realm.sessions.of("alice"), 1)

    def test_failed_login_again_logs_out(self) -> None:
        """A failed new login on a logged-in session leaves it logged out."""
        self.login()
        self.send(b"USER alice")
        self.send(b"PASS wrong")
        self.assertEqual(self.realm.sessions.of("alice"), 0)
        self.assertEqual(self.send(b"PWD"), ["530 Please login with USER and PASS."])


class RealLimitsTests(AccessTestCase):
    """The limits with real connections: at most 3 sessions, 2 from one address."""

    overrides = {"FTP_MAX_SESSIONS": "3", "FTP_MAX_SESSIONS_PER_ADDRESS": "2"}

    def refused_connection(self, source: str) -> str:
        """The 421 a new connection from C{source} is greeted with (blocks)."""
        with self.assertRaises(ftplib.error_temp) as caught:
            quit_session(self.connect(source))
        return str(caught.exception)

    def test_per_address(self) -> Any:
        """
        The third connection from 127.0.0.1 gets 421 while the first two
        keep working; 127.0.0.2 still gets in; once one closes, 127.0.0.1
        gets in again.
        """

        def scenario() -> None:
            first, second = self.log_in(), self.connect()
            try:
                self.assertEqual(self.refused_connection("127.0.0.1"), PER_ADDRESS)
                self.assertEqual(first.pwd(), "/")
                self.assertEqual(first.nlst(), [])
                second.login(USER, PASSWORD)
                self.assertEqual(second.pwd(), "/")
                other = self.log_in("127.0.0.2")
                quit_session(other)
            finally:
                quit_session(first)
            again = self.admitted_when_free("127.0.0.1")
            self.assertEqual(again.pwd(), "/")
            quit_session(again)
            quit_session(second)

        return deferToThread(scenario)

    def test_total(self) -> Any:
        """The fourth connection, from a third address, gets 421; the others keep working."""

        def scenario() -> None:
            sessions = [
                self.log_in("127.0.0.1"),
                self.log_in("127.0.0.2"),
                self.connect("127.0.0.3"),
            ]
            try:
                self.assertEqual(self.refused_connection("127.0.0.4"), ON_SERVER)
                self.assertEqual([ftp.pwd() for ftp in sessions[:2]], ["/", "/"])
            finally:
                for ftp in sessions:
                    quit_session(ftp)
            self.assertEqual(
                self.logged("FTP_MAX_SESSIONS (3) reached"),
                ["refused a session from 127.0.0.4: FTP_MAX_SESSIONS (3) reached"],
            )

        return deferToThread(scenario)


class RealUserLimitTests(AccessTestCase):
    """A user with C{max_sessions} 1, with real connections."""

    overrides = {"FTP_USERS__1__MAX_SESSIONS": "1"}

    def test_second_session(self) -> Any:
        """The user's second session gets 421 at login; the first keeps working."""

        def scenario() -> None:
            first = self.log_in()
            try:
                with self.assertRaises(ftplib.error_temp) as caught:
                    quit_session(self.log_in("127.0.0.2"))
                self.assertEqual(str(caught.exception), FOR_USER)
                self.assertEqual(first.pwd(), "/")
                self.assertEqual(first.nlst(), [])
            finally:
                quit_session(first)
            again = self.admitted_when_free("127.0.0.2")
            self.assertEqual(again.pwd(), "/")
            quit_session(again)

        return deferToThread(scenario)
