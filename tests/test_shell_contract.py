"""
The shell's contract, run against every object store it can stand on.

In the style of Twisted's C{IFTPShellTestsMixin}: L{ShellContractMixin}
holds what any C{IFTPShell} over an object store must do, driven only
through C{IFTPShell} and the transfer interfaces, and looked at only
through C{IObjectStore}. It runs over the in-memory store of the unit tests
and over L{S3Client} against moto with signature checks on, so a behaviour
the fake gets wrong and real S3 does not (or the reverse) fails here. Each
store runs the contract twice: with the FTP root at the bucket's root and
directory markers C{path/}, and with the root at a key prefix, neighbours
beside it, and markers C{path/.dir}.

Every test is a coroutine on the real reactor; each gets a bucket of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.protocols import ftp
from twisted.trial.unittest import TestCase
from zope.interface.verify import verifyObject

from twisted_ftps3.interfaces import IDownload, IUpload
from twisted_ftps3.locks import KeyLocks
from twisted_ftps3.objectkeys import KeyMap
from twisted_ftps3.permissions import Permissions
from twisted_ftps3.replies import ActionNotTaken, FileNameNotAllowed, NotPermitted
from twisted_ftps3.s3.client import S3Client
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.http import RetryPolicy
from twisted_ftps3.s3.interfaces import IObjectStore
from twisted_ftps3.s3.limits import MIN_PART_SIZE
from twisted_ftps3.s3.upload import UploadRegistry
from twisted_ftps3.shell import S3Shell

from .support.memory_store import MemoryObjectStore
from .support.moto_client import moto_client
from .support.producers import RecordingConsumer
from .support.s3server import S3Server, s3_server
from .support.server import free_port
from .support.shells import BANK, upload_through

#: Keys beside a prefixed root that no operation under it may touch; the
#: second begins like the root as a string but is not under it as a key.
NEIGHBOURS = {"home/bob/keep": b"bob's", "home/alice-x/keep": b"not alice's"}


class ShellContractMixin:
    """
    What an L{S3Shell} does over any L{IObjectStore}.

    A concrete class sets C{suffix} and C{root} and provides L{make_store}
    and L{broken_store}.
    """

    suffix = "/"
    root = ""

    # The TestCase methods this mixin uses, for the type checker.
    assertEqual: Any
    assertIn: Any
    assertIsInstance: Any
    assertNotIn: Any
    assertTrue: Any
    assertFailure: Any

    def make_store(self) -> IObjectStore:
        """A store over an empty bucket of its own."""
        raise NotImplementedError

    def broken_store(self, kind: str) -> IObjectStore:
        """
        A store whose every call fails: with C{kind} C{"credentials"} as S3
        refusing the server's signature, with C{"unreachable"} as S3 not
        answering at all.
        """
        raise NotImplementedError

    async def setUp(self) -> None:
        self.store = self.make_store()
        self.uploads = UploadRegistry()
        self.shell = self.shell_over(self.store)
        if self.root:
            for key, data in NEIGHBOURS.items():
                await self.store.put_object(key, data)

    def shell_over(self, store: IObjectStore, permissions: Permissions | None = None) -> S3Shell:
        return S3Shell(
            store,
            keys=KeyMap(self.suffix, root=self.root),
            locks=KeyLocks(),
            uploads=self.uploads,
            part_size=MIN_PART_SIZE,
            parts_in_flight=2,
            permissions=permissions,
        )

    # -- helpers ------------------------------------------------------------

    async def write(
        self, path: Sequence[str], data: bytes, *, append: bool = False, offset: int | None = None
    ) -> None:
        """
        Store C{data} at C{path} through the shell, as STOR does; as APPE
        does if C{append}; as REST C{offset} then STOR does if given one.
        """
        await upload_through(self.shell, path, data, append=append, offset=offset)

    async def read(self, path: Sequence[str], offset: int = 0) -> bytes:
        """The bytes of the file at C{path} from C{offset}, read through the shell."""
        source = await self.shell.openForReading(path, offset)
        consumer = RecordingConsumer()
        sent = await source.send_from(consumer, offset)
        self.assertEqual(sent, len(consumer.data))
        return consumer.data

    async def names(self, path: Sequence[str]) -> dict[str, bool]:
        """What C{list} shows in C{path}: each name, and whether it is a directory."""
        entries = await self.shell.list(path, ("directory",))
        return {name: is_directory for name, (is_directory,) in entries}

    async def bucket(self) -> set[str]:
        """Every key in the bucket, as the store lists it."""
        keys: set[str] = set()
        async for page in self.store.iter_pages(""):
            keys.update(entry.key for entry in page.objects)
        return keys

    async def refused(self, d: Deferred[Any], kind: type[Exception]) -> Any:
        """The C{kind} error C{d} fails with, checked to be an FTP reply."""
        error = await self.assertFailure(d, kind)
        self.assertIsInstance(error, ftp.FTPCmdError)
        return error

    async def make_tree(self) -> None:
        """C{/a} holding a file, a directory with a file, and an empty directory."""
        await self.shell.makeDirectory(["a"])
        await self.write(["a", "f"], b"f data")
        await self.shell.makeDirectory(["a", "b"])
        await self.write(["a", "b", "g"], b"g data")
        await self.shell.makeDirectory(["a", "b", "empty"])

    # -- the interfaces -----------------------------------------------------

    async def test_provides_interfaces(self) -> None:
        """The shell is an C{IFTPShell}; its files are an C{IDownload} and an C{IUpload}."""
        self.assertTrue(verifyObject(ftp.IFTPShell, self.shell))
        upload = await self.shell.openForWriting(["f"])
        self.assertTrue(verifyObject(IUpload, upload))
        await upload.close()
        self.assertTrue(verifyObject(IDownload, await self.shell.openForReading(["f"])))

    # -- makeDirectory and removeDirectory ----------------------------------

    async def test_make_directory(self) -> None:
        """A new directory can be entered and is listed, as a directory, in its parent."""
        await self.shell.makeDirectory(["d"])
        await self.shell.makeDirectory(["d", "e"])
        await self.shell.access(["d", "e"])
        self.assertEqual(await self.names(["d"]), {"e": True})

    async def test_make_existing_directory(self) -> None:
        """Making a directory that exists, or the root, fails with C{FileExistsError}."""
        await self.shell.makeDirectory(["d"])
        await self.refused(self.shell.makeDirectory(["d"]), ftp.FileExistsError)
        await self.refused(self.shell.makeDirectory([]), ftp.FileExistsError)

    async def test_make_directory_over_file(self) -> None:
        """Making a directory where a file is fails with C{FileExistsError}."""
        await self.write(["f"], b"x")
        error = await self.refused(self.shell.makeDirectory(["f"]), ftp.FileExistsError)
        self.assertEqual(error.args, ("/f",))

    async def test_make_directory_missing_parent(self) -> None:
        """Making a directory in a missing one fails with C{FileNotFoundError}."""
        error = await self.refused(self.shell.makeDirectory(["no", "d"]), ftp.FileNotFoundError)
        self.assertEqual(error.args, ("/no",))

    async def test_remove_directory(self) -> None:
        """Removing a directory removes everything in it; the rest stays."""
        await self.make_tree()
        await self.write(["keep"], b"k")
        await self.shell.removeDirectory(["a"])
        await self.refused(self.shell.access(["a"]), ftp.FileNotFoundError)
        self.assertEqual(await self.names([]), {"keep": False})

    async def test_remove_directory_refusals(self) -> None:
        """
        Removing a file as a directory fails with C{IsNotADirectoryError}, a
        missing one with C{FileNotFoundError}, the root with
        C{PermissionDeniedError}.
        """
        await self.write(["f"], b"x")
        await self.refused(self.shell.removeDirectory(["f"]), ftp.IsNotADirectoryError)
        await self.refused(self.shell.removeDirectory(["no"]), ftp.FileNotFoundError)
        await self.refused(self.shell.removeDirectory([]), ftp.PermissionDeniedError)
        self.assertEqual(await self.names([]), {"f": False})

    # -- removeFile ---------------------------------------------------------

    async def test_remove_file(self) -> None:
        """A removed file is gone."""
        await self.write(["f"], b"x")
        await self.shell.removeFile(["f"])
        await self.refused(self.shell.stat(["f"], ("size",)), ftp.FileNotFoundError)

    async def test_remove_file_refusals(self) -> None:
        """
        Removing a directory as a file fails with C{IsADirectoryError}, a
        missing file with C{FileNotFoundError}.
        """
        await self.shell.makeDirectory(["d"])
        await self.refused(self.shell.removeFile(["d"]), ftp.IsADirectoryError)
        error = await self.refused(self.shell.removeFile(["d", "no"]), ftp.FileNotFoundError)
        self.assertEqual(error.args, ("/d/no",))

    # -- rename -------------------------------------------------------------

    async def test_rename_file(self) -> None:
        """A renamed file has its bytes under the new name, into another directory too."""
        await self.shell.makeDirectory(["d"])
        await self.write(["f"], b"contents")
        await self.shell.rename(["f"], ["d", "g"])
        self.assertEqual(await self.read(["d", "g"]), b"contents")
        self.assertEqual(await self.names([]), {"d": True})

    async def test_rename_file_replaces(self) -> None:
        """Renaming a file onto another replaces it."""
        await self.write(["f"], b"new")
        await self.write(["g"], b"old")
        await self.shell.rename(["f"], ["g"])
        self.assertEqual((await self.read(["g"]), await self.names([])), (b"new", {"g": False}))

    async def test_rename_file_refusals(self) -> None:
        """
        Renaming a missing file, or into a missing directory, fails with
        C{FileNotFoundError}; onto a directory with C{IsADirectoryError};
        the root with C{PermissionDeniedError}. Nothing moves.
        """
        await self.write(["f"], b"x")
        await self.shell.makeDirectory(["d"])
        await self.refused(self.shell.rename(["no"], ["g"]), ftp.FileNotFoundError)
        await self.refused(self.shell.rename(["f"], ["no", "g"]), ftp.FileNotFoundError)
        await self.refused(self.shell.rename(["f"], ["d"]), ftp.IsADirectoryError)
        await self.refused(self.shell.rename([], ["g"]), ftp.PermissionDeniedError)
        self.assertEqual(await self.names([]), {"f": False, "d": True})

    async def test_rename_directory(self) -> None:
        """A renamed directory has all its contents under the new name, the old name none."""
        await self.make_tree()
        await self.shell.makeDirectory(["other"])
        await self.shell.rename(["a"], ["other", "z"])
        await self.refused(self.shell.access(["a"]), ftp.FileNotFoundError)
        self.assertEqual(await self.names(["other", "z"]), {"f": False, "b": True})
        self.assertEqual(await self.names(["other", "z", "b"]), {"g": False, "empty": True})
        self.assertEqual(await self.read(["other", "z", "b", "g"]), b"g data")

    async def test_rename_directory_refusals(self) -> None:
        """
        Moving a directory inside itself is a 550; onto an existing
        directory a C{FileExistsError}. Nothing moves.
        """
        await self.make_tree()
        await self.shell.makeDirectory(["z"])
        error = await self.refused(self.shell.rename(["a"], ["a", "b", "a"]), ActionNotTaken)
        self.assertTrue(error.response().startswith("550 /a/b/a"), error.response())
        await self.refused(self.shell.rename(["a"], ["z"]), ftp.FileExistsError)
        self.assertEqual(await self.names(["a"]), {"f": False, "b": True})

    # -- access, stat and list ----------------------------------------------

    async def test_access(self) -> None:
        """
        The root and a directory can be entered; a file cannot
        (C{IsNotADirectoryError}), nor a missing path (C{FileNotFoundError}).
        """
        await self.shell.access([])
        await self.shell.makeDirectory(["d"])
        await self.shell.access(["d"])
        await self.write(["d", "f"], b"x")
        await self.refused(self.shell.access(["d", "f"]), ftp.IsNotADirectoryError)
        await self.refused(self.shell.access(["d", "no"]), ftp.FileNotFoundError)

    async def test_stat(self) -> None:
        """C{stat} gives a file's size and a directory's kind, in the order asked."""
        await self.shell.makeDirectory(["d"])
        await self.write(["d", "f"], b"12345")
        self.assertEqual(await self.shell.stat(["d", "f"], ("directory", "size")), [False, 5])
        self.assertEqual(await self.shell.stat(["d"], ("directory",)), [True])
        self.assertEqual(await self.shell.stat([], ("directory",)), [True])
        [modified] = await self.shell.stat(["d", "f"], ("modified",))
        self.assertIsInstance(modified, float)

    async def test_stat_missing(self) -> None:
        """C{stat} of a missing path fails with C{FileNotFoundError}."""
        error = await self.refused(self.shell.stat(["no"], ("size",)), ftp.FileNotFoundError)
        self.assertEqual(error.args, ("/no",))

    async def test_list(self) -> None:
        """
        C{list} gives each file and directory of a directory once, with the
        attributes asked, without markers, whether the listing takes one
        page or several.
        """
        await self.shell.makeDirectory(["d"])
        for n in range(4):
            await self.write(["d", f"file{n}"], b"x" * n)
            await self.shell.makeDirectory(["d", f"dir{n}"])
        entries = await self.shell.list(["d"], ("size", "directory"))
        self.assertEqual(
            sorted(entries),
            sorted(
                [(f"file{n}", [n, False]) for n in range(4)]
                + [(f"dir{n}", [0, True]) for n in range(4)]
            ),
        )

    async def test_list_root_and_empty(self) -> None:
        """An empty root, and an empty directory, list as empty."""
        self.assertEqual(await self.names([]), {})
        await self.shell.makeDirectory(["d"])
        self.assertEqual(await self.names(["d"]), {})

    async def test_list_file_and_missing(self) -> None:
        """C{list} of a file gives that file; of a missing path, C{FileNotFoundError}."""
        await self.write(["f"], b"12")
        self.assertEqual(await self.shell.list(["f"], ("size",)), [("f", [2])])
        await self.refused(self.shell.list(["no"], ("size",)), ftp.FileNotFoundError)

    # -- openForReading -----------------------------------------------------

    async def test_read(self) -> None:
        """A file is read whole, or from an offset; its C{size} is known at open."""
        await self.write(["f"], b"0123456789")
        self.assertEqual((await self.shell.openForReading(["f"])).size, 10)
        self.assertEqual(await self.read(["f"]), b"0123456789")
        self.assertEqual(await self.read(["f"], 7), b"789")

    async def test_read_refusals(self) -> None:
        """
        Reading a directory or the root fails with C{IsADirectoryError}, a
        missing file with C{FileNotFoundError}.
        """
        await self.shell.makeDirectory(["d"])
        await self.refused(self.shell.openForReading(["d"]), ftp.IsADirectoryError)
        await self.refused(self.shell.openForReading([]), ftp.IsADirectoryError)
        await self.refused(self.shell.openForReading(["no"]), ftp.FileNotFoundError)

    async def test_read_after_removal(self) -> None:
        """
        A file removed after it was opened is still sent as it was opened
        (S3 answered its GET already); asked for from another offset, it is
        asked for again, and gone: C{FileNotFoundError}.
        """
        await self.write(["f"], b"xy")
        source = await self.shell.openForReading(["f"])
        other = await self.shell.openForReading(["f"])
        await self.shell.removeFile(["f"])
        consumer = RecordingConsumer()
        self.assertEqual(await source.send(consumer), 2)
        self.assertEqual(consumer.data, b"xy")
        await self.refused(other.send_from(RecordingConsumer(), 1), ftp.FileNotFoundError)

    async def test_read_at_end(self) -> None:
        """
        Opened at its end, or past it, a file says how long it is and
        sends nothing; so does an empty file opened at 0.
        """
        await self.write(["f"], b"abc")
        await self.write(["empty"], b"")
        for path, offset in ((["f"], 3), (["f"], 4), (["empty"], 0)):
            source = await self.shell.openForReading(path, offset)
            self.assertEqual(source.size, len(await self.read(path)), (path, offset))
            consumer = RecordingConsumer()
            self.assertEqual(await source.send_from(consumer, offset), 0)
            self.assertEqual(consumer.data, b"")

    # -- openForWriting and openForAppending --------------------------------

    async def test_write(self) -> None:
        """A written file holds the bytes written, and replaces what was there."""
        await self.write(["f"], b"old")
        await self.write(["f"], b"new bytes")
        self.assertEqual(await self.read(["f"]), b"new bytes")
        self.assertEqual(len(self.uploads), 0)

    async def test_write_refusals(self) -> None:
        """
        Writing into a missing directory fails with C{FileNotFoundError};
        onto a directory or the root with C{IsADirectoryError}.
        """
        await self.shell.makeDirectory(["d"])
        await self.refused(self.shell.openForWriting(["no", "f"]), ftp.FileNotFoundError)
        await self.refused(self.shell.openForWriting(["d"]), ftp.IsADirectoryError)
        await self.refused(self.shell.openForWriting([]), ftp.IsADirectoryError)
        self.assertEqual(len(self.uploads), 0)

    async def test_write_aborted(self) -> None:
        """An aborted upload stores nothing, and has no storage error."""
        target = await self.shell.openForWriting(["f"])
        consumer = await target.receive()
        consumer.write(b"half")
        await target.abort("data connection lost")
        self.assertIsNone(target.storage_error())
        await self.refused(self.shell.stat(["f"], ("size",)), ftp.FileNotFoundError)

    async def test_append(self) -> None:
        """APPE adds to a file, or makes it; REST at the size then STOR adds too."""
        await self.write(["f"], b"one ", append=True)
        await self.write(["f"], b"two ", append=True)
        await self.write(["f"], b"three", offset=len(b"one two "))
        self.assertEqual(await self.read(["f"]), b"one two three")

    async def test_append_at_wrong_offset(self) -> None:
        """REST at any offset but the size before STOR is a 554; the file stays."""
        await self.write(["f"], b"123")
        error = await self.refused(self.shell.openForAppending(["f"], 1), ftp.FTPCmdError)
        self.assertTrue(error.response().startswith("554 "), error.response())
        self.assertEqual(await self.read(["f"]), b"123")

    # -- names the store cannot hold ----------------------------------------

    async def test_refused_names(self) -> None:
        """
        A name with NUL, CR or LF, or a path too long for a key, is a 553
        (C{FileNameNotAllowed}), never a 550, for making and for writing.
        """
        for name in ["nul\x00", "cr\r", "lf\n", "x" * 1025]:
            for d in [self.shell.makeDirectory([name]), self.shell.openForWriting(["d", name])]:
                error = await self.refused(d, FileNameNotAllowed)
                self.assertTrue(error.response().startswith("553 /"), error.response())
        self.assertEqual(await self.names([]), {})

    async def test_names_kept_as_they_are(self) -> None:
        """
        Names with percent signs, backslashes and dots among other
        characters are stored at the keys they spell under the root: S3
        decodes nothing, so none of them climbs out.
        """
        names = ["%2e%2e", "..%2f..%2fbob%2fkeep", "%00", "a\\b", "...", "100%"]
        for name in names:
            await self.write([name], name.encode())
        self.assertEqual(await self.names([]), {name: False for name in names})
        for name in names:
            self.assertEqual(await self.read([name]), name.encode())
        inside = {key[len(self.root) :] for key in await self.bucket() if key.startswith(self.root)}
        self.assertEqual(inside, set(names))

    async def test_refused_rename_target(self) -> None:
        """A rename to a name that cannot be stored is a 553; nothing moves."""
        await self.write(["f"], b"x")
        await self.refused(self.shell.rename(["f"], ["nul\x00"]), FileNameNotAllowed)
        self.assertEqual(await self.names([]), {"f": False})

    # -- storage failures ---------------------------------------------------

    async def test_refused_credentials(self) -> None:
        """
        S3 refusing the server's credentials is a 451 for every operation,
        which does not show S3's error code.
        """
        shell = self.shell_over(self.broken_store("credentials"))
        for d in [
            shell.access(["d"]),
            shell.makeDirectory(["d"]),
            shell.list([], ("size",)),
            shell.openForWriting(["f"]),
        ]:
            error = await self.refused(d, ftp.FTPCmdError)
            self.assertTrue(error.response().startswith("451 /"), error.response())
            self.assertNotIn("SignatureDoesNotMatch", error.response())

    async def test_unreachable(self) -> None:
        """S3 not answering is a 451 that says the storage is unavailable."""
        shell = self.shell_over(self.broken_store("unreachable"))
        error = await self.refused(shell.stat(["f"], ("size",)), ftp.FTPCmdError)
        self.assertTrue(error.response().startswith("451 /f: storage unavailable"))

    # -- the root -----------------------------------------------------------

    async def test_outside_root_untouched(self) -> None:
        """
        Whatever the shell does, the keys outside its root stay as they
        were, and none of them is listed.
        """
        await self.make_tree()
        await self.shell.rename(["a"], ["z"])
        await self.shell.removeDirectory(["z", "b"])
        self.assertEqual(await self.names([]), {"z": True})
        outside = {key for key in await self.bucket() if not key.startswith(self.root)}
        self.assertEqual(outside, set(NEIGHBOURS) if self.root else set())
        for key in outside:
            self.assertEqual(await self.store.get_object_bytes(key), NEIGHBOURS[key])

    # -- permissions --------------------------------------------------------

    async def test_bank_layout(self) -> None:
        """
        The bank layout: the boxes exist without markers; an upload to the
        inbox is stored once and never replaced; the outbox is read-only;
        every refusal is a 550 and leaves the bucket as it was.
        """
        # Put there by the bank, by another tool: no directory markers.
        await self.store.put_object(self.root + "outbox/statement", b"statement")
        self.shell = self.shell_over(self.store, Permissions.from_mapping(BANK))
        self.assertEqual(await self.names([]), {"inbox": True, "outbox": True})
        await self.write(["inbox", "payment"], b"pay")
        before = {key: await self.store.get_object_bytes(key) for key in await self.bucket()}
        refusals = [
            self.write(["inbox", "payment"], b"evil"),
            self.write(["inbox", "payment"], b"evil", append=True),
            self.shell.list(["inbox"], ()),
            self.shell.openForReading(["inbox", "payment"]),
            self.write(["outbox", "statement"], b"evil"),
            self.shell.removeFile(["outbox", "statement"]),
            self.shell.rename(["outbox", "statement"], ["inbox", "x"]),
            self.shell.removeDirectory(["inbox"]),
            self.shell.makeDirectory(["new"]),
        ]
        for refusal in refusals:
            error = await self.refused(ensureDeferred(refusal), NotPermitted)
            self.assertTrue(error.response().startswith("550 /"), error.response())
        after = {key: await self.store.get_object_bytes(key) for key in await self.bucket()}
        self.assertEqual(after, before)
        self.assertEqual(await self.read(["outbox", "statement"]), b"statement")


class HomeRootMixin:
    """The contract again with the FTP root at a key prefix, and markers C{path/.dir}."""

    suffix = "/.dir"
    root = "home/alice/"


class MemoryStoreContract(ShellContractMixin):
    """The contract over the in-memory store, with pages of three entries."""

    def make_store(self) -> IObjectStore:
        return MemoryObjectStore(page_size=3)

    def broken_store(self, kind: str) -> IObjectStore:
        store = MemoryObjectStore()
        for name in IObjectStore.names():
            if kind == "credentials":
                store.fail(name, S3Error("SignatureDoesNotMatch", 403, "The request signature"))
            else:
                store.drop(name)
        return store


class MemoryStoreShellTests(MemoryStoreContract, TestCase):
    """The S3 shell over the in-memory store, rooted at the bucket's root."""


