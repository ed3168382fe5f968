# -*- test-case-name: tests.test_s3_upload -*-
"""
Stream one upload into S3 while it arrives, with bounded memory.

L{MultipartWriter} is the consumer the data connection writes into. Bytes are
cut into parts as they come, each part's buffer growing with what it holds;
each full part goes out as an UploadPart
call while the next fills. When the configured number of parts
is in flight, the data connection is paused, and it is resumed as soon as one
finishes: a client faster than S3 waits, and never makes this process hold
more than C{parts_in_flight + 1} parts. Nothing sleeps, nothing polls.

The object exists only once L{MultipartWriter.finish} completes the upload. A
file smaller than one part goes up in a single PutObject instead, which is
just as atomic and costs one request rather than three.

S3's brief failures never reach the writer: the client retries them, and a
part being retried is still in flight, so the data connection stays paused
as it does for a slow S3. The completion is retried too, and what S3
acknowledged of every part is kept so that a completion whose answer was
lost can be told from one that failed (L{twisted_ftps3.s3.completion}).
The part's checksum is the store's business: it computes the one it sends
(a CRC32 or an MD5) once, as the part goes out.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from twisted.internet.defer import Deferred, ensureDeferred, gatherResults
from twisted.internet.interfaces import IPushProducer
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from ..interfaces import ISequenceConsumer
from .bodies import PartBody
from .completion import complete_upload
from .errors import S3Error
from .interfaces import IObjectStore
from .limits import MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE
from .multipart import abort_quietly, copy_parts
from .objects import UploadedPart

log = Logger()

#: Parts per size tier: the part size doubles after every this many parts, so
#: that the 10,000-part limit still covers S3's largest object (5 TiB). With
#: 1,000 a 5 MiB base reaches only 1,000 * 1,023 * 5 MiB, about 4.88 TiB; 997 is
#: the largest tier for which 10,000 parts of a 5 MiB base add up to 5 TiB.
PARTS_PER_TIER = 997


def part_size_for(number: int, base: int) -> int:
    """
    The size of part C{number} (from 1) for a base size of C{base} bytes.

    The size of an FTP upload is not known in advance, so a fixed part size
    would cap the file at 10,000 parts. Doubling every 997 parts keeps
    small and medium files at the base size and still reaches 5 TiB.
    """
    return min(base * 2 ** ((number - 1) // PARTS_PER_TIER), MAX_PART_SIZE)


class UploadAborted(Exception):
    """The upload was abandoned before it completed; nothing was stored."""


@implementer(ISequenceConsumer)
class MultipartWriter:
    """
    An IConsumer that turns a stream of bytes into one S3 object.

    What the FTP side needs to know about the transfer is public here:
    L{bytes_received} and L{failure}, which the shell's upload wraps.

    @param store: where the object goes; any L{IObjectStore}.
    @param guard: entered around the call that makes the object visible,
        once every part is in S3; raising from it abandons the upload. The
        shell holds its path locks and checks the parent directory in it, so
        that those are held for one request, not for the whole transfer.
    """

    def __init__(
        self,
        store: IObjectStore,
        key: str,
        *,
        part_size: int,
        parts_in_flight: int,
        guard: Callable[[], AbstractAsyncContextManager[Any]] = nullcontext,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part size {part_size} is below S3's minimum of {MIN_PART_SIZE}")
        self.key = key
        self._store = store
        self._base_part_size = part_size
        self._parts_in_flight = parts_in_flight
        self._guard = guard

        self._producer: IPushProducer | None = None
        self._paused = False
        self._buffer = PartBody()
        self._upload_id: Deferred[str] | None = None
        self._next_part = 1
        #: The size of part C{_next_part}, at which the buffer is sent.
        self._part_size = part_size_for(1, part_size)
        self._in_flight: dict[int, Deferred[None]] = {}
        #: What S3 acknowledged of each part, by number.
        self._parts: dict[int, UploadedPart] = {}
        self._failure: Failure | None = None
        self._closed = False
        #: Every byte written so far, whether or not it reached S3.
        self.bytes_received = 0
        #: The id of this writer's multipart upload once S3 has given it,
        #: until the upload is completed or aborted.
        self.upload_id: str | None = None

    # -- IConsumer ----------------------------------------------------------

    def registerProducer(self, producer: IPushProducer, streaming: bool) -> None:
        if not streaming:
            raise ValueError("MultipartWriter needs a streaming (push) producer")
        self._producer = producer
        if self._failure is not None:
            producer.stopProducing()
        else:
            self._apply_backpressure()

    def unregisterProducer(self) -> None:
        self._producer = None
        self._paused = False

    def write(self, data: bytes) -> None:
        if self._failure is not None or self._closed:
            return
        self.bytes_received += len(data)
        room = self._part_size - len(self._buffer)
        if len(data) < room:
            # Nearly every write: a TLS record that leaves the part unfilled.
            self._buffer.append(data)
            return
        view = memoryview(data)
        # A part that fails (or one past the 10,000th) drops the rest of the write.
        while view and self._failure is None:
            room = self._part_size - len(self._buffer)
            piece, view = view[:room], view[room:]
            self._buffer.append(piece)
            if len(self._buffer) >= self._part_size:
                self._start_part()
        self._apply_backpressure()

    def writeSequence(self, data: list[bytes]) -> None:
        """
        Write each of C{data} in order: in one step when all of them fit in
        the part being filled, as nearly all the records of one read do.
        """
        if self._failure is not None or self._closed:
            return
        size = sum(map(len, data))
        if size < self._part_size - len(self._buffer):
            self.bytes_received += size
            self._buffer.extend(data)
            return
        for chunk in data:
            self.write(chunk)

    async def start_with(self, key: str, size: int) -> None:
        """
        Begin the new object with the C{size} bytes of the object C{key}, so
        that what arrives next is appended to them (APPE, or REST before STOR).

        S3 cannot append, so the old bytes become the first part(s) of the
        new upload: copied inside S3 when they are large enough to be parts
        (5 MiB or more), in the ranges of
        L{twisted_ftps3.s3.limits.copy_ranges}; read into the first part's
        buffer when they are not. Call it before any data is written. The old
        object stays as it is until the new one is complete.
        """
        if size < MIN_PART_SIZE:
            if size:
                self._buffer.append(await self._store.get_object_bytes(key))
            return
        self._begin_upload()
        assert self._upload_id is not None
        upload_id = await _share(self._upload_id)
        if upload_id is None:
            assert self._failure is not None
            self._failure.raiseException()
        copied = await copy_parts(self._store, self.key, upload_id, key, size, self._next_part)
        self._parts.update(copied)
        self._advance(len(copied))

    # -- outcome ------------------------------------------------------------

    @property
    def failure(self) -> Failure | None:
        """Why the upload failed, if S3 refused a part; C{None} otherwise."""
        return self._failure

    @property
    def memory_parts(self) -> int:
        """Parts held in memory now: those in flight plus the one filling."""
        return len(self._in_flight) + (1 if len(self._buffer) else 0)

    @property
    def buffer_allocated(self) -> int:
        """
        The bytes of memory the part being filled takes now, which grows
        with what it holds: a small file costs its size, not a part's.
        """
        return self._buffer.allocated

    def finish(self) -> Deferred[None]:
        """
        Send what is left and make the object visible; fire when it is.

        On any failure the multipart upload is aborted before the returned
        Deferred fails, so no part outlives the attempt.
        """
        return ensureDeferred(self._finish())

    def abort(self, reason: str = "aborted") -> Deferred[None]:
        """
        Abandon the upload: stop reading, wait for parts in flight, and
        abort the multipart upload so that S3 keeps nothing.
        """
        return ensureDeferred(self._abort(reason))

    # -- internals ----------------------------------------------------------

    def _advance(self, parts: int) -> None:
        """Count C{parts} more parts as begun."""
        self._next_part += parts
        self._part_size = part_size_for(self._next_part, self._base_part_size)

    def _apply_backpressure(self) -> None:
        if self._producer is None:
            return
        saturated = len(self._in_flight) >= self._parts_in_flight
        if saturated and not self._paused:
            self._paused = True
            self._producer.pauseProducing()
        elif not saturated and self._paused:
            self._paused = False
            self._producer.resumeProducing()

    def _begin_upload(self) -> None:
        self._upload_id = ensureDeferred(self._store.create_multipart_upload(self.key))
        self._upload_id.addCallbacks(self._remember_upload_id, self._fail)

    def _remember_upload_id(self, upload_id: str) -> str:
        self.upload_id = upload_id
        return upload_id

    def _start_part(self) -> None:
        number, body = self._next_part, self._buffer
        if number > MAX_PARTS:
            self._fail(
                Failure(
                    S3Error(
                        "EntityTooLarge",
                        None,
                        "more than 10,000 parts",
                        operation="UploadPart",
                        key=self.key,
                    )
                )
            )
            return
        self._advance(1)
        self._buffer = PartBody()
        if self._upload_id is None:
            self._begin_upload()
        d = ensureDeferred(self._send_part(number, body))
        d.addErrback(self._fail)
        d.addBoth(self._part_settled, number)
        if not d.called:
            self._in_flight[number] = d

    async def _send_part(self, number: int, body: PartBody) -> None:
        assert self._upload_id is not None
        upload_id = await _share(self._upload_id)
        if upload_id is None or self._failure is not None:
            return
        self._parts[number] = await self._store.upload_part(self.key, upload_id, number, body)

    def _part_settled(self, result: Any, number: int) -> None:
        self._in_flight.pop(number, None)
        if self._failure is None:
            self._apply_backpressure()

    def _fail(self, failure: Failure) -> None:
        if self._failure is None:
            self._failure = failure
            self._buffer = PartBody()
            if self._producer is not None:
                self._producer.stopProducing()

    async def _settle_in_flight(self) -> None:
        while self._in_flight:
            await _share(next(iter(self._in_flight.values())))

    async def _finish(self) -> None:
        self._closed = True
        try:
            if self._upload_id is None and self._failure is None:
                await self._put_whole()
                return
            if len(self._buffer) and self._failure is None:
                self._start_part()
            await self._settle_in_flight()
            if self._failure is not None:
                self._failure.raiseException()
            assert self._upload_id is not None
            upload_id = await _share(self._upload_id)
            parts = sorted(self._parts.items())
            async with self._guard():
                await complete_upload(self._store, self.key, upload_id, parts)
            self._upload_id = None
            self.upload_id = None
        except BaseException:
            await self._abort_upload()
            raise

    async def _put_whole(self) -> None:
        body, self._buffer = self._buffer, PartBody()
        async with self._guard():
            await self._store.put_object(self.key, body)

    async def _abort(self, reason: str) -> None:
        self._closed = True
        self._fail(Failure(UploadAborted(reason)))
        await self._abort_upload()

    async def _abort_upload(self) -> None:
        self._buffer = PartBody()
        # A part still being sent or retried is of no use now: stop waiting
        # for it, so that an abort is never held back by a slow or absent S3.
        for sending in list(self._in_flight.values()):
            sending.cancel()
        await self._settle_in_flight()
        if self._upload_id is None:
            return
        upload_id = await _share(self._upload_id)
        self._upload_id = self.upload_id = None
        if upload_id is None:
            return
        if await abort_quietly(self._store, self.key, upload_id):
            log.info("aborted multipart upload of {key}", key=self.key)


def _share(d: Deferred[Any]) -> Deferred[Any]:
    """
    A Deferred with C{d}'s result that leaves C{d}'s own result in place, so
    that many waiters can await one call. C{d} never fails here: its
    errbacks record the failure and leave C{None}.
    """
    shared: Deferred[Any] = Deferred()

    def relay(result: Any) -> Any:
        shared.callback(result)
        return result

    d.addCallback(relay)
    return shared


class UploadRegistry:
    """
    The uploads in progress in this process, so that a shutdown can abort
    them rather than leave parts behind in S3.
    """

    def __init__(self) -> None:
        self._writers: set[MultipartWriter] = set()

    def __len__(self) -> int:
        return len(self._writers)

    def add(self, writer: MultipartWriter) -> None:
        self._writers.add(writer)

    def discard(self, writer: MultipartWriter) -> None:
        self._writers.discard(writer)

    def upload_ids(self) -> frozenset[str]:
        """
        The ids of the multipart uploads in progress here, which the
        sweeper must never abort.
        """
        return frozenset(w.upload_id for w in self._writers if w.upload_id is not None)

    def abort_all(self, reason: str) -> Deferred[Any]:
        """Abort every upload in progress; fire when S3 has forgotten them all."""
        return gatherResults([writer.abort(reason) for writer in list(self._writers)])
