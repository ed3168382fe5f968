# -*- test-case-name: tests.test_s3_bodies -*-
"""
Request bodies held in memory, sent with backpressure.

A multipart part arrives from the data connection as thousands of small
TLS records. They are copied, as they arrive, onto the end of one buffer
that grows with what it holds (a C{bytearray}, which grows geometrically,
in place where the allocator can): a 1 MiB file costs about 1 MiB, not a
whole part reserved up front, and the records themselves are not kept, which
would leave thousands of small blocks for the allocator to fragment.

Nothing is hashed record by record. The digests a request needs are computed
once, over the whole body, when they are first asked for (the checksum S3
checks, whichever L{twisted_ftps3.s3.checksums} chooses; the SHA-256 where
the signature covers the payload, which is then that checksum too): one call into
C{zlib} or C{hashlib} per part instead of one per record, and no digest
computed that no request uses. The buffer is written to the HTTP connection
only as fast as the connection drains.
"""

from __future__ import annotations

import base64
import hashlib
import zlib

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IConsumer
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer

#: Bytes handed to the transport at a time.
WRITE_SIZE = 256 * 1024


class PartBody:
    """
    Bytes in memory, filled by L{append}, with the digests requests need:
    the CRC32 of C{x-amz-checksum-crc32} or the MD5 of C{Content-MD5}, which
    S3 checks before it stores anything (the MD5 is also what S3's ETag of
    a part is made of, so that the writer can check what S3 holds against
    what it sent), and the SHA-256 that SigV4 signs where the payload is
    signed.

    A body is not appended to while it is being sent: a producer holds a
    view of the buffer until it has written it, and growing the buffer
    meanwhile raises L{BufferError} rather than change what is sent.
    """

    def __init__(self) -> None:
        self._data = bytearray()
        self._md5: bytes | None = None
        self._sha256: bytes | None = None
        self._crc32: int | None = None

    @classmethod
    def of(cls, data: bytes) -> PartBody:
        """A body holding C{data}."""
        body = cls()
        body.append(data)
        return body

    def append(self, chunk: bytes | memoryview) -> None:
        """Copy C{chunk} in at the end."""
        if chunk:
            self._data += chunk
            self._md5 = self._sha256 = self._crc32 = None

    def __len__(self) -> int:
        return len(self._data)

    @property
    def allocated(self) -> int:
        """
        The bytes of memory the buffer takes now: what it holds, and the
        room it has grown into beyond that.
        """
        return self._data.__sizeof__()

    def getvalue(self) -> bytes:
        """A copy of the bytes appended so far."""
        return bytes(self._data)

    def sha256_digest(self) -> bytes:
        """The binary SHA-256 of everything appended so far."""
        if self._sha256 is None:
            self._sha256 = hashlib.sha256(self._data).digest()
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
            self._md5 = hashlib.md5(self._data, usedforsecurity=False).digest()
        return self._md5

    def content_md5(self) -> str:
        """The C{Content-MD5} header of these bytes, which S3 verifies."""
        return base64.b64encode(self.md5_digest()).decode("ascii")

    def crc32(self) -> int:
        """The CRC32 (as zlib and S3 compute it) of everything appended so far."""
        if self._crc32 is None:
            self._crc32 = zlib.crc32(self._data)
        return self._crc32

    def checksum_crc32(self) -> str:
        """
        The C{x-amz-checksum-crc32} header of these bytes, which S3
        verifies: the base64 of their CRC32, big-endian.
        """
        return base64.b64encode(self.crc32().to_bytes(4, "big")).decode("ascii")

    def producer(self) -> IBodyProducer:
        """A fresh producer of these bytes; each retry of a request takes a new one."""
        return _BufferProducer(memoryview(self._data))


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
                # Twisted's transports take bytes only ("Data must be bytes"),
                # so each slice is copied here: about 0.03 s of CPU a GiB, as
                # the short-lived copy reuses freed memory. Holding a part as
                # 256 KiB bytes blocks instead cost a GiB 0.9 s more in page
                # faults, the blocks being trimmed and faulted in again.
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
