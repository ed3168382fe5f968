# -*- test-case-name: tests.test_s3_aborts -*-
"""
Tests for L{twisted_ftps3.s3.aborts}: aborts that failed, tried again on a
test clock against the in-memory store until S3 forgets the upload, and the
writer and the part-by-part copy handing theirs over.
"""

from __future__ import annotations

from twisted.internet.defer import ensureDeferred
from twisted.internet.task import Clock
from twisted.logger import LogLevel
from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from twisted_ftps3.s3.aborts import AbortRetrier
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.interfaces import IAbortRetrier
from twisted_ftps3.s3.limits import MIN_PART_SIZE
from twisted_ftps3.s3.multipart import abort_quietly, copy_in_parts
from twisted_ftps3.s3.upload import MultipartWriter

from .support.logs import capture_logs
from .support.memory_store import MemoryObjectStore


class RetrierTestCase(SynchronousTestCase):
    """A store with an upload in progress, and a retrier on a test clock."""

    def setUp(self) -> None:
        self.clock = Clock()
        self.store = MemoryObjectStore()
        self.retrier = AbortRetrier(self.clock, deadline=3600, jitter=lambda: 1.0)
        self.store.aborts = self.retrier
        self.upload_id = self.successResultOf(
            ensureDeferred(self.store.create_multipart_upload("k"))
        )
        self.logs = capture_logs(self)

    def aborts(self) -> int:
        """How many aborts the store has been sent."""
        return len(self.store.named("abort_multipart_upload"))


class RetryTests(RetrierTestCase):
    """
    L{AbortRetrier.retry} tries an abort again with exponential backoff
    until it works or the deadline passes.
    """

    def test_interface(self) -> None:
        """
        L{AbortRetrier} provides L{IAbortRetrier}.
        """
        self.assertTrue(verifyObject(IAbortRetrier, self.retrier))

    def test_retriedUntilGone(self) -> None:
        """
        Failing aborts are tried again after 1, 2 and 4 seconds; once one
        works the upload is gone, nothing is pending and nothing more is
        sent.
        """
        self.store.drop("abort_multipart_upload", times=2)
        self.retrier.retry(self.store, "k", self.upload_id)
        tries = []
        for step in (0.99, 0.01, 1.99, 0.01, 60):
            self.clock.advance(step)
            tries.append(self.aborts())
        self.assertEqual(
            (tries, self.store.uploads, len(self.retrier), self.clock.getDelayedCalls()),
            ([0, 1, 1, 2, 3], {}, 0, []),
        )
        self.assertTrue(any("after 3 retries" in text for text in self.logs.at(LogLevel.info)))

    def test_backoffCapped(self) -> None:
        """
        The wait doubles up to C{max_delay}, and stays there.
        """
        retrier = AbortRetrier(self.clock, max_delay=4, jitter=lambda: 1.0)
        self.store.fail("abort_multipart_upload", S3Error("ServiceUnavailable", 503))
        retrier.retry(self.store, "k", self.upload_id)
        waits = []
        for _ in range(5):
            (call,) = self.clock.getDelayedCalls()
            waits.append(call.getTime() - self.clock.seconds())
            self.clock.advance(waits[-1])
        self.assertEqual(waits, [1, 2, 4, 4, 4])

    def test_jitter(self) -> None:
        """
        Each wait is scaled by a random factor from a half to one.
        """
        retrier = AbortRetrier(self.clock, jitter=lambda: 0.0)
        self.store.fail("abort_multipart_upload", S3Error("ServiceUnavailable", 503))
        retrier.retry(self.store, "k", self.upload_id)
        (call,) = self.clock.getDelayedCalls()
        self.assertEqual(call.getTime(), 0.5)

    def test_deadline(self) -> None:
        """
        An abort that keeps failing is given up once the next try would
        fall after the deadline, with a warning that leaves it to the
        sweeper; the upload stays.
        """
        retrier = AbortRetrier(self.clock, deadline=10, jitter=lambda: 1.0)
        self.store.fail("abort_multipart_upload", S3Error("ServiceUnavailable", 503))
        retrier.retry(self.store, "k", self.upload_id)
        self.clock.pump([1, 2, 4, 8, 16])
        self.assertEqual(
            (self.aborts(), len(retrier), self.clock.getDelayedCalls(), list(self.store.uploads)),
            (3, 0, [], [self.upload_id]),
        )
        (warning,) = self.logs.at(LogLevel.warn)
        self.assertIn(f"gave up aborting multipart upload {self.upload_id} of k", warning)
        self.assertIn("the sweeper will abort it", warning)

    def test_notTwice(self) -> None:
        """
        An upload handed over twice is tried once at a time.
        """
        self.retrier.retry(self.store, "k", self.upload_id)
        self.retrier.retry(self.store, "k", self.upload_id)
        self.clock.advance(1)
        self.assertEqual((len(self.retrier), self.aborts(), self.store.uploads), (0, 1, {}))


