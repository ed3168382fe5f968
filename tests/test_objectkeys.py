"""
Tests for L{twisted_ftps3.objectkeys}: how FTP paths map onto S3 object keys.
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.objectkeys import KeyMap, NameNotAllowed, check_names, control_character
from twisted_ftps3.s3.limits import MAX_KEY_BYTES

SLASH = KeyMap("/")
DOT_DIR = KeyMap("/.dir")
HOME = KeyMap("/", root="home/alice/")


class ConstructorTests(SynchronousTestCase):
    """The directory-marker suffix is checked when the map is made."""

    def test_default_suffix(self) -> None:
        """The default suffix is C{/}."""
        self.assertEqual(KeyMap().dir_suffix, "/")

    def test_suffix_without_slash_refused(self) -> None:
        """A suffix not starting with C{/} is refused."""
        self.assertRaises(ValueError, KeyMap, ".dir")

    def test_empty_suffix_refused(self) -> None:
        """An empty suffix is refused: every file would look like a marker."""
        self.assertRaises(ValueError, KeyMap, "")

    def test_default_root(self) -> None:
        """By default the FTP root is the bucket's."""
        self.assertEqual(KeyMap().root, "")

    def test_root_without_slash_refused(self) -> None:
        """A root that is not a key prefix ending in C{/} is refused."""
        self.assertRaises(ValueError, KeyMap, "/", "home/alice")

    def test_root_with_leading_slash_refused(self) -> None:
        """Keys have no leading slash, so neither may the root."""
        self.assertRaises(ValueError, KeyMap, "/", "/home/")


class KeyTests(SynchronousTestCase):
    """Keys of files and directory markers, and directory prefixes."""

    def test_file_key(self) -> None:
        """A file's key is its path joined with C{/}, without a leading slash."""
        self.assertEqual(SLASH.file_key(("a", "b", "name.txt")), "a/b/name.txt")

    def test_file_key_same_for_both_suffixes(self) -> None:
        """The marker suffix does not change file keys."""
        self.assertEqual(DOT_DIR.file_key(("a", "name.txt")), "a/name.txt")

    def test_marker_key_slash(self) -> None:
        """With suffix C{/}, a directory's marker is its path and a slash."""
        self.assertEqual(SLASH.marker_key(("a", "b")), "a/b/")

    def test_marker_key_dot_dir(self) -> None:
        """With suffix C{/.dir}, a directory's marker is C{<path>/.dir}."""
        self.assertEqual(DOT_DIR.marker_key(("a", "b")), "a/b/.dir")

    def test_root_has_no_marker(self) -> None:
        """Asking for the root's marker is an error."""
        self.assertRaises(ValueError, SLASH.marker_key, ())

    def test_root_prefix(self) -> None:
        """The root's contents live under the empty prefix."""
        self.assertEqual(SLASH.prefix(()), "")

    def test_prefix(self) -> None:
        """A directory's contents live under its path and a slash."""
        self.assertEqual(SLASH.prefix(("a", "b")), "a/b/")

    def test_prefix_dot_dir(self) -> None:
        """The marker suffix does not change the prefix of the contents."""
        self.assertEqual(DOT_DIR.prefix(("a", "b")), "a/b/")

    def test_path_of(self) -> None:
        """A file key turns back into its path."""
        self.assertEqual(SLASH.path_of("a/b/name.txt"), ("a", "b", "name.txt"))

    def test_prefix_same_for_list_and_tuple(self) -> None:
        """A path given as a list has the prefix of the equal tuple."""
        self.assertEqual(SLASH.prefix(["a", "b"]), SLASH.prefix(("a", "b")))


