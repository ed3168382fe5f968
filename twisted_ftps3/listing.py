# -*- test-case-name: tests.test_listing -*-
"""
The C{ls -l} lines of a LIST reply.

Clients parse these lines, so they follow C{ls} exactly: the time of day for
entries from the last six months, the year for older ones (or ones in the
future), and exact sizes however large.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

#: The attributes LIST asks the shell for, in the order L{list_line} takes them.
LIST_KEYS = ("size", "directory", "permissions", "hardlinks", "modified", "owner", "group")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SIX_MONTHS = 182 * 24 * 3600


def _date(modified: float, now: float) -> str:
    stamp = time.gmtime(modified)
    day = f"{_MONTHS[stamp.tm_mon - 1]} {stamp.tm_mday:2d}"
    if now - _SIX_MONTHS < modified <= now + 3600:
        return f"{day} {stamp.tm_hour:02d}:{stamp.tm_min:02d}"
    return f"{day}  {stamp.tm_year}"


def list_line(name: str, attributes: Sequence[Any], now: float) -> str:
    """
    One LIST line for C{name}, given the shell's attributes in
    L{LIST_KEYS} order and the current time.
    """
    return _Lines(now).line(name, attributes)


def list_lines(page: Iterable[tuple[str, Sequence[Any]]], now: float) -> Iterator[str]:
    """The C{ls -l} line of each entry of C{page}, in its order."""
    lines = _Lines(now)
    return (lines.line(name, attributes) for name, attributes in page)


class _Lines:
    """
    The lines of one listing. Entries of a directory mostly share their mode
    bits, and many their time (a batch uploaded in one second): each is
    rendered once per listing, since a burst of sessions listing a large
    directory spends most of its CPU here.
    """

    def __init__(self, now: float) -> None:
        self._now = now
        self._modes: dict[int, tuple[Any, str]] = {}
        self._dates: dict[float, str] = {}

    def line(self, name: str, attributes: Sequence[Any]) -> str:
        size, directory, permissions, hardlinks, modified, owner, group = attributes
        # By identity, as Permissions is unhashable; the entry keeps the
        # object alive, so that its id is not another's while this lasts.
        known = self._modes.get(id(permissions))
        if known is None:
            known = self._modes[id(permissions)] = (permissions, permissions.shorthand())
        mode = known[1]
        date = self._dates.get(modified)
        if date is None:
            date = self._dates[modified] = _date(modified, self._now)
        kind = "d" if directory else "-"
        return f"{kind}{mode} {hardlinks:>3} {owner:<8} {group:<8} {size:>13} {date} {name}"
