"""
Tests for the login defence: L{twisted_ftps3.defence} on a L{Clock}, the
client addresses it counts by (L{twisted_ftps3.addresses}), what a session
does with it and with the failed-login delay (L{twisted_ftps3.login}), and
the ban with real clients from two loopback addresses.
"""

from __future__ import annotations

import ftplib
import ipaddress
import time
from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.internet.threads import deferToThread
from twisted.logger import LogLevel
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.addresses import client_ip, in_networks, normal_address
from twisted_ftps3.config import User
from twisted_ftps3.defence import LoginDefence
from twisted_ftps3.login import FAILURE_DELAY

from .support.access import AccessTestCase
from .support.clients import curl, quit_session
from .support.logs import capture_logs
from .support.server import PASSWORD, USER
from .support.session import CLIENT, SessionTestCase

REFUSED = ["530 Sorry, Authentication failed."]
LOGGED_IN = ["230 User logged in, proceed"]
OTHER_CLIENT = IPv4Address("TCP", "203.0.113.10", 50200)


class AddressTests(SynchronousTestCase):
    """Client addresses as the defence, the limits and the networks see them."""

    def test_mapped_is_ipv4(self) -> None:
        """An IPv4-mapped IPv6 address is its IPv4 address."""
        self.assertEqual(normal_address("::ffff:192.0.2.1"), "192.0.2.1")
        self.assertEqual(client_ip("::ffff:192.0.2.1"), ipaddress.ip_address("192.0.2.1"))

    def test_written_one_way(self) -> None:
        """An IPv6 address is written one way however it was written."""
        self.assertEqual(normal_address("2001:DB8:0::1"), "2001:db8::1")

    def test_not_an_address(self) -> None:
        """What is no address is kept as it is, and is in no network."""
        self.assertEqual(normal_address("?"), "?")
        self.assertFalse(in_networks("?", [ipaddress.ip_network("0.0.0.0/0")]))

    def test_versions_apart(self) -> None:
        """An IPv6 address is in no IPv4 network, nor an IPv4 one in an IPv6 network."""
        self.assertFalse(in_networks("2001:db8::1", [ipaddress.ip_network("0.0.0.0/0")]))
        self.assertFalse(in_networks("192.0.2.1", [ipaddress.ip_network("::/0")]))


