# -*- test-case-name: tests.test_objectkeys -*-
"""
How FTP paths map onto S3 object keys.

A file at C{/a/b/name} is the key C{a/b/name}. S3 has no directories, so a
directory C{/a/b} is a marker object whose key is the path plus the
configured suffix (C{a/b/} with the default C{/}), as in aioftps3; its
contents are the keys under the prefix C{a/b/}. The root directory always
exists and has no marker.

Some names are refused although S3 would store them (L{check_names}): S3
keys are read later by other programs, some of which turn them into local
paths. A control character (U+0000 to U+001F, U+007F) can end a line or
drive a terminal there, and a program that reads backslashes as
separators, as Windows does, would find C{..} in C{sub\\..\\..\\y} and climb
out of its directory. So no name holds a control character, and none has
C{.} or C{..} between backslashes; other backslashes (C{a\\b}) are fine.
Nor is a name empty or does it hold C{/}: Twisted never makes such a
segment, and one that reached the shell some other way must not become a
key with a C{..} or an empty name between slashes. Percent signs are
just characters: a key is never URL-decoded, so C{%2e%2e} is a name.

The FTP root need not be the bucket's: a L{KeyMap} with a C{root} of
C{home/alice/} puts C{/a/b/name} at C{home/alice/a/b/name}. Every key and
prefix the shell uses, and every lock it takes, comes from here, so a user
whose root is a key prefix sees only that part of the bucket.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .s3.limits import MAX_KEY_BYTES


class NameNotAllowed(Exception):
    """The path cannot be stored as an S3 key; the message says why."""


#: The C0 control characters and DEL.
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_DOTS = (".", "..")


def control_character(text: str) -> str | None:
    """Why C{text} cannot be (part of) a name because of a control character, if it cannot."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    return f"names may not contain control characters (here U+{ord(found.group()):04X})"


def check_names(path: Sequence[str]) -> None:
    """
    Raise L{NameNotAllowed} if a segment of C{path} holds a control
    character, or is C{.} or C{..} once backslashes are read as separators.
    """
    for segment in path:
        reason = control_character(segment)
        if reason is not None:
            raise NameNotAllowed(reason)
        if not segment or "/" in segment:
            raise NameNotAllowed("a name is never empty, nor does it contain '/'")
        if any(piece in _DOTS for piece in segment.split("\\")):
            raise NameNotAllowed(
                "'.' and '..' are not names, nor parts of one between backslashes "
                "(which other programs read as separators)"
            )


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
        check_names(path)
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

    def entry_of(self, key: str) -> tuple[tuple[str, ...], bool]:
        """
        The FTP path of the key C{key} under the root, and whether it is a
        directory's marker (then the path is the directory's).
        """
        if self.is_marker(key):
            return self.path_of(key[: -len(self.dir_suffix)]), True
        return self.path_of(key), False

    def path_of(self, key: str) -> tuple[str, ...]:
        """The FTP path of a file key under the root."""
        if not key.startswith(self.root):
            raise ValueError(f"{key!r} is not under the root {self.root!r}")
        return tuple(key[len(self.root) :].split("/"))
