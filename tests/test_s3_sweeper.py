# -*- test-case-name: tests.test_s3_sweeper -*-
"""
Tests for L{twisted_ftps3.s3.sweeper}: the abandoned-upload sweeper over
the in-memory store, on a test clock whose seconds are the store's time.
"""

from __future__ import annotations

import datetime

from twisted.internet.defer import ensureDeferred
from twisted.internet.task import Clock
from twisted.logger import LogLevel
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.s3.aborts import AbortRetrier
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.limits import MIN_PART_SIZE
from twisted_ftps3.s3.sweeper import AbandonedUploadSweeper, SweepSummary
from twisted_ftps3.s3.upload import MultipartWriter, UploadRegistry

from .support.logs import capture_logs
from .support.memory_store import STORED_AT, MemoryObjectStore

DAY = 86400


class SweeperTestCase(SynchronousTestCase):
    """
    A store whose uploads begin at the test clock's time, and a sweeper of
    uploads a day old, every hour.
    """

    def setUp(self) -> None:
        self.clock = Clock()
        self.clock.advance(STORED_AT.timestamp())
        self.store = MemoryObjectStore(page_size=2, now=self.now)
        self.registry = UploadRegistry()
        self.sweeper = AbandonedUploadSweeper(
            self.store,
            self.clock,
            older_than=DAY,
            interval=3600,
            in_progress=self.registry.upload_ids,
        )
        self.logs = capture_logs(self)

    def now(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.clock.seconds(), tz=datetime.timezone.utc)

    def begin(self, key: str) -> str:
        """Start an upload of C{key} now; return its id."""
        return self.successResultOf(ensureDeferred(self.store.create_multipart_upload(key)))

    def sweep(self) -> SweepSummary:
        return self.successResultOf(self.sweeper.sweep())


class SweepTests(SweeperTestCase):
    """
    One sweep aborts the uploads older than the threshold, on every page,
    and nothing else.
    """

    def test_oldAborted(self) -> None:
        """
        Uploads begun more than a day ago are aborted, on every page of the
        listing; younger ones stay. Each abort is logged, and the sweep in
        one summary line.
        """
        old = [self.begin(f"old/{n}") for n in range(5)]
        self.clock.advance(DAY + 1)
        young = self.begin("young")
        summary = self.sweep()
        self.assertEqual(
            (summary, list(self.store.uploads)),
            (SweepSummary(listed=6, aborted=5, young=1), [young]),
        )
        self.assertEqual(len(self.store.named("list_multipart_upload_page")), 3)
        info = self.logs.at(LogLevel.info)
        self.assertEqual(
            sum(f"aborting abandoned multipart upload {u}" in t for t in info for u in old), 5
        )
        self.assertIn("6 listed, 5 aborted", info[-1])

    def test_exactlyAtThreshold(self) -> None:
        """
        An upload exactly as old as the threshold is not yet abandoned.
        """
        self.begin("k")
        self.clock.advance(DAY)
        self.assertEqual(self.sweep(), SweepSummary(listed=1, young=1))

    def test_unknownAge(self) -> None:
        """
        An upload whose start S3 did not say is never aborted.
        """
        upload_id = self.begin("k")
        self.store.uploads[upload_id].initiated = None  # type: ignore[assignment]
        self.clock.advance(10 * DAY)
        self.assertEqual(
            (self.sweep(), list(self.store.uploads)), (SweepSummary(listed=1, young=1), [upload_id])
        )

    def test_ownUploadsSkipped(self) -> None:
        """
        An upload of this process, in the registry, is never aborted, however
        old it looks.
        """
        writer = MultipartWriter(self.store, "mine", part_size=MIN_PART_SIZE, parts_in_flight=1)
        writer.write(b"x" * MIN_PART_SIZE)
        self.registry.add(writer)
        self.begin("theirs")
        self.clock.advance(2 * DAY)
        self.assertEqual(
            (self.sweep(), list(self.store.uploads)),
            (SweepSummary(listed=2, aborted=1, ours=1), [writer.upload_id]),
        )

    def test_prefix(self) -> None:
        """
        Only uploads under the sweeper's prefix are listed.
        """
        sweeper = AbandonedUploadSweeper(
            self.store, self.clock, older_than=DAY, interval=3600, prefix="home/"
        )
        self.begin("home/a")
        outside = self.begin("other/b")
        self.clock.advance(2 * DAY)
        summary = self.successResultOf(sweeper.sweep())
        self.assertEqual((summary, list(self.store.uploads)), (SweepSummary(1, 1), [outside]))

    def test_listingFails(self) -> None:
        """
        A listing S3 refuses ends the sweep with a warning, never an error.
        """
        self.store.fail("list_multipart_upload_page", S3Error("AccessDenied", 403))
        self.assertEqual(self.sweep(), SweepSummary(failed=True))
        self.assertIn(
            "could not list them: AccessDenied (HTTP 403)", self.logs.at(LogLevel.warn)[0]
        )

    def test_abortFailsHandedOver(self) -> None:
        """
        An abandoned upload whose abort fails is handed to the retrier.
        """
        retrier = AbortRetrier(self.clock, jitter=lambda: 1.0)
        self.store.aborts = retrier
        self.begin("k")
        self.clock.advance(2 * DAY)
        self.store.drop("abort_multipart_upload", times=1)
        self.assertEqual(self.sweep(), SweepSummary(listed=1, aborted=1))
        self.assertEqual(len(retrier), 1)
        self.clock.advance(1)
        self.assertEqual(self.store.uploads, {})


