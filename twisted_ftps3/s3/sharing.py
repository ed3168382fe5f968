# -*- test-case-name: tests.test_s3_client.SharedReadTests -*-
"""
Reads that wait in the request queue together are sent once.

When a burst of sessions outnumbers the requests S3 may have in flight
(L{twisted_ftps3.s3.http.S3Requester}'s bound), their calls queue, and many
of them are the same read: a thousand partners who log in together list the
same directory. A call that finds an identical read still waiting in the
queue joins it, and every caller gets the one answer.

Only a call that has not been sent may be joined. Its answer is then made by
S3 after every joiner asked, so a session still reads its own writes: it
never receives an answer older than its question, as it would if it were
given a listing already under way, or a remembered one. When the queue is
empty nothing waits, and nothing is shared.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

_T = TypeVar("_T")


class QueuedReads(Generic[_T]):
    """
    The reads waiting for a place, by what they ask; see the module's docstring.
    """

    def __init__(self) -> None:
        self._waiting: dict[Hashable, _Shared[_T]] = {}

    def read(
        self, identity: Hashable, start: Callable[[Callable[[], None]], Deferred[_T]]
    ) -> Deferred[_T]:
        """
        The answer to the read C{identity}: joined if an identical read is
        still queued, else started with C{start(sent)}.

        @param start: begins the read; it calls C{sent} when the read leaves
            the queue, from which moment no one may join it.
        """
        shared = self._waiting.get(identity)
        if shared is not None:
            return shared.join()
        shared = _Shared()
        self._waiting[identity] = shared

        def sent() -> None:
            if self._waiting.get(identity) is shared:
                del self._waiting[identity]

        # Joined before it starts: a read may be answered at once.
        caller = shared.join()

        def finished(result: object) -> object:
            sent()
            return result

        shared.follow(start(sent).addBoth(finished))
        return caller


class _Shared(Generic[_T]):
    """
    One read and the callers waiting on it. Each caller has a L{Deferred}
    of its own, so one that gives up (a session that ends) leaves the others
    their answer; the read itself is cancelled when no one is left.
    """

    def __init__(self) -> None:
        self._callers: list[Deferred[_T]] = []
        self._work: Deferred[_T] | None = None

    def follow(self, work: Deferred[_T]) -> None:
        self._work = work
        work.addBoth(self._answer)

    def join(self) -> Deferred[_T]:
        caller: Deferred[_T] = Deferred(self._leave)
        self._callers.append(caller)
        return caller

    def _leave(self, caller: Deferred[_T]) -> None:
        # Deferred's cancel fires CancelledError into the caller after this.
        if caller in self._callers:
            self._callers.remove(caller)
        if not self._callers and self._work is not None:
            self._work.cancel()

    def _answer(self, result: _T | Failure) -> None:
        callers, self._callers = self._callers, []
        for caller in callers:
            if isinstance(result, Failure):
                caller.errback(result)
            else:
                caller.callback(result)
        # Every caller got the failure (if it is one); none is left unhandled.
        return None
