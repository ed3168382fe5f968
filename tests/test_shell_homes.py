"""
Tests for homes: a user's C{/} is a key prefix of the bucket, and nothing
outside it is reachable by any path.

Twisted resolves C{.} and C{..} before the shell is asked, and refuses to
climb above C{/}; these tests give the shell the segments that could still
arrive (names with backslashes, percent signs, NUL, a slash) and check
that each either stays inside the home or is refused with 553, and that no
reply names a key. The last tests run the real protocol over a shell with
a home, as a client sees it.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.protocols import ftp
from zope.interface.verify import verifyObject

from twisted_ftps3.config import User
from twisted_ftps3.permissions import Permissions
from twisted_ftps3.replies import FileNameNotAllowed, LocalError
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.shell import S3Shell

from .support.memory_store import MemoryObjectStore
from .support.producers import FakeProducer
from .support.session import SessionTestCase
from .support.shells import BANK, UserShellTestCase, memory_shells, user

#: Segments that must never become keys: C{.} and C{..} (alone or between
#: backslashes, as Windows reads them), NUL and other control characters,
#: a slash, nothing at all.
REFUSED = (
    "..",
    ".",
    "..\\bank",
    "a\\..\\..\\bank",
    "\\..",
    "a\x00b",
    "\x00",
    "a\nb",
    "",
    "../bank",
    "a/../../bank",
)
#: Segments that are names like any other: they become keys under the home.
KEPT = ("%2e%2e", "%2e%2e%2fbank", "..%2f..%2fbank%2fkeep", "%00", "a\\b", "...", "..a", "%")


class HomeTests(UserShellTestCase):
    """A shell at a home sees and changes only the keys under it."""

    def test_new_home(self) -> None:
        """A home with nothing in it, not even a marker, lists empty and takes an upload."""
        shell = self.shell()
        self.assertEqual(self.listed(shell, []), {})
        self.successResultOf(shell.access([]))
        self.successResultOf(self.upload(shell, ["f"], b"first"))
        self.assertEqual(
            self.store.keys(), ["partners/acme-old/keep", "partners/acme/f", "partners/bank/keep"]
        )

    def test_root_never_removed_or_renamed(self) -> None:
        """The home itself cannot be removed, renamed, or made."""
        shell = self.shell()
        self.failureResultOf(shell.removeDirectory([]), ftp.PermissionDeniedError)
        self.failureResultOf(shell.rename([], ["x"]), ftp.PermissionDeniedError)
        self.failureResultOf(shell.makeDirectory([]), ftp.FileExistsError)
        self.assertEqual(self.store.changes(), [])

    def calls(self, shell: S3Shell, name: str) -> list[Deferred[Any]]:
        """Every shell method, given C{name} as a path (alone, inside a directory, as a target)."""
        results: list[Deferred[Any]] = []
        for path in ([name], ["d", name]):
            results += [
                shell.makeDirectory(path),
                shell.removeDirectory(path),
                shell.removeFile(path),
                shell.rename(path, ["d", "x"]),
                shell.rename(["d", "x"], path),
                shell.access(path),
                shell.stat(path, ("size",)),
                shell.list(path, ("size",)),
                shell.openForReading(path),
                shell.openForWriting(path),
                shell.openForAppending(path, None),
                shell.openForAppending(path, 0),
            ]
        return results

    def test_refused_names(self) -> None:
        """
        Each segment that could climb out, or is no name, is refused with
        553 by every method, before S3 is asked anything.
        """
        self.put("d", "x")
        shell = self.shell()
        for name in REFUSED:
            for d in self.calls(shell, name):
                reply = self.failureResultOf(d, FileNameNotAllowed).value.response()
                self.assertTrue(reply.startswith("553 "), (name, reply))
                self.assertNotIn("partners", reply)
        self.assertEqual(self.store.calls, [])

    def test_kept_names(self) -> None:
        """
        Names with percent signs, backslashes between other characters, or
        dots beside other characters are stored under the home as they
        are: nothing decodes them.
        """
        shell = self.shell()
        for name in KEPT:
            self.successResultOf(self.upload(shell, [name], name.encode()))
            self.successResultOf(shell.makeDirectory([name + "-d"]))
            self.successResultOf(self.upload(shell, [name + "-d", name], b"inside"))
        expected = {name: name.encode() for name in KEPT}
        expected.update({f"{name}-d/": b"" for name in KEPT})
        expected.update({f"{name}-d/{name}": b"inside" for name in KEPT})
        self.assertEqual(self.home_objects(), expected)
        for key, data in self.neighbour.items():
            self.assertEqual(self.store.data(key), data)
        self.assertEqual(set(self.listed(shell, [])), {*KEPT, *(f"{name}-d" for name in KEPT)})

    def test_neighbours_unreachable(self) -> None:
        """A name like a neighbour's home is a name in this home, and not found."""
        shell = self.shell()
        for path in (["partners", "bank", "keep"], ["bank", "keep"], ["acme-old", "keep"]):
            self.failureResultOf(shell.openForReading(path), ftp.FileNotFoundError)
            self.failureResultOf(shell.removeFile(path), ftp.FileNotFoundError)
        self.failureResultOf(shell.removeDirectory(["acme-old"]), ftp.FileNotFoundError)
        self.assertEqual(self.store.changes(), [])
        for key, data in self.neighbour.items():
            self.assertEqual(self.store.data(key), data)

    def test_replies_name_paths(self) -> None:
        """
        Replies about a path name the FTP path, never the home's key prefix:
        not found, exists, refused by permission, and S3 failing.
        """
        self.put("d", "f")
        shell = self.shell(["list"])
        replies = [
            self.failureResultOf(shell.stat(["d", "missing"], ())).value.response(),
            self.failureResultOf(shell.access(["d", "f"])).value.response(),
            self.failureResultOf(shell.removeFile(["d", "f"])).value.response(),
        ]
        self.store.fail(
            "list_objects", S3Error("AccessDenied", 403, "Access Denied", key=self.home + "d/")
        )
        replies.append(self.failureResultOf(shell.list(["d"], ()), LocalError).value.response())
        self.assertEqual(
            replies,
            [
                "550 /d/missing: No such file or directory.",
                "550 Cannot rmd, /d/f is not a directory",
                "550 /d/f: deleting is not permitted: the 'delete' permission is missing in /d.",
                "451 /d: storage refused the server's credentials; try again later",
            ],
        )
        for reply in replies:
            self.assertNotIn("partners", reply)


