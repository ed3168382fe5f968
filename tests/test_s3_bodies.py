# -*- test-case-name: tests.test_s3_bodies -*-
"""
Tests for L{twisted_ftps3.s3.bodies}: in-memory request bodies and their
producers.
"""

from __future__ import annotations

import base64
import hashlib
import random
import zlib
from collections.abc import Sequence

from twisted.trial.unittest import SynchronousTestCase
from twisted.web.iweb import IBodyProducer
from zope.interface.verify import verifyObject

from twisted_ftps3.s3.bodies import WRITE_SIZE, PartBody

from .support.producers import RecordingConsumer

CHUNKS = [b"first ", b"second ", b"", b"third \xff\x00", b"fourth"]
#: A body of three full pieces and a short fourth one, with bytes that differ
#: from piece to piece so that a misplaced piece shows.
LARGE = random.Random(0).randbytes(3 * WRITE_SIZE + 1000)
#: C{LARGE} as the producer should write it.
PIECES = [LARGE[start : start + WRITE_SIZE] for start in range(0, len(LARGE), WRITE_SIZE)]


def body_of(chunks: Sequence[bytes | memoryview]) -> PartBody:
    """A L{PartBody} built by appending C{chunks} one by one."""
    body = PartBody()
    for chunk in chunks:
        body.append(chunk)
    return body


def large_body() -> PartBody:
    """A L{PartBody} holding C{LARGE}, appended in uneven records."""
    step = 16 * 1024 + 7
    return body_of([LARGE[start : start + step] for start in range(0, len(LARGE), step)])


