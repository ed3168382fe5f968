# -*- test-case-name: tests.test_s3_bodies -*-
"""
Request bodies held in memory, sent with backpressure.

A multipart part arrives from the data connection as thousands of small
TLS records. They are gathered into blocks of L{WRITE_SIZE} bytes, each
made by one C{b"".join} of the few records (about sixteen) that fill it,
and those blocks are what the producer hands to the HTTP connection, as
they are: every byte is copied once on its way from the data connection to
S3's, and a 1 MiB file costs about 1 MiB, not a whole part reserved up
front. The records themselves are kept only until their block is full, so
the allocator is not left with thousands of small blocks to fragment.

Nothing is hashed record by record. The digests a request needs are computed
once, over the whole body, when they are first asked for (the CRC32 or the
MD5 S3 checks, whichever L{twisted_ftps3.s3.client.S3Client} is set to send;
the SHA-256 only where the signature covers the payload): one call into
C{zlib} or C{hashlib} a block instead of one a record, and no digest
computed that no request uses. The blocks are written to the HTTP
connection only as fast as the connection drains.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zlib
from collections.abc import Iterator, Sequence

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IConsumer
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer

#: The checksums object data can go with, the default first: what
#: L{twisted_ftps3.s3.client.S3Client} sends for S3 to verify.
CHECKSUMS = ("crc32", "md5")

#: Bytes handed to the transport at a time: the size of a body's blocks.
WRITE_SIZE = 256 * 1024


class PartBody:
    """
    Bytes in memory, filled by L{append}, with the digests requests need:
    the CRC32 of C{x-amz-checksum-crc32} or the MD5 of C{Content-MD5}, which
    S3 checks before it stores anything (the MD5 is also what S3's ETag of
    a part is made of, so that the writer can check what S3 holds against
    what it sent), and the SHA-256 that SigV4 signs where the payload is
    signed.

    The blocks are immutable C{bytes}: a producer writes the blocks the body
    held when it was made, whatever is appended afterwards.
    """

    def __init__(self) -> None:
        #: Full blocks, then (once a producer sealed them) a short last one.
        self._blocks: list[bytes] = []
        #: The records of the block being filled, and their length.
        self._pending: list[bytes | memoryview] = []
        self._pending_size = 0
        self._length = 0
        self._md5: bytes | None = None
        self._sha256: str | None = None
        self._crc32: int | None = None

    @classmethod
    def of(cls, data: bytes) -> PartBody:
        """A body holding C{data}."""
        body = cls()
        body.append(data)
        return body

    def append(self, chunk: bytes | bytearray | memoryview) -> None:
        """
        Add C{chunk} at the end. C{bytes} are kept until their block is
        full, then copied into it; anything mutable is copied at once.
        """
        if not chunk:
            return
        if not isinstance(chunk, bytes):
            chunk = bytes(chunk)
        self._length += len(chunk)
        self._md5 = self._sha256 = self._crc32 = None
        rest: bytes | memoryview = chunk
        while len(rest) >= WRITE_SIZE - self._pending_size:
            room = WRITE_SIZE - self._pending_size
            view = memoryview(rest)
            self._pending.append(view[:room])
            self._blocks.append(b"".join(self._pending))
            self._pending, self._pending_size = [], 0
            rest = view[room:]
        if rest:
            self._pending.append(rest)
            self._pending_size += len(rest)

    def __len__(self) -> int:
        return self._length

    @property
    def allocated(self) -> int:
        """
        The bytes of memory the body takes now: its blocks, and the records
        of the block being filled.
        """
        return (
            sys.getsizeof(self._blocks)
            + sum(sys.getsizeof(block) for block in self._blocks)
            + sys.getsizeof(self._pending)
            + self._pending_size
        )

    def _pieces(self) -> Iterator[bytes | memoryview]:
        """The bytes appended so far, in order, as the blocks and records hold them."""
        yield from self._blocks
        yield from self._pending

    def getvalue(self) -> bytes:
        """A copy of the bytes appended so far."""
        return b"".join(self._pieces())

    def sha256_hex(self) -> str:
        """The hex SHA-256 of everything appended so far."""
        if self._sha256 is None:
            digest = hashlib.sha256()
            for piece in self._pieces():
                digest.update(piece)
            self._sha256 = digest.hexdigest()
        return self._sha256

    def md5_digest(self) -> bytes:
        """The binary MD5 of everything appended so far."""
        if self._md5 is None:
            digest = hashlib.md5(usedforsecurity=False)
            for piece in self._pieces():
                digest.update(piece)
            self._md5 = digest.digest()
        return self._md5

    def content_md5(self) -> str:
        """The C{Content-MD5} header of these bytes, which S3 verifies."""
        return base64.b64encode(self.md5_digest()).decode("ascii")

    def crc32(self) -> int:
        """The CRC32 (as zlib and S3 compute it) of everything appended so far."""
        if self._crc32 is None:
            crc = 0
            for piece in self._pieces():
                crc = zlib.crc32(piece, crc)
            self._crc32 = crc
        return self._crc32

    def checksum_crc32(self) -> str:
        """
        The C{x-amz-checksum-crc32} header of these bytes, which S3
        verifies: the base64 of their CRC32, big-endian.
        """
        return base64.b64encode(self.crc32().to_bytes(4, "big")).decode("ascii")

    def producer(self) -> IBodyProducer:
        """
        A fresh producer of these bytes; each retry of a request takes a
        new one. The records of a block not yet full become its last block.
        """
        if self._pending:
            self._blocks.append(b"".join(self._pending))
            self._pending, self._pending_size = [], 0
        return _BlocksProducer(tuple(self._blocks), self._length)


@implementer(IBodyProducer)
class _BlocksProducer:
    """Write blocks to a consumer one by one, stopping whenever it pauses us."""

    def __init__(self, blocks: Sequence[bytes], length: int) -> None:
        self.length = length
        self._blocks: Sequence[bytes] | None = blocks
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
            assert self._consumer is not None and self._blocks is not None
            blocks = self._blocks
            while not self._paused and not self._stopped and self._next < len(blocks):
                self._next += 1
                # The block itself: it is bytes, which the transport may keep.
                self._consumer.write(blocks[self._next - 1])
        finally:
            self._pumping = False
        done = self._blocks is not None and self._next == len(self._blocks)
        if done and not self._stopped and self._finished is not None:
            finished, self._finished = self._finished, None
            self._release()
            finished.callback(None)

    def _release(self) -> None:
        # Twisted's HTTP client keeps a finished request, and so this
        # producer, until its pooled connection carries the next one: holding
        # the blocks would keep a whole part alive for every idle connection.
        self._blocks = None
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
