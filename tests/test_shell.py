"""
Tests for L{twisted_ftps3.shell}: the FTP file system kept in one bucket.

In the spirit of Twisted's C{IFTPShellTestsMixin}, the shell is driven only
through its C{IFTPShell} methods and the transfer interfaces it hands out.
The store is L{MemoryObjectStore}, an in-memory bucket with S3's listing
semantics, here with pages of three entries so that paging is exercised; it
records every call. Its calls never wait unless told to, so every Deferred
the shell returns has fired by the time it is returned, and the tests are
synchronous. (L{tests.test_shell_contract} runs the shell's contract against
S3 over HTTP as well.)

Every test runs twice: in L{SlashSuffixTests}, where a directory's marker is
C{path/}, and in L{DotDirSuffixTests}, where it is C{path/.dir}.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.protocols import ftp
from twisted.python import filepath
from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from twisted_ftps3.interfaces import IDownload, IUpload
from twisted_ftps3.locks import KeyLocks
from twisted_ftps3.objectkeys import KeyMap
from twisted_ftps3.replies import ActionNotTaken, FileNameNotAllowed, LocalError
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.limits import MIN_PART_SIZE
from twisted_ftps3.s3.upload import UploadRegistry
from twisted_ftps3.shell import S3Shell, ftpshell

from .support.memory_store import STORED_AT, MemoryObjectStore
from .support.producers import FakeProducer, RecordingConsumer

UTC = datetime.timezone.utc
#: Every attribute C{IFTPShell.stat} and C{list} can be asked for.
ALL_KEYS = ("size", "directory", "permissions", "hardlinks", "modified", "owner", "group")


class SlashSuffixTests(SynchronousTestCase):
    """
    L{S3Shell} honours the C{IFTPShell} contract over an S3 bucket whose
    directory markers have the suffix C{/}.
    """

    suffix = "/"

    def setUp(self) -> None:
        self.store = MemoryObjectStore(page_size=3)
        self.keys = KeyMap(self.suffix)
        self.locks = KeyLocks()
        self.uploads = UploadRegistry()
        self.shell = S3Shell(
            self.store,
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
        self.store.store(self.marker(*path))

    def mkfile(self, *path: str, data: bytes = b"data") -> None:
        """Make the file C{path} in the bucket behind the shell's back."""
        self.store.store("/".join(path), data)

    def bucket(self) -> set[str]:
        """Every key in the bucket."""
        return set(self.store.keys())

    def change_names(self) -> list[str]:
        """The names of the calls that may have changed the bucket, in order."""
        return [call[0] for call in self.store.changes()]

    def objects(self) -> dict[str, bytes]:
        """Every key in the bucket, with its bytes."""
        return {key: self.store.data(key) for key in self.store.keys()}

    def reply_failure(self, d: Deferred[Any], kind: type[Exception]) -> Any:
        """The C{kind} exception C{d} failed with, checked to be an FTP reply."""
        error = self.failureResultOf(d, kind).value
        self.assertIsInstance(error, ftp.FTPCmdError)
        return error

    def hold_lock(
        self, *, read: Sequence[Sequence[str]] = (), write: Sequence[Sequence[str]] = ()
    ) -> Deferred[None]:
        """
        Hold the locks of paths, as another operation would, until the
        returned Deferred is fired.
        """
        release: Deferred[None] = Deferred()

        async def holder() -> None:
            async with self.locks.hold(
                read=[self.keys.prefix(path) for path in read],
                write=[self.keys.prefix(path) for path in write],
            ):
                await release

        ensureDeferred(holder())
        return release

    def write(self, target: Any, data: bytes) -> FakeProducer:
        """
        Write C{data} into the upload C{target} as a data connection would;
        return the connection's producer.
        """
        consumer = self.successResultOf(target.receive())
        producer = FakeProducer()
        consumer.registerProducer(producer, True)
        consumer.write(data)
        consumer.unregisterProducer()
        return producer

    def upload(self, path: list[str], data: bytes) -> Any:
        """Open C{path} for writing and write C{data} into it; return the IUpload."""
        target = self.successResultOf(self.shell.openForWriting(path))
        self.write(target, data)
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
        self.assertEqual(self.objects(), {self.marker("new"): b""})
        self.assertEqual(self.store.changes(), [("put_object", self.marker("new"), b"")])

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
        self.assertEqual(self.store.changes(), [])

    def test_make_directory_over_directory(self) -> None:
        """An existing directory makes C{makeDirectory} fail with C{FileExistsError}."""
        self.mkdir("name")
        self.reply_failure(self.shell.makeDirectory(["name"]), ftp.FileExistsError)
        self.assertEqual(self.store.changes(), [])

    def test_make_directory_over_implicit_directory(self) -> None:
        """A directory that exists only through its contents also exists."""
        self.mkfile("name", "f")
        self.reply_failure(self.shell.makeDirectory(["name"]), ftp.FileExistsError)
        self.assertEqual(self.store.changes(), [])

    def test_make_directory_missing_parent(self) -> None:
        """A missing parent makes C{makeDirectory} fail with C{FileNotFoundError}."""
        error = self.reply_failure(
            self.shell.makeDirectory(["missing", "new"]), ftp.FileNotFoundError
        )
        self.assertEqual(error.args, ("/missing",))
        self.assertEqual(self.store.changes(), [])

    def test_make_directory_parent_is_file(self) -> None:
        """A file is no parent: C{makeDirectory} below it fails with C{FileNotFoundError}."""
        self.mkfile("f")
        self.reply_failure(self.shell.makeDirectory(["f", "new"]), ftp.FileNotFoundError)
        self.assertEqual(self.store.changes(), [])

    def test_make_root_directory(self) -> None:
        """The root always exists: making it fails with C{FileExistsError}."""
        self.reply_failure(self.shell.makeDirectory([]), ftp.FileExistsError)
        self.assertEqual(self.store.calls, [])

    def test_make_directory_waits_for_parent_writer(self) -> None:
        """
        C{makeDirectory} waits while another operation changes the parent
        (holds its write lock), and goes on when that operation ends.
        """
        self.mkdir("a")
        release = self.hold_lock(write=[("a",)])
        d = self.shell.makeDirectory(["a", "b"])
        self.assertNoResult(d)
        self.assertEqual(self.store.calls, [])
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
        deleted = [key for call in self.store.named("delete_objects") for key in call[1]]
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
        Keys are deleted in batches of at most S3's C{MAX_DELETE_KEYS}, the
        batches following one another in the same order.
        """
        self.patch(ftpshell, "MAX_DELETE_KEYS", 2)
        self.make_tree()
        self.successResultOf(self.shell.removeDirectory(["a"]))
        batches = [call[1] for call in self.store.named("delete_objects")]
        self.assertEqual([len(batch) for batch in batches], [2, 2, 2, 1])
        self.assertEqual(batches[0], ["a/b/c/deep", "a/b/f2"])
        self.assertEqual(batches[-1], [self.marker("a")])

    def test_remove_empty_directory(self) -> None:
        """An empty directory is removed by deleting its marker."""
        self.mkdir("a")
        self.successResultOf(self.shell.removeDirectory(["a"]))
        self.assertEqual(self.bucket(), set())
        self.assertEqual(self.store.changes(), [("delete_objects", [self.marker("a")])])

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
        self.assertEqual(self.store.changes(), [])

    def test_remove_missing_directory(self) -> None:
        """C{removeDirectory} of a missing path fails with C{FileNotFoundError}."""
        self.reply_failure(self.shell.removeDirectory(["missing"]), ftp.FileNotFoundError)
        self.assertEqual(self.store.changes(), [])

    def test_remove_root_directory(self) -> None:
        """The root cannot be removed: C{PermissionDeniedError}, and no S3 call."""
        self.mkfile("f")
        self.reply_failure(self.shell.removeDirectory([]), ftp.PermissionDeniedError)
        self.assertEqual(self.store.calls, [])

    # -- removeFile ---------------------------------------------------------

    def test_remove_file(self) -> None:
        """C{removeFile} deletes the file's key."""
        self.mkdir("d")
        self.mkfile("d", "f")
        self.successResultOf(self.shell.removeFile(["d", "f"]))
        self.assertEqual(self.bucket(), {self.marker("d")})
        self.assertEqual(self.store.changes(), [("delete_object", "d/f")])

    def test_remove_file_on_directory(self) -> None:
        """C{removeFile} of a directory fails with C{IsADirectoryError}."""
        self.mkdir("d")
        self.mkfile("d", "f")
        error = self.reply_failure(self.shell.removeFile(["d"]), ftp.IsADirectoryError)
        self.assertEqual(error.args, ("/d",))
        self.assertEqual(self.store.changes(), [])

    def test_remove_file_on_root(self) -> None:
        """C{removeFile} of the root fails with C{IsADirectoryError}."""
        self.reply_failure(self.shell.removeFile([]), ftp.IsADirectoryError)
        self.assertEqual(self.store.changes(), [])

    def test_remove_missing_file(self) -> None:
        """C{removeFile} of a missing path fails with C{FileNotFoundError}."""
        error = self.reply_failure(self.shell.removeFile(["missing"]), ftp.FileNotFoundError)
        self.assertEqual(error.args, ("/missing",))
        self.assertEqual(self.store.changes(), [])

    # -- rename: files ------------------------------------------------------

    def test_rename_file(self) -> None:
        """A file is renamed by copying it to the new key, then deleting the old one."""
        self.mkfile("old", data=b"contents")
        self.successResultOf(self.shell.rename(["old"], ["new"]))
        self.assertEqual(self.objects(), {"new": b"contents"})
        self.assertEqual(
            self.store.changes(),
            [("copy_object", "old", "new", len(b"contents")), ("delete_object", "old")],
        )

    def test_rename_file_into_directory(self) -> None:
        """A file is moved into another directory."""
        self.mkdir("d")
        self.mkfile("f", data=b"x")
        self.successResultOf(self.shell.rename(["f"], ["d", "g"]))
        self.assertEqual(self.objects(), {self.marker("d"): b"", "d/g": b"x"})

    def test_rename_file_replaces_file(self) -> None:
        """Renaming onto an existing file replaces it."""
        self.mkfile("f", data=b"new")
        self.mkfile("g", data=b"old")
        self.successResultOf(self.shell.rename(["f"], ["g"]))
        self.assertEqual(self.objects(), {"g": b"new"})

    def test_rename_file_missing_target_parent(self) -> None:
        """A target in a missing directory fails with C{FileNotFoundError}; nothing moves."""
        self.mkfile("f")
        error = self.reply_failure(
            self.shell.rename(["f"], ["missing", "g"]), ftp.FileNotFoundError
        )
        self.assertEqual(error.args, ("/missing",))
        self.assertEqual(self.bucket(), {"f"})
        self.assertEqual(self.store.changes(), [])

    def test_rename_file_onto_directory(self) -> None:
        """Renaming a file onto a directory fails with C{IsADirectoryError}; nothing moves."""
        self.mkfile("f")
        self.mkdir("d")
        error = self.reply_failure(self.shell.rename(["f"], ["d"]), ftp.IsADirectoryError)
        self.assertEqual(error.args, ("/d",))
        self.assertEqual(self.bucket(), {"f", self.marker("d")})
        self.assertEqual(self.store.changes(), [])

    def test_rename_onto_itself(self) -> None:
        """Renaming a path onto itself changes nothing."""
        self.mkfile("f")
        self.successResultOf(self.shell.rename(["f"], ["f"]))
        self.assertEqual(self.bucket(), {"f"})
        self.assertEqual(self.store.changes(), [])

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
            self.objects(),
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
        names = self.change_names()
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
        before = self.objects()
        error = self.reply_failure(self.shell.rename(["a"], ["a", "b", "a"]), ActionNotTaken)
        self.assertTrue(error.response().startswith("550 /a/b/a"), error.response())
        self.assertEqual(self.objects(), before)
        self.assertEqual(self.store.changes(), [])

    def test_rename_directory_onto_directory(self) -> None:
        """Renaming a directory onto an existing directory fails with C{FileExistsError}."""
        self.make_nested()
        self.mkdir("z")
        before = self.objects()
        error = self.reply_failure(self.shell.rename(["a"], ["z"]), ftp.FileExistsError)
        self.assertEqual(error.args, ("/z",))
        self.assertEqual(self.objects(), before)
        self.assertEqual(self.store.changes(), [])

    def test_rename_directory_onto_file(self) -> None:
        """Renaming a directory onto an existing file fails with C{FileExistsError}."""
        self.make_nested()
        self.mkfile("z")
        before = self.objects()
        self.reply_failure(self.shell.rename(["a"], ["z"]), ftp.FileExistsError)
        self.assertEqual(self.objects(), before)
        self.assertEqual(self.store.changes(), [])

    def test_rename_directory_onto_its_parent(self) -> None:
        """Renaming a directory onto its own parent fails with C{FileExistsError}."""
        self.make_nested()
        before = self.objects()
        self.reply_failure(self.shell.rename(["a", "b"], ["a"]), ftp.FileExistsError)
        self.assertEqual(self.objects(), before)

    def test_rename_missing_source(self) -> None:
        """Renaming a missing path fails with C{FileNotFoundError}."""
        error = self.reply_failure(self.shell.rename(["missing"], ["new"]), ftp.FileNotFoundError)
        self.assertEqual(error.args, ("/missing",))
        self.assertEqual(self.store.changes(), [])

    def test_rename_missing_onto_itself(self) -> None:
        """Renaming a missing path onto itself fails with C{FileNotFoundError} too."""
        self.reply_failure(self.shell.rename(["missing"], ["missing"]), ftp.FileNotFoundError)

    def test_rename_root(self) -> None:
        """The root can be neither renamed nor the target of a rename."""
        self.mkdir("a")
        self.reply_failure(self.shell.rename([], ["a"]), ftp.PermissionDeniedError)
        self.reply_failure(self.shell.rename(["a"], []), ftp.PermissionDeniedError)
        self.assertEqual(self.store.changes(), [])

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
        self.store.store("f", b"12345", modified=when)
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
        self.store.store("f", b"123", modified=when)
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
        pages = [call for call in self.store.named("list_objects") if call[2] == "/"]
        self.assertGreater(len(pages), 3)

    def next_page(self, pages: Any) -> Deferred[Any]:
        """The next step of C{list_pages}' iterator C{pages}, as a Deferred."""

        async def step() -> Any:
            return await anext(pages)

        return ensureDeferred(step())

    def directory_pages(self) -> list[tuple[Any, ...]]:
        """The pages of directory listings the store was asked for."""
        return [call for call in self.store.named("list_objects") if call[2] == "/"]

    def test_list_pages_as_asked(self) -> None:
        """
        C{list_pages} gives the entries a page of the store's listing at a
        time, and asks the store for a page only when the next is asked for.
        """
        self.mkdir("a")
        for n in range(7):
            self.mkfile("a", f"f{n}")
        pages = self.shell.list_pages(["a"], ("directory",))
        self.assertEqual(self.directory_pages(), [])
        # The first page holds the directory's own marker too.
        self.assertEqual(
            self.successResultOf(self.next_page(pages)), [("f0", [False]), ("f1", [False])]
        )
        self.assertEqual(len(self.directory_pages()), 1)
        self.assertEqual(
            [name for name, _ in self.successResultOf(self.next_page(pages))], ["f2", "f3", "f4"]
        )
        self.assertEqual(len(self.directory_pages()), 2)
        self.assertEqual(
            [name for name, _ in self.successResultOf(self.next_page(pages))], ["f5", "f6"]
        )
        self.failureResultOf(self.next_page(pages), StopAsyncIteration)
        self.assertEqual(len(self.directory_pages()), 3)

    def test_list_pages_storage_failure(self) -> None:
        """
        A page the store fails to give fails its own step with the FTP reply
        for it (451), after the pages before it were given.
        """
        self.mkdir("a")
        for n in range(7):
            self.mkfile("a", f"f{n}")
        pages = self.shell.list_pages(["a"], ())
        self.successResultOf(self.next_page(pages))
        self.store.fail("list_objects")
        error = self.reply_failure(self.next_page(pages), LocalError)
        self.assertEqual(error.response(), "451 /a: storage unavailable; try again later")

    def test_list_pages_refusal_first(self) -> None:
        """A missing directory is refused by the first step, before any page."""
        pages = self.shell.list_pages(["missing"], ())
        self.reply_failure(self.next_page(pages), ftp.FileNotFoundError)

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
        """
        Opening a missing file for reading fails with C{FileNotFoundError},
        after its GET and a look for a directory of that name.
        """
        self.reply_failure(self.shell.openForReading(["missing"]), ftp.FileNotFoundError)
        self.assertEqual([call[0] for call in self.store.calls], ["open_object", "list_objects"])

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

    def test_read_file_sends_contents(self) -> None:
        """The C{IReadFile} sends the object's bytes and fires with their count."""
        self.mkdir("d")
        self.mkfile("d", "f", data=b"the contents")
        reader = self.successResultOf(self.shell.openForReading(["d", "f"]))
        consumer = RecordingConsumer()
        self.assertEqual(self.successResultOf(reader.send(consumer)), len(b"the contents"))
        self.assertEqual(consumer.data, b"the contents")

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

    def test_open_for_writing_gives_write_file(self) -> None:
        """
        Opening a file for writing gives an C{IWriteFile}, registered as an
        upload in progress, and stores nothing yet.
        """
        self.mkdir("d")
        writer = self.successResultOf(self.shell.openForWriting(["d", "f"]))
        self.assertTrue(verifyObject(ftp.IWriteFile, writer))
        self.assertEqual(len(self.uploads), 1)
        self.assertEqual(self.store.changes(), [])

    def test_write_small_file(self) -> None:
        """
        Bytes written into the consumer are stored when the file is closed,
        a small file in one PutObject, and the upload is no longer registered.
        """
        self.mkdir("d")
        target = self.upload(["d", "f"], b"hello, bucket")
        self.assertNotIn("d/f", self.bucket())
        self.successResultOf(target.close())
        self.assertEqual(self.store.data("d/f"), b"hello, bucket")
        self.assertEqual(self.store.changes(), [("put_object", "d/f", b"hello, bucket")])
        self.assertEqual((len(self.uploads), len(self.locks)), (0, 0))

    def test_write_replaces_file(self) -> None:
        """Writing to an existing file replaces its contents."""
        self.mkfile("f", data=b"old")
        self.successResultOf(self.upload(["f"], b"new").close())
        self.assertEqual(self.objects(), {"f": b"new"})

    def test_write_large_file(self) -> None:
        """A file larger than a part goes up as a multipart upload."""
        self.mkdir("d")
        data = b"\x01" * MIN_PART_SIZE + b"tail"
        self.successResultOf(self.upload(["d", "f"], data).close())
        self.assertEqual(self.store.data("d/f"), data)
        self.assertEqual(
            self.change_names(),
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
        self.assertEqual(self.store.named("put_object"), [])
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
        self.assertEqual(self.store.named("complete_multipart_upload"), [])
        self.assertEqual(len(self.store.named("abort_multipart_upload")), 1)
        self.assertEqual(self.store.uploads, {})

    # -- the transfer interfaces --------------------------------------------

    def test_read_file_provides_download(self) -> None:
        """Opening a file for reading gives an C{IDownload} whose C{size} is the object's."""
        self.mkfile("f", data=b"12345")
        reader = self.successResultOf(self.shell.openForReading(["f"]))
        self.assertTrue(verifyObject(IDownload, reader))
        self.assertEqual(reader.size, 5)

    def test_read_file_one_request(self) -> None:
        """
        Opening a file for reading asks the store once, and sending it asks
        nothing more: the body opened is the one sent.
        """
        self.mkfile("f", data=b"0123456789")
        reader = self.successResultOf(self.shell.openForReading(["f"]))
        self.successResultOf(reader.send(RecordingConsumer()))
        self.assertEqual([call[0] for call in self.store.calls], ["open_object"], self.store.calls)
        self.assertEqual(self.store.held(), [])

    def test_read_file_from_offset(self) -> None:
        """
        Opened from an offset, the file knows its whole size, and
        C{send_from} that offset sends the bytes from there on, from the one
        request made, and fires with their count.
        """
        self.mkfile("f", data=b"0123456789")
        reader = self.successResultOf(self.shell.openForReading(["f"], 4))
        self.assertEqual(reader.size, 10)
        consumer = RecordingConsumer()
        self.assertEqual(self.successResultOf(reader.send_from(consumer, 4)), 6)
        self.assertEqual(consumer.data, b"456789")
        self.assertEqual(self.store.named("open_object"), [("open_object", "f", 4)])

    def test_read_file_at_end(self) -> None:
        """Opened at or past its end, a file still says how long it is, and sends nothing."""
        self.mkfile("f", data=b"abc")
        for offset in (3, 5):
            reader = self.successResultOf(self.shell.openForReading(["f"], offset))
            self.assertEqual(reader.size, 3)
            reader.close()
        self.assertEqual(self.store.held(), [])

    def test_read_file_other_offset(self) -> None:
        """
        Sent from another offset than it was opened at, the file lets the
        opened body go and asks the store again, from that offset.
        """
        self.mkfile("f", data=b"0123456789")
        reader = self.successResultOf(self.shell.openForReading(["f"]))
        consumer = RecordingConsumer()
        self.assertEqual(self.successResultOf(reader.send_from(consumer, 7)), 3)
        self.assertEqual(consumer.data, b"789")
        self.assertEqual(
            self.store.named("open_object"), [("open_object", "f", 0), ("open_object", "f", 7)]
        )
        self.assertEqual(self.store.held(), [])

    def test_read_file_closed_unsent(self) -> None:
        """A file closed without being sent lets its body go, unread."""
        self.mkfile("f")
        reader = self.successResultOf(self.shell.openForReading(["f"]))
        self.assertEqual(len(self.store.held()), 1)
        reader.close()
        self.assertEqual(self.store.held(), [])
        self.assertTrue(self.store.opened[0].discarded)

    def test_read_file_closed_after_sending(self) -> None:
        """Closing a file that was sent changes nothing."""
        self.mkfile("f")
        reader = self.successResultOf(self.shell.openForReading(["f"]))
        self.successResultOf(reader.send(RecordingConsumer()))
        reader.close()
        self.assertFalse(self.store.opened[0].discarded)

    def test_read_file_streams(self) -> None:
        """
        The download registers a streaming producer with the data
        connection before the first byte and unregisters it after the last.
        """
        self.mkfile("f", data=b"bytes")
        reader = self.successResultOf(self.shell.openForReading(["f"]))
        consumer = RecordingConsumer()
        self.successResultOf(reader.send(consumer))
        self.assertEqual(
            consumer.events, [("register", True), ("write", b"bytes"), ("unregister", None)]
        )

    def test_open_for_reading_storage_failure(self) -> None:
        """S3 failing to answer the GET is a 451 about the path, not an S3 error."""
        self.mkdir("d")
        self.mkfile("d", "f")
        self.store.fail("open_object")
        error = self.reply_failure(self.shell.openForReading(["d", "f"]), ftp.FTPCmdError)
        self.assertTrue(error.response().startswith("451 /d/f: "), error.response())

    def test_open_for_reading_access_denied(self) -> None:
        """S3 refusing the server's credentials (403) is a 451 that says so."""
        self.mkfile("f")
        self.store.fail("open_object", S3Error("AccessDenied", 403, "Access Denied"))
        error = self.reply_failure(self.shell.openForReading(["f"]), ftp.FTPCmdError)
        self.assertEqual(
            error.response(), "451 /f: storage refused the server's credentials; try again later"
        )

    def test_read_file_kept_after_removal(self) -> None:
        """
        A file removed between opening and sending is sent as it was
        opened: S3 had answered its GET already.
        """
        self.mkfile("f", data=b"kept")
        reader = self.successResultOf(self.shell.openForReading(["f"]))
        self.successResultOf(self.shell.removeFile(["f"]))
        consumer = RecordingConsumer()
        self.assertEqual(self.successResultOf(reader.send(consumer)), 4)
        self.assertEqual(consumer.data, b"kept")

    def test_read_file_vanished(self) -> None:
        """
        A file removed after it was opened, then asked for from another
        offset, is a 550 "no such file".
        """
        self.mkfile("f")
        reader = self.successResultOf(self.shell.openForReading(["f"]))
        self.successResultOf(self.shell.removeFile(["f"]))
        error = self.reply_failure(reader.send_from(RecordingConsumer(), 1), ftp.FileNotFoundError)
        self.assertEqual(error.args, ("/f",))

    def test_write_file_provides_upload(self) -> None:
        """Opening a file for writing gives an C{IUpload}, with no storage error yet."""
        target = self.successResultOf(self.shell.openForWriting(["f"]))
        self.assertTrue(verifyObject(IUpload, target))
        self.assertEqual((target.bytes_received, target.storage_error()), (0, None))

    def test_bytes_received(self) -> None:
        """C{bytes_received} counts what the data connection wrote."""
        target = self.upload(["f"], b"12345")
        self.write(target, b"678")
        self.assertEqual(target.bytes_received, 8)

    def test_storage_error_after_part_failure(self) -> None:
        """
        When S3 refuses a part, the upload stops its data connection, and
        C{storage_error} and C{close} both give the 451 about the path.
        """
        self.mkdir("d")
        self.store.fail("upload_part")
        target = self.successResultOf(self.shell.openForWriting(["d", "f"]))
        producer = self.write(target, bytes(MIN_PART_SIZE + 1))
        self.assertIn("stop", producer.events)
        error = target.storage_error()
        self.assertIsInstance(error, ftp.FTPCmdError)
        self.assertTrue(error.response().startswith("451 /d/f: "), error.response())
        closed = self.reply_failure(target.close(), ftp.FTPCmdError)
        self.assertEqual(closed.response(), error.response())
        self.assertEqual((self.store.uploads, len(self.uploads)), ({}, 0))

    def test_no_storage_error_after_abort(self) -> None:
        """
        An upload abandoned by the protocol has no storage error: S3 did not
        fail. Nothing is stored, and the upload is no longer registered.
        """
        target = self.upload(["f"], b"half a file")
        self.successResultOf(target.abort("data connection lost"))
        self.assertIsNone(target.storage_error())
        self.assertEqual((self.bucket(), len(self.uploads)), (set(), 0))

    def test_close_storage_failure(self) -> None:
        """S3 failing the upload's PutObject is a 451 from C{close}; the upload is let go."""
        self.store.fail("put_object")
        target = self.upload(["f"], b"x")
        error = self.reply_failure(target.close(), ftp.FTPCmdError)
        self.assertTrue(error.response().startswith("451 /f: "), error.response())
        self.assertEqual((self.bucket(), len(self.uploads), len(self.locks)), (set(), 0, 0))

    # -- openForAppending ---------------------------------------------------

    def test_append_to_small_file(self) -> None:
        """
        APPE (no offset) to a file smaller than a part stores its old bytes
        followed by the new ones, in one PutObject.
        """
        self.mkfile("f", data=b"old ")
        target = self.successResultOf(self.shell.openForAppending(["f"]))
        self.assertTrue(verifyObject(IUpload, target))
        self.write(target, b"new")
        self.successResultOf(target.close())
        self.assertEqual(self.objects(), {"f": b"old new"})
        self.assertEqual(self.store.changes(), [("put_object", "f", b"old new")])

    def test_append_to_missing_file(self) -> None:
        """APPE to a missing file creates it."""
        target = self.successResultOf(self.shell.openForAppending(["f"]))
        self.write(target, b"first")
        self.successResultOf(target.close())
        self.assertEqual(self.objects(), {"f": b"first"})

    def test_append_at_size(self) -> None:
        """REST at the file's size before STOR appends."""
        self.mkfile("f", data=b"123")
        target = self.successResultOf(self.shell.openForAppending(["f"], 3))
        self.write(target, b"45")
        self.successResultOf(target.close())
        self.assertEqual(self.objects(), {"f": b"12345"})

    def test_append_at_other_offset(self) -> None:
        """
        REST at any offset but the file's size before STOR is a 554, and
        nothing is opened or changed.
        """
        self.mkfile("f", data=b"123")
        for offset in (0, 2, 4):
            error = self.reply_failure(self.shell.openForAppending(["f"], offset), ftp.FTPCmdError)
            self.assertTrue(error.response().startswith("554 "), error.response())
        self.assertEqual((self.store.changes(), len(self.uploads)), ([], 0))

    def test_append_to_large_file(self) -> None:
        """
        Appending to a file of a part or more copies its bytes inside S3 as
        the first part, and sends only the new bytes.
        """
        old = b"\x02" * MIN_PART_SIZE
        self.mkfile("f", data=old)
        target = self.successResultOf(self.shell.openForAppending(["f"]))
        self.write(target, b"tail")
        self.successResultOf(target.close())
        self.assertEqual(self.store.data("f"), old + b"tail")
        self.assertEqual(
            self.change_names(),
            [
                "create_multipart_upload",
                "upload_part_copy",
                "upload_part",
                "complete_multipart_upload",
            ],
        )

    def test_append_start_failure(self) -> None:
        """
        S3 failing to read the old bytes is a 451 about the path; the upload
        is abandoned and no longer registered.
        """
        self.mkfile("f", data=b"old")
        self.store.fail("get_object_bytes")
        error = self.reply_failure(self.shell.openForAppending(["f"]), ftp.FTPCmdError)
        self.assertTrue(error.response().startswith("451 /f: "), error.response())
        self.assertEqual((self.objects(), len(self.uploads)), ({"f": b"old"}, 0))

    def test_append_to_directory(self) -> None:
        """Appending to a directory fails with C{IsADirectoryError}."""
        self.mkdir("d")
        self.reply_failure(self.shell.openForAppending(["d"]), ftp.IsADirectoryError)
        self.assertEqual(len(self.uploads), 0)

    # -- S3 errors and refused names become FTP replies ---------------------

    def test_refused_credentials(self) -> None:
        """
        S3 refusing the server's signature is a 451 for C{access} and
        C{list}, and S3's own code is not shown to the user.
        """
        self.store.failures["list_objects"] = S3Error(
            "SignatureDoesNotMatch", 403, "The request signature we calculated does not match"
        )
        for d in [self.shell.access(["d"]), self.shell.list(["d"], ("size",))]:
            error = self.reply_failure(d, ftp.FTPCmdError)
            self.assertTrue(error.response().startswith("451 /d: "), error.response())
            self.assertNotIn("SignatureDoesNotMatch", error.response())

    def test_s3_internal_error(self) -> None:
        """S3 failing is a 451, whichever call failed."""
        self.mkfile("f")
        self.store.failures["head_object"] = S3Error("InternalError", 500, "We had a problem")
        error = self.reply_failure(self.shell.stat(["f"], ("size",)), ftp.FTPCmdError)
        self.assertTrue(error.response().startswith("451 "), error.response())
        del self.store.failures["head_object"]
        self.store.failures["put_object"] = S3Error("InternalError", 500, "We had a problem")
        error = self.reply_failure(self.shell.makeDirectory(["d"]), ftp.FTPCmdError)
        self.assertTrue(error.response().startswith("451 /d: "), error.response())

    def test_s3_not_found_during_change(self) -> None:
        """A key that vanishes under the shell (S3's 404) is a 550 "no such file"."""
        self.mkfile("f")
        self.store.failures["copy_object"] = S3Error("NoSuchKey", 404)
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
        self.assertEqual(self.store.calls, [])

    def test_name_with_nul(self) -> None:
        """
        A name holding NUL is refused with a 553 (a name not allowed), not a
        550, by every operation, before S3 is asked.
        """
        bad = ["d", "a\x00b"]
        self.mkfile("f")
        calls = list(self.store.calls)
        for d in [
            self.shell.makeDirectory(bad),
            self.shell.removeDirectory(bad),
            self.shell.removeFile(bad),
            self.shell.access(bad),
            self.shell.stat(bad, ("size",)),
            self.shell.list(bad, ("size",)),
            self.shell.openForReading(bad),
            self.shell.openForWriting(bad),
            self.shell.openForAppending(bad),
            self.shell.rename(bad, ["g"]),
            self.shell.rename(["f"], bad),
        ]:
            error = self.reply_failure(d, FileNameNotAllowed)
            self.assertTrue(error.response().startswith("553 /d/"), error.response())
        self.assertEqual(self.store.calls, calls)

    def test_rename_to_name_with_newline(self) -> None:
        """A rename to a name with a line feed is refused with a 553; nothing moves."""
        self.mkfile("f")
        error = self.reply_failure(self.shell.rename(["f"], ["bad\nname"]), FileNameNotAllowed)
        self.assertTrue(error.response().startswith("553 "), error.response())
        self.assertEqual(self.store.calls, [])

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
        calls = list(self.store.calls)
        for d in [
            self.shell.makeDirectory([".dir"]),
            self.shell.openForWriting(["d", ".dir"]),
            self.shell.removeFile(["d", ".dir"]),
            self.shell.rename(["f"], ["d", ".dir"]),
        ]:
            error = self.reply_failure(d, FileNameNotAllowed)
            self.assertTrue(error.response().startswith("553 "), error.response())
        self.assertEqual(self.store.calls, calls)
        self.assertEqual(self.bucket(), {self.marker("d"), "f"})


class KeySpaceTests(SynchronousTestCase):
    """
    Shells whose roots are key prefixes of one bucket, sharing one set of
    locks as every session of a process does: each sees only its part of the
    bucket, and they contend only where their key spaces overlap.
    """

    def setUp(self) -> None:
        self.store = MemoryObjectStore(page_size=3)
        self.locks = KeyLocks()
        self.uploads = UploadRegistry()

    def shell(self, root: str) -> S3Shell:
        """A shell whose FTP root is the key prefix C{root}."""
        return S3Shell(
            self.store,
            keys=KeyMap("/", root=root),
            locks=self.locks,
            uploads=self.uploads,
            part_size=MIN_PART_SIZE,
            parts_in_flight=2,
        )

    def test_tree_under_root(self) -> None:
        """
        A shell whose root is C{home/alice/} makes its directories under
        that prefix, and lists and finds nothing outside it.
        """
        self.store.store("home/bob/secret")
        self.store.store("top")
        alice = self.shell("home/alice/")
        self.successResultOf(alice.makeDirectory(["d"]))
        self.successResultOf(alice.rename(["d"], ["e"]))
        self.assertEqual(self.store.keys(), ["home/alice/e/", "home/bob/secret", "top"])
        self.assertEqual(self.successResultOf(alice.list([], ("directory",))), [("e", [True])])
        self.failureResultOf(alice.stat(["top"], ("size",)), ftp.FileNotFoundError)

    def test_overlapping_roots_contend(self) -> None:
        """
        While a shell over the whole bucket removes C{/home/alice}, a shell
        whose root is C{home/alice/} waits to make a directory, asking S3
        nothing, and goes on once the removal is over.
        """
        self.store.store("home/alice/f")
        admin, alice = self.shell(""), self.shell("home/alice/")
        self.store.hold("delete_objects")
        removing = admin.removeDirectory(["home", "alice"])
        self.assertNoResult(removing)
        calls = list(self.store.calls)
        making = alice.makeDirectory(["d"])
        self.assertNoResult(making)
        self.assertEqual(self.store.calls, calls)
        self.store.release("delete_objects")
        self.successResultOf(removing)
        self.successResultOf(making)
        self.assertEqual(self.store.keys(), ["home/alice/d/"])

    def test_disjoint_roots_independent(self) -> None:
        """
        While a shell whose root is C{home/bob/} removes a directory, one
        whose root is C{home/alice/} makes the directory of the same name at
        once: their paths are alike, their keys are not.
        """
        self.store.store("home/bob/d/")
        bob, alice = self.shell("home/bob/"), self.shell("home/alice/")
        self.store.hold("delete_objects")
        removing = bob.removeDirectory(["d"])
        self.assertNoResult(removing)
        self.successResultOf(alice.makeDirectory(["d"]))
        self.store.release("delete_objects")
        self.successResultOf(removing)
        self.assertEqual(self.store.keys(), ["home/alice/d/"])
        self.assertEqual(len(self.locks), 0)
