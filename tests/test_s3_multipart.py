# -*- test-case-name: tests.test_s3_multipart -*-
"""
Tests for L{twisted_ftps3.s3.multipart}: part copies and quiet aborts over
any L{IObjectStore}, here the in-memory one.
"""

from __future__ import annotations

from twisted.internet.defer import ensureDeferred
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.limits import MIN_PART_SIZE, copy_ranges
from twisted_ftps3.s3.multipart import abort_quietly, copy_in_parts, copy_parts
from twisted_ftps3.s3.retry import RetryPolicy

from .support.memory_store import MemoryObjectStore, multipart_etag
from .support.retrying_store import RetryingStore

OLD = bytes(range(256)) * (MIN_PART_SIZE // 256 + 1)


class CopyTests(SynchronousTestCase):
    """
    L{copy_parts} and L{copy_in_parts} copy an object range by range.
    """

    def setUp(self) -> None:
        self.store = MemoryObjectStore()
        self.store.store("src", OLD)

    def test_copyPartsNumbered(self) -> None:
        """
        The ranges of L{copy_ranges} are copied as parts numbered from the
        number given, and their ETags returned by number.
        """
        upload_id = self.successResultOf(ensureDeferred(self.store.create_multipart_upload("dst")))
        etags = self.successResultOf(
            ensureDeferred(copy_parts(self.store, "dst", upload_id, "src", len(OLD), 4))
        )
        self.assertEqual(
            [call[3:] for call in self.store.named("upload_part_copy")],
            [(4 + n, "src", first, last) for n, (first, last) in enumerate(copy_ranges(len(OLD)))],
        )
        self.assertEqual(sorted(etags), [4])

    def test_copyInParts(self) -> None:
        """
        L{copy_in_parts} makes the target a multipart object of the source's
        bytes, and leaves no upload behind.
        """
        self.successResultOf(ensureDeferred(copy_in_parts(self.store, "src", "dst", len(OLD))))
        self.assertEqual(
            (self.store.data("dst"), self.store.etag("dst"), self.store.uploads),
            (OLD, multipart_etag([OLD]), {}),
        )

    def test_lostCompletionConfirmed(self) -> None:
        """
        A completion whose answer was lost, retried into C{NoSuchUpload}, is
        confirmed by the ETags S3 gave the copied parts, and the copy
        succeeds without an abort.
        """
        self.store.drop_after("complete_multipart_upload", times=1)
        clock = Clock()
        retried = RetryingStore(self.store, clock=clock, policy=RetryPolicy(patience=5))
        d = ensureDeferred(copy_in_parts(retried, "src", "dst", len(OLD)))
        clock.pump([0.1] * 10)
        self.successResultOf(d)
        self.assertEqual(
            (self.store.data("dst"), self.store.named("abort_multipart_upload")), (OLD, [])
        )

    def test_failureAborts(self) -> None:
        """
        A part copy that fails aborts the upload, and the copy fails with the
        part's error.
        """
        self.store.fail("upload_part_copy", S3Error("AccessDenied", 403))
        d = ensureDeferred(copy_in_parts(self.store, "src", "dst", len(OLD)))
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "AccessDenied")
        self.assertEqual(
            ([call[0] for call in self.store.changes()], self.store.uploads, self.store.keys()),
            (
                ["create_multipart_upload", "upload_part_copy", "abort_multipart_upload"],
                {},
                ["src"],
            ),
        )


class AbortQuietlyTests(SynchronousTestCase):
    """
    L{abort_quietly} aborts without letting a refusal hide another error.
    """

    def test_aborts(self) -> None:
        """
        The upload is aborted.
        """
        store = MemoryObjectStore()
        upload_id = self.successResultOf(ensureDeferred(store.create_multipart_upload("k")))
        self.successResultOf(ensureDeferred(abort_quietly(store, "k", upload_id)))
        self.assertEqual(store.uploads, {})

    def test_refusalLogged(self) -> None:
        """
        A refused abort is logged instead of raised.
        """
        store = MemoryObjectStore()
        store.fail("abort_multipart_upload", S3Error("AccessDenied", 403))
        self.successResultOf(ensureDeferred(abort_quietly(store, "k", "up")))
        self.assertEqual(len(self.flushLoggedErrors(S3Error)), 1)
