# -*- test-case-name: tests.test_s3_upload -*-
"""
Tests for L{twisted_ftps3.s3.upload}: the writer that streams an upload into
S3 part by part.

The store is L{MemoryObjectStore}, whose calls finish at once unless a test
holds them, so that a test can keep parts "in flight" and watch the writer
pause and resume its producer. Parts are 5 MiB, S3's minimum, so no size is
patched except where a test says so.
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from random import Random
from typing import Any

from twisted.internet.interfaces import IConsumer
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from twisted_ftps3.interfaces import ISequenceConsumer
from twisted_ftps3.s3 import upload
from twisted_ftps3.s3.bodies import PartBody
from twisted_ftps3.s3.completion import UNCONFIRMED
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.limits import MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, copy_ranges
from twisted_ftps3.s3.objects import UploadedPart
from twisted_ftps3.s3.retry import RetryPolicy
from twisted_ftps3.s3.upload import (
    PARTS_PER_TIER,
    MultipartWriter,
    UploadAborted,
    UploadRegistry,
    part_size_for,
)

from .support.memory_store import MemoryObjectStore, md5_hex, multipart_etag
from .support.producers import FakeProducer
from .support.retrying_store import RetryingStore

PART = MIN_PART_SIZE
MiB = 1024**2
KEY = "dir/file.bin"
#: The id the store gives the first upload it starts.
UPLOAD_ID = "upload-1"


@functools.cache
def data_of(size: int) -> bytes:
    """C{size} pseudo-random bytes, so that a misplaced byte shows."""
    return random.Random(size).randbytes(size)


def filler(size: int) -> bytes:
    """C{size} bytes for a test that does not look at them."""
    return bytes(size)


def names(store: MemoryObjectStore) -> list[str]:
    """The names of the calls made, in order."""
    return [call[0] for call in store.calls]


def part_numbers(store: MemoryObjectStore) -> list[int]:
    """The numbers of the parts sent, in the order they were sent."""
    return [number for _, _, _, number, _ in store.named("upload_part")]


def completed_parts(store: MemoryObjectStore) -> list[list[int]]:
    """The part numbers each completion named."""
    return [numbers for _, _, _, numbers in store.named("complete_multipart_upload")]


def aborts(store: MemoryObjectStore) -> list[tuple[Any, ...]]:
    return store.named("abort_multipart_upload")


class WriterTestCase(SynchronousTestCase):
    def writer(
        self,
        store: MemoryObjectStore,
        *,
        parts_in_flight: int = 2,
        guard: Any = None,
        producer: FakeProducer | None = None,
    ) -> MultipartWriter:
        kwargs = {} if guard is None else {"guard": guard}
        writer = MultipartWriter(
            store, KEY, part_size=PART, parts_in_flight=parts_in_flight, **kwargs
        )
        if producer is not None:
            writer.registerProducer(producer, True)
        return writer


class PartSizeTests(SynchronousTestCase):
    """
    L{part_size_for} grows the part size in tiers so that 10,000 parts reach
    S3's largest object.
    """

    def test_firstTierIsBase(self) -> None:
        """
        The parts of the first tier are all of the base size.
        """
        self.assertEqual({part_size_for(n, PART) for n in range(1, PARTS_PER_TIER + 1)}, {PART})

    def test_nextTiersDouble(self) -> None:
        """
        The first part of each following tier is twice as large as the last
        part of the tier before.
        """
        self.assertEqual(
            [part_size_for(n * PARTS_PER_TIER + 1, PART) for n in range(4)],
            [PART, 2 * PART, 4 * PART, 8 * PART],
        )

    def test_cappedAtMaximum(self) -> None:
        """
        No part is ever above S3's 5 GiB maximum, and a large base reaches it.
        """
        sizes = [part_size_for(n, 1024 * MiB) for n in range(1, MAX_PARTS + 1)]
        self.assertEqual(max(sizes), MAX_PART_SIZE)

    def test_reachesLargestObject(self) -> None:
        """
        With the smallest base S3 allows, 10,000 parts hold at least 5 TiB.
        """
        total = sum(part_size_for(n, MIN_PART_SIZE) for n in range(1, MAX_PARTS + 1))
        self.assertGreaterEqual(total, 5 * 1024**4)

    def test_baseBelowMinimumRefused(self) -> None:
        """
        A part size below S3's 5 MiB minimum is refused up front.
        """
        self.assertRaises(
            ValueError,
            MultipartWriter,
            MemoryObjectStore(),
            KEY,
            part_size=MIN_PART_SIZE - 1,
            parts_in_flight=2,
        )


class ConsumerTests(WriterTestCase):
    """
    L{MultipartWriter} is the consumer the data connection writes into.
    """

    def test_providesConsumer(self) -> None:
        """
        The writer provides L{IConsumer}.
        """
        self.assertTrue(verifyObject(IConsumer, self.writer(MemoryObjectStore())))

    def test_pullProducerRefused(self) -> None:
        """
        Backpressure needs pause and resume: a pull producer is refused.
        """
        writer = self.writer(MemoryObjectStore())
        self.assertRaises(ValueError, writer.registerProducer, FakeProducer(), False)


class SmallFileTests(WriterTestCase):
    """
    A file smaller than one part is stored with one PutObject.
    """

    def test_smallFileIsOnePut(self) -> None:
        """
        The bytes of a small file, written in pieces, go up in one PutObject
        and nothing multipart is called.
        """
        store = MemoryObjectStore()
        writer = self.writer(store)
        data = data_of(PART - 1)
        for start in range(0, len(data), MiB):
            writer.write(data[start : start + MiB])
        self.successResultOf(writer.finish())
        self.assertEqual(store.calls, [("put_object", KEY, data)])
        self.assertEqual(store.data(KEY), data)

    def test_smallFileSentAsBody(self) -> None:
        """
        The writer hands PutObject the body it filled, not a joined copy of
        it, carrying the SHA-256 of the whole file.
        """
        store = MemoryObjectStore()
        writer = self.writer(store)
        data = data_of(3 * MiB + 5)
        for start in range(0, len(data), MiB):
            writer.write(data[start : start + MiB])
        self.successResultOf(writer.finish())
        (argument,) = store.bodies
        assert isinstance(argument, PartBody)
        self.assertEqual(argument.sha256_hex(), hashlib.sha256(data).hexdigest())

    def test_emptyFile(self) -> None:
        """
        An empty file is stored as an empty object.
        """
        store = MemoryObjectStore()
        self.successResultOf(self.writer(store).finish())
        self.assertEqual(store.calls, [("put_object", KEY, b"")])

    def test_finishWaitsForPut(self) -> None:
        """
        L{MultipartWriter.finish} fires only once the object is stored.
        """
        store = MemoryObjectStore()
        store.hold("put_object")
        writer = self.writer(store)
        writer.write(b"abc")
        d = writer.finish()
        self.assertNoResult(d)
        store.release("put_object")
        self.successResultOf(d)
        self.assertEqual(store.data(KEY), b"abc")

    def test_putFailure(self) -> None:
        """
        A refused PutObject fails L{MultipartWriter.finish} with S3's error.
        """
        store = MemoryObjectStore()
        store.hold("put_object")
        writer = self.writer(store)
        d = writer.finish()
        store.release("put_object", error=S3Error("AccessDenied", 403))
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "AccessDenied")
        self.assertEqual(store.keys(), [])


class MemoryTests(WriterTestCase):
    """
    The part being filled costs what it holds, not a whole part.
    """

    def test_smallUploadHoldsItsSize(self) -> None:
        """
        A 1 MiB upload, written in TLS-record-sized pieces, holds about
        1 MiB while it is in flight, not the 5 MiB of a part.
        """
        writer = self.writer(MemoryObjectStore())
        record = filler(16 * 1024)
        for _ in range(64):
            writer.write(record)
        self.assertGreaterEqual(writer.buffer_allocated, MiB)
        self.assertLess(writer.buffer_allocated, 1.2 * MiB)

    def test_nextPartStartsEmpty(self) -> None:
        """
        Once a part is full and sent, the next one starts with what it was
        given, not with a part's worth of memory.
        """
        writer = self.writer(MemoryObjectStore())
        writer.write(filler(PART + 100))
        self.assertLess(writer.buffer_allocated, 64 * 1024)

    def test_bytesStoredAcrossRecords(self) -> None:
        """
        Records of every size, crossing part boundaries, are stored byte for
        byte.
        """
        store = MemoryObjectStore()
        writer = self.writer(store)
        data = data_of(2 * PART + 777)
        sizes, position = Random(3), 0
        while position < len(data):
            step = sizes.choice([1, 100, 16 * 1024, 16 * 1024 + 29, MiB, 3 * MiB])
            writer.write(data[position : position + step])
            position += step
        self.successResultOf(writer.finish())
        self.assertEqual(store.data(KEY), data)


class WriteSequenceTests(WriterTestCase):
    """
    L{MultipartWriter.writeSequence} takes the records of one read of the
    data connection together, with the outcome of writing them one by one.
    """

    def test_providesSequenceConsumer(self) -> None:
        """The writer provides L{ISequenceConsumer}."""
        self.assertTrue(verifyObject(ISequenceConsumer, self.writer(MemoryObjectStore())))

    def test_smallFileOnePut(self) -> None:
        """Records that fill less than a part are one PUT of their bytes."""
        store = MemoryObjectStore()
        writer = self.writer(store)
        records = [data_of(16 * 1024)] * 4
        writer.writeSequence(records)
        self.assertEqual(writer.bytes_received, 4 * 16 * 1024)
        self.successResultOf(writer.finish())
        self.assertEqual((names(store), store.data(KEY)), (["put_object"], b"".join(records)))

    def test_sequencesCrossingParts(self) -> None:
        """
        Sequences that fill parts, cross their ends and straddle them are
        cut where a part ends, as writes are.
        """
        store = MemoryObjectStore()
        writer = self.writer(store)
        data = data_of(2 * PART + 999)
        record, batch, position = 16 * 1024 + 29, 13, 0
        while position < len(data):
            end = min(position + record * batch, len(data))
            writer.writeSequence(
                [data[start : start + record] for start in range(position, end, record)]
            )
            position = end
        self.successResultOf(writer.finish())
        self.assertEqual(
            ([call[4] for call in store.named("upload_part")], writer.bytes_received),
            ([PART, PART, 999], len(data)),
        )
        self.assertEqual(store.data(KEY), data)

    def test_afterFailureDropped(self) -> None:
        """Once the writer is closed, records given together are dropped."""
        store = MemoryObjectStore()
        writer = self.writer(store)
        writer.writeSequence([b"kept"])
        self.successResultOf(writer.finish())
        writer.writeSequence([b"late", b"bytes"])
        self.assertEqual((writer.bytes_received, store.data(KEY)), (4, b"kept"))


class MultipartTests(WriterTestCase):
    """
    A larger file goes up part by part and is completed by
    L{MultipartWriter.finish}.
    """

    def test_partsAndTail(self) -> None:
        """
        Two full parts and a tail make one upload of three parts, numbered
        from 1, holding the bytes in order, completed with every part's
        ETag (the store refuses a completion whose ETags are not the parts').
        """
        store = MemoryObjectStore()
        writer = self.writer(store)
        data = data_of(2 * PART + 1234)
        writer.write(data)
        self.successResultOf(writer.finish())
        self.assertEqual(
            names(store),
            ["create_multipart_upload", "upload_part", "upload_part", "upload_part",
             "complete_multipart_upload"],
        )  # fmt: skip
        self.assertEqual(
            store.named("upload_part"),
            [("upload_part", KEY, UPLOAD_ID, 1, PART), ("upload_part", KEY, UPLOAD_ID, 2, PART),
             ("upload_part", KEY, UPLOAD_ID, 3, 1234)],
        )  # fmt: skip
        self.assertEqual(
            store.named("complete_multipart_upload"),
            [("complete_multipart_upload", KEY, UPLOAD_ID, [1, 2, 3])],
        )
        pieces = [data[:PART], data[PART : 2 * PART], data[2 * PART :]]
        self.assertEqual((store.data(KEY), store.etag(KEY)), (data, multipart_etag(pieces)))

    def test_completedInPartOrder(self) -> None:
        """
        Parts that finish out of order are still completed sorted by number.
        """
        store = MemoryObjectStore()
        store.hold("upload_part")
        writer = self.writer(store, parts_in_flight=3)
        writer.write(filler(3 * PART))
        d = writer.finish()
        for index in (2, 0, 1):
            store.release("upload_part", index)
        self.successResultOf(d)
        self.assertEqual(completed_parts(store), [[1, 2, 3]])

    def test_partWaitsForUploadId(self) -> None:
        """
        A part is sent only once CreateMultipartUpload has answered, and with
        the upload id it answered.
        """
        store = MemoryObjectStore()
        store.hold("create_multipart_upload")
        writer = self.writer(store)
        writer.write(filler(PART))
        self.assertEqual(store.named("upload_part"), [])
        store.release("create_multipart_upload")
        (upload_id,) = store.uploads
        self.assertEqual(store.named("upload_part"), [("upload_part", KEY, upload_id, 1, PART)])

    def test_oneCreate(self) -> None:
        """
        However many parts, the multipart upload is created once.
        """
        store = MemoryObjectStore()
        writer = self.writer(store)
        for _ in range(4):
            writer.write(filler(PART))
        self.successResultOf(writer.finish())
        self.assertEqual(len(store.named("create_multipart_upload")), 1)

    def test_straddlingWritesSplitExactly(self) -> None:
        """
        Writes that cross part boundaries are cut there: every part but the
        last is exactly the part size, and together they are the file.
        """
        store = MemoryObjectStore()
        writer = self.writer(store)
        data = data_of(4 * PART + 7)
        step = 3 * MiB + 1
        for start in range(0, len(data), step):
            writer.write(data[start : start + step])
        self.successResultOf(writer.finish())
        self.assertEqual(
            ([call[4] for call in store.named("upload_part")], writer.bytes_received),
            ([PART, PART, PART, PART, 7], len(data)),
        )
        self.assertEqual(store.data(KEY), data)

    def test_partDigests(self) -> None:
        """
        Each part carries the SHA-256 of its own bytes, even when the writes
        it was cut from straddle part boundaries.
        """
        store = MemoryObjectStore()
        writer = self.writer(store)
        data = data_of(2 * PART + 11)
        step = 3 * MiB + 1
        for start in range(0, len(data), step):
            writer.write(data[start : start + step])
        self.successResultOf(writer.finish())
        pieces = [data[:PART], data[PART : 2 * PART], data[2 * PART :]]
        self.assertEqual(
            [body.sha256_hex() for body in store.bodies if isinstance(body, PartBody)],
            [hashlib.sha256(piece).hexdigest() for piece in pieces],
        )

    def test_partSizeGrowsByTier(self) -> None:
        """
        The writer sizes each part with L{part_size_for}: with one part per
        tier, the second part is twice the first.
        """
        self.patch(upload, "PARTS_PER_TIER", 1)
        store = MemoryObjectStore()
        writer = self.writer(store)
        writer.write(filler(3 * PART + 1))
        self.successResultOf(writer.finish())
        self.assertEqual(
            {number: size for _, _, _, number, size in store.named("upload_part")},
            {1: PART, 2: 2 * PART, 3: 1},
        )

    def test_completeFailureAborts(self) -> None:
        """
        A refused completion fails L{MultipartWriter.finish} and aborts the
        upload so that no part is left behind.
        """
        store = MemoryObjectStore()
        store.hold("complete_multipart_upload")
        writer = self.writer(store)
        writer.write(filler(PART + 1))
        d = writer.finish()
        store.release("complete_multipart_upload", error=S3Error("InvalidPart", 400))
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "InvalidPart")
        self.assertEqual(aborts(store), [("abort_multipart_upload", KEY, UPLOAD_ID)])
        self.assertEqual((store.uploads, store.keys()), ({}, []))


class StartWithTests(WriterTestCase):
    """
    L{MultipartWriter.start_with} begins the new object with an old one's
    bytes, for an append.
    """

    def test_smallObjectRead(self) -> None:
        """
        Old bytes too few to be a part are read and sent in front of the new
        ones, in one PutObject when the whole is small.
        """
        store = MemoryObjectStore()
        store.store("old", b"old bytes ")
        writer = self.writer(store)
        self.successResultOf(writer.start_with("old", 10))
        writer.write(b"new bytes")
        self.successResultOf(writer.finish())
        self.assertEqual(
            (names(store), store.data(KEY)),
            (["get_object_bytes", "put_object"], b"old bytes new bytes"),
        )

    def test_emptyObjectNotRead(self) -> None:
        """
        An empty old object is not even read.
        """
        store = MemoryObjectStore()
        writer = self.writer(store)
        self.successResultOf(writer.start_with("old", 0))
        self.assertEqual(store.calls, [])

    def test_largeObjectCopied(self) -> None:
        """
        Old bytes of a part or more are copied inside S3 in the ranges of
        L{copy_ranges}, and the new bytes are numbered after them.
        """
        old = data_of(PART)
        store = MemoryObjectStore()
        store.store("old", old)
        writer = self.writer(store)
        self.successResultOf(writer.start_with("old", PART))
        new = data_of(PART + 3)
        writer.write(new)
        self.successResultOf(writer.finish())
        self.assertEqual(
            [call[3:] for call in store.named("upload_part_copy")],
            [(1, "old", first, last) for first, last in copy_ranges(PART)],
        )
        self.assertEqual(
            (part_numbers(store), completed_parts(store), store.data(KEY)),
            ([2, 3], [[1, 2, 3]], old + new),
        )

    def test_copyFailure(self) -> None:
        """
        A part copy S3 refuses fails C{start_with}, and the upload it started
        is aborted when the writer is.
        """
        store = MemoryObjectStore()
        store.store("old", filler(PART))
        store.fail("upload_part_copy", S3Error("AccessDenied", 403))
        writer = self.writer(store)
        self.assertEqual(
            self.failureResultOf(writer.start_with("old", PART), S3Error).value.code,
            "AccessDenied",
        )
        self.successResultOf(writer.abort())
        self.assertEqual(
            (aborts(store), store.uploads), ([("abort_multipart_upload", KEY, UPLOAD_ID)], {})
        )


class BackpressureTests(WriterTestCase):
    """
    The producer is paused while C{parts_in_flight} parts are being sent,
    so that memory stays bounded.
    """

    def held(self) -> tuple[MemoryObjectStore, FakeProducer, MultipartWriter]:
        store = MemoryObjectStore()
        store.hold("upload_part")
        producer = FakeProducer()
        return store, producer, self.writer(store, producer=producer)

    def test_notPausedBelowLimit(self) -> None:
        """
        One part in flight out of two allowed does not pause the producer.
        """
        _, producer, writer = self.held()
        writer.write(filler(PART))
        self.assertEqual(producer.events, [])

    def test_pausedAtLimit(self) -> None:
        """
        Two full parts in flight out of two allowed pause the producer once,
        even if a little more arrives after the pause.
        """
        _, producer, writer = self.held()
        writer.write(filler(PART))
        writer.write(filler(PART))
        writer.write(b"late bytes")
        self.assertEqual(producer.events, ["pause"])

    def test_resumedWhenPartFinishes(self) -> None:
        """
        When one of the parts in flight finishes, the producer is resumed.
        """
        store, producer, writer = self.held()
        writer.write(filler(PART))
        writer.write(filler(PART))
        store.release("upload_part", 0)
        self.assertEqual(producer.events, ["pause", "resume"])

    def test_partsWaitingForUploadIdCount(self) -> None:
        """
        Parts waiting for CreateMultipartUpload are in flight too: they
        pause the producer just the same.
        """
        store = MemoryObjectStore()
        store.hold("create_multipart_upload")
        producer = FakeProducer()
        writer = self.writer(store, producer=producer)
        writer.write(filler(2 * PART))
        self.assertEqual(producer.events, ["pause"])

    def test_memoryBounded(self) -> None:
        """
        With uploads slower than the client, and a producer that stops when
        paused, the writer never holds more than C{parts_in_flight + 1}
        parts, and still stores every byte.
        """
        store, producer, writer = self.held()
        data = data_of(8 * PART + 5)
        step = 2 * MiB - 3
        position, fired, most = 0, 0, 0
        while position < len(data):
            if producer.paused:
                store.release("upload_part", fired)
                fired += 1
            else:
                writer.write(data[position : position + step])
                position += step
            most = max(most, writer.memory_parts)
            self.assertLessEqual(writer.memory_parts, 3)
        d = writer.finish()
        while fired < len(store.pending["upload_part"]):
            store.release("upload_part", fired)
            fired += 1
        self.successResultOf(d)
        self.assertEqual(most, 3)
        self.assertEqual(store.data(KEY), data)


class FailureTests(WriterTestCase):
    """
    A part S3 refuses ends the upload: nothing more is read, and the
    multipart upload is aborted.
    """

    def failed_part(self) -> tuple[MemoryObjectStore, FakeProducer, MultipartWriter]:
        store = MemoryObjectStore()
        store.hold("upload_part")
        producer = FakeProducer()
        writer = self.writer(store, producer=producer)
        writer.write(filler(PART + 10))
        store.release("upload_part", 0, error=S3Error("AccessDenied", 403, operation="UploadPart"))
        return store, producer, writer

    def test_stopsProducer(self) -> None:
        """
        A failed part stops the producer.
        """
        _, producer, writer = self.failed_part()
        self.assertEqual(producer.events, ["stop"])
        assert writer.failure is not None
        self.assertEqual(writer.failure.value.code, "AccessDenied")

    def test_laterWritesIgnored(self) -> None:
        """
        After a failure, further writes are not sent or kept.
        """
        store, _, writer = self.failed_part()
        writer.write(filler(3 * PART))
        self.assertEqual((len(store.named("upload_part")), writer.memory_parts), (1, 0))

    def test_finishFailsAndAborts(self) -> None:
        """
        L{MultipartWriter.finish} fails with the part's error, after aborting
        the upload exactly once, and nothing is completed.
        """
        store, _, writer = self.failed_part()
        d = writer.finish()
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "AccessDenied")
        self.assertEqual(
            (aborts(store), store.named("complete_multipart_upload")),
            ([("abort_multipart_upload", KEY, UPLOAD_ID)], []),
        )

    def test_finishWaitsForOtherParts(self) -> None:
        """
        When one part fails while another is in flight, the upload is aborted
        only after the other part has settled.
        """
        store = MemoryObjectStore()
        store.hold("upload_part")
        writer = self.writer(store)
        writer.write(filler(2 * PART))
        store.release("upload_part", 0, error=S3Error("InternalError", 500))
        d = writer.finish()
        self.assertEqual(aborts(store), [])
        store.release("upload_part", 1)
        self.failureResultOf(d, S3Error)
        self.assertEqual(aborts(store), [("abort_multipart_upload", KEY, UPLOAD_ID)])

    def test_createFailure(self) -> None:
        """
        If the multipart upload cannot be created, the producer is stopped,
        no part is sent, and finish fails without aborting anything.
        """
        store = MemoryObjectStore()
        store.hold("create_multipart_upload")
        producer = FakeProducer()
        writer = self.writer(store, producer=producer)
        writer.write(filler(PART))
        store.release("create_multipart_upload", error=S3Error("AccessDenied", 403))
        d = writer.finish()
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "AccessDenied")
        self.assertEqual(
            (producer.events, store.named("upload_part"), aborts(store)), (["stop"], [], [])
        )

    def test_tooManyParts(self) -> None:
        """
        A file needing more than the part limit fails with C{EntityTooLarge},
        even when one write holds several parts beyond the limit.
        """
        self.patch(upload, "MAX_PARTS", 2)
        store = MemoryObjectStore()
        writer = self.writer(store)
        writer.write(filler(5 * PART))
        d = writer.finish()
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "EntityTooLarge")
        self.assertEqual(part_numbers(store), [1, 2])


class AbortTests(WriterTestCase):
    """
    L{MultipartWriter.abort} abandons an upload, leaving nothing in S3.
    """

    def test_cancelsPartsInFlight(self) -> None:
        """
        An abort does not wait for the parts in flight, which S3 may be
        slow to take or still be retrying: it cancels them and sends the
        abort at once, and L{MultipartWriter.abort} fires once that is done.
        Were a cancelled part to land after the abort all the same, the
        sweeper of abandoned uploads would find its upload.
        """
        store = MemoryObjectStore()
        store.hold("upload_part")
        writer = self.writer(store)
        writer.write(filler(2 * PART))
        self.assertEqual(len(store.pending["upload_part"]), 2)
        store.hold("abort_multipart_upload")
        d = writer.abort("client went away")
        self.assertEqual([held.called for held in store.pending["upload_part"]], [True, True])
        self.assertEqual(aborts(store), [("abort_multipart_upload", KEY, UPLOAD_ID)])
        self.assertNoResult(d)
        store.release("abort_multipart_upload")
        self.successResultOf(d)
        self.assertEqual(store.uploads, {})

    def test_laterWritesIgnored(self) -> None:
        """
        Writes after an abort are neither counted nor sent.
        """
        store = MemoryObjectStore()
        writer = self.writer(store)
        writer.write(filler(PART))
        self.successResultOf(writer.abort())
        writer.write(filler(2 * PART))
        self.assertEqual((writer.bytes_received, len(store.named("upload_part"))), (PART, 1))

    def test_stopsProducer(self) -> None:
        """
        Aborting stops the producer.
        """
        producer = FakeProducer()
        writer = self.writer(MemoryObjectStore(), producer=producer)
        writer.abort()
        self.assertEqual(producer.events, ["stop"])

    def test_finishAfterAbortFails(self) -> None:
        """
        A small upload that was aborted is never stored: finish fails with
        L{UploadAborted} and no S3 call is made.
        """
        store = MemoryObjectStore()
        writer = self.writer(store)
        writer.write(b"abc")
        self.successResultOf(writer.abort())
        self.failureResultOf(writer.finish(), UploadAborted)
        self.assertEqual(store.calls, [])

    def test_refusedAbortLogged(self) -> None:
        """
        An abort S3 refuses is logged, not raised: the writer's own outcome
        (here, the abort the caller asked for) is what its caller sees.
        """
        store = MemoryObjectStore()
        store.fail("abort_multipart_upload", S3Error("AccessDenied", 403))
        writer = self.writer(store)
        writer.write(filler(PART))
        self.successResultOf(writer.abort())
        self.assertEqual((len(aborts(store)), len(self.flushLoggedErrors(S3Error))), (1, 1))


class GuardTests(WriterTestCase):
    """
    The guard is held around the one call that makes the object visible.
    """

    def recording_guard(self, store: MemoryObjectStore, fail: bool = False) -> Any:
        @asynccontextmanager
        async def guard() -> AsyncIterator[None]:
            store.calls.append(("enter",))
            if fail:
                raise UploadAborted("parent directory removed")
            yield
            store.calls.append(("exit",))

        return guard

    def test_heldAroundComplete(self) -> None:
        """
        The guard is entered after the last part is in S3, just before the
        completion, and left once the completion has answered.
        """
        store = MemoryObjectStore()
        store.hold("upload_part")
        store.hold("complete_multipart_upload")
        writer = self.writer(store, guard=self.recording_guard(store))
        writer.write(filler(PART + 1))
        d = writer.finish()
        store.release("upload_part", 0)
        self.assertEqual(names(store)[-1], "upload_part")
        store.release("upload_part", 1)
        self.assertEqual(names(store)[-2:], ["enter", "complete_multipart_upload"])
        store.release("complete_multipart_upload")
        self.successResultOf(d)
        self.assertEqual(store.calls[-1], ("exit",))

    def test_heldAroundPut(self) -> None:
        """
        For a small file the guard is held around the PutObject.
        """
        store = MemoryObjectStore()
        writer = self.writer(store, guard=self.recording_guard(store))
        writer.write(b"abc")
        self.successResultOf(writer.finish())
        self.assertEqual(names(store), ["enter", "put_object", "exit"])

    def test_failingGuardAborts(self) -> None:
        """
        If the guard raises, nothing is completed, the upload is aborted, and
        finish fails with the guard's exception.
        """
        store = MemoryObjectStore()
        writer = self.writer(store, guard=self.recording_guard(store, fail=True))
        writer.write(filler(PART + 1))
        self.failureResultOf(writer.finish(), UploadAborted)
        self.assertEqual(
            (store.named("complete_multipart_upload"), aborts(store)),
            ([], [("abort_multipart_upload", KEY, UPLOAD_ID)]),
        )


class RetriedTests(WriterTestCase):
    """
    What the writer sees when S3 is briefly unwell: the client retries, so
    a part being retried is a slow part, and a completion whose answer was
    lost is confirmed from the MD5s of the parts sent.

    The store is the in-memory one, its calls retried by the server's own
    retry loop (L{RetryingStore}) on a clock, with seeded jitter.
    """

    def retried(self, store: MemoryObjectStore) -> RetryingStore:
        self.clock = Clock()
        policy = RetryPolicy(random=Random(5))
        return RetryingStore(store, clock=self.clock, policy=policy)

    def settle(self) -> None:
        """Let the retries run, in small steps of the clock, for ten seconds."""
        self.clock.pump([0.1] * 100)

    def test_partRetriedHoldsBackpressure(self) -> None:
        """
        While a part is retried after C{SlowDown}s it still counts as in
        flight: the producer stays paused, is never stopped, and is resumed
        when the part is in; the object then holds every byte in order.
        """
        store = MemoryObjectStore()
        store.fail("upload_part", times=3)
        producer = FakeProducer()
        writer = self.writer(self.retried(store), parts_in_flight=1, producer=producer)
        data = data_of(2 * PART + 99)
        writer.write(data[:PART])
        self.assertEqual((producer.paused, writer.memory_parts), (True, 1))
        for _ in range(3):
            self.clock.advance(0.1)
            self.assertEqual((producer.paused, writer.failure), (True, None))
        self.settle()
        self.assertEqual(
            (producer.events, len(store.named("upload_part"))), (["pause", "resume"], 4)
        )
        writer.write(data[PART:])
        d = writer.finish()
        self.settle()
        self.successResultOf(d)
        self.assertNotIn("stop", producer.events)
        self.assertEqual((store.data(KEY), aborts(store)), (data, []))

    def test_droppedPartRetried(self) -> None:
        """
        A part whose connection dropped is sent again, whole.
        """
        store = MemoryObjectStore()
        store.drop("upload_part", times=1)
        writer = self.writer(self.retried(store))
        data = data_of(PART + 1)
        writer.write(data)
        d = writer.finish()
        self.settle()
        self.successResultOf(d)
        self.assertEqual(sorted(part_numbers(store)), [1, 1, 2])
        self.assertEqual(store.data(KEY), data)

    def test_lostCompletionConfirmed(self) -> None:
        """
        A completion S3 performed but whose answer was lost is retried; the
        retry finds the upload gone, the object's ETag is that of the parts
        sent, and the upload succeeds without an abort.
        """
        store = MemoryObjectStore()
        store.drop_after("complete_multipart_upload", times=1)
        writer = self.writer(self.retried(store))
        data = data_of(2 * PART + 5)
        writer.write(data)
        d = writer.finish()
        self.settle()
        self.successResultOf(d)
        self.assertEqual(
            (len(completed_parts(store)), store.named("head_object"), aborts(store)),
            (2, [("head_object", KEY)], []),
        )
        self.assertEqual(store.data(KEY), data)

    def test_lostCompletionWithCopiedParts(self) -> None:
        """
        After an append, the parts copied inside S3 are confirmed by the
        ETags S3 gave them, and the new ones by their own MD5s.
        """
        store = MemoryObjectStore()
        old, new = data_of(PART), data_of(PART + 7)
        store.store("old", old)
        store.drop_after("complete_multipart_upload", times=1)
        writer = self.writer(self.retried(store))
        self.successResultOf(writer.start_with("old", PART))
        writer.write(new)
        d = writer.finish()
        self.settle()
        self.successResultOf(d)
        self.assertEqual((store.data(KEY), aborts(store)), (old + new, []))

    def test_goneUploadWithOtherObjectFails(self) -> None:
        """
        A completion that finds the upload gone and another object under the
        key fails (a 451 for the client, not a missing file), the upload is
        aborted, and the other object stays as it was.
        """
        store = MemoryObjectStore()
        store.store(KEY, b"another upload's bytes")
        store.fail("complete_multipart_upload", S3Error("NoSuchUpload", 404))
        writer = self.writer(self.retried(store))
        writer.write(data_of(PART + 5))
        error = self.failureResultOf(writer.finish(), S3Error).value
        self.assertEqual((error.code, error.not_found), (UNCONFIRMED, False))
        self.assertEqual(
            (store.data(KEY), aborts(store)),
            (b"another upload's bytes", [("abort_multipart_upload", KEY, UPLOAD_ID)]),
        )

    def test_forgedPartETagsDoNotConfirm(self) -> None:
        """
        With the MD5 sent as the parts' checksum, the confirmation checks
        the MD5s of the bytes sent, not the ETags S3 answered: parts answered
        with another upload's ETags (forged, or wrong) do not confirm that
        upload's object as this one.
        """
        store = MemoryObjectStore(checksum="md5")
        other = data_of(PART + 9)
        first = self.writer(store)
        first.write(other)
        self.successResultOf(first.finish())
        forged = iter([f'"{md5_hex(other[:PART])}"', f'"{md5_hex(other[PART:])}"'])
        upload_part = store.upload_part

        async def forging(*args: Any) -> UploadedPart:
            return replace(await upload_part(*args), etag=next(forged))

        store.upload_part = forging  # type: ignore[method-assign]
        store.fail("complete_multipart_upload", S3Error("NoSuchUpload", 404))
        second = self.writer(self.retried(store))
        second.write(data_of(PART + 9)[::-1])
        error = self.failureResultOf(second.finish(), S3Error).value
        self.assertEqual((error.code, store.data(KEY)), (UNCONFIRMED, other))


class RegistryTests(SynchronousTestCase):
    """
    L{UploadRegistry} lets a shutdown abort every upload in progress.
    """

    def test_abortAll(self) -> None:
        """
        Every registered writer is aborted, and the result fires once all of
        the aborts have.
        """
        stores = [MemoryObjectStore(), MemoryObjectStore()]
        registry = UploadRegistry()
        for store in stores:
            store.hold("abort_multipart_upload")
            writer = MultipartWriter(store, KEY, part_size=PART, parts_in_flight=2)
            writer.write(filler(PART))
            registry.add(writer)
        d = registry.abort_all("shutting down")
        self.assertEqual(
            [aborts(store) for store in stores], [[("abort_multipart_upload", KEY, UPLOAD_ID)]] * 2
        )
        stores[0].release("abort_multipart_upload")
        self.assertNoResult(d)
        stores[1].release("abort_multipart_upload")
        self.successResultOf(d)

    def test_discard(self) -> None:
        """
        A discarded writer is no longer counted or aborted.
        """
        store = MemoryObjectStore()
        registry = UploadRegistry()
        writer = MultipartWriter(store, KEY, part_size=PART, parts_in_flight=2)
        writer.write(filler(PART))
        registry.add(writer)
        registry.discard(writer)
        self.successResultOf(registry.abort_all("shutting down"))
        self.assertEqual((len(registry), aborts(store)), (0, []))
