# -*- test-case-name: tests.test_defence -*-
"""
The defence against password guessing: failed logins are counted per
client address, and an address with too many within a window is banned.

While an address is banned every login from it is refused, the right
password included, and its password is not even checked (which would cost
the verifier's CPU for nothing). Addresses are counted alone, so that an
attacker elsewhere cannot lock a partner out; and a successful login does
not wipe the count, or one valid account would let its owner guess at the
others for ever.

Memory stays bounded whatever the number of addresses: failures older than
the window and bans that are over are dropped as time passes, and past
L{MAX_TRACKED} addresses the oldest is forgotten.
"""

from __future__ import annotations

from collections import OrderedDict, deque

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from .addresses import normal_address

__all__ = ["MAX_TRACKED", "LoginDefence"]

log = Logger()

#: The most addresses whose failures are remembered at once.
MAX_TRACKED = 100_000


class LoginDefence:
    """
    Failed logins per client address in a sliding window, and the bans they start.

    @param clock: the time failures and bans are measured on.
    @param max_failures: how many failures within the window start a ban.
    @param window_seconds: how far back failures count.
    @param ban_seconds: how long a ban lasts.
    """

    def __init__(
        self,
        clock: IReactorTime,
        max_failures: int,
        window_seconds: float,
        ban_seconds: float,
        max_tracked: int = MAX_TRACKED,
    ) -> None:
        self._clock = clock
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.ban_seconds = ban_seconds
        self._max_tracked = max_tracked
        # Both in the order of their last change, so the stale ones come first:
        # the failures by their latest, the bans (all of one length) by their start.
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._bans: OrderedDict[str, float] = OrderedDict()

    @property
    def tracked(self) -> int:
        """How many addresses are remembered now, for failures or for a ban."""
        self._prune(self._clock.seconds())
        return len(self._failures) + len(self._bans)

    def banned(self, host: str) -> bool:
        """Whether logins from C{host} are refused now."""
        self._prune(self._clock.seconds())
        # Most of the time nobody is banned, and the address need not be read.
        return bool(self._bans) and normal_address(host) in self._bans

    def failed(self, host: str) -> bool:
        """
        Count a failed login from C{host}; whether that starts a ban.

        A failure while banned changes nothing: the ban ends when it was
        going to, and the count starts afresh after it.
        """
        now = self._clock.seconds()
        self._prune(now)
        address = normal_address(host)
        if address in self._bans:
            return False
        times = self._failures.pop(address, None)
        if times is None:
            times = deque(maxlen=self.max_failures)
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        times.append(now)
        if len(times) < self.max_failures:
            self._failures[address] = times
            if len(self._failures) > self._max_tracked:
                self._failures.popitem(last=False)
            return False
        self._bans[address] = now + self.ban_seconds
        log.info(
            "banning {address} for {seconds} s after {failures} failed logins within {window} s",
            address=address,
            seconds=self.ban_seconds,
            failures=len(times),
            window=self.window_seconds,
        )
        return True

    def _prune(self, now: float) -> None:
        """Forget failures older than the window, and bans that are over."""
        oldest = now - self.window_seconds
        while self._failures:
            address, times = next(iter(self._failures.items()))
            if times[-1] > oldest:
                break
            del self._failures[address]
        while self._bans:
            address, ends = next(iter(self._bans.items()))
            if ends > now:
                break
            del self._bans[address]
