# -*- test-case-name: tests.test_s3_completion -*-
"""
Complete a multipart upload, and tell a lost answer from a failure.

CompleteMultipartUpload is retried like every other call. When an attempt
completed the upload but its answer was lost on the way back, the retry
finds the upload gone: S3 answers C{NoSuchUpload}. Whether the object is
there, and is the one this server sent, follows from its ETag, which S3
makes from the parts: the MD5 of the parts' binary MD5s joined, then C{-}
and the number of parts. So the object counts as stored only when its ETag
is exactly the ETag of the parts acknowledged; anything else is a failure,
and nothing claims success. The same holds when the first attempt finds the
upload gone: the ETag says whether the key holds exactly these bytes,
whichever attempt stored them.

A part's MD5 is the one this server computed when S3 checked the part
against it (C{Content-MD5}, L{twisted_ftps3.s3.objects.UploadedPart.md5}).
A part S3 checked against its CRC32 instead, or copied inside S3, never had
its MD5 computed here: its MD5 is the ETag S3 gave it, which S3 made from
the very bytes it verified. So with CRC32 the confirmation trusts what S3
answered to each UploadPart; only with C{AWS_S3_CHECKSUM=md5} does it also
catch a part answered with another part's ETag. Where S3's ETags are not MD5s (objects encrypted
with SSE-KMS or SSE-C), nothing can be confirmed, and a lost answer stays a
failure.
"""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Sequence

from twisted.logger import Logger

from .errors import S3Error
from .interfaces import IObjectStore
from .objects import UploadedPart

__all__ = ["UNCONFIRMED", "complete_upload", "md5_of_etag", "multipart_etag", "part_md5"]

log = Logger()

#: The code of the error raised when S3 no longer knows an upload and the
#: object under its key is not the one its parts make.
UNCONFIRMED = "CompletionNotConfirmed"


def multipart_etag(digests: Sequence[bytes]) -> str:
    """
    S3's ETag, unquoted, of an object made of parts with the binary MD5s
    C{digests}, in part order.
    """
    joined = hashlib.md5(b"".join(digests), usedforsecurity=False).hexdigest()
    return f"{joined}-{len(digests)}"


def md5_of_etag(etag: str) -> bytes | None:
    """
    The binary MD5 an ETag of one part stands for (S3 quotes it, in hex);
    C{None} if it is not one.
    """
    text = etag.strip('"')
    if len(text) != 32:
        return None
    try:
        return binascii.unhexlify(text)
    except binascii.Error:
        return None


def part_md5(part: UploadedPart) -> bytes | None:
    """
    The binary MD5 of a part's bytes: the one S3 checked them against, else
    the one its ETag stands for; C{None} if neither is known.
    """
    return part.md5 if part.md5 is not None else md5_of_etag(part.etag)


async def complete_upload(
    store: IObjectStore,
    key: str,
    upload_id: str,
    parts: Sequence[tuple[int, UploadedPart]],
) -> None:
    """
    Complete upload C{upload_id} of C{key} from C{parts}, each part's number
    and what S3 acknowledged of it, in part order.

    An answer that names another ETag than the parts sent make (a forged
    or mangled answer, or a completion S3 received with other parts) is
    checked against the object itself, as a lost answer is: the upload
    counts as stored only if the key holds exactly these parts.

    @raise S3Error: when the completion failed, or the key does not hold
        exactly these parts (code L{UNCONFIRMED}, logged).
    """
    digests = [part_md5(part) for _, part in parts]
    expected = _expected(digests)
    try:
        answered = await store.complete_multipart_upload(key, upload_id, parts)
    except S3Error as e:
        if e.code != "NoSuchUpload":
            raise
        await _confirm(store, key, expected, len(digests), e.request_id)
        return
    if expected is not None and answered is not None and answered != expected:
        log.warn(
            "S3 CompleteMultipartUpload of {key!r} answered the ETag {answered},"
            " not the {expected} of the {count} parts sent; checking the object",
            key=key,
            answered=answered,
            expected=expected,
            count=len(digests),
        )
        await _confirm(store, key, expected, len(digests), None, made=answered)


def _expected(digests: Sequence[bytes | None]) -> str | None:
    """The ETag the parts of C{digests} make, if every part's MD5 is known."""
    known = [digest for digest in digests if digest is not None]
    return multipart_etag(known) if known and len(known) == len(digests) else None


async def _confirm(
    store: IObjectStore,
    key: str,
    expected: str | None,
    count: int,
    request_id: str | None,
    made: str | None = None,
) -> None:
    """
    Return if C{key} is the object of ETag C{expected}; raise L{UNCONFIRMED}
    otherwise.

    @param made: the ETag S3 said it made, if it answered; an object of that
        ETag, made from parts other than those sent, is deleted rather than
        left for a downstream reader to take as the file the client sent.
    """
    try:
        found: str | None = (await store.head_object(key)).etag
    except S3Error:
        found = None
    if expected is not None and found == expected:
        log.info(
            "S3 CompleteMultipartUpload of {key!r}: the object has the ETag {etag}"
            " of the {count} parts sent: the upload is stored",
            key=key,
            etag=expected,
            count=count,
        )
        return
    if made is not None and found == made:
        log.warn(
            "deleting {key!r}: S3 made it from other parts than those sent (ETag {etag})",
            key=key,
            etag=made,
        )
        await store.delete_object(key)
    error = S3Error(
        UNCONFIRMED,
        None,
        f"the object's ETag is {found or 'absent'},"
        f" not the {expected or 'unknown ETag'} of the {count} parts sent",
        request_id=request_id,
        operation="CompleteMultipartUpload",
        key=key,
    )
    log.warn("{error}", error=error)
    raise error
