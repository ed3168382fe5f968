"""
Tests for L{twisted_ftps3.shell}: the FTP file system kept in one S3 bucket.

In the spirit of Twisted's C{IFTPShellTestsMixin}, the shell is driven only
through its C{IFTPShell} methods. The S3 client is replaced by
L{FakeS3Client}, an in-memory bucket that keeps S3's listing semantics (sorted
keys, common prefixes, paging by continuation token, with small pages so that
paging is exercised) and records every call. Its calls never wait, so every
Deferred the shell returns has fired by the time it is returned, and the
tests are synchronous.

Every test runs twice: in L{SlashSuffixTests}, where a directory's marker is
C{path/}, and in L{DotDirSuffixTests}, where it is C{path/.dir}.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.interfaces import IPushProducer
from twisted.protocols import ftp
from twisted.python import filepath
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer
from zope.interface.verify import verifyObject

from twisted_ftps3 import shell as shell_module
from twisted_ftps3.interfaces import IDownload, IUpload
from twisted_ftps3.keys import KeyMap
from twisted_ftps3.locks import PathLocks
from twisted_ftps3.replies import ActionNotTaken, FileNameNotAllowed, LocalError
from twisted_ftps3.s3.bodies import PartBody
from twisted_ftps3.s3.client import ObjectInfo
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.responses import ListPage, ObjectEntry
from twisted_ftps3.s3.upload import MIN_PART_SIZE, UploadRegistry
from twisted_ftps3.shell import S3Shell

UTC = datetime.timezone.utc
#: When the fake bucket says an object was last changed, unless told otherwise.
STORED_AT = datetime.datetime(2026, 11, 26, 10, 19, 42, tzinfo=UTC)
#: Every attribute C{IFTPShell.stat} and C{list} can be asked for.
ALL_KEYS = ("size", "directory", "permissions", "hardlinks", "modified", "owner", "group")


def _etag(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class FakeS3Client:
    """
    The S3 calls L{S3Shell} makes, over a dict of key to bytes.

    Every call is recorded in C{calls} as a tuple of its name and arguments.
    An L{S3Error} put in C{failures} under a call's name is raised by every
    call of that name, before it does anything. A page of a listing holds at
    most C{page_size} entries (objects and common prefixes together, as in
    S3) unless the caller asks for fewer.
    """

    def __init__(self, page_size: int = 3) -> None:
        self.page_size = page_size
        self.objects: dict[str, bytes] = {}
        self.modified: dict[str, datetime.datetime] = {}
        self.calls: list[tuple[Any, ...]] = []
        self.failures: dict[str, S3Error] = {}
        #: Multipart uploads in progress: upload id -> (key, parts by number).
        self.uploads: dict[str, tuple[str, dict[int, bytes]]] = {}
        self._next_upload = 1

    # -- for the tests ------------------------------------------------------

    def store(self, key: str, data: bytes = b"", modified: datetime.datetime = STORED_AT) -> None:
        """Put C{key} in the bucket without recording a call."""
        self.objects[key] = data
        self.modified[key] = modified

    def named(self, name: str) -> list[tuple[Any, ...]]:
        """The recorded calls of one kind, in order."""
        return [call for call in self.calls if call[0] == name]

    def changes(self) -> list[tuple[Any, ...]]:
        """The recorded calls that change the bucket, in order."""
        reads = {"head_object", "get_object", "list_objects", "iter_pages"}
        return [call for call in self.calls if call[0] not in reads]

    def _record(self, name: str, *args: Any) -> None:
        self.calls.append((name, *args))
        if name in self.failures:
            raise self.failures[name]

    def _missing(self, code: str, operation: str, key: str) -> S3Error:
        return S3Error(code, 404, "The specified key does not exist.", operation=operation, key=key)

    # -- objects ------------------------------------------------------------

    async def head_object(self, key: str) -> ObjectInfo:
        self._record("head_object", key)
        if key not in self.objects:
            # HEAD answers have no body, so S3's code is the status's.
            raise self._missing("NotFound", "HeadObject", key)
        data = self.objects[key]
        return ObjectInfo(
            key=key, size=len(data), last_modified=self.modified[key], etag=_etag(data)
        )

    async def get_object(self, key: str, consumer: Any, *, first_byte: int = 0) -> int:
        self._record("get_object", key, first_byte)
        if key not in self.objects:
            raise self._missing("NoSuchKey", "GetObject", key)
        body = self.objects[key][first_byte:]
        consumer.write(body)
        return len(body)

    async def put_object(self, key: str, data: bytes | PartBody = b"") -> str:
        body = data.getvalue() if isinstance(data, PartBody) else bytes(data)
        self._record("put_object", key, body)
        self.store(key, body)
        return _etag(body)

    async def copy_object(self, source_key: str, target_key: str, size: int) -> None:
        self._record("copy_object", source_key, target_key, size)
        if source_key not in self.objects:
            raise self._missing("NoSuchKey", "CopyObject", source_key)
        data = self.objects[source_key]
        if size != len(data):
            raise AssertionError(f"copy of {source_key!r} claims {size} bytes, has {len(data)}")
        self.store(target_key, data)

    async def delete_object(self, key: str) -> None:
        self._record("delete_object", key)
        # Deleting a missing key succeeds, as in S3.
        self.objects.pop(key, None)
        self.modified.pop(key, None)

    async def delete_objects(self, keys: Sequence[str]) -> None:
        self._record("delete_objects", list(keys))
        if len(keys) > 1000:
            raise AssertionError("DeleteObjects takes at most 1,000 keys")
        for key in keys:
            self.objects.pop(key, None)
            self.modified.pop(key, None)

    # -- listings -----------------------------------------------------------

    def _entries(self, prefix: str, delimiter: str | None) -> list[tuple[str, bool]]:
        """
        The whole listing as S3 orders it: (key or common prefix, is prefix).

        Keys are in UTF-8 order (which is code point order). With a
        delimiter, every key with the delimiter after the prefix rolls up
        into the common prefix ending at that delimiter's first occurrence,
        which takes the place of its first key.
        """
        entries: list[tuple[str, bool]] = []
        for key in sorted(self.objects):
            if not key.startswith(prefix):
                continue
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut != -1:
                    common = key[: cut + len(delimiter)]
                    # Keys sharing a prefix sort together: one entry for all.
                    if not entries or entries[-1] != (common, True):
                        entries.append((common, True))
                    continue
            entries.append((key, False))
        return entries

    async def list_objects(
        self,
        prefix: str,
        *,
        delimiter: str | None = None,
        max_keys: int | None = None,
        continuation_token: str | None = None,
    ) -> ListPage:
        self._record("list_objects", prefix, delimiter, max_keys, continuation_token)
        entries = self._entries(prefix, delimiter)
        if continuation_token is not None:
            after = continuation_token.removeprefix("after:")
            entries = [entry for entry in entries if entry[0] > after]
        limit = self.page_size if max_keys is None else min(max_keys, self.page_size)
        page, rest = entries[:limit], entries[limit:]
        return ListPage(
            objects=tuple(
                ObjectEntry(
                    key=key,
                    size=len(self.objects[key]),
                    last_modified=self.modified[key],
                    etag=_etag(self.objects[key]),
                )
                for key, is_prefix in page
                if not is_prefix
            ),
            common_prefixes=tuple(key for key, is_prefix in page if is_prefix),
            next_continuation_token=f"after:{page[-1][0]}" if rest else None,
        )

    async def iter_pages(
        self, prefix: str, *, delimiter: str | None = None
    ) -> AsyncIterator[ListPage]:
        self._record("iter_pages", prefix, delimiter)
        token = None
        while True:
            page = await self.list_objects(prefix, delimiter=delimiter, continuation_token=token)
            yield page
            token = page.next_continuation_token
            if token is None:
                return

    # -- multipart uploads --------------------------------------------------

    async def create_multipart_upload(self, key: str) -> str:
        self._record("create_multipart_upload", key)
        upload_id = f"upload-{self._next_upload}"
        self._next_upload += 1
        self.uploads[upload_id] = (key, {})
        return upload_id

    async def upload_part(self, key: str, upload_id: str, number: int, body: PartBody) -> str:
        self._record("upload_part", key, upload_id, number, len(body))
        if upload_id not in self.uploads:
            raise S3Error("NoSuchUpload", 404, operation="UploadPart", key=key)
        data = body.getvalue()
        self.uploads[upload_id][1][number] = data
        return f'"{_etag(data)}"'

    async def complete_multipart_upload(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> None:
        self._record("complete_multipart_upload", key, upload_id, [n for n, _ in parts])
        if upload_id not in self.uploads:
            raise S3Error("NoSuchUpload", 404, operation="CompleteMultipartUpload", key=key)
        _, sent = self.uploads.pop(upload_id)
        self.store(key, b"".join(sent[number] for number, _ in parts))

    async def abort_multipart_upload_quietly(self, key: str, upload_id: str) -> None:
        self._record("abort_multipart_upload_quietly", key, upload_id)
        self.uploads.pop(upload_id, None)


@implementer(IPushProducer)
class FakeProducer:
    """The data connection's side of an upload: records what it is told."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def pauseProducing(self) -> None:
        self.events.append("pause")

    def resumeProducing(self) -> None:
        self.events.append("resume")

    def stopProducing(self) -> None:
        self.events.append("stop")


