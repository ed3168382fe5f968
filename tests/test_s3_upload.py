# -*- test-case-name: tests.test_s3_upload -*-
"""
Tests for L{twisted_ftps3.s3.upload}: the writer that streams an upload into
S3 part by part.

The S3 client is replaced by L{FakeClient}, whose calls return Deferreds
that either fire at once or wait for the test to fire them, so that a test
can hold parts "in flight" and watch the writer pause and resume its
producer. Parts are 5 MiB, S3's minimum, so no size is patched except where
a test says so.
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IPushProducer
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from twisted_ftps3.s3 import upload
from twisted_ftps3.s3.bodies import PartBody
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.upload import (
    MAX_PART_SIZE,
    MAX_PARTS,
    MIN_PART_SIZE,
    PARTS_PER_TIER,
    MultipartWriter,
    UploadAborted,
    UploadRegistry,
    part_size_for,
)

PART = MIN_PART_SIZE
MiB = 1024**2
KEY = "dir/file.bin"
UPLOAD_ID = "upload-1"


@functools.cache
def data_of(size: int) -> bytes:
    """C{size} pseudo-random bytes, so that a misplaced byte shows."""
    return random.Random(size).randbytes(size)


def filler(size: int) -> bytes:
    """C{size} bytes for a test that does not look at them."""
    return bytes(size)


class FakeClient:
    """
    The S3 calls L{MultipartWriter} makes, recorded in order in C{calls}.

    Calls named in C{hold} return a Deferred the test fires (kept in
    C{pending}, by call name); the others succeed at once.
    """

    def __init__(self, hold: Collection[str] = ()) -> None:
        self.hold = set(hold)
        self.calls: list[tuple[Any, ...]] = []
        self.pending: dict[str, list[Deferred[Any]]] = {}
        self.parts: dict[int, bytes] = {}
        #: The SHA-256 each part and each PutObject body carried, as hex.
        self.digests: dict[int | str, str] = {}
        #: What each PutObject was given, before it was read.
        self.put_arguments: list[bytes | PartBody] = []

    def _answer(self, name: str, result: Any) -> Deferred[Any]:
        if name not in self.hold:
            return succeed(result)
        d: Deferred[Any] = Deferred()
        self.pending.setdefault(name, []).append(d)
        return d

    def create_multipart_upload(self, key: str) -> Deferred[str]:
        self.calls.append(("create", key))
        return self._answer("create", UPLOAD_ID)

    def upload_part(self, key: str, upload_id: str, number: int, body: PartBody) -> Deferred[str]:
        self.calls.append(("part", key, upload_id, number))
        self.parts[number] = body.getvalue()
        self.digests[number] = body.sha256_hex()
        return self._answer("part", f'"etag-{number}"')

    def complete_multipart_upload(
        self, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> Deferred[None]:
        self.calls.append(("complete", key, upload_id, parts))
        return self._answer("complete", None)

    def abort_multipart_upload_quietly(self, key: str, upload_id: str) -> Deferred[None]:
        self.calls.append(("abort", key, upload_id))
        return self._answer("abort", None)

    def put_object(self, key: str, data: bytes | PartBody = b"") -> Deferred[str]:
        self.put_arguments.append(data)
        if isinstance(data, PartBody):
            self.digests[key] = data.sha256_hex()
        self.calls.append(("put", key, data.getvalue() if isinstance(data, PartBody) else data))
        return self._answer("put", "etag")

    def named(self, name: str) -> list[tuple[Any, ...]]:
        """The calls of one kind."""
        return [call for call in self.calls if call[0] == name]

    def fire(self, name: str, index: int, result: Any = None) -> None:
        """Fire the C{index}th held call of kind C{name}."""
        self.pending[name][index].callback(result)


@implementer(IPushProducer)
class FakeProducer:
    """A push producer that records what it is told."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.paused = False

    def pauseProducing(self) -> None:
        self.events.append("pause")
        self.paused = True

    def resumeProducing(self) -> None:
        self.events.append("resume")
        self.paused = False

    def stopProducing(self) -> None:
        self.events.append("stop")


