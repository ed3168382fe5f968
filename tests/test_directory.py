# -*- test-case-name: tests.test_directory -*-
"""
Tests for L{twisted_ftps3.directory}: the merged users, their reload, the
SIGHUP service, and all of it in a real C{twistd ftps3} process.
"""

from __future__ import annotations

import ftplib
import io
import os
import signal
import subprocess
import sys
from typing import Any

from twisted.application.service import IService
from twisted.cred.credentials import UsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.internet.defer import ensureDeferred
from twisted.internet.testing import MemoryReactorClock
from twisted.internet.threads import deferToThread
from twisted.logger import Logger, formatEvent
from twisted.protocols.ftp import IFTPShell
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface.verify import verifyObject

from twisted_ftps3.config import User, load_settings
from twisted_ftps3.directory import ReloadOnSignal, UserDirectory, install_sighup
from twisted_ftps3.passwords import VerifierPool
from twisted_ftps3.tap import Options, build_service, makeService
from twisted_ftps3.usersfile import UsersFileError

from .support.clients import connect_implicit
from .support.environment import PASSWORD, USER, child_process, environment
from .support.s3server import s3_server
from .support.server import certified_environment, loopback_environment
from .support.signals import FakeSignals
from .support.twistd import TWISTD, Output, serving, wait_for_health
from .support.users import BCRYPT_HASH, write_users_file

ALICE = User(USER, PASSWORD)
BOB = User("bob", "bob password")
CAROL = User("carol", password_hash=BCRYPT_HASH, home="partners/carol/")


class FakeFile:
    """A users file as a test wants it: its users, or the error reading it raises."""

    def __init__(self, *users: User) -> None:
        self.users: tuple[User, ...] | UsersFileError = users
        self.reads: list[str] = []

    def __call__(self, path: str) -> tuple[User, ...]:
        self.reads.append(path)
        if isinstance(self.users, UsersFileError):
            raise self.users
        return self.users


class DirectoryTestCase(SynchronousTestCase):
    """A directory over a fake users file, its log captured."""

    path = "/etc/ftps3/users.json"

    def setUp(self) -> None:
        self.file = FakeFile(BOB)
        self.events: list[dict[str, Any]] = []
        self.log = Logger(observer=self.events.append)

    def directory(self, *env: User, users_file: str | None = path, **kwargs: Any) -> UserDirectory:
        return UserDirectory(env, users_file, read=self.file, log=self.log, **kwargs)

    def logged(self) -> list[str]:
        """Every line logged, which none may hold a secret in."""
        lines = [formatEvent(event) for event in self.events]
        for secret in (PASSWORD, BOB.password, BCRYPT_HASH):
            assert secret is not None
            self.assertNotIn(secret, " ".join(lines))
        return lines