class PartBodyTests(SynchronousTestCase):
    """
    L{PartBody} keeps what is appended (copying what could change, and
    gathering what is small), with its length and digests.
    """

    def test_length(self) -> None:
        """
        The length is the total of the chunks appended.
        """
        self.assertEqual(len(body_of(CHUNKS)), len(b"".join(CHUNKS)))

    def test_sha256(self) -> None:
        """
        The SHA-256 is the digest of the chunks joined, as SigV4 needs it.
        """
        self.assertEqual(body_of(CHUNKS).sha256_hex(), hashlib.sha256(b"".join(CHUNKS)).hexdigest())

    def test_md5(self) -> None:
        """
        The MD5 is the binary digest of the chunks joined: S3's ETag of a
        part holding them, unquoted and in hex.
        """
        self.assertEqual(body_of(CHUNKS).md5_digest(), hashlib.md5(b"".join(CHUNKS)).digest())

    def test_md5OfMemoryviews(self) -> None:
        """
        Chunks appended as slices of one large buffer hash as its bytes do.
        """
        body = PartBody()
        view = memoryview(LARGE)
        for start in range(0, len(LARGE), 7777):
            body.append(view[start : start + 7777])
        self.assertEqual(body.md5_digest(), hashlib.md5(LARGE).digest())

    def test_getvalue(self) -> None:
        """
        L{PartBody.getvalue} is the bytes appended, in order, as C{bytes}.
        """
        value = body_of(CHUNKS).getvalue()
        self.assertEqual((type(value), value), (bytes, b"".join(CHUNKS)))

    def test_getvalueIsCopy(self) -> None:
        """
        A value already taken does not change when more is appended.
        """
        body = body_of(CHUNKS)
        before = body.getvalue()
        body.append(b"more")
        self.assertEqual((before, body.getvalue()), (b"".join(CHUNKS), b"".join(CHUNKS) + b"more"))

    def test_appendMemoryview(self) -> None:
        """
        Slices of a memoryview, as a writer cuts a write at a part boundary,
        are copied in as their bytes and hashed as such.
        """
        data = b"".join(CHUNKS)
        view = memoryview(data)
        body = body_of([view[:5], view[5:5], view[5:17], view[17:]])
        self.assertEqual(
            (body.getvalue(), body.sha256_hex()), (data, hashlib.sha256(data).hexdigest())
        )

    def test_appendDoesNotKeepChunk(self) -> None:
        """
        A chunk is copied, not kept: changing its buffer afterwards does not
        change the body.
        """
        chunk = bytearray(b"original")
        body = PartBody()
        body.append(chunk)
        chunk[:] = b"changed!"
        self.assertEqual(body.getvalue(), b"original")

    def test_holdsWhatItWasGiven(self) -> None:
        """
        The buffer grows with what it holds: 1 MiB appended in TLS-sized
        records takes about 1 MiB, not a whole part reserved up front.
        """
        body = PartBody()
        record = bytes(16 * 1024)
        for _ in range(64):
            body.append(record)
        self.assertEqual(len(body), 1024 * 1024)
        self.assertGreaterEqual(body.allocated, 1024 * 1024)
        self.assertLess(body.allocated, 1.2 * 1024 * 1024)

    def test_smallChunksGathered(self) -> None:
        """
        Tiny chunks are copied together, not kept one object each: 10,000
        appends of 10 bytes take about their 100,000 bytes.
        """
        body = PartBody()
        for _ in range(10_000):
            body.append(b"0123456789")
        self.assertEqual(body.getvalue(), b"0123456789" * 10_000)
        self.assertLess(body.allocated, 1.1 * 100_000)

    def test_recordKeptNotCopied(self) -> None:
        """
        A C{bytes} record is kept as it is: one of exactly C{WRITE_SIZE}
        bytes is written as the very object appended, never copied.
        """
        record = LARGE[:WRITE_SIZE]
        consumer = RecordingConsumer()
        PartBody.of(record).producer().startProducing(consumer)
        self.assertIs(consumer.written[0], record)

    def test_extendKeepsRecords(self) -> None:
        """
        Records given together are kept as they are, in order, after what
        was there: the same body as appending them one by one.
        """
        records = [LARGE[i : i + 16 * 1024] for i in range(0, 5 * 16 * 1024, 16 * 1024)]
        body = PartBody.of(b"head")
        body.extend(records)
        one_by_one = PartBody.of(b"head")
        for record in records:
            one_by_one.append(record)
        self.assertEqual(
            (body.getvalue(), len(body), body.sha256_digest()),
            (one_by_one.getvalue(), len(one_by_one), one_by_one.sha256_digest()),
        )
        self.assertIs(body._records[-1], records[-1])

    def test_extendSmallRecordsGathered(self) -> None:
        """Small records given together are gathered as appended ones are."""
        body = PartBody()
        body.extend([b"0123456789"] * 1000)
        self.assertEqual(body.getvalue(), b"0123456789" * 1000)
        self.assertLess(body.allocated, 1.5 * 10_000)

    def test_extendEmpty(self) -> None:
        """Extending with no records changes nothing."""
        body = PartBody.of(b"abc")
        digest = body.md5_digest()
        body.extend([])
        self.assertEqual((body.getvalue(), body.md5_digest()), (b"abc", digest))

    def test_extendChangesDigests(self) -> None:
        """Digests taken before an extend are taken again after it."""
        body = PartBody.of(b"abc")
        body.sha256_digest()
        body.extend([LARGE[:WRITE_SIZE]])
        self.assertEqual(body.sha256_digest(), hashlib.sha256(b"abc" + LARGE[:WRITE_SIZE]).digest())

    def test_emptyHoldsNothing(self) -> None:
        """
        A body nothing was appended to reserves no buffer.
        """
        self.assertLess(PartBody().allocated, 1024)

    def test_largeBodyIntact(self) -> None:
        """
        A body grown over many records of uneven sizes keeps every byte in
        order, and its digests are those of the bytes.
        """
        data = random.Random(1).randbytes(3 * 1024 * 1024 + 17)
        step = 16 * 1024 + 5
        body = body_of([data[start : start + step] for start in range(0, len(data), step)])
        self.assertEqual(
            (len(body), body.getvalue(), body.sha256_hex(), body.md5_digest()),
            (len(data), data, hashlib.sha256(data).hexdigest(), hashlib.md5(data).digest()),
        )

    def test_digestsFollowAppends(self) -> None:
        """
        A digest asked for, then more appended: the digests asked for next
        are those of everything appended, not of the bytes seen the first
        time.
        """
        body = PartBody.of(b"first")
        before = (body.md5_digest(), body.sha256_hex())
        body.append(b" and more")
        self.assertEqual(
            (before, body.md5_digest(), body.sha256_hex()),
            (
                (hashlib.md5(b"first").digest(), hashlib.sha256(b"first").hexdigest()),
                hashlib.md5(b"first and more").digest(),
                hashlib.sha256(b"first and more").hexdigest(),
            ),
        )

    def test_contentMD5(self) -> None:
        """
        L{PartBody.content_md5} is the C{Content-MD5} header of the bytes:
        their binary MD5 in base64, which S3 checks.
        """
        self.assertEqual(
            body_of(CHUNKS).content_md5(),
            base64.b64encode(hashlib.md5(b"".join(CHUNKS)).digest()).decode(),
        )

    def test_checksumCRC32(self) -> None:
        """
        L{PartBody.checksum_crc32} is the C{x-amz-checksum-crc32} header of
        the bytes: the base64 of their CRC32 (the ISO-HDLC CRC-32, whose
        check value for C{123456789} is C{CBF43926}), big-endian.
        """
        self.assertEqual(
            (PartBody.of(b"123456789").crc32(), PartBody.of(b"123456789").checksum_crc32()),
            (0xCBF43926, base64.b64encode(bytes.fromhex("CBF43926")).decode()),
        )

    def test_crc32OfChunks(self) -> None:
        """
        The CRC32 of a body appended in chunks is that of all its bytes, and
        follows what is appended after it was asked for.
        """
        body = body_of(CHUNKS)
        before = body.crc32()
        body.append(b"more")
        self.assertEqual(
            (before, body.crc32()),
            (zlib.crc32(b"".join(CHUNKS)), zlib.crc32(b"".join(CHUNKS) + b"more")),
        )

    def test_checksumSHA256(self) -> None:
        """
        L{PartBody.checksum_sha256} is the C{x-amz-checksum-sha256} header
        of the bytes, the base64 of the digest whose hex L{sha256_hex} gives,
        and it follows what is appended after it was asked for.
        """
        body = body_of(CHUNKS)
        before = (body.checksum_sha256(), body.sha256_hex())
        body.append(b"more")
        digest = hashlib.sha256(b"".join(CHUNKS)).digest()
        self.assertEqual(
            (before, body.checksum_sha256()),
            (
                (base64.b64encode(digest).decode(), digest.hex()),
                base64.b64encode(hashlib.sha256(b"".join(CHUNKS) + b"more").digest()).decode(),
            ),
        )

    def test_emptyCRC32(self) -> None:
        """The CRC32 of no bytes is zero: C{AAAAAA==}."""
        self.assertEqual(PartBody().checksum_crc32(), "AAAAAA==")

    def test_notChangedWhileSent(self) -> None:
        """
        A body whose producer has not yet written it cannot be grown: what
        is sent is what was hashed.
        """
        body = large_body()
        producer = body.producer()
        producer.startProducing(RecordingConsumer(lambda consumer: producer.pauseProducing()))
        self.assertRaises(BufferError, body.append, b"more")

    def test_notExtendedWhileSent(self) -> None:
        """A body being sent refuses records given together, as it refuses one."""
        body = large_body()
        producer = body.producer()
        producer.startProducing(RecordingConsumer(lambda consumer: producer.pauseProducing()))
        self.assertRaises(BufferError, body.extend, [LARGE[:WRITE_SIZE], LARGE[:WRITE_SIZE]])

    def test_of(self) -> None:
        """
        L{PartBody.of} holds exactly the bytes given.
        """
        body = PartBody.of(b"hello")
        self.assertEqual(
            (len(body), body.getvalue(), body.sha256_hex()),
            (5, b"hello", hashlib.sha256(b"hello").hexdigest()),
        )

    def test_empty(self) -> None:
        """
        An empty body has length 0, no bytes and the SHA-256 and MD5 of no
        bytes.
        """
        body = PartBody.of(b"")
        self.assertEqual(
            (len(body), body.getvalue(), body.sha256_hex(), body.md5_digest()),
            (0, b"", hashlib.sha256(b"").hexdigest(), hashlib.md5(b"").digest()),
        )