class ServiceTests(SweeperTestCase):
    """
    As a service, the sweeper sweeps at start-up and every interval after,
    until it stops.
    """

    def test_startupAndPeriodic(self) -> None:
        """
        A sweep runs when the service starts, and again every hour.
        """
        self.begin("k")
        self.sweeper.startService()
        self.assertEqual(len(self.store.named("list_multipart_upload_page")), 1)
        self.clock.advance(DAY + 1)
        self.assertEqual(len(self.store.named("list_multipart_upload_page")), 2)
        self.assertEqual(self.store.uploads, {})
        self.successResultOf(self.sweeper.stopService())
        self.clock.advance(10 * DAY)
        self.assertEqual(
            (len(self.store.named("list_multipart_upload_page")), self.clock.getDelayedCalls()),
            (2, []),
        )

    def test_stopWaitsForSweep(self) -> None:
        """
        Stopping during a sweep fires once the S3 call under way has
        answered, and the sweep goes no further.
        """
        for n in range(3):
            self.begin(f"k{n}")
        self.clock.advance(2 * DAY)
        self.store.hold("list_multipart_upload_page")
        self.sweeper.startService()
        d = self.sweeper.stopService()
        self.assertNoResult(d)
        self.store.behave("list_multipart_upload_page")
        self.store.release("list_multipart_upload_page")
        self.successResultOf(d)
        self.assertEqual(
            (len(self.store.named("list_multipart_upload_page")), len(self.store.uploads)),
            (1, 3),
        )

    def test_stopCutsOff(self) -> None:
        """
        A sweep whose S3 call has not answered five seconds after the stop
        is cut off, with no error logged.
        """
        self.store.hold("list_multipart_upload_page")
        self.sweeper.startService()
        d = self.sweeper.stopService()
        self.clock.advance(4.9)
        self.assertNoResult(d)
        self.clock.advance(0.1)
        self.successResultOf(d)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.assertIn("cut off by the shutdown", self.logs.at(LogLevel.info)[0])

    def test_failureKeepsSweeping(self) -> None:
        """
        A sweep that fails does not stop the next one.
        """
        self.store.fail("list_multipart_upload_page", S3Error("InternalError", 500))
        self.sweeper.startService()
        self.store.behave()
        self.begin("k")
        self.clock.advance(DAY + 3600)
        self.assertEqual(self.store.uploads, {})
        self.successResultOf(self.sweeper.stopService())
