"""
A store whose calls are retried as the S3 client retries its requests.

The server retries inside L{twisted_ftps3.s3.http.S3Requester}, one HTTP
request at a time, so a writer over the in-memory store would see every
injected failure at once. L{RetryingStore} puts the server's own retry loop
(L{twisted_ftps3.s3.retry.retrying}) around each call of another store, so
that the writer's tests can fail a part a few times, or lose the answer of
a completion, and watch what the writer sees when S3 is briefly unwell: a
slow call, and a completion retried.
"""

from __future__ import annotations

import inspect
from typing import Any

from twisted.internet.interfaces import IReactorTime
from zope.interface import implementer

from twisted_ftps3.s3.interfaces import IObjectStore
from twisted_ftps3.s3.retry import IRetryPolicy, retrying


@implementer(IObjectStore)
class RetryingStore:
    """
    C{store}'s attributes, each coroutine method retried by C{policy} on
    C{clock}.
    """

    def __init__(self, store: Any, *, clock: IReactorTime, policy: IRetryPolicy) -> None:
        self._store = store
        self._clock = clock
        self._policy = policy

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._store, name)
        if not inspect.iscoroutinefunction(call):
            return call

        async def retried(*args: Any, **kwargs: Any) -> Any:
            key = args[0] if args and isinstance(args[0], str) else None
            return await retrying(
                lambda: call(*args, **kwargs),
                policy=self._policy,
                clock=self._clock,
                operation=name,
                key=key,
            )

        return retried
