# -*- test-case-name: tests.test_config -*-
"""
Parsers: a variable's non-empty text to its value, or a L{ConfigError} naming it.

Every parser takes C{(variable, text)}, so that its error names the variable
exactly as spelt in the environment (which matters for indexed families), and
is never given an empty string: the caller decides what unset means.  A parser
that might be given a secret must not quote it: L{text} never fails, and
L{user_password_hash} never quotes the hash.

The parsers of a user's fields (C{user_*}) adapt the checks of
L{twisted_ftps3.config.userfields}, which the users file shares, to a
variable's text: lists are comma lists there.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ..s3.limits import MAX_PART_SIZE, MIN_PART_SIZE
from . import userfields
from .errors import ConfigError, show

__all__ = [
    "MAX_PORT",
    "MIN_PORT",
    "Parser",
    "binary_size",
    "boolean",
    "bucket_host",
    "bucket_name",
    "choice",
    "cidr_network",
    "dir_suffix",
    "endpoint_url",
    "integer",
    "ip_address",
    "part_size",
    "port",
    "port_or_off",
    "text",
    "user_home",
    "user_login",
    "user_max_sessions",
    "user_networks",
    "user_password_hash",
    "user_permissions",
]

#: C{(variable, text) -> value}; raises L{ConfigError} for text it refuses.
Parser = Callable[[str, str], Any]

MIN_PORT = 1
MAX_PORT = 65535

_KIB = 1024
_UNITS = {"kib": _KIB, "mib": _KIB**2, "gib": _KIB**3}

_DIGITS = re.compile(r"[0-9]+")
# S3's rules for bucket names that work with both path-style and
# virtual-host-style addressing.
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_HOST_NAME = re.compile(r"[A-Za-z0-9._-]+")
_BRACKETED_HOST = re.compile(r"\[(?P<address>[^\]]*)\](?::(?P<port>.*))?")
_PART_SIZE = re.compile(r"(?P<number>[0-9]+)\s*(?P<unit>KiB|MiB|GiB)?", re.IGNORECASE)
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def text(variable: str, value: str) -> str:
    """
    Any text, as given.
    """
    return value


def choice(*allowed: str) -> Parser:
    """
    A parser accepting exactly one of C{allowed}.
    """
    expected = " or ".join(repr(word) for word in allowed)

    def parse(variable: str, value: str) -> str:
        if value not in allowed:
            raise ConfigError(variable, f"must be {expected}, got {show(value)}")
        return value

    return parse


def integer(low: int, high: int) -> Parser:
    """
    A parser of integers within C{low..high}.

    Only plain decimal digits are accepted (surrounding whitespace aside):
    C{int()} alone would also take C{"+80"}, C{"8_021"} or non-ASCII digits,
    which are far more likely to be mistakes than intentions.
    """

    def parse(variable: str, value: str) -> int:
        digits = value.strip()
        if _DIGITS.fullmatch(digits) and len(digits) <= 20:
            number = int(digits)
            if low <= number <= high:
                return number
        raise ConfigError(variable, f"must be an integer from {low} to {high}, got {show(value)}")

    return parse


port = integer(MIN_PORT, MAX_PORT)


def port_or_off(variable: str, value: str) -> int | None:
    """
    A TCP port, or C{None} for the word C{off}.
    """
    if value.strip().lower() == "off":
        return None
    return port(variable, value)


def boolean(variable: str, value: str) -> bool:
    """
    C{true}/C{false}, C{yes}/C{no}, C{on}/C{off} or C{1}/C{0}, in any case.
    """
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigError(variable, f"must be true or false, got {show(value)}")


def ip_address(variable: str, value: str) -> str:
    """
    An IPv4 or IPv6 address, kept as written.
    """
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ConfigError(variable, f"must be an IPv4 or IPv6 address, got {show(value)}") from None
    return value


def bucket_name(variable: str, value: str) -> str:
    """
    A bucket name that works with both path-style and virtual-host-style addressing.
    """
    if not _BUCKET_NAME.fullmatch(value):
        raise ConfigError(
            variable,
            "must be 3 to 63 characters of a-z, 0-9, '.' and '-', starting and ending "
            f"with a letter or digit, got {show(value)}",
        )
    return value


def dir_suffix(variable: str, value: str) -> str:
    """
    The suffix of directory markers, which must start with C{/}.
    """
    if not value.startswith("/"):
        raise ConfigError(variable, f"must start with '/', got {show(value)}")
    return value


def _check_port_text(variable: str, digits: str, value: str) -> None:
    """
    Check the port part of a C{host:port} value.
    """
    if not (_DIGITS.fullmatch(digits) and len(digits) <= 5 and MIN_PORT <= int(digits) <= MAX_PORT):
        raise ConfigError(
            variable, f"has an invalid port, which must be from 1 to 65535, got {show(value)}"
        )


def bucket_host(variable: str, value: str) -> str:
    """
    A bare C{host[:port]}, IPv6 addresses in brackets.

    The S3 client builds URLs from it, so a scheme or path here would produce
    nonsense like C{https://https://...}; full URLs belong in
    C{AWS_ENDPOINT_URL_S3}.
    """
    if "://" in value:
        raise ConfigError(
            variable,
            "must be a bare host[:port] without a scheme (put full URLs in "
            f"AWS_ENDPOINT_URL_S3), got {show(value)}",
        )
    bracketed = _BRACKETED_HOST.fullmatch(value)
    if bracketed is not None:
        address, port_text = bracketed.group("address"), bracketed.group("port")
        try:
            valid = isinstance(ipaddress.ip_address(address), ipaddress.IPv6Address)
        except ValueError:
            valid = False
        if not valid:
            raise ConfigError(variable, f"has an invalid IPv6 address, got {show(value)}")
    else:
        if value.count(":") > 1:
            raise ConfigError(
                variable,
                f"must put an IPv6 address in brackets, as in [::1]:9000, got {show(value)}",
            )
        hostname, colon, after = value.partition(":")
        if not _HOST_NAME.fullmatch(hostname):
            raise ConfigError(
                variable,
                "must be a bare host[:port] of letters, digits, '.', '-' and '_', "
                f"got {show(value)}",
            )
        port_text = after if colon else None
    if port_text is not None:
        _check_port_text(variable, port_text, value)
    return value


def endpoint_url(variable: str, value: str) -> str:
    """
    A full C{http://} or C{https://} URL of scheme, host and port, without its trailing slash.

    Only scheme, host and port are used: a path or query would be silently
    dropped by the client, so it is refused rather than ignored.
    """
    authority = re.split(r"[/?#]", value.split("://", 1)[-1].lstrip("/"), maxsplit=1)[0]
    if "@" in authority:
        # Credentials embedded in the URL: do not quote them back, whatever
        # else is wrong with it.
        raise ConfigError(variable, "must not contain a user name or password")
    if any(character.isspace() for character in value):
        # urlsplit quietly strips some whitespace; refuse it instead.
        raise ConfigError(variable, f"must not contain whitespace, got {show(value)}")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ConfigError(variable, f"is not a valid URL, got {show(value)}") from None
    if parts.scheme not in ("http", "https"):
        raise ConfigError(variable, f"must start with http:// or https://, got {show(value)}")
    if not parts.hostname:
        raise ConfigError(variable, f"must include a host, got {show(value)}")
    try:
        parts.port  # noqa: B018 - evaluated only for the ValueError it raises
    except ValueError:
        raise ConfigError(
            variable, f"has an invalid port, which must be from 1 to 65535, got {show(value)}"
        ) from None
    if parts.netloc.endswith(":"):
        raise ConfigError(variable, f"has an empty port, got {show(value)}")
    if parts.path not in ("", "/"):
        raise ConfigError(variable, f"must not have a path, got {show(value)}")
    if "?" in value or "#" in value:
        raise ConfigError(variable, f"must not have a query or fragment, got {show(value)}")
    return value[:-1] if value.endswith("/") else value


def binary_size(size: int) -> str:
    """
    C{size} in the largest binary unit that divides it: C{8388608} is C{"8MiB"}.
    """
    for unit in ("GiB", "MiB", "KiB"):
        factor = _UNITS[unit.lower()]
        if size and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def part_size(variable: str, value: str) -> int:
    """
    A multipart-upload part size within S3's bounds, in bytes or with a binary-unit suffix.

    Only KiB/MiB/GiB are understood: "MB" could mean 10**6 or 2**20, and
    guessing wrong near S3's 5 MiB minimum would fail uploads.
    """
    match = _PART_SIZE.fullmatch(value.strip())
    if match is None or len(match.group("number")) > 20:
        raise ConfigError(
            variable,
            "must be a number of bytes, optionally followed by KiB, MiB or GiB "
            f"(such as 16MiB), got {show(value)}",
        )
    unit = match.group("unit")
    size = int(match.group("number")) * (_UNITS[unit.lower()] if unit else 1)
    if not MIN_PART_SIZE <= size <= MAX_PART_SIZE:
        raise ConfigError(
            variable,
            f"must be from {binary_size(MIN_PART_SIZE)} to {binary_size(MAX_PART_SIZE)} "
            f"({MIN_PART_SIZE} to {MAX_PART_SIZE} bytes), got {show(value)}",
        )
    return size


def cidr_network(variable: str, value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """
    An IPv4 or IPv6 network; host bits are masked off rather than refused.
    """
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ConfigError(variable, f"{show(value)} is not a valid CIDR range") from None


def _checked(check: Callable[[str], Any]) -> Parser:
    """A parser that names the variable when C{check} raises a L{userfields.FieldError}."""

    def parse(variable: str, value: str) -> Any:
        try:
            return check(value)
        except userfields.FieldError as e:
            raise ConfigError(variable, e.problem) from None

    return parse


user_login = _checked(userfields.login)
user_password_hash = _checked(userfields.password_hash)
user_home = _checked(userfields.home)
user_permissions = _checked(
    lambda value: userfields.permissions_everywhere(userfields.comma_list(value))
)
user_networks = _checked(lambda value: userfields.networks(userfields.comma_list(value)))
user_max_sessions = integer(1, userfields.MAX_USER_SESSIONS)
