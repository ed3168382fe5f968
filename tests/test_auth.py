"""
Tests for L{twisted_ftps3.auth}: checking logins and handing out shells.
"""

from __future__ import annotations

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.credentials import IUsernamePassword, UsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.cred.portal import IRealm
from twisted.protocols.ftp import IFTPShell
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import IResource
from zope.interface.verify import verifyObject

from twisted_ftps3.auth import S3Realm, UsersChecker
from twisted_ftps3.config import User

USERS = (
    User(login="alice", password="correct-horse"),
    User(login="bob", password="battery-staple"),
    User(
        login="zo\N{LATIN SMALL LETTER E WITH DIAERESIS}",
        password="p\N{LATIN SMALL LETTER A WITH DIAERESIS}ss",
    ),
)


class UsersCheckerTests(SynchronousTestCase):
    """L{UsersChecker} against the configured users."""

    def setUp(self) -> None:
        self.checker = UsersChecker(USERS)

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

    def __init__(self, avatar_id: str) -> None:
        self.avatar_id = avatar_id


class S3RealmTests(SynchronousTestCase):
    """L{S3Realm} gives each user an FTP shell."""

    def setUp(self) -> None:
        self.made: list[Shell] = []
        self.realm = S3Realm(self.make_shell)

    def make_shell(self, avatar_id: str) -> Shell:
        shell = Shell(avatar_id)
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
