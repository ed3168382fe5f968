# -*- test-case-name: tests.test_config -*-
"""
L{Family}: an indexed group of environment variables, such as C{FTP_USERS__<i>__LOGIN}.

A family declares its fields once, each with a parser and, for an optional
field, a default; every index then yields one item (a L{User}, a
L{CidrDomain}).  Adding an optional field is one L{Field} in the family's
declaration, and one attribute with a default on the item's class.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError, show
from .parsers import Parser, text

__all__ = ["Entry", "Family", "FamilyOption", "Field"]

_DIGITS = re.compile(r"[0-9]+")


def _either(words: Iterable[str]) -> str:
    """
    C{"A or B"}, C{"A, B or C"}.
    """
    words = list(words)
    return " or ".join([", ".join(words[:-1]), words[-1]] if len(words) > 2 else words)


@dataclass(frozen=True)
class Field:
    """
    One field of a family, such as C{LOGIN}.

    @ivar name: the variable's last part, such as C{"LOGIN"}.
    @ivar attribute: the keyword of the item's class it fills, such as C{"login"}.
    @ivar parse: turns the variable's text into the attribute's value.
    @ivar required: whether every index must set it.  An optional field left
        unset takes C{default}; set but empty, it is refused like any other.
    @ivar secret: whether the value must never be echoed.
    """

    name: str
    attribute: str
    parse: Parser = text
    required: bool = True
    default: Any = None
    secret: bool = False


@dataclass(frozen=True)
class FamilyOption:
    """
    A repeatable twistd option that replaces a family, such as C{--ftp-user LOGIN:PASSWORD}.

    @ivar name: the option, such as C{"ftp-user"}.
    @ivar fields: the two fields its value holds, in order.
    @ivar separator: what separates them; the value is split at its first one.
    @ivar help: what one value means, after the C{LOGIN:PASSWORD} pattern.
    """

    name: str
    fields: tuple[str, str]
    separator: str
    help: str

    @property
    def pattern(self) -> str:
        """
        C{"LOGIN:PASSWORD"}.
        """
        return self.separator.join(self.fields)

    def split(self, value: str) -> dict[str, str] | None:
        """
        The fields of one option value, or C{None} if it has no separator.
        """
        first, separator, second = value.partition(self.separator)
        if not separator:
            return None
        return dict(zip(self.fields, (first, second), strict=True))


@dataclass(frozen=True)
class Entry:
    """
    One index of a family: its item, and the variable name of each field.

    The names are kept so that a rule across entries (distinct logins) can
    name the variable at fault.
    """

    names: Mapping[str, str]
    item: Any


@dataclass(frozen=True)
class Family:
    """
    The variables C{<prefix><i>__<FIELD>}, for any non-negative integer C{i}.

    @ivar prefix: such as C{"FTP_USERS__"}.
    @ivar target: the field of L{Settings} the items fill, as C{"section.field"},
        or a bare C{"field"} of L{Settings} itself.
    @ivar item: called with each index's field values as keywords.
    @ivar fields: the family's fields.
    @ivar help: one sentence for C{--help}.
    @ivar option: the twistd option that replaces the family, if any.
    """

    prefix: str
    target: str
    item: Callable[..., Any]
    fields: tuple[Field, ...]
    help: str
    option: FamilyOption | None = None

    @property
    def patterns(self) -> list[str]:
        """
        Every variable of the family, with C{<i>} for the index.
        """
        return [self.variable("<i>", field.name) for field in self.fields]

    def variable(self, index: str, field: str) -> str:
        """
        The variable of C{field} at C{index}, as in C{FTP_USERS__1__LOGIN}.
        """
        return f"{self.prefix}{index}__{field}"

    def read(self, environ: Mapping[str, str]) -> tuple[Entry, ...]:
        """
        One entry per index in C{environ}, in increasing order of C{int(i)}.

        Ordering by integer rather than string keeps C{__10__} after C{__2__}.

        @raise ConfigError: for a malformed name, an unknown field, the same
            index spelt two ways, a missing required field, an empty value, or
            a value a field's parser refuses.
        """
        groups = self._group(environ)
        return tuple(self._entry(environ, *groups[number]) for number in sorted(groups))

    def overlay(self, environ: MutableMapping[str, str], rows: list[dict[str, str]]) -> None:
        """
        Replace every variable of the family in C{environ} by C{rows}, indexed from 1.
        """
        for name in [name for name in environ if name.startswith(self.prefix)]:
            del environ[name]
        for index, row in enumerate(rows, start=1):
            for field, value in row.items():
                environ[self.variable(str(index), field)] = value

    def _group(self, environ: Mapping[str, str]) -> dict[int, tuple[str, dict[str, str]]]:
        """
        The family's variables by index: the index as spelt, and the variable of each field set.
        """
        known = {field.name for field in self.fields}
        groups: dict[int, tuple[str, dict[str, str]]] = {}
        for key in sorted(k for k in environ if k.startswith(self.prefix)):
            index, separator, field_name = key[len(self.prefix) :].partition("__")
            if not separator:
                raise ConfigError(key, f"must be named {_either(self.patterns)}")
            if not (_DIGITS.fullmatch(index) and len(index) <= 20):
                raise ConfigError(key, f"index {show(index)} must be a non-negative integer")
            if field_name not in known:
                expected = _either(field.name for field in self.fields)
                raise ConfigError(key, f"unknown field {show(field_name)}, expected {expected}")
            first_index, present = groups.setdefault(int(index), (index, {}))
            if first_index != index:
                first_key = next(iter(present.values()))
                raise ConfigError(
                    key,
                    f"index {index!r} is the same number as {first_index!r} in {first_key}; "
                    "write each index the same way",
                )
            present[field_name] = key
        return groups

    def _entry(self, environ: Mapping[str, str], index: str, present: dict[str, str]) -> Entry:
        """
        The entry of one index, whose set fields' variables are C{present}.
        """
        names = {
            field.name: present.get(field.name, self.variable(index, field.name))
            for field in self.fields
        }
        # Every field is checked for presence before any is parsed, so a
        # missing field is reported before a malformed one.
        for field in self.fields:
            name = names[field.name]
            if field.name not in present:
                if field.required:
                    others = ", ".join(present[f.name] for f in self.fields if f.name in present)
                    raise ConfigError(name, f"is required because {others} is set")
            elif environ[name] == "":
                raise ConfigError(name, "must not be empty")
        values = {
            field.attribute: (
                field.parse(names[field.name], environ[names[field.name]])
                if field.name in present
                else field.default
            )
            for field in self.fields
        }
        return Entry(names=names, item=self.item(**values))
