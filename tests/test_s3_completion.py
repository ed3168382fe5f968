# -*- test-case-name: tests.test_s3_completion -*-
"""
Tests for L{twisted_ftps3.s3.completion}: S3's multipart ETag, and telling a
completion whose answer was lost from one that failed.
"""

from __future__ import annotations

import hashlib

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.s3.bodies import PartBody
from twisted_ftps3.s3.completion import (
    UNCONFIRMED,
    complete_upload,
    md5_of_etag,
    multipart_etag,
)
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.limits import MIN_PART_SIZE

from .support.memory_store import MemoryObjectStore
from .support.memory_store import multipart_etag as oracle_etag

KEY = "dir/object.bin"
PARTS = [bytes([n]) * MIN_PART_SIZE for n in (1, 2)] + [b"tail"]
NO_SUCH_UPLOAD = S3Error("NoSuchUpload", 404, "gone", request_id="R404")


def md5(data: bytes) -> bytes:
    return hashlib.md5(data).digest()


class ETagTests(SynchronousTestCase):
    """
    L{multipart_etag} and L{md5_of_etag}.
    """

    def test_knownETag(self) -> None:
        """
        The ETag of one part of ten C{x}s is the one S3 (here moto) gives it.
        """
        self.assertEqual(multipart_etag([md5(b"x" * 10)]), "cb8d7289925309a05b2db09b7709c264-1")

    def test_agreesWithMemoryStore(self) -> None:
        """
        From the parts' MD5s, it is the ETag the in-memory store computes
        from their bytes.
        """
        self.assertEqual(multipart_etag([md5(p) for p in PARTS]), oracle_etag(PARTS))

    def test_orderMatters(self) -> None:
        """
        The same parts in another order make another ETag.
        """
        digests = [md5(p) for p in PARTS]
        self.assertNotEqual(multipart_etag(digests), multipart_etag(digests[::-1]))

    def test_md5OfETag(self) -> None:
        """
        A part's ETag, quoted or not, is its MD5 in hex.
        """
        etag = hashlib.md5(b"part").hexdigest()
        self.assertEqual(
            (md5_of_etag(f'"{etag}"'), md5_of_etag(etag)), (md5(b"part"), md5(b"part"))
        )

    def test_notAnMD5(self) -> None:
        """
        An ETag that is not 32 hex digits (a multipart ETag, an encrypted
        object's, garbage) stands for no MD5.
        """
        for etag in ('"abc"', oracle_etag(PARTS), "z" * 32, ""):
            self.assertIsNone(md5_of_etag(etag), etag)