class SettleTests(RetrierTestCase):
    """
    L{AbortRetrier.settle}, and so C{stopService}, try every pending abort
    at once and wait a bounded time for them.
    """

    def test_nothingPending(self) -> None:
        """
        With nothing pending the service stops at once.
        """
        self.retrier.startService()
        self.successResultOf(self.retrier.stopService())
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_triedAtOnce(self) -> None:
        """
        A pending abort is tried at once, without its wait, and the stop
        fires when it works.
        """
        self.store.drop("abort_multipart_upload", times=1)
        self.retrier.retry(self.store, "k", self.upload_id)
        self.clock.advance(1)
        self.retrier.startService()
        d = self.retrier.stopService()
        self.successResultOf(d)
        self.assertEqual(
            (self.aborts(), self.store.uploads, self.clock.getDelayedCalls()), (2, {}, [])
        )

    def test_waitBounded(self) -> None:
        """
        Aborts still failing are tried on their backoff during the wait (at
        once, then 2 seconds later; the next would be after 6), and given
        up, with a warning, once the wait of 5 seconds is over.
        """
        self.store.fail("abort_multipart_upload", S3Error("ServiceUnavailable", 503))
        self.retrier.retry(self.store, "k", self.upload_id)
        d = self.retrier.settle()
        self.assertNoResult(d)
        self.clock.advance(4.9)
        self.assertNoResult(d)
        self.clock.advance(0.1)
        self.successResultOf(d)
        self.assertEqual(
            (self.aborts(), len(self.retrier), self.clock.getDelayedCalls()), (2, 0, [])
        )
        self.assertIn("the server is stopping", self.logs.at(LogLevel.warn)[0])

    def test_heldAbortAwaited(self) -> None:
        """
        An abort on its way when the wait begins is waited for, not sent
        twice.
        """
        self.store.hold("abort_multipart_upload")
        self.retrier.retry(self.store, "k", self.upload_id)
        self.clock.advance(1)
        d = self.retrier.settle()
        self.assertNoResult(d)
        self.store.release("abort_multipart_upload")
        self.successResultOf(d)
        self.assertEqual((self.aborts(), self.store.uploads), (1, {}))


class HandOverTests(RetrierTestCase):
    """
    An abort that fails in L{abort_quietly}, the writer or the copy part by
    part is handed to the store's retrier, which removes the upload once S3
    is back.
    """

    def test_abortQuietly(self) -> None:
        """
        L{abort_quietly} answers whether the upload is gone, and hands a
        failed abort over with a warning rather than a logged error.
        """
        self.store.drop("abort_multipart_upload", times=1)
        gone = self.successResultOf(ensureDeferred(abort_quietly(self.store, "k", self.upload_id)))
        self.assertEqual((gone, len(self.retrier)), (False, 1))
        self.assertIn("trying again in the background", self.logs.at(LogLevel.warn)[0])
        self.clock.advance(1)
        self.assertEqual(self.store.uploads, {})
        self.assertEqual(self.flushLoggedErrors(), [])

    def test_writerAbort(self) -> None:
        """
        An upload whose writer cannot abort it (S3 unreachable three times)
        is gone once S3 answers again.
        """
        writer = MultipartWriter(self.store, "big", part_size=MIN_PART_SIZE, parts_in_flight=2)
        writer.write(b"x" * (MIN_PART_SIZE + 1))
        self.store.drop("abort_multipart_upload", times=3)
        self.successResultOf(writer.abort("client went away"))
        self.assertEqual(len(self.store.uploads), 2)
        self.clock.pump([1, 2, 4])
        self.assertEqual((list(self.store.uploads), len(self.retrier)), ([self.upload_id], 0))

    def test_writerFinishFails(self) -> None:
        """
        An upload whose completion and abort both fail is left to the
        retrier, which removes it.
        """
        writer = MultipartWriter(self.store, "big", part_size=MIN_PART_SIZE, parts_in_flight=2)
        writer.write(b"x" * (MIN_PART_SIZE + 1))
        self.store.fail("complete_multipart_upload", S3Error("InternalError", 500))
        self.store.drop("abort_multipart_upload", times=1)
        self.failureResultOf(writer.finish(), S3Error)
        self.clock.advance(1)
        self.assertEqual(list(self.store.uploads), [self.upload_id])

    def test_copyInParts(self) -> None:
        """
        A copy part by part that fails, and whose abort fails, leaves its
        upload to the retrier.
        """
        self.store.store("src", b"s" * (MIN_PART_SIZE + 1))
        self.store.fail("upload_part_copy", S3Error("AccessDenied", 403))
        self.store.drop("abort_multipart_upload", times=1)
        d = ensureDeferred(copy_in_parts(self.store, "src", "dst", MIN_PART_SIZE + 1))
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "AccessDenied")
        self.assertEqual(len(self.retrier), 1)
        self.clock.advance(1)
        self.assertEqual(list(self.store.uploads), [self.upload_id])

    def test_writerUploadId(self) -> None:
        """
        The writer tells its upload id from when S3 gives it until the
        upload is over.
        """
        writer = MultipartWriter(self.store, "big", part_size=MIN_PART_SIZE, parts_in_flight=2)
        self.assertIsNone(writer.upload_id)
        writer.write(b"x" * MIN_PART_SIZE)
        upload_id = writer.upload_id
        self.assertIn(upload_id, self.store.uploads)
        self.successResultOf(writer.finish())
        self.assertEqual((writer.upload_id, upload_id in self.store.uploads), (None, False))
