"""
Tests for L{twisted_ftps3.auth}: checking logins and handing out shells.
"""

from __future__ import annotations

import ipaddress

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.credentials import IUsernamePassword, UsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.cred.portal import IRealm
from twisted.protocols.ftp import IFTPShell
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import IResource
from zope.interface.verify import verifyObject

from twisted_ftps3.auth import ClientCredentials, S3Realm, UsersChecker
from twisted_ftps3.config import User
from twisted_ftps3.sessions import TooManySessions, UserSessions

from .support.users import Directory, PlainVerifier

USERS = (
    User(login="alice", password="correct-horse"),
    User(login="bob", password="battery-staple"),
    User(
        login="zo\N{LATIN SMALL LETTER E WITH DIAERESIS}",
        password="p\N{LATIN SMALL LETTER A WITH DIAERESIS}ss",
    ),
)


def _networks(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


class UsersCheckerTests(SynchronousTestCase):
    """L{UsersChecker} against the configured users."""

    def setUp(self) -> None:
        self.checker = UsersChecker(Directory(USERS), PlainVerifier())

    def login(self, username: str | bytes, password: str | bytes) -> object:
        """The avatar id the checker gives for these credentials."""
        credentials = UsernamePassword(username, password)  # type: ignore[arg-type]
        return self.successResultOf(self.checker.requestAvatarId(credentials))

    def refused(self, username: str | bytes, password: str | bytes) -> UnauthorizedLogin:
        """The error the checker refuses these credentials with."""
        credentials = UsernamePassword(username, password)  # type: ignore[arg-type]
        failure = self.failureResultOf(self.checker.requestAvatarId(credentials))
        self.assertIs(type(failure.value), UnauthorizedLogin)
        return failure.value

    def test_provides_interface(self) -> None:
        """The checker is a complete L{ICredentialsChecker}."""
        self.assertTrue(verifyObject(ICredentialsChecker, self.checker))

    def test_accepts_username_password(self) -> None:
        """The checker takes username-and-password credentials."""
        self.assertIn(IUsernamePassword, self.checker.credentialInterfaces)

    def test_right_password(self) -> None:
        """The right password logs the user in as their login."""
        self.assertEqual(self.login("alice", "correct-horse"), "alice")

    def test_each_user_own_password(self) -> None:
        """Each user logs in with their own password."""
        self.assertEqual(self.login("bob", "battery-staple"), "bob")

    def test_other_users_password_refused(self) -> None:
        """One user's password does not log in another."""
        self.refused("alice", "battery-staple")

    def test_wrong_password(self) -> None:
        """A wrong password is refused with L{UnauthorizedLogin}."""
        self.refused("alice", "wrong")

    def test_password_prefix_refused(self) -> None:
        """A prefix of the right password is refused."""
        self.refused("alice", "correct")

    def test_empty_password_refused(self) -> None:
        """An empty password is refused."""
        self.refused("alice", "")

    def test_unknown_user(self) -> None:
        """An unknown user is refused with L{UnauthorizedLogin}."""
        self.refused("mallory", "correct-horse")

    def test_unknown_user_with_sentinel_password(self) -> None:
        """
        An unknown user is refused even with the password the checker
        compares unknown users against.
        """
        self.refused("mallory", b"\x00no such user")

    def test_unknown_user_and_wrong_password_alike(self) -> None:
        """An unknown user and a wrong password get the same error and message."""
        wrong_password = self.refused("alice", "wrong")
        unknown_user = self.refused("mallory", "wrong")
        self.assertEqual(
            (type(unknown_user), str(unknown_user)), (type(wrong_password), str(wrong_password))
        )

    def test_username_case_sensitive(self) -> None:
        """Logins are case-sensitive."""
        self.refused("Alice", "correct-horse")

    def test_bytes_credentials(self) -> None:
        """Username and password as bytes, as Twisted's FTP gives them, log in."""
        self.assertEqual(self.login(b"alice", b"correct-horse"), "alice")

    def test_bytes_avatar_id_is_text(self) -> None:
        """The avatar id for a bytes username is the text login."""
        self.assertIsInstance(self.login(b"alice", b"correct-horse"), str)

    def test_utf8_bytes_credentials(self) -> None:
        """Non-ASCII usernames and passwords as UTF-8 bytes log in."""
        login = "zo\N{LATIN SMALL LETTER E WITH DIAERESIS}"
        password = "p\N{LATIN SMALL LETTER A WITH DIAERESIS}ss"
        self.assertEqual(self.login(login.encode("utf-8"), password.encode("utf-8")), login)

    def test_bytes_wrong_password(self) -> None:
        """A wrong password as bytes is refused."""
        self.refused(b"alice", b"wrong")

    def test_undecodable_username_refused(self) -> None:
        """A username that is not UTF-8 is refused, not an error."""
        self.refused(b"\xff\xfe", b"correct-horse")

    def test_latin1_password_refused(self) -> None:
        """A non-ASCII password in another encoding than UTF-8 does not match."""
        self.refused("zo\N{LATIN SMALL LETTER E WITH DIAERESIS}".encode(), "päss".encode("latin-1"))


class Shell:
    """A stand-in for the shell over the bucket."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.avatar_id = user.login


class S3RealmTests(SynchronousTestCase):
    """L{S3Realm} gives each user an FTP shell."""

    def setUp(self) -> None:
        self.made: list[Shell] = []
        self.directory = Directory([*USERS, User("carol", "pw", max_sessions=2)])
        self.realm = S3Realm(self.directory, self.make_shell)

    def make_shell(self, user: User) -> Shell:
        shell = Shell(user)
        self.made.append(shell)
        return shell

    def test_provides_interface(self) -> None:
        """The realm is a complete L{IRealm}."""
        self.assertTrue(verifyObject(IRealm, self.realm))

    def test_ftp_shell_interface(self) -> None:
        """The avatar is given as an L{IFTPShell}."""
        interface, _, _ = self.realm.requestAvatar("alice", None, IFTPShell)
        self.assertIs(interface, IFTPShell)

    def test_shell_from_factory(self) -> None:
        """The avatar is the shell the factory made for that user."""
        _, shell, _ = self.realm.requestAvatar("alice", None, IFTPShell)
        self.assertEqual((self.made, shell.avatar_id), ([shell], "alice"))

    def test_fresh_shell_per_login(self) -> None:
        """Every login gets a shell of its own."""
        _, first, _ = self.realm.requestAvatar("alice", None, IFTPShell)
        _, second, _ = self.realm.requestAvatar("alice", None, IFTPShell)
        self.assertIsNot(first, second)

    def test_logout_callable(self) -> None:
        """The logout is a callable that can be called with no arguments."""
        _, _, logout = self.realm.requestAvatar("alice", None, IFTPShell)
        self.assertIsNone(logout())

    def test_ftp_shell_among_others(self) -> None:
        """When several interfaces are offered, the FTP shell is chosen."""
        interface, _, _ = self.realm.requestAvatar("alice", None, IResource, IFTPShell)
        self.assertIs(interface, IFTPShell)

    def test_other_interfaces_refused(self) -> None:
        """Asking for anything but an FTP shell is refused, and no shell is made."""
        self.assertRaises(NotImplementedError, self.realm.requestAvatar, "alice", None, IResource)
        self.assertEqual(self.made, [])

    def test_shell_for_user(self) -> None:
        """The shell is made for the user the directory holds for the login."""
        _, shell, _ = self.realm.requestAvatar("alice", None, IFTPShell)
        self.assertIs(shell.user, self.directory.get("alice"))

    def test_user_removed_since_check(self) -> None:
        """A login the directory no longer holds is refused, and no shell is made."""
        self.assertRaises(UnauthorizedLogin, self.realm.requestAvatar, "mallory", None, IFTPShell)
        self.assertEqual(self.made, [])

    def test_sessions_counted(self) -> None:
        """Each login counts one session of its user, until its logout."""
        _, _, logout = self.realm.requestAvatar("alice", None, IFTPShell)
        self.realm.requestAvatar("alice", None, IFTPShell)
        self.assertEqual(self.realm.sessions.of("alice"), 2)
        logout()
        self.assertEqual(self.realm.sessions.of("alice"), 1)

    def test_logout_once(self) -> None:
        """A second call of one logout changes nothing."""
        _, _, logout = self.realm.requestAvatar("alice", None, IFTPShell)
        self.realm.requestAvatar("alice", None, IFTPShell)
        logout()
        logout()
        self.assertEqual(self.realm.sessions.of("alice"), 1)

    def test_over_user_limit(self) -> None:
        """A login over the user's C{max_sessions} is refused, and no shell is made."""
        self.realm.requestAvatar("carol", None, IFTPShell)
        self.realm.requestAvatar("carol", None, IFTPShell)
        with self.assertRaises(TooManySessions) as caught:
            self.realm.requestAvatar("carol", None, IFTPShell)
        self.assertEqual((caught.exception.limit, caught.exception.most), ("for this user", 2))
        self.assertEqual(len(self.made), 2)

    def test_limit_after_logout(self) -> None:
        """Once a session of a user at the limit ends, the user may log in again."""
        _, _, logout = self.realm.requestAvatar("carol", None, IFTPShell)
        self.realm.requestAvatar("carol", None, IFTPShell)
        logout()
        _, shell, _ = self.realm.requestAvatar("carol", None, IFTPShell)
        self.assertEqual(shell.avatar_id, "carol")

    def test_limit_per_user(self) -> None:
        """One user at the limit does not hold back another."""
        self.realm.requestAvatar("carol", None, IFTPShell)
        self.realm.requestAvatar("carol", None, IFTPShell)
        _, shell, _ = self.realm.requestAvatar("alice", None, IFTPShell)
        self.assertEqual(shell.avatar_id, "alice")

    def test_limit_from_directory_now(self) -> None:
        """The limit is the user's as the directory has it at the login (after a reload)."""
        self.realm.requestAvatar("alice", None, IFTPShell)
        self.directory.users["alice"] = User("alice", "correct-horse", max_sessions=1)
        self.assertRaises(TooManySessions, self.realm.requestAvatar, "alice", None, IFTPShell)

    def test_failed_shell_not_counted(self) -> None:
        """A shell that cannot be made leaves no session counted."""

        def broken(user: User) -> Shell:
            raise RuntimeError("no shell")

        realm = S3Realm(self.directory, broken, UserSessions())
        self.assertRaises(RuntimeError, realm.requestAvatar, "carol", None, IFTPShell)
        self.assertEqual(realm.sessions.of("carol"), 0)

    def test_shared_sessions(self) -> None:
        """A realm given a count of sessions counts in it."""
        sessions = UserSessions()
        S3Realm(self.directory, self.make_shell, sessions).requestAvatar("bob", None, IFTPShell)
        self.assertEqual(sessions.of("bob"), 1)


class ClientCredentialsTests(SynchronousTestCase):
    """L{ClientCredentials}: a username and password from an address."""

    def setUp(self) -> None:
        self.credentials = ClientCredentials(b"alice", b"pw", "192.0.2.1")

    def test_provides_interface(self) -> None:
        """They are complete L{IUsernamePassword} credentials."""
        self.assertTrue(verifyObject(IUsernamePassword, self.credentials))

    def test_check_password(self) -> None:
        """C{checkPassword} is true for the password only."""
        self.assertEqual(
            [self.credentials.checkPassword(p) for p in (b"pw", b"p", b"pw2", b"")],
            [True, False, False, False],
        )


class CheckerDirectoryTests(SynchronousTestCase):
    """L{UsersChecker} asks its directory and its verifier at every login."""

    def setUp(self) -> None:
        self.directory = Directory([User("alice", "pw")])
        self.verifier = PlainVerifier()
        self.checker = UsersChecker(self.directory, self.verifier)

    def attempt(self, login: bytes, password: bytes, address: str | None = "192.0.2.1") -> object:
        return self.checker.requestAvatarId(ClientCredentials(login, password, address))

    def test_unknown_user_verified(self) -> None:
        """An unknown login is verified too, as C{None}, with the password given."""
        self.failureResultOf(self.attempt(b"mallory", b"guess"), UnauthorizedLogin)
        self.assertEqual(self.verifier.calls, [(None, b"guess")])

    def test_undecodable_login_verified(self) -> None:
        """A login that is not UTF-8 is verified as an unknown one."""
        self.failureResultOf(self.attempt(b"\xff", b"guess"), UnauthorizedLogin)
        self.assertEqual(self.verifier.calls, [(None, b"guess")])

    def test_known_user_verified(self) -> None:
        """A known login is verified as the directory's user."""
        self.successResultOf(self.attempt(b"alice", b"pw"))
        self.assertEqual(self.verifier.calls, [(self.directory.get("alice"), b"pw")])

    def test_waits_for_verifier(self) -> None:
        """The answer waits for the verifier's."""
        self.verifier.hold = True
        d = self.attempt(b"alice", b"pw")
        self.assertNoResult(d)
        self.verifier.release()
        self.assertEqual(self.successResultOf(d), "alice")

    def test_reload_takes_effect(self) -> None:
        """A user added to the directory logs in at once; one removed no longer does."""
        self.directory.users = {"bob": User("bob", "pw2")}
        self.assertEqual(self.successResultOf(self.attempt(b"bob", b"pw2")), "bob")
        self.failureResultOf(self.attempt(b"alice", b"pw"), UnauthorizedLogin)


class AllowedNetworksTests(SynchronousTestCase):
    """A user with C{allowed_cidrs} logs in from those networks only."""

    def setUp(self) -> None:
        user = User("alice", "pw", allowed_cidrs=_networks("192.0.2.0/24", "2001:db8::/32"))
        self.verifier = PlainVerifier()
        self.checker = UsersChecker(Directory([user, User("bob", "pw")]), self.verifier)

    def attempt(
        self, address: str | None, login: bytes = b"alice", password: bytes = b"pw"
    ) -> object:
        return self.checker.requestAvatarId(ClientCredentials(login, password, address))

    def test_inside(self) -> None:
        """From an address in one of the networks, the user logs in."""
        for address in ("192.0.2.1", "192.0.2.254", "2001:db8::7"):
            self.assertEqual(self.successResultOf(self.attempt(address)), "alice", address)

    def test_outside(self) -> None:
        """From anywhere else, the right password gets the same refusal as a wrong one."""
        outside = self.failureResultOf(self.attempt("198.51.100.1"), UnauthorizedLogin)
        wrong = self.failureResultOf(self.attempt("192.0.2.1", password=b"no"), UnauthorizedLogin)
        self.assertEqual(str(outside.value), str(wrong.value))

    def test_password_verified_first(self) -> None:
        """The password is verified from outside too, so the refusal costs the same."""
        self.failureResultOf(self.attempt("198.51.100.1"), UnauthorizedLogin)
        self.assertEqual(len(self.verifier.calls), 1)

    def test_ipv4_mapped(self) -> None:
        """An IPv4-mapped IPv6 address matches the IPv4 networks."""
        self.assertEqual(self.successResultOf(self.attempt("::ffff:192.0.2.9")), "alice")
        self.failureResultOf(self.attempt("::ffff:198.51.100.1"), UnauthorizedLogin)

    def test_no_address(self) -> None:
        """Credentials without an address are from no allowed network."""
        credentials = UsernamePassword(b"alice", b"pw")
        self.failureResultOf(self.checker.requestAvatarId(credentials), UnauthorizedLogin)
        self.failureResultOf(self.attempt(None), UnauthorizedLogin)

    def test_not_an_address(self) -> None:
        """An address that cannot be read is in no network."""
        self.failureResultOf(self.attempt("unix-socket"), UnauthorizedLogin)

    def test_without_networks(self) -> None:
        """A user without networks logs in from anywhere."""
        self.assertEqual(self.successResultOf(self.attempt("198.51.100.1", b"bob")), "bob")
