"""
S3's own limits, each written once.

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
#: The largest object one CopyObject request copies; larger ones go part by part.
MAX_SINGLE_COPY = 5 * _GIB
#: DeleteObjects takes at most this many keys a request.
MAX_DELETE_KEYS = 1000
#: ListObjectsV2 answers at most this many keys a page.
MAX_LIST_KEYS = 1000
#: The longest key, in bytes of UTF-8.
MAX_KEY_BYTES = 1024