class UsersTests(DirectoryTestCase):
    """The users of the environment and the file, merged."""

    def test_environmentOnly(self) -> None:
        """
        Without a users file, the users are the environment's, and the file
        is never read.
        """
        directory = self.directory(ALICE, users_file=None)
        self.assertEqual(
            (directory.users, directory.get(USER), self.file.reads), ((ALICE,), ALICE, [])
        )
        self.assertEqual(self.logged(), ["users loaded: 1 from the environment"])

    def test_merged(self) -> None:
        """
        The environment's users come first, then the file's; each is found by its login.
        """
        self.file.users = (BOB, CAROL)
        directory = self.directory(ALICE)
        self.assertEqual(directory.users, (ALICE, BOB, CAROL))
        self.assertEqual([directory.get(u.login) for u in (ALICE, BOB, CAROL)], [ALICE, BOB, CAROL])
        self.assertEqual(self.file.reads, [self.path])
        self.assertEqual(
            self.logged(),
            [
                "users loaded from /etc/ftps3/users.json: 3 (2 from the file,"
                " 1 from the environment)"
            ],
        )

    def test_unknown(self) -> None:
        """
        A login nobody has gives C{None}.
        """
        self.assertIsNone(self.directory(ALICE).get("mallory"))

    def test_fileOnly(self) -> None:
        """
        The file may hold every user.
        """
        self.assertEqual(self.directory().users, (BOB,))

    def test_badFileAtStart(self) -> None:
        """
        A file that cannot be used at start-up raises its error, a
        configuration error.
        """
        self.file.users = UsersFileError(self.path, "is not valid JSON")
        error = self.assertRaises(UsersFileError, self.directory, ALICE)
        self.assertEqual(str(error), "FTP_USERS_FILE: /etc/ftps3/users.json: is not valid JSON")

    def test_loginInBoth(self) -> None:
        """
        A login of the environment defined again in the file is refused,
        naming the file's entry and the environment's variable.
        """
        self.file.users = (BOB, User(USER, "other"))
        error = self.assertRaises(
            UsersFileError, self.directory, ALICE, places={USER: "FTP_USERS__3__LOGIN"}
        )
        self.assertEqual(
            error.line,
            "/etc/ftps3/users.json: users[1] (login 'alice'): login: 'alice' is already the"
            " login of FTP_USERS__3__LOGIN",
        )

    def test_loginInBothWithoutPlaces(self) -> None:
        """
        Without the environment's variable names, the family is named.
        """
        self.file.users = (User(USER, "other"),)
        error = self.assertRaises(UsersFileError, self.directory, ALICE)
        self.assertIn("is already the login of an FTP_USERS__i__LOGIN variable", error.line)


class ReloadTests(DirectoryTestCase):
    """L{UserDirectory.reload}."""

    def setUp(self) -> None:
        super().setUp()
        self.directory_ = self.directory(ALICE)
        self.told: list[tuple[User, ...]] = []
        self.directory_.on_change(self.told.append)
        del self.events[:]

    def test_change(self) -> None:
        """
        A good file replaces the file's users at once, is logged with how
        many users there are, and is told to the listeners.
        """
        self.file.users = (CAROL,)
        self.assertTrue(self.directory_.reload())
        self.assertEqual(self.directory_.users, (ALICE, CAROL))
        self.assertIsNone(self.directory_.get("bob"))
        self.assertEqual(self.directory_.get("carol"), CAROL)
        self.assertEqual(self.told, [(ALICE, CAROL)])
        self.assertEqual(
            self.logged(),
            [
                "users reloaded from /etc/ftps3/users.json: 2 (1 from the file,"
                " 1 from the environment)"
            ],
        )

    def test_badFileKeepsUsers(self) -> None:
        """
        A bad file is logged in one line, the users stay as they were and
        no listener is told.
        """
        error = UsersFileError(self.path, "unknown permission 'uplaod'", "users[0]", "permissions")
        self.file.users = error
        self.assertFalse(self.directory_.reload())
        self.assertEqual(self.directory_.users, (ALICE, BOB))
        self.assertEqual(self.told, [])
        self.assertEqual(
            self.logged(),
            [
                "users not reloaded, keeping the 2 users loaded before: /etc/ftps3/users.json:"
                " users[0]: permissions: unknown permission 'uplaod'"
            ],
        )

    def test_loginInBothKeepsUsers(self) -> None:
        """
        A file that defines an environment's login again is a bad file like any other.
        """
        self.file.users = (CAROL, User(USER, "other"))
        self.assertFalse(self.directory_.reload())
        self.assertEqual(self.directory_.users, (ALICE, BOB))
        (line,) = self.logged()
        self.assertIn("users[1] (login 'alice'): login: 'alice' is already the login", line)

    def test_goodAfterBad(self) -> None:
        """
        After a bad file, the next good one is taken.
        """
        self.file.users = UsersFileError(self.path, "is not valid JSON")
        self.directory_.reload()
        self.file.users = (CAROL,)
        self.assertTrue(self.directory_.reload())
        self.assertEqual(self.directory_.users, (ALICE, CAROL))

    def test_failingListener(self) -> None:
        """
        A listener that fails is logged; the others are still told, and the
        reload still counts.
        """
        told: list[tuple[User, ...]] = []

        def fail(users: tuple[User, ...]) -> None:
            raise RuntimeError("listener broke")

        directory = self.directory(ALICE)
        directory.on_change(fail)
        directory.on_change(told.append)
        self.assertTrue(directory.reload())
        self.assertEqual(told, [(ALICE, BOB)])
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 0)
        failures = [event for event in self.events if "log_failure" in event]
        self.assertEqual(len(failures), 1)
        self.assertEqual(failures[0]["log_failure"].value.args, ("listener broke",))

    def test_noFile(self) -> None:
        """
        Without a users file there is nothing to reload: it says so.
        """
        directory = self.directory(ALICE, users_file=None)
        del self.events[:]
        self.assertFalse(directory.reload())
        self.assertEqual(self.logged(), ["no FTP_USERS_FILE is set: there are no users to reload"])


