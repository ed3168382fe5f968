# -*- test-case-name: tests.test_retrieve_server -*-
"""
RETR end to end, with a real client (ftplib), and moto behind a relay that
counts the connections the server opens to it (L{CountingRelay}): a
download costs S3 one request, and a download whose data connection goes
away, before S3 has answered or halfway through the body, leaves no
connection to S3 open.

moto closes its connection after every answer, so a connection still open
through the relay once the server has nothing in flight is one the server
left waiting on a body it will never read.
"""

from __future__ import annotations

import dataclasses
import ftplib
import hashlib
import io
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import ensureDeferred
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from .support.clients import connect_implicit, quit_session
from .support.relay import CountingRelay
from .support.s3server import s3_server
from .support.server import PASSWORD, USER, start_server

MiB = 1024 * 1024
#: Large enough that moto cannot push it all into the sockets on the way.
SIZE = 32 * MiB


class RelayedServerTestCase(TestCase):
    """A server whose S3 connections go through a L{CountingRelay}, and a large object."""

    timeout = 120

    def setUp(self) -> None:
        s3 = s3_server()
        self.bucket = s3.create_bucket("retr")
        self.boto = s3.boto3_client()
        host, port = s3.endpoint_url.removeprefix("http://").rsplit(":", 1)
        self.relay = CountingRelay((host, int(port)), reactor=reactor)
        relayed = dataclasses.replace(s3, endpoint_url=self.relay.start())
        # Cleanups run last first: the server lets go of its connections, then the relay stops.
        self.addCleanup(self.relay.stop)
        self.server = start_server(relayed, self.bucket, os.path.abspath(self.mktemp()))
        self.addCleanup(lambda: ensureDeferred(self.server.stop()))
        self.data = os.urandom(SIZE)
        self.boto.put_object(Bucket=self.bucket, Key="big.bin", Body=self.data)

    def connect(self) -> ftplib.FTP_TLS:
        return connect_implicit(
            "127.0.0.1", self.server.port, USER, PASSWORD, cafile=self.server.certificate
        )

    async def until(self, condition: Callable[[], Any], what: str, limit: float = 30) -> None:
        """Wait, in the reactor, until C{condition()} holds; fail after C{limit} seconds."""
        for _ in range(int(limit / 0.05)):
            if condition():
                return
            await deferLater(reactor, 0.05, lambda: None)
        self.fail(f"timed out waiting for {what} ({self.relay.open} S3 connections open)")

    async def settled(self) -> None:
        """Wait until no connection to S3 is open."""
        await self.until(lambda: self.relay.open == 0, "every S3 connection to close")

    def data_lost(self) -> bool:
        """Whether a session's data connection has gone, its transfer still running."""
        return any(
            session.dtpInstance is not None and session.dtpInstance.lost is not None
            for session in self.server.service.factory.sessions
        )


class RetrieveServerTests(RelayedServerTestCase):
    async def _one_request(self) -> None:
        await self.settled()
        before = self.relay.accepted

        def download() -> bytes:
            ftp = self.connect()
            try:
                out = io.BytesIO()
                ftp.retrbinary("RETR big.bin", out.write, blocksize=256 * 1024)
                return out.getvalue()
            finally:
                quit_session(ftp)

        received = await deferToThread(download)
        self.assertEqual(hashlib.sha256(received).digest(), hashlib.sha256(self.data).digest())
        await self.settled()
        about = [line.split()[0] for line in self.relay.requests[before:] if "/big.bin " in line]
        self.assertEqual(about, ["GET"])

    def test_one_request(self) -> Any:
        """A RETR is one request to S3, its GET: no HEAD before it."""
        return ensureDeferred(self._one_request())

    async def _dropped_mid_body(self) -> None:
        def client() -> tuple[str, str]:
            ftp = self.connect()
            try:
                ftp.voidcmd("TYPE I")
                conn = ftp.transfercmd("RETR big.bin")
                self.assertTrue(conn.recv(65536))
                # Vanish from the data connection: closing an SSL socket
                # sends no close_notify.
                conn.close()
                return ftp.getline(), ftp.sendcmd("NOOP")
            finally:
                quit_session(ftp)

        reply, noop = await deferToThread(client)
        self.assertEqual((reply[:3], noop[:3]), ("426", "200"))
        await self.settled()

    def test_dropped_mid_body(self) -> Any:
        """
        A client that drops its data connection halfway through the body
        gets 426, its session goes on, and the S3 connection is closed.
        """
        return ensureDeferred(self._dropped_mid_body())

    async def _dropped_before_answer(self) -> None:
        sent = threading.Event()
        closed = threading.Event()
        released = threading.Event()
        self.relay.hold()
        replies: list[str] = []

        def client() -> None:
            ftp = self.connect()
            try:
                ftp.voidcmd("TYPE I")
                host, port = ftplib.parse227(ftp.sendcmd("PASV"))
                data = socket.create_connection((host, port), timeout=30)
                ftp.putcmd("RETR big.bin")
                sent.set()
                self.assertTrue(closed.wait(30))
                data.close()
                self.assertTrue(released.wait(30))
                replies.append(ftp.getline())
                replies.append(ftp.sendcmd("NOOP"))
            finally:
                quit_session(ftp)

        running = deferToThread(client)
        await deferToThread(sent.wait, 30)
        # The GET has gone out and waits for its answer, held by the relay.
        await self.until(lambda: self.relay.upstream, "the GET to reach S3")
        closed.set()
        await self.until(self.data_lost, "the data connection to be lost")
        self.relay.release()
        released.set()
        await running
        self.assertEqual([reply[:3] for reply in replies], ["426", "200"], replies)
        await self.settled()

    def test_dropped_before_answer(self) -> Any:
        """
        A client that drops its data connection while S3 has not answered
        the GET yet gets 426 with no 150 before it, and the answer, when it
        comes, is let go: the S3 connection is closed.
        """
        return ensureDeferred(self._dropped_before_answer())
