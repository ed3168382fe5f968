# -*- test-case-name: tests.test_s3_client -*-
"""
The checksum S3 verifies on every body of object data (PutObject, each
UploadPart) before it stores anything: C{AWS_S3_CHECKSUM}, one of
L{CHECKSUMS}.

  - C{crc32}: C{x-amz-checksum-crc32}, the base64 of the body's big-endian
    CRC32, what the AWS SDKs send by default since 2025. zlib computes a
    CRC32 two to three times as fast as hashlib an MD5.
  - C{sha256}: C{x-amz-checksum-sha256}, the base64 of the body's SHA-256.
    Where SigV4 signs the payload (plain HTTP), the request needs that very
    digest anyway, so this checksum costs nothing more.
  - C{auto} (the default): whichever of the two costs no digest beyond what
    the request already computes. Over HTTPS the payload is not signed and
    the cheapest checksum is the CRC32; over plain HTTP the signed payload's
    SHA-256 is computed in any case, and a CRC32 besides it would be a
    second pass over every byte for a weaker check.
  - C{md5}: C{Content-MD5}, the base64 of the body's MD5, as before; for
    an S3-compatible server that does not know the newer headers.

A multipart upload declares its algorithm (C{x-amz-checksum-algorithm})
when it is created; S3 then wants it on every part and each part's checksum
back in CompleteMultipartUpload. For a part copied inside S3 that is the
checksum UploadPartCopy reports.

Every checksum is in a signed header. Whether the payload itself is signed
as well is L{twisted_ftps3.s3.http.S3Requester._payload}'s decision; it adds
the C{Content-MD5} to a body that goes without other checksum headers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .bodies import PartBody
from .objects import UploadedPart

if TYPE_CHECKING:
    # Only a type here: the settings table imports this module for CHECKSUMS.
    from .http import Answer

#: The checksums object data can go with, the default first.
CHECKSUMS = ("auto", "crc32", "sha256", "md5")

#: S3's names of the algorithms sent in a header of their own.
_ALGORITHMS = {"crc32": "CRC32", "sha256": "SHA256"}


class Checksum:
    """
    One of L{CHECKSUMS}: the headers it adds to S3 calls, and what it
    records of each part S3 acknowledges.

    @param payload_signed: whether the requester signs the payload's
        SHA-256, which is what C{auto} chooses by.
    """

    def __init__(self, name: str = CHECKSUMS[0], payload_signed: bool = False) -> None:
        if name not in CHECKSUMS:
            raise ValueError(f"checksum must be one of {', '.join(CHECKSUMS)}, not {name!r}")
        if name == "auto":
            name = "sha256" if payload_signed else "crc32"
        #: The checksum chosen: C{auto} is resolved to C{crc32} or C{sha256}.
        self.name = name
        self._algorithm = _ALGORITHMS.get(name)

    @property
    def element(self) -> str | None:
        """The element that names a part's checksum in S3's XML, if any."""
        return f"Checksum{self._algorithm}" if self._algorithm else None

    def _value(self, body: PartBody) -> str:
        return body.checksum_crc32() if self.name == "crc32" else body.checksum_sha256()

    def declaration(self) -> dict[str, str] | None:
        """The headers of CreateMultipartUpload: S3 then expects the checksum of every part."""
        return {"x-amz-checksum-algorithm": self._algorithm} if self._algorithm else None

    def headers(self, body: PartBody) -> dict[str, str] | None:
        """
        The checksum headers of C{body}. C{x-amz-sdk-checksum-algorithm}
        is what the AWS SDKs send beside the checksum; S3 ignores it, but
        S3-compatible servers (moto among them) read the checksum only where
        it names one. Without headers, the requester sends C{Content-MD5}.
        """
        if not self._algorithm:
            return None
        return {
            f"x-amz-checksum-{self.name}": self._value(body),
            "x-amz-sdk-checksum-algorithm": self._algorithm,
        }

    def sent(self, etag: str, body: PartBody, answer: Answer) -> UploadedPart:
        """
        The part C{body} as S3 acknowledged it with C{answer} and C{etag}.

        S3 echoes the checksum it verified; an echo that differs from the
        one sent is a mangled answer, refused rather than completed.
        """
        if not self._algorithm:
            # The requester sent the MD5, computed once and kept by the body.
            return UploadedPart(etag, md5=body.md5_digest())
        value = self._value(body)
        echoed = answer.header(f"x-amz-checksum-{self.name}")
        if echoed is not None and echoed != value:
            raise answer.refuse(
                "ChecksumMismatch",
                f"UploadPart answered the {self._algorithm} {echoed}, not the {value} sent",
            )
        return UploadedPart(etag, checksum=value)

    def copied(self, etag: str, reported: dict[str, str]) -> UploadedPart:
        """
        A part copied inside S3, with the checksum UploadPartCopy reported
        of it (C{reported}, its C{Checksum*} elements by name), if it did.
        """
        element = self.element
        return UploadedPart(etag, checksum=reported.get(element) if element else None)
