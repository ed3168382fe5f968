# -*- test-case-name: tests.test_passwords -*-
"""
Stored password hashes in the formats operators already have: read, checked, verified.

An operator moving to this server brings hashes from somewhere: C{htpasswd
-B}, argon2-cffi, passlib, Django or Werkzeug. L{parse_hash} reads each into
a small value (a L{StoredHash}) whose C{verify(attempt)} recomputes the hash
of an attempt with the stored parameters and compares in constant time;
L{check_hash} is the same reading for the configuration, which must refuse a
hash no login could ever match. L{new_hash} writes hashes for the
C{ftps3-hash-password} command.

The hashing is done by the well-kept libraries (C{bcrypt}, C{argon2-cffi})
and by C{hashlib}'s scrypt and PBKDF2; the private modules only read the
text around them: L{_libraries} bcrypt and argon2, L{_kdf} scrypt and
PBKDF2-SHA256, L{_common} what they share.
"""

from __future__ import annotations

from collections.abc import Callable

from ._common import ACCEPTED, StoredHash
from ._kdf import (
    parse_django_pbkdf2,
    parse_dollar_pbkdf2,
    parse_passlib_scrypt,
    parse_werkzeug_pbkdf2,
    parse_werkzeug_scrypt,
)
from ._libraries import parse_argon2, parse_bcrypt
from ._new import NEW_SCHEMES, new_hash

__all__ = ["ACCEPTED", "NEW_SCHEMES", "StoredHash", "check_hash", "new_hash", "parse_hash"]

_PARSERS: tuple[tuple[str, Callable[[str], StoredHash]], ...] = (
    ("$2", parse_bcrypt),
    ("$argon2", parse_argon2),
    ("$scrypt$", parse_passlib_scrypt),
    ("scrypt:", parse_werkzeug_scrypt),
    ("$pbkdf2-sha256$", parse_dollar_pbkdf2),
    ("pbkdf2_sha256$", parse_django_pbkdf2),
    ("pbkdf2:sha256:", parse_werkzeug_pbkdf2),
)


def parse_hash(text: str) -> StoredHash:
    """
    Read a stored hash, checking all of it, so that a bad one stops the
    configuration rather than failing every login.

    @raise ValueError: the format is not one accepted, or the hash is
        malformed; the message names the accepted formats and quotes
        nothing of C{text}.
    """
    for prefix, parse in _PARSERS:
        if text.startswith(prefix):
            return parse(text)
    raise ValueError(f"not a password hash this server can verify; accepted formats: {ACCEPTED}")


def check_hash(text: str) -> None:
    """
    Refuse a stored hash this server cannot verify: the parser of
    C{FTP_USERS__i__PASSWORD_HASH} and of the users file's C{password_hash}.

    @raise ValueError: as L{parse_hash} does.
    """
    parse_hash(text)
