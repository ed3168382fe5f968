"""
A real server for the tests of who may connect and log in: the login
defence and the session limits, with real clients over loopback.

Clients may connect from any loopback address (127.0.0.2 as well as
127.0.0.1), since the defence and the limits count by client address.
"""

from __future__ import annotations

import ftplib
import os
import time

from twisted.internet.defer import ensureDeferred
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import TestCase

from .clients import ImplicitFTPS, connect_implicit, quit_session
from .s3server import s3_server
from .server import PASSWORD, USER, LogCapture, start_server

__all__ = ["AccessTestCase"]


class AccessTestCase(TestCase):
    """
    A server in front of a fresh bucket.

    @cvar overrides: settings of the server beyond the loopback ones.
    @cvar failure_delay: the delay before a failed login's 530; none,
        unless a test is about it, to keep the tests fast.
    """

    timeout = 120
    overrides: dict[str, str] = {}
    failure_delay = 0.0

    def setUp(self) -> None:
        s3 = s3_server()
        bucket = s3.create_bucket("access")
        self.logs = LogCapture()
        globalLogPublisher.addObserver(self.logs)
        self.addCleanup(globalLogPublisher.removeObserver, self.logs)
        self.server = start_server(s3, bucket, os.path.abspath(self.mktemp()), **self.overrides)
        for factory in self.server.service.factories:
            factory.failure_delay = self.failure_delay
        self.addCleanup(lambda: ensureDeferred(self.server.stop()))

    def connect(self, source: str = "127.0.0.1") -> ImplicitFTPS:
        """A control connection from C{source}, greeted but not logged in (blocks)."""
        ftp = ImplicitFTPS(cafile=self.server.certificate, timeout=30, source_address=(source, 0))
        ftp.connect("127.0.0.1", self.server.port)
        return ftp

    def log_in(
        self, source: str = "127.0.0.1", user: str = USER, password: str = PASSWORD
    ) -> ImplicitFTPS:
        """A session from C{source}, logged in and protecting data (blocks)."""
        return connect_implicit(
            "127.0.0.1",
            self.server.port,
            user,
            password,
            cafile=self.server.certificate,
            source_address=(source, 0),
        )

    def refused_login(
        self, source: str = "127.0.0.1", user: str = USER, password: str = PASSWORD
    ) -> str:
        """The reply that refuses a login from C{source} (blocks)."""
        try:
            ftp = self.log_in(source, user, password)
        except ftplib.error_perm as refusal:
            return str(refusal)
        quit_session(ftp)
        raise self.failureException(f"{user} logged in from {source}")

    def admitted_when_free(self, source: str = "127.0.0.1") -> ImplicitFTPS:
        """
        A session from C{source}, logged in once the server has noticed that
        an earlier one closed and freed its place (blocks).
        """
        deadline = time.monotonic() + 10
        while True:
            try:
                return self.log_in(source)
            except ftplib.error_temp:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def logged(self, text: str) -> list[str]:
        """The lines logged so far that hold C{text}."""
        return [line for line in self.logs.texts() if text in line]
