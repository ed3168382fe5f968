"""
Tests for L{twisted_ftps3.listing}: the C{ls -l} lines of LIST replies.
"""

from __future__ import annotations

import calendar
import os
import time
from typing import Any

from twisted.python.filepath import Permissions
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.listing import LIST_KEYS, list_line

HOUR = 3600
DAY = 24 * HOUR

#: "Now" in every test: Saturday 15 June 2024, 12:00:00 UTC.
NOW = calendar.timegm((2024, 6, 15, 12, 0, 0))


def utc(*fields: int) -> float:
    """The timestamp of a UTC date and time given as year, month, day, hour, minute."""
    return float(calendar.timegm((*fields, 0)))


def file_attributes(size: int = 1234, modified: float = NOW) -> list[Any]:
    """A file's attributes in L{LIST_KEYS} order."""
    return [size, False, Permissions(0o644), 1, modified, "ftp", "ftp"]


def date_of(line: str) -> str:
    """The three date columns of a LIST line."""
    return " ".join(line.split()[5:8])


class ListLineTests(SynchronousTestCase):
    """The exact layout of one line."""

    def test_keys_order(self) -> None:
        """The attributes come in the order the shell is asked for them."""
        self.assertEqual(
            LIST_KEYS,
            ("size", "directory", "permissions", "hardlinks", "modified", "owner", "group"),
        )

    def test_file(self) -> None:
        """A file's line is exactly what C{ls -l} prints."""
        line = list_line("report.csv", file_attributes(1234, utc(2024, 6, 1, 9, 5)), NOW)
        self.assertEqual(
            line, "-rw-r--r--   1 ftp      ftp               1234 Jun  1 09:05 report.csv"
        )

    def test_directory(self) -> None:
        """A directory's line starts with C{d} and is otherwise laid out the same."""
        attributes = [0, True, Permissions(0o755), 2, utc(2024, 5, 20, 17, 30), "alice", "staff"]
        self.assertEqual(
            list_line("photos", attributes, NOW),
            "drwxr-xr-x   2 alice    staff                0 May 20 17:30 photos",
        )

    def test_old_entry_shows_year(self) -> None:
        """An entry from more than six months ago shows the year, right-aligned under the time."""
        line = list_line("old.txt", file_attributes(modified=utc(2023, 1, 2, 3, 4)), NOW)
        self.assertTrue(line.endswith(" Jan  2  2023 old.txt"), line)

    def test_within_six_months_shows_time(self) -> None:
        """An entry from 181 days ago still shows the time of day."""
        line = list_line("f", file_attributes(modified=NOW - 181 * DAY), NOW)
        self.assertEqual(date_of(line), "Dec 17 12:00")

    def test_beyond_six_months_shows_year(self) -> None:
        """An entry from 183 days ago shows the year."""
        line = list_line("f", file_attributes(modified=NOW - 183 * DAY), NOW)
        self.assertEqual(date_of(line), "Dec 15 2023")

    def test_now_shows_time(self) -> None:
        """An entry modified right now shows the time of day."""
        line = list_line("f", file_attributes(modified=NOW), NOW)
        self.assertEqual(date_of(line), "Jun 15 12:00")

    def test_slightly_future_shows_time(self) -> None:
        """An entry up to an hour in the future (clock skew) shows the time of day."""
        line = list_line("f", file_attributes(modified=NOW + 30 * 60), NOW)
        self.assertEqual(date_of(line), "Jun 15 12:30")

    def test_far_future_shows_year(self) -> None:
        """An entry more than an hour in the future shows the year."""
        line = list_line("f", file_attributes(modified=NOW + 2 * HOUR), NOW)
        self.assertEqual(date_of(line), "Jun 15 2024")

    def set_time_zone(self, zone: str) -> None:
        """Make C{zone} the local time zone for the rest of the test."""
        previous = os.environ.get("TZ")

        def restore() -> None:
            if previous is None:
                os.environ.pop("TZ", None)
            else:
                os.environ["TZ"] = previous
            time.tzset()

        self.addCleanup(restore)
        os.environ["TZ"] = zone
        time.tzset()

    def test_times_are_utc(self) -> None:
        """Times are shown in UTC, whatever the local time zone."""
        self.set_time_zone("JST-9")
        line = list_line("f", file_attributes(modified=utc(2024, 6, 15, 0, 30)), NOW)
        self.assertEqual(date_of(line), "Jun 15 00:30")

    def test_huge_size_exact(self) -> None:
        """A size over 4 GiB is printed exactly, not rounded or wrapped."""
        size = 6 * 1024**3 + 1
        line = list_line("big.bin", file_attributes(size), NOW)
        self.assertEqual(line.split()[4], "6442450945")

    def test_size_wider_than_column(self) -> None:
        """A size wider than its column is printed whole, still separated by a space."""
        size = 2**64
        line = list_line("huge.bin", file_attributes(size), NOW)
        self.assertIn(" ftp      18446744073709551616 Jun 15 12:00 ", line)

    def test_name_with_spaces_and_emoji(self) -> None:
        """Names are passed through as they are, spaces and emoji included."""
        name = "my holiday \N{GRINNING FACE}.jpg"
        line = list_line(name, file_attributes(), NOW)
        self.assertTrue(line.endswith(" 12:00 " + name), line)