class ReloadOnSignalTests(SynchronousTestCase):
    """L{ReloadOnSignal} and L{install_sighup}."""

    def setUp(self) -> None:
        self.reloads: list[None] = []
        self.signals = FakeSignals()
        self.service = ReloadOnSignal(lambda: self.reloads.append(None), self.signals)

    def test_interface(self) -> None:
        """
        It is an L{IService}.
        """
        self.assertTrue(verifyObject(IService, self.service))

    def test_startInstalls(self) -> None:
        """
        Starting installs the handler, which reloads.
        """
        self.assertIsNone(self.signals.handler)
        self.service.startService()
        assert self.signals.handler is not None
        self.signals.handler()
        self.signals.handler()
        self.assertEqual(len(self.reloads), 2)

    def test_stopRestores(self) -> None:
        """
        Stopping puts the previous handler back, once.
        """
        self.service.startService()
        self.service.stopService()
        self.assertEqual((self.signals.restored, self.service.running), (True, False))
        self.signals.restored = False
        self.service.stopService()
        self.assertFalse(self.signals.restored)

    def test_realSignal(self) -> None:
        """
        L{install_sighup} makes a real SIGHUP call the handler through the
        reactor's C{callFromThread}, and puts the previous handler back.
        """
        called: list[Any] = []

        class Reactor:
            def callFromThread(self, f: Any, *args: Any) -> None:
                called.append(f)

        def previous(signum: int, frame: Any) -> None:
            raise AssertionError("the previous handler was called")

        before = signal.signal(signal.SIGHUP, previous)
        self.addCleanup(signal.signal, signal.SIGHUP, before)

        def handler() -> None:
            pass

        restore = install_sighup(Reactor())(handler)
        os.kill(os.getpid(), signal.SIGHUP)
        restore()
        self.assertEqual(called, [handler])
        self.assertIs(signal.getsignal(signal.SIGHUP), previous)


