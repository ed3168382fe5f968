"""
Tests for the permissions a user's L{S3Shell} enforces
(L{twisted_ftps3.shell.policy}), over the in-memory bucket.

Each command is tried allowed and refused. A refusal is a 550
L{NotPermitted} that names the FTP path and the permission missing, and it
comes before the bucket is asked for any change: the tests check the store
saw no changing call and that its contents are as they were.
"""

from __future__ import annotations

from twisted.protocols import ftp
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.permissions import NAMES, Permissions
from twisted_ftps3.replies import NotPermitted
from twisted_ftps3.s3.limits import MIN_PART_SIZE
from twisted_ftps3.shell.policy import FULL_DIRECTORY, FULL_FILE, Policy

from .support.producers import FakeProducer
from .support.shells import BANK, UserShellTestCase

#: For each permission, all the others.
ALL_BUT = {name: [other for other in NAMES if other != name] for name in NAMES}


class ReadingTests(UserShellTestCase):
    """LIST, STAT, SIZE, MLST, CWD and RETR."""

    def setUp(self) -> None:
        super().setUp()
        self.put("d", "f", data=b"contents")
        self.put("top")

    def test_list_allowed(self) -> None:
        """With C{list} in a directory, its entries are listed."""
        self.assertEqual(set(self.listed(self.shell(["list"]), ["d"])), {"f"})

    def test_list_refused(self) -> None:
        """Without C{list}, listing is refused, naming the directory and the permission."""
        d = self.shell(ALL_BUT["list"]).list(["d"], ("size",))
        reply = self.refused_unchanged(d)
        self.assertEqual(
            reply, "550 /d: listing is not permitted: the 'list' permission is missing in /d."
        )

    def test_list_asks_the_directory(self) -> None:
        """Listing asks the directory listed, not its parent."""
        shell = self.shell({"/": [], "/d": ["list"]})
        self.assertEqual(set(self.listed(shell, ["d"])), {"f"})
        self.refused(shell.list([], ()), "'list'")

    def test_list_missing_refused_alike(self) -> None:
        """
        Without C{list} or C{download} where it would be, a missing
        directory is refused as an existing one is, before S3 is asked.
        """
        shell = self.shell({"/": ["upload"]})
        self.refused(shell.list(["nothing"], ()), "'list'")
        self.refused(shell.list(["d"], ()), "'list'")
        self.refused(shell.list(["d", "f"], ()), "'list'")
        self.assertEqual(self.store.calls, [])

    def test_list_file(self) -> None:
        """LIST of a file needs C{list} or C{download} where it is."""
        for granted in (["list"], ["download"]):
            [(name, _)] = self.successResultOf(self.shell(granted).list(["d", "f"], ("size",)))
            self.assertEqual(name, "f")
        self.refused(self.shell(["upload"]).list(["d", "f"], ()), "/d/f", "'list'")

    def test_stat(self) -> None:
        """SIZE, MDTM, MLST of a path need C{list} or C{download} where it is."""
        for granted in (["list"], ["download"]):
            self.assertEqual(
                self.successResultOf(self.shell(granted).stat(["d", "f"], ("size",))), [8]
            )
        self.store.calls.clear()
        reply = self.refused(self.shell(["upload", "overwrite"]).stat(["d", "f"], ("size",)))
        self.assertEqual(
            reply,
            "550 /d/f: looking at it is not permitted: "
            "the 'list' or 'download' permission is missing in /d.",
        )
        self.assertEqual(self.store.calls, [])

    def test_stat_listable_directory(self) -> None:
        """A directory that may be listed may be looked at, whatever its parent grants."""
        shell = self.shell({"/": [], "/d": ["list"]})
        self.assertEqual(self.successResultOf(shell.stat(["d"], ("directory",))), [True])
        self.refused(shell.stat(["top"], ("size",)), "/top")

    def test_stat_root(self) -> None:
        """The root may always be looked at (MLSD asks before it lists)."""
        self.assertEqual(self.successResultOf(self.shell([]).stat([], ("directory",))), [True])

    def test_access_needs_nothing(self) -> None:
        """CWD needs no permission: only that the directory exists."""
        shell = self.shell([])
        self.successResultOf(shell.access(["d"]))
        self.failureResultOf(shell.access(["missing"]), ftp.FileNotFoundError)
        self.failureResultOf(shell.access(["top"]), ftp.IsNotADirectoryError)

    def test_download(self) -> None:
        """RETR needs C{download} where the file is."""
        self.successResultOf(self.shell(["download"]).openForReading(["d", "f"]))
        self.store.calls.clear()
        d = self.shell(ALL_BUT["download"]).openForReading(["d", "f"])
        self.refused(d, "/d/f", "downloading", "'download'", "in /d")
        self.assertEqual(self.store.calls, [])