class LoginDefenceTests(SynchronousTestCase):
    """L{LoginDefence} with 3 failures in 60 seconds banning for 600."""

    def setUp(self) -> None:
        self.clock = Clock()
        self.defence = LoginDefence(self.clock, 3, 60, 600)
        self.logs = capture_logs(self)

    def failures(self, address: str = "192.0.2.1", times: int = 1) -> list[bool]:
        """Whether each of C{times} failures from C{address} starts a ban."""
        return [self.defence.failed(address) for _ in range(times)]

    def test_no_ban_below(self) -> None:
        """Failures below the most allowed ban nothing."""
        self.assertEqual(self.failures(times=2), [False, False])
        self.assertFalse(self.defence.banned("192.0.2.1"))

    def test_ban_at_most(self) -> None:
        """The failure that reaches the most allowed bans the address."""
        self.assertEqual(self.failures(times=3), [False, False, True])
        self.assertTrue(self.defence.banned("192.0.2.1"))

    def test_ban_logged_once(self) -> None:
        """The ban is logged once, with the address, the failures and the seconds."""
        self.failures(times=3)
        self.failures(times=4)
        self.defence.banned("192.0.2.1")
        bans = [line for line in self.logs.at(LogLevel.info) if "banning" in line]
        self.assertEqual(bans, ["banning 192.0.2.1 for 600 s after 3 failed logins within 60 s"])

    def test_other_address(self) -> None:
        """A ban of one address leaves another as it was."""
        self.failures(times=3)
        self.assertFalse(self.defence.banned("192.0.2.2"))
        self.assertEqual(self.failures("192.0.2.2", 2), [False, False])

    def test_window_slides(self) -> None:
        """Failures older than the window no longer count."""
        self.failures(times=2)
        self.clock.advance(60)
        self.assertEqual(self.failures(times=2), [False, False])
        self.clock.advance(30)
        self.assertEqual(self.failures(), [True])

    def test_window_partly(self) -> None:
        """Within the window every failure counts, however they are spread."""
        for _ in range(2):
            self.failures()
            self.clock.advance(29)
        self.assertEqual(self.failures(), [True])

    def test_ban_ends(self) -> None:
        """A ban ends after its time, and not before."""
        self.failures(times=3)
        self.clock.advance(599.9)
        self.assertTrue(self.defence.banned("192.0.2.1"))
        self.clock.advance(0.1)
        self.assertFalse(self.defence.banned("192.0.2.1"))

    def test_fresh_after_ban(self) -> None:
        """After a ban the address has all its failures again, even within a long window."""
        defence = LoginDefence(self.clock, 3, 3600, 600)
        for _ in range(3):
            defence.failed("192.0.2.1")
        self.clock.advance(600)
        self.assertEqual([defence.failed("192.0.2.1") for _ in range(3)], [False, False, True])

    def test_failures_while_banned(self) -> None:
        """Failures while banned do not make the ban longer."""
        self.failures(times=3)
        self.clock.advance(300)
        self.failures(times=5)
        self.clock.advance(300)
        self.assertFalse(self.defence.banned("192.0.2.1"))

    def test_mapped_address_same(self) -> None:
        """An IPv4 client seen through an IPv6 socket is the same client."""
        self.failures("192.0.2.1", 2)
        self.failures("::ffff:192.0.2.1")
        self.assertTrue(self.defence.banned("192.0.2.1"))

    def test_pruned(self) -> None:
        """Many addresses are forgotten once their failures are out of the window."""
        for n in range(1000):
            self.defence.failed(f"10.0.{n // 256}.{n % 256}")
        self.assertEqual(self.defence.tracked, 1000)
        self.clock.advance(60)
        self.assertEqual(self.defence.tracked, 0)

    def test_bans_pruned(self) -> None:
        """Bans that are over are forgotten."""
        for n in range(100):
            self.failures(f"10.0.0.{n}", 3)
        self.clock.advance(600)
        self.assertEqual(self.defence.tracked, 0)

    def test_bounded(self) -> None:
        """Past its bound, the defence forgets the addresses that failed longest ago."""
        defence = LoginDefence(self.clock, 3, 60, 600, max_tracked=10)
        for n in range(25):
            defence.failed(f"10.0.0.{n}")
            defence.failed(f"10.0.0.{n}")
        self.assertEqual(defence.tracked, 10)
        self.assertFalse(defence.failed("10.0.0.0"))
        self.assertTrue(defence.failed("10.0.0.24"))


