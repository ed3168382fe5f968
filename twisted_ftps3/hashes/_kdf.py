# -*- test-case-name: tests.test_passwords -*-
"""
scrypt and PBKDF2-SHA256 hashes, computed with C{hashlib}, in the forms of
passlib, the PHC string format, Django and Werkzeug.

The encodings differ more than the algorithms:
 - passlib's scrypt, C{$scrypt$ln=..,r=..,p=..$salt$checksum}, is already the
   PHC form: standard base64 without padding, C{ln} the base-2 logarithm of N;
 - passlib's PBKDF2, C{$pbkdf2-sha256$rounds$salt$checksum}, uses passlib's
   "adapted" base64 (C{.} for C{+}, no padding), while the PHC form,
   C{$pbkdf2-sha256$i=..[,l=..]$salt$hash}, uses standard base64;
 - Django (C{pbkdf2_sha256$iterations$salt$hash}) and Werkzeug
   (C{pbkdf2:sha256:iterations$salt$hex}, C{scrypt:N:r:p$salt$hex}) keep the
   salt as text, hashed as its UTF-8 bytes; Django writes padded base64,
   Werkzeug hexadecimal.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from ._common import (
    MAX_MEMORY,
    ab64,
    b64,
    checksum,
    hexadecimal,
    malformed,
    number,
    padded_b64,
    text_salt,
)

_MAX_ITERATIONS = 0xFFFFFFFF
_MAX_BLOCKS = 1 << 16


@dataclass(frozen=True, repr=False)
class Scrypt:
    """An scrypt hash: N, r and p set the memory (128 * N * r bytes) and the time."""

    n: int
    r: int
    p: int
    salt: bytes
    checksum: bytes
    scheme = "scrypt"

    def verify(self, attempt: bytes) -> bool:
        # OpenSSL refuses to use more than maxmem: give it what N, r and p need.
        maxmem = 128 * self.r * (self.n + self.p + 2) + (1 << 20)
        derived = hashlib.scrypt(
            attempt,
            salt=self.salt,
            n=self.n,
            r=self.r,
            p=self.p,
            maxmem=maxmem,
            dklen=len(self.checksum),
        )
        return hmac.compare_digest(derived, self.checksum)

    def cost(self) -> tuple[object, ...]:
        return ("scrypt", self.n, self.r, self.p, len(self.checksum))

    def decoy(self) -> Scrypt:
        digest = secrets.token_bytes(len(self.checksum))
        return Scrypt(self.n, self.r, self.p, secrets.token_bytes(16), digest)

    def __repr__(self) -> str:
        return f"<scrypt hash, N={self.n} r={self.r} p={self.p}>"


def _scrypt(kind: str, n: int, r: int, p: int, salt: bytes, digest: bytes) -> Scrypt:
    if n < 2 or n & (n - 1):
        raise malformed(kind, "N must be a power of two above 1")
    if 128 * r * (n + p) > MAX_MEMORY:
        raise malformed(kind, f"N, r and p need more than {MAX_MEMORY >> 20} MiB to verify")
    return Scrypt(n, r, p, salt, checksum(digest, kind))


def parse_passlib_scrypt(text: str) -> Scrypt:
    kind = "scrypt"
    match = re.fullmatch(r"\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([^$]*)\$([^$]*)", text)
    if match is None:
        raise malformed(kind, "expected $scrypt$ln=...,r=...,p=...$salt$checksum")
    ln = number(match.group(1), kind, "ln", 1, 30)
    r = number(match.group(2), kind, "r", 1, _MAX_BLOCKS)
    p = number(match.group(3), kind, "p", 1, _MAX_BLOCKS)
    salt, digest = b64(match.group(4), kind, "salt"), b64(match.group(5), kind, "checksum")
    return _scrypt(kind, 1 << ln, r, p, salt, digest)


def parse_werkzeug_scrypt(text: str) -> Scrypt:
    kind = "Werkzeug scrypt"
    match = re.fullmatch(r"scrypt:(\d+):(\d+):(\d+)\$([^$]*)\$([^$]*)", text)
    if match is None:
        raise malformed(kind, "expected scrypt:N:r:p$salt$hexhash")
    n = number(match.group(1), kind, "N", 2, 1 << 30)
    r = number(match.group(2), kind, "r", 1, _MAX_BLOCKS)
    p = number(match.group(3), kind, "p", 1, _MAX_BLOCKS)
    salt = text_salt(match.group(4), kind)
    return _scrypt(kind, n, r, p, salt, hexadecimal(match.group(5), kind))


@dataclass(frozen=True, repr=False)
class Pbkdf2Sha256:
    """A PBKDF2-HMAC-SHA256 hash: the iterations and the length derived set the time."""

    iterations: int
    salt: bytes
    checksum: bytes
    scheme = "pbkdf2-sha256"

    def verify(self, attempt: bytes) -> bool:
        derived = hashlib.pbkdf2_hmac(
            "sha256", attempt, self.salt, self.iterations, len(self.checksum)
        )
        return hmac.compare_digest(derived, self.checksum)

    def cost(self) -> tuple[object, ...]:
        return ("pbkdf2-sha256", self.iterations, len(self.checksum))

    def decoy(self) -> Pbkdf2Sha256:
        digest = secrets.token_bytes(len(self.checksum))
        return Pbkdf2Sha256(self.iterations, secrets.token_bytes(16), digest)

    def __repr__(self) -> str:
        return f"<pbkdf2-sha256 hash, {self.iterations} iterations>"


def parse_dollar_pbkdf2(text: str) -> Pbkdf2Sha256:
    """passlib's form and the PHC form, which share the identifier."""
    kind = "PBKDF2-SHA256"
    phc = re.fullmatch(r"\$pbkdf2-sha256\$i=(\d+)(?:,l=(\d+))?\$([^$]*)\$([^$]*)", text)
    if phc is not None:
        iterations = number(phc.group(1), kind, "iterations i", 1, _MAX_ITERATIONS)
        salt, digest = b64(phc.group(3), kind, "salt"), b64(phc.group(4), kind, "hash")
        if phc.group(2) is not None and int(phc.group(2)) != len(digest):
            raise malformed(kind, "the length l is not the length of the hash")
        return Pbkdf2Sha256(iterations, salt, checksum(digest, kind))
    passlib = re.fullmatch(r"\$pbkdf2-sha256\$(\d+)\$([^$]*)\$([^$]*)", text)
    if passlib is None:
        raise malformed(kind, "expected $pbkdf2-sha256$rounds$salt$checksum (or i=... for PHC)")
    iterations = number(passlib.group(1), kind, "rounds", 1, _MAX_ITERATIONS)
    salt, digest = ab64(passlib.group(2), kind, "salt"), ab64(passlib.group(3), kind, "checksum")
    return Pbkdf2Sha256(iterations, salt, checksum(digest, kind))


