# -*- test-case-name: tests.test_shell -*-
"""
The file system an FTP user sees, kept in one S3 bucket.

L{S3Shell} implements Twisted's C{IFTPShell}. Paths arrive as lists of
segments (Twisted has already resolved C{.} and C{..}); L{KeyMap} turns them
into keys. Every S3 failure is turned into an FTP reply in one place,
L{_replies}, and every change to the tree holds the path locks of
L{PathLocks} while it checks and acts.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from twisted.internet.defer import Deferred, ensureDeferred, succeed
from twisted.internet.interfaces import IConsumer
from twisted.protocols import ftp
from twisted.python import filepath
from zope.interface import implementer

from .interfaces import IDownload, IUpload
from .keys import KeyMap, NameNotAllowed
from .locks import PathLocks, ancestors
from .replies import (
    ActionNotTaken,
    FileNameNotAllowed,
    InvalidRestart,
    display_path,
    for_s3_error,
)
from .s3.client import ObjectInfo, S3Client
from .s3.errors import S3Error
from .s3.upload import MultipartWriter, UploadRegistry

T = TypeVar("T")
Segments = Sequence[str]

_FILE_PERMISSIONS = filepath.Permissions(0o644)
_DIRECTORY_PERMISSIONS = filepath.Permissions(0o755)
#: S3 keeps no time for a directory (its marker may not even exist), so
#: listings show the epoch rather than invent one.
_DIRECTORY_MTIME = 0.0
#: DeleteObjects takes at most this many keys a call.
_DELETE_BATCH = 1000


def _replies(method: Callable[..., Awaitable[T]]) -> Callable[..., Deferred[T]]:
    """
    Run an C{async} shell method as a Deferred, as C{IFTPShell} wants, and
    turn the S3 errors and refused names it raises into FTP replies about
    the path it was given.
    """

    @functools.wraps(method)
    def wrapper(self: S3Shell, path: Segments, *args: Any, **kwargs: Any) -> Deferred[T]:
        async def run() -> T:
            try:
                self.keys.check(path)
                return await method(self, path, *args, **kwargs)
            except S3Error as e:
                raise for_s3_error(e, path) from e
            except NameNotAllowed as e:
                raise FileNameNotAllowed(f"{display_path(path)}: {e}") from e

        return ensureDeferred(run())

    return wrapper


@implementer(ftp.IFTPShell)
class S3Shell:
    """
    One logged-in user's view of the bucket.

    @param uploads: where uploads in progress are registered, so that a
        shutdown can abort them.
    """

    def __init__(
        self,
        client: S3Client,
        *,
        keys: KeyMap,
        locks: PathLocks,
        uploads: UploadRegistry,
        part_size: int,
        parts_in_flight: int,
    ) -> None:
        self.client = client
        self.keys = keys
        self._locks = locks
        self._uploads = uploads
        self._part_size = part_size
        self._parts_in_flight = parts_in_flight

    # -- what is there ------------------------------------------------------

    async def _file(self, path: Segments) -> ObjectInfo | None:
        if not path:
            return None
        try:
            return await self.client.head_object(self.keys.file_key(path))
        except S3Error as e:
            if e.not_found:
                return None
            raise

    async def _is_directory(self, path: Segments) -> bool:
        # The marker and every key below share the prefix, so one listing of
        # at most one key tells whether the directory exists, marker or not
        # (a bucket filled by other tools has contents without markers).
        if not path:
            return True
        page = await self.client.list_objects(self.keys.prefix(path), max_keys=1)
        return bool(page.objects or page.common_prefixes)

    async def _require_directory(self, path: Segments) -> None:
        if not await self._is_directory(path):
            raise ftp.FileNotFoundError(display_path(path))

    async def _require_absent(self, path: Segments) -> None:
        if await self._is_directory(path) or await self._file(path) is not None:
            raise ftp.FileExistsError(display_path(path))

    async def _keys_below(self, path: Segments) -> list[str]:
        keys = []
        async for page in self.client.iter_pages(self.keys.prefix(path)):
            keys.extend(entry.key for entry in page.objects)
        return keys

    def _deepest_first(self, keys: list[str]) -> list[str]:
        # Files before markers, deeper before shallower: if the removal is
        # interrupted, what remains is still a well-formed tree.
        return sorted(keys, key=lambda key: (self.keys.is_marker(key), -key.count("/"), key))

    async def _delete_keys(self, keys: list[str]) -> None:
        ordered = self._deepest_first(keys)
        for start in range(0, len(ordered), _DELETE_BATCH):
            await self.client.delete_objects(ordered[start : start + _DELETE_BATCH])

    @asynccontextmanager
    async def _changing(self, *paths: Segments) -> Any:
        """Write-lock C{paths} and read-lock all their ancestors."""
        parents = [parent for path in paths for parent in ancestors(path)]
        async with self._locks.hold(read=parents, write=paths):
            yield

    # -- IFTPShell: changes -------------------------------------------------

    @_replies
    async def makeDirectory(self, path: Segments) -> None:
        if not path:
            raise ftp.FileExistsError("/")
        async with self._changing(path):
            await self._require_directory(path[:-1])
            await self._require_absent(path)
            await self.client.put_object(self.keys.marker_key(path))

    @_replies
    async def removeDirectory(self, path: Segments) -> None:
        if not path:
            raise ftp.PermissionDeniedError("/")
        async with self._changing(path):
            if not await self._is_directory(path):
                if await self._file(path) is not None:
                    raise ftp.IsNotADirectoryError(display_path(path))
                raise ftp.FileNotFoundError(display_path(path))
            await self._delete_keys(await self._keys_below(path))

    @_replies
    async def removeFile(self, path: Segments) -> None:
        async with self._changing(path):
            if await self._file(path) is None:
                if await self._is_directory(path):
                    raise ftp.IsADirectoryError(display_path(path))
                raise ftp.FileNotFoundError(display_path(path))
            await self.client.delete_object(self.keys.file_key(path))

    @_replies
    async def rename(self, fromPath: Segments, toPath: Segments) -> None:
        try:
            self.keys.check(toPath)
        except NameNotAllowed as e:
            raise FileNameNotAllowed(f"{display_path(toPath)}: {e}") from e
        if not fromPath or not toPath:
            raise ftp.PermissionDeniedError("/")
        if list(fromPath) == list(toPath):
            await self._require_exists(fromPath)
            return
        async with self._changing(fromPath, toPath):
            await self._require_directory(toPath[:-1])
            source = await self._file(fromPath)
            if source is not None:
                await self._rename_file(source, toPath)
            elif await self._is_directory(fromPath):
                await self._rename_directory(fromPath, toPath)
            else:
                raise ftp.FileNotFoundError(display_path(fromPath))

    async def _rename_file(self, source: ObjectInfo, toPath: Segments) -> None:
        if await self._is_directory(toPath):
            raise ftp.IsADirectoryError(display_path(toPath))
        await self.client.copy_object(source.key, self.keys.file_key(toPath), source.size)
        await self.client.delete_object(source.key)

    async def _rename_directory(self, fromPath: Segments, toPath: Segments) -> None:
        if list(toPath[: len(fromPath)]) == list(fromPath):
            raise ActionNotTaken(f"{display_path(toPath)}: cannot move a directory inside itself")
        await self._require_absent(toPath)
        old_prefix, new_prefix = self.keys.prefix(fromPath), self.keys.prefix(toPath)
        old_keys = await self._keys_below(fromPath)
        # Copy everything first, then delete: an interruption leaves a
        # duplicate to clean up, never a loss.
        for key in old_keys:
            info = await self.client.head_object(key)
            await self.client.copy_object(key, new_prefix + key[len(old_prefix) :], info.size)
        if not any(
            self.keys.is_marker(key) and key.count("/") == len(fromPath) for key in old_keys
        ):
            await self.client.put_object(self.keys.marker_key(toPath))
        await self._delete_keys(old_keys)

    async def _require_exists(self, path: Segments) -> None:
        """Succeed if C{path} is a file or a directory."""
        if await self._file(path) is None and not await self._is_directory(path):
            raise ftp.FileNotFoundError(display_path(path))

    # -- IFTPShell: reading -------------------------------------------------

    @_replies
    async def access(self, path: Segments) -> None:
        if await self._is_directory(path):
            return
        if await self._file(path) is not None:
            raise ftp.IsNotADirectoryError(display_path(path))
        raise ftp.FileNotFoundError(display_path(path))

    @_replies
    async def stat(self, path: Segments, keys: Sequence[str] = ()) -> list[Any]:
        info = await self._file(path)
        if info is not None:
            return _file_attributes(info, keys)
        if await self._is_directory(path):
            return _directory_attributes(keys)
        raise ftp.FileNotFoundError(display_path(path))

    @_replies
    async def list(self, path: Segments, keys: Sequence[str] = ()) -> list[tuple[str, list[Any]]]:
        if not await self._is_directory(path):
            info = await self._file(path)
            if info is None:
                raise ftp.FileNotFoundError(display_path(path))
            return [(path[-1], _file_attributes(info, keys))]
        prefix = self.keys.prefix(path)
        own_marker = self.keys.marker_key(path) if path else None
        entries: list[tuple[str, list[Any]]] = []
        async for page in self.client.iter_pages(prefix, delimiter="/"):
            for directory in page.common_prefixes:
                entries.append((directory[len(prefix) : -1], _directory_attributes(keys)))
            for entry in page.objects:
                if entry.key == own_marker or self.keys.is_marker(entry.key):
                    continue
                entries.append((entry.key[len(prefix) :], _file_attributes(entry, keys)))
        return entries

    @_replies
    async def openForReading(self, path: Segments) -> ftp.IReadFile:
        info = await self._file(path)
        if info is None:
            if await self._is_directory(path):
                raise ftp.IsADirectoryError(display_path(path))
            raise ftp.FileNotFoundError(display_path(path))
        return S3ReadFile(self.client, info)

    @_replies
    async def openForWriting(self, path: Segments) -> ftp.IWriteFile:
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
        existing = await self._file(path)
        size = existing.size if existing is not None else 0
        if offset is not None and offset != size:
            raise InvalidRestart(
                f"REST {offset} before STOR must equal the size of {display_path(path)}"
                f" ({size} bytes): uploads resume only at the end."
            )
        target = await self._open_for_writing(path)
        if existing is not None:
            try:
                await target.writer.start_with(existing.key, size)
            except BaseException:
                await target.abort("could not start from the existing object")
                raise
        return target

    async def _open_for_writing(self, path: Segments) -> S3WriteFile:
        if not path:
            raise ftp.IsADirectoryError("/")
        await self._require_directory(path[:-1])
        if await self._is_directory(path):
            raise ftp.IsADirectoryError(display_path(path))

        @asynccontextmanager
        async def guard() -> Any:
            # The reference checks the parent again when the upload
            # completes: it may have been removed during the transfer.
            async with self._changing(path):
                await self._require_directory(path[:-1])
                yield

        writer = MultipartWriter(
            self.client,
            self.keys.file_key(path),
            part_size=self._part_size,
            parts_in_flight=self._parts_in_flight,
            guard=guard,
        )
        return S3WriteFile(writer, path, self._uploads)


def _attributes(keys: Sequence[str], values: dict[str, Any]) -> list[Any]:
    return [values[key] for key in keys]


def _file_attributes(info: Any, keys: Sequence[str]) -> list[Any]:
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


def _directory_attributes(keys: Sequence[str]) -> list[Any]:
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


@implementer(IDownload)
class S3ReadFile:
    """An object to be streamed to a data connection."""

    def __init__(self, client: S3Client, info: ObjectInfo) -> None:
        self._client = client
        self.info = info
        self.size = info.size

    def send(self, consumer: IConsumer) -> Deferred[int]:
        """Stream the object into C{consumer}; fire with the byte count."""
        return self.send_from(consumer, 0)

    def send_from(self, consumer: IConsumer, offset: int) -> Deferred[int]:
        """Stream the object from byte C{offset} on."""

        async def run() -> int:
            try:
                return await self._client.get_object(self.info.key, consumer, first_byte=offset)
            except S3Error as e:
                raise for_s3_error(e, self._client_path()) from e

        return ensureDeferred(run())

    def _client_path(self) -> tuple[str, ...]:
        return tuple(self.info.key.split("/"))


@implementer(IUpload)
class S3WriteFile:
    """An upload in progress: the writer receives, L{close} commits."""

    def __init__(self, writer: MultipartWriter, path: Segments, uploads: UploadRegistry) -> None:
        self.writer = writer
        self._path = path
        self._uploads = uploads
        uploads.add(writer)

    def receive(self) -> Deferred[MultipartWriter]:
        return succeed(self.writer)

    @property
    def bytes_received(self) -> int:
        return self.writer.bytes_received

    def storage_error(self) -> ftp.FTPCmdError | None:
        """The reply for the S3 failure that ended the upload early, if one did."""
        failure = self.writer.failure
        if failure is not None and failure.check(S3Error):
            return for_s3_error(failure.value, self._path)
        return None

    def close(self) -> Deferred[None]:
        """Make the object visible: every byte arrived and the client closed cleanly."""

        async def run() -> None:
            try:
                await self.writer.finish()
            except S3Error as e:
                raise for_s3_error(e, self._path) from e
            finally:
                self._uploads.discard(self.writer)

        return ensureDeferred(run())

    def abort(self, reason: str) -> Deferred[None]:
        """Abandon the upload; S3 keeps nothing of it."""

        async def run() -> None:
            try:
                await self.writer.abort(reason)
            finally:
                self._uploads.discard(self.writer)

        return ensureDeferred(run())