class UploadTests(UserShellTestCase):
    """STOR, APPE and REST+STOR: C{upload} for a new name, C{overwrite} too for an existing one."""

    def test_upload_new(self) -> None:
        """With C{upload}, a new name is stored."""
        self.successResultOf(self.upload(self.shell(["upload"]), ["f"], b"new"))
        self.assertEqual(self.home_objects(), {"f": b"new"})

    def test_upload_refused(self) -> None:
        """Without C{upload}, STOR is refused and nothing is stored."""
        before = self.objects()
        d = self.upload(self.shell(ALL_BUT["upload"]), ["f"])
        self.refused_unchanged(d, "/f", "uploading", "'upload'")
        self.assertEqual(self.objects(), before)

    def test_overwrite_needs_upload(self) -> None:
        """C{overwrite} alone grants nothing: STOR of a new or an existing name is refused."""
        self.put("old", data=b"old")
        shell = self.shell(["overwrite"])
        self.refused_unchanged(self.upload(shell, ["f"]), "'upload'")
        self.refused_unchanged(self.upload(shell, ["old"]), "'upload'")
        self.assertEqual(self.home_objects(), {"old": b"old"})

    def test_stor_existing_refused(self) -> None:
        """With C{upload} and no C{overwrite}, STOR onto an existing name is refused at open."""
        self.put("f", data=b"old")
        d = self.shell(["upload"]).openForWriting(["f"])
        self.refused_unchanged(d, "/f", "replacing", "'overwrite'")
        self.assertEqual(self.home_objects(), {"f": b"old"})
        self.assertEqual(self.store.uploads, {})

    def test_stor_existing_with_overwrite(self) -> None:
        """With C{upload} and C{overwrite}, STOR replaces."""
        self.put("f", data=b"old")
        self.successResultOf(self.upload(self.shell(["upload", "overwrite"]), ["f"], b"new"))
        self.assertEqual(self.home_objects(), {"f": b"new"})

    def test_append_existing_refused(self) -> None:
        """With C{upload} and no C{overwrite}, APPE onto an existing object is refused."""
        self.put("f", data=b"old")
        self.refused_unchanged(self.shell(["upload"]).openForAppending(["f"], None), "'overwrite'")
        self.assertEqual(self.home_objects(), {"f": b"old"})

    def test_restart_existing_refused(self) -> None:
        """With C{upload} and no C{overwrite}, REST at the end then STOR is refused."""
        self.put("f", data=b"old")
        self.refused_unchanged(self.shell(["upload"]).openForAppending(["f"], 3), "'overwrite'")

    def test_append_existing_with_overwrite(self) -> None:
        """With C{upload} and C{overwrite}, APPE adds to the object."""
        self.put("f", data=b"old")
        shell = self.shell(["upload", "overwrite"])
        self.successResultOf(self.upload(shell, ["f"], b"+new", append=True))
        self.assertEqual(self.home_objects(), {"f": b"old+new"})

    def test_append_new(self) -> None:
        """APPE, or REST 0 then STOR, of a new name needs only C{upload}."""
        shell = self.shell(["upload"])
        self.successResultOf(self.upload(shell, ["a"], b"A", append=True))
        self.successResultOf(self.upload(shell, ["b"], b"B", offset=0))
        self.assertEqual(self.home_objects(), {"a": b"A", "b": b"B"})

    def test_append_refused(self) -> None:
        """Without C{upload}, APPE is refused."""
        d = self.shell(ALL_BUT["upload"]).openForAppending(["f"], None)
        self.refused_unchanged(d, "'upload'")

    def _race(self, first: bytes, second: bytes) -> None:
        """Two uploads of one new name open before either completes; the first completes."""
        shell = self.shell(["upload"])
        one = self.successResultOf(shell.openForWriting(["f"]))
        two = self.successResultOf(shell.openForWriting(["f"]))
        for target, data in ((one, first), (two, second)):
            consumer = self.successResultOf(target.receive())
            consumer.registerProducer(FakeProducer(), True)
            consumer.write(data)
            consumer.unregisterProducer()
        self.successResultOf(one.close())
        self.refused(two.close(), "/f", "'overwrite'")
        self.assertEqual(self.home_objects(), {"f": first})
        self.assertEqual(self.store.uploads, {})
        self.assertEqual(len(self.uploads), 0)

    def test_race_small(self) -> None:
        """
        Without C{overwrite}, of two small uploads racing to create one
        name, the second is refused when it completes, and the first stays.
        """
        self._race(b"first", b"second")

    def test_race_multipart(self) -> None:
        """
        The same for multipart uploads: the second is refused under the
        lock, its multipart upload is aborted, and no part is left.
        """
        self._race(b"1" * (MIN_PART_SIZE + 1), b"2" * (MIN_PART_SIZE + 1))
        self.assertEqual(len(self.store.named("abort_multipart_upload")), 1)

    def test_race_with_overwrite(self) -> None:
        """With C{overwrite}, the upload that completes last wins, as before."""
        shell = self.shell(["upload", "overwrite"])
        one = self.successResultOf(shell.openForWriting(["f"]))
        self.successResultOf(self.upload(shell, ["f"], b"second"))
        consumer = self.successResultOf(one.receive())
        consumer.registerProducer(FakeProducer(), True)
        consumer.write(b"first")
        consumer.unregisterProducer()
        self.successResultOf(one.close())
        self.assertEqual(self.home_objects(), {"f": b"first"})


