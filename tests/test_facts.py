"""
Tests for L{twisted_ftps3.facts}: the RFC 3659 facts of MLSD and MLST.
"""

from __future__ import annotations

import calendar

from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3 import facts

#: 2026-03-04 05:06:07 UTC.
WHEN = calendar.timegm((2026, 3, 4, 5, 6, 7, 0, 0, 0))


class EntryTests(SynchronousTestCase):
    """L{facts.entry} renders one entry from the shell's attributes."""

    def test_keys(self) -> None:
        """The shell is asked for size, type, time and the perm fact, in that order."""
        self.assertEqual(facts.FACT_KEYS, ("size", "directory", "modified", "perm"))

    def test_file(self) -> None:
        """A file: its type, size, time, the perm the shell gave, and a unique id."""
        line = facts.entry("a.txt", "/d/a.txt", [12, False, WHEN, "rw"])
        rendered, name = line.split(" ", 1)
        self.assertEqual(name, "a.txt")
        values = dict(fact.split("=") for fact in rendered.rstrip(";").split(";"))
        self.assertEqual(
            {k: v for k, v in values.items() if k != "unique"},
            {"type": "file", "size": "12", "modify": "20260304050607", "perm": "rw"},
        )
        self.assertEqual(len(values["unique"]), 16)

    def test_perm_from_shell(self) -> None:
        """The perm fact is the shell's, as it is, even empty."""
        self.assertIn(";perm=el;", facts.entry("d", "/d", [0, True, 0.0, "el"]))
        self.assertIn(";perm=;", facts.entry("f", "/f", [0, False, 0.0, ""]))

    def test_directory(self) -> None:
        """A directory is C{dir}, or C{cdir} when it is the one listed."""
        self.assertTrue(facts.entry("d", "/d", [0, True, 0.0, "e"]).startswith("type=dir;"))
        current = facts.entry("/d", "/d", [0, True, 0.0, "e"], current=True)
        self.assertTrue(current.startswith("type=cdir;"))

    def test_selected(self) -> None:
        """Only the facts selected are rendered, in the served order."""
        line = facts.entry("f", "/f", [3, False, WHEN, "r"], ("size", "perm"))
        self.assertEqual(line, "size=3;perm=r; f")

    def test_unique_by_path(self) -> None:
        """The unique id follows the path, not the content or the perm."""
        one = facts.entry("f", "/a/f", [1, False, 0.0, "r"], ("unique",))
        two = facts.entry("f", "/a/f", [2, False, WHEN, "rwfd"], ("unique",))
        other = facts.entry("f", "/b/f", [1, False, 0.0, "r"], ("unique",))
        self.assertEqual(one, two)
        self.assertNotEqual(one, other)


class FeatureTests(SynchronousTestCase):
    """FEAT and OPTS MLST."""

    def test_feature(self) -> None:
        """FEAT lists every fact served, each on by default."""
        self.assertEqual(facts.feature(), "MLST type*;size*;modify*;perm*;unique*;")

    def test_select(self) -> None:
        """OPTS MLST turns on the facts it names that are served, in served order."""
        self.assertEqual(facts.select("perm;SIZE;nonsense;"), ("size", "perm"))
        self.assertEqual(facts.select(""), ())
