# -*- test-case-name: tests.test_s3_multipart -*-
"""
Multipart steps built from the calls of any L{IObjectStore}: copying an
object into an upload range by range, and abandoning an upload.

The client's CopyObject of a large object and the writer's append both copy
old bytes into a multipart upload, so they share L{copy_parts} and the one
way of cutting ranges, L{twisted_ftps3.s3.limits.copy_ranges}. Both abandon
an upload while another error is on its way up, which L{abort_quietly} does
without hiding that error; an abort that fails is handed to the store's
L{twisted_ftps3.s3.interfaces.IAbortRetrier}, which tries again in the
background, rather than forgotten.
"""

from __future__ import annotations

from twisted.logger import Logger

from .completion import complete_upload
from .errors import S3Error
from .interfaces import IObjectStore
from .limits import copy_ranges
from .objects import UploadedPart

log = Logger()


async def copy_parts(
    store: IObjectStore,
    key: str,
    upload_id: str,
    source_key: str,
    size: int,
    first_number: int = 1,
) -> dict[int, UploadedPart]:
    """
    Copy the first C{size} bytes of C{source_key} into upload C{upload_id}
    of C{key}, one UploadPartCopy a range, numbered from C{first_number};
    return what S3 acknowledged of each part, by its number.
    """
    copied = {}
    for number, (first, last) in enumerate(copy_ranges(size), start=first_number):
        copied[number] = await store.upload_part_copy(
            key, upload_id, number, source_key, first, last
        )
    return copied


async def copy_in_parts(store: IObjectStore, source_key: str, target_key: str, size: int) -> None:
    """
    Copy C{source_key}, of C{size} bytes, to C{target_key} part by part, as
    an object too large for one CopyObject must be; on any failure the
    upload is aborted before the failure is raised.
    """
    upload_id = await store.create_multipart_upload(target_key)
    try:
        parts = sorted((await copy_parts(store, target_key, upload_id, source_key, size)).items())
        await complete_upload(store, target_key, upload_id, parts)
    except BaseException:
        await abort_quietly(store, target_key, upload_id)
        raise


async def abort_quietly(store: IObjectStore, key: str, upload_id: str) -> bool:
    """
    Abort an upload, logging rather than raising a refusal: it is called
    while another error is on its way up, or when nothing waits for it.

    An abort that fails is handed to C{store.aborts}, which keeps trying in
    the background; without one, only the sweeper or S3's lifecycle rules
    can clear what is left.

    @return: whether S3 has forgotten the upload now.
    """
    try:
        await store.abort_multipart_upload(key, upload_id)
    except S3Error as e:
        retrier = store.aborts
        if retrier is None:
            log.failure(
                "could not abort multipart upload {upload_id} of {key}",
                upload_id=upload_id,
                key=key,
            )
        else:
            log.warn(
                "could not abort multipart upload {upload_id} of {key} ({code});"
                " trying again in the background",
                upload_id=upload_id,
                key=key,
                code=e.code,
            )
            retrier.retry(store, key, upload_id)
        return False
    return True