class ChangeTests(UserShellTestCase):
    """DELE, MKD, RMD, RNFR/RNTO."""

    def setUp(self) -> None:
        super().setUp()
        self.put("d", "f", data=b"f")
        self.put("d", "sub", "g", data=b"g")
        self.put("top", data=b"top")
        self.before = self.objects()

    def unchanged(self) -> None:
        """The bucket is as C{setUp} left it."""
        self.assertEqual(self.objects(), self.before)
        self.assertEqual(self.store.changes(), [])

    def test_delete(self) -> None:
        """DELE needs C{delete} where the file is."""
        self.refused(self.shell(ALL_BUT["delete"]).removeFile(["d", "f"]), "/d/f", "'delete'")
        self.unchanged()
        self.successResultOf(self.shell(["delete"]).removeFile(["d", "f"]))
        self.assertNotIn("d/f", self.home_objects())

    def test_mkdir(self) -> None:
        """MKD needs C{mkdir} in the parent."""
        d = self.shell(ALL_BUT["mkdir"]).makeDirectory(["d", "new"])
        self.refused(d, "/d/new", "'mkdir'", "in /d")
        self.unchanged()
        self.successResultOf(self.shell(["mkdir"]).makeDirectory(["d", "new"]))
        self.assertIn("d/new/", self.home_objects())

    def test_rmdir_refused(self) -> None:
        """RMD needs C{rmdir} in the parent."""
        self.refused(self.shell(ALL_BUT["rmdir"]).removeDirectory(["d"]), "/d", "'rmdir'", "in /.")
        self.unchanged()

    def test_rmdir_tree_needs_delete(self) -> None:
        """
        RMD of a directory that holds files needs C{delete} where each file
        is: refused before anything is deleted.
        """
        d = self.shell(ALL_BUT["delete"]).removeDirectory(["d"])
        self.refused(d, "/d/f", "'delete'", "in /d")
        self.unchanged()

    def test_rmdir_empty_needs_no_delete(self) -> None:
        """An empty directory needs only C{rmdir}."""
        self.put_directory("empty")
        self.successResultOf(self.shell(["rmdir"]).removeDirectory(["empty"]))
        self.assertNotIn("empty/", self.home_objects())

    def test_rmdir_allowed(self) -> None:
        """With C{rmdir} and C{delete}, the whole tree goes."""
        self.successResultOf(self.shell(["rmdir", "delete"]).removeDirectory(["d"]))
        self.assertEqual(self.home_objects(), {"top": b"top"})

    def test_rename_file(self) -> None:
        """RNFR/RNTO of a file needs C{rename} and C{delete} there and C{upload} where it goes."""
        for missing in ("rename", "delete", "upload"):
            granted = [name for name in ("rename", "delete", "upload") if name != missing]
            d = self.shell(granted).rename(["top"], ["d", "moved"])
            self.refused(d, f"'{missing}'")
            self.unchanged()
        self.successResultOf(
            self.shell(["rename", "delete", "upload"]).rename(["top"], ["d", "moved"])
        )
        self.assertEqual(self.home_objects()["d/moved"], b"top")
        self.assertNotIn("top", self.home_objects())

    def test_rename_by_directory(self) -> None:
        """The source's directory grants C{rename} and C{delete}, the target's C{upload}."""
        shell = self.shell({"/": ["rename", "delete"], "/in": ["upload"]})
        self.successResultOf(shell.rename(["top"], ["in", "top"]))
        self.refused(shell.rename(["in", "top"], ["top"]), "/in/top", "'rename'", "in /in")

    def test_rename_onto_existing(self) -> None:
        """Onto an existing file, C{overwrite} is needed where the target is."""
        d = self.shell(["rename", "delete", "upload"]).rename(["top"], ["d", "f"])
        self.refused(d, "/d/f", "'overwrite'")
        self.unchanged()
        self.successResultOf(
            self.shell(["rename", "delete", "upload", "overwrite"]).rename(["top"], ["d", "f"])
        )
        self.assertEqual(self.home_objects()["d/f"], b"top")

    def test_rename_directory(self) -> None:
        """A directory's rename is refused without the permissions, and moves its tree with them."""
        self.refused(self.shell(["rename", "delete"]).rename(["d"], ["e"]), "/e", "'upload'")
        self.unchanged()
        self.successResultOf(self.shell(["rename", "delete", "upload"]).rename(["d"], ["e"]))
        self.assertEqual(set(self.home_objects()), {"e/", "e/f", "e/sub/g", "top"})

    def test_refusal_needs_no_existence(self) -> None:
        """A refusal does not depend on the path existing: it tells nothing about the bucket."""
        shell = self.shell(["list"])
        self.refused(shell.removeFile(["missing"]), "'delete'")
        self.refused(shell.removeFile(["top"]), "'delete'")
        self.refused(shell.openForReading(["missing"]), "'download'")
        self.refused(shell.openForReading(["top"]), "'download'")