class ServiceTests(SynchronousTestCase):
    """The directory and its SIGHUP service in L{build_service} and L{makeService}."""

    def setUp(self) -> None:
        directory = os.path.abspath(self.mktemp())
        self.path = os.path.join(directory, "users.json")
        self.environ = certified_environment(directory, FTP_USERS_FILE=self.path)
        write_users_file(self.path, {"users": [{"login": "bob", "password": "bob password"}]})

    def build(self, environ: dict[str, str]) -> Any:
        self.signals = FakeSignals()
        return build_service(
            load_settings(environ),
            MemoryReactorClock(),
            environ,
            install_signals=FakeSignals(),
            install_reload_signal=self.signals,
        )

    def login(self, service: Any, login: str, password: str) -> Any:
        portal = service.factory.portal
        return portal.login(UsernamePassword(login.encode(), password.encode()), None, IFTPShell)

    def test_noFileNoSignal(self) -> None:
        """
        Without a users file, SIGHUP is left alone.
        """
        service = self.build(environment(self.environ, FTP_USERS_FILE=None))
        self.assertEqual([child for child in service if isinstance(child, ReloadOnSignal)], [])
        self.assertIsNotNone(service.directory)

    def test_badFileExits(self) -> None:
        """
        A bad users file at start-up ends the process with one line naming
        the variable, the file, the entry and the field, and exit status 1.
        """
        write_users_file(self.path, {"users": [{"login": "bob", "password": "p", "hme": "x"}]})
        stderr = io.StringIO()
        self.patch(sys, "stderr", stderr)
        error = self.assertRaises(
            SystemExit, makeService, Options(), MemoryReactorClock(), self.environ
        )
        self.assertEqual(error.code, 1)
        self.assertEqual(
            stderr.getvalue().splitlines(),
            [
                f"twistd ftps3: configuration error: FTP_USERS_FILE: {self.path}: users[0]"
                " (login 'bob'): unknown field 'hme'; the fields are login, password,"
                " password_hash, home, permissions, allowed_cidrs, max_sessions"
            ],
        )

    def test_loginInBothExits(self) -> None:
        """
        A login in the environment and the file ends the start-up, naming the variable.
        """
        write_users_file(self.path, {"users": [{"login": USER, "password": "p"}]})
        stderr = io.StringIO()
        self.patch(sys, "stderr", stderr)
        self.assertRaises(SystemExit, makeService, Options(), MemoryReactorClock(), self.environ)
        self.assertIn("is already the login of FTP_USERS__1__LOGIN", stderr.getvalue())


class ServiceReloadTests(TestCase):
    """
    SIGHUP in the service L{build_service} makes, with logins checked as
    the server checks them: in the password verifier's thread pool.
    """

    def setUp(self) -> None:
        directory = os.path.abspath(self.mktemp())
        self.path = os.path.join(directory, "users.json")
        environ = certified_environment(directory, FTP_USERS_FILE=self.path)
        write_users_file(self.path, {"users": [{"login": "bob", "password": "bob password"}]})
        from twisted.internet import reactor

        self.signals = FakeSignals()
        self.service = build_service(
            load_settings(environ),
            reactor,
            environ,
            install_signals=FakeSignals(),
            install_reload_signal=self.signals,
        )
        # The reload and the verifier's threads, not the listeners: no port is needed.
        for child in self.service:
            if isinstance(child, (ReloadOnSignal, VerifierPool)):
                child.startService()
                self.addCleanup(child.stopService)

    def login(self, login: str, password: str) -> Any:
        portal = self.service.factory.portal
        return portal.login(UsernamePassword(login.encode(), password.encode()), None, IFTPShell)

    async def _reload(self) -> None:
        await self.login("bob", "bob password")
        write_users_file(self.path, {"users": [{"login": "carol", "password": "carol pw"}]})
        assert self.signals.handler is not None
        self.signals.handler()
        self.assertEqual([u.login for u in self.service.directory.users], [USER, "carol"])
        await self.login("carol", "carol pw")
        await self.login(USER, PASSWORD)
        with self.assertRaises(UnauthorizedLogin):
            await self.login("bob", "bob password")

    def test_reloadOnSignal(self) -> Any:
        """
        With a users file, SIGHUP reloads it once the service runs: a user
        added logs in, one removed no longer does, the environment's still does.
        """
        return ensureDeferred(self._reload())


