# -*- test-case-name: tests.test_s3_responses,tests.test_object_store -*-
"""
The small frozen values an object store hands back: what an object is, a
page of a listing, an upload in progress, a page of uploads, a lifecycle
rule.

They live apart from the XML parsers and the HTTP client so that every
implementation of L{twisted_ftps3.s3.interfaces.IObjectStore} (S3 over HTTP,
the in-memory fake of the tests) returns the very same types, and follows
a listing's pages the same way, with L{follow_pages} and
L{follow_upload_pages}.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """
    One object, as HEAD or one entry of a listing describes it.

    Slotted: a burst of sessions listing a large directory holds a great
    many of these at once, and without a C{__dict__} each is one object for
    the garbage collector to scan rather than two.

    @ivar etag: the ETag without its surrounding double quotes.
    """

    key: str
    size: int
    last_modified: datetime.datetime
    etag: str
    _modified: float | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def modified(self) -> float:
        """C{last_modified} as a POSIX time, worked out once: every listing
        that shows the entry (sessions that share one S3 answer share its
        entries) asks for it."""
        modified = self._modified
        if modified is None:
            modified = self.last_modified.timestamp()
            # Frozen to its users; this is a cache of a field, not a change.
            object.__setattr__(self, "_modified", modified)
        return modified


@dataclass(frozen=True)
class UploadedPart:
    """
    One part of a multipart upload as S3 acknowledged it: what
    CompleteMultipartUpload names it by, and what is known of its bytes.

    @ivar etag: the ETag S3 gave the part, quoted as S3 sent it.
    @ivar checksum: the part's checksum in the algorithm the upload
        declared (C{ChecksumCRC32} or C{ChecksumSHA256}, base64), which
        CompleteMultipartUpload must then name: the one sent (and verified
        by S3) for a part sent, the one S3 reported for a part copied.
        C{None} where the upload declared none.
    @ivar md5: the binary MD5 of the bytes sent, when S3 checked them
        against it (C{Content-MD5}); C{None} for a part copied or checked by
        another checksum, whose MD5 only S3's ETag tells.
    """

    etag: str
    checksum: str | None = None
    md5: bytes | None = None


@dataclass(frozen=True)
class ListPage:
    """One page of ListObjectsV2: at most 1,000 keys and common prefixes."""

    objects: tuple[ObjectInfo, ...]
    common_prefixes: tuple[str, ...]
    next_continuation_token: str | None


@dataclass(frozen=True)
class MultipartUploadEntry:
    """
    One multipart upload in progress, as ListMultipartUploads reports it.

    @ivar initiated: when S3 says the upload began (aware, UTC); C{None}
        when the answer did not say, which the sweeper reads as too young
        to touch.
    """

    key: str
    upload_id: str
    initiated: datetime.datetime | None = None


@dataclass(frozen=True)
class UploadPage:
    """
    One page of ListMultipartUploads: at most 1,000 uploads, and where the
    next page starts (C{None} markers on the last page).
    """

    uploads: tuple[MultipartUploadEntry, ...]
    next_key_marker: str | None
    next_upload_id_marker: str | None

    @property
    def truncated(self) -> bool:
        """Whether more pages follow."""
        return self.next_key_marker is not None


@dataclass(frozen=True)
class LifecycleRule:
    """
    The parts of one bucket lifecycle rule that the start-up check reads.

    @ivar prefix: the key prefix the rule is limited to (C{""} for the
        whole bucket).
    @ivar abort_after_days: the rule's C{AbortIncompleteMultipartUpload}
        C{DaysAfterInitiation}, or C{None} if it has none.
    """

    rule_id: str
    enabled: bool
    prefix: str
    abort_after_days: int | None


async def follow_pages(
    list_objects: Callable[..., Awaitable[ListPage]], prefix: str, delimiter: str | None
) -> AsyncIterator[ListPage]:
    """
    Every page of a listing, each asked of C{list_objects} (an
    L{IObjectStore}'s) with the token of the one before, as the caller
    asks for it.
    """
    token = None
    while True:
        page = await list_objects(prefix, delimiter=delimiter, continuation_token=token)
        yield page
        token = page.next_continuation_token
        if token is None:
            return


async def follow_upload_pages(
    list_page: Callable[..., Awaitable[UploadPage]], prefix: str
) -> AsyncIterator[UploadPage]:
    """
    Every page of ListMultipartUploads under C{prefix}, each asked of
    C{list_page} (an L{IObjectStore}'s C{list_multipart_upload_page}) with
    the markers of the one before.
    """
    key_marker = upload_id_marker = None
    while True:
        page = await list_page(prefix, key_marker=key_marker, upload_id_marker=upload_id_marker)
        yield page
        if not page.truncated:
            return
        key_marker, upload_id_marker = page.next_key_marker, page.next_upload_id_marker


async def every_upload(
    list_page: Callable[..., Awaitable[UploadPage]], prefix: str
) -> tuple[MultipartUploadEntry, ...]:
    """The uploads of every page L{follow_upload_pages} follows, in one tuple."""
    uploads: list[MultipartUploadEntry] = []
    async for page in follow_upload_pages(list_page, prefix):
        uploads.extend(page.uploads)
    return tuple(uploads)
