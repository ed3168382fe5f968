"""
An S3 bucket in memory, for unit tests of everything above the S3 client.

L{MemoryObjectStore} implements L{IObjectStore} with S3's semantics as far as
this server relies on them: keys in UTF-8 order, common prefixes, paging by
an opaque continuation token, ranged reads, multipart uploads whose parts
must be at least 5 MiB (but the last) and whose ETag is S3's multipart ETag,
uploads in progress listed page by page after S3's markers, each with when
it began, lifecycle rules a test sets, and S3's error codes and statuses.
The object-store contract suite (C{tests.test_object_store}) runs the same
tests against it and against S3 over HTTP (moto), so where the two differ, a
test fails.

It records every call and can misbehave on demand, by operation name (the
method name, such as C{"upload_part"}):

  - L{fail}: raise an L{S3Error} (S3's C{503 SlowDown} unless told another);
  - L{drop}: fail as a dropped connection does in the real client;
  - L{drop_after}: act, then fail so: the change is made, its answer lost;
  - L{hold}: wait until the test calls L{release}, to keep calls in flight;
  - L{delay}: wait a number of seconds on a test's L{Clock}.

Calls that are neither held nor delayed finish before they return, so most
tests that use it are synchronous.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IConsumer, IPushProducer, IReactorTime
from twisted.internet.task import deferLater
from zope.interface import implementer

from twisted_ftps3.s3.bodies import PartBody
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.interfaces import IAbortRetrier, IObjectBody, IObjectStore
from twisted_ftps3.s3.limits import MAX_DELETE_KEYS, MAX_LIST_KEYS, MAX_PARTS, MIN_PART_SIZE
from twisted_ftps3.s3.objects import (
    LifecycleRule,
    ListPage,
    MultipartUploadEntry,
    ObjectInfo,
    UploadedPart,
    UploadPage,
    every_upload,
    follow_pages,
)

UTC = datetime.timezone.utc
#: When an object was last changed, unless the store is given another clock.
STORED_AT = datetime.datetime(2026, 11, 26, 10, 19, 42, tzinfo=UTC)
#: How much of a body one write to a download's consumer carries.
CHUNK = 64 * 1024
#: The calls that change nothing, for L{MemoryObjectStore.changes}.
READS = frozenset(
    {"head_object", "open_object", "get_object_bytes", "list_objects", "iter_pages",
     "list_multipart_uploads", "list_multipart_upload_page", "get_bucket_lifecycle"}
)  # fmt: skip


def md5_hex(data: bytes) -> str:
    """The ETag S3 gives an object stored whole: the hex MD5 of its bytes."""
    return hashlib.md5(data).hexdigest()


def multipart_etag(parts: Sequence[bytes]) -> str:
    """
    The ETag S3 gives an object made of C{parts}: the MD5 of their binary
    MD5s, then C{-} and how many parts there were.
    """
    digests = b"".join(hashlib.md5(part).digest() for part in parts)
    return f"{hashlib.md5(digests).hexdigest()}-{len(parts)}"


@dataclass
class _Stored:
    data: bytes
    modified: datetime.datetime
    etag: str


@dataclass
class _Upload:
    key: str
    initiated: datetime.datetime
    parts: dict[int, bytes] = field(default_factory=dict)


@dataclass
class _Misbehaviour:
    """What one operation does wrong, and how many more times."""

    make_error: Callable[[str, str | None], S3Error] | None = None
    hold: bool = False
    delay: float = 0.0
    clock: IReactorTime | None = None
    times: int | None = None


@implementer(IPushProducer)
class _BodyProducer:
    """Writes a body to a consumer in chunks, stopping while it is paused."""

    def __init__(self, consumer: IConsumer, body: bytes) -> None:
        self._consumer = consumer
        self._view = memoryview(body)
        self._paused = False
        self.done: Deferred[int] = Deferred()

    def start(self) -> None:
        self._consumer.registerProducer(self, True)
        self.resumeProducing()

    def pauseProducing(self) -> None:
        self._paused = True

    def resumeProducing(self) -> None:
        self._paused = False
        while self._view and not self._paused and not self.done.called:
            chunk, self._view = self._view[:CHUNK], self._view[CHUNK:]
            self._consumer.write(bytes(chunk))
        if not self._view and not self.done.called:
            self._consumer.unregisterProducer()
            self.done.callback(None)

    def stopProducing(self) -> None:
        if not self.done.called:
            self._view = memoryview(b"")
            self._consumer.unregisterProducer()
            self.done.errback(
                S3Error("ConnectionError", None, "download stopped", operation="GetObject")
            )


@implementer(IObjectBody)
class MemoryBody:
    """
    An object opened for reading: its bytes from C{first_byte} on, held
    until they are streamed or discarded, as the real client holds a GET's
    answer.

    @ivar held: whether it still waits for its end: neither streamed to the
        end, stopped by its consumer, nor discarded.
    @ivar discarded: whether L{discard} let it go unread.
    """

    discarded = False

    def __init__(self, info: ObjectInfo, first_byte: int, data: bytes) -> None:
        self.info = info
        self.first_byte = first_byte
        self._data = data
        self._producer: _BodyProducer | None = None

    @property
    def held(self) -> bool:
        if self.discarded:
            return False
        return self._producer is None or not self._producer.done.called

    async def stream_into(self, consumer: IConsumer) -> int:
        if self._producer is not None or self.discarded:
            raise RuntimeError(f"the body of {self.info.key!r} was streamed or discarded already")
        self._producer = _BodyProducer(consumer, self._data)
        self._producer.start()
        await self._producer.done
        return len(self._data)

    def discard(self) -> None:
        if self._producer is None:
            self.discarded = True


class CallRecorder:
    """
    Records the calls made of a fake, by method name, and makes them
    misbehave on demand: the test controls of L{MemoryObjectStore}.

    @ivar calls: every call, as a tuple of the method's name and arguments.
    @ivar failures: an L{S3Error} put here under a method's name is raised
        by every call of that name, before it does anything.
    @ivar pending: the Deferreds of held calls, by method name, oldest first.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.failures: dict[str, S3Error] = {}
        self.pending: dict[str, list[Deferred[None]]] = {}
        self._misbehaving: dict[str, _Misbehaviour] = {}

    def named(self, name: str) -> list[tuple[Any, ...]]:
        """The recorded calls of one method, in order."""
        return [call for call in self.calls if call[0] == name]

    def changes(self) -> list[tuple[Any, ...]]:
        """The recorded calls that may change the bucket, in order."""
        return [call for call in self.calls if call[0] not in READS]

    def fail(self, name: str, error: S3Error | None = None, *, times: int | None = None) -> None:
        """
        Make calls of C{name} raise C{error}, or S3's C{503 SlowDown}; only
        the next C{times} calls when C{times} is given.
        """

        def make(operation: str, key: str | None) -> S3Error:
            if error is not None:
                return error
            return S3Error(
                "SlowDown", 503, "Please reduce your request rate.", operation=operation, key=key
            )

        self._misbehaving[name] = _Misbehaviour(make_error=make, times=times)

    def drop(self, name: str, *, times: int | None = None) -> None:
        """Make calls of C{name} fail as a connection reset does in the real client."""

        def make(operation: str, key: str | None) -> S3Error:
            return S3Error(
                "ConnectionError", None, "connection reset by peer", operation=operation, key=key
            )

        self._misbehaving[name] = _Misbehaviour(make_error=make, times=times)

    def drop_after(self, name: str, *, times: int | None = None) -> None:
        """
        Make calls of C{name} do what they do and then fail as a connection
        reset does in the real client, as if S3 acted and its answer was
        lost on the way back; only the next C{times} calls when given.
        """
        act = getattr(type(self), name).__get__(self)
        left = [times]

        async def act_then_drop(*args: Any, **kwargs: Any) -> Any:
            await act(*args, **kwargs)
            if left[0] is not None:
                left[0] -= 1
                if left[0] <= 0:
                    self.__dict__.pop(name, None)
            key = args[0] if args and isinstance(args[0], str) else None
            raise S3Error(
                "ConnectionError", None, "connection reset before the answer", operation=name,
                key=key,
            )  # fmt: skip

        # An attribute of the instance hides the method until behave().
        setattr(self, name, act_then_drop)

    def hold(self, name: str) -> None:
        """Make calls of C{name} wait, after being recorded, until L{release}d."""
        self._misbehaving[name] = _Misbehaviour(hold=True)

    def release(self, name: str, index: int = 0, error: S3Error | None = None) -> None:
        """Let the C{index}th held call of C{name} go on, or fail with C{error}."""
        waiting = self.pending[name][index]
        if error is None:
            waiting.callback(None)
        else:
            waiting.errback(error)

    def delay(self, name: str, seconds: float, clock: IReactorTime) -> None:
        """Make calls of C{name} wait C{seconds} on C{clock} before they act."""
        self._misbehaving[name] = _Misbehaviour(delay=seconds, clock=clock)

    def behave(self, name: str | None = None) -> None:
        """Stop misbehaving: for C{name}, or for every operation."""
        if name is None:
            self._misbehaving.clear()
            self.failures.clear()
            for wrapped in [n for n in vars(self) if callable(getattr(type(self), n, None))]:
                del self.__dict__[wrapped]
        else:
            self._misbehaving.pop(name, None)
            self.failures.pop(name, None)
            self.__dict__.pop(name, None)

    async def _enter(self, name: str, operation: str, key: str | None, *args: Any) -> None:
        """Record a call, then misbehave as the test asked."""
        self.calls.append((name, *args))
        if name in self.failures:
            raise self.failures[name]
        wrong = self._misbehaving.get(name)
        if wrong is None:
            return
        if wrong.times is not None:
            wrong.times -= 1
            if wrong.times <= 0:
                del self._misbehaving[name]
        if wrong.hold:
            waiting: Deferred[None] = Deferred()
            self.pending.setdefault(name, []).append(waiting)
            await waiting
        if wrong.clock is not None:
            await deferLater(wrong.clock, wrong.delay, lambda: None)
        if wrong.make_error is not None:
            raise wrong.make_error(operation, key)


