# -*- test-case-name: tests.test_s3_bounded -*-
"""
Tests for L{twisted_ftps3.s3.bounded}: a bounded wait for background work.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import CancelledError, Deferred, ensureDeferred, succeed
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.s3.bounded import within


class WithinTests(SynchronousTestCase):
    """
    L{within} fires when the work does, or cancels it after the bound.
    """

    def test_nothing(self) -> None:
        """
        No work, or work already done, is waited for not at all.
        """
        clock = Clock()
        self.successResultOf(within(None, 5, clock))
        self.successResultOf(within(succeed("done"), 5, clock))
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_workFinishes(self) -> None:
        """
        Work that finishes in time fires the wait, keeps its result, and
        leaves no timer.
        """
        clock = Clock()
        work: Deferred[Any] = Deferred()
        waited = within(work, 5, clock)
        self.assertNoResult(waited)
        work.callback("result")
        self.successResultOf(waited)
        self.assertEqual((self.successResultOf(work), clock.getDelayedCalls()), ("result", []))

    def test_workCutOff(self) -> None:
        """
        Work still going after the bound is cancelled, and the wait fires.
        """
        clock = Clock()
        work: Deferred[Any] = Deferred()
        waited = within(work, 5, clock)
        clock.advance(4.9)
        self.assertNoResult(waited)
        clock.advance(0.1)
        self.successResultOf(waited)
        self.failureResultOf(work, CancelledError)

    def test_workGoesOn(self) -> None:
        """
        Work that goes on after it is cancelled does not hold the wait.
        """
        clock = Clock()
        retried: Deferred[str] = Deferred()

        async def stubborn() -> str:
            try:
                return await Deferred()
            except CancelledError:
                return await retried

        work = ensureDeferred(stubborn())
        waited = within(work, 5, clock)
        clock.advance(5)
        self.successResultOf(waited)
        self.assertNoResult(work)
        retried.callback("later")
        self.assertEqual(self.successResultOf(work), "later")
