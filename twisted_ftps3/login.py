# -*- test-case-name: tests.test_sessionlimits,tests.test_defence -*-
"""
Getting in: a connection is admitted under the session limits, then its
user logs in past the login defence.

A connection over a limit is told C{421} and closed as it arrives, before
its TLS handshake is even over, so that connections which never log in
count too. A login from a banned address is refused without its password
being checked. A failed login is answered L{FAILURE_DELAY} seconds after its
C{PASS} arrived, whatever the check cost, so that a wrong password and an
unknown login answer at the same moment and guessing is slow; the wait is
on the factory's clock, and the session reads no further command until the
answer (a session pauses while a command waits: FTPS3._run), so a client cannot
start a second login beside the first: commands sent meanwhile are queued.

A successful login is the one line a session logs at info level; a failed
one is logged at info too, with the login tried (never the password).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.cred.error import UnauthorizedLogin, UnhandledCredentials
from twisted.internet import defer
from twisted.internet.task import deferLater
from twisted.logger import Logger
from twisted.protocols import ftp

from .auth import ClientCredentials
from .sessions import TooManySessions

if TYPE_CHECKING:
    from .protocol import FTPS3Factory

__all__ = ["FAILURE_DELAY", "Login"]

log = Logger()

#: Seconds from a failed login's C{PASS} to its C{530}.
FAILURE_DELAY = 1.0


class Login:
    """
    Admission and login for L{twisted_ftps3.protocol.FTPS3}, which calls
    L{admit} when its connection is made (and goes no further if refused),
    and L{release} when it is lost.
    """

    factory: FTPS3Factory
    client_address: str
    state: int
    shell: Any
    workingDirectory: list[str]
    avatar_id: str | None = None
    disconnected: bool
    UNAUTH: int
    AUTHED: int
    close_session: Callable[[str], None]
    logged_in: Callable[[], None]

    _user: str
    _admission: Callable[[], None] | None = None
    _logout: Callable[[], None] | None = None
    _waiting: defer.Deferred[None] | None = None

    # -- admission -------------------------------------------------------------

    def admit(self) -> bool:
        """Count this connection under the session limits; if over one, say 421 and close."""
        try:
            self._admission = self.factory.limits.admit(self.client_address)
        except TooManySessions as refused:
            self._too_many(refused, "session")
            return False
        return True

    def release(self) -> None:
        """The connection is gone: its login and its admission end."""
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            waiting.cancel()
        self.end_login()
        admission, self._admission = self._admission, None
        if admission is not None:
            admission()

    def end_login(self) -> None:
        """End the login this session has, if any, for a user's count of sessions."""
        logout, self._logout = self._logout, None
        self.shell = None
        self.avatar_id = None
        if logout is not None:
            logout()

    def _too_many(self, refused: TooManySessions, what: str) -> None:
        log.info(
            "refused a {what} from {client}: {setting} ({most}) reached",
            what=what,
            client=self.client_address,
            setting=refused.setting,
            most=refused.most,
        )
        self.close_session(f"421 Too many sessions {refused.limit}; try again later.")

    # -- login -------------------------------------------------------------------

    def ftp_PASS(self, password: str) -> defer.Deferred[Any]:
        arrived = self.factory.clock.seconds()
        login = self._user
        del self._user
        # A USER and PASS on a logged-in session start over (as in Twisted),
        # and until this PASS is answered the session is logged in as nobody.
        self.end_login()
        self.state = self.UNAUTH
        return defer.ensureDeferred(self._log_in(login, password, arrived))

    async def _log_in(self, login: str, password: str, arrived: float) -> Any:
        defence, address = self.factory.defence, self.client_address
        banned = defence.banned(address)
        try:
            if banned:
                raise UnauthorizedLogin("banned")
            credentials = ClientCredentials(login.encode(), password.encode(), address)
            _, shell, logout = await self.factory.portal.login(credentials, None, ftp.IFTPShell)
        except (UnauthorizedLogin, UnhandledCredentials):
            if banned:
                if self.factory.log_debug:
                    log.debug("{client} is banned: refused {user!r}", client=address, user=login)
            else:
                log.info("failed login as {user!r} from {client}", user=login, client=address)
                defence.failed(address)
            await self._answer_at(arrived + self.factory.failure_delay)
            if self.disconnected:
                return None
            raise ftp.AuthorizationError() from None
        except TooManySessions as refused:
            self._too_many(refused, f"login as {login!r}")
            return None
        if self.disconnected:
            # Lost while the password was checked: the session never was.
            logout()
            return None
        self.shell, self._logout = shell, logout
        self.workingDirectory = []
        self.state = self.AUTHED
        self.avatar_id = login
        self.logged_in()
        log.info("{user} logged in from {client}", user=login, client=address)
        return (ftp.USR_LOGGED_IN_PROCEED,)

    async def _answer_at(self, when: float) -> None:
        """Wait until C{when} on the factory's clock, or until the connection is lost."""
        clock = self.factory.clock
        if when <= clock.seconds():
            return
        self._waiting = deferLater(clock, when - clock.seconds(), lambda: None)
        try:
            await self._waiting
        except defer.CancelledError:
            pass
        finally:
            self._waiting = None
