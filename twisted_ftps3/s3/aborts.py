# -*- test-case-name: tests.test_s3_aborts -*-
"""
Aborts that failed, tried again in the background until S3 forgets the
upload.

An upload is abandoned when its transfer fails, often because S3 itself is
failing: the abort sent then fails too. Forgotten, its parts would stay in
the bucket, billed, until a lifecycle rule or the sweeper
(L{twisted_ftps3.s3.sweeper}) clears them. L{AbortRetrier} keeps each such
upload and tries again with exponential backoff on the injected clock,
until the abort works or a long deadline passes. On shutdown it tries every
pending abort once more at once and waits a bounded time for them, so that
a stopping server does not hang on an S3 that is down.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, ensureDeferred, gatherResults
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

from .interfaces import IAbortRetrier, IObjectStore

__all__ = ["AbortRetrier"]

log = Logger()

#: The first wait before an abort is tried again, in seconds.
FIRST_DELAY = 1.0
#: The longest wait between two tries: five minutes.
MAX_DELAY = 300.0
#: How long an abort is tried before it is left to the sweeper: a day.
DEADLINE = 24 * 3600.0
#: How long a shutdown waits for pending aborts.
SHUTDOWN_WAIT = 5.0


@dataclass(eq=False)
class _Pending:
    """One upload whose abort is still to succeed."""

    store: IObjectStore
    key: str
    upload_id: str
    since: float
    attempts: int = 0
    call: IDelayedCall | None = None
    trying: bool = False
    done: Deferred[None] = field(default_factory=Deferred)


@implementer(IAbortRetrier)
class AbortRetrier(Service):
    """
    A service that keeps trying the aborts handed to L{retry}.

    The wait before try M{n} is C{first_delay * 2 ** (n - 1)}, capped at
    C{max_delay}, and scaled by a random factor between a half and one so
    that the aborts of many uploads cut off by one outage do not all come
    back at once.

    @param clock: where the waits are scheduled.
    @param deadline: seconds after the first failure at which an abort is
        given up, and logged as left to the sweeper.
    @param shutdown_wait: how long L{stopService} waits for pending aborts.
    @param jitter: a random number in [0, 1); tests pass a constant.
    """

    def __init__(
        self,
        clock: IReactorTime,
        *,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        deadline: float = DEADLINE,
        shutdown_wait: float = SHUTDOWN_WAIT,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._clock = clock
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._deadline = deadline
        self._shutdown_wait = shutdown_wait
        self._jitter = jitter
        self._pending: dict[tuple[int, str, str], _Pending] = {}

    def __len__(self) -> int:
        """How many aborts are still to succeed."""
        return len(self._pending)

    def retry(self, store: IObjectStore, key: str, upload_id: str) -> None:
        """
        Try again, after a wait, to abort C{upload_id} of C{key} in C{store}.
        An upload already pending is not added twice.
        """
        identity = (id(store), key, upload_id)
        if identity in self._pending:
            return
        pending = _Pending(store, key, upload_id, since=self._clock.seconds())
        self._pending[identity] = pending
        self._schedule(pending)

    def stopService(self) -> Deferred[None]:
        """Stop, after L{settle}."""
        super().stopService()
        return self.settle()

    def settle(self) -> Deferred[None]:
        """
        Try every pending abort now, and fire once all have succeeded or
        C{shutdown_wait} seconds have passed, whichever comes first; those
        still failing then are given up and left to the sweeper. A shutdown
        calls it once the uploads in progress are aborted.
        """
        waiting = list(self._pending.values())
        if waiting:
            log.info(
                "waiting up to {seconds} s for {count} multipart upload abort(s)",
                seconds=self._shutdown_wait,
                count=len(waiting),
            )
        for pending in waiting:
            if not pending.trying:
                if pending.call is not None and pending.call.active():
                    pending.call.cancel()
                self._try(pending)
        done: Deferred[None] = Deferred()
        timeout = self._clock.callLater(self._shutdown_wait, self._give_up, waiting, done)

        def finished(_: Any) -> None:
            if timeout.active():
                timeout.cancel()
                done.callback(None)

        gatherResults([pending.done for pending in waiting]).addCallback(finished)
        return done

    # -- internals ----------------------------------------------------------

    def _delay(self, attempts: int) -> float:
        ceiling = min(self._max_delay, self._first_delay * 2**attempts)
        return ceiling * (0.5 + self._jitter() / 2)

    def _schedule(self, pending: _Pending) -> None:
        delay = self._delay(pending.attempts)
        if self._clock.seconds() + delay - pending.since > self._deadline:
            self._forget(pending)
            self._left(pending.key, pending.upload_id, f"it failed for {self._deadline:.0f} s")
            return
        pending.call = self._clock.callLater(delay, self._try, pending)

    def _try(self, pending: _Pending) -> None:
        pending.call = None
        pending.trying = True
        pending.attempts += 1
        d = ensureDeferred(pending.store.abort_multipart_upload(pending.key, pending.upload_id))
        d.addCallbacks(self._succeeded, self._failed, (pending,), None, (pending,), None)

    def _succeeded(self, _: None, pending: _Pending) -> None:
        pending.trying = False
        if self._forget(pending):
            log.info(
                "aborted multipart upload {upload_id} of {key} after {attempts} retries",
                upload_id=pending.upload_id,
                key=pending.key,
                attempts=pending.attempts,
            )

    def _failed(self, reason: Any, pending: _Pending) -> None:
        pending.trying = False
        if (id(pending.store), pending.key, pending.upload_id) not in self._pending:
            return
        log.info(
            "abort of multipart upload {upload_id} of {key} failed again ({error});"
            " trying again later",
            upload_id=pending.upload_id,
            key=pending.key,
            error=reason.getErrorMessage(),
        )
        self._schedule(pending)

    def _forget(self, pending: _Pending) -> bool:
        """Drop C{pending}; whether it was still pending."""
        found = self._pending.pop((id(pending.store), pending.key, pending.upload_id), None)
        if found is None:
            return False
        if pending.call is not None and pending.call.active():
            pending.call.cancel()
        if not pending.done.called:
            pending.done.callback(None)
        return True

    def _give_up(self, waiting: list[_Pending], done: Deferred[None]) -> None:
        for pending in waiting:
            if self._forget(pending):
                self._left(pending.key, pending.upload_id, "the server is stopping")
        done.callback(None)

    @staticmethod
    def _left(key: str, upload_id: str, why: str) -> None:
        log.warn(
            "gave up aborting multipart upload {upload_id} of {key}: {why}; the sweeper"
            " will abort it once it is older than AWS_S3_ABANDONED_UPLOAD_SECONDS",
            upload_id=upload_id,
            key=key,
            why=why,
        )
