# -*- test-case-name: tests.test_shell -*-
"""
What C{stat} and C{list} say about a file or a directory.

C{IFTPShell} asks for attributes by name (C{size}, C{permissions}, ...) and
wants them back in the order asked. S3 knows a file's size and time; the
mode bits (C{permissions}, for LIST) and the C{perm} fact (for MLSD and
MLST) say what the user's permissions allow there (L{Access}); the rest is
the same for every entry, since the bucket has no owners.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..s3.objects import ObjectInfo
from .policy import FULL_DIRECTORY, FULL_FILE, Access

#: S3 keeps no time for a directory (its marker may not even exist), so
#: listings show the epoch rather than invent one.
_DIRECTORY_MTIME = 0.0


def _attributes(keys: Sequence[str], values: dict[str, Any]) -> list[Any]:
    return [values[key] for key in keys]


def file_attributes(info: ObjectInfo, keys: Sequence[str], access: Access = FULL_FILE) -> list[Any]:
    """The attributes C{keys} of the object C{info} describes."""
    return _attributes(
        keys,
        {
            "size": info.size,
            "directory": False,
            "permissions": access.mode,
            "perm": access.perm,
            "hardlinks": 1,
            "modified": info.modified,
            "owner": "ftp",
            "group": "ftp",
        },
    )


def directory_attributes(keys: Sequence[str], access: Access = FULL_DIRECTORY) -> list[Any]:
    """The attributes C{keys} of a directory."""
    return _attributes(
        keys,
        {
            "size": 0,
            "directory": True,
            "permissions": access.mode,
            "perm": access.perm,
            "hardlinks": 1,
            "modified": _DIRECTORY_MTIME,
            "owner": "ftp",
            "group": "ftp",
        },
    )
