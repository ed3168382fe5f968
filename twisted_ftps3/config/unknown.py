# -*- test-case-name: tests.test_config -*-
"""
Environment variables that look like settings but are none: typos, or settings of another version.

The loader ignores variables it does not know, so a typo such as
C{FTP_USER__1__LOGIN} would otherwise change nothing without a word.  This
finds them, with the closest known name, for C{makeService} to warn about.
A misspelt field inside a family (C{FTP_USERS__1__LOGN}) is not reported here:
the family refuses it outright.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from .declarations import FAMILIES, SETTINGS

__all__ = ["PREFIXES", "unknown_variables"]

#: Variables starting with these are taken to be meant for this server.
PREFIXES = ("FTP_", "AWS_S3_")

_INDEX = re.compile(r"__([0-9]+)__")


def unknown_variables(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """
    Each variable of C{environ} that starts with one of L{PREFIXES} and is no
    known setting, with the known name closest to it, in name order.

    A family's names are suggested with the index the unknown name carries,
    so C{FTP_USER__2__LOGIN} suggests C{FTP_USERS__2__LOGIN}.
    """
    known = {setting.name for setting in SETTINGS}
    found = []
    for name in sorted(environ):
        if not name.startswith(PREFIXES) or name in known:
            continue
        if any(name.startswith(family.prefix) for family in FAMILIES):
            continue
        found.append((name, _closest(name, known)))
    return found


def _closest(name: str, known: set[str]) -> str:
    """
    The known name, or family name at C{name}'s index, most like C{name}.
    """
    index = _INDEX.search(name)
    number = index.group(1) if index else "1"
    candidates = sorted(known) + [
        family.variable(number, field.name) for family in FAMILIES for field in family.fields
    ]
    return difflib.get_close_matches(name, candidates, n=1, cutoff=0.0)[0]
