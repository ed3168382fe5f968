# -*- test-case-name: tests.test_cleanup_services -*-
"""
The clean-up services in the server's service tree: the retrier of failed
aborts, the sweeper of abandoned uploads and the lifecycle check, built by
C{makeService} over a memory reactor.
"""

from __future__ import annotations

import os

from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.collector import CollectorTuning
from twisted_ftps3.s3.aborts import AbortRetrier
from twisted_ftps3.s3.lifecycle import LifecycleCheck
from twisted_ftps3.s3.sweeper import AbandonedUploadSweeper
from twisted_ftps3.tap import FTPS3Service, Options, _S3Lifetime, makeService

from .support.clients import tls_certificate
from .support.environment import MINIMAL, environment


class ServiceTreeTests(SynchronousTestCase):
    """
    C{makeService} adds each clean-up service once, wired to the S3 client
    and the settings.
    """

    def build(self, **overrides: str) -> tuple[FTPS3Service, MemoryReactorClock]:
        certificate, key = tls_certificate(os.path.abspath(self.mktemp()))
        environ = environment(
            MINIMAL, FTP_TLS_CERTIFICATE_FILE=certificate, FTP_TLS_KEY_FILE=key, **overrides
        )
        reactor = MemoryReactorClock()
        service = makeService(Options(), reactor, environ)
        assert isinstance(service, FTPS3Service)
        return service, reactor

    def test_collectorTuned(self) -> None:
        """
        The tree holds one L{CollectorTuning}, so that the collector is
        tuned from the server's start to its stop.
        """
        service, _ = self.build()
        self.assertEqual(
            [type(child) for child in service if isinstance(child, CollectorTuning)],
            [CollectorTuning],
        )

    def test_children(self) -> None:
        """
        One retrier, given to the client as where its failed aborts go; one
        sweeper with the configured age and interval, over the whole
        bucket; one lifecycle check.
        """
        service, _ = self.build(
            AWS_S3_ABANDONED_UPLOAD_SECONDS="5", AWS_S3_SWEEP_INTERVAL_SECONDS="60"
        )
        children = list(service)
        (retrier,) = [c for c in children if isinstance(c, AbortRetrier)]
        (sweeper,) = [c for c in children if isinstance(c, AbandonedUploadSweeper)]
        (check,) = [c for c in children if isinstance(c, LifecycleCheck)]
        self.assertIs(service.client.aborts, retrier)
        self.assertEqual(
            (sweeper._older_than, sweeper._interval, sweeper._prefix, check._prefix),
            (5, 60, "", ""),
        )

    def test_poolKeepsEveryConnection(self) -> None:
        """
        The connection pool keeps as many connections to S3 as requests may
        be in flight, so that a burst does not open one per request; at
        least as many as uploads in flight use (four per part, and eight).
        """
        for bound, kept in (("64", 64), ("500", 500), ("1", 4 * 3 + 8)):
            service, _ = self.build(AWS_S3_MAX_CONCURRENT_REQUESTS=bound)
            (lifetime,) = [c for c in service if isinstance(c, _S3Lifetime)]
            self.assertEqual(lifetime._pool.maxPersistentPerHost, kept)

    def test_startsAndStops(self) -> None:
        """
        The server starts (the sweep and the check each send their request)
        and stops within the bound even though S3 never answers.
        """
        service, reactor = self.build()
        service.startService()
        self.assertEqual(len(reactor.tcpClients), 2)
        d = service.stopService()
        reactor.advance(5)
        self.successResultOf(d)
