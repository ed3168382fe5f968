"""
Tests for L{twisted_ftps3.permissions}: the permission names, and what a
user may do in each directory of their home.
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.permissions import (
    ALL,
    DELETE,
    DOWNLOAD,
    LIST,
    MKDIR,
    NAMES,
    OVERWRITE,
    RENAME,
    RMDIR,
    UPLOAD,
    Permissions,
    directory_segments,
    parse_names,
)

#: The usual bank layout: the home listable, an inbox to drop files into
#: (no listing, no overwrite), an outbox to fetch them from.
BANK = {"/": ["list"], "/inbox": ["upload"], "/outbox": ["list", "download"]}


class NamesTests(SynchronousTestCase):
    """L{parse_names} reads the permission names operators write."""

    def test_names(self) -> None:
        """The eight names are SFTPGo's, in the README's order."""
        self.assertEqual(
            NAMES, ("list", "download", "upload", "overwrite", "delete", "rename", "mkdir", "rmdir")
        )
        self.assertEqual((LIST, DOWNLOAD, UPLOAD, OVERWRITE, DELETE, RENAME, MKDIR, RMDIR), NAMES)

    def test_each_name(self) -> None:
        """Each name grants itself."""
        for name in NAMES:
            self.assertEqual(parse_names([name]), frozenset({name}))

    def test_all(self) -> None:
        """C{all} grants every permission, alone or beside others."""
        self.assertEqual(parse_names(["all"]), ALL)
        self.assertEqual(parse_names(["list", "all"]), ALL)
        self.assertEqual(ALL, frozenset(NAMES))

    def test_case_and_spaces(self) -> None:
        """Names are read without regard to case or surrounding spaces."""
        self.assertEqual(parse_names([" List", "UPLOAD "]), frozenset({LIST, UPLOAD}))

    def test_none(self) -> None:
        """No names grant nothing."""
        self.assertEqual(parse_names([]), frozenset())

    def test_repeated(self) -> None:
        """A name given twice is granted once."""
        self.assertEqual(parse_names(["list", "list"]), frozenset({LIST}))

    def test_unknown(self) -> None:
        """An unknown name is refused, and the message lists the names there are."""
        with self.assertRaises(ValueError) as caught:
            parse_names(["list", "uplod"])
        message = str(caught.exception)
        self.assertIn("'uplod'", message)
        for name in (*NAMES, "all"):
            self.assertIn(name, message)

    def test_not_a_string(self) -> None:
        """A name that is not a string (a number in JSON, say) is refused."""
        with self.assertRaises(ValueError) as caught:
            parse_names([3])  # type: ignore[list-item]
        self.assertIn("3", str(caught.exception))


class DirectorySegmentsTests(SynchronousTestCase):
    """L{directory_segments} reads a directory of the home as the users file writes it."""

    def test_root(self) -> None:
        """C{/} is the home itself."""
        self.assertEqual(directory_segments("/"), ())

    def test_nested(self) -> None:
        """Segments are split on C{/}; a trailing or doubled slash changes nothing."""
        self.assertEqual(directory_segments("/inbox/2026/"), ("inbox", "2026"))
        self.assertEqual(directory_segments("//inbox//2026"), ("inbox", "2026"))

    def test_relative(self) -> None:
        """A path that does not start with C{/} is refused."""
        with self.assertRaises(ValueError) as caught:
            directory_segments("inbox")
        self.assertIn("'inbox'", str(caught.exception))

    def test_dots(self) -> None:
        """C{.} and C{..} are refused: they would make the deepest match ambiguous."""
        for path in ("/inbox/..", "/./inbox", "/../x"):
            with self.assertRaises(ValueError):
                directory_segments(path)


class PermissionsTests(SynchronousTestCase):
    """L{Permissions}: the deepest directory named above a path governs it."""

    def test_everywhere(self) -> None:
        """L{Permissions.everywhere} grants everything everywhere, and is unrestricted."""
        permissions = Permissions.everywhere()
        self.assertEqual(permissions.at(()), ALL)
        self.assertEqual(permissions.at(("a", "b", "c")), ALL)
        self.assertTrue(permissions.unrestricted)
        self.assertEqual(permissions.named_directories, ())

    def test_everywhere_some(self) -> None:
        """L{Permissions.everywhere} with names grants those in every directory."""
        permissions = Permissions.everywhere({LIST, DOWNLOAD})
        self.assertEqual(permissions.at(("deep", "down")), {LIST, DOWNLOAD})
        self.assertFalse(permissions.unrestricted)

    def test_root_required(self) -> None:
        """Permissions that do not say what C{/} grants are refused."""
        with self.assertRaises(ValueError):
            Permissions({("inbox",): frozenset({UPLOAD})})
        with self.assertRaises(ValueError):
            Permissions.from_mapping({"/inbox": ["upload"]})

    def test_deepest_match(self) -> None:
        """
        The bank layout: C{/inbox/2026} is governed by C{/inbox}, C{/docs}
        by C{/}, and C{/inboxes} (which begins like C{/inbox}) by C{/}.
        """
        permissions = Permissions.from_mapping(BANK)
        self.assertEqual(permissions.at(()), {LIST})
        self.assertEqual(permissions.at(("inbox",)), {UPLOAD})
        self.assertEqual(permissions.at(("inbox", "2026")), {UPLOAD})
        self.assertEqual(permissions.at(("outbox", "a", "b")), {LIST, DOWNLOAD})
        self.assertEqual(permissions.at(("docs",)), {LIST})
        self.assertEqual(permissions.at(("inboxes",)), {LIST})

    def test_deeper_grants_less(self) -> None:
        """A deeper directory may grant less than its parent: it replaces, never adds."""
        permissions = Permissions.from_mapping({"/": ["all"], "/archive": ["list", "download"]})
        self.assertFalse(permissions.allows(DELETE, ("archive", "2020")))
        self.assertTrue(permissions.allows(DELETE, ("current",)))

    def test_allows(self) -> None:
        """L{Permissions.allows} is whether the grant at the directory holds the name."""
        permissions = Permissions.from_mapping(BANK)
        self.assertTrue(permissions.allows(UPLOAD, ("inbox",)))
        self.assertFalse(permissions.allows(LIST, ("inbox",)))
        self.assertFalse(permissions.allows(OVERWRITE, ("inbox",)))
        self.assertTrue(permissions.allows(DOWNLOAD, ("outbox",)))
        self.assertFalse(permissions.allows(DOWNLOAD, ()))

    def test_from_mapping_all(self) -> None:
        """C{all} in a mapping grants everything there; all of it everywhere is unrestricted."""
        self.assertTrue(Permissions.from_mapping({"/": ["all"], "/x": ["all"]}).unrestricted)
        self.assertFalse(Permissions.from_mapping({"/": ["all"], "/x": ["list"]}).unrestricted)

    def test_from_mapping_twice(self) -> None:
        """Two spellings of one directory are refused, rather than one silently winning."""
        with self.assertRaises(ValueError) as caught:
            Permissions.from_mapping({"/": [], "/inbox": ["upload"], "/inbox/": ["list"]})
        self.assertIn("given twice", str(caught.exception))

    def test_from_mapping_bad_name(self) -> None:
        """A bad permission name in a mapping is refused."""
        with self.assertRaises(ValueError):
            Permissions.from_mapping({"/": ["lst"]})

    def test_named_directories(self) -> None:
        """The directories named below the root, shallowest first."""
        permissions = Permissions.from_mapping(
            {"/": [], "/b/deep": ["list"], "/outbox": ["list"], "/a": ["list"]}
        )
        self.assertEqual(permissions.named_directories, (("a",), ("outbox",), ("b", "deep")))


class ImpliedDirectoryTests(SynchronousTestCase):
    """The directories that exist because the permissions name them."""

    def setUp(self) -> None:
        self.permissions = Permissions.from_mapping(
            {"/": ["list"], "/inbox": ["upload"], "/partners/acme/in": ["upload"]}
        )

    def test_implied(self) -> None:
        """The root, each directory named, and each of their ancestors are implied."""
        for path in (
            (),
            ("inbox",),
            ("partners",),
            ("partners", "acme"),
            ("partners", "acme", "in"),
        ):
            self.assertTrue(self.permissions.implies_directory(path), path)

    def test_not_implied(self) -> None:
        """Directories inside a named one, and beside them, are not."""
        for path in (("inbox", "2026"), ("docs",), ("partners", "other"), ("inboxes",)):
            self.assertFalse(self.permissions.implies_directory(path), path)

    def test_implied_children(self) -> None:
        """Each directory's implied children, by name, sorted."""
        self.assertEqual(self.permissions.implied_children(()), ("inbox", "partners"))
        self.assertEqual(self.permissions.implied_children(("partners",)), ("acme",))
        self.assertEqual(self.permissions.implied_children(("partners", "acme")), ("in",))
        self.assertEqual(self.permissions.implied_children(("inbox",)), ())

    def test_everywhere_implies_only_root(self) -> None:
        """Permissions the same everywhere imply no directory but the root."""
        permissions = Permissions.everywhere()
        self.assertTrue(permissions.implies_directory(()))
        self.assertFalse(permissions.implies_directory(("inbox",)))
        self.assertEqual(permissions.implied_children(()), ())
