# -*- test-case-name: tests.test_s3_bounded -*-
"""
Waiting a bounded time for background work when a service stops.

The clean-up services (L{twisted_ftps3.s3.sweeper},
L{twisted_ftps3.s3.lifecycle}) each have at most one S3 call under way. A
stopping server waits for it, so that nothing is cut off half way when S3
answers promptly, but never for longer than a few seconds: when S3 is down
a call may retry for much longer, and a deploy must not hang on it.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime

__all__ = ["STOP_WAIT", "within"]

#: How long a stopping service waits for its S3 call, in seconds.
STOP_WAIT = 5.0


def within(work: Deferred[Any] | None, seconds: float, clock: IReactorTime) -> Deferred[None]:
    """
    A Deferred that fires once C{work} has, or after C{seconds} on C{clock}.
    Then C{work} is cancelled, and the wait ends whether or not that stops
    it: an S3 call may take a cancelled attempt for a dropped connection and
    try again. C{work}'s own result is left in place.
    """
    if work is None or work.called:
        return succeed(None)
    done: Deferred[None] = Deferred()

    def cut_off() -> None:
        done.callback(None)
        work.cancel()

    timeout = clock.callLater(seconds, cut_off)

    def finished(result: Any) -> Any:
        if timeout.active():
            timeout.cancel()
            done.callback(None)
        return result

    work.addBoth(finished)
    return done
