# -*- test-case-name: tests.test_timeouts -*-
"""
Tests for L{twisted_ftps3.timeouts}, and the bounds on dead and slow peers
end to end: the real server, with bounds of a second or two, in front of
moto, and clients that connect and then stop (raw sockets, ftplib).
"""

from __future__ import annotations

import ftplib
import os
import socket
import time
from typing import Any

from twisted.internet.defer import ensureDeferred
from twisted.internet.task import Clock
from twisted.internet.threads import deferToThread
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.timeouts import DEFAULT_TIMEOUTS, Deadline, Timeouts

from .support.clients import ImplicitFTPS
from .support.server import free_port
from .test_integration import ServerTestCase

MiB = 1024 * 1024


class DeadlineTests(SynchronousTestCase):
    """L{Deadline}: one timer, postponed by progress."""

    def setUp(self) -> None:
        self.clock = Clock()
        self.expired: list[float] = []
        self.deadline = Deadline(self.clock, 10, lambda: self.expired.append(self.clock.seconds()))

    def test_expires(self) -> None:
        """Started, it expires once, C{seconds} later."""
        self.deadline.start()
        self.assertTrue(self.deadline.running)
        self.clock.advance(9.9)
        self.assertEqual(self.expired, [])
        self.clock.advance(0.1)
        self.assertEqual(self.expired, [10])
        self.assertFalse(self.deadline.running)
        self.clock.advance(100)
        self.assertEqual(self.expired, [10])

    def test_not_started(self) -> None:
        """A deadline never started never expires."""
        self.clock.advance(100)
        self.assertEqual(self.expired, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_start_again(self) -> None:
        """Starting a running deadline counts from now."""
        self.deadline.start()
        self.clock.advance(8)
        self.deadline.start()
        self.clock.advance(8)
        self.assertEqual(self.expired, [])
        self.clock.advance(2)
        self.assertEqual(self.expired, [18])

    def test_stop(self) -> None:
        """A stopped deadline does not expire, and leaves no call behind."""
        self.deadline.start()
        self.clock.advance(5)
        self.deadline.stop()
        self.assertFalse(self.deadline.running)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.clock.advance(100)
        self.assertEqual(self.expired, [])

    def test_stop_twice(self) -> None:
        """Stopping a deadline that does not run does nothing."""
        self.deadline.stop()
        self.deadline.start()
        self.deadline.stop()
        self.deadline.stop()
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_restart_after_stop(self) -> None:
        """A stopped deadline can start again, counting from then."""
        self.deadline.start()
        self.deadline.stop()
        self.clock.advance(50)
        self.deadline.start()
        self.clock.advance(10)
        self.assertEqual(self.expired, [60])

    def test_default_bounds(self) -> None:
        """The bounds default to 30 s for a handshake, 5 minutes idle, 60 s to log in."""
        self.assertEqual(DEFAULT_TIMEOUTS, Timeouts(tls_handshake=30, data_idle=300, login=60))


def _closed(sock: socket.socket, within: float) -> bool:
    """Whether the server closes C{sock} (a FIN or a reset) within C{within} seconds."""
    sock.settimeout(within)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def _still_open(sock: socket.socket) -> bool:
    """Whether C{sock} is open and has nothing to read now."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


class DeadPeerTests(ServerTestCase):
    """Peers that connect and then stop are closed after their bound."""

    overrides = {
        "FTP_TLS_HANDSHAKE_TIMEOUT_SECONDS": "1",
        "FTP_LOGIN_TIMEOUT_SECONDS": "2",
        "FTP_DATA_IDLE_TIMEOUT_SECONDS": "2",
        "AWS_S3_UPLOAD_PART_SIZE": "5MiB",
    }

    def setUp(self) -> None:
        self.overrides = {**self.overrides, "FTP_EXPLICIT_COMMAND_PORT": str(free_port())}
        super().setUp()

    def test_half_open_implicit(self) -> Any:
        """
        200 TCP connections to the implicit port that never start TLS are all
        still open just after they connect, and all closed once the
        handshake bound is over.
        """

        def run() -> None:
            first = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
            sockets = [first]
            try:
                time.sleep(0.3)
                self.assertTrue(_still_open(first))
                # More than the listen backlog: the last may take a while to be accepted.
                for _ in range(199):
                    sockets.append(socket.create_connection(("127.0.0.1", self.server.port), 10))
                connected = time.monotonic()
                self.assertTrue(all(_closed(sock, within=10) for sock in sockets))
                self.assertLess(time.monotonic() - connected, 8)
            finally:
                for sock in sockets:
                    sock.close()

        return deferToThread(run)

    def test_auth_tls_without_handshake(self) -> Any:
        """On the explicit port, a client that sends AUTH TLS and no handshake is closed."""

        def run() -> None:
            with socket.create_connection(("127.0.0.1", self.server.explicit_port), 10) as sock:
                reader = sock.makefile("rb")
                self.assertTrue(reader.readline().startswith(b"220"))
                sock.sendall(b"AUTH TLS\r\n")
                self.assertTrue(reader.readline().startswith(b"234"))
                time.sleep(0.3)
                self.assertTrue(_still_open(sock))
                self.assertTrue(_closed(sock, within=10))

        return deferToThread(run)

    def test_sessions_outlast_bounds(self) -> Any:
        """
        Sessions that finished their handshake and logged in, on either
        port, are served past the handshake and login bounds.
        """

        def run() -> None:
            implicit, explicit = self.connect(), self.explicit()
            try:
                time.sleep(2.5)
                for ftp in (implicit, explicit):
                    self.assertTrue(ftp.voidcmd("NOOP").startswith("200"))
            finally:
                implicit.close()
                explicit.close()

        return deferToThread(run)

    def test_no_login(self) -> Any:
        """A client that finishes its handshake but never logs in is told 421 and closed."""

        def run() -> None:
            ftp = ImplicitFTPS(cafile=self.server.certificate, timeout=10)
            ftp.connect("127.0.0.1", self.server.port)
            try:
                with self.assertRaises(ftplib.error_temp) as reply:
                    ftp.getresp()
                self.assertTrue(str(reply.exception).startswith("421"), reply.exception)
                self.assertTrue(_closed(ftp.sock, within=10))
            finally:
                ftp.close()

        return deferToThread(run)

    def idle_transfer(self, command: str, data: bytes = b"") -> str:
        """Start C{command}, send C{data} and then nothing: the reply that ends the transfer."""
        ftp = self.connect()
        conn, _ = ftp.ntransfercmd(command)
        try:
            conn.sendall(data)
            with self.assertRaises(ftplib.error_temp) as reply:
                ftp.getresp()
            return str(reply.exception)
        finally:
            conn.close()
            ftp.close()

    def test_stalled_upload(self) -> Any:
        """
        An upload whose client stops sending halfway is aborted after the
        idle bound: 426, and neither an object nor a multipart upload stays.
        """

        async def check() -> None:
            reply = await deferToThread(self.idle_transfer, "STOR stalled.bin", os.urandom(6 * MiB))
            self.assertIn("426 no data moved for 2 seconds", reply)
            await self._wait_for(lambda: not self.open_uploads(), "the upload to be aborted")
            self.assertEqual(self.keys(), [])

        return ensureDeferred(check())

    def test_download_not_read(self) -> Any:
        """A download whose client stops reading is aborted after the idle bound: 426."""
        self.boto.put_object(Bucket=self.bucket, Key="big.bin", Body=os.urandom(32 * MiB))

        async def check() -> None:
            reply = await deferToThread(self.idle_transfer, "RETR big.bin")
            self.assertIn("426 no data moved for 2 seconds", reply)

        return ensureDeferred(check())

    def test_data_connection_without_handshake(self) -> Any:
        """A data connection that never starts TLS is closed, and its transfer gets 425."""

        def run() -> None:
            ftp = self.connect()
            host, port = ftp.makepasv()
            with socket.create_connection((host, port), timeout=10) as raw:
                try:
                    self.assertTrue(ftp.sendcmd("STOR never.bin").startswith("125"))
                    with self.assertRaises(ftplib.error_temp) as reply:
                        ftp.getresp()
                    self.assertIn("425 no TLS handshake within 1 seconds", str(reply.exception))
                    self.assertTrue(_closed(raw, within=10))
                finally:
                    ftp.close()

        return deferToThread(run)