class NamedDirectoryTests(UserShellTestCase):
    """The directories the permissions name exist without markers, and stay."""

    permissions = {"/": ["all"], "/inbox": ["all"], "/deep/er/in": ["upload"]}

    def test_listed_without_marker(self) -> None:
        """An empty bucket lists the named directories and their ancestors."""
        shell = self.shell(self.permissions)
        self.assertEqual(set(self.listed(shell, [])), {"inbox", "deep"})
        self.assertEqual(set(self.listed(shell, ["deep"])), {"er"})
        self.assertEqual(set(self.listed(shell, ["deep", "er"])), {"in"})
        self.assertTrue(all(is_dir for is_dir, _, _ in self.listed(shell, []).values()))

    def test_listed_once(self) -> None:
        """A named directory with a marker, contents, or a file at its key is listed once."""
        self.put_directory("inbox")
        self.put("inbox", "f")
        self.put("deep", "x")
        self.put("inbox2")
        listed = self.listed(self.shell(self.permissions), [])
        self.assertEqual(set(listed), {"inbox", "inbox2", "deep"})
        self.assertTrue(listed["inbox"][0])
        self.assertFalse(listed["inbox2"][0])

    def test_listed_once_across_pages(self) -> None:
        """
        A named directory is listed once however the store's pages cut its
        names: here the object at its key ends one page (of three) and its
        marker's prefix starts the next.
        """
        self.put("a1")
        self.put("a2")
        self.put("inbox", data=b"stray")
        self.put_directory("inbox")
        self.put("inbox2")
        listed = self.listed(self.shell(self.permissions), [])
        self.assertEqual(set(listed), {"a1", "a2", "inbox", "inbox2", "deep"})
        self.assertTrue(listed["inbox"][0])
        calls = [call for call in self.store.named("list_objects") if call[2] == "/"]
        self.assertEqual(len(calls), 2)

    def test_file_at_named_directory_hidden(self) -> None:
        """An object at a named directory's own key does not make it a file."""
        self.put("inbox", data=b"stray")
        shell = self.shell(self.permissions)
        self.assertEqual(self.listed(shell, [])["inbox"][0], True)
        self.assertEqual(self.successResultOf(shell.stat(["inbox"], ("directory",))), [True])
        self.failureResultOf(shell.openForReading(["inbox"]), ftp.IsADirectoryError)

    def test_enter_and_upload_at_once(self) -> None:
        """A named directory may be entered and uploaded to in an empty bucket."""
        shell = self.shell(self.permissions)
        self.successResultOf(shell.access(["deep", "er", "in"]))
        self.successResultOf(self.upload(shell, ["deep", "er", "in", "f"], b"x"))
        self.assertEqual(self.home_objects(), {"deep/er/in/f": b"x"})

    def test_exists_for_changes(self) -> None:
        """MKD of a named directory finds it there; STOR onto it finds a directory."""
        shell = self.shell(self.permissions)
        self.failureResultOf(shell.makeDirectory(["inbox"]), ftp.FileExistsError)
        self.failureResultOf(shell.openForWriting(["inbox"]), ftp.IsADirectoryError)
        self.put("f")
        self.failureResultOf(shell.rename(["f"], ["inbox"]), ftp.IsADirectoryError)

    def test_not_removed(self) -> None:
        """RMD of a named directory, or of one holding one, is refused, with why."""
        self.put("inbox", "f")
        shell = self.shell(self.permissions)
        for path in (["inbox"], ["deep"], ["deep", "er", "in"]):
            reply = self.refused(
                shell.removeDirectory(path), "removing", "named in the user's permissions"
            )
            self.assertIn("/" + "/".join(path), reply)
        self.assertEqual(self.store.changes(), [])

    def test_not_renamed(self) -> None:
        """RNFR of a named directory, or of one holding one, is refused, with why."""
        shell = self.shell(self.permissions)
        for path in (["inbox"], ["deep"]):
            self.refused(shell.rename(path, ["elsewhere"]), "renaming", "always exists")
        self.assertEqual(self.store.changes(), [])

    def test_other_directories_removable(self) -> None:
        """A directory inside a named one is an ordinary directory."""
        self.put("inbox", "2026", "f")
        shell = self.shell(self.permissions)
        self.successResultOf(shell.removeDirectory(["inbox", "2026"]))
        self.assertEqual(self.home_objects(), {})


