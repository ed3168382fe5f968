"""
Tests for L{twisted_ftps3.drain}: the drain's state, the graceful stop on
an injected clock and signal installer, and the real signal handlers.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.drain import Drain, GracefulStop, install_signal_handlers

from .support.signals import FakeSignals


class DrainTests(SynchronousTestCase):
    """L{Drain}: whether the server drains, and the transfers it waits for."""

    def setUp(self) -> None:
        self.clock = Clock()
        self.drain = Drain(self.clock)

    def test_not_draining(self) -> None:
        """A new drain is not draining until it begins."""
        self.assertFalse(self.drain.draining)
        self.drain.begin()
        self.assertTrue(self.drain.draining)

    def test_settled_at_once(self) -> None:
        """With no transfer in progress it is settled at once."""
        self.successResultOf(self.drain.settled())

    def test_counts_transfers(self) -> None:
        """A tracked transfer counts until it fires, whether it succeeds or fails."""
        first, second = defer.Deferred[None](), defer.Deferred[None]()
        self.drain.track(first)
        self.drain.track(second)
        self.assertEqual(self.drain.transfers, 2)
        first.callback(None)
        second.errback(RuntimeError("426"))
        self.failureResultOf(second, RuntimeError)
        self.assertEqual(self.drain.transfers, 0)

    def test_fired_not_tracked(self) -> None:
        """A transfer already over is not counted."""
        self.drain.track(defer.succeed(None))
        self.assertEqual(self.drain.transfers, 0)

    def test_settled_after_reply(self) -> None:
        """
        Settled fires on the turn after the last transfer ends, so that the
        reply added to the transfer after the drain's own callback has gone.
        """
        transfer: defer.Deferred[None] = defer.Deferred()
        self.drain.track(transfer)
        settled = self.drain.settled()
        replies: list[str] = []
        transfer.addCallback(lambda _: replies.append("226"))
        transfer.callback(None)
        self.assertNoResult(settled)
        self.clock.advance(0)
        self.successResultOf(settled)
        self.assertEqual(replies, ["226"])

    def test_settled_waits_for_all(self) -> None:
        """Settled waits for every transfer, including one started meanwhile."""
        first, second = defer.Deferred[None](), defer.Deferred[None]()
        self.drain.track(first)
        settled = self.drain.settled()
        first.callback(None)
        self.drain.track(second)
        self.clock.advance(0)
        self.assertNoResult(settled)
        second.callback(None)
        self.clock.advance(0)
        self.successResultOf(settled)

    def test_settled_cancelled(self) -> None:
        """A cancelled wait is forgotten: the transfer's end calls nothing."""
        transfer: defer.Deferred[None] = defer.Deferred()
        self.drain.track(transfer)
        settled = self.drain.settled()
        settled.cancel()
        self.failureResultOf(settled, defer.CancelledError)
        transfer.callback(None)
        self.clock.advance(0)
        self.assertEqual(self.clock.getDelayedCalls(), [])


class GracefulStopTests(SynchronousTestCase):
    """L{GracefulStop.run}: stop listening, then wait for transfers, up to the grace."""

    def setUp(self) -> None:
        self.clock = Clock()
        self.drain = Drain(self.clock)
        self.signals = FakeSignals()
        self.stopped: list[str] = []
        self.graceful = GracefulStop(
            self.drain, clock=self.clock, grace=25, install_signals=self.signals
        )
        self.events: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.events.append)

    async def stop_listening(self) -> None:
        self.stopped.append("listening")

    def stop(self) -> defer.Deferred[bool]:
        return defer.ensureDeferred(self.graceful.run(self.stop_listening))

    def logged(self) -> str:
        return "\n".join(formatEvent(event) for event in self.events)

    def test_nothing_in_progress(self) -> None:
        """With no transfer in progress it is over at once, listening stopped, signals restored."""
        self.assertTrue(self.successResultOf(self.stop()))
        self.assertTrue(self.drain.draining)
        self.assertEqual(self.stopped, ["listening"])
        self.assertTrue(self.signals.restored)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_transfer_finishes(self) -> None:
        """A transfer that ends within the grace ends the drain then, not at the grace's end."""
        transfer: defer.Deferred[None] = defer.Deferred()
        self.drain.track(transfer)
        d = self.stop()
        self.assertEqual(self.stopped, ["listening"])
        self.clock.advance(10)
        self.assertNoResult(d)
        transfer.callback(None)
        self.clock.advance(0)
        self.assertTrue(self.successResultOf(d))
        self.assertTrue(self.signals.restored)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_grace_over(self) -> None:
        """A transfer still running when the grace is over is left to the caller to abort."""
        self.drain.track(defer.Deferred())
        d = self.stop()
        self.clock.advance(24.9)
        self.assertNoResult(d)
        self.clock.advance(0.1)
        self.assertFalse(self.successResultOf(d))
        self.assertTrue(self.signals.restored)
        self.assertIn("aborting 1 transfer(s) still in progress (grace period over)", self.logged())

    def test_second_signal(self) -> None:
        """A second SIGTERM or SIGINT during the drain ends it at once."""
        self.drain.track(defer.Deferred())
        d = self.stop()
        self.assertNoResult(d)
        assert self.signals.handler is not None
        self.signals.handler()
        self.assertFalse(self.successResultOf(d))
        self.assertIn("(a second signal)", self.logged())
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_signal_after(self) -> None:
        """The signal handler called again after the drain changes nothing."""
        self.successResultOf(self.stop())
        assert self.signals.handler is not None
        self.signals.handler()

    def test_logs_start(self) -> None:
        """The start of the drain is logged with the transfers and the grace."""
        self.drain.track(defer.Deferred())
        self.stop()
        self.assertIn(
            "shutting down: 1 transfer(s) in progress may take up to 25 s to finish", self.logged()
        )


class FakeReactor:
    """Records what is called from a signal handler."""

    def __init__(self) -> None:
        self.called: list[Callable[[], None]] = []

    def callFromThread(self, f: Callable[..., Any], *args: Any) -> None:
        self.called.append(f)


class SignalHandlerTests(SynchronousTestCase):
    """L{install_signal_handlers}: real handlers for SIGTERM and SIGINT, and their restoration."""

    def test_installs_and_restores(self) -> None:
        """
        SIGTERM and SIGINT call the handler through the reactor; restoring
        puts the earlier handlers back.
        """
        before = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
        reactor = FakeReactor()

        def handler() -> None:
            pass

        restore = install_signal_handlers(reactor)(handler)  # type: ignore[arg-type]
        try:
            for number in (signal.SIGTERM, signal.SIGINT):
                self.assertNotEqual(signal.getsignal(number), before[number])
                signal.getsignal(number)(number, None)  # type: ignore[operator, misc]
        finally:
            restore()
        self.assertEqual(reactor.called, [handler, handler])
        self.assertEqual(
            {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)},
            before,
        )

    def test_not_main_thread(self) -> None:
        """Outside the main thread nothing is installed, and restoring does nothing."""
        before = signal.getsignal(signal.SIGTERM)
        results: list[Any] = []

        def install() -> None:
            restore = install_signal_handlers(FakeReactor())(lambda: None)  # type: ignore[arg-type]
            results.append(signal.getsignal(signal.SIGTERM))
            restore()

        thread = threading.Thread(target=install)
        thread.start()
        thread.join()
        self.assertEqual(results, [before])
