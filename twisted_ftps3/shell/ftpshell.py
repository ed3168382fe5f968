# -*- test-case-name: tests.test_shell,tests.test_shell_contract,tests.test_shell_permissions -*-
"""
The file system an FTP user sees, kept in one bucket of an object store.

L{S3Shell} implements Twisted's C{IFTPShell}. Paths arrive as lists of
segments (Twisted has already resolved C{.} and C{..}); a L{KeyMap} turns
them into keys under the user's home, so that no path reaches a key
outside it. Every failure of the store is turned into an FTP reply by
L{twisted_ftps3.shell.errors}; every change is checked against the user's
permissions (L{twisted_ftps3.shell.policy}) before the bucket is asked to
change, and holds the L{KeyLocks} of the key prefixes it checks and
changes.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.protocols import ftp
from zope.interface import implementer

from ..interfaces import Entry, IListingShell
from ..locks import KeyLocks, ancestors
from ..objectkeys import KeyMap
from ..permissions import Permissions
from ..replies import ActionNotTaken, InvalidRestart, display_path
from ..s3.interfaces import IObjectStore
from ..s3.limits import MAX_DELETE_KEYS
from ..s3.objects import ObjectInfo
from ..s3.upload import MultipartWriter, UploadRegistry
from .attributes import directory_attributes, file_attributes
from .errors import ftp_replies
from .policy import Access, Policy
from .transfers import S3ReadFile, S3WriteFile
from .tree import Tree

T = TypeVar("T")
Segments = Sequence[str]


def _replies(method: Callable[..., Awaitable[T]]) -> Callable[..., Deferred[T]]:
    """
    Run an C{async} shell method as a Deferred, as C{IFTPShell} wants, after
    checking that its path can be a key, and turn the store's errors and
    refused names it raises into FTP replies about that path.
    """

    @functools.wraps(method)
    def wrapper(self: S3Shell, path: Segments, *args: Any, **kwargs: Any) -> Deferred[T]:
        async def run() -> T:
            with ftp_replies(path):
                self.keys.check(path)
                return await method(self, path, *args, **kwargs)

        return ensureDeferred(run())

    return wrapper


@implementer(ftp.IFTPShell, IListingShell)
class S3Shell:
    """
    One logged-in user's view of the bucket: the tree under C{keys.root}
    (their home), with what their C{permissions} allow.

    @param locks: shared by every shell of the process, so that two
        sessions whose trees overlap in the bucket never race each other.
    @param uploads: where uploads in progress are registered, so that a
        shutdown can abort them.
    """

    def __init__(
        self,
        store: IObjectStore,
        *,
        keys: KeyMap,
        locks: KeyLocks,
        uploads: UploadRegistry,
        part_size: int,
        parts_in_flight: int,
        permissions: Permissions | None = None,
    ) -> None:
        self.store = store
        self.keys = keys
        self.permissions = permissions if permissions is not None else Permissions.everywhere()
        self._tree = Tree(store, keys, self.permissions)
        self._policy = Policy(self.permissions)
        self._locks = locks
        self._uploads = uploads
        self._part_size = part_size
        self._parts_in_flight = parts_in_flight

    # -- changing the bucket ------------------------------------------------

    def _deepest_first(self, keys: list[str]) -> list[str]:
        # Files before markers, deeper before shallower: if the removal is
        # interrupted, what remains is still a well-formed tree.
        return sorted(keys, key=lambda key: (self.keys.is_marker(key), -key.count("/"), key))

    async def _delete_keys(self, keys: list[str]) -> None:
        ordered = self._deepest_first(keys)
        for start in range(0, len(ordered), MAX_DELETE_KEYS):
            await self.store.delete_objects(ordered[start : start + MAX_DELETE_KEYS])

    @asynccontextmanager
    async def _changing(self, *paths: Segments) -> Any:
        """Write-lock the key prefixes of C{paths} and read-lock all their ancestors."""
        prefixes = [self.keys.prefix(path) for path in paths]
        parents = [parent for prefix in prefixes for parent in ancestors(prefix)]
        async with self._locks.hold(read=parents, write=prefixes):
            yield

    # -- IFTPShell: changes -------------------------------------------------

    @_replies
    async def makeDirectory(self, path: Segments) -> None:
        if not path:
            raise ftp.FileExistsError("/")
        self._policy.making_directory(path)
        async with self._changing(path):
            await self._tree.require_directory(path[:-1])
            await self._tree.require_absent(path)
            await self.store.put_object(self.keys.marker_key(path))

    @_replies
    async def removeDirectory(self, path: Segments) -> None:
        if not path:
            raise ftp.PermissionDeniedError("/")
        self._policy.removing_directory(path)
        async with self._changing(path):
            if not await self._tree.is_directory(path):
                if await self._tree.file(path) is not None:
                    raise ftp.IsNotADirectoryError(display_path(path))
                raise ftp.FileNotFoundError(display_path(path))
            keys = await self._tree.keys_below(path)
            self._policy.removing_tree(path, self._tree.entries_of(path, keys))
            await self._delete_keys(keys)

    @_replies
    async def removeFile(self, path: Segments) -> None:
        self._policy.removing_file(path)
        async with self._changing(path):
            if await self._tree.file(path) is None:
                if await self._tree.is_directory(path):
                    raise ftp.IsADirectoryError(display_path(path))
                raise ftp.FileNotFoundError(display_path(path))
            await self.store.delete_object(self.keys.file_key(path))

    @_replies
    async def rename(self, fromPath: Segments, toPath: Segments) -> None:
        with ftp_replies(toPath):
            self.keys.check(toPath)
        if not fromPath or not toPath:
            raise ftp.PermissionDeniedError("/")
        self._policy.renaming(fromPath, toPath)
        if list(fromPath) == list(toPath):
            await self._tree.require_exists(fromPath)
            return
        async with self._changing(fromPath, toPath):
            await self._tree.require_directory(toPath[:-1])
            source = await self._tree.file(fromPath)
            if source is not None:
                await self._rename_file(source, toPath)
            elif await self._tree.is_directory(fromPath):
                await self._rename_directory(fromPath, toPath)
            else:
                raise ftp.FileNotFoundError(display_path(fromPath))

    async def _rename_file(self, source: ObjectInfo, toPath: Segments) -> None:
        if await self._tree.is_directory(toPath):
            raise ftp.IsADirectoryError(display_path(toPath))
        if not self._policy.may_replace(toPath) and await self._tree.file(toPath) is not None:
            self._policy.replacing(toPath)
        await self.store.copy_object(source.key, self.keys.file_key(toPath), source.size)
        await self.store.delete_object(source.key)

    async def _rename_directory(self, fromPath: Segments, toPath: Segments) -> None:
        if list(toPath[: len(fromPath)]) == list(fromPath):
            raise ActionNotTaken(f"{display_path(toPath)}: cannot move a directory inside itself")
        await self._tree.require_absent(toPath)
        old_prefix, new_prefix = self.keys.prefix(fromPath), self.keys.prefix(toPath)
        old_keys = await self._tree.keys_below(fromPath)
        self._policy.moving_tree(fromPath, toPath, self._tree.entries_of(fromPath, old_keys))
        # Copy everything first, then delete: an interruption leaves a
        # duplicate to clean up, never a loss.
        for key in old_keys:
            info = await self.store.head_object(key)
            await self.store.copy_object(key, new_prefix + key[len(old_prefix) :], info.size)
        if self.keys.marker_key(fromPath) not in old_keys:
            await self.store.put_object(self.keys.marker_key(toPath))
        await self._delete_keys(old_keys)

    # -- IFTPShell: reading -------------------------------------------------

    @_replies
    async def access(self, path: Segments) -> None:
        if await self._tree.is_directory(path):
            return
        if await self._tree.file(path) is not None:
            raise ftp.IsNotADirectoryError(display_path(path))
        raise ftp.FileNotFoundError(display_path(path))

    @_replies
    async def stat(self, path: Segments, keys: Sequence[str] = ()) -> list[Any]:
        self._policy.looking(path)
        info = await self._tree.file(path)
        if info is not None:
            return file_attributes(info, keys, self._policy.file_access(path[:-1]))
        if await self._tree.is_directory(path):
            return directory_attributes(keys, self._policy.directory_access(path))
        raise ftp.FileNotFoundError(display_path(path))

    def list(self, path: Segments, keys: Sequence[str] = ()) -> Deferred[list[Entry]]:
        """Every entry of L{list_pages}, at once: for C{STAT path} and Twisted's interface."""

        async def every_page() -> list[Entry]:
            return [entry async for page in self.list_pages(path, keys) for entry in page]

        return ensureDeferred(every_page())

    async def list_pages(
        self, path: Segments, keys: Sequence[str] = ()
    ) -> AsyncIterator[list[Entry]]:
        """
        The entries of the directory C{path} (or the file C{path} alone),
        with their attributes C{keys}, a page of the store's listing at a
        time (L{IListingShell}).
        """
        with ftp_replies(path):
            self.keys.check(path)
            if not self._policy.may_look(path):
                # Refused before S3 is asked, so that what is not listable is
                # not found out to be a file, a directory or nothing.
                self._policy.listing(path)
            if not await self._tree.is_directory(path):
                info = await self._tree.file(path)
                if info is None:
                    raise ftp.FileNotFoundError(display_path(path))
                self._policy.looking(path)
                yield [(path[-1], file_attributes(info, keys, self._policy.file_access(path[:-1])))]
                return
            self._policy.listing(path)
            file_access = self._policy.file_access(path)
            async for children in self._tree.children(path):
                yield [self._entry(path, name, info, keys, file_access) for name, info in children]

    def _entry(
        self,
        directory: Segments,
        name: str,
        info: ObjectInfo | None,
        keys: Sequence[str],
        file_access: Access,
    ) -> Entry:
        """The entry C{name} of C{directory}: a file if C{info} describes it, else a directory."""
        if info is None:
            access = self._policy.directory_access([*directory, name])
            return name, directory_attributes(keys, access)
        return name, file_attributes(info, keys, file_access)

    @_replies
    async def openForReading(self, path: Segments, offset: int = 0) -> S3ReadFile:
        """
        Open C{path} to be sent from byte C{offset} on (a REST before RETR):
        one GET, whose answer says whether the file is there and how long it
        is, and whose body waits for the data connection.
        """
        self._policy.reading(path)
        body = await self._tree.open_file(path, offset)
        if body is None:
            if await self._tree.is_directory(path):
                raise ftp.IsADirectoryError(display_path(path))
            raise ftp.FileNotFoundError(display_path(path))
        return S3ReadFile(self.store, body, path)

    # -- IFTPShell: uploads -------------------------------------------------

    @_replies
    async def openForWriting(self, path: Segments) -> S3WriteFile:
        return await self._open_for_writing(path)

    @_replies
    async def openForAppending(self, path: Segments, offset: int | None = None) -> S3WriteFile:
        """
        Open C{path} so that what is written is added to its current bytes.

        @param offset: where the client says the new bytes start (REST before
            STOR); it must be the current size, since S3 keeps no holes and no
            overwrite in place. C{None} (APPE) appends at the end, and a
            missing file is created.
        """
        self._policy.creating(path)
        existing = await self._tree.file(path)
        if existing is not None and not self._policy.may_replace(path):
            self._policy.replacing(path)
        size = existing.size if existing is not None else 0
        if offset is not None and offset != size:
            raise InvalidRestart(
                f"REST {offset} before STOR must equal the size of {display_path(path)}"
                f" ({size} bytes): uploads resume only at the end."
            )
        target = await self._open_for_writing(path)
        if existing is not None:
            await target.start_with(existing.key, size)
        return target

    async def _open_for_writing(self, path: Segments) -> S3WriteFile:
        if not path:
            raise ftp.IsADirectoryError("/")
        self._policy.creating(path)
        await self._tree.require_directory(path[:-1])
        if await self._tree.is_directory(path):
            raise ftp.IsADirectoryError(display_path(path))
        replaceable = self._policy.may_replace(path)

        async def refuse_replacing() -> None:
            if not replaceable and await self._tree.file(path) is not None:
                self._policy.replacing(path)

        await refuse_replacing()

        @asynccontextmanager
        async def guard() -> Any:
            # The reference checks the parent again when the upload
            # completes: it may have been removed during the transfer. A
            # user who may not overwrite is checked again too, under the
            # lock, so that of two uploads racing to create one name only
            # the first is stored.
            async with self._changing(path):
                await self._tree.require_directory(path[:-1])
                await refuse_replacing()
                yield

        writer = MultipartWriter(
            self.store,
            self.keys.file_key(path),
            part_size=self._part_size,
            parts_in_flight=self._parts_in_flight,
            guard=guard,
        )
        return S3WriteFile(writer, path, self._uploads)
