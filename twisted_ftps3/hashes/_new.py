# -*- test-case-name: tests.test_hashpassword -*-
"""
New hashes for the C{ftps3-hash-password} command, one scheme each.

The parameters are the current recommendations a careful operator would
pick: argon2-cffi's own defaults (RFC 9106's second recommended option),
bcrypt's default cost of 12, scrypt with N=2^16, r=8, p=1 (64 MiB, passlib's
default) and PBKDF2-SHA256 with 600,000 iterations (OWASP's figure). scrypt
and PBKDF2 are written in passlib's forms, which other tools read too.
"""

from __future__ import annotations

import hashlib
import secrets

import argon2
import bcrypt

from ._common import ab64_nopad, b64_nopad
from ._libraries import BCRYPT_MAX_PASSWORD

NEW_SCHEMES = ("argon2id", "bcrypt", "scrypt", "pbkdf2-sha256")

_SCRYPT_LN, _SCRYPT_R, _SCRYPT_P = 16, 8, 1
_PBKDF2_ITERATIONS = 600_000


def new_hash(scheme: str, secret: bytes) -> str:
    """
    Hash C{secret} with a fresh salt in C{scheme}, one of L{NEW_SCHEMES}.

    @raise ValueError: for an unknown scheme, or a password bcrypt would
        silently cut (longer than 72 bytes).
    """
    salt = secrets.token_bytes(16)
    if scheme == "argon2id":
        return argon2.PasswordHasher().hash(secret)
    if scheme == "bcrypt":
        if len(secret) > BCRYPT_MAX_PASSWORD:
            raise ValueError(
                f"bcrypt reads only the first {BCRYPT_MAX_PASSWORD} bytes of a password;"
                " choose a shorter one or another scheme"
            )
        return bcrypt.hashpw(secret, bcrypt.gensalt()).decode("ascii")
    if scheme == "scrypt":
        n = 1 << _SCRYPT_LN
        maxmem = 128 * _SCRYPT_R * (n + _SCRYPT_P + 2) + (1 << 20)
        digest = hashlib.scrypt(
            secret, salt=salt, n=n, r=_SCRYPT_R, p=_SCRYPT_P, maxmem=maxmem, dklen=32
        )
        params = f"ln={_SCRYPT_LN},r={_SCRYPT_R},p={_SCRYPT_P}"
        return f"$scrypt${params}${b64_nopad(salt)}${b64_nopad(digest)}"
    if scheme == "pbkdf2-sha256":
        digest = hashlib.pbkdf2_hmac("sha256", secret, salt, _PBKDF2_ITERATIONS)
        return f"$pbkdf2-sha256${_PBKDF2_ITERATIONS}${ab64_nopad(salt)}${ab64_nopad(digest)}"
    raise ValueError(f"unknown scheme; choose one of {', '.join(NEW_SCHEMES)}")
