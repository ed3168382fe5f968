# -*- test-case-name: tests.test_keys -*-
"""
How FTP paths map onto S3 keys.

A file at C{/a/b/name} is the key C{a/b/name}. S3 has no directories, so a
directory C{/a/b} is a marker object whose key is the path plus the
configured suffix (C{a/b/} with the default C{/}), as in aioftps3; its
contents are the keys under the prefix C{a/b/}. The root directory always
exists and has no marker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: S3's limit on the UTF-8 length of a key.
MAX_KEY_BYTES = 1024


class NameNotAllowed(Exception):
    """The path cannot be stored as an S3 key; the message says why."""


@dataclass(frozen=True)
class KeyMap:
    """The mapping for one bucket's directory-marker suffix."""

    dir_suffix: str = "/"

    def __post_init__(self) -> None:
        if not self.dir_suffix.startswith("/"):
            raise ValueError("the directory suffix must start with '/'")

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
        return "/".join(path)

    def marker_key(self, path: Sequence[str]) -> str:
        """The key of the marker of the directory at C{path} (not the root)."""
        if not path:
            raise ValueError("the root directory has no marker")
        return "/".join(path) + self.dir_suffix

    def prefix(self, path: Sequence[str]) -> str:
        """The prefix under which the directory's contents live."""
        return "".join(segment + "/" for segment in path)

    def is_marker(self, key: str) -> bool:
        """Whether C{key} marks a directory rather than holding a file."""
        return key.endswith(self.dir_suffix)

    def path_of(self, key: str) -> tuple[str, ...]:
        """The FTP path of a file key."""
        return tuple(key.split("/"))