class WriterTestCase(SynchronousTestCase):
    def writer(
        self,
        client: FakeClient,
        *,
        parts_in_flight: int = 2,
        guard: Any = None,
        producer: FakeProducer | None = None,
    ) -> MultipartWriter:
        kwargs = {} if guard is None else {"guard": guard}
        writer = MultipartWriter(
            client,  # type: ignore[arg-type]
            KEY,
            part_size=PART,
            parts_in_flight=parts_in_flight,
            **kwargs,
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
            FakeClient(),
            KEY,
            part_size=MIN_PART_SIZE - 1,
            parts_in_flight=2,
        )


class SmallFileTests(WriterTestCase):
    """
    A file smaller than one part is stored with one PutObject.
    """

    def test_smallFileIsOnePut(self) -> None:
        """
        The bytes of a small file, written in pieces, go up in one PutObject
        and nothing multipart is called.
        """
        client = FakeClient()
        writer = self.writer(client)
        data = data_of(PART - 1)
        for start in range(0, len(data), MiB):
            writer.write(data[start : start + MiB])
        self.successResultOf(writer.finish())
        self.assertEqual(client.calls, [("put", KEY, data)])

    def test_smallFileSentAsBody(self) -> None:
        """
        The writer hands PutObject the body it filled, not a joined copy of
        it, carrying the SHA-256 of the whole file, computed as it arrived.
        """
        client = FakeClient()
        writer = self.writer(client)
        data = data_of(3 * MiB + 5)
        for start in range(0, len(data), MiB):
            writer.write(data[start : start + MiB])
        self.successResultOf(writer.finish())
        (argument,) = client.put_arguments
        self.assertEqual(
            (type(argument), client.digests[KEY]),
            (PartBody, hashlib.sha256(data).hexdigest()),
        )

    def test_emptyFile(self) -> None:
        """
        An empty file is stored as an empty object.
        """
        client = FakeClient()
        self.successResultOf(self.writer(client).finish())
        self.assertEqual(client.calls, [("put", KEY, b"")])

    def test_finishWaitsForPut(self) -> None:
        """
        L{MultipartWriter.finish} fires only once the object is stored.
        """
        client = FakeClient(hold={"put"})
        writer = self.writer(client)
        writer.write(b"abc")
        d = writer.finish()
        self.assertNoResult(d)
        client.fire("put", 0, "etag")
        self.successResultOf(d)

    def test_putFailure(self) -> None:
        """
        A refused PutObject fails L{MultipartWriter.finish} with S3's error.
        """
        client = FakeClient(hold={"put"})
        writer = self.writer(client)
        d = writer.finish()
        client.pending["put"][0].errback(S3Error("AccessDenied", 403))
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "AccessDenied")


