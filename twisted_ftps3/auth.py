# -*- test-case-name: tests.test_auth -*-
"""
Who may log in, and what they get when they do.

L{UsersChecker} checks a login against the user directory, asked afresh at
every login so that a reload takes effect for the next one: the password
first (by the verifier, off the reactor thread), then the networks the
user may log in from. Every refusal is the same L{UnauthorizedLogin}, and
an unknown login is verified too (against a decoy), so that neither the
reply nor its timing tells a client which logins exist.

L{S3Realm} hands each logged-in user a shell of their own, and counts the
sessions of the users who have a limit.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any, Protocol

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.credentials import IUsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.cred.portal import IRealm
from twisted.internet.defer import Deferred, ensureDeferred
from twisted.protocols.ftp import IFTPShell
from zope.interface import implementer

from .addresses import in_networks
from .config import User
from .sessions import UserSessions

__all__ = ["ClientCredentials", "Directory", "S3Realm", "UsersChecker", "Verifier"]

#: The one refusal, whatever was wrong.
_REFUSAL = "wrong username or password"


class Directory(Protocol):
    """The users, by login (L{twisted_ftps3.directory.UserDirectory})."""

    def get(self, login: str) -> User | None: ...


class Verifier(Protocol):
    """Checks a password (L{twisted_ftps3.passwords.PasswordVerifier})."""

    def verify(self, user: User | None, attempt: bytes) -> Deferred[bool]: ...


def _text(value: str | bytes) -> str | None:
    """A login as text; C{None} for bytes that are not UTF-8 (no such login)."""
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


@implementer(IUsernamePassword)
class ClientCredentials:
    """
    A username and password, and the client address they came from, for
    the users who may log in only from some networks.
    """

    def __init__(self, username: bytes, password: bytes, address: str | None) -> None:
        self.username = username
        self.password = password
        self.address = address

    def checkPassword(self, password: bytes) -> bool:
        return hmac.compare_digest(_bytes(password), self.password)


@implementer(ICredentialsChecker)
class UsersChecker:
    """
    Check logins against C{directory}, passwords with C{verifier}.

    @param directory: the users, asked at every login.
    @param verifier: checks a password attempt for a user, or for C{None}
        (no such login) at the same cost.
    """

    credentialInterfaces = (IUsernamePassword,)

    def __init__(self, directory: Directory, verifier: Verifier) -> None:
        self._directory = directory
        self._verifier = verifier

    def requestAvatarId(self, credentials: IUsernamePassword) -> Deferred[str]:
        return ensureDeferred(self._check(credentials))

    async def _check(self, credentials: IUsernamePassword) -> str:
        login = _text(credentials.username)
        user = None if login is None else self._directory.get(login)
        matches = await self._verifier.verify(user, _bytes(credentials.password))
        if not matches or user is None:
            raise UnauthorizedLogin(_REFUSAL)
        # After the password, so that a user's networks cost the same time.
        address = getattr(credentials, "address", None)
        if user.allowed_cidrs and not in_networks(address, user.allowed_cidrs):
            raise UnauthorizedLogin(_REFUSAL)
        return user.login


@implementer(IRealm)
class S3Realm:
    """
    Give each logged-in user a fresh shell, within their session limit.

    @param directory: the users, by login.
    @param make_shell: makes a user's shell.
    @param sessions: the count of each user's sessions; one of its own by default.
    """

    def __init__(
        self,
        directory: Directory,
        make_shell: Callable[[User], Any],
        sessions: UserSessions | None = None,
    ) -> None:
        self._directory = directory
        self._make_shell = make_shell
        self.sessions = UserSessions() if sessions is None else sessions

    def requestAvatar(
        self, avatarId: str, mind: object, *interfaces: Any
    ) -> tuple[Any, Any, Callable[[], None]]:
        """
        The shell of C{avatarId}, and its logout, which must be called when
        the session ends; L{TooManySessions} if the user has all the
        sessions their limit allows.
        """
        if IFTPShell not in interfaces:
            raise NotImplementedError("this realm serves only FTP shells")
        user = self._directory.get(avatarId)
        if user is None:
            # Removed by a reload between the check and now.
            raise UnauthorizedLogin(_REFUSAL)
        logout = self.sessions.open(user.login, user.max_sessions)
        try:
            shell = self._make_shell(user)
        except BaseException:
            logout()
            raise
        return IFTPShell, shell, logout
