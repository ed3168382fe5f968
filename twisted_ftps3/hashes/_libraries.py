# -*- test-case-name: tests.test_passwords -*-
"""
bcrypt and argon2 hashes, verified by the C{bcrypt} and C{argon2-cffi} packages.

This module reads only the text, to refuse a malformed hash at start-up and
to know its cost; the hashing itself is the libraries'. Both release the GIL
while they hash, so verifying in a thread leaves the reactor free.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import argon2
import bcrypt

from ._common import MAX_MEMORY, b64, b64_nopad, checksum, malformed, number

_BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# bcrypt reads only the first 72 bytes of a password.
BCRYPT_MAX_PASSWORD = 72


@dataclass(frozen=True, repr=False)
class Bcrypt:
    """A bcrypt hash: C{$2a$}, C{$2b$} or C{$2y$}, a cost, a salt and a checksum."""

    text: bytes
    rounds: int
    scheme = "bcrypt"

    def verify(self, attempt: bytes) -> bool:
        # htpasswd and every other bcrypt cut the password at 72 bytes when
        # they made the hash; the bcrypt package refuses longer ones instead.
        return bcrypt.checkpw(attempt[:BCRYPT_MAX_PASSWORD], self.text)

    def cost(self) -> tuple[object, ...]:
        return ("bcrypt", self.rounds)

    def decoy(self) -> Bcrypt:
        # checkpw rehashes with the stored salt and cost, then compares: a
        # random checksum costs what a real one does and matches nothing.
        tail = "".join(secrets.choice(_BCRYPT_ALPHABET) for _ in range(31))
        return Bcrypt(bcrypt.gensalt(self.rounds) + tail.encode("ascii"), self.rounds)

    def __repr__(self) -> str:
        return f"<bcrypt hash, cost {self.rounds}>"


def parse_bcrypt(text: str) -> Bcrypt:
    match = re.fullmatch(r"\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}", text)
    if match is None:
        raise malformed("bcrypt", "expected $2b$ (or $2a$, $2y$), a 2-digit cost, 53 characters")
    rounds = number(match.group(1).lstrip("0") or "0", "bcrypt", "cost", 4, 31)
    return Bcrypt(text.encode("ascii"), rounds)


_ARGON2 = argon2.PasswordHasher()


@dataclass(frozen=True, repr=False)
class Argon2:
    """An argon2id or argon2i hash in the form argon2-cffi writes."""

    text: str
    parameters: argon2.Parameters
    scheme = "argon2"

    def verify(self, attempt: bytes) -> bool:
        try:
            return _ARGON2.verify(self.text, attempt)
        except argon2.exceptions.VerificationError:
            return False

    def cost(self) -> tuple[object, ...]:
        p = self.parameters
        return ("argon2", p.type.name, p.version, p.memory_cost, p.time_cost, p.parallelism) + (
            p.hash_len,
        )

    def decoy(self) -> Argon2:
        # As for bcrypt: the hash is recomputed from the stored parameters
        # and salt, then compared, so a random one costs the same.
        p = self.parameters
        salt, digest = secrets.token_bytes(p.salt_len), secrets.token_bytes(p.hash_len)
        head = f"$argon2{p.type.name.lower()}$v={p.version}"
        head += f"$m={p.memory_cost},t={p.time_cost},p={p.parallelism}"
        return Argon2(f"{head}${b64_nopad(salt)}${b64_nopad(digest)}", p)

    def __repr__(self) -> str:
        p = self.parameters
        name = f"argon2{p.type.name.lower()}"
        return f"<{name} hash, m={p.memory_cost} t={p.time_cost} p={p.parallelism}>"


def parse_argon2(text: str) -> Argon2:
    match = re.fullmatch(r"\$argon2(?:id|i)\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([^$]*)\$([^$]*)", text)
    if match is None:
        raise malformed("argon2", "expected $argon2id$v=19$m=...,t=...,p=...$salt$hash")
    lanes = number(match.group(3), "argon2", "parallelism p", 1, 255)
    memory = number(match.group(1), "argon2", "memory m (KiB)", 8, MAX_MEMORY >> 10)
    if memory < 8 * lanes:
        raise malformed("argon2", "the memory m must be at least 8 KiB for each lane p")
    number(match.group(2), "argon2", "time cost t", 1, 1000)
    if len(b64(match.group(4), "argon2", "salt")) < 8:
        raise malformed("argon2", "the salt must be at least 8 bytes")
    checksum(b64(match.group(5), "argon2", "hash"), "argon2")
    return Argon2(text, argon2.extract_parameters(text))
