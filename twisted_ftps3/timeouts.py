# -*- test-case-name: tests.test_timeouts -*-
"""
Bounds on peers that are dead or too slow: how long each may keep a
connection open without making progress, and the one timer all of them use.

A peer that never finishes its TLS handshake, never logs in, or stops
moving the bytes of a transfer would otherwise hold its file descriptors,
and for an upload its S3 multipart upload, until the 10-minute idle timeout
of the control connection, or for ever. L{Timeouts} holds the bounds (from
the FTP settings), L{Deadline} is a timer that can be stopped and started
again as the peer makes progress or stops being the one waited on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from twisted.internet.interfaces import IDelayedCall, IReactorTime

__all__ = ["DEFAULT_TIMEOUTS", "Deadline", "Timeouts"]


@dataclass(frozen=True)
class Timeouts:
    """
    The bounds, in seconds, on a peer's progress.

    @ivar tls_handshake: from the TCP connection (or C{AUTH TLS}) to the end
        of the TLS handshake, on control and data connections alike.
    @ivar data_idle: how long a data connection may move nothing while the
        server waits on its client (not while S3 holds the transfer back).
    @ivar login: from the connection to a successful C{PASS}.
    """

    tls_handshake: float = 30
    data_idle: float = 300
    login: float = 60


#: The bounds of a server whose settings say nothing else.
DEFAULT_TIMEOUTS = Timeouts()


class Deadline:
    """
    One timer: C{expired} is called once C{seconds} have passed since the
    last L{start} without a L{stop} in between.

    Starting a running deadline starts it again from now, which is how
    progress postpones it; stopping one that is not running does nothing.
    """

    def __init__(self, clock: IReactorTime, seconds: float, expired: Callable[[], None]) -> None:
        self._clock = clock
        self.seconds = seconds
        self._expired = expired
        self._call: IDelayedCall | None = None

    @property
    def running(self) -> bool:
        return self._call is not None

    def start(self) -> None:
        """Run from now: expire C{seconds} from now unless stopped or started again."""
        if self._call is not None:
            self._call.reset(self.seconds)
        else:
            self._call = self._clock.callLater(self.seconds, self._expire)

    def stop(self) -> None:
        """Stop running, if it runs."""
        call, self._call = self._call, None
        if call is not None:
            call.cancel()

    def _expire(self) -> None:
        self._call = None
        self._expired()
