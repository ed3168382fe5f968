# -*- test-case-name: tests.test_lifetime -*-
"""
How long a control connection may last without progress, and how it ends
when the server shuts down.

A control connection must finish its TLS handshake within a bound (from
the TCP connection on the implicit port, from C{AUTH TLS} on the explicit
one) and log in within another; past either it is closed, so that peers
that connect and then say nothing cannot pile up. While the server drains
for a shutdown (see L{twisted_ftps3.drain}), a session takes no new login
and no new transfer (421); once the drain is over, L{end_sessions} aborts
the transfers left and closes every session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from .replies import ServiceClosing, TransferAborted
from .timeouts import Deadline

if TYPE_CHECKING:
    from .data import DataChannel
    from .drain import Drain
    from .protocol import FTPS3Factory

__all__ = ["SessionLifetime", "end_sessions"]

log = Logger()

#: The commands that start something new: refused while the server drains.
NEW_WORK = frozenset(
    {"USER", "PASS", "PASV", "EPSV", "RETR", "STOR", "APPE", "LIST", "NLST", "MLSD"}
)

#: How long a closing session waits for the client's TLS close before it is aborted.
CLOSE_WAIT = 2.0

#: How long the end of a drain waits for aborted transfers to send their 426.
ABORT_WAIT = 5.0


class SessionLifetime:
    """
    The bounds and the ending of an FTP session.

    A mixin for L{twisted_ftps3.protocol.FTPS3}, which calls
    L{start_bounds} when its connection is made and L{stop_bounds} when it
    is lost, L{tls_started} after C{AUTH TLS}, and L{logged_in}.
    """

    factory: FTPS3Factory
    transport: Any
    client_address: str
    dtpInstance: DataChannel | None
    sendLine: Callable[[str], None]
    stop_waiting: Callable[[Exception], None]
    _current_transfer: defer.Deferred[Any] | None

    _handshake: Deadline | None = None
    _login: Deadline | None = None
    _closing: IDelayedCall | None = None

    # -- the bounds -----------------------------------------------------------

    def start_bounds(self, tls: bool) -> None:
        """Start the login bound, and the handshake bound if C{tls} starts now."""
        clock, timeouts = self.factory.clock, self.factory.timeouts
        self._handshake = Deadline(clock, timeouts.tls_handshake, self._handshake_expired)
        self._login = Deadline(clock, timeouts.login, self._login_expired)
        self._login.start()
        if tls:
            self._handshake.start()

    def stop_bounds(self) -> None:
        for deadline in (self._handshake, self._login):
            if deadline is not None:
                deadline.stop()
        closing, self._closing = self._closing, None
        if closing is not None and closing.active():
            closing.cancel()

    def tls_started(self) -> None:
        """TLS starts now (C{AUTH TLS}): its handshake is bounded from here."""
        if self._handshake is not None:
            self._handshake.start()

    def handshakeCompleted(self) -> None:
        if self._handshake is not None:
            self._handshake.stop()

    def logged_in(self) -> None:
        if self._login is not None:
            self._login.stop()

    def _handshake_expired(self) -> None:
        log.info(
            "no TLS handshake from {client} within {seconds} s: closing",
            client=self.client_address,
            seconds=self.factory.timeouts.tls_handshake,
        )
        # Nothing can be said to a peer that has no TLS yet.
        self.transport.abortConnection()

    def _login_expired(self) -> None:
        seconds = self.factory.timeouts.login
        log.info(
            "{client} did not log in within {seconds} s: closing",
            client=self.client_address,
            seconds=seconds,
        )
        self.close_session(f"421 Not logged in within {seconds:g} seconds; closing the connection.")

    # -- draining and closing ---------------------------------------------------

    def refuse_while_draining(self, command: str) -> None:
        """Refuse C{command} with 421 if it starts something new while the server drains."""
        if self.factory.drain.draining and command in NEW_WORK:
            raise ServiceClosing("The server is shutting down; try again shortly.")

    def close_session(self, line: str) -> None:
        """
        Say C{line} and close. Under TLS the close waits for the client's
        own close_notify, which a dead client never sends: after
        L{CLOSE_WAIT} seconds the connection is aborted instead.
        """
        if self.transport is None or self._closing is not None:
            return
        self.sendLine(line)
        self.transport.loseConnection()
        self._closing = self.factory.clock.callLater(CLOSE_WAIT, self._close_now)

    def _close_now(self) -> None:
        self._closing = None
        if self.transport is not None:
            self.transport.abortConnection()

    def abort_for_shutdown(self) -> None:
        """Abort the transfer in progress, if any: its client gets 426, an upload leaves nothing."""
        if self._current_transfer is None:
            return
        channel = self.dtpInstance
        if channel is not None and channel.isConnected:
            channel.refuse(
                TransferAborted("the server is shutting down; the transfer was aborted.")
            )
        self.stop_waiting(TransferAborted("the server is shutting down; no transfer was made."))


async def end_sessions(
    factories: Iterable[FTPS3Factory], drain: Drain, clock: IReactorTime
) -> None:
    """
    The end of a drain: abort the transfers still in progress, give them
    up to L{ABORT_WAIT} seconds to send their 426, then close every session
    with 421.
    """
    sessions = [session for factory in factories for session in list(factory.sessions)]
    for session in sessions:
        session.abort_for_shutdown()
    settled = drain.settled()
    timer = clock.callLater(ABORT_WAIT, settled.cancel)
    try:
        await settled
    except defer.CancelledError:
        log.warn("shutting down: transfers still unsettled after {seconds} s", seconds=ABORT_WAIT)
    finally:
        if timer.active():
            timer.cancel()
    for session in sessions:
        session.close_session("421 The server is shutting down; closing the connection.")
