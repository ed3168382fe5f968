# -*- test-case-name: tests.test_s3_client -*-
"""
The checksum S3 verifies on every body of object data (PutObject, each
UploadPart) before it stores anything: C{AWS_S3_CHECKSUM}, one of
L{CHECKSUMS}.

  - C{crc32} (the default, and what the AWS SDKs send by default since
    2025): C{x-amz-checksum-crc32}, the base64 of the body's big-endian
    CRC32. A multipart upload declares it when it is created
    (C{x-amz-checksum-algorithm: CRC32}), S3 then wants it on every part
    and each part's C{ChecksumCRC32} back in CompleteMultipartUpload; for a
    part copied inside S3 that is the checksum UploadPartCopy reports.
    zlib computes a CRC32 two to three times as fast as hashlib an MD5.
  - C{md5}: C{Content-MD5}, the base64 of the body's MD5, as before; for
    an S3-compatible server that does not know the newer headers.

Either is in a signed header. Whether the payload itself is signed as well
is L{twisted_ftps3.s3.http.S3Requester._payload}'s decision; it adds the
C{Content-MD5} to a body that goes without other checksum headers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .bodies import PartBody
from .objects import UploadedPart

if TYPE_CHECKING:
    # Only a type here: the settings table imports this module for CHECKSUMS.
    from .http import Answer

#: The checksums object data can go with, the default first.
CHECKSUMS = ("crc32", "md5")


class Checksum:
    """
    One of L{CHECKSUMS}: the headers it adds to S3 calls, and what it
    records of each part S3 acknowledges.
    """

    def __init__(self, name: str = CHECKSUMS[0]) -> None:
        if name not in CHECKSUMS:
            raise ValueError(f"checksum must be one of {', '.join(CHECKSUMS)}, not {name!r}")
        self._crc32 = name == "crc32"

    def declaration(self) -> dict[str, str] | None:
        """The headers of CreateMultipartUpload: S3 then expects a CRC32 of every part."""
        return {"x-amz-checksum-algorithm": "CRC32"} if self._crc32 else None

    def headers(self, body: PartBody) -> dict[str, str] | None:
        """
        The checksum headers of C{body}. C{x-amz-sdk-checksum-algorithm}
        is what the AWS SDKs send beside the checksum; S3 ignores it, but
        S3-compatible servers (moto among them) read the checksum only where
        it names one. Without headers, the requester sends C{Content-MD5}.
        """
        if not self._crc32:
            return None
        return {
            "x-amz-checksum-crc32": body.checksum_crc32(),
            "x-amz-sdk-checksum-algorithm": "CRC32",
        }

    def sent(self, etag: str, body: PartBody, answer: Answer) -> UploadedPart:
        """
        The part C{body} as S3 acknowledged it with C{answer} and C{etag}.

        S3 echoes the CRC32 it verified; an echo that differs from the one
        sent is a mangled answer, refused rather than completed.
        """
        if not self._crc32:
            # The requester sent the MD5, computed once and kept by the body.
            return UploadedPart(etag, md5=body.md5_digest())
        crc32 = body.checksum_crc32()
        echoed = answer.header("x-amz-checksum-crc32")
        if echoed is not None and echoed != crc32:
            raise answer.refuse(
                "ChecksumMismatch", f"UploadPart answered the CRC32 {echoed}, not the {crc32} sent"
            )
        return UploadedPart(etag, crc32=crc32)

    def copied(self, etag: str, crc32: str | None) -> UploadedPart:
        """A part copied inside S3, with the CRC32 UploadPartCopy reported, if it did."""
        return UploadedPart(etag, crc32=crc32 if self._crc32 else None)
