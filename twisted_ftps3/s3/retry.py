# -*- test-case-name: tests.test_s3_retry -*-
"""
When a failed S3 request is sent again, and what the log says about it.

S3 asks its clients to back off and retry when it answers C{503 SlowDown},
and its C{500}s, its timeouts and a dropped connection are usually gone a
moment later. L{RetryPolicy} waits exponentially longer after each failed
attempt, with "full jitter" (a delay drawn uniformly between zero and the
exponential bound, as in the AWS Architecture Blog's "Exponential Backoff
And Jitter"): many uploads throttled at the same moment then spread their
retries out instead of coming back in step. It gives up once its patience,
counted from the first attempt, has run out, so that a short outage is
ridden out and a long one still ends.

L{retrying} runs the attempts on an injected clock, logs each retry once,
and logs a call that gives up once, with every attempt's error and delay.
The policy is behind L{IRetryPolicy} so that it can be replaced whole.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from random import Random
from typing import TypeVar

from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import deferLater
from twisted.logger import Logger
from zope.interface import Interface, implementer

from .errors import S3Error

__all__ = ["DEFAULT_RETRY", "IRetryPolicy", "RetryPolicy", "logged", "retrying"]

log = Logger()

_T = TypeVar("_T")


class IRetryPolicy(Interface):
    """When a failed request is tried again."""

    def retry_after(attempt: int, error: S3Error, elapsed: float) -> float | None:
        """
        Seconds to wait before attempt C{attempt + 1}, after attempt
        C{attempt} (from 1) failed with C{error}, C{elapsed} seconds after
        the first attempt began; C{None} to give up and raise C{error}.
        """


@implementer(IRetryPolicy)
@dataclass(frozen=True)
class RetryPolicy:
    """
    Retry a transient failure with exponential backoff and full jitter
    until C{patience} seconds have passed since the first attempt; raise
    any other failure at once.

    The wait after attempt M{n} is drawn uniformly from M{[0, min(cap, base
    * 2^(n-1))]}, and never goes past the patience: the last attempt starts
    when the patience runs out, not a whole backoff later.

    @ivar patience: seconds from the first attempt after which a failure is
        final; C{0} sends every request once.
    @ivar base: the bound of the first wait, in seconds.
    @ivar cap: the largest bound any wait is drawn from.
    @ivar random: the source of the jitter; tests pass a seeded one.
    """

    patience: float = 30.0
    base: float = 0.5
    cap: float = 8.0
    random: Random = field(default_factory=Random, compare=False, repr=False)

    def bound(self, attempt: int) -> float:
        """The most the wait after failed attempt C{attempt} (from 1) can be."""
        # The exponent stops growing long before a float could overflow.
        return min(self.cap, self.base * 2 ** min(attempt - 1, 64))

    def retry_after(self, attempt: int, error: S3Error, elapsed: float) -> float | None:
        left = self.patience - elapsed
        if not error.transient or left <= 0:
            return None
        return min(self.random.uniform(0, self.bound(attempt)), left)


#: What a requester retries unless it is given another policy.
DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class _Attempt:
    """How one attempt failed, and how long the next one was waited for."""

    number: int
    error: S3Error
    delay: float | None

    def __str__(self) -> str:
        text = f"#{self.number} {self.error.code} (HTTP {_status(self.error)})"
        if self.error.request_id:
            text += f" [request id {self.error.request_id}]"
        if self.delay is not None:
            text += f", waited {self.delay:.2f} s"
        return text


async def retrying(
    attempt: Callable[[], Awaitable[_T]],
    *,
    policy: IRetryPolicy,
    clock: IReactorTime,
    operation: str,
    key: str | None,
) -> _T:
    """
    Await C{attempt()} until it succeeds or C{policy} gives up, waiting the
    policy's delays on C{clock}.

    @param attempt: makes one attempt; a failure is an L{S3Error}.
    @param operation: S3's name of the call, for the log.
    @param key: the key the call is about, for the log.
    @raise S3Error: the last attempt's error, logged already.
    """
    started = clock.seconds()
    history: list[_Attempt] = []
    while True:
        try:
            return await attempt()
        except S3Error as e:
            number = len(history) + 1
            delay = policy.retry_after(number, e, clock.seconds() - started)
            history.append(_Attempt(number, e, delay))
            if delay is None:
                raise logged(e, history) from None
            log.info(
                "S3 {operation} of {key!r}: attempt {attempt} failed with {code}"
                " (HTTP {status}) [request id {request_id}]; retrying in {delay:.2f} s",
                operation=operation,
                key=key,
                attempt=number,
                code=e.code,
                status=_status(e),
                request_id=e.request_id,
                delay=delay,
            )
            await deferLater(clock, delay, lambda: None)


def logged(error: S3Error, history: Sequence[_Attempt] = ()) -> S3Error:
    """
    Log C{error} once, as it leaves the client: a missing key is routine
    (debug), anything else a warning with S3's code and request id. After
    more than one attempt, the line also says how each attempt failed and
    how long the next was waited for.

    S3's messages and codes carry no secret, and nothing else is logged.
    """
    attempts = "; ".join(str(attempt) for attempt in history) if len(history) > 1 else ""
    after = f" after {len(history)} attempts: {{attempts}}" if attempts else ""
    fields = dict(
        operation=error.operation,
        key=error.key,
        code=error.code,
        status=_status(error),
        # Not "message": the legacy log bridge fills that key in.
        s3_message=error.message,
        request_id=error.request_id,
        attempts=attempts,
    )
    line = (
        "S3 {operation} of {key!r} failed: {code} (HTTP {status}) {s3_message}"
        " [request id {request_id}]" + after
    )
    if error.not_found:
        log.debug(line, **fields)
    else:
        log.warn(line, **fields)
    return error


def _status(error: S3Error) -> int | str:
    """The HTTP status for the log: C{-} when no answer came."""
    return error.status if error.status is not None else "-"
