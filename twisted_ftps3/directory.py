# -*- test-case-name: tests.test_directory -*-
"""
Who the users are now: the environment's users and the users file's,
merged, and re-read on SIGHUP.

L{UserDirectory} is what a login asks: L{UserDirectory.get} finds a user by
login. Its users change only when L{UserDirectory.reload} reads a good
file; a bad one is logged in one line and the users it had are kept, so
that a typo in the file never locks every partner out. A session already
logged in keeps the shell it was given: a reload changes new logins only.

L{ReloadOnSignal} is the service that calls L{UserDirectory.reload} on
SIGHUP, the signal daemons conventionally re-read their configuration on.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from twisted.application.service import Service
from twisted.internet.interfaces import IReactorFromThreads
from twisted.logger import Logger

from .config import User
from .config.errors import show
from .drain import SignalInstaller, install_signal_handlers
from .usersfile import UsersFileError, entry_name, read_users_file

__all__ = ["ReloadOnSignal", "UserDirectory", "install_sighup"]

_log = Logger()

#: Told the new users after every reload that changed them.
Listener = Callable[[tuple[User, ...]], object]


class UserDirectory:
    """
    The users who may log in, by login.

    @param env_users: the users of the environment, which never change.
    @param users_file: the path of the users file, or C{None} for none.
    @param read: reads the file, raising L{UsersFileError} for a bad one.
    @param places: where each environment login is defined, such as
        C{FTP_USERS__3__LOGIN}, for the error when the file defines it again.
    @raise UsersFileError: if the file cannot be used at start-up.
    """

    def __init__(
        self,
        env_users: Sequence[User],
        users_file: str | None,
        *,
        read: Callable[[str], tuple[User, ...]] = read_users_file,
        log: Logger = _log,
        places: Mapping[str, str] | None = None,
    ) -> None:
        self._env = tuple(env_users)
        self._file = users_file
        self._read = read
        self._log = log
        self._places = dict(places or {})
        self._listeners: list[Listener] = []
        self._by_login = self._load()
        self._log_loaded("loaded")

    @property
    def users(self) -> tuple[User, ...]:
        """Every user, the environment's first, then the file's in its order."""
        return tuple(self._by_login.values())

    def get(self, login: str) -> User | None:
        """The user whose login is C{login}, or C{None}."""
        return self._by_login.get(login)

    def on_change(self, listener: Listener) -> None:
        """Call C{listener} with the new users after each successful reload."""
        self._listeners.append(listener)

    def reload(self) -> bool:
        """
        Read the users file again. On success, use its users for every login
        from now on, log how many there are and tell the listeners; on any
        error, log it in one line and keep the users as they were.

        @return: whether the new users were taken.
        """
        if self._file is None:
            self._log.info("no FTP_USERS_FILE is set: there are no users to reload")
            return False
        try:
            by_login = self._load()
        except UsersFileError as e:
            self._log.error(
                "users not reloaded, keeping the {count} users loaded before: {error}",
                count=len(self._by_login),
                error=e.line,
            )
            return False
        self._by_login = by_login
        self._log_loaded("reloaded")
        users = self.users
        for listener in list(self._listeners):
            try:
                listener(users)
            except Exception:
                self._log.failure("a listener to the users' reload failed")
        return True

    def _load(self) -> dict[str, User]:
        """Every user by login, after reading the file if there is one."""
        by_login = {user.login: user for user in self._env}
        if self._file is None:
            return by_login
        for index, user in enumerate(self._read(self._file)):
            if user.login in by_login:
                place = self._places.get(user.login, "an FTP_USERS__i__LOGIN variable")
                raise UsersFileError(
                    self._file,
                    f"{show(user.login)} is already the login of {place}",
                    entry_name(index, {"login": user.login}),
                    "login",
                )
            by_login[user.login] = user
        return by_login

    def _log_loaded(self, what: str) -> None:
        from_env = len(self._env)
        if self._file is None:
            self._log.info("users {what}: {count} from the environment", what=what, count=from_env)
            return
        self._log.info(
            "users {what} from {file}: {count} ({from_file} from the file, {from_env} from"
            " the environment)",
            what=what,
            file=self._file,
            count=len(self._by_login),
            from_file=len(self._by_login) - from_env,
            from_env=from_env,
        )


def install_sighup(reactor: IReactorFromThreads) -> SignalInstaller:
    """The L{SignalInstaller} of SIGHUP in a real process; handlers run in the reactor thread."""
    return install_signal_handlers(reactor, (signal.SIGHUP,))


class ReloadOnSignal(Service):
    """
    Call C{reload} on a signal while running: the previous handler is put
    back when the service stops.

    @param install_signals: sets the handler; by default from
        L{install_sighup}, injectable so that tests send no signal.
    """

    def __init__(self, reload: Callable[[], Any], install_signals: SignalInstaller) -> None:
        self._reload = reload
        self._install = install_signals
        self._restore: Callable[[], None] | None = None

    def startService(self) -> None:
        super().startService()
        self._restore = self._install(self._reload)

    def stopService(self) -> None:
        restore, self._restore = self._restore, None
        if restore is not None:
            restore()
        super().stopService()