class MultipartTests(WriterTestCase):
    """
    A larger file goes up part by part and is completed by
    L{MultipartWriter.finish}.
    """

    def test_partsAndTail(self) -> None:
        """
        Two full parts and a tail make one upload of three parts, numbered
        from 1, holding the bytes in order, completed with every ETag.
        """
        client = FakeClient()
        writer = self.writer(client)
        data = data_of(2 * PART + 1234)
        writer.write(data)
        self.successResultOf(writer.finish())
        self.assertEqual(
            [call[0] for call in client.calls], ["create", "part", "part", "part", "complete"]
        )
        self.assertEqual(
            client.parts,
            {1: data[:PART], 2: data[PART : 2 * PART], 3: data[2 * PART :]},
        )
        self.assertEqual(
            client.named("complete"),
            [("complete", KEY, UPLOAD_ID, [(1, '"etag-1"'), (2, '"etag-2"'), (3, '"etag-3"')])],
        )

    def test_completedInPartOrder(self) -> None:
        """
        Parts that finish out of order are still completed sorted by number.
        """
        client = FakeClient(hold={"part"})
        writer = self.writer(client, parts_in_flight=3)
        writer.write(filler(3 * PART))
        d = writer.finish()
        for index, number in ((2, 3), (0, 1), (1, 2)):
            client.fire("part", index, f'"etag-{number}"')
        self.successResultOf(d)
        ((_, _, _, parts),) = client.named("complete")
        self.assertEqual(parts, [(1, '"etag-1"'), (2, '"etag-2"'), (3, '"etag-3"')])

    def test_partWaitsForUploadId(self) -> None:
        """
        A part is sent only once CreateMultipartUpload has answered, and with
        the upload id it answered.
        """
        client = FakeClient(hold={"create"})
        writer = self.writer(client)
        writer.write(filler(PART))
        self.assertEqual(client.named("part"), [])
        client.fire("create", 0, "the-id")
        self.assertEqual(client.named("part"), [("part", KEY, "the-id", 1)])

    def test_oneCreate(self) -> None:
        """
        However many parts, the multipart upload is created once.
        """
        client = FakeClient()
        writer = self.writer(client)
        for _ in range(4):
            writer.write(filler(PART))
        self.successResultOf(writer.finish())
        self.assertEqual(len(client.named("create")), 1)

    def test_straddlingWritesSplitExactly(self) -> None:
        """
        Writes that cross part boundaries are cut there: every part but the
        last is exactly the part size, and together they are the file.
        """
        client = FakeClient()
        writer = self.writer(client)
        data = data_of(4 * PART + 7)
        step = 3 * MiB + 1
        for start in range(0, len(data), step):
            writer.write(data[start : start + step])
        self.successResultOf(writer.finish())
        self.assertEqual(
            ([len(client.parts[n]) for n in sorted(client.parts)], writer.bytes_received),
            ([PART, PART, PART, PART, 7], len(data)),
        )
        self.assertEqual(b"".join(client.parts[n] for n in sorted(client.parts)), data)

    def test_partDigests(self) -> None:
        """
        Each part carries the SHA-256 of its own bytes, even when the writes
        it was cut from straddle part boundaries.
        """
        client = FakeClient()
        writer = self.writer(client)
        data = data_of(2 * PART + 11)
        step = 3 * MiB + 1
        for start in range(0, len(data), step):
            writer.write(data[start : start + step])
        self.successResultOf(writer.finish())
        self.assertEqual(
            {number: client.digests[number] for number in client.parts},
            {number: hashlib.sha256(body).hexdigest() for number, body in client.parts.items()},
        )

    def test_partSizeGrowsByTier(self) -> None:
        """
        The writer sizes each part with L{part_size_for}: with one part per
        tier, the second part is twice the first.
        """
        self.patch(upload, "PARTS_PER_TIER", 1)
        client = FakeClient()
        writer = self.writer(client)
        writer.write(filler(3 * PART + 1))
        self.successResultOf(writer.finish())
        self.assertEqual(
            {number: len(body) for number, body in client.parts.items()},
            {1: PART, 2: 2 * PART, 3: 1},
        )

    def test_completeFailureAborts(self) -> None:
        """
        A refused completion fails L{MultipartWriter.finish} and aborts the
        upload so that no part is left behind.
        """
        client = FakeClient(hold={"complete"})
        writer = self.writer(client)
        writer.write(filler(PART + 1))
        d = writer.finish()
        client.pending["complete"][0].errback(S3Error("InvalidPart", 400))
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "InvalidPart")
        self.assertEqual(client.named("abort"), [("abort", KEY, UPLOAD_ID)])


