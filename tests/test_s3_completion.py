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
    part_md5,
)
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.limits import MIN_PART_SIZE
from twisted_ftps3.s3.objects import UploadedPart

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

    def test_partMD5Sent(self) -> None:
        """
        A part S3 checked against the MD5 sent (C{Content-MD5}) is known by
        that MD5, whatever its ETag says (an encrypted object's is no MD5).
        """
        part = UploadedPart('"not an md5"', md5=md5(b"part"))
        self.assertEqual(part_md5(part), md5(b"part"))

    def test_partMD5OfETag(self) -> None:
        """
        A part checked by its CRC32, or copied, is known by the MD5 its ETag
        stands for, or not at all.
        """
        etag = '"' + hashlib.md5(b"part").hexdigest() + '"'
        self.assertEqual(
            (part_md5(UploadedPart(etag, checksum="AAAAAA==")), part_md5(UploadedPart('"x-2"'))),
            (md5(b"part"), None),
        )


class CompleteTests(SynchronousTestCase):
    """
    L{complete_upload} completes, and confirms the object when S3 no
    longer knows the upload.
    """

    def setUp(self) -> None:
        self.store = MemoryObjectStore()
        d = ensureDeferred(self.store.create_multipart_upload(KEY))
        self.upload_id = self.successResultOf(d)
        # The store acknowledges each part with its ETag and CRC32, as S3
        # does for the client's default checksum: no MD5 computed here.
        self.parts: list[tuple[int, UploadedPart]] = []
        for number, data in enumerate(PARTS, start=1):
            body = PartBody.of(data)
            d = ensureDeferred(self.store.upload_part(KEY, self.upload_id, number, body))
            self.parts.append((number, self.successResultOf(d)))

    def complete(self) -> Deferred[None]:
        return ensureDeferred(complete_upload(self.store, KEY, self.upload_id, self.parts))

    def replace_first(self, **changes: object) -> None:
        """Make the first part acknowledged another, as a test needs it."""
        number, part = self.parts[0]
        fields = {"etag": part.etag, "checksum": part.checksum, "md5": part.md5, **changes}
        self.parts[0] = (number, UploadedPart(**fields))  # type: ignore[arg-type]

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

    def test_lostAnswerConfirmedByMD5Sent(self) -> None:
        """
        Parts S3 checked against the MD5s sent (C{Content-MD5}) confirm the
        object by those MD5s.
        """
        self.parts = [
            (number, UploadedPart(part.etag, md5=md5(data)))
            for (number, part), data in zip(self.parts, PARTS, strict=True)
        ]
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
        complete = self.store.complete_multipart_upload

        async def drop_last(key: str, upload_id: str, parts: list[object]) -> str:
            return await complete(key, upload_id, parts[:-1])  # type: ignore[arg-type]

        self.patch(self.store, "complete_multipart_upload", drop_last)
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
        self.replace_first(md5=md5(b"other"))
        error = self.failureResultOf(self.complete(), S3Error).value
        self.assertEqual(error.code, UNCONFIRMED)

    def test_unknownDigestNotConfirmed(self) -> None:
        """
        With a part whose MD5 is not known (an ETag that is not one, as an
        encrypted object's), nothing can be confirmed.
        """
        self.successResultOf(self.complete())
        self.replace_first(etag='"kms-etag"')
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