def _text_salted(
    text: str, kind: str, pattern: str, shape: str, decode: Callable[[str, str], bytes]
) -> Pbkdf2Sha256:
    """Django's and Werkzeug's forms: the iterations, a text salt, then the hash."""
    match = re.fullmatch(pattern, text)
    if match is None:
        raise malformed(kind, f"expected {shape}")
    iterations = number(match.group(1), kind, "iterations", 1, _MAX_ITERATIONS)
    digest = checksum(decode(match.group(3), kind), kind)
    return Pbkdf2Sha256(iterations, text_salt(match.group(2), kind), digest)


def parse_django_pbkdf2(text: str) -> Pbkdf2Sha256:
    pattern = r"pbkdf2_sha256\$(\d+)\$([^$]*)\$([^$]*)"
    shape = "pbkdf2_sha256$iterations$salt$base64hash"
    return _text_salted(text, "Django PBKDF2-SHA256", pattern, shape, padded_b64)


def parse_werkzeug_pbkdf2(text: str) -> Pbkdf2Sha256:
    pattern = r"pbkdf2:sha256:(\d+)\$([^$]*)\$([^$]*)"
    shape = "pbkdf2:sha256:iterations$salt$hexhash"
    return _text_salted(text, "Werkzeug PBKDF2-SHA256", pattern, shape, hexadecimal)