class RootTests(SynchronousTestCase):
    """A map whose FTP root is a key prefix keeps every key under it."""

    def test_file_key(self) -> None:
        """A file's key is the root followed by its path."""
        self.assertEqual(HOME.file_key(("a", "f")), "home/alice/a/f")

    def test_marker_key(self) -> None:
        """A directory's marker is under the root too."""
        self.assertEqual(HOME.marker_key(("a",)), "home/alice/a/")

    def test_root_prefix(self) -> None:
        """The FTP root's contents live under the root prefix."""
        self.assertEqual(HOME.prefix(()), "home/alice/")

    def test_prefix(self) -> None:
        """A directory's contents live under the root, its path and a slash."""
        self.assertEqual(HOME.prefix(("a", "b")), "home/alice/a/b/")

    def test_path_of(self) -> None:
        """A key under the root turns back into the path below the root."""
        self.assertEqual(HOME.path_of("home/alice/a/f"), ("a", "f"))

    def test_path_of_outside_root(self) -> None:
        """A key outside the root has no path."""
        self.assertRaises(ValueError, HOME.path_of, "home/bob/f")

    def test_limit_counts_root(self) -> None:
        """The root's bytes count towards S3's key limit."""
        longest = "a" * (MAX_KEY_BYTES - len("/"))
        self.assertIsNone(SLASH.check((longest,)))
        self.assertRaises(NameNotAllowed, HOME.check, (longest,))


class IsMarkerTests(SynchronousTestCase):
    """Telling directory markers from files."""

    def test_slash_marker(self) -> None:
        """With suffix C{/}, a key ending in C{/} is a marker."""
        self.assertTrue(SLASH.is_marker("a/b/"))

    def test_slash_file(self) -> None:
        """With suffix C{/}, a key not ending in C{/} is a file."""
        self.assertFalse(SLASH.is_marker("a/b"))

    def test_dot_dir_marker(self) -> None:
        """With suffix C{/.dir}, C{<path>/.dir} is a marker."""
        self.assertTrue(DOT_DIR.is_marker("a/b/.dir"))

    def test_dot_dir_trailing_slash_is_not_marker(self) -> None:
        """With suffix C{/.dir}, a key ending in a bare C{/} is not a marker."""
        self.assertFalse(DOT_DIR.is_marker("a/b/"))

    def test_dot_dir_name_ending_in_suffix_text(self) -> None:
        """With suffix C{/.dir}, a file named C{x.dir} is not a marker."""
        self.assertFalse(DOT_DIR.is_marker("a/x.dir"))

    def test_marker_key_is_marker(self) -> None:
        """Every marker key is recognised as one, and no file key is."""
        for keymap in (SLASH, DOT_DIR):
            path = ("a", "b")
            self.assertEqual(
                (
                    keymap.is_marker(keymap.marker_key(path)),
                    keymap.is_marker(keymap.file_key(path)),
                ),
                (True, False),
            )


