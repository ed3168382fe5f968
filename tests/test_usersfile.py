# -*- test-case-name: tests.test_usersfile -*-
"""
Tests for L{twisted_ftps3.usersfile}: the users file's users, and the one
line that names the file, the entry and the field of every kind of bad file.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.config import ConfigError, User
from twisted_ftps3.permissions import ALL, Permissions
from twisted_ftps3.usersfile import UsersFileError, read_users_file

from .support.environment import SOURCE_ROOT
from .support.users import (
    ARGON2_HASH,
    BANK_FILE,
    BANK_OPERATOR,
    BANK_USER,
    BCRYPT_HASH,
    write_users_file,
)

PASSWORD = "file password secret"


def entry(**fields: Any) -> dict[str, Any]:
    """One user entry: login C{acme} with a password, then C{fields} (C{None} removes one)."""
    result: dict[str, Any] = {"login": "acme", "password": PASSWORD}
    for name, value in fields.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def readme_example() -> str:
    """The users file of the README's section on users and permissions."""
    with open(os.path.join(SOURCE_ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    section = readme[readme.index("## Users and permissions") :]
    match = re.search(r"```json\n(\{\"users\".*?)```", section, re.DOTALL)
    assert match is not None, "no users file in the README"
    return match.group(1)


class UsersFileTestCase(SynchronousTestCase):
    """A users file in a temporary directory."""

    def setUp(self) -> None:
        directory = self.mktemp()
        os.makedirs(directory)
        self.path = os.path.join(directory, "users.json")

    def read(self, document: Any) -> tuple[User, ...]:
        """The users of a file holding C{document} (JSON, or text as it is)."""
        write_users_file(self.path, document)
        return read_users_file(self.path)

    def refused(self, document: Any) -> str:
        """The error line of a file holding C{document}, with the path as C{PATH}."""
        error = self.assertRaises(UsersFileError, self.read, document)
        self.assertEqual(error.line.splitlines(), [error.line])
        for secret in (PASSWORD, ARGON2_HASH, BCRYPT_HASH):
            self.assertNotIn(secret, str(error))
            self.assertNotIn(secret, repr(error))
        self.assertTrue(error.line.startswith(self.path + ": "), error.line)
        return "PATH" + error.line[len(self.path) :]

    def refusedUser(self, **fields: Any) -> str:
        """The error line of a file whose only user is L{entry} with C{fields}."""
        return self.refused({"users": [entry(**fields)]})


class GoodFileTests(UsersFileTestCase):
    """Files that are read, and the users they give."""

    def test_readmeExample(self) -> None:
        """
        The README's example is the bank layout, and gives the partner and
        the operator with every field as written.
        """
        self.assertEqual(json.loads(readme_example()), BANK_FILE)
        self.assertEqual(self.read(readme_example()), (BANK_USER, BANK_OPERATOR))

    def test_bankLayout(self) -> None:
        """
        In the bank layout, C{/} may only be listed, C{/inbox} (and below)
        only uploaded to, and C{/outbox} listed and downloaded from.
        """
        (acme, _) = self.read(BANK_FILE)
        permissions = acme.permissions
        self.assertEqual(permissions.at(()), {"list"})
        self.assertEqual(permissions.at(("inbox",)), {"upload"})
        self.assertEqual(permissions.at(("inbox", "2026")), {"upload"})
        self.assertEqual(permissions.at(("outbox",)), {"list", "download"})
        self.assertEqual(permissions.at(("docs",)), {"list"})

    def test_defaults(self) -> None:
        """
        A user with a login and password alone has the defaults of the environment's users.
        """
        self.assertEqual(
            self.read({"users": [entry()]}),
            (User("acme", PASSWORD, None, "", Permissions.everywhere(ALL), (), None),),
        )

    def test_permissionsList(self) -> None:
        """
        A list of permissions applies to the whole home.
        """
        (user,) = self.read({"users": [entry(permissions=["list", "download"])]})
        self.assertEqual(user.permissions, Permissions.everywhere({"list", "download"}))

    def test_homeWholeBucket(self) -> None:
        """
        A home of C{/} is the whole bucket; a leading and a trailing C{/} are dropped.
        """
        users = self.read(
            {"users": [entry(home="/"), entry(login="b", home="/partners/b/")]},
        )
        self.assertEqual([user.home for user in users], ["", "partners/b/"])

    def test_networks(self) -> None:
        """
        The allowed networks, IPv4 and IPv6, in order.
        """
        (user,) = self.read({"users": [entry(allowed_cidrs=["2001:db8::/32", "192.0.2.7"])]})
        self.assertEqual(
            user.allowed_cidrs,
            (ipaddress.ip_network("2001:db8::/32"), ipaddress.ip_network("192.0.2.7/32")),
        )

    def test_order(self) -> None:
        """
        Users come in the file's order.
        """
        users = self.read({"users": [entry(login=name) for name in ("c", "a", "b")]})
        self.assertEqual([user.login for user in users], ["c", "a", "b"])

    def test_empty(self) -> None:
        """
        A file with no users is a file, not an error.
        """
        self.assertEqual(self.read({"users": []}), ())

    def test_byteOrderMark(self) -> None:
        """
        A UTF-8 byte order mark, which some Windows editors write, is ignored.
        """
        self.assertEqual(len(self.read("\ufeff" + json.dumps({"users": [entry()]}))), 1)


class BadDocumentTests(UsersFileTestCase):
    """Files refused before any user is looked at."""

    def test_unreadable(self) -> None:
        """
        A file that is not there is named, with the system's reason.
        """
        error = self.assertRaises(UsersFileError, read_users_file, self.path)
        self.assertEqual(error.line, f"{self.path}: cannot be read: No such file or directory")

    def test_syntaxError(self) -> None:
        """
        JSON that does not parse is refused with the line and column.
        """
        self.assertEqual(
            self.refused('{"users": [\n  {"login": "acme",}\n]}'),
            "PATH: is not valid JSON: Expecting property name enclosed in double quotes"
            " at line 2 column 20",
        )

    def test_syntaxErrorQuotesNoSecret(self) -> None:
        """
        A syntax error just after a password quotes none of it.
        """
        line = self.refused('{"users": [{"login": "acme", "password": "' + PASSWORD + '" ]}')
        self.assertIn("line 1 column", line)

    def test_notUtf8(self) -> None:
        """
        Bytes that are not UTF-8 are refused with where they are.
        """
        with open(self.path, "wb") as f:
            f.write(b'{"users": [{"login": "\xff"}]}')
        error = self.assertRaises(UsersFileError, read_users_file, self.path)
        self.assertEqual(error.line, f"{self.path}: is not UTF-8 text (at byte 22)")

    def test_notAnObject(self) -> None:
        """
        A list at the top, rather than an object with a list, is refused.
        """
        self.assertEqual(
            self.refused([entry()]),
            'PATH: must be a JSON object with a "users" list, got a list',
        )

    def test_unknownTopField(self) -> None:
        """
        A field beside C{users} is refused.
        """
        self.assertEqual(
            self.refused({"users": [], "user": []}),
            "PATH: unknown field 'user'; the only field is \"users\"",
        )

    def test_noUsers(self) -> None:
        """
        An object without C{users} is refused.
        """
        self.assertEqual(self.refused({}), 'PATH: must have a "users" list')

    def test_usersNotAList(self) -> None:
        """
        C{users} must be a list.
        """
        self.assertEqual(
            self.refused({"users": entry()}), "PATH: users: must be a list, got an object"
        )

    def test_duplicateKey(self) -> None:
        """
        A key given twice in one object is refused: JSON would keep the
        second silently.
        """
        self.assertEqual(
            self.refused('{"users": [{"login": "a", "password": "p", "home": "x", "home": "y"}]}'),
            "PATH: an object gives the key 'home' twice",
        )

    def test_isConfigError(self) -> None:
        """
        The error is a L{ConfigError} on C{FTP_USERS_FILE}, so that start-up
        reports it like any bad setting.
        """
        error = self.assertRaises(UsersFileError, self.read, {})
        self.assertIsInstance(error, ConfigError)
        self.assertEqual(error.variable, "FTP_USERS_FILE")
        self.assertEqual(str(error), f'FTP_USERS_FILE: {self.path}: must have a "users" list')


class BadEntryTests(UsersFileTestCase):
    """Entries refused, each naming the entry and the field."""

    def test_notAnObject(self) -> None:
        """
        An entry that is not an object is named by its index.
        """
        self.assertEqual(
            self.refused({"users": [entry(), "acme"]}),
            "PATH: users[1]: must be an object, got a string",
        )

    def test_unknownField(self) -> None:
        """
        A misspelt field is refused, listing the fields.
        """
        self.assertEqual(
            self.refusedUser(permission=["list"]),
            "PATH: users[0] (login 'acme'): unknown field 'permission'; the fields are login,"
            " password, password_hash, home, permissions, allowed_cidrs, max_sessions",
        )

    def test_loginMissing(self) -> None:
        """
        An entry without a login is named by its index alone.
        """
        self.assertEqual(self.refusedUser(login=None), "PATH: users[0]: login: is required")

    def test_loginBad(self) -> None:
        """
        A login must be a string, not empty, without control characters.
        """
        self.assertEqual(
            self.refusedUser(login=7), "PATH: users[0]: login: must be a string, got a number"
        )
        self.assertEqual(self.refusedUser(login=""), "PATH: users[0]: login: must not be empty")
        self.assertEqual(
            self.refusedUser(login="a\nb"),
            "PATH: users[0] (login 'a\\nb'): login: must not contain control characters,"
            " got 'a\\nb'",
        )

    def test_passwordAndHash(self) -> None:
        """
        Both a password and a hash are refused, naming both fields.
        """
        self.assertEqual(
            self.refusedUser(password_hash=ARGON2_HASH),
            "PATH: users[0] (login 'acme'): password and password_hash are both given; give one",
        )

    def test_neitherPasswordNorHash(self) -> None:
        """
        Neither a password nor a hash is refused.
        """
        self.assertEqual(
            self.refusedUser(password=None),
            "PATH: users[0] (login 'acme'): password_hash (or password) is required",
        )

    def test_hashUnknownFormat(self) -> None:
        """
        A hash in a format the server cannot verify is refused without quoting it.
        """
        line = self.refusedUser(password=None, password_hash="$1$salt$" + PASSWORD)
        self.assertTrue(
            line.startswith(
                "PATH: users[0] (login 'acme'): password_hash: not a password hash this"
                " server can verify; accepted formats: bcrypt"
            ),
            line,
        )
        self.assertNotIn("salt", line)

    def test_passwordBad(self) -> None:
        """
        A password that is not a string, or is empty, is refused without quoting it.
        """
        self.assertEqual(
            self.refusedUser(password=["secret"]),
            "PATH: users[0] (login 'acme'): password: must be a string, got a list",
        )
        self.assertEqual(
            self.refusedUser(password=""),
            "PATH: users[0] (login 'acme'): password: must not be empty",
        )

    def test_null(self) -> None:
        """
        C{null} is refused, even for an optional field: a generator's empty
        value must not become a default such as every permission.
        """
        document = {"users": [{**entry(), "permissions": None}]}
        self.assertEqual(
            self.refused(document),
            "PATH: users[0] (login 'acme'): permissions: must be a list of permissions, or an"
            " object of directories to lists, got null",
        )

    def test_homeBad(self) -> None:
        """
        A home with an empty or dot segment, or not a string, is refused.
        """
        self.assertEqual(
            self.refusedUser(home="partners//acme"),
            "PATH: users[0] (login 'acme'): home: must not have empty segments,"
            " got 'partners//acme'",
        )
        self.assertIn(
            "home: is not a key prefix the server can use", self.refusedUser(home="a/../b")
        )
        self.assertEqual(
            self.refusedUser(home=["partners"]),
            "PATH: users[0] (login 'acme'): home: must be a string, got a list",
        )

    def test_permissionUnknown(self) -> None:
        """
        A misspelt permission in a directory's list names the directory.
        """
        self.assertEqual(
            self.refusedUser(permissions={"/": ["list"], "/inbox": ["uplaod"]}),
            "PATH: users[0] (login 'acme'): permissions['/inbox']: unknown permission 'uplaod';"
            " the permissions are list, download, upload, overwrite, delete, rename, mkdir,"
            " rmdir, all",
        )

    def test_permissionUnknownInList(self) -> None:
        """
        A misspelt permission in a list for the whole home names the field.
        """
        self.assertIn(
            "(login 'acme'): permissions: unknown permission 'Lsit'",
            self.refusedUser(permissions=["Lsit"]),
        )

    def test_permissionsWithoutRoot(self) -> None:
        """
        A map of directories must say what C{/} grants.
        """
        self.assertEqual(
            self.refusedUser(permissions={"/inbox": ["upload"]}),
            "PATH: users[0] (login 'acme'): permissions: must say what '/', the home itself,"
            " grants",
        )

    def test_permissionsBadDirectory(self) -> None:
        """
        A directory that is not absolute, or climbs with C{..}, is refused and named.
        """
        self.assertEqual(
            self.refusedUser(permissions={"/": [], "inbox": ["upload"]}),
            "PATH: users[0] (login 'acme'): permissions['inbox']: is not a directory of the"
            " home: permission path 'inbox' must start with '/'",
        )
        self.assertIn(
            "permissions['/inbox/../x']: is not a directory",
            self.refusedUser(permissions={"/": [], "/inbox/../x": []}),
        )

    def test_permissionsDirectoryTwice(self) -> None:
        """
        One directory written two ways is refused.
        """
        self.assertIn(
            "permissions: permission path '/inbox/' is given twice",
            self.refusedUser(permissions={"/": [], "/inbox": ["upload"], "/inbox/": ["list"]}),
        )

    def test_permissionsNotLists(self) -> None:
        """
        A directory's permissions are a list, not a string of one name.
        """
        self.assertEqual(
            self.refusedUser(permissions={"/": "list"}),
            "PATH: users[0] (login 'acme'): permissions['/']: must be a list of permission names",
        )
        self.assertIn(
            "permissions: must be a list of permissions, or an object",
            self.refusedUser(permissions="all"),
        )

    def test_networkBad(self) -> None:
        """
        A network that does not parse, or has host bits set, is refused and quoted.
        """
        self.assertEqual(
            self.refusedUser(allowed_cidrs=["203.0.113.0/24", "10.0.0/33"]),
            "PATH: users[0] (login 'acme'): allowed_cidrs: '10.0.0/33' is not a network such"
            " as 203.0.113.0/24 or 2001:db8::/32",
        )
        self.assertIn(
            "allowed_cidrs: '10.1.2.3/8' has host bits set; the network is 10.0.0.0/8",
            self.refusedUser(allowed_cidrs=["10.1.2.3/8"]),
        )

    def test_networksNotAList(self) -> None:
        """
        The networks are a non-empty list of strings.
        """
        self.assertIn(
            "allowed_cidrs: must be a list, got a string",
            self.refusedUser(allowed_cidrs="10.0.0.0/8"),
        )
        self.assertIn(
            "allowed_cidrs: must name at least one network",
            self.refusedUser(allowed_cidrs=[]),
        )
        self.assertIn(
            "allowed_cidrs: must be a list of networks written as strings",
            self.refusedUser(allowed_cidrs=[10]),
        )

    def test_maxSessionsBad(self) -> None:
        """
        A session limit is an integer from 1, not a string, a fraction or a boolean.
        """
        self.assertEqual(
            self.refusedUser(max_sessions=0),
            "PATH: users[0] (login 'acme'): max_sessions: must be an integer from 1 to 1000000,"
            " got 0",
        )
        for value, kind in (("4", "a string"), (1.5, "a number"), (True, "true or false")):
            self.assertIn(
                f"max_sessions: must be an integer, got {kind}",
                self.refusedUser(max_sessions=value),
            )

    def test_duplicateLogin(self) -> None:
        """
        A login given twice is refused on the later entry, naming the earlier.
        """
        self.assertEqual(
            self.refused({"users": [entry(), entry(login="b"), entry()]}),
            "PATH: users[2] (login 'acme'): login: 'acme' is already the login of users[0]",
        )

    def test_firstErrorOnly(self) -> None:
        """
        Of several bad entries, the first is reported.
        """
        self.assertIn(
            "users[1] (login 'b'): home",
            self.refused(
                {"users": [entry(), entry(login="b", home="a//b"), entry(login="c", home=1)]}
            ),
        )
