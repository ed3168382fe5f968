# -*- test-case-name: tests.test_locks -*-
"""
Reader/writer locks on the bucket's key space, so that one process never
races itself.

A lock is named by a key prefix: C{""} for the whole bucket, C{a/b/} for
what lives under C{a/b/} (L{twisted_ftps3.objectkeys.KeyMap.prefix} names a
path so). An operation read-locks every ancestor prefix of what it touches
(the parents must go on existing) and write-locks the prefixes it changes.
Because the names are keys rather than FTP paths, two users whose roots are
different prefixes never share a lock by accident, and two whose roots
overlap (C{home/} and C{home/alice/}) contend exactly where their trees
meet.

All locks of one operation are taken in one global order (sorted prefixes,
so ancestors first), which is what makes deadlock impossible: no two
operations can each hold a lock the other is waiting for.

These locks live in one process. Several instances in front of one bucket
are not serialised by them; S3's own semantics (atomic PUT and
CompleteMultipartUpload) are what keeps each object whole there.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from twisted.internet.defer import Deferred, succeed


class Mode(enum.Enum):
    READ = "read"
    WRITE = "write"


def _check(prefix: str) -> str:
    if prefix and not prefix.endswith("/"):
        raise ValueError(f"{prefix!r} is not a key prefix: it must be empty or end with '/'")
    return prefix


def ancestors(prefix: str) -> list[str]:
    """
    Every proper ancestor of the key prefix C{prefix}, from the bucket's
    root down: C{a/b/} has C{""} and C{a/}.
    """
    _check(prefix)
    return [
        prefix[: end + 1] for end in range(-1, len(prefix) - 1) if end < 0 or prefix[end] == "/"
    ]


class _ReadWriteLock:
    """
    One prefix's lock: many readers or one writer, granted first come, first
    served, so that a steady stream of readers cannot starve a writer.
    """

    def __init__(self) -> None:
        self.readers = 0
        self.writer = False
        self._waiting: deque[tuple[Mode, Deferred[None]]] = deque()

    @property
    def idle(self) -> bool:
        return not self.readers and not self.writer and not self._waiting

    def _grantable(self, mode: Mode) -> bool:
        if mode is Mode.WRITE:
            return not self.readers and not self.writer
        return not self.writer

    def _take(self, mode: Mode) -> None:
        if mode is Mode.WRITE:
            self.writer = True
        else:
            self.readers += 1

    def acquire(self, mode: Mode) -> Deferred[None]:
        if not self._waiting and self._grantable(mode):
            self._take(mode)
            return succeed(None)

        def cancel(d: Deferred[None]) -> None:
            self._waiting.remove((mode, d))
            # The cancelled waiter may have been all that held back the
            # waiters queued behind it.
            self._grant()

        waiter: Deferred[None] = Deferred(cancel)
        self._waiting.append((mode, waiter))
        return waiter

    def release(self, mode: Mode) -> None:
        if mode is Mode.WRITE:
            self.writer = False
        else:
            self.readers -= 1
        self._grant()

    def _grant(self) -> None:
        """Grant the waiters at the head of the queue, in order, while they can be."""
        while self._waiting and self._grantable(self._waiting[0][0]):
            next_mode, waiter = self._waiting.popleft()
            self._take(next_mode)
            waiter.callback(None)


class KeyLocks:
    """The locks of every key prefix some operation is using right now."""

    def __init__(self) -> None:
        self._locks: dict[str, _ReadWriteLock] = {}

    def __len__(self) -> int:
        """How many prefixes have a lock held or awaited (idle ones are dropped)."""
        return len(self._locks)

    @asynccontextmanager
    async def hold(
        self, *, read: Iterable[str] = (), write: Iterable[str] = ()
    ) -> AsyncIterator[None]:
        """
        Hold read locks on the key prefixes C{read} and write locks on
        C{write} for the body of an C{async with}. A prefix in both is
        write-locked.
        """
        wanted: dict[str, Mode] = {_check(prefix): Mode.READ for prefix in read}
        wanted.update({_check(prefix): Mode.WRITE for prefix in write})
        held: list[tuple[str, Mode]] = []
        try:
            for prefix in sorted(wanted):
                mode = wanted[prefix]
                lock = self._locks.setdefault(prefix, _ReadWriteLock())
                try:
                    await lock.acquire(mode)
                except BaseException:
                    self._forget_if_idle(prefix)
                    raise
                held.append((prefix, mode))
            yield
        finally:
            for prefix, mode in reversed(held):
                self._locks[prefix].release(mode)
                self._forget_if_idle(prefix)

    def _forget_if_idle(self, prefix: str) -> None:
        lock = self._locks.get(prefix)
        if lock is not None and lock.idle:
            del self._locks[prefix]
