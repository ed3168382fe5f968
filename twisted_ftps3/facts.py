# -*- test-case-name: tests.test_facts -*-
"""
RFC 3659 machine-readable listings: the facts of one MLSD or MLST entry.

Clients such as lftp, rclone and FileZilla prefer MLSD to LIST because its
sizes and times are exact and its format is defined; this module renders it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

#: The attributes MLSD and MLST ask the shell for, in the order L{entry}
#: takes them. C{perm} is the shell's to say, since it depends on the
#: user's permissions where the entry is.
FACT_KEYS = ("size", "directory", "modified", "perm")
#: Every fact served, in the order they are rendered; FEAT lists them.
FACTS = ("type", "size", "modify", "perm", "unique")


def feature() -> str:
    """The FEAT line: every fact, each marked as on by default."""
    return "MLST " + "".join(f"{fact}*;" for fact in FACTS)


def select(request: str) -> tuple[str, ...]:
    """
    The facts an C{OPTS MLST} request turns on: those it names that are
    served, in the served order; unknown names are ignored, as RFC 3659 says.
    """
    asked = {name.strip().lower() for name in request.split(";") if name.strip()}
    return tuple(fact for fact in FACTS if fact in asked)


def entry(
    name: str,
    path: str,
    attributes: Sequence[Any],
    facts: Sequence[str] = FACTS,
    *,
    current: bool = False,
) -> str:
    """
    One entry: C{fact=value;...} then a space and C{name}.

    @param path: the absolute path of the entry, for its unique id.
    @param attributes: the shell's values for L{FACT_KEYS}.
    @param current: the directory being listed itself (C{type=cdir}).
    """
    size, directory, modified, perm = attributes
    values = {
        "type": ("cdir" if current else "dir") if directory else "file",
        "size": str(size),
        "modify": time.strftime("%Y%m%d%H%M%S", time.gmtime(modified)),
        "perm": perm,
        # Paths, not S3 ETags: the id must not change when content does.
        "unique": hashlib.sha256(path.encode("utf-8")).hexdigest()[:16],
    }
    rendered = "".join(f"{fact}={values[fact]};" for fact in facts if fact in values)
    return f"{rendered} {name}"


def entries(
    page: Iterable[tuple[str, Sequence[Any]]], base: str, facts: Sequence[str] = FACTS
) -> Iterator[str]:
    """The MLSD line of each entry of C{page}, in the directory C{base}."""
    return (entry(name, f"{base}/{name}", attributes, facts) for name, attributes in page)
