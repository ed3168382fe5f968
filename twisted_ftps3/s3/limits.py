# -*- test-case-name: tests.test_s3_limits -*-
"""
S3's own limits, each written once, and the one way this server cuts an
object into copy parts within them.

The configuration checks, the multipart writer, the copies and the shell all
read them from here, so that a limit S3 changes is changed in one place.
"""

from __future__ import annotations

_MIB = 1024**2
_GIB = 1024**3

#: Every part of a multipart upload but the last is at least this long.
MIN_PART_SIZE = 5 * _MIB
#: No part, uploaded or copied, is longer than this.
MAX_PART_SIZE = 5 * _GIB
#: Part numbers run from 1 to this.
MAX_PARTS = 10_000
#: The largest object S3 stores.
MAX_OBJECT_SIZE = 5 * 1024**4
#: The largest object one CopyObject request copies; larger ones go part by part.
MAX_SINGLE_COPY = 5 * _GIB
#: DeleteObjects takes at most this many keys a request.
MAX_DELETE_KEYS = 1000
#: ListObjectsV2 answers at most this many keys a page.
MAX_LIST_KEYS = 1000
#: The longest key, in bytes of UTF-8.
MAX_KEY_BYTES = 1024
#: The most one UploadPartCopy copies, unless an object is so large that
#: 10,000 parts of this size would not cover it; see L{copy_ranges}.
COPY_PART_SIZE = 512 * _MIB


def copy_ranges(size: int) -> list[tuple[int, int]]:
    """
    The byte ranges C{(first, last)}, inclusive, in which UploadPartCopy
    copies the first C{size} bytes of an object: for CopyObject of an object
    above L{MAX_SINGLE_COPY}, and for the old bytes an append starts with.

    S3 allows any part from 5 MiB to 5 GiB; within that the size is ours to
    choose. S3's guide to multipart uploads gives the reason to stay well
    below the maximum: a smaller part "minimizes the impact of restarting"
    one that failed. Here a copy part is one request that answers only once
    S3 has copied the whole range, under the client's request timeout, and a
    retry copies the whole range again. So ranges are at most
    L{COPY_PART_SIZE} (512 MiB): a failure redoes little, and requests stay
    few (11 for an object of 5 GiB + 1 byte). They grow only where that
    size would take more than L{MAX_PARTS} parts (objects above 5,000 GiB).

    The size is then spread evenly over that many ranges: with a fixed size
    the last range could be a few bytes, which S3 refuses at completion
    (C{EntityTooSmall}) when an append's new bytes follow it as later parts.
    Even ranges of two or more are each at least 256 MiB.

    @raise ValueError: for a size no multipart upload can hold.
    """
    if size <= 0:
        return []
    if size > MAX_PARTS * MAX_PART_SIZE:
        raise ValueError(f"{size} bytes cannot be copied in {MAX_PARTS:,} parts")
    target = max(COPY_PART_SIZE, -(-size // MAX_PARTS))
    count = -(-size // target)
    part = -(-size // count)
    return [(first, min(first + part, size) - 1) for first in range(0, size, part)]