class BackpressureTests(WriterTestCase):
    """
    The producer is paused while C{parts_in_flight} parts are being sent,
    so that memory stays bounded.
    """

    def test_notPausedBelowLimit(self) -> None:
        """
        One part in flight out of two allowed does not pause the producer.
        """
        client = FakeClient(hold={"part"})
        producer = FakeProducer()
        writer = self.writer(client, producer=producer)
        writer.write(filler(PART))
        self.assertEqual(producer.events, [])

    def test_pausedAtLimit(self) -> None:
        """
        Two full parts in flight out of two allowed pause the producer once,
        even if a little more arrives after the pause.
        """
        client = FakeClient(hold={"part"})
        producer = FakeProducer()
        writer = self.writer(client, producer=producer)
        writer.write(filler(PART))
        writer.write(filler(PART))
        writer.write(b"late bytes")
        self.assertEqual(producer.events, ["pause"])

    def test_resumedWhenPartFinishes(self) -> None:
        """
        When one of the parts in flight finishes, the producer is resumed.
        """
        client = FakeClient(hold={"part"})
        producer = FakeProducer()
        writer = self.writer(client, producer=producer)
        writer.write(filler(PART))
        writer.write(filler(PART))
        client.fire("part", 0, '"etag-1"')
        self.assertEqual(producer.events, ["pause", "resume"])

    def test_partsWaitingForUploadIdCount(self) -> None:
        """
        Parts waiting for CreateMultipartUpload are in flight too: they
        pause the producer just the same.
        """
        client = FakeClient(hold={"create"})
        producer = FakeProducer()
        writer = self.writer(client, producer=producer)
        writer.write(filler(2 * PART))
        self.assertEqual(producer.events, ["pause"])

    def test_memoryBounded(self) -> None:
        """
        With uploads slower than the client, and a producer that stops when
        paused, the writer never holds more than C{parts_in_flight + 1}
        parts, and still stores every byte.
        """
        client = FakeClient(hold={"part"})
        producer = FakeProducer()
        writer = self.writer(client, parts_in_flight=2, producer=producer)
        data = data_of(8 * PART + 5)
        step = 2 * MiB - 3
        position, fired, most = 0, 0, 0
        while position < len(data):
            if producer.paused:
                client.fire("part", fired, f'"etag-{fired + 1}"')
                fired += 1
            else:
                writer.write(data[position : position + step])
                position += step
            most = max(most, writer.memory_parts)
            self.assertLessEqual(writer.memory_parts, 3)
        d = writer.finish()
        while fired < len(client.pending["part"]):
            client.fire("part", fired, f'"etag-{fired + 1}"')
            fired += 1
        self.successResultOf(d)
        self.assertEqual(most, 3)
        self.assertEqual(b"".join(client.parts[n] for n in sorted(client.parts)), data)


class FailureTests(WriterTestCase):
    """
    A part S3 refuses ends the upload: nothing more is read, and the
    multipart upload is aborted.
    """

    def failed_part(self) -> tuple[FakeClient, FakeProducer, MultipartWriter]:
        client = FakeClient(hold={"part"})
        producer = FakeProducer()
        writer = self.writer(client, producer=producer)
        writer.write(filler(PART + 10))
        client.pending["part"][0].errback(S3Error("AccessDenied", 403, operation="UploadPart"))
        return client, producer, writer

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
        client, _, writer = self.failed_part()
        writer.write(filler(3 * PART))
        self.assertEqual((len(client.named("part")), writer.memory_parts), (1, 0))

    def test_finishFailsAndAborts(self) -> None:
        """
        L{MultipartWriter.finish} fails with the part's error, after aborting
        the upload exactly once, and nothing is completed.
        """
        client, _, writer = self.failed_part()
        d = writer.finish()
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "AccessDenied")
        self.assertEqual(
            (client.named("abort"), client.named("complete")),
            ([("abort", KEY, UPLOAD_ID)], []),
        )

    def test_finishWaitsForOtherParts(self) -> None:
        """
        When one part fails while another is in flight, the upload is aborted
        only after the other part has settled.
        """
        client = FakeClient(hold={"part"})
        writer = self.writer(client)
        writer.write(filler(2 * PART))
        client.pending["part"][0].errback(S3Error("InternalError", 500))
        d = writer.finish()
        self.assertEqual(client.named("abort"), [])
        client.fire("part", 1, '"etag-2"')
        self.failureResultOf(d, S3Error)
        self.assertEqual(client.named("abort"), [("abort", KEY, UPLOAD_ID)])

    def test_createFailure(self) -> None:
        """
        If the multipart upload cannot be created, the producer is stopped,
        no part is sent, and finish fails without aborting anything.
        """
        client = FakeClient(hold={"create"})
        producer = FakeProducer()
        writer = self.writer(client, producer=producer)
        writer.write(filler(PART))
        client.pending["create"][0].errback(S3Error("AccessDenied", 403))
        d = writer.finish()
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "AccessDenied")
        self.assertEqual(
            (producer.events, client.named("part"), client.named("abort")), (["stop"], [], [])
        )

    def test_tooManyParts(self) -> None:
        """
        A file needing more than the part limit fails with C{EntityTooLarge},
        even when one write holds several parts beyond the limit.
        """
        self.patch(upload, "MAX_PARTS", 2)
        client = FakeClient()
        writer = self.writer(client)
        writer.write(filler(5 * PART))
        d = writer.finish()
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "EntityTooLarge")
        self.assertEqual(sorted(client.parts), [1, 2])