class ProducerTests(SynchronousTestCase):
    """
    L{PartBody.producer} writes the buffer to a consumer in pieces of
    C{WRITE_SIZE} bytes, with backpressure.
    """

    def test_interface(self) -> None:
        """
        The producer provides L{IBodyProducer} and announces the body's length.
        """
        producer = large_body().producer()
        self.assertTrue(verifyObject(IBodyProducer, producer))
        self.assertEqual(producer.length, len(LARGE))

    def test_writesAllPiecesInOrder(self) -> None:
        """
        The body is written in pieces of C{WRITE_SIZE} bytes (the last one
        shorter), in order, and the Deferred then fires. It only writes: a
        body producer is registered and unregistered by the HTTP client, not
        by itself.
        """
        consumer = RecordingConsumer()
        d = large_body().producer().startProducing(consumer)
        self.assertEqual(
            (consumer.events, self.successResultOf(d)),
            ([("write", piece) for piece in PIECES], None),
        )

    def test_piecesAreBytes(self) -> None:
        """
        Every piece is written as C{bytes}, not as a view of the buffer, as a
        transport may keep what it is given.
        """
        consumer = RecordingConsumer()
        large_body().producer().startProducing(consumer)
        self.assertEqual(set(consumer.write_types), {bytes})

    def test_smallBodyOneWrite(self) -> None:
        """
        A body smaller than C{WRITE_SIZE} is written in one piece, however
        many chunks it was appended as.
        """
        consumer = RecordingConsumer()
        d = body_of(CHUNKS).producer().startProducing(consumer)
        self.assertEqual((consumer.written, self.successResultOf(d)), ([b"".join(CHUNKS)], None))

    def test_exactMultiple(self) -> None:
        """
        A body of an exact multiple of C{WRITE_SIZE} is written in full
        pieces, with no empty write at the end, and the Deferred fires.
        """
        data = LARGE[: 2 * WRITE_SIZE]
        consumer = RecordingConsumer()
        d = PartBody.of(data).producer().startProducing(consumer)
        self.assertEqual(
            (consumer.written, self.successResultOf(d)),
            ([data[:WRITE_SIZE], data[WRITE_SIZE:]], None),
        )

    def test_pauseStopsWriting(self) -> None:
        """
        Once the consumer pauses the producer, nothing more is written and the
        Deferred does not fire.
        """
        producer = large_body().producer()
        consumer = RecordingConsumer(lambda consumer: producer.pauseProducing())
        d = producer.startProducing(consumer)
        self.assertEqual(consumer.written, PIECES[:1])
        self.assertNoResult(d)

    def test_resumeContinues(self) -> None:
        """
        Resuming writes the following piece, and the one after that only on
        the next resume: the consumer sets the pace.
        """
        producer = large_body().producer()
        consumer = RecordingConsumer(lambda consumer: producer.pauseProducing())
        producer.startProducing(consumer)
        producer.resumeProducing()
        self.assertEqual(consumer.written, PIECES[:2])

    def test_firesAfterLastPieceOnResume(self) -> None:
        """
        A producer paused after every write fires its Deferred once resuming
        has delivered the last piece, with every byte written in order.
        """
        producer = large_body().producer()
        consumer = RecordingConsumer(lambda consumer: producer.pauseProducing())
        d = producer.startProducing(consumer)
        for _ in range(len(PIECES) - 1):
            self.assertNoResult(d)
            producer.resumeProducing()
        self.successResultOf(d)
        self.assertEqual(consumer.written, PIECES)

    def test_resumeInsideWrite(self) -> None:
        """
        A consumer that pauses and resumes from inside C{write} (as a
        transport whose buffer drains at once does) gets each piece once.
        """
        producer = large_body().producer()

        def bounce(consumer: RecordingConsumer) -> None:
            producer.pauseProducing()
            producer.resumeProducing()

        consumer = RecordingConsumer(bounce)
        d = producer.startProducing(consumer)
        self.assertEqual((consumer.written, self.successResultOf(d)), (PIECES, None))

    def test_resumeInsideWriteDoesNotNest(self) -> None:
        """
        A resume from inside C{write} does not start a second write inside
        the first: pieces are written one after the other, so that a part of
        thousands of pieces cannot exhaust the stack.
        """
        producer = large_body().producer()
        nested: list[int] = []
        depth = [0]

        class BouncingConsumer(RecordingConsumer):
            def write(self, data: bytes) -> None:
                depth[0] += 1
                nested.append(depth[0])
                producer.pauseProducing()
                producer.resumeProducing()
                depth[0] -= 1

        self.successResultOf(producer.startProducing(BouncingConsumer()))
        self.assertEqual(nested, [1] * len(PIECES))

    def test_stopPreventsFiring(self) -> None:
        """
        After C{stopProducing} nothing more is written and the Deferred never
        fires, even if the producer is resumed, as L{IBodyProducer} requires.
        """
        producer = large_body().producer()
        consumer = RecordingConsumer(lambda consumer: producer.pauseProducing())
        d = producer.startProducing(consumer)
        producer.stopProducing()
        producer.resumeProducing()
        self.assertEqual(consumer.written, PIECES[:1])
        self.assertNoResult(d)

    def test_stopInsideWrite(self) -> None:
        """
        A consumer that stops the producer from inside C{write} gets no
        further piece, and the Deferred never fires.
        """
        producer = large_body().producer()
        consumer = RecordingConsumer(lambda consumer: producer.stopProducing())
        d = producer.startProducing(consumer)
        self.assertEqual(consumer.written, PIECES[:1])
        self.assertNoResult(d)

    def test_emptyBody(self) -> None:
        """
        An empty body writes nothing and its Deferred has already fired.
        """
        consumer = RecordingConsumer()
        d = PartBody().producer().startProducing(consumer)
        self.assertEqual((self.successResultOf(d), consumer.written), (None, []))

    def test_eachProducerIsFresh(self) -> None:
        """
        A second producer (for a retried request) writes the whole body again,
        even though the first one was stopped half way.
        """
        body = large_body()
        first = body.producer()
        first.startProducing(RecordingConsumer(lambda consumer: first.pauseProducing()))
        first.stopProducing()
        consumer = RecordingConsumer()
        self.successResultOf(body.producer().startProducing(consumer))
        self.assertEqual(consumer.written, PIECES)