class SharedLockTests(UserShellTestCase):
    """
    Shells of different homes over one bucket share the process's locks,
    which are keyed by key prefix: where their keys meet, they wait for
    each other.
    """

    def test_rename_blocks_other_homes_upload(self) -> None:
        """
        While an operator whose home is C{partners/} renames
        C{/acme/d}, acme's upload into C{/d} waits to complete; when the
        rename is over, the upload finds its directory gone and stores
        nothing.
        """
        self.put("d", "f")
        operator, acme = self.shell(home="partners/"), self.shell()
        upload = self.successResultOf(acme.openForWriting(["d", "g"]))
        self.store.hold("copy_object")
        renaming = operator.rename(["acme", "d"], ["acme", "e"])
        self.assertNoResult(renaming)
        consumer = self.successResultOf(upload.receive())
        consumer.registerProducer(FakeProducer(), True)
        consumer.write(b"late")
        consumer.unregisterProducer()
        calls = len(self.store.calls)
        closing = upload.close()
        self.assertNoResult(closing)
        self.assertEqual(len(self.store.calls), calls)
        self.store.release("copy_object")
        self.successResultOf(renaming)
        self.failureResultOf(closing, ftp.FileNotFoundError)
        self.assertEqual(self.home_objects(), {"e/": b"", "e/f": b"data"})
        self.assertEqual(len(self.locks), 0)

    def test_same_home(self) -> None:
        """
        Two users with one home: while one renames C{/d}, the other's MKD
        inside it waits, then finds C{/d} gone.
        """
        self.put("d", "f")
        one, two = self.shell(), self.shell()
        self.store.hold("copy_object")
        renaming = one.rename(["d"], ["e"])
        making = two.makeDirectory(["d", "x"])
        self.assertNoResult(making)
        self.store.release("copy_object")
        self.successResultOf(renaming)
        self.failureResultOf(making, ftp.FileNotFoundError)
        self.assertEqual(set(self.home_objects()), {"e/", "e/f"})

    def test_home_inside_other(self) -> None:
        """
        An upload by acme into C{/d} holds back the operator's removal of
        C{/acme} until it has completed; then both are done, in that order.
        """
        self.put("d", "f")
        operator, acme = self.shell(home="partners/"), self.shell()
        upload = self.successResultOf(acme.openForWriting(["d", "g"]))
        consumer = self.successResultOf(upload.receive())
        consumer.registerProducer(FakeProducer(), True)
        consumer.write(b"g")
        consumer.unregisterProducer()
        self.store.hold("put_object")
        closing = upload.close()
        removing = operator.removeDirectory(["acme"])
        self.assertNoResult(removing)
        self.assertEqual(self.store.named("delete_objects"), [])
        self.store.release("put_object")
        self.successResultOf(closing)
        self.successResultOf(removing)
        self.assertEqual(self.home_objects(), {})


