# -*- test-case-name: tests.test_config -*-
"""
The rules that relate two settings, each a small named check run after parsing.

A parser sees one variable; whether the explicit port differs from the
implicit one, or static keys are needed, depends on several.  Each rule takes
the L{Parsed} settings and raises L{ConfigError} naming one variable.  They
run in the order of L{RULES}, so the same bad environment always yields the
same error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .declarations import AUTH_ECS_ROLE, AUTH_SECRET_ACCESS_KEY, USERS
from .errors import ConfigError, show
from .families import Entry
from .parsers import MAX_PORT

__all__ = ["RULES", "Parsed"]


@dataclass
class Parsed:
    """
    Every declared setting, parsed, before the rules relating them have run.

    @ivar scalars: each L{Setting}'s value, by variable name.
    @ivar families: each L{Family}'s entries, by prefix.
    """

    scalars: dict[str, Any]
    families: dict[str, tuple[Entry, ...]]


def static_keys_given(parsed: Parsed) -> None:
    """
    The secret_access_key mechanism needs both static keys.
    """
    if parsed.scalars["AWS_AUTH_MECHANISM"] != AUTH_SECRET_ACCESS_KEY:
        return
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if parsed.scalars[name] is None:
            raise ConfigError(
                name, f"is required when AWS_AUTH_MECHANISM is {AUTH_SECRET_ACCESS_KEY}"
            )


def role_ignores_static_keys(parsed: Parsed) -> None:
    """
    The ECS role supplies its own rotating credentials: stray static keys in
    the environment are dropped rather than mixed in with them.
    """
    if parsed.scalars["AWS_AUTH_MECHANISM"] == AUTH_ECS_ROLE:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            parsed.scalars[name] = None


def host_or_endpoint(parsed: Parsed) -> None:
    """
    S3 is reached at the bucket host unless an endpoint URL says otherwise.
    """
    if (
        parsed.scalars["AWS_S3_BUCKET_HOST"] is None
        and parsed.scalars["AWS_ENDPOINT_URL_S3"] is None
    ):
        raise ConfigError("AWS_S3_BUCKET_HOST", "is required unless AWS_ENDPOINT_URL_S3 is set")


def some_command_port(parsed: Parsed) -> None:
    """
    Turning the implicit port off needs an explicit one.
    """
    if (
        parsed.scalars["FTP_COMMAND_PORT"] is None
        and parsed.scalars["FTP_EXPLICIT_COMMAND_PORT"] is None
    ):
        raise ConfigError("FTP_COMMAND_PORT", "is off, so FTP_EXPLICIT_COMMAND_PORT must be set")


def command_ports_differ(parsed: Parsed) -> None:
    """
    The implicit and explicit command ports cannot be one port.
    """
    implicit = parsed.scalars["FTP_COMMAND_PORT"]
    if implicit is not None and implicit == parsed.scalars["FTP_EXPLICIT_COMMAND_PORT"]:
        raise ConfigError(
            "FTP_EXPLICIT_COMMAND_PORT", f"must differ from FTP_COMMAND_PORT, both are {implicit}"
        )


def _data_ports(parsed: Parsed) -> tuple[int, int]:
    """
    The first and last passive port.
    """
    first = parsed.scalars["FTP_DATA_PORTS_FIRST"]
    return first, first + parsed.scalars["FTP_DATA_PORTS_COUNT"] - 1


def data_ports_fit(parsed: Parsed) -> None:
    """
    The passive range ends at or below the last port.
    """
    first, last = _data_ports(parsed)
    if last > MAX_PORT:
        raise ConfigError(
            "FTP_DATA_PORTS_COUNT",
            f"is too large: {parsed.scalars['FTP_DATA_PORTS_COUNT']} ports from "
            f"FTP_DATA_PORTS_FIRST {first} would end at {last}, past {MAX_PORT}",
        )


def data_ports_clear(parsed: Parsed) -> None:
    """
    The passive range holds none of the listening ports.
    """
    first, last = _data_ports(parsed)
    for name in ("FTP_COMMAND_PORT", "FTP_EXPLICIT_COMMAND_PORT", "HEALTHCHECK_PORT"):
        port = parsed.scalars[name]
        if port is not None and first <= port <= last:
            raise ConfigError(
                "FTP_DATA_PORTS_FIRST", f"data ports {first}-{last} overlap {name} {port}"
            )


def healthcheck_port_clear(parsed: Parsed) -> None:
    """
    The health check listens on a port of its own.
    """
    health = parsed.scalars["HEALTHCHECK_PORT"]
    for name in ("FTP_COMMAND_PORT", "FTP_EXPLICIT_COMMAND_PORT"):
        if parsed.scalars[name] == health:
            raise ConfigError("HEALTHCHECK_PORT", f"must differ from {name}, both are {health}")


def one_password_each(parsed: Parsed) -> None:
    """
    Each user has a password in the clear or a hash of one, never both:
    with both, which one counts would be a guess.
    """
    for entry in parsed.families[USERS.prefix]:
        password, hashed = entry.names["PASSWORD"], entry.names["PASSWORD_HASH"]
        if entry.item.password is not None and entry.item.password_hash is not None:
            raise ConfigError(hashed, f"and {password} are both set; set one of them")
        if entry.item.password is None and entry.item.password_hash is None:
            login = entry.names["LOGIN"]
            raise ConfigError(password, f"or {hashed} is required because {login} is set")


def some_user(parsed: Parsed) -> None:
    """
    A server nobody can log in to is a mistake, unless its users are in
    the users file.
    """
    if parsed.scalars["FTP_USERS_FILE"] is not None:
        return
    if not parsed.families[USERS.prefix]:
        login, password = USERS.variable("1", "LOGIN"), USERS.variable("1", "PASSWORD")
        raise ConfigError(login, f"at least one FTP user is required; set {login} and {password}")


def distinct_logins(parsed: Parsed) -> None:
    """
    Each login names one user; the later of two is named.
    """
    seen: dict[str, str] = {}
    for entry in parsed.families[USERS.prefix]:
        login, name = entry.item.login, entry.names["LOGIN"]
        if login in seen:
            raise ConfigError(name, f"login {show(login)} is already used by {seen[login]}")
        seen[login] = name


RULES: tuple[Callable[[Parsed], None], ...] = (
    static_keys_given,
    role_ignores_static_keys,
    host_or_endpoint,
    one_password_each,
    distinct_logins,
    some_user,
    some_command_port,
    command_ports_differ,
    data_ports_fit,
    data_ports_clear,
    healthcheck_port_clear,
)