class CheckTests(SynchronousTestCase):
    """Which paths can be stored."""

    def test_reserved_name_refused(self) -> None:
        """With suffix C{/.dir}, a file or directory named C{.dir} is refused."""
        self.assertRaises(NameNotAllowed, DOT_DIR.check, ("a", ".dir"))

    def test_reserved_name_refused_anywhere(self) -> None:
        """The reserved name is refused as a directory in the middle of a path too."""
        self.assertRaises(NameNotAllowed, DOT_DIR.check, (".dir", "b"))

    def test_reserved_name_message(self) -> None:
        """The refusal says the name is reserved for directory markers."""
        error = self.assertRaises(NameNotAllowed, DOT_DIR.check, (".dir",))
        self.assertIn("reserved", str(error))

    def test_dot_dir_allowed_with_slash_suffix(self) -> None:
        """With suffix C{/}, nothing is reserved: C{.dir} is an ordinary name."""
        self.assertIsNone(SLASH.check(("a", ".dir")))

    def test_nul_refused(self) -> None:
        """A name with NUL is refused."""
        self.assertRaises(NameNotAllowed, SLASH.check, ("a\x00b",))

    def test_cr_refused(self) -> None:
        """A name with CR is refused."""
        self.assertRaises(NameNotAllowed, SLASH.check, ("a\rb",))

    def test_lf_refused(self) -> None:
        """A name with LF is refused."""
        self.assertRaises(NameNotAllowed, SLASH.check, ("dir", "a\nb"))

    def test_control_characters_refused(self) -> None:
        """Every C0 control character and DEL is refused, in any segment."""
        for code in [*range(0x20), 0x7F]:
            error = self.assertRaises(NameNotAllowed, SLASH.check, ("ok", f"a{chr(code)}b"))
            self.assertIn(f"U+{code:04X}", str(error))

    def test_printable_neighbours_accepted(self) -> None:
        """Space, tilde and characters above DEL (U+0080, U+00A0) are not refused."""
        self.assertIsNone(SLASH.check((" ", "~", "a\x80b", "\xa0")))

    def test_backslash_dots_refused(self) -> None:
        """C{.} or C{..} between backslashes is refused: other programs read them as separators."""
        for segment in ("..\\..\\x", "sub\\..\\..\\y", "a\\.\\b", "x\\..", "\\.", "..", "."):
            error = self.assertRaises(NameNotAllowed, SLASH.check, ("d", segment))
            self.assertIn("between backslashes", str(error))

    def test_other_backslashes_accepted(self) -> None:
        """Backslashes without a lone C{.} or C{..} between them are fine."""
        self.assertIsNone(SLASH.check(("a\\b", "\\", "a\\\\b", "...\\.x", "..a\\b..")))

    def test_check_names_alone(self) -> None:
        """L{check_names} refuses the same names without a key map."""
        self.assertIsNone(check_names(("a\\b", "c")))
        self.assertRaises(NameNotAllowed, check_names, ("a\x1bb",))
        self.assertRaises(NameNotAllowed, check_names, ("a\\..\\b",))

    def test_control_character(self) -> None:
        """L{control_character} names the first control character, or is C{None}."""
        self.assertIsNone(control_character("a/b\\c"))
        reason = control_character("a\x7fb\x01")
        assert reason is not None
        self.assertIn("U+007F", reason)

    def test_ordinary_characters_accepted(self) -> None:
        """Spaces, quotes, C{£} and emoji are all fine in names."""
        self.assertIsNone(
            SLASH.check(("my files", 'it\'s "quoted"', "£100", "\N{GRINNING FACE}.txt"))
        )

    def test_root_accepted(self) -> None:
        """The root path is fine."""
        self.assertIsNone(DOT_DIR.check(()))

    def test_longest_key_accepted(self) -> None:
        """A path whose marker key is exactly the limit is accepted."""
        name = "a" * (MAX_KEY_BYTES - len("/"))
        self.assertIsNone(SLASH.check((name,)))

    def test_too_long_refused(self) -> None:
        """A path whose marker key is one byte over the limit is refused."""
        name = "a" * MAX_KEY_BYTES
        error = self.assertRaises(NameNotAllowed, SLASH.check, (name,))
        self.assertIn("1024", str(error))

    def test_limit_counts_suffix(self) -> None:
        """With suffix C{/.dir}, the five bytes of the suffix count towards the limit."""
        name = "a" * (MAX_KEY_BYTES - len("/.dir") + 1)
        self.assertRaises(NameNotAllowed, DOT_DIR.check, (name,))

    def test_limit_counts_separators(self) -> None:
        """The slashes between segments count towards the limit."""
        half = "a" * 511
        # "aaa.../aaa.../" is 511 + 1 + 511 + 1 = 1024 bytes; one more is too many.
        self.assertIsNone(SLASH.check((half, half)))
        self.assertRaises(NameNotAllowed, SLASH.check, (half, half + "a"))

    def test_limit_counts_utf8_bytes(self) -> None:
        """
        The limit is in UTF-8 bytes, not characters: 256 emoji are 257
        characters with the suffix but 1025 bytes.
        """
        name = "\N{GRINNING FACE}" * 256
        self.assertRaises(NameNotAllowed, SLASH.check, (name,))

    def test_multibyte_within_limit_accepted(self) -> None:
        """255 emoji and the suffix are 1021 bytes, within the limit."""
        self.assertIsNone(SLASH.check(("\N{GRINNING FACE}" * 255,)))
