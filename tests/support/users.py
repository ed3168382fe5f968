"""
Users for the tests: real password hashes, the bank layout the README
documents and a writer of users files; and stand-ins for the user
directory and the password verifier, for tests of the checker, the realm
and the protocol (a directory that is a dictionary, and a verifier of
passwords in the clear whose answers a test can hold back, as a slow hash
would).
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterable
from typing import Any

from twisted.internet import defer

from twisted_ftps3.config import User
from twisted_ftps3.permissions import Permissions

__all__ = [
    "ARGON2_HASH",
    "BANK_FILE",
    "BANK_OPERATOR",
    "BANK_PASSWORD",
    "BANK_USER",
    "BCRYPT_HASH",
    "Directory",
    "PlainVerifier",
    "write_users_file",
]

#: The password the two hashes below are of.
BANK_PASSWORD = "acme bank password"
#: argon2-cffi's default argon2id of L{BANK_PASSWORD}.
ARGON2_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$roXBlae5vUQCneXTGlE1Zg"
    "$NbbYJnZqJQOX78uM4oFh+EXF8+L31j+++1CqRnM6zuw"
)
#: A bcrypt of L{BANK_PASSWORD}, at the lowest cost so that tests are quick.
BCRYPT_HASH = "$2b$04$bNVRYzdDNKW14oi5kNzxu.R/dCL0MLUvbwZShZmBNtLalhu.IddEG"

#: The README's users file: a bank partner who may list its home, only
#: upload into /inbox and list and download /outbox, and an operator who
#: may do anything in every partner's home.
BANK_FILE: dict[str, Any] = {
    "users": [
        {
            "login": "acme",
            "password_hash": ARGON2_HASH,
            "home": "partners/acme",
            "permissions": {
                "/": ["list"],
                "/inbox": ["upload"],
                "/outbox": ["list", "download"],
            },
            "allowed_cidrs": ["203.0.113.0/24"],
            "max_sessions": 4,
        },
        {"login": "operator", "password_hash": BCRYPT_HASH, "home": "partners"},
    ]
}

#: The user L{BANK_FILE}'s first entry describes.
BANK_USER = User(
    "acme",
    password_hash=ARGON2_HASH,
    home="partners/acme/",
    permissions=Permissions.from_mapping(
        {"/": ["list"], "/inbox": ["upload"], "/outbox": ["list", "download"]}
    ),
    allowed_cidrs=(ipaddress.ip_network("203.0.113.0/24"),),
    max_sessions=4,
)

#: The user L{BANK_FILE}'s second entry describes.
BANK_OPERATOR = User("operator", password_hash=BCRYPT_HASH, home="partners/")


def write_users_file(path: str, document: Any) -> None:
    """
    Write C{document} to C{path} as JSON (or as it is, if it is text), the
    way an operator's tool should: to a new file renamed over the old, so
    that a reload never reads half a file.
    """
    text = document if isinstance(document, str) else json.dumps(document, indent=2)
    temporary = f"{path}.new"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temporary, path)


class Directory:
    """Users by login, which a test may change between logins as a reload would."""

    def __init__(self, users: Iterable[User] = ()) -> None:
        self.users = {user.login: user for user in users}

    def get(self, login: str) -> User | None:
        return self.users.get(login)


class PlainVerifier:
    """
    Compares a password with the user's password in the clear.

    @ivar calls: the user (or C{None}) and attempt of each verification.
    @ivar hold: if true, answers wait in L{held} until a test fires them.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[User | None, bytes]] = []
        self.hold = False
        self.held: list[tuple[defer.Deferred[bool], bool]] = []

    def verify(self, user: User | None, attempt: bytes) -> defer.Deferred[bool]:
        self.calls.append((user, attempt))
        matches = user is not None and user.password is not None
        matches = matches and user.password.encode("utf-8") == attempt  # type: ignore[union-attr]
        if not self.hold:
            return defer.succeed(matches)
        d: defer.Deferred[bool] = defer.Deferred()
        self.held.append((d, matches))
        return d

    def release(self) -> None:
        """Answer every verification held back."""
        held, self.held = self.held, []
        for d, matches in held:
            d.callback(matches)
