# -*- test-case-name: tests.test_passwords -*-
"""
Checking a login's password off the reactor thread, at the same cost whether
or not the login exists.

A password hash is slow on purpose (tens to hundreds of milliseconds of CPU
and up to tens of MiB of memory), so L{PasswordVerifier} runs every
verification in a small bounded thread pool, which L{VerifierPool} starts
and stops with the service tree: fifty logins at once then queue for a few
threads instead of stalling every transfer on the reactor. The hashing
libraries release the GIL while they work. Where no user has a hash, there
is nothing slow to verify: plain passwords (and the decoy) are compared on
the reactor thread, which costs microseconds, less than a trip to a thread.

The formats are L{twisted_ftps3.hashes}'; L{check_hash} is re-exported here
for the configuration.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from twisted.application.service import Service
from twisted.internet.defer import Deferred, execute
from twisted.internet.interfaces import IReactorFromThreads
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from .config import User
from .hashes import StoredHash, check_hash, parse_hash

__all__ = ["PasswordVerifier", "VerifierPool", "check_hash", "default_threads"]


@dataclass(frozen=True, repr=False)
class _Plain:
    """
    A password kept in the clear (C{FTP_USERS__i__PASSWORD}), compared as a
    digest so that the comparison's time depends on neither its length nor
    its content. C{pad} is a hash verified as well, for its cost only.
    """

    digest: bytes
    pad: StoredHash | None
    scheme = "plain"

    @classmethod
    def of(cls, password: str | bytes, pad: StoredHash | None) -> _Plain:
        raw = password.encode("utf-8") if isinstance(password, str) else password
        return cls(hashlib.sha256(raw).digest(), pad)

    def verify(self, attempt: bytes) -> bool:
        matches = hmac.compare_digest(hashlib.sha256(attempt).digest(), self.digest)
        if self.pad is not None:
            self.pad.verify(attempt)
        return matches

    def cost(self) -> tuple[object, ...]:
        return ("plain",)

    def decoy(self) -> _Plain:
        return _Plain(secrets.token_bytes(32), self.pad)

    def __repr__(self) -> str:
        return "<plain password>"


def _typical(hashes: list[StoredHash]) -> StoredHash | None:
    """The first of the hashes whose cost is the most common among them."""
    if not hashes:
        return None
    (cost, _), *_ = Counter(stored.cost() for stored in hashes).most_common(1)
    return next(stored for stored in hashes if stored.cost() == cost)


class PasswordVerifier:
    """
    Verify a login's password in a bounded thread pool.

    What a timing attacker sees is the time from PASS to the answer. So
    that it does not tell which logins exist, an unknown login (C{user} of
    C{None}) is verified against a decoy: a hash with a fresh random salt
    and random digest, of the scheme and parameters most common among the
    users' hashes, which costs what verifying those users costs and which
    no password matches. A user with a plain password is padded with the
    same work. What remains visible: a user whose hash has another scheme
    or other parameters than the most common ones takes a different time,
    and so can be told apart from an unknown login. Keep every user's hash
    on one scheme with the same parameters (C{ftps3-hash-password}'s
    defaults) and all logins look alike. The queue for the pool's threads
    adds the same wait to every attempt, known or not; where no user has a
    hash, no attempt goes to the pool.

    @ivar decoy: what an unknown login is verified against.
    """

    def __init__(
        self, reactor: IReactorFromThreads, threadpool: ThreadPool, users: Iterable[User]
    ) -> None:
        self._reactor = reactor
        self._threadpool = threadpool
        self.update(users)

    def update(self, users: Iterable[User]) -> None:
        """
        Take the users of a (re)loaded configuration: parse their hashes
        once, and make the decoy for the new majority. Cheap enough for the
        reactor thread: parsing hashes nothing, and neither does the decoy.

        @raise ValueError: a user's hash cannot be verified (the
            configuration has already refused it with L{check_hash}).
        """
        hashed = [user.password_hash for user in users if user.password_hash is not None]
        parsed = {text: parse_hash(text) for text in hashed}
        typical = _typical([parsed[text] for text in hashed])
        self._parsed = parsed
        # The pad makes a plain password cost what the typical hash does.
        self._pad: StoredHash | None = None if typical is None else typical.decoy()
        self.decoy: StoredHash = self._pad or _Plain(secrets.token_bytes(32), None)

    def _check_for(self, user: User | None) -> Callable[[bytes], bool]:
        if user is not None and user.password_hash is not None:
            text = user.password_hash
            stored = self._parsed.get(text)
            if stored is None:
                # A user this verifier has not been updated with yet: parse in
                # the thread, so that even an error arrives as a failure.
                return lambda attempt: parse_hash(text).verify(attempt)
            return stored.verify
        if user is not None and user.password is not None:
            return _Plain.of(user.password, self._pad).verify
        decoy = self.decoy

        def nobody(attempt: bytes) -> bool:
            decoy.verify(attempt)
            return False

        return nobody

    def verify(self, user: User | None, attempt: bytes) -> Deferred[bool]:
        """
        Whether C{attempt} is C{user}'s password, decided in the thread pool
        (or at once, where no user has a hash).

        @param user: the user of the login given, or C{None} if there is none.
        @return: fires with C{True} or C{False} on the reactor thread.
        """
        check = self._check_for(user)
        if self._pad is None and (user is None or user.password_hash is None):
            # No user has a hash (so there is no pad): a plain comparison,
            # known login or not, at the same (tiny) cost for both.
            return execute(check, attempt)
        return deferToThreadPool(self._reactor, self._threadpool, check, attempt)


def default_threads() -> int:
    """
    Hashing is CPU-bound: more threads than cores only share the same cores
    and hold more memory (64 MiB each for argon2-cffi's defaults).
    """
    return max(1, min(4, os.cpu_count() or 1))


class VerifierPool(Service):
    """
    The thread pool that passwords are verified in, started and stopped with
    the service tree. Put it before the listening ports in the tree, so
    that it starts before them and stops after them.

    @ivar threadpool: the pool, to give to L{PasswordVerifier}.
    """

    name = "password-verifier"

    def __init__(self, maxthreads: int | None = None) -> None:
        threads = default_threads() if maxthreads is None else maxthreads
        self.threadpool = ThreadPool(minthreads=0, maxthreads=threads, name="ftps3-passwords")

    def startService(self) -> None:
        super().startService()
        self.threadpool.start()

    def stopService(self) -> None:
        # A MultiService stops every child each time it is stopped, running
        # or not; a thread pool can be stopped only once.
        if not self.running:
            return
        super().stopService()
        # Joins the threads once the verifications queued are done: a few at
        # shutdown, each well under a second, and their logins are answered.
        self.threadpool.stop()
