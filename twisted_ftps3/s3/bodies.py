# -*- test-case-name: tests.test_s3_bodies -*-
"""
Request bodies held in memory, sent with backpressure.

A multipart part arrives from the data connection as thousands of small
TLS records. They are copied, as they arrive, into one buffer the size of
the part, and hashed then (SHA-256 for the signature, MD5 to know S3's
ETag of the part): keeping the records themselves would leave
thousands of small blocks for the allocator to fragment, and the process
would keep growing long after each part was freed. The buffer is written to
the HTTP connection only as fast as the connection drains.
"""

from __future__ import annotations

import hashlib

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IConsumer
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer

#: Bytes handed to the transport at a time.
WRITE_SIZE = 64 * 1024
#: What a body starts with before it grows to its expected size: enough for
#: a small file, without reserving a whole part for every upload.
_FIRST_CAPACITY = 256 * 1024


class PartBody:
    """
    Bytes in memory with the digests they need, filled by L{append}: the
    SHA-256 SigV4 signs, and the MD5 from which S3's ETag of a part or of a
    whole multipart object follows, so that the writer can check what S3
    holds against what it sent.

    @param expected: how large the body is expected to grow; its buffer
        grows once, straight to that size, rather than step by step.
    """

    def __init__(self, expected: int = 0) -> None:
        self._expected = expected
        self._data = bytearray(min(expected, _FIRST_CAPACITY))
        self._length = 0
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False)

    @classmethod
    def of(cls, data: bytes) -> PartBody:
        """A body holding C{data}."""
        body = cls(len(data))
        body.append(data)
        return body

    def append(self, chunk: bytes | memoryview) -> None:
        """Copy C{chunk} in at the end, and hash it."""
        size = len(chunk)
        if not size:
            return
        end = self._length + size
        if end > len(self._data):
            self._data.extend(bytes(max(end, self._expected) - len(self._data)))
        self._data[self._length : end] = chunk
        self._length = end
        self._sha256.update(chunk)
        self._md5.update(chunk)

    def __len__(self) -> int:
        return self._length

    def getvalue(self) -> bytes:
        """A copy of the bytes appended so far."""
        return bytes(self._data[: self._length])

    def sha256_hex(self) -> str:
        """The hex SHA-256 of everything appended so far."""
        return self._sha256.hexdigest()

    def md5_digest(self) -> bytes:
        """The binary MD5 of everything appended so far."""
        return self._md5.digest()

    def producer(self) -> IBodyProducer:
        """A fresh producer of these bytes; each retry of a request takes a new one."""
        return _BufferProducer(memoryview(self._data)[: self._length])


@implementer(IBodyProducer)
class _BufferProducer:
    """Write a buffer to a consumer in pieces, stopping whenever it pauses us."""

    def __init__(self, view: memoryview) -> None:
        self.length = len(view)
        self._view: memoryview | None = view
        self._next = 0
        self._paused = False
        self._stopped = False
        self._pumping = False
        self._consumer: IConsumer | None = None
        self._finished: Deferred[None] | None = None

    def startProducing(self, consumer: IConsumer) -> Deferred[None]:
        if not self.length:
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
            while not self._paused and not self._stopped and self._next < self.length:
                assert self._view is not None
                start, self._next = self._next, min(self._next + WRITE_SIZE, self.length)
                self._consumer.write(bytes(self._view[start : self._next]))
        finally:
            self._pumping = False
        if self._next == self.length and not self._stopped and self._finished is not None:
            finished, self._finished = self._finished, None
            self._release()
            finished.callback(None)

    def _release(self) -> None:
        # Twisted's HTTP client keeps a finished request, and so this
        # producer, until its pooled connection carries the next one: holding
        # the view would keep a whole part alive for every idle connection.
        self._view = None
        self._consumer = None

    def pauseProducing(self) -> None:
        self._paused = True

    def resumeProducing(self) -> None:
        self._paused = False
        if self._consumer is not None:
            self._pump()

    def stopProducing(self) -> None:
        self._stopped = True
        self._release()
