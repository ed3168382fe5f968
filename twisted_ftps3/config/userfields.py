# -*- test-case-name: tests.test_config,tests.test_usersfile -*-
"""
The fields of a user, checked once for both places users come from.

A user is declared either in the environment (C{FTP_USERS__i__HOME} and
friends, whose values are text) or in the users file (whose values are JSON
strings, lists and maps). Both are checked here, so that a home, a network
or a permission means the same in both, and a rule changed here changes
for both: L{twisted_ftps3.config.parsers} adapts these checks to a
variable's text, L{twisted_ftps3.usersfile} to the file's values.

Each check raises L{FieldError}, a C{ValueError} whose message reads after
a variable's name (C{FTP_USERS__1__HOME: must not ...}) as well as after a
field's (C{home: must not ...}). No message quotes a password or a hash.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from ..hashes import check_hash
from ..objectkeys import NameNotAllowed, check_names, control_character
from ..permissions import Permissions, directory_segments, parse_names
from ..s3.limits import MAX_KEY_BYTES
from .errors import show

__all__ = [
    "MAX_USER_SESSIONS",
    "FieldError",
    "Network",
    "check_hash",
    "comma_list",
    "home",
    "login",
    "networks",
    "password",
    "password_hash",
    "permissions_by_directory",
    "permissions_everywhere",
    "session_limit",
]

#: The most sessions one user may be allowed, as for the whole process.
MAX_USER_SESSIONS = 1_000_000

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class FieldError(ValueError):
    """
    A value a field refuses.

    @ivar problem: what is wrong, to follow the variable or field's name.
    @ivar where: the part of the field at fault, such as C{"['/inbox']"}
        in a map of permissions; C{""} for the whole field.
    """

    def __init__(self, problem: str, where: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.where = where


def login(value: str) -> str:
    """
    A login: not empty, and without control characters, which no FTP
    client can send and which would break the log lines that name it.
    """
    if value == "":
        raise FieldError("must not be empty")
    if control_character(value) is not None:
        raise FieldError(f"must not contain control characters, got {show(value)}")
    return value


def password(value: str) -> str:
    """A password in the clear: anything but empty."""
    if value == "":
        raise FieldError("must not be empty")
    return value


def password_hash(value: str) -> str:
    """A hash in a format the server can verify; the message never quotes it."""
    try:
        check_hash(value)
    except ValueError as e:
        raise FieldError(str(e)) from None
    return value


def home(value: str) -> str:
    """
    The key prefix that is a user's C{/}: C{"partners/acme"} and
    C{"partners/acme/"} are C{"partners/acme/"}; C{""} and C{"/"} are C{""},
    the whole bucket. One leading C{/} is dropped, as operators write homes
    like paths; every segment must be a name the shell could store.
    """
    original = value
    value = value.removeprefix("/")
    if value == "":
        return ""
    segments = value.removesuffix("/").split("/")
    if "" in segments:
        raise FieldError(f"must not have empty segments, got {show(original)}")
    try:
        check_names(segments)
    except NameNotAllowed as e:
        raise FieldError(
            f"is not a key prefix the server can use ({e}), got {show(original)}"
        ) from None
    prefix = "/".join(segments) + "/"
    if len(prefix.encode("utf-8")) >= MAX_KEY_BYTES:
        raise FieldError(f"is longer than S3's {MAX_KEY_BYTES}-byte key limit")
    return prefix


def comma_list(value: str) -> list[str]:
    """The items of a comma list such as C{"list, download"}, stripped; none may be empty."""
    items = [item.strip() for item in value.split(",")]
    if "" in items:
        raise FieldError(f"has an empty item in its comma list, got {show(value)}")
    return items


def _names(names: Any, where: str = "") -> frozenset[str]:
    """The permissions a list of names grants."""
    if not isinstance(names, list | tuple):
        raise FieldError("must be a list of permission names", where)
    try:
        return parse_names(names)
    except ValueError as e:
        raise FieldError(str(e), where) from None


def permissions_everywhere(names: Iterable[str]) -> Permissions:
    """The permissions C{names} grant in every directory of the home."""
    return Permissions.everywhere(_names(list(names)))


def permissions_by_directory(mapping: Mapping[str, Any]) -> Permissions:
    """
    Permissions from a map of directories of the home to lists of names;
    the deepest directory named wins, and C{/} must be named.
    """
    named = set()
    for path, names in mapping.items():
        where = f"[{show(path)}]"
        try:
            segments = directory_segments(path)
            check_names(segments)
        except (ValueError, NameNotAllowed) as e:
            raise FieldError(f"is not a directory of the home: {e}", where) from None
        _names(names, where)
        named.add(segments)
    if () not in named:
        raise FieldError("must say what '/', the home itself, grants")
    try:
        return Permissions.from_mapping(mapping)
    except ValueError as e:
        raise FieldError(str(e)) from None


def networks(values: Iterable[Any]) -> tuple[Network, ...]:
    """
    Networks such as C{203.0.113.0/24}, at least one. Host bits are refused,
    not masked: C{203.0.113.7/24} is more likely a typo than a network.
    """
    found: list[Network] = []
    for value in values:
        if not isinstance(value, str):
            raise FieldError("must be a list of networks written as strings")
        try:
            network = ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            raise FieldError(
                f"{show(value)} is not a network such as 203.0.113.0/24 or 2001:db8::/32"
            ) from None
        if network.network_address != ipaddress.ip_interface(value.strip()).ip:
            raise FieldError(f"{show(value)} has host bits set; the network is {network}")
        found.append(network)
    if not found:
        raise FieldError("must name at least one network; leave it out to allow any address")
    return tuple(found)


def session_limit(number: int) -> int:
    """How many sessions a user may have at once: 1 to L{MAX_USER_SESSIONS}."""
    if not 1 <= number <= MAX_USER_SESSIONS:
        raise FieldError(f"must be an integer from 1 to {MAX_USER_SESSIONS}, got {number}")
    return number
