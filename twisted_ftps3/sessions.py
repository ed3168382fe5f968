# -*- test-case-name: tests.test_sessionlimits -*-
"""
How many sessions may be open at once: in the whole process, from one
client address, and for one user.

L{SessionLimits} admits control connections as they arrive, before their
TLS handshake and before any login, so that connections which never log in
cannot get around the limits; there is one per process, shared by every
listener. L{UserSessions} counts the logged-in sessions of each login, for
the users that have a limit of their own. Over a limit the new session is
refused with L{TooManySessions} (the protocol answers 421 and closes); the
sessions already open are never disturbed.
"""

from __future__ import annotations

from collections.abc import Callable

from .addresses import normal_address

__all__ = ["SessionLimits", "TooManySessions", "UserSessions"]


class TooManySessions(Exception):
    """
    A new session would go over a limit.

    @ivar limit: which one, in words for the client: C{"on this server"},
        C{"from your address"}, C{"for this user"}.
    @ivar setting: which one, for the operator: the setting that sets it.
    @ivar most: how many sessions it allows.
    """

    def __init__(self, limit: str, setting: str, most: int) -> None:
        super().__init__(limit, setting, most)
        self.limit = limit
        self.setting = setting
        self.most = most


class _Counts:
    """
    How many of something each key holds, and in all; a key holding none
    is forgotten.
    """

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self.total = 0

    def __getitem__(self, key: str) -> int:
        return self._counts.get(key, 0)

    def __len__(self) -> int:
        return len(self._counts)

    def add(self, key: str) -> Callable[[], None]:
        """Count one more for C{key}; what to call, once, to count it no more."""
        self._counts[key] = self._counts.get(key, 0) + 1
        self.total += 1
        return _Removal(self, key)

    def remove(self, key: str) -> None:
        self.total -= 1
        left = self._counts[key] - 1
        if left:
            self._counts[key] = left
        else:
            del self._counts[key]


class _Removal:
    """
    Counts one for a key no more, the first time it is called: a session's
    admission or login, of which a thousand idle sessions hold two
    thousand, hence the slots.
    """

    __slots__ = ("_counts", "_key")

    def __init__(self, counts: _Counts, key: str) -> None:
        self._counts: _Counts | None = counts
        self._key = key

    def __call__(self) -> None:
        counts, self._counts = self._counts, None
        if counts is not None:
            counts.remove(self._key)


class SessionLimits:
    """
    The control connections open now, in all and by client address.

    @param max_sessions: the most the process holds at once.
    @param max_per_address: the most one client address holds at once.
    """

    def __init__(self, max_sessions: int, max_per_address: int) -> None:
        self.max_sessions = max_sessions
        self.max_per_address = max_per_address
        self._by_address = _Counts()

    @property
    def open(self) -> int:
        """How many connections are open now."""
        return self._by_address.total

    def from_address(self, host: str) -> int:
        """How many connections from C{host} are open now."""
        return self._by_address[normal_address(host)]

    @property
    def addresses(self) -> int:
        """How many client addresses have a connection open now."""
        return len(self._by_address)

    def admit(self, host: str) -> Callable[[], None]:
        """
        Count a new connection from C{host}, or raise L{TooManySessions}.

        @return: what to call, once, when the connection closes.
        """
        address = normal_address(host)
        if self.open >= self.max_sessions:
            raise TooManySessions("on this server", "FTP_MAX_SESSIONS", self.max_sessions)
        if self._by_address[address] >= self.max_per_address:
            raise TooManySessions(
                "from your address", "FTP_MAX_SESSIONS_PER_ADDRESS", self.max_per_address
            )
        return self._by_address.add(address)


class UserSessions:
    """The logged-in sessions of each login, for the per-user limit."""

    def __init__(self) -> None:
        self._by_login = _Counts()

    def of(self, login: str) -> int:
        """How many sessions C{login} has open now."""
        return self._by_login[login]

    def open(self, login: str, limit: int | None) -> Callable[[], None]:
        """
        Count a new session of C{login}, or raise L{TooManySessions} if it
        already has C{limit} (C{None}: no limit).

        @return: the logout: what to call, once, when the session ends.
        """
        if limit is not None and self._by_login[login] >= limit:
            raise TooManySessions("for this user", "FTP_USERS__i__MAX_SESSIONS", limit)
        return self._by_login.add(login)
