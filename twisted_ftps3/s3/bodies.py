# -*- test-case-name: tests.test_s3_bodies -*-
"""
Request bodies held in memory, sent with backpressure.

A multipart part arrives from the data connection as thousands of TLS
records, each a new C{bytes} object from pyOpenSSL. The body keeps those
objects as they are, in a list, and joins them only when it writes them to
the HTTP connection, once per L{WRITE_SIZE}. A 1 MiB file costs about 1 MiB,
and no copy is made of a record until it is sent.

The body used to copy each record onto the end of one growing C{bytearray}.
With many uploads at once, each growth of each buffer was a fresh
allocation: 1,000 such buffers growing to 1 MiB side by side cost 1.41 s
of CPU per GiB, where keeping the records costs 0.60 s, the copies into
the pieces sent and the page faults included (two 8 MiB parts side by
side: 0.68 s against 0.44 s; C{benchmarks/part_bodies.py}). Chunks
smaller than L{SMALL} are copied into a tail instead, so that a client
writing tiny pieces does not pay an object's overhead on each.

Nothing is hashed record by record. The digests a request needs are computed
once, over the whole body, when they are first asked for (the checksum S3
checks, whichever L{twisted_ftps3.s3.checksums} chooses; the SHA-256 where
the signature covers the payload, which is then that checksum too), and no
digest is computed that no request uses. The body is written to the HTTP
connection only as fast as the connection drains.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zlib
from collections.abc import Callable
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IConsumer
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer

#: Bytes handed to the transport at a time.
WRITE_SIZE = 256 * 1024
#: Chunks shorter than this are copied together rather than kept one by one.
SMALL = 4 * 1024
#: What the small chunks gathered together make before they become a record:
#: a full TLS record's worth.
RECORD = 16 * 1024


class PartBody:
    """
    Bytes in memory, filled by L{append}, with the digests requests need:
    the CRC32 of C{x-amz-checksum-crc32} or the MD5 of C{Content-MD5}, which
    S3 checks before it stores anything (the MD5 is also what S3's ETag of
    a part is made of, so that the writer can check what S3 holds against
    what it sent), and the SHA-256 that SigV4 signs where the payload is
    signed.

    A body is not appended to while it is being sent: while a producer
    holds it, L{append} raises L{BufferError} rather than change what is
    sent after it was hashed.
    """

    def __init__(self) -> None:
        self._records: list[bytes] = []
        #: Small chunks, copied together until they make a record.
        self._tail = bytearray()
        self._length = 0
        self._senders = 0
        self._md5: bytes | None = None
        self._sha256: bytes | None = None
        self._crc32: int | None = None

    @classmethod
    def of(cls, data: bytes) -> PartBody:
        """A body holding C{data}."""
        body = cls()
        body.append(data)
        return body

    def append(self, chunk: bytes | bytearray | memoryview) -> None:
        """Add C{chunk} at the end: kept if it is C{bytes}, else copied."""
        size = len(chunk)
        if not size:
            return
        self._grow(size)
        if size < SMALL:
            self._tail += chunk
            if len(self._tail) >= RECORD:
                self._seal()
            return
        self._seal()
        self._records.append(chunk if type(chunk) is bytes else bytes(chunk))

    def extend(self, records: list[bytes]) -> None:
        """
        Add each of C{records} at the end, in order, as L{append} would.

        The records a data connection opens from one read of TCP come
        together: kept in one step, with no call per record.
        """
        if not records:
            return
        if min(map(len, records)) < SMALL:
            for record in records:
                self.append(record)
            return
        self._grow(sum(map(len, records)))
        self._seal()
        self._records.extend(records)

    def _grow(self, size: int) -> None:
        """Count C{size} more bytes, whose digests are not known yet."""
        if self._senders:
            raise BufferError("a body cannot grow while it is being sent")
        self._length += size
        self._md5 = self._sha256 = self._crc32 = None

    def _seal(self) -> None:
        """Make the small chunks gathered so far a record of their own."""
        if self._tail:
            self._records.append(bytes(self._tail))
            self._tail.clear()

    def _sealed(self) -> list[bytes]:
        self._seal()
        return self._records

    def __len__(self) -> int:
        return self._length

    @property
    def allocated(self) -> int:
        """
        The bytes of memory the body takes now: its records, the list that
        holds them and the tail being gathered.
        """
        records = sum(map(sys.getsizeof, self._records))
        return records + sys.getsizeof(self._records) + self._tail.__sizeof__()

    def getvalue(self) -> bytes:
        """A copy of the bytes appended so far."""
        return b"".join(self._sealed())

    def sha256_digest(self) -> bytes:
        """The binary SHA-256 of everything appended so far."""
        if self._sha256 is None:
            self._sha256 = _digest(hashlib.sha256(), self._sealed())
        return self._sha256

    def sha256_hex(self) -> str:
        """The hex SHA-256 of everything appended so far, which SigV4 signs."""
        return self.sha256_digest().hex()

    def checksum_sha256(self) -> str:
        """
        The C{x-amz-checksum-sha256} header of these bytes, which S3
        verifies: the base64 of the same SHA-256 the signature may cover.
        """
        return base64.b64encode(self.sha256_digest()).decode("ascii")

    def md5_digest(self) -> bytes:
        """The binary MD5 of everything appended so far."""
        if self._md5 is None:
            self._md5 = _digest(hashlib.md5(usedforsecurity=False), self._sealed())
        return self._md5

    def content_md5(self) -> str:
        """The C{Content-MD5} header of these bytes, which S3 verifies."""
        return base64.b64encode(self.md5_digest()).decode("ascii")

    def crc32(self) -> int:
        """The CRC32 (as zlib and S3 compute it) of everything appended so far."""
        if self._crc32 is None:
            crc = 0
            for record in self._sealed():
                crc = zlib.crc32(record, crc)
            self._crc32 = crc
        return self._crc32

    def checksum_crc32(self) -> str:
        """
        The C{x-amz-checksum-crc32} header of these bytes, which S3
        verifies: the base64 of their CRC32, big-endian.
        """
        return base64.b64encode(self.crc32().to_bytes(4, "big")).decode("ascii")

    def producer(self) -> IBodyProducer:
        """A fresh producer of these bytes; each retry of a request takes a new one."""
        self._senders += 1
        return _BufferProducer(tuple(self._sealed()), self._length, self._sent)

    def _sent(self) -> None:
        self._senders -= 1


def _digest(hasher: Any, records: list[bytes]) -> bytes:
    for record in records:
        hasher.update(record)
    return hasher.digest()


@implementer(IBodyProducer)
class _BufferProducer:
    """
    Write records to a consumer in pieces of L{WRITE_SIZE}, each joined from
    the records it spans, stopping whenever the consumer pauses us.
    """

    def __init__(
        self, records: tuple[bytes, ...], length: int, release: Callable[[], None]
    ) -> None:
        self.length = length
        self._records = records
        self._record = 0
        self._offset = 0
        self._written = 0
        self._on_release: Callable[[], None] | None = release
        self._paused = False
        self._stopped = False
        self._pumping = False
        self._consumer: IConsumer | None = None
        self._finished: Deferred[None] | None = None

    def startProducing(self, consumer: IConsumer) -> Deferred[None]:
        if not self.length:
            self._release()
            return succeed(None)
        self._consumer = consumer
        self._finished = finished = Deferred()
        self._pump()
        return finished

    def _piece(self) -> bytes:
        """The next piece: up to L{WRITE_SIZE} bytes from where the last ended."""
        parts: list[bytes | memoryview] = []
        wanted = min(WRITE_SIZE, self.length - self._written)
        self._written += wanted
        while wanted:
            record = self._records[self._record]
            take = min(len(record) - self._offset, wanted)
            whole = take == len(record)
            parts.append(
                record if whole else memoryview(record)[self._offset : self._offset + take]
            )
            wanted -= take
            self._offset += take
            if self._offset == len(record):
                self._record, self._offset = self._record + 1, 0
        # One whole record joins to itself: no copy. Otherwise the piece is
        # one copy of what it spans, the only copy a record's bytes get.
        return b"".join(parts)

    def _pump(self) -> None:
        # consumer.write may pause or resume us synchronously; the flag keeps
        # a resume from starting a second loop inside the first.
        if self._pumping:
            return
        self._pumping = True
        try:
            assert self._consumer is not None
            while not self._paused and not self._stopped and self._written < self.length:
                self._consumer.write(self._piece())
        finally:
            self._pumping = False
        if self._written == self.length and not self._stopped and self._finished is not None:
            finished, self._finished = self._finished, None
            self._release()
            finished.callback(None)

    def _release(self) -> None:
        # Twisted's HTTP client keeps a finished request, and so this
        # producer, until its pooled connection carries the next one: holding
        # the records would keep a whole part alive for every idle connection.
        self._records = ()
        self._consumer = None
        if self._on_release is not None:
            release, self._on_release = self._on_release, None
            release()

    def pauseProducing(self) -> None:
        self._paused = True

    def resumeProducing(self) -> None:
        self._paused = False
        if self._consumer is not None:
            self._pump()

    def stopProducing(self) -> None:
        self._stopped = True
        self._release()