class AbortTests(WriterTestCase):
    """
    L{MultipartWriter.abort} abandons an upload, leaving nothing in S3.
    """

    def test_waitsForPartsInFlight(self) -> None:
        """
        The abort is sent only after every part in flight has settled, and
        L{MultipartWriter.abort} fires once it is done.
        """
        client = FakeClient(hold={"part", "abort"})
        writer = self.writer(client)
        writer.write(filler(2 * PART))
        d = writer.abort("client went away")
        client.fire("part", 0, '"etag-1"')
        self.assertEqual(client.named("abort"), [])
        client.fire("part", 1, '"etag-2"')
        self.assertEqual(client.named("abort"), [("abort", KEY, UPLOAD_ID)])
        self.assertNoResult(d)
        client.fire("abort", 0)
        self.successResultOf(d)

    def test_laterWritesIgnored(self) -> None:
        """
        Writes after an abort are neither counted nor sent.
        """
        client = FakeClient()
        writer = self.writer(client)
        writer.write(filler(PART))
        self.successResultOf(writer.abort())
        writer.write(filler(2 * PART))
        self.assertEqual((writer.bytes_received, len(client.named("part"))), (PART, 1))

    def test_stopsProducer(self) -> None:
        """
        Aborting stops the producer.
        """
        producer = FakeProducer()
        writer = self.writer(FakeClient(), producer=producer)
        writer.abort()
        self.assertEqual(producer.events, ["stop"])

    def test_finishAfterAbortFails(self) -> None:
        """
        A small upload that was aborted is never stored: finish fails with
        L{UploadAborted} and no S3 call is made.
        """
        client = FakeClient()
        writer = self.writer(client)
        writer.write(b"abc")
        self.successResultOf(writer.abort())
        self.failureResultOf(writer.finish(), UploadAborted)
        self.assertEqual(client.calls, [])


class GuardTests(WriterTestCase):
    """
    The guard is held around the one call that makes the object visible.
    """

    def recording_guard(self, client: FakeClient, fail: bool = False) -> Any:
        @asynccontextmanager
        async def guard() -> AsyncIterator[None]:
            client.calls.append(("enter",))
            if fail:
                raise UploadAborted("parent directory removed")
            yield
            client.calls.append(("exit",))

        return guard

    def test_heldAroundComplete(self) -> None:
        """
        The guard is entered after the last part is in S3, just before the
        completion, and left once the completion has answered.
        """
        client = FakeClient(hold={"part", "complete"})
        writer = self.writer(client, guard=self.recording_guard(client))
        writer.write(filler(PART + 1))
        d = writer.finish()
        client.fire("part", 0, '"etag-1"')
        self.assertEqual(client.calls[-1][0], "part")
        client.fire("part", 1, '"etag-2"')
        self.assertEqual([call[0] for call in client.calls[-2:]], ["enter", "complete"])
        client.fire("complete", 0)
        self.successResultOf(d)
        self.assertEqual(client.calls[-1], ("exit",))

    def test_heldAroundPut(self) -> None:
        """
        For a small file the guard is held around the PutObject.
        """
        client = FakeClient()
        writer = self.writer(client, guard=self.recording_guard(client))
        writer.write(b"abc")
        self.successResultOf(writer.finish())
        self.assertEqual([call[0] for call in client.calls], ["enter", "put", "exit"])

    def test_failingGuardAborts(self) -> None:
        """
        If the guard raises, nothing is completed, the upload is aborted, and
        finish fails with the guard's exception.
        """
        client = FakeClient()
        writer = self.writer(client, guard=self.recording_guard(client, fail=True))
        writer.write(filler(PART + 1))
        self.failureResultOf(writer.finish(), UploadAborted)
        self.assertEqual(
            (client.named("complete"), client.named("abort")), ([], [("abort", KEY, UPLOAD_ID)])
        )


