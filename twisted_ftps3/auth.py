# -*- test-case-name: tests.test_auth -*-
"""
Who may log in, and what they get when they do.

L{UsersChecker} checks a login against the configured users; L{S3Realm}
hands every user a shell over the one bucket. A wrong password and an
unknown user take the same path and the same time, so a client cannot tell
which it got wrong.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from typing import Any

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.credentials import IUsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.cred.portal import IRealm
from twisted.internet.defer import Deferred, fail, succeed
from twisted.protocols.ftp import IFTPShell
from zope.interface import implementer

from .config import User


def _digest(value: str | bytes) -> bytes:
    # Comparing fixed-length digests makes the comparison's time independent
    # of the password's length as well as of its content.
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return hashlib.sha256(raw).digest()


@implementer(ICredentialsChecker)
class UsersChecker:
    """Check usernames and passwords against the configured users."""

    credentialInterfaces = (IUsernamePassword,)

    def __init__(self, users: Iterable[User]) -> None:
        self._passwords = {user.login: _digest(user.password) for user in users}
        self._nobody = _digest(b"\x00no such user")

    def requestAvatarId(self, credentials: IUsernamePassword) -> Deferred[str]:
        username = credentials.username
        login = username.decode("utf-8", "replace") if isinstance(username, bytes) else username
        expected = self._passwords.get(login, self._nobody)
        matches = hmac.compare_digest(expected, _digest(credentials.password))
        if matches and login in self._passwords:
            return succeed(login)
        return fail(UnauthorizedLogin("wrong username or password"))


@implementer(IRealm)
class S3Realm:
    """Give each logged-in user a fresh shell over the bucket."""

    def __init__(self, make_shell: Callable[[str], Any]) -> None:
        self._make_shell = make_shell

    def requestAvatar(self, avatarId: str, mind: object, *interfaces: Any) -> tuple[Any, Any, Any]:
        if IFTPShell not in interfaces:
            raise NotImplementedError("this realm serves only FTP shells")
        return IFTPShell, self._make_shell(avatarId), lambda: None