class Collector:
    """A consumer that keeps what it is sent."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.received.append(data)


class SlashSuffixTests(SynchronousTestCase):
    """
    L{S3Shell} honours the C{IFTPShell} contract over an S3 bucket whose
    directory markers have the suffix C{/}.
    """

    suffix = "/"

    def setUp(self) -> None:
        self.client = FakeS3Client()
        self.keys = KeyMap(self.suffix)
        self.locks = PathLocks()
        self.uploads = UploadRegistry()
        self.shell = S3Shell(
            self.client,  # type: ignore[arg-type]
            keys=self.keys,
            locks=self.locks,
            uploads=self.uploads,
            part_size=MIN_PART_SIZE,
            parts_in_flight=2,
        )

    # -- helpers ------------------------------------------------------------

    def marker(self, *path: str) -> str:
        """The key of the marker of directory C{path}."""
        return self.keys.marker_key(path)

    def mkdir(self, *path: str) -> None:
        """Make the directory C{path} in the bucket behind the shell's back."""
        self.client.store(self.marker(*path))

    def mkfile(self, *path: str, data: bytes = b"data") -> None:
        """Make the file C{path} in the bucket behind the shell's back."""
        self.client.store("/".join(path), data)

    def bucket(self) -> set[str]:
        """Every key in the bucket."""
        return set(self.client.objects)

    def reply_failure(self, d: Deferred[Any], kind: type[Exception]) -> Any:
        """The C{kind} exception C{d} failed with, checked to be an FTP reply."""
        error = self.failureResultOf(d, kind).value
        self.assertIsInstance(error, ftp.FTPCmdError)
        return error

    def hold_lock(
        self, *, read: Sequence[Sequence[str]] = (), write: Sequence[Sequence[str]] = ()
    ) -> Deferred[None]:
        """
        Hold path locks, as another operation would, until the returned
        Deferred is fired.
        """
        release: Deferred[None] = Deferred()

        async def holder() -> None:
            async with self.locks.hold(read=read, write=write):
                await release

        ensureDeferred(holder())
        return release

    def upload(self, path: list[str], data: bytes) -> Any:
        """Open C{path} for writing and write C{data} into it; return the IWriteFile."""
        target = self.successResultOf(self.shell.openForWriting(path))
        consumer = self.successResultOf(target.receive())
        producer = FakeProducer()
        consumer.registerProducer(producer, True)
        consumer.write(data)
        consumer.unregisterProducer()
        return target

    def attributes(self, entries: list[tuple[str, list[Any]]]) -> dict[str, list[Any]]:
        """
        Listing entries by name, with permissions as their shorthand; fails
        if a name is listed twice.
        """
        names = [name for name, _ in entries]
        self.assertEqual(len(names), len(set(names)), f"names listed twice in {names}")
        return {
            name: [
                value.shorthand() if isinstance(value, filepath.Permissions) else value
                for value in values
            ]
            for name, values in entries
        }

    def file_attributes(self, size: int, when: datetime.datetime = STORED_AT) -> list[Any]:
        """What the listing shows for a file, in L{ALL_KEYS} order."""
        return [size, False, "rw-r--r--", 1, when.timestamp(), "ftp", "ftp"]

    #: What the listing shows for a directory, in L{ALL_KEYS} order.
    directory_attributes = [0, True, "rwxr-xr-x", 1, 0.0, "ftp", "ftp"]

    # -- the interface ------------------------------------------------------

    def test_provides_ftp_shell(self) -> None:
        """The shell provides C{IFTPShell}, with every method's signature."""
        self.assertTrue(verifyObject(ftp.IFTPShell, self.shell))

    # -- makeDirectory ------------------------------------------------------

    def test_make_directory_creates_marker(self) -> None:
        """C{makeDirectory} stores an empty marker object for the new directory."""
        self.successResultOf(self.shell.makeDirectory(["new"]))
        self.assertEqual(self.client.objects, {self.marker("new"): b""})
        self.assertEqual(self.client.changes(), [("put_object", self.marker("new"), b"")])

    def test_make_nested_directory(self) -> None:
        """A directory is made inside an existing one."""
        self.mkdir("a")
        self.successResultOf(self.shell.makeDirectory(["a", "b"]))
        self.assertEqual(self.bucket(), {self.marker("a"), self.marker("a", "b")})

    def test_make_directory_in_implicit_directory(self) -> None:
        """A parent that has contents but no marker is a directory to make one in."""
        self.mkfile("a", "f")
        self.successResultOf(self.shell.makeDirectory(["a", "b"]))
        self.assertIn(self.marker("a", "b"), self.bucket())

    def test_make_directory_over_file(self) -> None:
        """A file of the same name makes C{makeDirectory} fail with C{FileExistsError}."""
        self.mkfile("name")
        error = self.reply_failure(self.shell.makeDirectory(["name"]), ftp.FileExistsError)
        self.assertEqual(error.args, ("/name",))
        self.assertEqual(self.client.changes(), [])

    def test_make_directory_over_directory(self) -> None:
        """An existing directory makes C{makeDirectory} fail with C{FileExistsError}."""
        self.mkdir("name")
        self.reply_failure(self.shell.makeDirectory(["name"]), ftp.FileExistsError)
        self.assertEqual(self.client.changes(), [])

    def test_make_directory_over_implicit_directory(self) -> None:
        """A directory that exists only through its contents also exists."""
        self.mkfile("name", "f")
        self.reply_failure(self.shell.makeDirectory(["name"]), ftp.FileExistsError)
        self.assertEqual(self.client.changes(), [])

    def test_make_directory_missing_parent(self) -> None:
        """A missing parent makes C{makeDirectory} fail with C{FileNotFoundError}."""
        error = self.reply_failure(
            self.shell.makeDirectory(["missing", "new"]), ftp.FileNotFoundError
        )
        self.assertEqual(error.args, ("/missing",))
        self.assertEqual(self.client.changes(), [])

    def test_make_directory_parent_is_file(self) -> None:
        """A file is no parent: C{makeDirectory} below it fails with C{FileNotFoundError}."""
        self.mkfile("f")
        self.reply_failure(self.shell.makeDirectory(["f", "new"]), ftp.FileNotFoundError)
        self.assertEqual(self.client.changes(), [])

    def test_make_root_directory(self) -> None:
        """The root always exists: making it fails with C{FileExistsError}."""
        self.reply_failure(self.shell.makeDirectory([]), ftp.FileExistsError)
        self.assertEqual(self.client.calls, [])

    def test_make_directory_waits_for_parent_writer(self) -> None:
        """
        C{makeDirectory} waits while another operation changes the parent
        (holds its write lock), and goes on when that operation ends.
        """
        self.mkdir("a")
        release = self.hold_lock(write=[("a",)])
        d = self.shell.makeDirectory(["a", "b"])
        self.assertNoResult(d)
        self.assertEqual(self.client.calls, [])
        release.callback(None)
        self.successResultOf(d)
        self.assertIn(self.marker("a", "b"), self.bucket())
        self.assertEqual(len(self.locks), 0)

    # -- removeDirectory ----------------------------------------------------

    def make_tree(self) -> None:
        """
        Make C{/a} with files and nested directories, and siblings whose
        names begin like it.
        """
        self.mkdir("a")
        self.mkfile("a", "f1")
        self.mkdir("a", "b")
        self.mkfile("a", "b", "f2")
        self.mkdir("a", "b", "c")
        self.mkfile("a", "b", "c", "deep")
        self.mkdir("a", "e")
        self.mkfile("ab")
        self.mkdir("ab2")

    def test_remove_directory_removes_tree(self) -> None:
        """
        C{removeDirectory} removes every key below the directory and its
        marker, and nothing else.
        """
        self.make_tree()
        self.successResultOf(self.shell.removeDirectory(["a"]))
        self.assertEqual(self.bucket(), {"ab", self.marker("ab2")})

    def test_remove_directory_order(self) -> None:
        """
        Files are deleted before markers and deeper keys before shallower,
        so that an interruption leaves a well-formed tree.
        """
        self.make_tree()
        self.successResultOf(self.shell.removeDirectory(["a"]))
        deleted = [key for call in self.client.named("delete_objects") for key in call[1]]
        self.assertEqual(
            deleted,
            [
                "a/b/c/deep",
                "a/b/f2",
                "a/f1",
                self.marker("a", "b", "c"),
                self.marker("a", "b"),
                self.marker("a", "e"),
                self.marker("a"),
            ],
        )

    def test_remove_directory_in_batches(self) -> None:
        """
        Keys are deleted in batches of at most C{_DELETE_BATCH}, the batches
        following one another in the same order.
        """
        self.patch(shell_module, "_DELETE_BATCH", 2)
        self.make_tree()
        self.successResultOf(self.shell.removeDirectory(["a"]))
        batches = [call[1] for call in self.client.named("delete_objects")]
        self.assertEqual([len(batch) for batch in batches], [2, 2, 2, 1])
        self.assertEqual(batches[0], ["a/b/c/deep", "a/b/f2"])
        self.assertEqual(batches[-1], [self.marker("a")])

    def test_remove_empty_directory(self) -> None:
        """An empty directory is removed by deleting its marker."""
        self.mkdir("a")
        self.successResultOf(self.shell.removeDirectory(["a"]))
        self.assertEqual(self.bucket(), set())
        self.assertEqual(self.client.changes(), [("delete_objects", [self.marker("a")])])

    def test_remove_implicit_directory(self) -> None:
        """A directory without a marker is removed with its contents."""
        self.mkfile("a", "f")
        self.successResultOf(self.shell.removeDirectory(["a"]))
        self.assertEqual(self.bucket(), set())

    def test_remove_directory_on_file(self) -> None:
        """C{removeDirectory} of a file fails with C{IsNotADirectoryError}."""
        self.mkfile("f")
        error = self.reply_failure(self.shell.removeDirectory(["f"]), ftp.IsNotADirectoryError)
        self.assertEqual(error.args, ("/f",))
        self.assertEqual(self.bucket(), {"f"})
        self.assertEqual(self.client.changes(), [])

    def test_remove_missing_directory(self) -> None:
        """C{removeDirectory} of a missing path fails with C{FileNotFoundError}."""
        self.reply_failure(self.shell.removeDirectory(["missing"]), ftp.FileNotFoundError)
        self.assertEqual(self.client.changes(), [])

    def test_remove_root_directory(self) -> None:
        """The root cannot be removed: C{PermissionDeniedError}, and no S3 call."""
        self.mkfile("f")
        self.reply_failure(self.shell.removeDirectory([]), ftp.PermissionDeniedError)
        self.assertEqual(self.client.calls, [])

    # -- removeFile ---------------------------------------------------------

    def test_remove_file(self) -> None:
        """C{removeFile} deletes the file's key."""
        self.mkdir("d")
        self.mkfile("d", "f")
        self.successResultOf(self.shell.removeFile(["d", "f"]))
        self.assertEqual(self.bucket(), {self.marker("d")})
        self.assertEqual(self.client.changes(), [("delete_object", "d/f")])

    def test_remove_file_on_directory(self) -> None:
        """C{removeFile} of a directory fails with C{IsADirectoryError}."""
        self.mkdir("d")
        self.mkfile("d", "f")
        error = self.reply_failure(self.shell.removeFile(["d"]), ftp.IsADirectoryError)
        self.assertEqual(error.args, ("/d",))
        self.assertEqual(self.client.changes(), [])

    def test_remove_file_on_root(self) -> None:
        """C{removeFile} of the root fails with C{IsADirectoryError}."""
        self.reply_failure(self.shell.removeFile([]), ftp.IsADirectoryError)
        self.assertEqual(self.client.changes(), [])

    def test_remove_missing_file(self) -> None:
        """C{removeFile} of a missing path fails with C{FileNotFoundError}."""
        error = self.reply_failure(self.shell.removeFile(["missing"]), ftp.FileNotFoundError)
        self.assertEqual(error.args, ("/missing",))
        self.assertEqual(self.client.changes(), [])

    # -- rename: files ------------------------------------------------------

    def test_rename_file(self) -> None:
        """A file is renamed by copying it to the new key, then deleting the old one."""
        self.mkfile("old", data=b"contents")
        self.successResultOf(self.shell.rename(["old"], ["new"]))
        self.assertEqual(self.client.objects, {"new": b"contents"})
        self.assertEqual(
            self.client.changes(),
            [("copy_object", "old", "new", len(b"contents")), ("delete_object", "old")],
        )

    def test_rename_file_into_directory(self) -> None:
        """A file is moved into another directory."""
        self.mkdir("d")
        self.mkfile("f", data=b"x")
        self.successResultOf(self.shell.rename(["f"], ["d", "g"]))
        self.assertEqual(self.client.objects, {self.marker("d"): b"", "d/g": b"x"})

    def test_rename_file_replaces_file(self) -> None:
        """Renaming onto an existing file replaces it."""
        self.mkfile("f", data=b"new")
        self.mkfile("g", data=b"old")
        self.successResultOf(self.shell.rename(["f"], ["g"]))
        self.assertEqual(self.client.objects, {"g": b"new"})

    def test_rename_file_missing_target_parent(self) -> None:
        """A target in a missing directory fails with C{FileNotFoundError}; nothing moves."""
        self.mkfile("f")
        error = self.reply_failure(
            self.shell.rename(["f"], ["missing", "g"]), ftp.FileNotFoundError
        )
        self.assertEqual(error.args, ("/missing",))
        self.assertEqual(self.bucket(), {"f"})
        self.assertEqual(self.client.changes(), [])

    def test_rename_file_onto_directory(self) -> None:
        """Renaming a file onto a directory fails with C{IsADirectoryError}; nothing moves."""
        self.mkfile("f")
        self.mkdir("d")
        error = self.reply_failure(self.shell.rename(["f"], ["d"]), ftp.IsADirectoryError)
        self.assertEqual(error.args, ("/d",))
        self.assertEqual(self.bucket(), {"f", self.marker("d")})
        self.assertEqual(self.client.changes(), [])

    def test_rename_onto_itself(self) -> None:
        """Renaming a path onto itself changes nothing."""
        self.mkfile("f")
        self.successResultOf(self.shell.rename(["f"], ["f"]))
        self.assertEqual(self.bucket(), {"f"})
        self.assertEqual(self.client.changes(), [])

    # -- rename: directories ------------------------------------------------

    def make_nested(self) -> None:
        """Make C{/a} with a file, a subdirectory with a file, and an empty one."""
        self.mkdir("a")
        self.mkfile("a", "f", data=b"f data")
        self.mkdir("a", "b")
        self.mkfile("a", "b", "g", data=b"g data")
        self.mkdir("a", "b", "empty")

    def test_rename_directory(self) -> None:
        """
        Renaming a directory moves every key below it, markers included,
        under the new prefix, and leaves none of the old keys.
        """
        self.make_nested()
        self.mkfile("keep")
        self.successResultOf(self.shell.rename(["a"], ["z"]))
        self.assertEqual(
            self.client.objects,
            {
                self.marker("z"): b"",
                "z/f": b"f data",
                self.marker("z", "b"): b"",
                "z/b/g": b"g data",
                self.marker("z", "b", "empty"): b"",
                "keep": b"data",
            },
        )

    def test_rename_directory_copies_before_deleting(self) -> None:
        """Every key is copied before any is deleted: an interruption loses nothing."""
        self.make_nested()
        self.successResultOf(self.shell.rename(["a"], ["z"]))
        names = [call[0] for call in self.client.changes()]
        self.assertEqual(names, ["copy_object"] * 5 + ["delete_objects"])

    def test_rename_directory_into_other_directory(self) -> None:
        """A directory is moved into another directory with its contents."""
        self.make_nested()
        self.mkdir("other")
        self.successResultOf(self.shell.rename(["a"], ["other", "a"]))
        self.assertEqual(
            self.bucket(),
            {
                self.marker("other"),
                self.marker("other", "a"),
                "other/a/f",
                self.marker("other", "a", "b"),
                "other/a/b/g",
                self.marker("other", "a", "b", "empty"),
            },
        )

    def test_rename_implicit_directory(self) -> None:
        """A directory without a marker gets one under its new name."""
        self.mkfile("a", "f")
        self.successResultOf(self.shell.rename(["a"], ["z"]))
        self.assertEqual(self.bucket(), {"z/f", self.marker("z")})

    def test_rename_directory_into_itself(self) -> None:
        """Moving a directory inside itself is refused with a 550; nothing moves."""
        self.make_nested()
        before = dict(self.client.objects)
        error = self.reply_failure(self.shell.rename(["a"], ["a", "b", "a"]), ActionNotTaken)
        self.assertTrue(error.response().startswith("550 /a/b/a"), error.response())
        self.assertEqual(self.client.objects, before)
        self.assertEqual(self.client.changes(), [])

    def test_rename_directory_onto_directory(self) -> None:
        """Renaming a directory onto an existing directory fails with C{FileExistsError}."""
        self.make_nested()
        self.mkdir("z")
        before = dict(self.client.objects)
        error = self.reply_failure(self.shell.rename(["a"], ["z"]), ftp.FileExistsError)
        self.assertEqual(error.args, ("/z",))
        self.assertEqual(self.client.objects, before)
        self.assertEqual(self.client.changes(), [])

    def test_rename_directory_onto_file(self) -> None:
        """Renaming a directory onto an existing file fails with C{FileExistsError}."""
        self.make_nested()
        self.mkfile("z")
        before = dict(self.client.objects)
        self.reply_failure(self.shell.rename(["a"], ["z"]), ftp.FileExistsError)
        self.assertEqual(self.client.objects, before)
        self.assertEqual(self.client.changes(), [])

    def test_rename_directory_onto_its_parent(self) -> None:
        """Renaming a directory onto its own parent fails with C{FileExistsError}."""
        self.make_nested()
        before = dict(self.client.objects)
        self.reply_failure(self.shell.rename(["a", "b"], ["a"]), ftp.FileExistsError)
        self.assertEqual(self.client.objects, before)

    def test_rename_missing_source(self) -> None:
        """Renaming a missing path fails with C{FileNotFoundError}."""
        error = self.reply_failure(self.shell.rename(["missing"], ["new"]), ftp.FileNotFoundError)
        self.assertEqual(error.args, ("/missing",))
        self.assertEqual(self.client.changes(), [])

    def test_rename_missing_onto_itself(self) -> None:
        """Renaming a missing path onto itself fails with C{FileNotFoundError} too."""
        self.reply_failure(self.shell.rename(["missing"], ["missing"]), ftp.FileNotFoundError)

    def test_rename_root(self) -> None:
        """The root can be neither renamed nor the target of a rename."""
        self.mkdir("a")
        self.reply_failure(self.shell.rename([], ["a"]), ftp.PermissionDeniedError)
        self.reply_failure(self.shell.rename(["a"], []), ftp.PermissionDeniedError)
        self.assertEqual(self.client.changes(), [])

    def test_locks_released(self) -> None:
        """No path lock outlives an operation, whether it succeeded or failed."""
        self.make_nested()
        self.successResultOf(self.shell.rename(["a"], ["z"]))
        self.reply_failure(self.shell.rename(["a"], ["y"]), ftp.FileNotFoundError)
        self.reply_failure(self.shell.removeDirectory(["missing"]), ftp.FileNotFoundError)
        self.successResultOf(self.shell.removeDirectory(["z"]))
        self.assertEqual(len(self.locks), 0)

    # -- access -------------------------------------------------------------

    def test_access_directory(self) -> None:
        """C{access} to a directory succeeds."""
        self.mkdir("d")
        self.assertIsNone(self.successResultOf(self.shell.access(["d"])))

    def test_access_implicit_directory(self) -> None:
        """C{access} to a directory that has keys but no marker succeeds."""
        self.mkfile("d", "sub", "f")
        self.successResultOf(self.shell.access(["d"]))
        self.successResultOf(self.shell.access(["d", "sub"]))

    def test_access_root(self) -> None:
        """C{access} to the root of an empty bucket succeeds."""
        self.successResultOf(self.shell.access([]))

    def test_access_file(self) -> None:
        """C{access} to a file fails with C{IsNotADirectoryError}."""
        self.mkfile("f")
        error = self.reply_failure(self.shell.access(["f"]), ftp.IsNotADirectoryError)
        self.assertEqual(error.args, ("/f",))

    def test_access_missing(self) -> None:
        """C{access} to a missing path fails with C{FileNotFoundError}."""
        error = self.reply_failure(self.shell.access(["d", "missing"]), ftp.FileNotFoundError)
        self.assertEqual(error.args, ("/d/missing",))

    # -- stat ---------------------------------------------------------------

    def test_stat_file(self) -> None:
        """C{stat} of a file gives its attributes, in the order asked for."""
        when = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
        self.client.store("f", b"12345", modified=when)
        attributes = self.successResultOf(self.shell.stat(["f"], ALL_KEYS))
        self.assertEqual(self.attributes([("f", attributes)]), {"f": self.file_attributes(5, when)})
        self.assertEqual(
            self.successResultOf(self.shell.stat(["f"], ("directory", "size"))), [False, 5]
        )

    def test_stat_directory(self) -> None:
        """C{stat} of a directory gives a directory's attributes."""
        self.mkdir("d")
        attributes = self.successResultOf(self.shell.stat(["d"], ALL_KEYS))
        self.assertEqual(self.attributes([("d", attributes)]), {"d": self.directory_attributes})

    def test_stat_root(self) -> None:
        """The root is a directory."""
        self.assertEqual(self.successResultOf(self.shell.stat([], ("directory",))), [True])

    def test_stat_no_keys(self) -> None:
        """C{stat} with no attributes asked for gives none."""
        self.mkfile("f")
        self.assertEqual(self.successResultOf(self.shell.stat(["f"])), [])

    def test_stat_missing(self) -> None:
        """C{stat} of a missing path fails with C{FileNotFoundError}."""
        self.reply_failure(self.shell.stat(["missing"], ("size",)), ftp.FileNotFoundError)

    # -- list ---------------------------------------------------------------

    def test_list_root(self) -> None:
        """
        C{list} of the root gives its files and directories with the
        attributes asked for, and nothing from deeper down.
        """
        when = datetime.datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
        self.client.store("f", b"123", modified=when)
        self.mkdir("d")
        self.mkfile("d", "inner")
        self.mkfile("implicit", "x")
        entries = self.successResultOf(self.shell.list([], ALL_KEYS))
        self.assertEqual(
            self.attributes(entries),
            {
                "f": self.file_attributes(3, when),
                "d": self.directory_attributes,
                "implicit": self.directory_attributes,
            },
        )

    def test_list_subdirectory(self) -> None:
        """
        C{list} of a subdirectory gives its files and subdirectories by
        their names in it, without its own marker or any other marker.
        """
        self.mkdir("a")
        self.mkfile("a", "f", data=b"four")
        self.mkdir("a", "sub")
        self.mkdir("a", "sub", "deeper")
        self.mkdir("a", "empty")
        self.mkfile("a", "sub", "g")
        self.mkfile("ab")
        entries = self.successResultOf(self.shell.list(["a"], ALL_KEYS))
        self.assertEqual(
            self.attributes(entries),
            {
                "f": self.file_attributes(4),
                "sub": self.directory_attributes,
                "empty": self.directory_attributes,
            },
        )

    def test_list_empty_directory(self) -> None:
        """An empty directory lists as empty: its own marker is not an entry."""
        self.mkdir("a", "b")
        self.mkdir("a")
        self.assertEqual(self.successResultOf(self.shell.list(["a", "b"], ALL_KEYS)), [])

    def test_list_empty_root(self) -> None:
        """The root of an empty bucket lists as empty."""
        self.assertEqual(self.successResultOf(self.shell.list([], ALL_KEYS)), [])

    def test_list_no_keys(self) -> None:
        """With no attributes asked for, entries carry none."""
        self.mkfile("f")
        self.mkdir("d")
        self.assertEqual(sorted(self.successResultOf(self.shell.list([]))), [("d", []), ("f", [])])

    def test_list_several_pages(self) -> None:
        """
        A listing longer than one page of S3's answer is complete, each
        entry once, whether it is a file or a directory.
        """
        self.mkdir("a")
        files = [f"file{n:02}" for n in range(8)]
        directories = [f"dir{n:02}" for n in range(5)]
        for name in files:
            self.mkfile("a", name)
        for name in directories:
            self.mkdir("a", name)
            self.mkfile("a", name, "inside")
        entries = self.successResultOf(self.shell.list(["a"], ("directory",)))
        self.assertEqual(
            self.attributes(entries),
            {name: [False] for name in files} | {name: [True] for name in directories},
        )
        pages = [call for call in self.client.named("list_objects") if call[2] == "/"]
        self.assertGreater(len(pages), 3)

    def test_list_file(self) -> None:
        """C{list} of a file gives that file alone, under its name."""
        self.mkdir("d")
        self.mkfile("d", "f", data=b"12")
        self.assertEqual(
            self.successResultOf(self.shell.list(["d", "f"], ("size", "directory"))),
            [("f", [2, False])],
        )

    def test_attributes_by_keyword(self) -> None:
        """
        C{list} and C{stat} take the attributes as C{keys=}, the name
        C{IFTPShell} gives that argument.
        """
        self.mkfile("f", data=b"12")
        self.assertEqual(self.successResultOf(self.shell.list([], keys=("size",))), [("f", [2])])
        self.assertEqual(self.successResultOf(self.shell.stat(["f"], keys=("size",))), [2])

    def test_list_missing(self) -> None:
        """C{list} of a missing path fails with C{FileNotFoundError}."""
        error = self.reply_failure(self.shell.list(["missing"], ("size",)), ftp.FileNotFoundError)
        self.assertEqual(error.args, ("/missing",))

    # -- openForReading -----------------------------------------------------

    def test_open_for_reading_missing(self) -> None:
        """Opening a missing file for reading fails with C{FileNotFoundError}."""
        self.reply_failure(self.shell.openForReading(["missing"]), ftp.FileNotFoundError)

    def test_open_for_reading_directory(self) -> None:
        """Opening a directory for reading fails with C{IsADirectoryError}."""
        self.mkdir("d")
        error = self.reply_failure(self.shell.openForReading(["d"]), ftp.IsADirectoryError)
        self.assertEqual(error.args, ("/d",))

    def test_open_for_reading_root(self) -> None:
        """Opening the root for reading fails with C{IsADirectoryError}."""
        self.reply_failure(self.shell.openForReading([]), ftp.IsADirectoryError)

    def test_open_for_reading_file(self) -> None:
        """Opening a file for reading gives an C{IReadFile}."""
        self.mkfile("f")
        reader = self.successResultOf(self.shell.openForReading(["f"]))
        self.assertTrue(verifyObject(ftp.IReadFile, reader))

    def test_reader_provides_download(self) -> None:
        """The file opened for reading provides L{IDownload}, its size the object's."""
        self.mkfile("f", data=b"four")
        reader = self.successResultOf(self.shell.openForReading(["f"]))
        self.assertTrue(verifyObject(IDownload, reader))
        self.assertEqual(reader.size, 4)

    def test_read_file_sends_contents(self) -> None:
        """The C{IReadFile} sends the object's bytes and fires with their count."""
        self.mkdir("d")
        self.mkfile("d", "f", data=b"the contents")
        reader = self.successResultOf(self.shell.openForReading(["d", "f"]))
        consumer = Collector()
        self.assertEqual(self.successResultOf(reader.send(consumer)), len(b"the contents"))
        self.assertEqual(b"".join(consumer.received), b"the contents")

    # -- openForWriting -----------------------------------------------------

    def test_open_for_writing_missing_directory(self) -> None:
        """Opening a file in a missing directory fails with C{FileNotFoundError}."""
        error = self.reply_failure(
            self.shell.openForWriting(["missing", "f"]), ftp.FileNotFoundError
        )
        self.assertEqual(error.args, ("/missing",))
        self.assertEqual(len(self.uploads), 0)

    def test_open_for_writing_directory(self) -> None:
        """Opening a directory's name for writing fails with C{IsADirectoryError}."""
        self.mkdir("d")
        error = self.reply_failure(self.shell.openForWriting(["d"]), ftp.IsADirectoryError)
        self.assertEqual(error.args, ("/d",))
        self.assertEqual(len(self.uploads), 0)

    def test_open_for_writing_root(self) -> None:
        """Opening the root for writing fails with C{IsADirectoryError}."""
        self.reply_failure(self.shell.openForWriting([]), ftp.IsADirectoryError)

    def test_writer_provides_upload(self) -> None:
        """The file opened for writing provides L{IUpload}."""
        target = self.successResultOf(self.shell.openForWriting(["f"]))
        self.assertTrue(verifyObject(IUpload, target))

    def test_upload_bytes_received(self) -> None:
        """An upload counts the bytes its consumer has taken."""
        self.assertEqual(self.upload(["f"], b"three").bytes_received, 5)

    def test_upload_no_storage_error(self) -> None:
        """An upload S3 has not failed has no storage error."""
        self.assertIsNone(self.upload(["f"], b"x").storage_error())

    def test_upload_storage_error(self) -> None:
        """An upload S3 failed gives the reply for S3's error, about its path."""
        self.client.failures["create_multipart_upload"] = S3Error(
            "InternalError", 500, "We had a problem"
        )
        error = self.upload(["f"], b"x" * (MIN_PART_SIZE + 1)).storage_error()
        self.assertIsInstance(error, LocalError)
        self.assertEqual(error.response(), "451 /f: storage unavailable; try again later")

    def test_open_for_writing_gives_write_file(self) -> None:
        """
        Opening a file for writing gives an C{IWriteFile}, registered as an
        upload in progress, and stores nothing yet.
        """
        self.mkdir("d")
        writer = self.successResultOf(self.shell.openForWriting(["d", "f"]))
        self.assertTrue(verifyObject(ftp.IWriteFile, writer))
        self.assertEqual(len(self.uploads), 1)
        self.assertEqual(self.client.changes(), [])

    def test_write_small_file(self) -> None:
        """
        Bytes written into the consumer are stored when the file is closed,
        a small file in one PutObject, and the upload is no longer registered.
        """
        self.mkdir("d")
        target = self.upload(["d", "f"], b"hello, bucket")
        self.assertNotIn("d/f", self.bucket())
        self.successResultOf(target.close())
        self.assertEqual(self.client.objects["d/f"], b"hello, bucket")
        self.assertEqual(self.client.changes(), [("put_object", "d/f", b"hello, bucket")])
        self.assertEqual((len(self.uploads), len(self.locks)), (0, 0))

    def test_write_replaces_file(self) -> None:
        """Writing to an existing file replaces its contents."""
        self.mkfile("f", data=b"old")
        self.successResultOf(self.upload(["f"], b"new").close())
        self.assertEqual(self.client.objects, {"f": b"new"})

    def test_write_large_file(self) -> None:
        """A file larger than a part goes up as a multipart upload."""
        self.mkdir("d")
        data = b"\x01" * MIN_PART_SIZE + b"tail"
        self.successResultOf(self.upload(["d", "f"], data).close())
        self.assertEqual(self.client.objects["d/f"], data)
        self.assertEqual(
            [call[0] for call in self.client.changes()],
            [
                "create_multipart_upload",
                "upload_part",
                "upload_part",
                "complete_multipart_upload",
            ],
        )

    def test_write_parent_removed(self) -> None:
        """
        If the parent directory is removed during the upload, C{close}
        fails with C{FileNotFoundError} and nothing is stored.
        """
        self.mkdir("d")
        target = self.upload(["d", "f"], b"orphan")
        self.successResultOf(self.shell.removeDirectory(["d"]))
        error = self.reply_failure(target.close(), ftp.FileNotFoundError)
        self.assertEqual(error.args, ("/d",))
        self.assertEqual(self.bucket(), set())
        self.assertEqual(self.client.named("put_object"), [])
        self.assertEqual((len(self.uploads), len(self.locks)), (0, 0))

    def test_write_parent_renamed(self) -> None:
        """
        If the parent directory is renamed during the upload, C{close}
        fails with C{FileNotFoundError}: the file appears under neither name.
        """
        self.mkdir("d")
        target = self.upload(["d", "f"], b"orphan")
        self.successResultOf(self.shell.rename(["d"], ["e"]))
        self.reply_failure(target.close(), ftp.FileNotFoundError)
        self.assertEqual(self.bucket(), {self.marker("e")})

    def test_write_large_file_parent_removed(self) -> None:
        """
        If the parent of a multipart upload is removed, C{close} fails with
        C{FileNotFoundError}, the upload is aborted and never completed.
        """
        self.mkdir("d")
        target = self.upload(["d", "f"], bytes(MIN_PART_SIZE + 1))
        self.successResultOf(self.shell.removeDirectory(["d"]))
        self.reply_failure(target.close(), ftp.FileNotFoundError)
        self.assertEqual(self.bucket(), set())
        self.assertEqual(self.client.named("complete_multipart_upload"), [])
        self.assertEqual(len(self.client.named("abort_multipart_upload_quietly")), 1)
        self.assertEqual(self.client.uploads, {})

    # -- S3 errors and refused names become FTP replies ---------------------

    def test_refused_credentials(self) -> None:
        """
        S3 refusing the server's signature is a 451 for C{access} and
        C{list}, and S3's own code is not shown to the user.
        """
        self.client.failures["list_objects"] = S3Error(
            "SignatureDoesNotMatch", 403, "The request signature we calculated does not match"
        )
        for d in [self.shell.access(["d"]), self.shell.list(["d"], ("size",))]:
            error = self.reply_failure(d, ftp.FTPCmdError)
            self.assertTrue(error.response().startswith("451 /d: "), error.response())
            self.assertNotIn("SignatureDoesNotMatch", error.response())

    def test_s3_internal_error(self) -> None:
        """S3 failing is a 451, whichever call failed."""
        self.mkfile("f")
        self.client.failures["head_object"] = S3Error("InternalError", 500, "We had a problem")
        error = self.reply_failure(self.shell.stat(["f"], ("size",)), ftp.FTPCmdError)
        self.assertTrue(error.response().startswith("451 "), error.response())
        del self.client.failures["head_object"]
        self.client.failures["put_object"] = S3Error("InternalError", 500, "We had a problem")
        error = self.reply_failure(self.shell.makeDirectory(["d"]), ftp.FTPCmdError)
        self.assertTrue(error.response().startswith("451 /d: "), error.response())

    def test_s3_not_found_during_change(self) -> None:
        """A key that vanishes under the shell (S3's 404) is a 550 "no such file"."""
        self.mkfile("f")
        self.client.failures["copy_object"] = S3Error("NoSuchKey", 404)
        self.reply_failure(self.shell.rename(["f"], ["g"]), ftp.FileNotFoundError)
        self.assertEqual(len(self.locks), 0)

    def test_name_with_newline(self) -> None:
        """A name with a line feed is refused with a 553 before S3 is asked."""
        for d in [
            self.shell.makeDirectory(["bad\nname"]),
            self.shell.openForWriting(["bad\nname"]),
            self.shell.stat(["d", "bad\nname"], ()),
        ]:
            error = self.reply_failure(d, FileNameNotAllowed)
            self.assertTrue(error.response().startswith("553 "), error.response())
        self.assertEqual(self.client.calls, [])

    def test_rename_to_name_with_newline(self) -> None:
        """A rename to a name with a line feed is refused with a 553; nothing moves."""
        self.mkfile("f")
        error = self.reply_failure(self.shell.rename(["f"], ["bad\nname"]), FileNameNotAllowed)
        self.assertTrue(error.response().startswith("553 "), error.response())
        self.assertEqual(self.client.calls, [])

    def test_refused_rename_target_named(self) -> None:
        """The 553 for a refused rename target names the target, not the source."""
        self.mkfile("f")
        too_long = "x" * 1100
        error = self.reply_failure(self.shell.rename(["f"], [too_long]), FileNameNotAllowed)
        self.assertTrue(error.response().startswith(f"553 /{too_long}: "), error.response())

    def test_refused_name_reply_is_one_line(self) -> None:
        """
        The 553 for a name with a line feed is one reply line: the refused
        name is not echoed raw into it.
        """
        error = self.reply_failure(self.shell.makeDirectory(["x\n230 ok"]), FileNameNotAllowed)
        self.assertNotIn("\n", error.response())


class DotDirSuffixTests(SlashSuffixTests):
    """
    L{S3Shell} honours the C{IFTPShell} contract over an S3 bucket whose
    directory markers have the suffix C{/.dir}.
    """

    suffix = "/.dir"

    def test_reserved_name(self) -> None:
        """
        The marker's name C{.dir} cannot be a file's or a directory's name:
        553, before S3 is asked.
        """
        self.mkdir("d")
        self.mkfile("f")
        calls = list(self.client.calls)
        for d in [
            self.shell.makeDirectory([".dir"]),
            self.shell.openForWriting(["d", ".dir"]),
            self.shell.removeFile(["d", ".dir"]),
            self.shell.rename(["f"], ["d", ".dir"]),
        ]:
            error = self.reply_failure(d, FileNameNotAllowed)
            self.assertTrue(error.response().startswith("553 "), error.response())
        self.assertEqual(self.client.calls, calls)
        self.assertEqual(self.bucket(), {self.marker("d"), "f"})
