# -*- test-case-name: tests.test_objectkeys -*-
"""
How FTP paths map onto S3 object keys.

A file at C{/a/b/name} is the key C{a/b/name}. S3 has no directories, so a
directory C{/a/b} is a marker object whose key is the path plus the
configured suffix (C{a/b/} with the default C{/}), as in aioftps3; its
contents are the keys under the prefix C{a/b/}. The root directory always
exists and has no marker.

The FTP root need not be the bucket's: a L{KeyMap} with a C{root} of
C{home/alice/} puts C{/a/b/name} at C{home/alice/a/b/name}. Every key and
prefix the shell uses, and every lock it takes, comes from here, so a user
whose root is a key prefix sees only that part of the bucket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .s3.limits import MAX_KEY_BYTES


class NameNotAllowed(Exception):
    """The path cannot be stored as an S3 key; the message says why."""


@dataclass(frozen=True)
class KeyMap:
    """
    The mapping for one directory-marker suffix and one root.

    @ivar dir_suffix: what a directory's marker adds to its path; starts
        with C{/}.
    @ivar root: the key prefix the FTP root maps to: C{""} for the whole
        bucket, or a prefix ending in C{/} such as C{home/alice/}.
    """

    dir_suffix: str = "/"
    root: str = ""

    def __post_init__(self) -> None:
        if not self.dir_suffix.startswith("/"):
            raise ValueError("the directory suffix must start with '/'")
        if self.root and (not self.root.endswith("/") or self.root.startswith("/")):
            raise ValueError("the root must be empty or a key prefix such as 'home/alice/'")

    @property
    def _reserved_name(self) -> str | None:
        # With a suffix like "/.dir", a file called ".dir" would be taken for
        # its directory's marker, so that name is refused.
        return self.dir_suffix[1:] or None

    def check(self, path: Sequence[str]) -> None:
        """Raise L{NameNotAllowed} if C{path} cannot be a key (or a marker)."""
        for segment in path:
            if segment == self._reserved_name:
                raise NameNotAllowed(f"the name {segment!r} is reserved for directory markers")
            if "\x00" in segment or "\r" in segment or "\n" in segment:
                raise NameNotAllowed("names may not contain NUL, CR or LF")
        if path and len(self.marker_key(path).encode("utf-8")) > MAX_KEY_BYTES:
            raise NameNotAllowed(f"the path is longer than S3's {MAX_KEY_BYTES}-byte key limit")

    def file_key(self, path: Sequence[str]) -> str:
        """The key of the file at C{path}."""
        return self.root + "/".join(path)

    def marker_key(self, path: Sequence[str]) -> str:
        """The key of the marker of the directory at C{path} (not the root)."""
        if not path:
            raise ValueError("the root directory has no marker")
        return self.file_key(path) + self.dir_suffix

    def prefix(self, path: Sequence[str]) -> str:
        """
        The prefix under which the directory's contents live.

        It is also the path's name in the key space, which
        L{twisted_ftps3.locks.KeyLocks} locks: a file and a directory
        cannot both be at one path, so a file shares the prefix its
        directory would have.
        """
        return self.root + "".join(segment + "/" for segment in path)

    def is_marker(self, key: str) -> bool:
        """Whether C{key} marks a directory rather than holding a file."""
        return key.endswith(self.dir_suffix)

    def path_of(self, key: str) -> tuple[str, ...]:
        """The FTP path of a file key under the root."""
        if not key.startswith(self.root):
            raise ValueError(f"{key!r} is not under the root {self.root!r}")
        return tuple(key[len(self.root) :].split("/"))
