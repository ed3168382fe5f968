# -*- test-case-name: tests.test_shell -*-
"""
What C{stat} and C{list} say about a file or a directory.

C{IFTPShell} asks for attributes by name (C{size}, C{permissions}, ...) and
wants them back in the order asked. S3 knows a file's size and time; the
rest is the same for every entry, since the bucket has no owners or modes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twisted.python import filepath

from ..s3.objects import ObjectInfo

_FILE_PERMISSIONS = filepath.Permissions(0o644)
_DIRECTORY_PERMISSIONS = filepath.Permissions(0o755)
#: S3 keeps no time for a directory (its marker may not even exist), so
#: listings show the epoch rather than invent one.
_DIRECTORY_MTIME = 0.0


def _attributes(keys: Sequence[str], values: dict[str, Any]) -> list[Any]:
    return [values[key] for key in keys]


def file_attributes(info: ObjectInfo, keys: Sequence[str]) -> list[Any]:
    """The attributes C{keys} of the object C{info} describes."""
    return _attributes(
        keys,
        {
            "size": info.size,
            "directory": False,
            "permissions": _FILE_PERMISSIONS,
            "hardlinks": 1,
            "modified": info.last_modified.timestamp(),
            "owner": "ftp",
            "group": "ftp",
        },
    )


def directory_attributes(keys: Sequence[str]) -> list[Any]:
    """The attributes C{keys} of any directory."""
    return _attributes(
        keys,
        {
            "size": 0,
            "directory": True,
            "permissions": _DIRECTORY_PERMISSIONS,
            "hardlinks": 1,
            "modified": _DIRECTORY_MTIME,
            "owner": "ftp",
            "group": "ftp",
        },
    )