class MemoryStoreHomeShellTests(HomeRootMixin, MemoryStoreContract, TestCase):
    """The S3 shell over the in-memory store, rooted at C{home/alice/}."""


class MotoContract(ShellContractMixin):
    """
    The contract over L{S3Client} against moto, which checks every
    request's signature; each test has a bucket of its own.
    """

    s3: S3Server

    def make_store(self) -> IObjectStore:
        self.s3 = s3_server()
        return self.client(self.s3.create_bucket("shell"), self.s3.secret_access_key)

    def client(
        self,
        bucket: str,
        secret: str,
        endpoint: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> S3Client:
        """An S3 client for C{bucket}, its connections closed when the test ends."""
        return moto_client(self, self.s3, bucket, secret=secret, netloc=endpoint, retry=retry)

    def broken_store(self, kind: str) -> IObjectStore:
        bucket = self.store.bucket
        if kind == "credentials":
            return self.client(bucket, "not-" + self.s3.secret_access_key)
        # Nothing listens on a port just freed; one attempt, so no retry waits.
        closed = f"127.0.0.1:{free_port()}"
        return self.client(bucket, self.s3.secret_access_key, closed, RetryPolicy(patience=0))


class MotoShellTests(MotoContract, TestCase):
    """The S3 shell over S3 (moto), rooted at the bucket's root."""


class MotoHomeShellTests(HomeRootMixin, MotoContract, TestCase):
    """The S3 shell over S3 (moto), rooted at C{home/alice/}."""
