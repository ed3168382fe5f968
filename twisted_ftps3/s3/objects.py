# -*- test-case-name: tests.test_s3_responses,tests.test_object_store -*-
"""
The small frozen values an object store hands back: what an object is, a
page of a listing, an upload in progress.

They live apart from the XML parsers and the HTTP client so that every
implementation of L{twisted_ftps3.s3.interfaces.IObjectStore} (S3 over HTTP,
the in-memory fake of the tests) returns the very same types, and follows
a listing's pages the same way, with L{follow_pages}.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ObjectInfo:
    """
    One object, as HEAD or one entry of a listing describes it.

    @ivar etag: the ETag without its surrounding double quotes.
    """

    key: str
    size: int
    last_modified: datetime.datetime
    etag: str


@dataclass(frozen=True)
class ListPage:
    """One page of ListObjectsV2: at most 1,000 keys and common prefixes."""

    objects: tuple[ObjectInfo, ...]
    common_prefixes: tuple[str, ...]
    next_continuation_token: str | None


@dataclass(frozen=True)
class MultipartUploadEntry:
    """One multipart upload in progress, as ListMultipartUploads reports it."""

    key: str
    upload_id: str


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
