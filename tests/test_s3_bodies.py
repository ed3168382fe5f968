# -*- test-case-name: tests.test_s3_bodies -*-
"""
Tests for L{twisted_ftps3.s3.bodies}: in-memory request bodies and their
producers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from twisted.internet.interfaces import IConsumer
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer
from zope.interface.verify import verifyObject

from twisted_ftps3.s3.bodies import ChunkedBody

CHUNKS = [b"first ", b"second ", b"", b"third \xff\x00", b"fourth"]


def body_of(chunks: list[bytes]) -> ChunkedBody:
    """A L{ChunkedBody} built by appending C{chunks} one by one."""
    body = ChunkedBody()
    for chunk in chunks:
        body.append(chunk)
    return body


@implementer(IConsumer)
class RecordingConsumer:
    """
    A consumer that records what it is written and lets a test react to each
    write (to pause the producer, say).
    """

    def __init__(self, on_write: Callable[[RecordingConsumer], None] | None = None) -> None:
        self.written: list[bytes] = []
        self._on_write = on_write

    def registerProducer(self, producer: object, streaming: bool) -> None:
        raise AssertionError("a body producer is registered by the HTTP client, not by itself")

    def unregisterProducer(self) -> None:
        raise AssertionError("a body producer is unregistered by the HTTP client")

    def write(self, data: bytes) -> None:
        self.written.append(data)
        if self._on_write is not None:
            self._on_write(self)


class ChunkedBodyTests(SynchronousTestCase):
    """
    L{ChunkedBody} keeps chunks as they came, with their length and digest.
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

    def test_chunksKeptInOrder(self) -> None:
        """
        The chunks are kept as appended, without the empty ones.
        """
        self.assertEqual(list(body_of(CHUNKS).chunks), [c for c in CHUNKS if c])

    def test_of(self) -> None:
        """
        L{ChunkedBody.of} holds exactly the bytes given.
        """
        body = ChunkedBody.of(b"hello")
        self.assertEqual(
            (len(body), b"".join(body.chunks), body.sha256_hex()),
            (5, b"hello", hashlib.sha256(b"hello").hexdigest()),
        )

    def test_empty(self) -> None:
        """
        An empty body has length 0 and the SHA-256 of no bytes.
        """
        body = ChunkedBody.of(b"")
        self.assertEqual(
            (len(body), list(body.chunks), body.sha256_hex()),
            (0, [], hashlib.sha256(b"").hexdigest()),
        )


class ProducerTests(SynchronousTestCase):
    """
    L{ChunkedBody.producer} writes the chunks to a consumer, with backpressure.
    """

    def test_interface(self) -> None:
        """
        The producer provides L{IBodyProducer} and announces the body's length.
        """
        producer = body_of(CHUNKS).producer()
        self.assertTrue(verifyObject(IBodyProducer, producer))
        self.assertEqual(producer.length, len(b"".join(CHUNKS)))

    def test_writesAllChunksInOrder(self) -> None:
        """
        Every chunk is written, in order, and the Deferred then fires.
        """
        consumer = RecordingConsumer()
        d = body_of(CHUNKS).producer().startProducing(consumer)
        self.assertEqual(
            (consumer.written, self.successResultOf(d)), ([c for c in CHUNKS if c], None)
        )

    def test_pauseStopsWriting(self) -> None:
        """
        Once the consumer pauses the producer, nothing more is written and the
        Deferred does not fire.
        """
        producer = body_of(CHUNKS).producer()
        consumer = RecordingConsumer(lambda consumer: producer.pauseProducing())
        d = producer.startProducing(consumer)
        self.assertEqual(consumer.written, [b"first "])
        self.assertNoResult(d)

    def test_resumeContinues(self) -> None:
        """
        Resuming writes the following chunk, and the one after that only on the
        next resume: the consumer sets the pace.
        """
        producer = body_of(CHUNKS).producer()
        consumer = RecordingConsumer(lambda consumer: producer.pauseProducing())
        producer.startProducing(consumer)
        producer.resumeProducing()
        self.assertEqual(consumer.written, [b"first ", b"second "])

    def test_firesAfterLastChunkOnResume(self) -> None:
        """
        A producer paused after every write fires its Deferred once resuming
        has delivered the last chunk, with every byte written in order.
        """
        producer = body_of(CHUNKS).producer()
        consumer = RecordingConsumer(lambda consumer: producer.pauseProducing())
        d = producer.startProducing(consumer)
        for _ in range(3):
            self.assertNoResult(d)
            producer.resumeProducing()
        self.successResultOf(d)
        self.assertEqual(b"".join(consumer.written), b"".join(CHUNKS))

    def test_resumeInsideWrite(self) -> None:
        """
        A consumer that pauses and resumes from inside C{write} (as a
        transport whose buffer drains at once does) gets each chunk once.
        """
        producer = body_of(CHUNKS).producer()

        def bounce(consumer: RecordingConsumer) -> None:
            producer.pauseProducing()
            producer.resumeProducing()

        consumer = RecordingConsumer(bounce)
        d = producer.startProducing(consumer)
        self.assertEqual(
            (consumer.written, self.successResultOf(d)), ([c for c in CHUNKS if c], None)
        )

    def test_stopPreventsFiring(self) -> None:
        """
        After C{stopProducing} nothing more is written and the Deferred never
        fires, even if the producer is resumed, as L{IBodyProducer} requires.
        """
        producer = body_of(CHUNKS).producer()
        consumer = RecordingConsumer(lambda consumer: producer.pauseProducing())
        d = producer.startProducing(consumer)
        producer.stopProducing()
        producer.resumeProducing()
        self.assertEqual(consumer.written, [b"first "])
        self.assertNoResult(d)

    def test_emptyBody(self) -> None:
        """
        An empty body writes nothing and its Deferred has already fired.
        """
        consumer = RecordingConsumer()
        d = ChunkedBody().producer().startProducing(consumer)
        self.assertEqual((self.successResultOf(d), consumer.written), (None, []))

    def test_eachProducerIsFresh(self) -> None:
        """
        A second producer (for a retried request) writes the whole body again,
        even though the first one was stopped half way.
        """
        body = body_of(CHUNKS)
        first = body.producer()
        first.startProducing(RecordingConsumer(lambda consumer: first.pauseProducing()))
        first.stopProducing()
        consumer = RecordingConsumer()
        self.successResultOf(body.producer().startProducing(consumer))
        self.assertEqual(b"".join(consumer.written), b"".join(CHUNKS))