class BankLayoutTests(UserShellTestCase):
    """
    The bank layout end to end: C{/} list only, C{/inbox} upload only,
    C{/outbox} list and download.
    """

    def setUp(self) -> None:
        super().setUp()
        self.put("outbox", "statement.txt", data=b"statement")
        self.acme = self.shell(BANK)

    def test_home(self) -> None:
        """The home lists the inbox and the outbox (neither has a marker), and nothing else."""
        listed = self.listed(self.acme, [])
        self.assertEqual(
            listed,
            {"inbox": (True, "-w-------", "ec"), "outbox": (True, "r-xr-xr-x", "el")},
        )

    def test_outbox(self) -> None:
        """The outbox is listed, its files read-only, and downloaded."""
        self.assertEqual(
            self.listed(self.acme, ["outbox"]), {"statement.txt": (False, "r--r--r--", "r")}
        )
        self.successResultOf(self.acme.openForReading(["outbox", "statement.txt"]))
        self.assertEqual(
            self.successResultOf(self.acme.stat(["outbox", "statement.txt"], ("size",))), [9]
        )

    def test_outbox_unchanged(self) -> None:
        """Nothing in the outbox may be uploaded, replaced, deleted or renamed."""
        self.refused(self.upload(self.acme, ["outbox", "x"]), "'upload'")
        self.refused(self.upload(self.acme, ["outbox", "statement.txt"]), "'upload'")
        self.refused(self.acme.removeFile(["outbox", "statement.txt"]), "'delete'")
        self.refused(self.acme.rename(["outbox", "statement.txt"], ["outbox", "s"]), "'rename'")
        self.refused(self.acme.makeDirectory(["outbox", "d"]), "'mkdir'")
        self.assertEqual(self.store.changes(), [])

    def test_inbox(self) -> None:
        """
        A payment is uploaded to the inbox once; it cannot be replaced,
        appended to, listed, looked at, downloaded or deleted.
        """
        self.successResultOf(self.upload(self.acme, ["inbox", "payment.xml"], b"<pay/>"))
        self.assertEqual(self.home_objects()["inbox/payment.xml"], b"<pay/>")
        changes = len(self.store.changes())
        self.refused(self.upload(self.acme, ["inbox", "payment.xml"], b"evil"), "'overwrite'")
        self.refused(
            self.upload(self.acme, ["inbox", "payment.xml"], b"evil", append=True), "'overwrite'"
        )
        self.refused(self.acme.list(["inbox"], ()), "'list'")
        self.refused(self.acme.stat(["inbox", "payment.xml"], ("size",)), "'list' or 'download'")
        self.refused(self.acme.openForReading(["inbox", "payment.xml"]), "'download'")
        self.refused(self.acme.removeFile(["inbox", "payment.xml"]), "'delete'")
        self.assertEqual(len(self.store.changes()), changes)
        self.assertEqual(self.home_objects()["inbox/payment.xml"], b"<pay/>")

    def test_home_unchanged(self) -> None:
        """Nothing may be made, uploaded or removed in the home itself, nor the boxes removed."""
        self.refused(self.upload(self.acme, ["x"]), "'upload'")
        self.refused(self.acme.makeDirectory(["d"]), "'mkdir'")
        self.refused(self.acme.removeDirectory(["inbox"]), "always exists")
        self.refused(self.acme.rename(["outbox"], ["o"]), "always exists")
        self.assertEqual(self.store.changes(), [])

    def test_mlst_facts(self) -> None:
        """MLST of the boxes and of the home says what may be done there."""
        self.assertEqual(self.successResultOf(self.acme.stat(["inbox"], ("perm",))), ["ec"])
        self.assertEqual(self.successResultOf(self.acme.stat(["outbox"], ("perm",))), ["el"])
        self.assertEqual(self.successResultOf(self.acme.stat([], ("perm",))), ["el"])


