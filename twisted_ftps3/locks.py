# -*- test-case-name: tests.test_locks -*-
"""
Per-path reader/writer locks, so that one process never races itself.

An operation read-locks every ancestor of the paths it touches (the parents
must go on existing) and write-locks the paths it changes. All locks of one
operation are taken in one global order (sorted path tuples, so ancestors
first), which is what makes deadlock impossible: no two operations can each
hold a lock the other is waiting for.

These locks live in one process. Several instances in front of one bucket
are not serialised by them; S3's own semantics (atomic PUT and
CompleteMultipartUpload) are what keeps each object whole there.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager

from twisted.internet.defer import Deferred, succeed

Path = tuple[str, ...]


class Mode(enum.Enum):
    READ = "read"
    WRITE = "write"


def ancestors(path: Sequence[str]) -> list[Path]:
    """Every proper ancestor of C{path}, from the root down."""
    return [tuple(path[:depth]) for depth in range(len(path))]


class _ReadWriteLock:
    """
    One path's lock: many readers or one writer, granted first come, first
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


class PathLocks:
    """The locks of every path some operation is using right now."""

    def __init__(self) -> None:
        self._locks: dict[Path, _ReadWriteLock] = {}

    def __len__(self) -> int:
        """How many paths have a lock held or awaited (idle ones are dropped)."""
        return len(self._locks)

    @asynccontextmanager
    async def hold(
        self, *, read: Iterable[Sequence[str]] = (), write: Iterable[Sequence[str]] = ()
    ) -> AsyncIterator[None]:
        """
        Hold read locks on C{read} and write locks on C{write} for the body
        of an C{async with}. A path in both is write-locked.
        """
        wanted: dict[Path, Mode] = {tuple(path): Mode.READ for path in read}
        wanted.update({tuple(path): Mode.WRITE for path in write})
        held: list[tuple[Path, Mode]] = []
        try:
            for path in sorted(wanted):
                mode = wanted[path]
                lock = self._locks.setdefault(path, _ReadWriteLock())
                try:
                    await lock.acquire(mode)
                except BaseException:
                    self._forget_if_idle(path)
                    raise
                held.append((path, mode))
            yield
        finally:
            for path, mode in reversed(held):
                self._locks[path].release(mode)
                self._forget_if_idle(path)

    def _forget_if_idle(self, path: Path) -> None:
        lock = self._locks.get(path)
        if lock is not None and lock.idle:
            del self._locks[path]
