# -*- test-case-name: tests.test_permissions -*-
"""
What a user may do, directory by directory.

The names are SFTPGo's, so that operators moving from it recognise them:
C{list}, C{download}, C{upload}, C{overwrite}, C{delete}, C{rename},
C{mkdir}, C{rmdir}, and C{all} for every one of them.

A user's L{Permissions} map directories of their home to sets of names.
The deepest directory named that contains a path governs it: with C{/}
granting C{list} and C{/inbox} granting C{upload}, C{/inbox/2026} may be
uploaded to and not listed, and C{/docs} may be listed. An action on an
entry is governed by the directory that holds the entry (deleting
C{/inbox/a} asks C{/inbox}); listing a directory asks that directory.

A directory the permissions name exists for the user whether or not the
bucket holds anything under it, as do its ancestors
(L{Permissions.implies_directory}): a partner told to upload to C{/inbox}
finds it there on the first login.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

__all__ = [
    "ALL",
    "DELETE",
    "DOWNLOAD",
    "LIST",
    "MKDIR",
    "NAMES",
    "OVERWRITE",
    "RENAME",
    "RMDIR",
    "UPLOAD",
    "Permissions",
    "directory_segments",
    "parse_names",
]

LIST = "list"
DOWNLOAD = "download"
UPLOAD = "upload"
OVERWRITE = "overwrite"
DELETE = "delete"
RENAME = "rename"
MKDIR = "mkdir"
RMDIR = "rmdir"

#: Every permission, in the order the README lists them.
NAMES = (LIST, DOWNLOAD, UPLOAD, OVERWRITE, DELETE, RENAME, MKDIR, RMDIR)
ALL = frozenset(NAMES)
_EVERYTHING = "all"


def parse_names(names: Iterable[str]) -> frozenset[str]:
    """
    The permissions C{names} grant; C{"all"} stands for every one.

    @raise ValueError: for a name that is no permission, with the names
        that are, so that a typo is never silently a permission dropped.
    """
    granted: set[str] = set()
    for name in names:
        if not isinstance(name, str):
            raise ValueError(f"permission {name!r} is not a string")
        word = name.strip().lower()
        if word == _EVERYTHING:
            granted |= ALL
        elif word in ALL:
            granted.add(word)
        else:
            known = ", ".join((*NAMES, _EVERYTHING))
            raise ValueError(f"unknown permission {name!r}; the permissions are {known}")
    return frozenset(granted)


def directory_segments(path: str) -> tuple[str, ...]:
    """
    The segments of C{path}, a directory of the home written as in FTP:
    C{"/"} is C{()}, C{"/inbox/2026/"} is C{("inbox", "2026")}.

    @raise ValueError: if C{path} is not absolute or holds C{.} or C{..},
        which would make the deepest match ambiguous.
    """
    if not path.startswith("/"):
        raise ValueError(f"permission path {path!r} must start with '/'")
    segments = tuple(segment for segment in path.split("/") if segment)
    if any(segment in (".", "..") for segment in segments):
        raise ValueError(f"permission path {path!r} must not contain '.' or '..'")
    return segments


@dataclass(frozen=True)
class Permissions:
    """
    The permissions of one user, by directory of their home.

    @ivar by_directory: each directory named, as segments, with what it
        grants; the root C{()} is always among them.
    """

    by_directory: Mapping[tuple[str, ...], frozenset[str]]

    def __post_init__(self) -> None:
        if () not in self.by_directory:
            raise ValueError("permissions must say what '/' grants")

    @classmethod
    def everywhere(cls, granted: Iterable[str] = ALL) -> Permissions:
        """The same permissions in every directory of the home."""
        return cls({(): frozenset(granted)})

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Iterable[str]]) -> Permissions:
        """
        Permissions from paths to lists of names, as the users file writes them.

        @raise ValueError: for a bad path, a bad name, two spellings of one
            path, or no entry for C{/}.
        """
        by_directory: dict[tuple[str, ...], frozenset[str]] = {}
        for path, names in mapping.items():
            segments = directory_segments(path)
            if segments in by_directory:
                raise ValueError(f"permission path {path!r} is given twice")
            by_directory[segments] = parse_names(names)
        return cls(by_directory)

    def at(self, directory: Sequence[str]) -> frozenset[str]:
        """What may be done in C{directory}: the grant of the deepest directory named above it."""
        for depth in range(len(directory), -1, -1):
            granted = self.by_directory.get(tuple(directory[:depth]))
            if granted is not None:
                return granted
        raise AssertionError("the root is always named")

    def allows(self, permission: str, directory: Sequence[str]) -> bool:
        """Whether C{permission} is granted in C{directory}."""
        return permission in self.at(directory)

    @property
    def named_directories(self) -> tuple[tuple[str, ...], ...]:
        """Every directory the permissions name below the root, shallowest first."""
        return tuple(sorted((d for d in self.by_directory if d), key=lambda d: (len(d), d)))

    @cached_property
    def _implied(self) -> frozenset[tuple[str, ...]]:
        return frozenset(d[:depth] for d in self.by_directory for depth in range(len(d) + 1))

    def implies_directory(self, path: Sequence[str]) -> bool:
        """
        Whether C{path} is a directory because the permissions say so: the
        root, a directory named, or an ancestor of one.
        """
        return tuple(path) in self._implied

    def implied_children(self, directory: Sequence[str]) -> tuple[str, ...]:
        """The names of the directories directly inside C{directory} that L{implies_directory}."""
        parent = tuple(directory)
        return tuple(
            sorted(d[-1] for d in self._implied if len(d) == len(parent) + 1 and d[:-1] == parent)
        )

    @property
    def unrestricted(self) -> bool:
        """Whether every permission is granted everywhere."""
        return all(granted == ALL for granted in self.by_directory.values())
