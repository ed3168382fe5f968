"""
Stand-ins for the user directory and the password verifier, for tests of
the checker, the realm and the protocol: a directory that is a dictionary,
and a verifier of passwords in the clear whose answers a test can hold
back, as a slow hash would.
"""

from __future__ import annotations

from collections.abc import Iterable

from twisted.internet import defer

from twisted_ftps3.config import User

__all__ = ["Directory", "PlainVerifier"]


class Directory:
    """Users by login, which a test may change between logins as a reload would."""

    def __init__(self, users: Iterable[User] = ()) -> None:
        self.users = {user.login: user for user in users}

    def get(self, login: str) -> User | None:
        return self.users.get(login)


class PlainVerifier:
    """
    Compares a password with the user's password in the clear.

    @ivar calls: the user (or C{None}) and attempt of each verification.
    @ivar hold: if true, answers wait in L{held} until a test fires them.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[User | None, bytes]] = []
        self.hold = False
        self.held: list[tuple[defer.Deferred[bool], bool]] = []

    def verify(self, user: User | None, attempt: bytes) -> defer.Deferred[bool]:
        self.calls.append((user, attempt))
        matches = user is not None and user.password is not None
        matches = matches and user.password.encode("utf-8") == attempt  # type: ignore[union-attr]
        if not self.hold:
            return defer.succeed(matches)
        d: defer.Deferred[bool] = defer.Deferred()
        self.held.append((d, matches))
        return d

    def release(self) -> None:
        """Answer every verification held back."""
        held, self.held = self.held, []
        for d, matches in held:
            d.callback(matches)
