# -*- test-case-name: tests.test_s3_bodies -*-
"""
Request bodies that are already in memory, sent with backpressure.

A multipart part arrives from the data connection as many small chunks. They
are kept as they came, never joined into one large copy, and written to the
HTTP connection only as fast as it drains, so a part costs its own size in
memory once, however slow S3 is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IConsumer
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer


class ChunkedBody:
    """
    Bytes in memory as a list of chunks, with the digests SigV4 needs.

    Build it with L{append} as bytes arrive: each chunk is hashed once, when
    it arrives, so that nothing is left to hash when the part is sent.
    """

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._length = 0
        self._sha256 = hashlib.sha256()

    @classmethod
    def of(cls, data: bytes) -> ChunkedBody:
        """A body holding C{data}."""
        body = cls()
        body.append(data)
        return body

    def append(self, chunk: bytes) -> None:
        """Add C{chunk} at the end."""
        if chunk:
            self._chunks.append(chunk)
            self._length += len(chunk)
            self._sha256.update(chunk)

    def __len__(self) -> int:
        return self._length

    @property
    def chunks(self) -> Sequence[bytes]:
        """The chunks, in order."""
        return self._chunks

    def sha256_hex(self) -> str:
        """The hex SHA-256 of everything appended so far."""
        return self._sha256.hexdigest()

    def producer(self) -> IBodyProducer:
        """A fresh producer of these bytes; each retry of a request takes a new one."""
        return _ChunksProducer(self._chunks, self._length)


@implementer(IBodyProducer)
class _ChunksProducer:
    """
    Write a list of chunks to a consumer, stopping whenever it pauses us.
    """

    def __init__(self, chunks: Sequence[bytes], length: int) -> None:
        self.length = length
        self._chunks = chunks
        self._next = 0
        self._paused = False
        self._stopped = False
        self._pumping = False
        self._consumer: IConsumer | None = None
        self._finished: Deferred[None] | None = None

    def startProducing(self, consumer: IConsumer) -> Deferred[None]:
        if not self._chunks:
            return succeed(None)
        self._consumer = consumer
        self._finished = finished = Deferred()
        self._pump()
        return finished

    def _pump(self) -> None:
        # consumer.write may pause or resume us synchronously; the flag keeps
        # a resume from starting a second loop inside the first.
        if self._pumping:
            return
        self._pumping = True
        try:
            assert self._consumer is not None
            while not self._paused and not self._stopped and self._next < len(self._chunks):
                chunk = self._chunks[self._next]
                self._next += 1
                self._consumer.write(chunk)
        finally:
            self._pumping = False
        if self._next == len(self._chunks) and not self._stopped and self._finished is not None:
            finished, self._finished = self._finished, None
            finished.callback(None)

    def pauseProducing(self) -> None:
        self._paused = True

    def resumeProducing(self) -> None:
        self._paused = False
        if self._consumer is not None:
            self._pump()

    def stopProducing(self) -> None:
        self._stopped = True