class RegistryTests(SynchronousTestCase):
    """
    L{UploadRegistry} lets a shutdown abort every upload in progress.
    """

    def test_abortAll(self) -> None:
        """
        Every registered writer is aborted, and the result fires once all of
        the aborts have.
        """
        clients = [FakeClient(hold={"abort"}), FakeClient(hold={"abort"})]
        registry = UploadRegistry()
        for client in clients:
            writer = MultipartWriter(client, KEY, part_size=PART, parts_in_flight=2)  # type: ignore[arg-type]
            writer.write(filler(PART))
            registry.add(writer)
        d = registry.abort_all("shutting down")
        self.assertEqual(
            [client.named("abort") for client in clients], [[("abort", KEY, UPLOAD_ID)]] * 2
        )
        clients[0].fire("abort", 0)
        self.assertNoResult(d)
        clients[1].fire("abort", 0)
        self.successResultOf(d)

    def test_discard(self) -> None:
        """
        A discarded writer is no longer counted or aborted.
        """
        client = FakeClient()
        registry = UploadRegistry()
        writer = MultipartWriter(client, KEY, part_size=PART, parts_in_flight=2)  # type: ignore[arg-type]
        writer.write(filler(PART))
        registry.add(writer)
        registry.discard(writer)
        self.successResultOf(registry.abort_all("shutting down"))
        self.assertEqual((len(registry), client.named("abort")), (0, []))


class CopyRangesTests(SynchronousTestCase):
    """How an existing object is cut into UploadPartCopy ranges for an append."""

    def test_one_part_up_to_5_gib(self) -> None:
        """Up to 5 GiB, the whole object is one range."""
        from twisted_ftps3.s3.upload import MAX_PART_SIZE, copy_ranges

        self.assertEqual(copy_ranges(MIN_PART_SIZE), [(0, MIN_PART_SIZE - 1)])
        self.assertEqual(copy_ranges(MAX_PART_SIZE), [(0, MAX_PART_SIZE - 1)])

    def test_even_parts_above_5_gib(self) -> None:
        """Just above 5 GiB, two even ranges: none falls under S3's 5 MiB minimum."""
        from twisted_ftps3.s3.upload import MAX_PART_SIZE, copy_ranges

        size = MAX_PART_SIZE + 1
        ranges = copy_ranges(size)
        self.assertEqual(len(ranges), 2)
        self.assertEqual((ranges[0][0], ranges[-1][1]), (0, size - 1))
        self.assertEqual(ranges[0][1] + 1, ranges[1][0])
        self.assertTrue(
            all(MIN_PART_SIZE <= last - first + 1 <= MAX_PART_SIZE for first, last in ranges)
        )

    def test_ranges_cover_large_objects(self) -> None:
        """Any size: contiguous ranges, each within S3's part limits, covering every byte."""
        from twisted_ftps3.s3.upload import MAX_PART_SIZE, copy_ranges

        for size in (3 * MAX_PART_SIZE - 7, 10 * MAX_PART_SIZE + 12345):
            ranges = copy_ranges(size)
            self.assertEqual(ranges[0][0], 0)
            self.assertEqual(ranges[-1][1], size - 1)
            for (_, last), (first, _) in zip(ranges, ranges[1:], strict=False):
                self.assertEqual(last + 1, first)
            self.assertTrue(all(MIN_PART_SIZE <= b - a + 1 <= MAX_PART_SIZE for a, b in ranges))
