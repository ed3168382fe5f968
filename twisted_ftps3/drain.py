# -*- test-case-name: tests.test_drain -*-
"""
A shutdown that drains: transfers in progress may finish before the
server stops.

On SIGTERM a rolling deploy must not break every transfer that happens to
run. L{Drain} is the state the sessions and the health check share: once it
is draining, new logins and new transfers are refused with 421 and the
health check answers 503, so that a load balancer sends no new session.
L{GracefulStop} runs the drain itself: it stops listening, waits until the
last transfer in progress has ended or the grace period is over, and lets a
second SIGTERM or SIGINT cut the wait short. What is still running then is
aborted by the caller, as it always was.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from twisted.internet import defer
from twisted.internet.interfaces import IReactorFromThreads, IReactorTime
from twisted.logger import Logger

__all__ = ["Drain", "GracefulStop", "SignalInstaller", "install_signal_handlers"]

log = Logger()

#: Installs a handler for the signals that cut a drain short, and returns
#: what puts the previous handlers back.
SignalInstaller = Callable[[Callable[[], None]], Callable[[], None]]


class Drain:
    """
    Whether the server is draining, and the transfers still in progress.

    Every session of every listener shares one. A transfer is L{track}ed
    from its command to its final reply.

    @param clock: the last transfer's end is told on its next turn, so that
        its final reply (226, or 426) has gone out by then.
    """

    def __init__(self, clock: IReactorTime) -> None:
        self.draining = False
        self._clock = clock
        self._transfers: set[defer.Deferred[Any]] = set()
        self._settled: list[defer.Deferred[None]] = []

    @property
    def transfers(self) -> int:
        """How many transfers are in progress."""
        return len(self._transfers)

    def begin(self) -> None:
        """Drain from now on: refuse what is new, let what runs finish."""
        self.draining = True

    def track(self, transfer: defer.Deferred[Any]) -> None:
        """Count C{transfer} as in progress until it fires."""
        if transfer.called:
            return
        self._transfers.add(transfer)

        def ended(result: Any) -> Any:
            self._transfers.discard(transfer)
            if not self._transfers and self._settled:
                # The reply is added to the transfer after this: tell once it is sent.
                self._clock.callLater(0, self._tell_settled)
            return result

        transfer.addBoth(ended)

    def _tell_settled(self) -> None:
        if not self._transfers:
            waiters, self._settled = self._settled, []
            for waiter in waiters:
                waiter.callback(None)

    def settled(self) -> defer.Deferred[None]:
        """Fire once no transfer is in progress: at once if none is."""
        if not self._transfers:
            return defer.succeed(None)
        waiter: defer.Deferred[None] = defer.Deferred(lambda d: self._settled.remove(d))
        self._settled.append(waiter)
        return waiter


def install_signal_handlers(
    reactor: IReactorFromThreads, numbers: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)
) -> SignalInstaller:
    """
    The L{SignalInstaller} of a real process: the signals C{numbers} (by
    default SIGTERM and SIGINT) call the handler in the reactor's thread.
    Outside the main thread, where Python cannot set signal handlers,
    nothing is installed.
    """

    def install(handler: Callable[[], None]) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def on_signal(signum: int, frame: Any) -> None:
            reactor.callFromThread(handler)

        previous = {number: signal.signal(number, on_signal) for number in numbers}

        def restore() -> None:
            for number, handler in previous.items():
                signal.signal(number, handler)

        return restore

    return install


class GracefulStop:
    """
    The drain of one shutdown.

    @param grace: how many seconds transfers in progress may take to finish.
    @param install_signals: sets the handler that cuts the grace short on a
        second SIGTERM or SIGINT; injectable, so that tests send no signal.
    """

    def __init__(
        self,
        drain: Drain,
        *,
        clock: IReactorTime,
        grace: float,
        install_signals: SignalInstaller,
    ) -> None:
        self.drain = drain
        self._clock = clock
        self._grace = grace
        self._install_signals = install_signals

    async def run(self, stop_listening: Callable[[], Awaitable[Any]]) -> bool:
        """
        Drain: refuse what is new, stop listening, then wait for the
        transfers in progress, up to the grace period. True if every
        transfer ended in time, False if some still run.
        """
        self.drain.begin()
        log.info(
            "shutting down: {count} transfer(s) in progress may take up to {grace} s to finish;"
            " send SIGTERM or SIGINT again to abort them now",
            count=self.drain.transfers,
            grace=self._grace,
        )
        done: defer.Deferred[str] = defer.Deferred()

        def finish(why: str) -> None:
            if not done.called:
                done.callback(why)

        restore = self._install_signals(lambda: finish("signal"))
        timer = self._clock.callLater(self._grace, finish, "grace")
        settled = self.drain.settled()
        settled.addCallback(lambda _: finish("settled"))
        settled.addErrback(lambda failure: failure.trap(defer.CancelledError))
        try:
            await stop_listening()
            why = await done
        finally:
            restore()
            if timer.active():
                timer.cancel()
            if not settled.called:
                settled.cancel()
        if why != "settled":
            log.info(
                "shutting down: aborting {count} transfer(s) still in progress ({why})",
                count=self.drain.transfers,
                why="a second signal" if why == "signal" else "grace period over",
            )
        return why == "settled"