class SessionDefenceTests(SessionTestCase):
    """A session's logins under the defence (5 failures in 300 s ban for 900)."""

    users = (
        User("alice", "pw"),
        User("bob", "pw2", allowed_cidrs=(ipaddress.ip_network("192.0.2.0/24"),)),
    )

    def attempt(self, user: bytes, password: bytes) -> list[str]:
        self.send(b"USER " + user)
        return self.send(b"PASS " + password)

    def test_banned_after_failures(self) -> None:
        """After five wrong passwords, the right one gets 530 too."""
        for _ in range(5):
            self.assertEqual(self.attempt(b"alice", b"wrong"), REFUSED)
        self.assertEqual(self.attempt(b"alice", b"pw"), REFUSED)
        self.assertEqual(self.send(b"PWD"), ["530 Please login with USER and PASS."])

    def test_banned_not_verified(self) -> None:
        """A banned address's password is not even verified."""
        for _ in range(5):
            self.attempt(b"alice", b"wrong")
        verified = len(self.verifier.calls)
        self.attempt(b"alice", b"pw")
        self.assertEqual(len(self.verifier.calls), verified)

    def test_other_address_logs_in(self) -> None:
        """Another address, with the right password, logs in while the first is banned."""
        for _ in range(5):
            self.attempt(b"alice", b"wrong")
        self.connect(peer=OTHER_CLIENT)
        self.assertEqual(self.attempt(b"alice", b"pw"), LOGGED_IN)

    def test_unknown_users_count(self) -> None:
        """Failures for logins that do not exist count as wrong passwords do."""
        for n in range(5):
            self.assertEqual(self.attempt(b"nobody%d" % n, b"pw"), REFUSED)
        self.assertEqual(self.attempt(b"alice", b"pw"), REFUSED)

    def test_outside_networks_count(self) -> None:
        """A right password from outside the user's networks is refused, and counts."""
        for _ in range(5):
            self.assertEqual(self.attempt(b"bob", b"pw2"), REFUSED)
        self.assertTrue(self.defence.banned(CLIENT.host))

    def test_success_does_not_clear(self) -> None:
        """A login between failures does not wipe their count."""
        for _ in range(4):
            self.attempt(b"alice", b"wrong")
        self.assertEqual(self.attempt(b"alice", b"pw"), LOGGED_IN)
        self.attempt(b"alice", b"wrong")
        self.assertEqual(self.attempt(b"alice", b"pw"), REFUSED)

    def test_ban_ends(self) -> None:
        """Once the ban is over, the right password logs in again."""
        for _ in range(5):
            self.attempt(b"alice", b"wrong")
        self.clock.advance(900)
        self.assertEqual(self.attempt(b"alice", b"pw"), LOGGED_IN)

    def test_failures_logged(self) -> None:
        """Each failure is logged with the login and the address, never the password."""
        self.factory.log_debug = True
        logs = capture_logs(self)
        self.attempt(b"alice", b"s3cret-guess")
        self.assertEqual(logs.at(LogLevel.info), ["failed login as 'alice' from 203.0.113.9"])
        self.assertFalse(any("s3cret" in line for line in logs.at(LogLevel.debug)))


class FailureDelayTests(SessionTestCase):
    """A failed login is answered C{FAILURE_DELAY} seconds after its PASS."""

    failure_delay = FAILURE_DELAY

    def test_constant(self) -> None:
        """The delay is about one second."""
        self.assertEqual(FAILURE_DELAY, 1.0)

    def assert_refused_after_delay(self, user: bytes, password: bytes) -> None:
        """Nothing is sent for C{user}'s PASS until the delay is over; then 530."""
        self.send(b"USER " + user)
        self.assertEqual(self.send(b"PASS " + password), [])
        self.clock.advance(FAILURE_DELAY - 0.01)
        self.assertEqual(self.replies(), [])
        self.clock.advance(0.01)
        self.assertEqual(self.replies(), REFUSED)

    def test_nothing_before(self) -> None:
        """A wrong password gets nothing before the delay is over; then 530."""
        self.assert_refused_after_delay(b"alice", b"wrong")

    def test_unknown_user_same_moment(self) -> None:
        """An unknown login is answered at the very moment a wrong password is."""
        self.assert_refused_after_delay(b"mallory", b"pw")

    def test_from_arrival(self) -> None:
        """The delay counts from the PASS, not from the end of a slow verification."""
        self.verifier.hold = True
        self.send(b"USER alice")
        self.send(b"PASS wrong")
        self.clock.advance(0.6)
        self.verifier.release()
        self.clock.advance(0.39)
        self.assertEqual(self.replies(), [])
        self.clock.advance(0.01)
        self.assertEqual(self.replies(), REFUSED)

    def test_slower_verification(self) -> None:
        """A verification slower than the delay is answered as soon as it ends."""
        self.verifier.hold = True
        self.send(b"USER alice")
        self.send(b"PASS wrong")
        self.clock.advance(1.5)
        self.assertEqual(self.replies(), [])
        self.verifier.release()
        self.assertEqual(self.replies(), REFUSED)

    def test_success_at_once(self) -> None:
        """A good login is answered at once."""
        self.send(b"USER alice")
        self.assertEqual(self.send(b"PASS pw"), LOGGED_IN)

    def test_banned_delayed(self) -> None:
        """A banned address waits for its 530 too."""
        for _ in range(5):
            self.defence.failed(CLIENT.host)
        self.send(b"USER alice")
        self.assertEqual(self.send(b"PASS pw"), [])
        self.clock.advance(FAILURE_DELAY)
        self.assertEqual(self.replies(), REFUSED)

    def test_commands_queued(self) -> None:
        """
        Commands sent while a PASS waits are queued, not run beside it: a
        second login starts after the first is answered.
        """
        self.send(b"USER alice")
        self.transport.clear()
        self.protocol.dataReceived(b"PASS wrong\r\nUSER alice\r\nPASS pw\r\nPWD\r\n")
        self.global_reactor.advance(0)
        self.assertEqual(self.replies(), [])
        self.assertEqual(len(self.verifier.calls), 1)
        self.clock.advance(FAILURE_DELAY)
        for _ in range(4):
            self.global_reactor.advance(0)
        self.assertEqual(
            self.replies(),
            [
                *REFUSED,
                "331 Password required for alice.",
                *LOGGED_IN,
                '257 "/" is the current directory.',
            ],
        )

    def test_lost_while_waiting(self) -> None:
        """A connection lost during the delay leaves no timer and sends nothing."""
        self.send(b"USER alice")
        self.send(b"PASS wrong")
        self.protocol.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.assertEqual(self.replies(), [])