class TwistdTests(TestCase):
    """The users file of a real C{twistd ftps3} over moto, re-read on SIGHUP."""

    timeout = 120

    def setUp(self) -> None:
        self.s3 = s3_server()
        self.bucket = self.s3.create_bucket("users")
        directory = os.path.abspath(self.mktemp())
        os.makedirs(directory)
        self.path = os.path.join(directory, "users.json")
        self.environ = environment(
            child_process(),
            loopback_environment(self.s3, self.bucket, directory, FTP_USERS_FILE=self.path),
        )
        self.port = int(self.environ["FTP_COMMAND_PORT"])
        self.certificate = self.environ["FTP_TLS_CERTIFICATE_FILE"]

    def connect(self, login: str, password: str) -> ftplib.FTP_TLS:
        ftp = connect_implicit("127.0.0.1", self.port, login, password, cafile=self.certificate)
        self.addCleanup(ftp.close)
        return ftp

    def store(self, ftp: ftplib.FTP_TLS, name: str) -> list[str]:
        """Upload a small file as C{name}, then list the root."""
        ftp.storbinary(f"STOR {name}", io.BytesIO(b"contents of " + name.encode()))
        return sorted(ftp.nlst())

    def test_reloadOnSighup(self) -> Any:
        """
        After the file changes and the server gets SIGHUP, a new user logs
        in and a removed one no longer does, while the removed user's session
        opened before goes on working; a bad file then changes nothing, with
        one line in the log.
        """
        write_users_file(self.path, {"users": [{"login": "bob", "password": "bob password"}]})

        def run() -> str:
            process = serving(self.environ)
            output = Output(process)
            try:
                wait_for_health(
                    f"http://127.0.0.1:{self.environ['HEALTHCHECK_PORT']}/health", process
                )
                bob = self.connect("bob", "bob password")
                self.assertEqual(self.store(bob, "before.txt"), ["before.txt"])

                write_users_file(self.path, {"users": [{"login": "carol", "password": "carol pw"}]})
                process.send_signal(signal.SIGHUP)
                output.wait_for("users reloaded from")
                carol = self.connect("carol", "carol pw")
                self.assertEqual(carol.pwd(), "/")
                self.assertEqual(self.store(bob, "after.txt"), ["after.txt", "before.txt"])
                with self.assertRaises(ftplib.error_perm) as refused:
                    self.connect("bob", "bob password")
                self.assertTrue(str(refused.exception).startswith("530"), refused.exception)

                write_users_file(self.path, '{"users": [{"login": "dave", "password": "x",}]}')
                process.send_signal(signal.SIGHUP)
                output.wait_for("users not reloaded")
                self.connect("carol", "carol pw").quit()
                self.connect(USER, PASSWORD).quit()
            finally:
                process.terminate()
                process.wait(30)
            return output.finish()

        def check(text: str) -> None:
            lines = [line for line in text.splitlines() if "users not reloaded" in line]
            self.assertEqual(len(lines), 1, text)
            self.assertIn(
                f"keeping the 2 users loaded before: {self.path}: is not valid JSON:", lines[0]
            )
            self.assertIn("users loaded from", text)
            for secret in ("bob password", "carol pw", PASSWORD):
                self.assertNotIn(secret, text)

        return deferToThread(run).addCallback(check)

    def test_badFileOnStart(self) -> Any:
        """
        A bad users file stops C{twistd ftps3} at start-up with exit status 1
        and one line on stderr.
        """
        write_users_file(
            self.path,
            {
                "users": [
                    {"login": "bob", "password": "bob password", "allowed_cidrs": ["10.0.0.1/8"]}
                ]
            },
        )

        def run() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*TWISTD, "-n", "--pidfile=", "ftps3"],
                env=self.environ,
                capture_output=True,
                timeout=60,
                text=True,
            )

        def check(result: subprocess.CompletedProcess[str]) -> None:
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertEqual(
                result.stderr.splitlines(),
                [
                    f"twistd ftps3: configuration error: FTP_USERS_FILE: {self.path}: users[0]"
                    " (login 'bob'): allowed_cidrs: '10.0.0.1/8' has host bits set; the network"
                    " is 10.0.0.0/8"
                ],
            )
            self.assertNotIn("bob password", result.stdout + result.stderr)

        return deferToThread(run).addCallback(check)
