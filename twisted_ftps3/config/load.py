# -*- test-case-name: tests.test_config -*-
"""
L{load_settings}: the environment to one validated L{Settings}, from the declarations.

Nothing here knows a particular setting: each declaration is read, the rules
relating them are run, and each value lands in the field its declaration
names.  Nothing touches the network or the filesystem, so every rule can be
tested with plain dictionaries.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from .declarations import FAMILIES, SETTINGS, USERS
from .rules import RULES, Parsed
from .values import Settings

__all__ = ["load_settings", "sections", "targets", "user_places"]


def load_settings(environ: Mapping[str, str]) -> Settings:
    """
    Read and validate every setting from C{environ}.

    C{environ} is C{os.environ}, or C{os.environ} merged with the twistd
    option overrides; taking a mapping rather than reading C{os.environ}
    keeps this function pure and testable.  Every declared setting is parsed
    in declaration order, then every family, then the rules run in order, so
    the same bad environment always yields the same error.

    @raise ConfigError: for the first problem found.
    """
    parsed = Parsed(
        scalars={setting.name: setting.read(environ) for setting in SETTINGS},
        families={family.prefix: family.read(environ) for family in FAMILIES},
    )
    for rule in RULES:
        rule(parsed)
    return _assemble(parsed)


def user_places(environ: Mapping[str, str]) -> dict[str, str]:
    """
    The variable that defines each login of the environment's users, such
    as C{FTP_USERS__3__LOGIN}, for errors about a login defined again elsewhere.
    """
    return {entry.item.login: entry.names["LOGIN"] for entry in USERS.read(environ)}


def sections() -> dict[str, type[Any]]:
    """
    The fields of L{Settings} that are sections, each with its class.
    """
    hints = typing.get_type_hints(Settings)
    return {
        field.name: hints[field.name]
        for field in dataclasses.fields(Settings)
        if dataclasses.is_dataclass(hints[field.name])
    }


def targets(parsed: Parsed) -> Iterator[tuple[str, Any]]:
    """
    Each declaration's target, with its value.
    """
    for setting in SETTINGS:
        yield setting.target, parsed.scalars[setting.name]
    for family in FAMILIES:
        yield family.target, tuple(entry.item for entry in parsed.families[family.prefix])


def _assemble(parsed: Parsed) -> Settings:
    """
    Put each value in the field its declaration names.
    """
    kinds = sections()
    fields: dict[str, dict[str, Any]] = {name: {} for name in kinds}
    top: dict[str, Any] = {}
    for target, value in targets(parsed):
        section, _, name = target.partition(".")
        if name:
            fields[section][name] = value
        else:
            top[section] = value
    return Settings(**{name: kind(**fields[name]) for name, kind in kinds.items()}, **top)