class ListingAccessTests(UserShellTestCase):
    """The LIST mode bits and MLSD C{perm} facts of each entry."""

    def setUp(self) -> None:
        super().setUp()
        self.put("f")
        self.put_directory("d")

    def test_unrestricted(self) -> None:
        """With every permission, entries show what they always have."""
        self.assertEqual(
            self.listed(self.shell(), []),
            {"f": (False, "rw-r--r--", "rwfd"), "d": (True, "rwxr-xr-x", "elcmfdp")},
        )

    def test_file_letters(self) -> None:
        """
        A file: r for download, w for upload and overwrite, f for rename
        and delete, d for delete.
        """
        cases = {
            ("list",): ("---------", ""),
            ("list", "download"): ("r--r--r--", "r"),
            ("list", "upload"): ("---------", ""),
            ("list", "upload", "overwrite"): ("-w-------", "w"),
            ("list", "rename"): ("---------", ""),
            ("list", "rename", "delete"): ("---------", "fd"),
            ("list", "delete"): ("---------", "d"),
        }
        for granted, (mode, perm) in cases.items():
            self.assertEqual(
                self.listed(self.shell(granted), [])["f"], (False, mode, perm), granted
            )

    def test_directory_letters(self) -> None:
        """
        A directory: e always, l for list in it, c upload in it, m mkdir in
        it, f rename and delete in its parent, d rmdir in its parent, p
        delete in it; r-x for list, w for upload or mkdir.
        """
        cases = {
            (): ("r-xr-xr-x", "el"),
            ("upload",): ("rwxr-xr-x", "elc"),
            ("mkdir",): ("rwxr-xr-x", "elm"),
            ("rename",): ("r-xr-xr-x", "el"),
            ("rename", "delete"): ("r-xr-xr-x", "elfp"),
            ("rmdir",): ("r-xr-xr-x", "eld"),
            ("delete",): ("r-xr-xr-x", "elp"),
        }
        for granted, (mode, perm) in cases.items():
            shell = self.shell(["list", *granted])
            self.assertEqual(self.listed(shell, [])["d"], (True, mode, perm), granted)

    def test_named_directory_letters(self) -> None:
        """
        A named directory shows what is granted in it, and is never shown
        removable or renamable, whatever its parent grants.
        """
        shell = self.shell({"/": ["list", "rmdir", "rename", "delete"], "/n": []})
        self.assertEqual(self.listed(shell, [])["n"], (True, "---------", "e"))
        shell = self.shell({"/": ["list"], "/n": ["mkdir", "delete"]})
        self.assertEqual(self.listed(shell, [])["n"], (True, "-w-------", "emp"))

    def test_everything_with_named_directory(self) -> None:
        """
        Granted everything everywhere, a user still cannot remove or rename
        a named directory, and its listing says so; other entries show all.
        """
        shell = self.shell({"/": ["all"], "/inbox": ["all"]})
        self.assertEqual(
            self.listed(shell, []),
            {
                "f": (False, "rw-r--r--", "rwfd"),
                "d": (True, "rwxr-xr-x", "elcmfdp"),
                "inbox": (True, "rwxr-xr-x", "elcmp"),
            },
        )
        self.refused(shell.removeDirectory(["inbox"]), "always exists")

    def test_by_directory(self) -> None:
        """Each entry shows the permissions where it is; a directory, also those in it."""
        shell = self.shell(
            {"/": ["list", "rmdir", "rename", "delete"], "/d": ["upload", "overwrite"]}
        )
        listed = self.listed(shell, [])
        self.assertEqual(listed["d"], (True, "-w-------", "ec"))
        self.assertEqual(listed["f"], (False, "---------", "fd"))

    def test_stat_matches_listing(self) -> None:
        """MLST of an entry gives the facts MLSD gives it."""
        shell = self.shell({"/": ["list", "download"], "/d": ["list", "upload"]})
        listed = self.listed(shell, [])
        self.assertEqual(self.successResultOf(shell.stat(["f"], ("perm",))), [listed["f"][2]])
        self.assertEqual(self.successResultOf(shell.stat(["d"], ("perm",))), [listed["d"][2]])


