# -*- test-case-name: tests.test_shell,tests.test_shell_homes -*-
"""
What is in one user's tree, read from the bucket.

A file is an object at its key. A directory exists if it is the root, if
the user's permissions name it or a directory inside it (so that a
partner's C{/inbox} is there before anything is uploaded to it), or if
some key lives under its prefix: its marker, or contents another tool put
there without one. An implied directory hides an object at its own key,
so that no name is ever both a file and a directory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from twisted.protocols import ftp

from ..objectkeys import KeyMap
from ..permissions import Permissions
from ..replies import display_path
from ..s3.errors import S3Error
from ..s3.interfaces import IObjectBody, IObjectStore
from ..s3.objects import ObjectInfo

Segments = Sequence[str]


class Tree:
    """The reads the shell makes of C{store}, through C{keys}, for a user with C{permissions}."""

    def __init__(self, store: IObjectStore, keys: KeyMap, permissions: Permissions) -> None:
        self.store = store
        self.keys = keys
        self.permissions = permissions

    async def file(self, path: Segments) -> ObjectInfo | None:
        """The object at C{path}, or C{None} if no file is there."""
        if not path or self.permissions.implies_directory(path):
            return None
        try:
            return await self.store.head_object(self.keys.file_key(path))
        except S3Error as e:
            if e.not_found:
                return None
            raise

    async def open_file(self, path: Segments, first_byte: int = 0) -> IObjectBody | None:
        """
        The file at C{path}, opened for reading from C{first_byte}, or
        C{None} if no file is there: as L{file}, with the body held.
        """
        if not path or self.permissions.implies_directory(path):
            return None
        try:
            return await self.store.open_object(self.keys.file_key(path), first_byte)
        except S3Error as e:
            if e.not_found:
                return None
            raise

    async def is_directory(self, path: Segments) -> bool:
        """Whether C{path} is a directory."""
        if self.permissions.implies_directory(path):
            return True
        # The marker and every key below share the prefix, so one listing of
        # at most one key tells whether the directory exists, marker or not
        # (a bucket filled by other tools has contents without markers).
        page = await self.store.list_objects(self.keys.prefix(path), max_keys=1)
        return bool(page.objects or page.common_prefixes)

    async def require_directory(self, path: Segments) -> None:
        """550 unless C{path} is a directory."""
        if not await self.is_directory(path):
            raise ftp.FileNotFoundError(display_path(path))

    async def require_absent(self, path: Segments) -> None:
        """550 if C{path} is a file or a directory."""
        if await self.is_directory(path) or await self.file(path) is not None:
            raise ftp.FileExistsError(display_path(path))

    async def require_exists(self, path: Segments) -> None:
        """550 unless C{path} is a file or a directory."""
        if await self.file(path) is None and not await self.is_directory(path):
            raise ftp.FileNotFoundError(display_path(path))

    async def keys_below(self, path: Segments) -> list[str]:
        """Every key under the directory C{path}'s prefix, its own marker included."""
        keys = []
        async for page in self.store.iter_pages(self.keys.prefix(path)):
            keys.extend(entry.key for entry in page.objects)
        return keys

    def entries_of(self, path: Segments, keys: Sequence[str]) -> list[tuple[Segments, bool]]:
        """The files and directories C{keys} (from L{keys_below}) are, but C{path}'s own marker."""
        own = self.keys.marker_key(path) if path else None
        return [self.keys.entry_of(key) for key in keys if key != own]

    async def children(self, path: Segments) -> AsyncIterator[list[tuple[str, ObjectInfo | None]]]:
        """
        The names in the directory C{path}, a page of the store's listing
        at a time, each page asked for only when the caller asks for the
        next: each name once, with its object if it is a file and C{None}
        if it is a directory.

        The directories the permissions imply come last, after every page,
        and are left out of the pages however many of them show the same
        name (as a marker's common prefix, or an object at its key).
        """
        prefix = self.keys.prefix(path)
        own_marker = self.keys.marker_key(path) if path else None
        implied = self.permissions.implied_children(path)
        async for page in self.store.iter_pages(prefix, delimiter="/"):
            names: list[tuple[str, ObjectInfo | None]] = []
            for directory in page.common_prefixes:
                name = directory[len(prefix) : -1]
                if name not in implied:
                    names.append((name, None))
            for entry in page.objects:
                if entry.key == own_marker or self.keys.is_marker(entry.key):
                    continue
                name = entry.key[len(prefix) :]
                if name not in implied:
                    names.append((name, entry))
            if names:
                yield names
        if implied:
            yield [(name, None) for name in implied]