class BanTests(AccessTestCase):
    """The ban with real clients: 127.0.0.1 guesses, 127.0.0.2 is the partner."""

    overrides = {
        "FTP_LOGIN_MAX_FAILURES": "5",
        "FTP_LOGIN_FAILURE_WINDOW": "60",
        "FTP_LOGIN_BAN_SECONDS": "60",
    }

    def test_ban_and_other_address(self) -> Any:
        """
        From 127.0.0.1, five wrong passwords, then the sixth login with the
        right password gets 530; from 127.0.0.2 the same user logs in with
        ftplib and with curl.
        """

        def scenario() -> None:
            for _ in range(5):
                self.assertTrue(self.refused_login(password="wrong").startswith("530"))
            self.assertTrue(self.refused_login().startswith("530"))
            ftp = self.log_in("127.0.0.2")
            try:
                self.assertEqual(ftp.pwd(), "/")
                self.assertEqual(ftp.nlst(), [])
            finally:
                quit_session(ftp)
            listed = curl(
                "--interface", "127.0.0.2", "--insecure", "--list-only",
                f"ftps://127.0.0.1:{self.server.port}/", "--user", f"{USER}:{PASSWORD}",
            )  # fmt: skip
            self.assertEqual((listed.returncode, listed.stderr), (0, b""))
            refused = curl(
                "--insecure", f"ftps://127.0.0.1:{self.server.port}/",
                "--user", f"{USER}:{PASSWORD}",
            )  # fmt: skip
            self.assertEqual(refused.returncode, 67, refused.stderr)

        d = deferToThread(scenario)

        def logged(_: object) -> None:
            bans = self.logged("banning")
            self.assertEqual(bans, ["banning 127.0.0.1 for 60 s after 5 failed logins within 60 s"])
            self.assertFalse(any(PASSWORD in line for line in self.logs.texts()))

        return d.addCallback(logged)


class RealDelayTests(AccessTestCase):
    """The failed-login delay, with ftplib against the real server."""

    failure_delay = FAILURE_DELAY

    def test_wrong_password_waits(self) -> Any:
        """A wrong password's 530 comes about a second after the PASS; a good login's at once."""

        def scenario() -> None:
            ftp = self.connect()
            try:
                ftp.sendcmd(f"USER {USER}")
                sent = time.monotonic()
                with self.assertRaises(ftplib.error_perm) as caught:
                    ftp.sendcmd("PASS wrong")
                waited = time.monotonic() - sent
                self.assertTrue(str(caught.exception).startswith("530"))
                self.assertGreaterEqual(waited, 0.95)
                ftp.sendcmd(f"USER {USER}")
                sent = time.monotonic()
                self.assertTrue(ftp.sendcmd(f"PASS {PASSWORD}").startswith("230"))
                self.assertLess(time.monotonic() - sent, 0.9)
            finally:
                quit_session(ftp)

        return deferToThread(scenario)