class NotPermittedTests(SynchronousTestCase):
    """L{NotPermitted}: the 550 of a refused action."""

    def test_reply(self) -> None:
        """It is an FTP reply with code 550, the text as given, and Twisted's permission error."""
        error = NotPermitted("/a: deleting is not permitted")
        self.assertIsInstance(error, ftp.FTPCmdError)
        self.assertIsInstance(error, ftp.PermissionDeniedError)
        self.assertEqual(error.response(), "550 /a: deleting is not permitted")

    def test_path_one_line(self) -> None:
        """A path with a LF in it stays on the reply's line."""
        d = Policy(Permissions.everywhere(frozenset())).removing_file
        with self.assertRaises(NotPermitted) as caught:
            d(["a\nb"])
        self.assertNotIn("\n", caught.exception.response())
        self.assertIn("/a\0b", caught.exception.response())


class PolicyTests(SynchronousTestCase):
    """L{Policy} on its own, where the shell's tests cannot reach."""

    def test_unrestricted_access(self) -> None:
        """Unrestricted permissions give the listings' constant access."""
        policy = Policy(Permissions.everywhere())
        self.assertIs(policy.file_access(["a"]), FULL_FILE)
        self.assertIs(policy.directory_access(["a"]), FULL_DIRECTORY)

    def test_moving_tree_each_entry(self) -> None:
        """A tree is moved only if every entry may be moved from where it is to where it goes."""
        policy = Policy(Permissions.from_mapping({"/": ["all"], "/b/keep": ["list"]}))
        policy.moving_tree(["a"], ["b", "a"], [(("a", "f"), False), (("a", "s"), True)])
        with self.assertRaises(NotPermitted) as caught:
            policy.moving_tree(["a"], ["b"], [(("a", "keep", "f"), False)])
        self.assertIn("/b/keep/f", caught.exception.response())

    def test_removing_tree_subdirectories(self) -> None:
        """
        Each directory of a removed tree, marked or only on the way to a
        file, needs C{rmdir} in its parent.
        """
        policy = Policy(Permissions.from_mapping({"/": ["all"], "/a/locked": ["delete"]}))
        with self.assertRaises(NotPermitted) as caught:
            policy.removing_tree(["a"], [(("a", "locked", "x", "f"), False)])
        self.assertIn("/a/locked/x: removing a directory", caught.exception.response())
