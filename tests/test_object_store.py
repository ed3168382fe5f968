# -*- test-case-name: tests.test_object_store -*-
"""
The contract of L{IObjectStore}: one set of tests, run against every
implementation, so that the in-memory store the unit tests use cannot drift
from a real S3 server.

L{ObjectStoreTestsMixin} holds the tests, in the manner of Twisted's
C{IFTPShellTestsMixin} and txaws's S3 integration tests, in three parts
(objects, listings, multipart uploads) so that each stays readable. Each subclass says
how to make a fresh, empty store: L{MemoryObjectStoreTests} an in-memory
one, L{S3ClientOverMotoTests} the real L{S3Client} against moto on loopback,
with SigV4 signatures checked, and a new bucket per test. Where the two
disagree, the memory store is what gets fixed.

Multipart tests use parts of 5 MiB, S3's minimum, and no more than a few,
so the suite stays fast.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase
from zope.interface.verify import verifyObject

from twisted_ftps3.s3.bodies import PartBody
from twisted_ftps3.s3.client import S3Client
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.http import RetryPolicy
from twisted_ftps3.s3.interfaces import IObjectBody, IObjectStore
from twisted_ftps3.s3.limits import MAX_PARTS, MIN_PART_SIZE
from twisted_ftps3.s3.objects import (
    LifecycleRule,
    ListPage,
    MultipartUploadEntry,
    ObjectInfo,
    UploadedPart,
)

from .support.memory_store import MemoryObjectStore, md5_hex, multipart_etag
from .support.moto_client import moto_client
from .support.producers import RecordingConsumer
from .support.s3server import s3_server

#: Keys with the characters that need care on the way: spaces, a plus, a
#: percent sign, XML's specials, non-ASCII and an emoji sequence with a ZWJ.
ODD_KEYS = (
    "a b+c%20d.txt",
    "x&y<z>.bin",
    "\u00a3 price/caf\u00e9.txt",
    "family \U0001f468\u200d\U0001f469\u200d\U0001f467.txt",
)
PART = MIN_PART_SIZE


def part_of(size: int, fill: int) -> bytes:
    """C{size} bytes, all C{fill}, for a part whose bytes are told apart by it."""
    return bytes([fill]) * size


class StoreFixture:
    """
    What every part of the contract needs: a fresh store for each test, made
    by the L{TestCase}'s L{make_store}, and a few helpers.
    """

    store: Any

    #: How a part or a completion for an unknown upload fails: as in S3, a
    #: 404 C{NoSuchUpload}.
    missing_upload = (404, "NoSuchUpload")
    #: How UploadPartCopy from a missing key fails: as in S3, a 404
    #: C{NoSuchKey}.
    missing_copy_source = (404, "NoSuchKey")

    async def make_store(self) -> Any:
        """A new, empty store providing L{IObjectStore}, its bucket created."""
        raise NotImplementedError

    async def setUp(self) -> None:
        self.store = await self.make_store()

    async def put(self, key: str, data: bytes = b"") -> str:
        return await self.store.put_object(key, data)

    async def listed(self, prefix: str = "", delimiter: str | None = None) -> tuple[Any, Any]:
        """Every key and common prefix of a listing, over all its pages."""
        keys: list[str] = []
        prefixes: list[str] = []
        async for page in self.store.iter_pages(prefix, delimiter=delimiter):
            keys.extend(entry.key for entry in page.objects)
            prefixes.extend(page.common_prefixes)
        return keys, prefixes

    async def error_of(self, call: Any) -> S3Error:
        """The L{S3Error} that awaiting C{call} raises."""
        try:
            await call
        except S3Error as e:
            return e
        raise self.failureException("no S3Error raised")  # type: ignore[attr-defined]

    async def multipart(self, key: str, parts: Sequence[bytes]) -> tuple[str, list[Any]]:
        """Start an upload of C{key} and send C{parts}; return its id and ETags."""
        upload_id = await self.store.create_multipart_upload(key)
        etags = []
        for number, data in enumerate(parts, start=1):
            etag = await self.store.upload_part(key, upload_id, number, PartBody.of(data))
            etags.append((number, etag))
        return upload_id, etags


class ObjectContract(StoreFixture):
    """The contract for single objects: put, head, get, copy and delete."""

    def test_providesObjectStore(self) -> None:
        """
        The store provides every method of L{IObjectStore}.
        """
        self.assertTrue(verifyObject(IObjectStore, self.store))  # type: ignore[attr-defined]

    async def test_putReturnsMD5(self) -> None:
        """
        PutObject answers the ETag of an object stored whole: the hex MD5 of
        its bytes, without quotes.
        """
        etag = await self.put("k", b"some bytes")
        self.assertEqual(etag, md5_hex(b"some bytes"))  # type: ignore[attr-defined]

    async def test_putBody(self) -> None:
        """
        A L{PartBody} is stored as its bytes.
        """
        await self.store.put_object("k", PartBody.of(b"from a body"))
        self.assertEqual(  # type: ignore[attr-defined]
            await self.store.get_object_bytes("k"), b"from a body"
        )

    async def test_head(self) -> None:
        """
        HEAD tells the key, size, ETag and an aware modification time.
        """
        before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=3650)
        await self.put("dir/file", b"0123456789")
        info = await self.store.head_object("dir/file")
        self.assertEqual(  # type: ignore[attr-defined]
            (type(info), info.key, info.size, info.etag, info.last_modified.utcoffset()),
            (ObjectInfo, "dir/file", 10, md5_hex(b"0123456789"), datetime.timedelta(0)),
        )
        self.assertGreater(info.last_modified, before)  # type: ignore[attr-defined]

    async def test_headMissing(self) -> None:
        """
        HEAD of a missing key is a 404 C{NotFound} (a HEAD answer has no
        body to carry a more precise code).
        """
        error = await self.error_of(self.store.head_object("missing"))
        self.assertEqual(  # type: ignore[attr-defined]
            (error.not_found, error.status, error.code), (True, 404, "NotFound")
        )

    async def test_emptyObject(self) -> None:
        """
        An empty object has size 0 and the MD5 of no bytes.
        """
        await self.put("empty")
        info = await self.store.head_object("empty")
        self.assertEqual((info.size, info.etag), (0, md5_hex(b"")))  # type: ignore[attr-defined]

    async def test_open(self) -> None:
        """
        Opening an object answers what a HEAD would (its size and ETag)
        before any of its body is read; the body then streams into the
        consumer, registered as a streaming producer and unregistered at
        the end, and the size is returned.
        """
        data = bytes(range(256)) * 1024
        await self.put("k", data)
        body = await self.store.open_object("k")
        self.assertTrue(verifyObject(IObjectBody, body))  # type: ignore[attr-defined]
        self.assertEqual(  # type: ignore[attr-defined]
            (body.info, body.first_byte), (await self.store.head_object("k"), 0)
        )
        consumer = RecordingConsumer()
        count = await body.stream_into(consumer)
        self.assertEqual(  # type: ignore[attr-defined]
            (count, consumer.data, consumer.events[0], consumer.events[-1]),
            (len(data), data, ("register", True), ("unregister", None)),
        )

    async def test_openFromOffset(self) -> None:
        """
        Opened from a first byte, an object still gives its whole size, and
        its body is the rest of it.
        """
        await self.put("k", b"0123456789")
        body = await self.store.open_object("k", first_byte=6)
        consumer = RecordingConsumer()
        count = await body.stream_into(consumer)
        self.assertEqual(  # type: ignore[attr-defined]
            (body.info.size, body.first_byte, count, consumer.data), (10, 6, 4, b"6789")
        )

    async def test_openAtOrPastEnd(self) -> None:
        """
        A first byte at or past the end is no error: the object's size is
        given, and its body is empty.
        """
        await self.put("k", b"0123456789")
        for first in (10, 11):
            body = await self.store.open_object("k", first_byte=first)
            consumer = RecordingConsumer()
            self.assertEqual(  # type: ignore[attr-defined]
                (body.info.size, await body.stream_into(consumer), consumer.data),
                (10, 0, b""),
            )

    async def test_openEmpty(self) -> None:
        """An empty object opens (no range is asked for), with size 0 and an empty body."""
        await self.put("empty")
        body = await self.store.open_object("empty")
        consumer = RecordingConsumer()
        self.assertEqual(  # type: ignore[attr-defined]
            (body.info.size, await body.stream_into(consumer), consumer.data), (0, 0, b"")
        )

    async def test_openDiscarded(self) -> None:
        """
        A body discarded unread leaves the store able to serve the next
        request; discarding twice, or after streaming, is harmless.
        """
        await self.put("k", bytes(3 * 1024 * 1024))
        body = await self.store.open_object("k", first_byte=1)
        body.discard()
        body.discard()
        self.assertEqual(await self.store.get_object_bytes("k"), bytes(3 * 1024 * 1024))  # type: ignore[attr-defined]
        streamed = await self.store.open_object("k")
        await streamed.stream_into(RecordingConsumer())
        streamed.discard()

    async def test_openMissing(self) -> None:
        """Opening a missing key is a 404 C{NoSuchKey}."""
        error = await self.error_of(self.store.open_object("missing"))
        self.assertEqual(  # type: ignore[attr-defined]
            (error.not_found, error.code), (True, "NoSuchKey")
        )

    async def test_getBytesMissing(self) -> None:
        """
        Reading a missing key whole is a 404 C{NoSuchKey} too.
        """
        error = await self.error_of(self.store.get_object_bytes("missing"))
        self.assertEqual((error.status, error.code), (404, "NoSuchKey"))  # type: ignore[attr-defined]

    async def test_oddKeys(self) -> None:
        """
        Keys with spaces, plus and percent signs, XML's specials, non-ASCII
        and emoji are stored, described and read back under themselves.
        """
        for key in ODD_KEYS:
            await self.put(key, key.encode())
        for key in ODD_KEYS:
            info = await self.store.head_object(key)
            body = await self.store.get_object_bytes(key)
            self.assertEqual((info.key, body), (key, key.encode()))  # type: ignore[attr-defined]

    async def test_keyEndingInSlash(self) -> None:
        """
        A key ending in C{/} (a directory marker) is an object like another.
        """
        await self.put("dir/", b"")
        info = await self.store.head_object("dir/")
        self.assertEqual((info.key, info.size), ("dir/", 0))  # type: ignore[attr-defined]

    async def test_overwrite(self) -> None:
        """
        A second PutObject of a key replaces its bytes.
        """
        await self.put("k", b"first")
        await self.put("k", b"second")
        self.assertEqual(await self.store.get_object_bytes("k"), b"second")  # type: ignore[attr-defined]

    async def test_copy(self) -> None:
        """
        CopyObject makes the target hold the source's bytes and ETag, and
        leaves the source as it was.
        """
        source = ODD_KEYS[3]
        await self.put(source, b"copied bytes")
        await self.store.copy_object(source, "to/" + source, 12)
        target = await self.store.head_object("to/" + source)
        self.assertEqual(  # type: ignore[attr-defined]
            (await self.store.get_object_bytes("to/" + source), target.etag),
            (b"copied bytes", md5_hex(b"copied bytes")),
        )
        self.assertEqual(await self.store.get_object_bytes(source), b"copied bytes")  # type: ignore[attr-defined]

    async def test_copyMissing(self) -> None:
        """
        Copying a missing key is a 404 C{NoSuchKey}, and nothing is made.
        """
        error = await self.error_of(self.store.copy_object("missing", "to", 0))
        self.assertEqual((error.status, error.code), (404, "NoSuchKey"))  # type: ignore[attr-defined]
        self.assertEqual(await self.listed(), ([], []))  # type: ignore[attr-defined]

    async def test_delete(self) -> None:
        """
        DeleteObject removes the key; deleting a missing key succeeds.
        """
        await self.put("k", b"x")
        await self.store.delete_object("k")
        await self.store.delete_object("never-there")
        error = await self.error_of(self.store.head_object("k"))
        self.assertTrue(error.not_found)  # type: ignore[attr-defined]

    async def test_deleteObjects(self) -> None:
        """
        DeleteObjects removes every key named, odd ones included, ignores
        missing ones, and leaves the others.
        """
        for key in (*ODD_KEYS, "dir/", "kept"):
            await self.put(key, b"x")
        await self.store.delete_objects([*ODD_KEYS, "dir/", "never-there"])
        self.assertEqual(await self.listed(), (["kept"], []))  # type: ignore[attr-defined]

    async def test_deleteObjectsNone(self) -> None:
        """
        Deleting no keys changes nothing.
        """
        await self.put("kept", b"x")
        await self.store.delete_objects([])
        self.assertEqual(await self.listed(), (["kept"], []))  # type: ignore[attr-defined]

    async def test_deleteObjectsTooMany(self) -> None:
        """
        More than 1,000 keys in one DeleteObjects is refused, and nothing is
        deleted.
        """
        await self.put("k", b"x")
        try:
            await self.store.delete_objects(["k"] * 1001)
        except ValueError:
            pass
        else:
            self.fail("1,001 keys accepted")  # type: ignore[attr-defined]
        self.assertEqual(await self.listed(), (["k"], []))  # type: ignore[attr-defined]


class ListingContract(StoreFixture):
    """The contract for listings: order, prefixes, delimiters and pages."""

    async def test_listOrder(self) -> None:
        """
        A listing gives every key under the prefix, in UTF-8 order, as
        L{ObjectInfo}s in a L{ListPage}.
        """
        keys = ["b", "a/2", "a/1", "\u00e9", "Z", "a b", "a+b", "other/x"]
        for key in keys:
            await self.put(key, key.encode())
        page = await self.store.list_objects("")
        self.assertEqual(  # type: ignore[attr-defined]
            (type(page), [entry.key for entry in page.objects], page.next_continuation_token),
            (ListPage, sorted(keys, key=lambda key: key.encode()), None),
        )
        (entry,) = [entry for entry in page.objects if entry.key == "a b"]
        self.assertEqual(  # type: ignore[attr-defined]
            (type(entry), entry.size, entry.etag), (ObjectInfo, 3, md5_hex(b"a b"))
        )

    async def test_listPrefix(self) -> None:
        """
        Only keys that begin with the prefix are listed.
        """
        for key in ("dir/a", "dir/b", "dirt", "other"):
            await self.put(key)
        self.assertEqual(await self.listed("dir/"), (["dir/a", "dir/b"], []))  # type: ignore[attr-defined]

    async def test_listDelimiter(self) -> None:
        """
        With a delimiter, keys below the next delimiter roll up into common
        prefixes; a marker ending in the delimiter rolls up like its
        contents; the prefix's own marker is listed as a key.
        """
        for key in ("d/", "d/f", "d/sub/", "d/sub/g", "d/t/h", "d/\u00a3/i", "e"):
            await self.put(key)
        self.assertEqual(  # type: ignore[attr-defined]
            await self.listed("d/", "/"), (["d/", "d/f"], ["d/sub/", "d/t/", "d/\u00a3/"])
        )
        self.assertEqual(await self.listed("", "/"), (["e"], ["d/"]))  # type: ignore[attr-defined]

    async def test_listOddKeys(self) -> None:
        """
        Odd keys and common prefixes come back from a listing exactly.
        """
        for key in ODD_KEYS:
            await self.put("p/" + key)
        keys, prefixes = await self.listed("p/", "/")
        self.assertEqual(  # type: ignore[attr-defined]
            (keys, prefixes),
            (
                sorted(
                    (f"p/{key}" for key in ODD_KEYS if "/" not in key),
                    key=lambda key: key.encode(),
                ),
                ["p/\u00a3 price/"],
            ),
        )

    async def test_listPaging(self) -> None:
        """
        C{max_keys} cuts a listing into pages, counting keys and common
        prefixes together; each page's token leads to the next, and the
        last page has none.
        """
        for key in ("a", "b/1", "b/2", "c", "d/1", "e"):
            await self.put(key)
        pages = []
        token = None
        while True:
            page = await self.store.list_objects(
                "", delimiter="/", max_keys=2, continuation_token=token
            )
            pages.append(([entry.key for entry in page.objects], list(page.common_prefixes)))
            token = page.next_continuation_token
            if token is None:
                break
        self.assertEqual(  # type: ignore[attr-defined]
            pages, [(["a"], ["b/"]), (["c"], ["d/"]), (["e"], [])]
        )

    async def test_listMaxKeysOne(self) -> None:
        """
        C{max_keys=1} answers one entry and a token when there is more (how
        the shell asks whether a directory is empty).
        """
        await self.put("d/a")
        await self.put("d/b")
        page = await self.store.list_objects("d/", max_keys=1)
        self.assertEqual(  # type: ignore[attr-defined]
            ([entry.key for entry in page.objects], page.next_continuation_token is None),
            (["d/a"], False),
        )

    async def test_listEmpty(self) -> None:
        """
        A prefix with nothing under it lists as one empty page.
        """
        page = await self.store.list_objects("nothing/", delimiter="/")
        self.assertEqual(  # type: ignore[attr-defined]
            (page.objects, page.common_prefixes, page.next_continuation_token), ((), (), None)
        )


class MultipartContract(StoreFixture):
    """The contract for multipart uploads, their parts, their ETag and errors."""

    async def test_multipart(self) -> None:
        """
        Parts of at least 5 MiB and a short last one make one object of
        their bytes in order, whose ETag is S3's multipart ETag; the upload
        is gone once it is complete.
        """
        parts = [part_of(PART, 1), part_of(PART, 2), b"tail"]
        upload_id, etags = await self.multipart("big", parts)
        self.assertEqual(  # type: ignore[attr-defined]
            [part.etag for _, part in etags], [f'"{md5_hex(data)}"' for data in parts]
        )
        await self.store.complete_multipart_upload("big", upload_id, etags)
        info = await self.store.head_object("big")
        self.assertEqual(  # type: ignore[attr-defined]
            (info.size, info.etag), (2 * PART + 4, multipart_etag(parts))
        )
        self.assertEqual(  # type: ignore[attr-defined]
            hashlib.sha256(await self.store.get_object_bytes("big")).digest(),
            hashlib.sha256(b"".join(parts)).digest(),
        )
        self.assertEqual(await self.store.list_multipart_uploads(""), ())  # type: ignore[attr-defined]

    async def test_multipartInvisibleUntilComplete(self) -> None:
        """
        The object does not exist while its parts are being sent.
        """
        await self.multipart("big", [part_of(PART, 1)])
        error = await self.error_of(self.store.head_object("big"))
        self.assertTrue(error.not_found)  # type: ignore[attr-defined]

    async def test_multipartReplacesObject(self) -> None:
        """
        Completing an upload replaces an object of the same key.
        """
        await self.put("k", b"old")
        upload_id, etags = await self.multipart("k", [b"new"])
        await self.store.complete_multipart_upload("k", upload_id, etags)
        self.assertEqual(await self.store.get_object_bytes("k"), b"new")  # type: ignore[attr-defined]

    async def test_entityTooSmall(self) -> None:
        """
        A part below 5 MiB that is not the last is refused at completion
        with a 400 C{EntityTooSmall}, and nothing is stored.
        """
        upload_id, etags = await self.multipart("k", [b"small", part_of(PART, 1)])
        error = await self.error_of(self.store.complete_multipart_upload("k", upload_id, etags))
        self.assertEqual((error.status, error.code), (400, "EntityTooSmall"))  # type: ignore[attr-defined]
        self.assertTrue((await self.error_of(self.store.head_object("k"))).not_found)  # type: ignore[attr-defined]

    async def test_invalidPart(self) -> None:
        """
        Completing with an ETag no part has is a 400 C{InvalidPart}.
        """
        upload_id, _ = await self.multipart("k", [b"only"])
        error = await self.error_of(
            self.store.complete_multipart_upload(
                "k", upload_id, [(1, UploadedPart(f'"{md5_hex(b"other")}"'))]
            )
        )
        self.assertEqual((error.status, error.code), (400, "InvalidPart"))  # type: ignore[attr-defined]

    async def test_partNumberTooLarge(self) -> None:
        """
        A part numbered above 10,000 is a 400 C{InvalidArgument}.
        """
        upload_id = await self.store.create_multipart_upload("k")
        error = await self.error_of(
            self.store.upload_part("k", upload_id, MAX_PARTS + 1, PartBody.of(b"x"))
        )
        self.assertEqual((error.status, error.code), (400, "InvalidArgument"))  # type: ignore[attr-defined]

    async def test_uploadPartCopy(self) -> None:
        """
        UploadPartCopy makes a part of a range of another object, and
        answers its ETag, quoted (and, where the store reports one, the
        part's checksum); the copied part joins sent ones.
        """
        source = part_of(PART, 7) + b"0123456789"
        await self.put("src", source)
        upload_id = await self.store.create_multipart_upload("dst")
        copied = await self.store.upload_part_copy("dst", upload_id, 1, "src", 0, PART - 1)
        sent = await self.store.upload_part("dst", upload_id, 2, PartBody.of(b"new"))
        self.assertEqual(copied.etag, f'"{md5_hex(part_of(PART, 7))}"')  # type: ignore[attr-defined]
        copy = PartBody.of(part_of(PART, 7))
        self.assertIn(  # type: ignore[attr-defined]
            copied.checksum, (None, copy.checksum_crc32(), copy.checksum_sha256())
        )
        await self.store.complete_multipart_upload("dst", upload_id, [(1, copied), (2, sent)])
        self.assertEqual(  # type: ignore[attr-defined]
            await self.store.get_object_bytes("dst"), part_of(PART, 7) + b"new"
        )

    async def test_uploadPartCopyMissingSource(self) -> None:
        """
        UploadPartCopy from a missing key is a 404 (see L{missing_copy_source}).
        """
        upload_id = await self.store.create_multipart_upload("dst")
        error = await self.error_of(
            self.store.upload_part_copy("dst", upload_id, 1, "missing", 0, 9)
        )
        self.assertEqual(  # type: ignore[attr-defined]
            (error.not_found, (error.status, error.code)), (True, self.missing_copy_source)
        )

    async def test_uploadPartMissingUpload(self) -> None:
        """
        A part for an upload that does not exist fails (see
        L{missing_upload}).
        """
        error = await self.error_of(
            self.store.upload_part("k", "no-such-upload", 1, PartBody.of(b"x"))
        )
        self.assertEqual((error.status, error.code), self.missing_upload)  # type: ignore[attr-defined]

    async def test_completeMissingUpload(self) -> None:
        """
        Completing an upload that does not exist fails (see
        L{missing_upload}).
        """
        error = await self.error_of(
            self.store.complete_multipart_upload("k", "no-such-upload", [(1, UploadedPart('"e"'))])
        )
        self.assertEqual((error.status, error.code), self.missing_upload)  # type: ignore[attr-defined]

    async def test_abort(self) -> None:
        """
        An aborted upload is no longer listed and cannot be completed; an
        upload aborted twice, or never started, is no error.
        """
        upload_id, etags = await self.multipart("k", [b"part"])
        await self.store.abort_multipart_upload("k", upload_id)
        await self.store.abort_multipart_upload("k", upload_id)
        self.assertEqual(await self.store.list_multipart_uploads(""), ())  # type: ignore[attr-defined]
        error = await self.error_of(self.store.complete_multipart_upload("k", upload_id, etags))
        self.assertEqual((error.status, error.code), self.missing_upload)  # type: ignore[attr-defined]
        self.assertTrue((await self.error_of(self.store.head_object("k"))).not_found)  # type: ignore[attr-defined]

    async def test_listUploads(self) -> None:
        """
        The uploads in progress under a prefix are listed with their key
        and id; others are not. (S3 lists them in key order, moto in the
        order they began: the server relies on neither.)
        """
        second = await self.store.create_multipart_upload("p/\u00a3 b")
        first = await self.store.create_multipart_upload("p/a")
        await self.store.create_multipart_upload("q/c")
        uploads = await self.store.list_multipart_uploads("p/")
        self.assertEqual(  # type: ignore[attr-defined]
            (
                type(uploads),
                sorted((upload.key, upload.upload_id) for upload in uploads),
                {type(upload) for upload in uploads},
            ),
            (tuple, [("p/a", first), ("p/\u00a3 b", second)], {MultipartUploadEntry}),
        )


class CleanupContract(StoreFixture):
    """
    The contract for what the clean-up services use: the pages of
    ListMultipartUploads, each upload's start, and the lifecycle rules.
    """

    #: Whether the store pages uploads at C{max_uploads} and honours the
    #: markers; moto 5.2 answers every upload in one page whatever it is
    #: asked, which following the pages must survive.
    pages_uploads = True

    async def set_lifecycle(self, days: int) -> None:
        """Give the bucket one enabled rule, C{abort}, aborting after C{days}."""
        raise NotImplementedError

    async def test_uploadInitiated(self) -> None:
        """
        Each upload listed says when it began, as an aware UTC datetime.
        """
        await self.store.create_multipart_upload("k")
        (upload,) = await self.store.list_multipart_uploads("")
        self.assertEqual(  # type: ignore[attr-defined]
            (type(upload.initiated), upload.initiated.utcoffset()),
            (datetime.datetime, datetime.timedelta(0)),
        )

    async def test_uploadPages(self) -> None:
        """
        Followed page by page with C{max_uploads}, ListMultipartUploads
        lists every upload under the prefix once, in S3's order: by key,
        two of one key both; a store that pages stops a page at
        C{max_uploads} and marks it truncated.
        """
        ids = [await self.store.create_multipart_upload(key) for key in ("p/a", "p/b", "p/b")]
        ids.append(await self.store.create_multipart_upload("p/c"))
        await self.store.create_multipart_upload("q/d")
        pages = []
        markers: dict[str, str | None] = {"key_marker": None, "upload_id_marker": None}
        while True:
            page = await self.store.list_multipart_upload_page("p/", max_uploads=2, **markers)
            pages.append(page)
            if not page.truncated:
                break
            markers = {
                "key_marker": page.next_key_marker,
                "upload_id_marker": page.next_upload_id_marker,
            }
        listed = [(u.key, u.upload_id) for page in pages for u in page.uploads]
        self.assertEqual(  # type: ignore[attr-defined]
            sorted(listed), sorted(zip(["p/a", "p/b", "p/b", "p/c"], ids, strict=True))
        )
        self.assertEqual(  # type: ignore[attr-defined]
            [key for key, _ in listed], ["p/a", "p/b", "p/b", "p/c"]
        )
        if self.pages_uploads:
            self.assertEqual(  # type: ignore[attr-defined]
                [(len(page.uploads), page.truncated) for page in pages],
                [(2, True), (2, False)],
            )

    async def test_allPagesListed(self) -> None:
        """
        L{list_multipart_uploads} lists the uploads of every page.
        """
        ids = {await self.store.create_multipart_upload(f"k{n}") for n in range(3)}
        self.assertEqual(  # type: ignore[attr-defined]
            {upload.upload_id for upload in await self.store.list_multipart_uploads()}, ids
        )

    async def test_noLifecycle(self) -> None:
        """
        A bucket without a lifecycle configuration has no rules.
        """
        self.assertEqual(await self.store.get_bucket_lifecycle(), ())  # type: ignore[attr-defined]

    async def test_lifecycle(self) -> None:
        """
        A rule that aborts incomplete uploads is read back, enabled, for
        the whole bucket, with its days.
        """
        await self.set_lifecycle(7)
        self.assertEqual(  # type: ignore[attr-defined]
            await self.store.get_bucket_lifecycle(), (LifecycleRule("abort", True, "", 7),)
        )


class ObjectStoreTestsMixin(ObjectContract, ListingContract, MultipartContract, CleanupContract):
    """
    The whole contract of L{IObjectStore}, in one mixin. A subclass is a
    L{TestCase} that defines L{make_store}, and may say where the server it
    tests is known to answer differently from S3 (L{missing_upload},
    L{missing_copy_source}).
    """


class MemoryObjectStoreTests(ObjectStoreTestsMixin, TestCase):
    """
    The contract, kept by L{MemoryObjectStore}.
    """

    async def make_store(self) -> MemoryObjectStore:
        # A real clock's time, as S3's Initiated is.
        return MemoryObjectStore(now=lambda: datetime.datetime.now(datetime.timezone.utc))

    async def set_lifecycle(self, days: int) -> None:
        self.store.lifecycle = (LifecycleRule("abort", True, "", days),)


class S3ClientOverMotoTests(ObjectStoreTestsMixin, TestCase):
    """
    The contract, kept by L{S3Client} against moto with signature checks,
    over loopback on the real reactor, in a bucket of its own.
    """

    # Where moto 5.2 departs from S3, the memory store keeps S3's answer:
    #: moto fails a part or a completion for an unknown upload with a 500 (a
    #: KeyError inside it).
    missing_upload = (500, "InternalError")
    #: moto answers UploadPartCopy from a missing key with a bare 404.
    missing_copy_source = (404, "NotFound")
    #: moto ignores max-uploads and both markers (see L{pages_uploads}).
    pages_uploads = False

    async def make_store(self) -> S3Client:
        server = s3_server()
        self.server = server
        client = moto_client(
            self,
            server,
            f"contract-{uuid.uuid4().hex}",
            # moto's 500s (see missing_upload) are retried: not for long.
            retry=RetryPolicy(patience=0.5, base=0.01),
        )
        await client.create_bucket()
        return client

    async def set_lifecycle(self, days: int) -> None:
        rule = {
            "ID": "abort",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days},
        }
        await deferToThread(
            self.server.boto3_client().put_bucket_lifecycle_configuration,
            Bucket=self.store.bucket,
            LifecycleConfiguration={"Rules": [rule]},
        )

    async def test_signaturesChecked(self) -> None:
        """
        The server really checks signatures: a wrong secret is refused with
        C{SignatureDoesNotMatch}, so every other test here was signed right.
        """
        forged = moto_client(
            self, self.server, self.store.bucket, secret="not-" + self.server.secret_access_key
        )
        error = await self.error_of(forged.put_object("k", b"x"))
        self.assertEqual((error.status, error.code), (403, "SignatureDoesNotMatch"))