@implementer(IObjectStore)
class MemoryObjectStore(CallRecorder):
    """
    One bucket, in a dict, its calls recorded (see L{CallRecorder}).

    @ivar bodies: the body each C{put_object} and C{upload_part} was given
        (bytes or a L{PartBody}), in order, as it was given.
    @param page_size: the most entries one page of a listing holds, so that
        tests exercise paging with a few keys.
    @param now: when a write happens, for C{last_modified}, and when an
        upload is initiated.
    @ivar uploads: the uploads in progress by id; a test may change an
        upload's C{initiated} to make it look abandoned.
    @ivar lifecycle: the bucket's lifecycle rules, which a test may set.
    @ivar aborts: where L{twisted_ftps3.s3.multipart.abort_quietly} hands
        an abort that failed; C{None} unless a test sets one.
    @param checksum: how a part sent is acknowledged, as
        L{twisted_ftps3.s3.client.S3Client} set to that checksum does: with
        its CRC32 (C{"crc32"}), its SHA-256 (C{"sha256"}) or with the MD5
        sent (C{"md5"}).
    """

    def __init__(
        self,
        bucket: str = "bucket",
        *,
        page_size: int = MAX_LIST_KEYS,
        now: Callable[[], datetime.datetime] = lambda: STORED_AT,
        checksum: str = "crc32",
    ) -> None:
        super().__init__()
        self.checksum = checksum
        self.bucket = bucket
        self.page_size = page_size
        self._now = now
        self._objects: dict[str, _Stored] = {}
        self.uploads: dict[str, _Upload] = {}
        self._next_upload = 1
        self.bodies: list[bytes | PartBody] = []
        self.lifecycle: tuple[LifecycleRule, ...] = ()
        self.aborts: IAbortRetrier | None = None
        self.opened: list[MemoryBody] = []

    # -- for the tests ------------------------------------------------------

    def store(self, key: str, data: bytes = b"", modified: datetime.datetime | None = None) -> None:
        """Put C{key} in the bucket without recording a call."""
        self._objects[key] = _Stored(data, modified or self._now(), md5_hex(data))

    def data(self, key: str) -> bytes:
        """The bytes stored under C{key}; C{KeyError} if there are none."""
        return self._objects[key].data

    def etag(self, key: str) -> str:
        """The ETag of C{key}, unquoted; C{KeyError} if there is none."""
        return self._objects[key].etag

    def held(self) -> list[MemoryBody]:
        """The bodies opened that were neither streamed to their end, stopped nor discarded."""
        return [body for body in self.opened if body.held]

    def keys(self) -> list[str]:
        """Every key in the bucket, in S3's order."""
        return sorted(self._objects, key=_utf8)

    @staticmethod
    def _missing(code: str, operation: str, key: str | None, message: str) -> S3Error:
        return S3Error(code, 404, message, operation=operation, key=key)

    def _object(self, operation: str, key: str, code: str = "NoSuchKey") -> _Stored:
        try:
            return self._objects[key]
        except KeyError:
            raise self._missing(code, operation, key, "The specified key does not exist.") from None

    def _upload(self, operation: str, key: str, upload_id: str, number: int = 1) -> _Upload:
        upload = self.uploads.get(upload_id)
        if upload is None or upload.key != key:
            raise self._missing(
                "NoSuchUpload", operation, key, "The specified upload does not exist."
            )
        if not 1 <= number <= MAX_PARTS:
            raise S3Error(
                "InvalidArgument", 400,
                f"Part number must be an integer between 1 and {MAX_PARTS}, inclusive",
                operation=operation, key=key,
            )  # fmt: skip
        return upload

    # -- the bucket ---------------------------------------------------------

    async def create_bucket(self) -> None:
        await self._enter("create_bucket", "CreateBucket", None)

    # -- objects ------------------------------------------------------------

    async def head_object(self, key: str) -> ObjectInfo:
        await self._enter("head_object", "HeadObject", key, key)
        # HEAD answers have no body, so S3's code is the status's.
        return self._info(key, self._object("HeadObject", key, code="NotFound"))

    async def open_object(self, key: str, first_byte: int = 0) -> MemoryBody:
        await self._enter("open_object", "GetObject", key, key, first_byte)
        stored = self._object("GetObject", key)
        body = MemoryBody(self._info(key, stored), first_byte, stored.data[first_byte:])
        self.opened.append(body)
        return body

    async def get_object_bytes(self, key: str) -> bytes:
        await self._enter("get_object_bytes", "GetObject", key, key)
        return self._object("GetObject", key).data

    async def put_object(self, key: str, data: bytes | PartBody = b"") -> str:
        self.bodies.append(data)
        body = data.getvalue() if isinstance(data, PartBody) else bytes(data)
        await self._enter("put_object", "PutObject", key, key, body)
        self.store(key, body)
        return self._objects[key].etag

    async def copy_object(self, source_key: str, target_key: str, size: int) -> None:
        await self._enter("copy_object", "CopyObject", target_key, source_key, target_key, size)
        source = self._object("CopyObject", source_key)
        if size != len(source.data):
            raise AssertionError(
                f"copy of {source_key!r} claims {size} bytes, has {len(source.data)}"
            )
        self._objects[target_key] = _Stored(source.data, self._now(), source.etag)

    async def delete_object(self, key: str) -> None:
        await self._enter("delete_object", "DeleteObject", key, key)
        self._objects.pop(key, None)

    async def delete_objects(self, keys: Sequence[str]) -> None:
        await self._enter("delete_objects", "DeleteObjects", None, list(keys))
        if len(keys) > MAX_DELETE_KEYS:
            raise ValueError(f"DeleteObjects takes at most {MAX_DELETE_KEYS:,} keys")
        for key in keys:
            self._objects.pop(key, None)

    # -- listings -----------------------------------------------------------

    def _entries(self, prefix: str, delimiter: str | None) -> list[tuple[str, bool]]:
        """
        The whole listing as S3 orders it: (key or common prefix, is prefix).

        With a delimiter, every key with the delimiter after the prefix rolls
        up into the common prefix ending at that delimiter's first
        occurrence, which takes the place of its first key.
        """
        entries: list[tuple[str, bool]] = []
        for key in self.keys():
            if not key.startswith(prefix):
                continue
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut != -1:
                    common = key[: cut + len(delimiter)]
                    if not entries or entries[-1] != (common, True):
                        entries.append((common, True))
                    continue
            entries.append((key, False))
        return entries

    async def list_objects(
        self,
        prefix: str,
        delimiter: str | None = None,
        max_keys: int | None = None,
        continuation_token: str | None = None,
    ) -> ListPage:
        await self._enter(
            "list_objects", "ListObjectsV2", prefix, prefix, delimiter, max_keys, continuation_token
        )
        entries = self._entries(prefix, delimiter)
        if continuation_token is not None:
            after = _utf8(continuation_token.removeprefix("after:"))
            entries = [entry for entry in entries if _utf8(entry[0]) > after]
        limit = self.page_size if max_keys is None else min(max_keys, self.page_size)
        page, rest = entries[:limit], entries[limit:]
        return ListPage(
            objects=tuple(
                self._info(key, self._objects[key]) for key, is_prefix in page if not is_prefix
            ),
            common_prefixes=tuple(key for key, is_prefix in page if is_prefix),
            next_continuation_token=f"after:{page[-1][0]}" if rest else None,
        )

    async def iter_pages(
        self, prefix: str, delimiter: str | None = None
    ) -> AsyncIterator[ListPage]:
        await self._enter("iter_pages", "ListObjectsV2", prefix, prefix, delimiter)
        async for page in follow_pages(self.list_objects, prefix, delimiter):
            yield page

    @staticmethod
    def _info(key: str, stored: _Stored) -> ObjectInfo:
        return ObjectInfo(
            key=key, size=len(stored.data), last_modified=stored.modified, etag=stored.etag
        )

    # -- multipart uploads --------------------------------------------------

    async def create_multipart_upload(self, key: str) -> str:
        await self._enter("create_multipart_upload", "CreateMultipartUpload", key, key)
        upload_id = f"upload-{self._next_upload}"
        self._next_upload += 1
        self.uploads[upload_id] = _Upload(key, self._now())
        return upload_id

    async def upload_part(
        self, key: str, upload_id: str, number: int, body: PartBody
    ) -> UploadedPart:
        self.bodies.append(body)
        await self._enter("upload_part", "UploadPart", key, key, upload_id, number, len(body))
        data = body.getvalue()
        self._upload("UploadPart", key, upload_id, number).parts[number] = data
        etag = f'"{md5_hex(data)}"'
        if self.checksum == "md5":
            return UploadedPart(etag, md5=body.md5_digest())
        return UploadedPart(etag, checksum=self._checksum_of(body))

    async def upload_part_copy(
        self, key: str, upload_id: str, number: int, source_key: str, first: int, last: int
    ) -> UploadedPart:
        await self._enter(
            "upload_part_copy", "UploadPartCopy", key, key, upload_id, number, source_key,
            first, last,
        )  # fmt: skip
        upload = self._upload("UploadPartCopy", key, upload_id, number)
        source = self._object("UploadPartCopy", source_key).data
        if not 0 <= first <= last < len(source):
            raise S3Error(
                "InvalidArgument", 400, "The x-amz-copy-source-range value must be of the "
                "form bytes=first-last where first and last are the zero-based offsets of the "
                "first and last bytes to copy", operation="UploadPartCopy", key=key,
            )  # fmt: skip
        upload.parts[number] = source[first : last + 1]
        etag = f'"{md5_hex(upload.parts[number])}"'
        if self.checksum == "md5":
            return UploadedPart(etag)
        return UploadedPart(etag, checksum=self._checksum_of(PartBody.of(upload.parts[number])))

    def _checksum_of(self, body: PartBody) -> str:
        if self.checksum == "sha256":
            return body.checksum_sha256()
        return body.checksum_crc32()

    async def complete_multipart_upload(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, UploadedPart]]
    ) -> str:
        operation = "CompleteMultipartUpload"
        await self._enter(
            "complete_multipart_upload", operation, key, key, upload_id, [n for n, _ in parts]
        )
        upload = self._upload(operation, key, upload_id)
        chosen = self._chosen_parts(key, upload, parts)
        del self.uploads[upload_id]
        self._objects[key] = _Stored(b"".join(chosen), self._now(), multipart_etag(chosen))
        return self._objects[key].etag

    def _chosen_parts(
        self, key: str, upload: _Upload, parts: Sequence[tuple[int, UploadedPart]]
    ) -> list[bytes]:
        """The bytes of the parts a completion names, refused as S3 refuses them."""
        operation = "CompleteMultipartUpload"

        def refuse(code: str, message: str) -> S3Error:
            return S3Error(code, 400, message, operation=operation, key=key)

        if not parts:
            raise refuse("MalformedXML", "The XML you provided was not well-formed.")
        numbers = [number for number, _ in parts]
        if numbers != sorted(set(numbers)):
            raise refuse("InvalidPartOrder", "The list of parts was not in ascending order.")
        chosen = []
        for number, part in parts:
            data = upload.parts.get(number)
            if data is None or part.etag.strip('"') != md5_hex(data):
                raise refuse(
                    "InvalidPart", "One or more of the specified parts could not be found."
                )
            chosen.append(data)
        if any(len(data) < MIN_PART_SIZE for data in chosen[:-1]):
            raise refuse("EntityTooSmall", "Your proposed upload is smaller than the minimum.")
        return chosen

    async def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        await self._enter("abort_multipart_upload", "AbortMultipartUpload", key, key, upload_id)
        upload = self.uploads.get(upload_id)
        if upload is not None and upload.key == key:
            del self.uploads[upload_id]

    async def list_multipart_uploads(self, prefix: str = "") -> tuple[MultipartUploadEntry, ...]:
        await self._enter("list_multipart_uploads", "ListMultipartUploads", prefix, prefix)
        return await every_upload(self.list_multipart_upload_page, prefix)

    async def list_multipart_upload_page(
        self,
        prefix: str = "",
        key_marker: str | None = None,
        upload_id_marker: str | None = None,
        max_uploads: int | None = None,
    ) -> UploadPage:
        await self._enter(
            "list_multipart_upload_page", "ListMultipartUploads", prefix,
            prefix, key_marker, upload_id_marker, max_uploads,
        )  # fmt: skip

        # S3 orders uploads by key, and uploads of one key by when they
        # began; here, by the number in the id, which grows with each upload.
        def place(key: str, upload_id: str | None) -> tuple[bytes, float]:
            return (_utf8(key), _upload_number(upload_id))

        entries = sorted(
            (
                MultipartUploadEntry(upload.key, upload_id, upload.initiated)
                for upload_id, upload in self.uploads.items()
                if upload.key.startswith(prefix)
            ),
            key=lambda entry: place(entry.key, entry.upload_id),
        )
        if key_marker is not None:
            after = place(key_marker, upload_id_marker)
            entries = [e for e in entries if place(e.key, e.upload_id) > after]
        limit = self.page_size if max_uploads is None else min(max_uploads, self.page_size)
        page, rest = tuple(entries[:limit]), entries[limit:]
        if not rest:
            return UploadPage(page, None, None)
        return UploadPage(page, page[-1].key, page[-1].upload_id)

    async def get_bucket_lifecycle(self) -> tuple[LifecycleRule, ...]:
        await self._enter("get_bucket_lifecycle", "GetBucketLifecycleConfiguration", None)
        return self.lifecycle


def _upload_number(upload_id: str | None) -> float:
    """
    Where an upload id marker falls among the ids of one key: without one,
    after them all, as S3 reads a key marker alone.
    """
    return float("inf") if upload_id is None else int(upload_id.removeprefix("upload-"))


def _utf8(key: str) -> bytes:
    """S3 orders keys by their UTF-8 bytes."""
    return key.encode("utf-8")