class CompleteTests(SynchronousTestCase):
    """
    L{complete_upload} completes, and confirms the object when S3 no
    longer knows the upload.
    """

    def setUp(self) -> None:
        self.store = MemoryObjectStore()
        d = ensureDeferred(self.store.create_multipart_upload(KEY))
        self.upload_id = self.successResultOf(d)
        self.parts: list[tuple[int, str]] = []
        for number, data in enumerate(PARTS, start=1):
            body = PartBody.of(data)
            d = ensureDeferred(self.store.upload_part(KEY, self.upload_id, number, body))
            self.parts.append((number, self.successResultOf(d)))
        self.digests: list[bytes | None] = [md5(p) for p in PARTS]

    def complete(self) -> Deferred[None]:
        return ensureDeferred(
            complete_upload(self.store, KEY, self.upload_id, self.parts, self.digests)
        )

    def test_completes(self) -> None:
        """
        A completion that works stores the object, and nothing is asked of
        it afterwards.
        """
        self.successResultOf(self.complete())
        self.assertEqual(
            (self.store.data(KEY), self.store.named("head_object")), (b"".join(PARTS), [])
        )

    def test_lostAnswerConfirmed(self) -> None:
        """
        C{NoSuchUpload} for an upload an earlier attempt completed succeeds,
        once the object's ETag is found to be that of the parts sent.
        """
        self.successResultOf(self.complete())
        self.successResultOf(self.complete())
        self.assertEqual(self.store.named("head_object"), [("head_object", KEY)])

    def test_otherObjectNotConfirmed(self) -> None:
        """
        C{NoSuchUpload} with another object under the key fails with
        L{UNCONFIRMED}: a 451 for the client, not a missing file.
        """
        self.store.store(KEY, b"another object")
        self.store.fail("complete_multipart_upload", NO_SUCH_UPLOAD)
        error = self.failureResultOf(self.complete(), S3Error).value
        self.assertEqual(
            (error.code, error.not_found, error.request_id, error.operation, error.key),
            (UNCONFIRMED, False, "R404", "CompleteMultipartUpload", KEY),
        )
        self.assertIn(self.store.etag(KEY), error.message)

    def test_forgedAnswerNotConfirmed(self) -> None:
        """
        A 200 whose ETag is not the parts' (here, S3 never saw the
        completion: the upload is still open and the key empty) fails with
        L{UNCONFIRMED}, after a look at the object.
        """
        forged = "0" * 32 + "-3"

        async def forge(key: str, upload_id: str, parts: object) -> str:
            return forged

        self.patch(self.store, "complete_multipart_upload", forge)
        error = self.failureResultOf(self.complete(), S3Error).value
        self.assertEqual(error.code, UNCONFIRMED)
        self.assertEqual(self.store.named("head_object"), [("head_object", KEY)])
        self.assertEqual(list(self.store.uploads), [self.upload_id])

    def test_otherPartsAnsweredDeleted(self) -> None:
        """
        A completion S3 received with other parts than those sent answers
        their ETag: the object it made is deleted, not left for a reader to
        take as the client's file, and the completion fails.
        """
        self.parts = self.parts[:-1]
        error = self.failureResultOf(self.complete(), S3Error).value
        self.assertEqual(error.code, UNCONFIRMED)
        self.assertNotIn(KEY, self.store.keys())
        self.assertEqual(self.store.named("delete_object"), [("delete_object", KEY)])

    def test_answerWithoutETagAccepted(self) -> None:
        """
        An answer that names no ETag (some S3-compatible servers) is taken
        as it stands, as it was before ETags were compared.
        """

        async def silent(key: str, upload_id: str, parts: object) -> None:
            return None

        self.patch(self.store, "complete_multipart_upload", silent)
        self.successResultOf(self.complete())
        self.assertEqual(self.store.named("head_object"), [])

    def test_absentObjectNotConfirmed(self) -> None:
        """
        C{NoSuchUpload} with no object under the key fails with
        L{UNCONFIRMED}.
        """
        self.store.fail("complete_multipart_upload", NO_SUCH_UPLOAD)
        error = self.failureResultOf(self.complete(), S3Error).value
        self.assertEqual((error.code, self.store.keys()), (UNCONFIRMED, []))
        self.assertIn("absent", error.message)

    def test_otherPartsNotConfirmed(self) -> None:
        """
        An object made of other parts than those sent is not confirmed,
        even with the same number of parts.
        """
        self.successResultOf(self.complete())
        self.digests = [md5(b"other")] + self.digests[1:]
        error = self.failureResultOf(self.complete(), S3Error).value
        self.assertEqual(error.code, UNCONFIRMED)

    def test_unknownDigestNotConfirmed(self) -> None:
        """
        With a part whose MD5 is not known, nothing can be confirmed.
        """
        self.successResultOf(self.complete())
        self.digests = [None] + self.digests[1:]
        error = self.failureResultOf(self.complete(), S3Error).value
        self.assertEqual(error.code, UNCONFIRMED)

    def test_headFailureNotConfirmed(self) -> None:
        """
        When the object cannot be looked at, the completion is not
        confirmed.
        """
        self.successResultOf(self.complete())
        self.store.fail("head_object")
        error = self.failureResultOf(self.complete(), S3Error).value
        self.assertEqual(error.code, UNCONFIRMED)

    def test_otherFailureRaised(self) -> None:
        """
        Any other failure is raised as it is, without looking at the object.
        """
        refusal = S3Error("InvalidPart", 400, "One or more parts could not be found.")
        self.store.fail("complete_multipart_upload", refusal)
        self.assertIs(self.failureResultOf(self.complete(), S3Error).value, refusal)
        self.assertEqual(self.store.named("head_object"), [])
