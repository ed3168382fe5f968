# -*- test-case-name: tests.test_passwords -*-
"""
What every stored-hash format shares: the L{StoredHash} shape, the strict
readers of the text around a hash, and error messages that quote nothing.

The messages end up in configuration errors and so in logs: each names what
is wrong and the formats accepted, and never the hash or any part of it
(not even a cost, which would tell an attacker what to budget for).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Protocol

ACCEPTED = (
    "bcrypt ($2a$, $2b$, $2y$, as htpasswd -B writes it), "
    "argon2id or argon2i ($argon2id$v=19$m=...,t=...,p=...$...), "
    "scrypt (passlib's or PHC $scrypt$ln=...,r=...,p=...$..., Werkzeug's scrypt:N:r:p$...) "
    "and PBKDF2-SHA256 (passlib's $pbkdf2-sha256$rounds$..., PHC $pbkdf2-sha256$i=...$..., "
    "Django's pbkdf2_sha256$..., Werkzeug's pbkdf2:sha256:...$...)"
)

# A login should never need more memory than this: the verifier's few
# threads at once would otherwise take the server's memory.
MAX_MEMORY = 1 << 30
_MIN_CHECKSUM = 16


class StoredHash(Protocol):
    """One parsed stored hash, as L{twisted_ftps3.hashes.parse_hash} returns it."""

    scheme: str

    def verify(self, attempt: bytes) -> bool:
        """Whether C{attempt} is the password; blocks for the hash's cost."""

    def cost(self) -> tuple[object, ...]:
        """The scheme and the parameters that decide how long C{verify} takes."""

    def decoy(self) -> StoredHash:
        """A hash of the same cost, with a fresh random salt, that no password matches."""


def malformed(kind: str, why: str) -> ValueError:
    """The error for a hash of a known format that cannot be read."""
    return ValueError(f"malformed {kind} hash: {why}; accepted formats: {ACCEPTED}")


def b64_nopad(data: bytes) -> str:
    """Standard base64 without padding, as PHC strings and passlib's scrypt write it."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def ab64_nopad(data: bytes) -> str:
    """passlib's "adapted" base64 (C{.} for C{+}, no padding), as its PBKDF2 hashes use."""
    return b64_nopad(data).replace("+", ".")


def _decode(text: str, alphabet: str, altchars: bytes, kind: str, field: str) -> bytes:
    error = malformed(kind, f"the {field} is not base64 without padding")
    if not re.fullmatch(f"[{alphabet}]*", text) or len(text) % 4 == 1:
        raise error
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=altchars, validate=True)
    except binascii.Error:
        raise error from None


def b64(text: str, kind: str, field: str) -> bytes:
    """Decode standard base64 without padding (PHC's "B64")."""
    return _decode(text, "A-Za-z0-9+/", b"+/", kind, field)


def ab64(text: str, kind: str, field: str) -> bytes:
    """Decode passlib's adapted base64."""
    return _decode(text, "A-Za-z0-9./", b"./", kind, field)


def padded_b64(text: str, kind: str) -> bytes:
    """Decode standard base64 with its padding, as Django writes its hashes."""
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise malformed(kind, "the hash is not padded base64") from None


def hexadecimal(text: str, kind: str) -> bytes:
    """Decode a lower-case hexadecimal hash, as Werkzeug writes them."""
    if not re.fullmatch(r"(?:[0-9a-f]{2})+", text):
        raise malformed(kind, "the hash must be lower-case hexadecimal")
    return bytes.fromhex(text)


def number(text: str, kind: str, field: str, low: int, high: int) -> int:
    """A decimal parameter without leading zeros, within bounds."""
    if not re.fullmatch(r"[1-9][0-9]{0,11}|0", text) or not low <= int(text) <= high:
        raise malformed(kind, f"the {field} must be a whole number from {low} to {high}")
    return int(text)


def checksum(data: bytes, kind: str) -> bytes:
    """Refuse a hash too short to be anything but truncated."""
    if len(data) < _MIN_CHECKSUM:
        raise malformed(kind, f"the hash must be at least {_MIN_CHECKSUM} bytes")
    return data


def text_salt(text: str, kind: str) -> bytes:
    """A salt stored as text (Django's, Werkzeug's): its UTF-8 bytes are what was hashed."""
    if not text or not text.isprintable() or text.strip() != text:
        raise malformed(kind, "the salt must be printable text")
    return text.encode("utf-8")
