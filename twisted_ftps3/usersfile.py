# -*- test-case-name: tests.test_usersfile -*-
"""
The users file (C{FTP_USERS_FILE}): JSON an operator can generate from their
own systems, read into L{User}s.

Its form::

    {"users": [
      {"login": "acme",
       "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$...",
       "home": "partners/acme",
       "permissions": {"/": ["list"], "/inbox": ["upload"]},
       "allowed_cidrs": ["203.0.113.0/24"],
       "max_sessions": 4}
    ]}

Each field means what the C{FTP_USERS__i__*} variable of the same name
means, and is checked by the same code
(L{twisted_ftps3.config.userfields}); lists are JSON lists rather than
comma lists, and C{permissions} may also map directories to lists.
Anything unknown is refused, and so is C{null}, so that a typo or a
generator's empty value never silently grants or drops a permission.

A bad file is refused whole, with one line that names the file, the entry
(C{users[2]}, counted from 0, and its login when it has one) and the
field, never quoting a password or a hash.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .config import ConfigError, User
from .config import userfields as fields
from .config.errors import show

__all__ = ["FIELDS", "UsersFileError", "parse_users", "read_users_file"]

#: The variable that names the file, which a start-up error names first.
VARIABLE = "FTP_USERS_FILE"


def _kind(value: Any) -> str:
    """What JSON calls the type of C{value}, for a message that must not quote it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise fields.FieldError(f"must be a string, got {_kind(value)}")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise fields.FieldError(f"must be a list, got {_kind(value)}")
    return value


def _permissions(value: Any) -> Any:
    if isinstance(value, list):
        return fields.permissions_everywhere(value)
    if isinstance(value, dict):
        return fields.permissions_by_directory(value)
    raise fields.FieldError(
        f"must be a list of permissions, or an object of directories to lists, got {_kind(value)}"
    )


def _session_limit(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise fields.FieldError(f"must be an integer, got {_kind(value)}")
    return fields.session_limit(value)


#: Each field of an entry: the attribute of L{User} it fills, and its check.
FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "login": ("login", lambda value: fields.login(_string(value))),
    "password": ("password", lambda value: fields.password(_string(value))),
    "password_hash": ("password_hash", lambda value: fields.password_hash(_string(value))),
    "home": ("home", lambda value: fields.home(_string(value))),
    "permissions": ("permissions", _permissions),
    "allowed_cidrs": ("allowed_cidrs", lambda value: fields.networks(_list(value))),
    "max_sessions": ("max_sessions", _session_limit),
}


class UsersFileError(ConfigError):
    """
    A users file that cannot be used, as one line.

    It is a L{ConfigError} on C{FTP_USERS_FILE}, so that at start-up it ends
    the process like any bad setting; on a reload, L{line} is logged.

    @ivar line: C{"path: users[2] (login 'acme'): field: problem"}, the
        entry and field left out when the problem is not in one.
    """

    def __init__(
        self, path: str, problem: str, entry: str | None = None, field: str | None = None
    ) -> None:
        self.path = path
        self.line = ": ".join(part for part in (path, entry, field, problem) if part)
        super().__init__(VARIABLE, self.line)


def entry_name(index: int, entry: Any) -> str:
    """C{users[2] (login 'acme')}, or C{users[2]} for an entry without a usable login."""
    login = entry.get("login") if isinstance(entry, dict) else None
    if isinstance(login, str) and login:
        return f"users[{index}] (login {show(login)})"
    return f"users[{index}]"


class _DuplicateKey(Exception):
    """An object of the file names one key twice."""


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of two equal keys; a second "permissions" would
    # silently replace the first.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _load(path: str) -> Any:
    """The JSON document in C{path}."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UsersFileError(path, f"cannot be read: {e.strerror or e}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UsersFileError(path, f"is not UTF-8 text (at byte {e.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_refuse_duplicates)
    except json.JSONDecodeError as e:
        raise UsersFileError(
            path, f"is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}"
        ) from None
    except _DuplicateKey as e:
        raise UsersFileError(path, f"an object gives the key {show(str(e))} twice") from None


def read_users_file(path: str) -> tuple[User, ...]:
    """
    The users of the file at C{path}, in its order.

    @raise UsersFileError: for a file that cannot be read or parsed, or any
        bad entry; nothing of a bad file is used.
    """
    return parse_users(_load(path), path)


def parse_users(document: Any, path: str) -> tuple[User, ...]:
    """The users of a users file's parsed JSON C{document}, read from C{path}."""
    if not isinstance(document, dict):
        raise UsersFileError(
            path, f'must be a JSON object with a "users" list, got {_kind(document)}'
        )
    for key in document:
        if key != "users":
            raise UsersFileError(path, f'unknown field {show(key)}; the only field is "users"')
    if "users" not in document:
        raise UsersFileError(path, 'must have a "users" list')
    entries = document["users"]
    if not isinstance(entries, list):
        raise UsersFileError(path, f"must be a list, got {_kind(entries)}", field="users")
    users: list[User] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries):
        user = _user(path, index, entry)
        name = entry_name(index, entry)
        if user.login in seen:
            raise UsersFileError(
                path,
                f"{show(user.login)} is already the login of {seen[user.login]}",
                name,
                "login",
            )
        seen[user.login] = f"users[{index}]"
        users.append(user)
    return tuple(users)


def _user(path: str, index: int, entry: Any) -> User:
    """The user of one entry of the file."""
    name = entry_name(index, entry)
    if not isinstance(entry, dict):
        raise UsersFileError(path, f"must be an object, got {_kind(entry)}", name)
    for key in entry:
        if key not in FIELDS:
            known = ", ".join(FIELDS)
            raise UsersFileError(path, f"unknown field {show(key)}; the fields are {known}", name)
    if "login" not in entry:
        raise UsersFileError(path, "is required", name, "login")
    has_password, has_hash = "password" in entry, "password_hash" in entry
    if has_password and has_hash:
        raise UsersFileError(path, "password and password_hash are both given; give one", name)
    if not (has_password or has_hash):
        raise UsersFileError(path, "password_hash (or password) is required", name)
    values: dict[str, Any] = {}
    for key, value in entry.items():
        attribute, check = FIELDS[key]
        try:
            values[attribute] = check(value)
        except fields.FieldError as e:
            raise UsersFileError(path, e.problem, name, key + e.where) from None
    return User(**values)