class ShellFactoryTests(UserShellTestCase):
    """L{ShellFactory} makes the shell of each user at login."""

    def test_shell(self) -> None:
        """The shell is an C{IFTPShell} at the user's home with the user's permissions."""
        permissions = Permissions.from_mapping(BANK)
        shell = self.factory(User("acme", "pw", home="partners/acme/", permissions=permissions))
        self.assertTrue(verifyObject(ftp.IFTPShell, shell))
        self.assertEqual(shell.keys.root, "partners/acme/")
        self.assertEqual(shell.keys.dir_suffix, self.suffix)
        self.assertIs(shell.permissions, permissions)
        self.assertIs(shell.store, self.store)

    def test_whole_bucket(self) -> None:
        """A user with no home has the whole bucket, with every permission."""
        shell = self.factory(User("admin", "pw"))
        self.assertEqual(shell.keys.root, "")
        self.assertTrue(shell.permissions.unrestricted)
        self.assertEqual(set(self.listed(shell, [])), {"partners"})

    def test_bad_home(self) -> None:
        """A home that is no key prefix is refused when the shell is made."""
        for home in ("partners/acme", "/partners/acme/"):
            with self.assertRaises(ValueError):
                self.factory(User("acme", "pw", home=home))


class HomeSessionTests(SessionTestCase):
    """
    The real protocol over a shell at C{partners/acme/} with the bank
    layout: what a client sees of its home.
    """

    def setUp(self) -> None:
        super().setUp()
        self.store = MemoryObjectStore()
        self.store.store("partners/acme/outbox/statement.txt", b"statement")
        self.store.store("partners/bank/x", b"bank's")
        self.shell = memory_shells(self.store)(user(BANK, "partners/acme/"))  # type: ignore[assignment]
        self.login()

    def all_replies(self, *lines: bytes) -> list[str]:
        """The replies to C{lines}, one after the other; none names the home's prefix."""
        replies: list[str] = []
        for line in lines:
            replies += self.send(line)
        for reply in replies:
            self.assertNotIn("partners", reply)
        return replies

    def test_pwd(self) -> None:
        """PWD shows C{/} at the home, and FTP paths below it."""
        self.assertEqual(
            self.all_replies(b"PWD", b"CWD inbox", b"PWD", b"CDUP", b"PWD"),
            [
                '257 "/" is the current directory.',
                "250 Requested File Action Completed OK",
                '257 "/inbox" is the current directory.',
                "250 Requested File Action Completed OK",
                '257 "/" is the current directory.',
            ],
        )

    def test_climbing(self) -> None:
        """Paths that climb above the home are not found; the working directory stays."""
        replies = self.all_replies(
            b"CWD ..", b"CWD /../..", b"CWD inbox/../../..", b"RNFR ../outbox", b"PWD"
        )
        self.assertEqual([reply[:4] for reply in replies], ["550 ", "550 ", "550 ", "550 ", "257 "])
        self.assertEqual(replies[-1], '257 "/" is the current directory.')

    def test_rename_out(self) -> None:
        """RNTO above the home is not found, and nothing moves."""
        replies = self.all_replies(b"RNFR outbox/statement.txt", b"RNTO ../../bank/x")
        self.assertEqual([reply[:4] for reply in replies], ["350 ", "550 "])
        self.assertEqual(
            self.store.keys(), ["partners/acme/outbox/statement.txt", "partners/bank/x"]
        )

    def test_backslash_names(self) -> None:
        """A name with C{..} between backslashes is refused with 553."""
        replies = self.all_replies(b"MKD a\\..\\..\\x", b"CWD ..\\..", b"DELE \\..\\bank")
        self.assertEqual([reply[:4] for reply in replies], ["553 ", "553 ", "553 "])

    def test_refusal_reply(self) -> None:
        """A refused action gets 550 saying what is not permitted, with the FTP path."""
        self.assertEqual(
            self.all_replies(b"DELE /outbox/statement.txt"),
            [
                "550 /outbox/statement.txt: deleting is not permitted: "
                "the 'delete' permission is missing in /outbox."
            ],
        )
        self.assertEqual(
            self.all_replies(b"RMD inbox"),
            [
                "550 /inbox: removing is not permitted: this directory is named in the "
                "user's permissions, or holds one that is, so it always exists."
            ],
        )

    def test_mlst_and_stat(self) -> None:
        """MLST shows the perm facts of the boxes; STAT of a path, its mode bits."""
        inbox = self.all_replies(b"MLST /inbox")
        self.assertEqual(inbox[0], "250-Listing /inbox")
        self.assertIn("perm=ec;", inbox[1])
        outbox = self.all_replies(b"STAT /outbox")
        self.assertEqual(outbox[0], "213-Status of /outbox:")
        self.assertTrue(outbox[1].startswith(" -r--r--r-- "), outbox[1])
        self.assertTrue(outbox[1].endswith(" statement.txt"), outbox[1])
        self.assertEqual(self.all_replies(b"SIZE /outbox/statement.txt"), ["213 9"])
        self.assertEqual(self.all_replies(b"SIZE /inbox/x")[0][:4], "550 ")
