# -*- test-case-name: tests.test_config -*-
"""
Tests for L{twisted_ftps3.config}: defaults, validation rules, secrecy, the
declarations everything is derived from, and the warning about unknown variables.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.config import (
    FAMILIES,
    SETTINGS,
    AccessSettings,
    CidrDomain,
    ConfigError,
    Family,
    Field,
    FTPSettings,
    LimitSettings,
    S3Settings,
    Settings,
    TLSSettings,
    User,
    load_settings,
    parsers,
    unknown_variables,
)
from twisted_ftps3.config.load import sections, user_places
from twisted_ftps3.permissions import ALL, Permissions
from twisted_ftps3.s3.limits import MAX_PART_SIZE, MIN_PART_SIZE

from .support.environment import (
    ACCESS_KEY_ID,
    MINIMAL,
    PASSWORD,
    SECRET_KEY,
    SESSION_TOKEN,
    SOURCE_ROOT,
    USER,
    environment,
)
from .support.users import ARGON2_HASH, BCRYPT_HASH


def load(**overrides: str | None) -> Settings:
    """
    Load settings from L{MINIMAL} with C{overrides} applied (C{None} removes).
    """
    return load_settings(environment(MINIMAL, **overrides))


class ConfigTestCase(SynchronousTestCase):
    """
    Shared assertions.
    """

    def assertRejected(self, variable: str, **overrides: str | None) -> ConfigError:
        """
        Loading L{MINIMAL} with C{overrides} fails on C{variable}.
        """
        error = self.assertRaises(ConfigError, load, **overrides)
        self.assertEqual(error.variable, variable, str(error))
        return error


class MinimalTests(ConfigTestCase):
    """
    The smallest valid environment loads, filling in every default.
    """

    def test_minimalLoads(self) -> None:
        """
        The minimal environment loads into the expected L{Settings}, every
        unset variable taking its default.
        """
        self.assertEqual(
            load(),
            Settings(
                s3=S3Settings(
                    auth_mechanism="secret_access_key",
                    access_key_id=ACCESS_KEY_ID,
                    secret_access_key=SECRET_KEY,
                    session_token=None,
                    region="eu-west-2",
                    host="s3.eu-west-2.amazonaws.com",
                    bucket="my-bucket",
                    dir_suffix="/",
                    endpoint_url=None,
                    abandoned_upload_seconds=86400,
                    sweep_interval_seconds=3600,
                    retry_seconds=30,
                ),
                tls=TLSSettings(
                    certificate_file="/home/ftp/ssl.crt",
                    key_file="/home/ftp/ssl.key",
                    require_session_reuse=False,
                ),
                ftp=FTPSettings(
                    bind_address=None,
                    command_port=8021,
                    explicit_command_port=None,
                    data_ports_first=4001,
                    data_ports_count=30,
                    cidr_to_domains=(),
                    healthcheck_port=8022,
                ),
                users=(User(USER, PASSWORD),),
                limits=LimitSettings(upload_part_size=8388608, upload_parts_in_flight=3),
                access=AccessSettings(users_file=None),
            ),
        )

    def test_unrelatedVariablesIgnored(self) -> None:
        """
        Variables the server does not know, such as C{PATH}, make no difference.
        """
        self.assertEqual(load(PATH="/usr/bin", FTP_USERSX="x"), load())

    def test_emptyOptionalIsDefault(self) -> None:
        """
        An optional variable set to the empty string takes its default.
        """
        self.assertEqual(load(FTP_COMMAND_PORT="", AWS_S3_BUCKET_DIR_SUFFIX=""), load())


class DefaultTests(ConfigTestCase):
    """
    Each optional variable's default.
    """

    def test_authMechanismDefault(self) -> None:
        """
        C{AWS_AUTH_MECHANISM} defaults to C{secret_access_key}.
        """
        self.assertEqual(load().s3.auth_mechanism, "secret_access_key")

    def test_sessionTokenDefault(self) -> None:
        """
        C{AWS_SESSION_TOKEN} defaults to C{None}.
        """
        self.assertIsNone(load().s3.session_token)

    def test_dirSuffixDefault(self) -> None:
        """
        C{AWS_S3_BUCKET_DIR_SUFFIX} defaults to C{"/"}.
        """
        self.assertEqual(load().s3.dir_suffix, "/")

    def test_endpointUrlDefault(self) -> None:
        """
        C{AWS_ENDPOINT_URL_S3} defaults to C{None}.
        """
        self.assertIsNone(load().s3.endpoint_url)

    def test_bindAddressDefault(self) -> None:
        """
        C{FTP_BIND_ADDRESS} is unset by default: every address of both families.
        """
        self.assertIsNone(load().ftp.bind_address)

    def test_commandPortDefault(self) -> None:
        """
        C{FTP_COMMAND_PORT} defaults to 8021.
        """
        self.assertEqual(load().ftp.command_port, 8021)

    def test_dataPortsFirstDefault(self) -> None:
        """
        C{FTP_DATA_PORTS_FIRST} defaults to 4001.
        """
        self.assertEqual(load().ftp.data_ports_first, 4001)

    def test_dataPortsCountDefault(self) -> None:
        """
        C{FTP_DATA_PORTS_COUNT} defaults to 30.
        """
        self.assertEqual(load().ftp.data_ports_count, 30)

    def test_dataPorts(self) -> None:
        """
        L{FTPSettings.data_ports} is the range of C{count} ports from C{first}.
        """
        self.assertEqual(load().ftp.data_ports, range(4001, 4031))

    def test_cidrToDomainsDefault(self) -> None:
        """
        Without C{FTP_DATA_CIDR_TO_DOMAINS__*} variables there are no mappings.
        """
        self.assertEqual(load().ftp.cidr_to_domains, ())

    def test_healthcheckPortDefault(self) -> None:
        """
        C{HEALTHCHECK_PORT} defaults to 8022.
        """
        self.assertEqual(load().ftp.healthcheck_port, 8022)

    def test_tlsCertificateFileDefault(self) -> None:
        """
        C{FTP_TLS_CERTIFICATE_FILE} defaults to C{ssl.crt} in C{HOME}.
        """
        self.assertEqual(load().tls.certificate_file, os.path.join("/home/ftp", "ssl.crt"))

    def test_tlsKeyFileDefault(self) -> None:
        """
        C{FTP_TLS_KEY_FILE} defaults to C{ssl.key} in C{HOME}.
        """
        self.assertEqual(load().tls.key_file, os.path.join("/home/ftp", "ssl.key"))

    def test_tlsDefaultsWithoutHome(self) -> None:
        """
        Without C{HOME} in the given environment, the TLS defaults fall back
        to the user's home directory.
        """
        settings = load(HOME=None)
        home = os.path.expanduser("~")
        self.assertEqual(
            (settings.tls.certificate_file, settings.tls.key_file),
            (os.path.join(home, "ssl.crt"), os.path.join(home, "ssl.key")),
        )

    def test_tlsFilesGiven(self) -> None:
        """
        C{FTP_TLS_CERTIFICATE_FILE} and C{FTP_TLS_KEY_FILE} are used as given.
        """
        settings = load(FTP_TLS_CERTIFICATE_FILE="/etc/c.pem", FTP_TLS_KEY_FILE="/etc/k.pem")
        self.assertEqual(
            (settings.tls.certificate_file, settings.tls.key_file), ("/etc/c.pem", "/etc/k.pem")
        )

    def test_uploadPartSizeDefault(self) -> None:
        """
        C{AWS_S3_UPLOAD_PART_SIZE} defaults to 8 MiB.
        """
        self.assertEqual(load().limits.upload_part_size, 8 * 1024 * 1024)

    def test_uploadPartsInFlightDefault(self) -> None:
        """
        C{AWS_S3_UPLOAD_PARTS_IN_FLIGHT} defaults to 3.
        """
        self.assertEqual(load().limits.upload_parts_in_flight, 3)


class AuthTests(ConfigTestCase):
    """
    C{AWS_AUTH_MECHANISM} and the credentials it requires.
    """

    def test_unknownMechanism(self) -> None:
        """
        An unknown mechanism is rejected with both allowed values listed.
        """
        error = self.assertRejected("AWS_AUTH_MECHANISM", AWS_AUTH_MECHANISM="iam")
        self.assertIn("secret_access_key", error.problem)
        self.assertIn("ecs_role", error.problem)

    def test_accessKeyIdRequired(self) -> None:
        """
        With C{secret_access_key}, C{AWS_ACCESS_KEY_ID} is required.
        """
        self.assertRejected("AWS_ACCESS_KEY_ID", AWS_ACCESS_KEY_ID=None)

    def test_accessKeyIdEmpty(self) -> None:
        """
        An empty C{AWS_ACCESS_KEY_ID} counts as missing.
        """
        self.assertRejected("AWS_ACCESS_KEY_ID", AWS_ACCESS_KEY_ID="")

    def test_secretAccessKeyRequired(self) -> None:
        """
        With C{secret_access_key}, C{AWS_SECRET_ACCESS_KEY} is required.
        """
        self.assertRejected("AWS_SECRET_ACCESS_KEY", AWS_SECRET_ACCESS_KEY=None)

    def test_sessionTokenKept(self) -> None:
        """
        C{AWS_SESSION_TOKEN} is used when given with static keys.
        """
        self.assertEqual(load(AWS_SESSION_TOKEN=SESSION_TOKEN).s3.session_token, SESSION_TOKEN)

    def test_ecsRoleNeedsNoKeys(self) -> None:
        """
        With C{ecs_role}, the static keys are not required.
        """
        settings = load(
            AWS_AUTH_MECHANISM="ecs_role", AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None
        )
        self.assertEqual(settings.s3.auth_mechanism, "ecs_role")

    def test_ecsRoleIgnoresKeys(self) -> None:
        """
        With C{ecs_role}, any static keys and session token are ignored.
        """
        settings = load(AWS_AUTH_MECHANISM="ecs_role", AWS_SESSION_TOKEN=SESSION_TOKEN)
        self.assertEqual(
            (
                settings.s3.access_key_id,
                settings.s3.secret_access_key,
                settings.s3.session_token,
            ),
            (None, None, None),
        )


class BucketTests(ConfigTestCase):
    """
    The bucket's region, host, name and directory suffix.
    """

    def test_regionRequired(self) -> None:
        """
        C{AWS_S3_BUCKET_REGION} is required.
        """
        self.assertRejected("AWS_S3_BUCKET_REGION", AWS_S3_BUCKET_REGION=None)

    def test_regionEmpty(self) -> None:
        """
        An empty C{AWS_S3_BUCKET_REGION} counts as missing.
        """
        self.assertRejected("AWS_S3_BUCKET_REGION", AWS_S3_BUCKET_REGION="")

    def test_hostRequired(self) -> None:
        """
        Without C{AWS_ENDPOINT_URL_S3}, C{AWS_S3_BUCKET_HOST} is required.
        """
        self.assertRejected("AWS_S3_BUCKET_HOST", AWS_S3_BUCKET_HOST=None)

    def test_hostWithPort(self) -> None:
        """
        C{AWS_S3_BUCKET_HOST} may carry a port.
        """
        self.assertEqual(load(AWS_S3_BUCKET_HOST="minio:9000").s3.host, "minio:9000")

    def test_hostIPv6(self) -> None:
        """
        A bracketed IPv6 address, with or without a port, is a valid host.
        """
        self.assertEqual(load(AWS_S3_BUCKET_HOST="[::1]:9000").s3.host, "[::1]:9000")

    def test_hostWithScheme(self) -> None:
        """
        A scheme in C{AWS_S3_BUCKET_HOST} is rejected.
        """
        self.assertRejected("AWS_S3_BUCKET_HOST", AWS_S3_BUCKET_HOST="https://s3.example.com")

    def test_hostWithPath(self) -> None:
        """
        A path in C{AWS_S3_BUCKET_HOST} is rejected.
        """
        self.assertRejected("AWS_S3_BUCKET_HOST", AWS_S3_BUCKET_HOST="s3.example.com/bucket")

    def test_hostBadPort(self) -> None:
        """
        A port outside 1..65535, or not a number, is rejected.
        """
        for host in ("s3.example.com:0", "s3.example.com:65536", "s3.example.com:x", "s3:"):
            self.assertRejected("AWS_S3_BUCKET_HOST", AWS_S3_BUCKET_HOST=host)

    def test_nameRequired(self) -> None:
        """
        C{AWS_S3_BUCKET_NAME} is required.
        """
        self.assertRejected("AWS_S3_BUCKET_NAME", AWS_S3_BUCKET_NAME=None)

    def test_nameValid(self) -> None:
        """
        Names of 3 and 63 characters of lower-case letters, digits, dots and
        hyphens are accepted.
        """
        for name in ("abc", "a.b-c.0", "a" * 63):
            self.assertEqual(load(AWS_S3_BUCKET_NAME=name).s3.bucket, name)

    def test_nameInvalid(self) -> None:
        """
        Names too short, too long, with upper case or other characters, or
        starting or ending with punctuation, are rejected.
        """
        for name in ("ab", "a" * 64, "My-Bucket", "my_bucket", ".bucket", "bucket-"):
            self.assertRejected("AWS_S3_BUCKET_NAME", AWS_S3_BUCKET_NAME=name)

    def test_dirSuffixGiven(self) -> None:
        """
        A C{AWS_S3_BUCKET_DIR_SUFFIX} starting with C{/} is used as given.
        """
        self.assertEqual(load(AWS_S3_BUCKET_DIR_SUFFIX="/.dir").s3.dir_suffix, "/.dir")

    def test_dirSuffixMustStartWithSlash(self) -> None:
        """
        A C{AWS_S3_BUCKET_DIR_SUFFIX} not starting with C{/} is rejected.
        """
        self.assertRejected("AWS_S3_BUCKET_DIR_SUFFIX", AWS_S3_BUCKET_DIR_SUFFIX=".dir")


class EndpointTests(ConfigTestCase):
    """
    C{AWS_ENDPOINT_URL_S3} and L{S3Settings.endpoint}.
    """

    def test_endpointFromHost(self) -> None:
        """
        Without an endpoint URL, S3 is reached over HTTPS at the bucket host.
        """
        self.assertEqual(load().s3.endpoint, ("https", "s3.eu-west-2.amazonaws.com"))

    def test_endpointFromUrl(self) -> None:
        """
        An endpoint URL gives the scheme and C{host:port} to use, over the bucket host.
        """
        settings = load(AWS_ENDPOINT_URL_S3="http://localhost:9000")
        self.assertEqual(settings.s3.endpoint, ("http", "localhost:9000"))

    def test_trailingSlashStripped(self) -> None:
        """
        A trailing C{/} is removed from the stored endpoint URL.
        """
        settings = load(AWS_ENDPOINT_URL_S3="https://s3.example.com/")
        self.assertEqual(settings.s3.endpoint_url, "https://s3.example.com")

    def test_hostNotRequiredWithUrl(self) -> None:
        """
        With an endpoint URL, C{AWS_S3_BUCKET_HOST} may be omitted.
        """
        settings = load(AWS_ENDPOINT_URL_S3="http://moto:5000", AWS_S3_BUCKET_HOST=None)
        self.assertEqual((settings.s3.host, settings.s3.endpoint), (None, ("http", "moto:5000")))

    def test_urlScheme(self) -> None:
        """
        Only http and https URLs are accepted.
        """
        for url in ("ftp://s3.example.com", "s3.example.com", "//s3.example.com"):
            self.assertRejected("AWS_ENDPOINT_URL_S3", AWS_ENDPOINT_URL_S3=url)

    def test_urlHostRequired(self) -> None:
        """
        A URL without a host is rejected.
        """
        self.assertRejected("AWS_ENDPOINT_URL_S3", AWS_ENDPOINT_URL_S3="https://")

    def test_urlPath(self) -> None:
        """
        A URL with a path beyond C{/} is rejected.
        """
        self.assertRejected("AWS_ENDPOINT_URL_S3", AWS_ENDPOINT_URL_S3="https://s3.example.com/b")

    def test_urlQuery(self) -> None:
        """
        A URL with a query string is rejected.
        """
        self.assertRejected("AWS_ENDPOINT_URL_S3", AWS_ENDPOINT_URL_S3="https://s3.example.com?a=b")

    def test_urlBadPort(self) -> None:
        """
        A URL with a port outside 1..65535 is rejected.
        """
        self.assertRejected("AWS_ENDPOINT_URL_S3", AWS_ENDPOINT_URL_S3="http://localhost:99999")

    def test_urlCredentialsNotEchoed(self) -> None:
        """
        A URL carrying credentials is rejected without quoting them, even
        when something else is wrong with it too (no scheme, whitespace).
        """
        for url in (
            f"https://me:{PASSWORD}@s3.example.com",
            f"me:{PASSWORD}@s3.example.com",
            f"//me:{PASSWORD}@s3.example.com/path",
            f"ftp://me:{PASSWORD} @s3.example.com",
        ):
            error = self.assertRejected("AWS_ENDPOINT_URL_S3", AWS_ENDPOINT_URL_S3=url)
            self.assertEqual(error.problem, "must not contain a user name or password")
            self.assertNotIn(PASSWORD, str(error))


class UserTests(ConfigTestCase):
    """
    The C{FTP_USERS__<i>__LOGIN} / C{__PASSWORD} variables.
    """

    def test_orderedByIntegerIndex(self) -> None:
        """
        Users are ordered by the integer value of their index, so 10 comes after 2.
        """
        settings = load(
            FTP_USERS__10__LOGIN="carol",
            FTP_USERS__10__PASSWORD="p10",
            FTP_USERS__2__LOGIN="bob",
            FTP_USERS__2__PASSWORD="p2",
            FTP_USERS__0__LOGIN="zed",
            FTP_USERS__0__PASSWORD="p0",
        )
        self.assertEqual([user.login for user in settings.users], ["zed", "alice", "bob", "carol"])

    def test_passwordsKept(self) -> None:
        """
        Each user's password is read from its own index.
        """
        settings = load(FTP_USERS__2__LOGIN="bob", FTP_USERS__2__PASSWORD="p2")
        self.assertEqual(settings.users, (User(USER, PASSWORD), User("bob", "p2")))

    def test_noUsers(self) -> None:
        """
        With no users at all, the error is on C{FTP_USERS__1__LOGIN} and says
        that one is needed.
        """
        error = self.assertRejected(
            "FTP_USERS__1__LOGIN", FTP_USERS__1__LOGIN=None, FTP_USERS__1__PASSWORD=None
        )
        self.assertIn("at least one", error.problem)

    def test_indexNotInteger(self) -> None:
        """
        A non-numeric index is rejected, naming the variable.
        """
        self.assertRejected("FTP_USERS__bob__LOGIN", FTP_USERS__bob__LOGIN="bob")

    def test_indexNegative(self) -> None:
        """
        A negative index is rejected.
        """
        self.assertRejected("FTP_USERS__-1__LOGIN", **{"FTP_USERS__-1__LOGIN": "bob"})

    def test_indexSpeltTwoWays(self) -> None:
        """
        The same integer index written two ways (C{01} and C{1}) is rejected.
        """
        self.assertRejected("FTP_USERS__1__LOGIN", FTP_USERS__01__LOGIN="bob")

    def test_noField(self) -> None:
        """
        A variable with an index but no field name is rejected.
        """
        self.assertRejected("FTP_USERS__2", FTP_USERS__2="bob")

    def test_unknownField(self) -> None:
        """
        An unknown field name is rejected.
        """
        self.assertRejected("FTP_USERS__1__PASS", FTP_USERS__1__PASS="x")

    def test_passwordMissing(self) -> None:
        """
        A login without a password is rejected on the missing password variable.
        """
        self.assertRejected("FTP_USERS__2__PASSWORD", FTP_USERS__2__LOGIN="bob")

    def test_loginMissing(self) -> None:
        """
        A password without a login is rejected on the missing login variable.
        """
        self.assertRejected("FTP_USERS__2__LOGIN", FTP_USERS__2__PASSWORD="p2")

    def test_loginEmpty(self) -> None:
        """
        An empty login is rejected.
        """
        self.assertRejected("FTP_USERS__1__LOGIN", FTP_USERS__1__LOGIN="")

    def test_passwordEmpty(self) -> None:
        """
        An empty password is rejected.
        """
        self.assertRejected("FTP_USERS__1__PASSWORD", FTP_USERS__1__PASSWORD="")

    def test_duplicateLogin(self) -> None:
        """
        A login used twice is rejected on the later user's login variable.
        """
        error = self.assertRejected(
            "FTP_USERS__10__LOGIN", FTP_USERS__10__LOGIN="alice", FTP_USERS__10__PASSWORD="p"
        )
        self.assertIn("FTP_USERS__1__LOGIN", error.problem)


class UserFieldTests(ConfigTestCase):
    """
    The optional fields of a user: C{PASSWORD_HASH}, C{HOME}, C{PERMISSIONS},
    C{ALLOWED_CIDRS} and C{MAX_SESSIONS}.
    """

    def user(self, **fields: str | None) -> User:
        """The second user, with login C{bob} and C{fields}, given as C{FTP_USERS__2__<FIELD>}."""
        overrides = {f"FTP_USERS__2__{name}": value for name, value in fields.items()}
        settings = load(FTP_USERS__2__LOGIN="bob", **overrides)
        return settings.users[1]

    def refused(self, field: str, **fields: str | None) -> ConfigError:
        """The second user with C{fields} is refused on its C{field}."""
        overrides = {f"FTP_USERS__2__{name}": value for name, value in fields.items()}
        return self.assertRejected(f"FTP_USERS__2__{field}", FTP_USERS__2__LOGIN="bob", **overrides)

    def test_defaults(self) -> None:
        """
        A user with a login and password alone has the whole bucket, every
        permission, any address and no session limit of its own.
        """
        self.assertEqual(
            self.user(PASSWORD="p"),
            User("bob", "p", None, "", Permissions.everywhere(ALL), (), None),
        )

    def test_passwordHash(self) -> None:
        """
        A bcrypt or argon2id hash stands instead of the password.
        """
        for hashed in (ARGON2_HASH, BCRYPT_HASH):
            user = self.user(PASSWORD_HASH=hashed)
            self.assertEqual((user.password, user.password_hash), (None, hashed))

    def test_passwordHashUnknownFormat(self) -> None:
        """
        A hash in a format the server cannot verify is refused on its
        variable, without quoting it.
        """
        secret = "$1$md5-crypt$secret-digest"
        error = self.refused("PASSWORD_HASH", PASSWORD_HASH=secret)
        self.assertNotIn(secret, str(error))
        self.assertNotIn("md5-crypt", repr(error))

    def test_passwordAndHash(self) -> None:
        """
        A password and a hash for one user are refused, naming both
        variables and quoting neither.
        """
        error = self.refused("PASSWORD_HASH", PASSWORD=PASSWORD, PASSWORD_HASH=BCRYPT_HASH)
        self.assertEqual(
            str(error),
            "FTP_USERS__2__PASSWORD_HASH: and FTP_USERS__2__PASSWORD are both set; set one of them",
        )

    def test_neitherPasswordNorHash(self) -> None:
        """
        A login with neither a password nor a hash is refused on the password,
        naming the hash as the other way.
        """
        error = self.refused("PASSWORD", HOME="partners/bob")
        self.assertEqual(
            error.problem,
            "or FTP_USERS__2__PASSWORD_HASH is required because FTP_USERS__2__LOGIN is set",
        )

    def test_home(self) -> None:
        """
        A home is a key prefix ending in one C{/}, written with or without
        it, and with or without a leading C{/}.
        """
        for text in ("partners/acme", "partners/acme/", "/partners/acme", "/partners/acme/"):
            self.assertEqual(self.user(PASSWORD="p", HOME=text).home, "partners/acme/", text)

    def test_homeWholeBucket(self) -> None:
        """
        C{/} alone is the whole bucket, as an unset home is.
        """
        self.assertEqual(self.user(PASSWORD="p", HOME="/").home, "")

    def test_homeKeepsOtherCharacters(self) -> None:
        """
        Spaces, dots inside a name and backslashes between other characters
        are ordinary characters of a key.
        """
        self.assertEqual(
            self.user(PASSWORD="p", HOME="a b/c.d/e\\f").home,
            "a b/c.d/e\\f/",
        )

    def test_homeRefused(self) -> None:
        """
        A home with an empty segment, a C{.} or C{..} segment (also between
        backslashes) or a control character is refused on its variable,
        quoting it.
        """
        for text in ("a//b", "//a", "a/./b", "..", "a/../b", "a/x\\..\\y", "a\nb", "a\x00"):
            error = self.refused("HOME", PASSWORD="p", HOME=text)
            self.assertIn(repr(text), error.problem)

    def test_homeTooLong(self) -> None:
        """
        A home that leaves no room for a key under S3's limit is refused.
        """
        error = self.refused("HOME", PASSWORD="p", HOME="a" * 1024)
        self.assertIn("1024-byte key limit", error.problem)

    def test_permissions(self) -> None:
        """
        A comma list of permission names, in any case and with spaces, grants
        them in every directory of the home.
        """
        user = self.user(PASSWORD="p", PERMISSIONS="list, Download,upload")
        self.assertEqual(
            user.permissions, Permissions.everywhere(frozenset({"list", "download", "upload"}))
        )

    def test_permissionsAll(self) -> None:
        """
        C{all} grants every permission.
        """
        self.assertEqual(self.user(PASSWORD="p", PERMISSIONS="all").permissions.at(()), ALL)

    def test_permissionsUnknown(self) -> None:
        """
        A misspelt permission is refused, naming it, so that a typo never
        silently drops one.
        """
        error = self.refused("PERMISSIONS", PASSWORD="p", PERMISSIONS="list,uplaod")
        self.assertIn("unknown permission 'uplaod'", error.problem)

    def test_permissionsEmptyItem(self) -> None:
        """
        An empty item of the comma list is refused.
        """
        error = self.refused("PERMISSIONS", PASSWORD="p", PERMISSIONS="list,,upload")
        self.assertIn("empty item", error.problem)

    def test_allowedCidrs(self) -> None:
        """
        A comma list of IPv4 and IPv6 networks, a bare address being its own network.
        """
        user = self.user(PASSWORD="p", ALLOWED_CIDRS="203.0.113.0/24, 2001:db8::/32,192.0.2.7")
        self.assertEqual(
            user.allowed_cidrs,
            tuple(
                ipaddress.ip_network(text)
                for text in ("203.0.113.0/24", "2001:db8::/32", "192.0.2.7/32")
            ),
        )

    def test_allowedCidrsHostBits(self) -> None:
        """
        A network with host bits set is refused rather than masked, naming the network meant.
        """
        error = self.refused("ALLOWED_CIDRS", PASSWORD="p", ALLOWED_CIDRS="203.0.113.7/24")
        self.assertEqual(
            error.problem, "'203.0.113.7/24' has host bits set; the network is 203.0.113.0/24"
        )

    def test_allowedCidrsRefused(self) -> None:
        """
        Something that is no network, or an empty item, is refused.
        """
        for text in ("10.0.0/33", "example.com", "10.0.0.0/8,"):
            self.refused("ALLOWED_CIDRS", PASSWORD="p", ALLOWED_CIDRS=text)

    def test_maxSessions(self) -> None:
        """
        A session limit is a whole number from 1.
        """
        self.assertEqual(self.user(PASSWORD="p", MAX_SESSIONS="4").max_sessions, 4)

    def test_maxSessionsRefused(self) -> None:
        """
        Zero, a negative number, a fraction or a word is refused.
        """
        for text in ("0", "-1", "1.5", "many", "1000001"):
            error = self.refused("MAX_SESSIONS", PASSWORD="p", MAX_SESSIONS=text)
            self.assertIn("from 1 to 1000000", error.problem)

    def test_optionalFieldEmpty(self) -> None:
        """
        An optional field set but empty is refused, as for every family.
        """
        for field in ("PASSWORD_HASH", "HOME", "PERMISSIONS", "ALLOWED_CIDRS", "MAX_SESSIONS"):
            error = self.refused(field, PASSWORD="p", **{field: ""})
            self.assertEqual(error.problem, "must not be empty")

    def test_loginControlCharacter(self) -> None:
        """
        A login with a control character, which no FTP client can send, is refused.
        """
        error = self.assertRejected("FTP_USERS__1__LOGIN", FTP_USERS__1__LOGIN="al\tice")
        self.assertIn("control characters", error.problem)

    def test_usersFileInsteadOfUsers(self) -> None:
        """
        With C{FTP_USERS_FILE} set, the environment needs no user.
        """
        settings = load(
            FTP_USERS__1__LOGIN=None,
            FTP_USERS__1__PASSWORD=None,
            FTP_USERS_FILE="/etc/ftps3/users.json",
        )
        self.assertEqual(
            (settings.users, settings.access.users_file), ((), "/etc/ftps3/users.json")
        )

    def test_usersFileBeside(self) -> None:
        """
        The environment's users are kept beside the file.
        """
        settings = load(FTP_USERS_FILE="users.json")
        self.assertEqual([user.login for user in settings.users], [USER])

    def test_userPlaces(self) -> None:
        """
        L{user_places} names the variable of each login, as spelt.
        """
        environ = environment(MINIMAL, FTP_USERS__07__LOGIN="bob", FTP_USERS__07__PASSWORD="p")
        self.assertEqual(
            user_places(environ), {USER: "FTP_USERS__1__LOGIN", "bob": "FTP_USERS__07__LOGIN"}
        )


class CidrTests(ConfigTestCase):
    """
    The C{FTP_DATA_CIDR_TO_DOMAINS__<i>__CIDR} / C{__DOMAIN} variables.
    """

    def test_parsed(self) -> None:
        """
        A CIDR and domain pair becomes a L{CidrDomain}.
        """
        settings = load(
            FTP_DATA_CIDR_TO_DOMAINS__1__CIDR="10.0.0.0/8",
            FTP_DATA_CIDR_TO_DOMAINS__1__DOMAIN="ftp.internal",
        )
        self.assertEqual(
            settings.ftp.cidr_to_domains,
            (CidrDomain(ipaddress.ip_network("10.0.0.0/8"), "ftp.internal"),),
        )

    def test_notStrict(self) -> None:
        """
        Host bits in the CIDR are allowed and masked off.
        """
        settings = load(
            FTP_DATA_CIDR_TO_DOMAINS__1__CIDR="10.1.2.3/16",
            FTP_DATA_CIDR_TO_DOMAINS__1__DOMAIN="ftp.internal",
        )
        self.assertEqual(
            settings.ftp.cidr_to_domains[0].network, ipaddress.ip_network("10.1.0.0/16")
        )

    def test_ipv6(self) -> None:
        """
        IPv6 ranges are accepted.
        """
        settings = load(
            FTP_DATA_CIDR_TO_DOMAINS__1__CIDR="fd00::/8",
            FTP_DATA_CIDR_TO_DOMAINS__1__DOMAIN="ftp.internal",
        )
        self.assertEqual(settings.ftp.cidr_to_domains[0].network, ipaddress.ip_network("fd00::/8"))

    def test_orderedByIntegerIndex(self) -> None:
        """
        Mappings are ordered by the integer value of their index, so 10 comes after 2.
        """
        settings = load(
            FTP_DATA_CIDR_TO_DOMAINS__10__CIDR="0.0.0.0/0",
            FTP_DATA_CIDR_TO_DOMAINS__10__DOMAIN="ftp.example.com",
            FTP_DATA_CIDR_TO_DOMAINS__2__CIDR="10.0.0.0/8",
            FTP_DATA_CIDR_TO_DOMAINS__2__DOMAIN="ftp.internal",
        )
        self.assertEqual(
            [mapping.domain for mapping in settings.ftp.cidr_to_domains],
            ["ftp.internal", "ftp.example.com"],
        )

    def test_invalidCidr(self) -> None:
        """
        An unparseable CIDR is rejected, quoting it.
        """
        error = self.assertRejected(
            "FTP_DATA_CIDR_TO_DOMAINS__1__CIDR",
            FTP_DATA_CIDR_TO_DOMAINS__1__CIDR="10.0.0/33",
            FTP_DATA_CIDR_TO_DOMAINS__1__DOMAIN="ftp.internal",
        )
        self.assertEqual(error.problem, "'10.0.0/33' is not a valid CIDR range")

    def test_domainMissing(self) -> None:
        """
        A CIDR without a domain is rejected on the missing domain variable.
        """
        self.assertRejected(
            "FTP_DATA_CIDR_TO_DOMAINS__1__DOMAIN", FTP_DATA_CIDR_TO_DOMAINS__1__CIDR="10.0.0.0/8"
        )

    def test_cidrMissing(self) -> None:
        """
        A domain without a CIDR is rejected on the missing CIDR variable.
        """
        self.assertRejected(
            "FTP_DATA_CIDR_TO_DOMAINS__1__CIDR", FTP_DATA_CIDR_TO_DOMAINS__1__DOMAIN="ftp.internal"
        )

    def test_domainEmpty(self) -> None:
        """
        An empty domain is rejected.
        """
        self.assertRejected(
            "FTP_DATA_CIDR_TO_DOMAINS__1__DOMAIN",
            FTP_DATA_CIDR_TO_DOMAINS__1__CIDR="10.0.0.0/8",
            FTP_DATA_CIDR_TO_DOMAINS__1__DOMAIN="",
        )

    def test_indexNotInteger(self) -> None:
        """
        A non-numeric index is rejected, naming the variable.
        """
        self.assertRejected(
            "FTP_DATA_CIDR_TO_DOMAINS__x__CIDR", FTP_DATA_CIDR_TO_DOMAINS__x__CIDR="10.0.0.0/8"
        )

    def test_unknownField(self) -> None:
        """
        An unknown field name is rejected.
        """
        self.assertRejected(
            "FTP_DATA_CIDR_TO_DOMAINS__1__HOST", FTP_DATA_CIDR_TO_DOMAINS__1__HOST="ftp.internal"
        )


class NetworkTests(ConfigTestCase):
    """
    The bind address and the ports.
    """

    def test_bindAddressGiven(self) -> None:
        """
        IPv4 and IPv6 bind addresses are accepted.
        """
        for address in ("127.0.0.1", "::"):
            self.assertEqual(load(FTP_BIND_ADDRESS=address).ftp.bind_address, address)

    def test_bindAddressInvalid(self) -> None:
        """
        A bind address that is not an IP address is rejected.
        """
        self.assertRejected("FTP_BIND_ADDRESS", FTP_BIND_ADDRESS="localhost")

    def test_portsGiven(self) -> None:
        """
        Port settings are read as integers.
        """
        settings = load(FTP_COMMAND_PORT="21", HEALTHCHECK_PORT="80", FTP_DATA_PORTS_FIRST="100")
        self.assertEqual(
            (settings.ftp.command_port, settings.ftp.healthcheck_port, settings.ftp.data_ports),
            (21, 80, range(100, 130)),
        )

    def test_portNotInteger(self) -> None:
        """
        A port that is not an integer is rejected, quoting the value.
        """
        for name in ("FTP_COMMAND_PORT", "FTP_DATA_PORTS_FIRST", "HEALTHCHECK_PORT"):
            error = self.assertRejected(name, **{name: "abc"})
            self.assertEqual(error.problem, "must be an integer from 1 to 65535, got 'abc'")

    def test_portOutOfRange(self) -> None:
        """
        Ports below 1 or above 65535 are rejected.
        """
        for name in ("FTP_COMMAND_PORT", "FTP_DATA_PORTS_FIRST", "HEALTHCHECK_PORT"):
            for value in ("0", "65536", "-1"):
                self.assertRejected(name, **{name: value})

    def test_dataCountZero(self) -> None:
        """
        C{FTP_DATA_PORTS_COUNT} must be at least 1.
        """
        self.assertRejected("FTP_DATA_PORTS_COUNT", FTP_DATA_PORTS_COUNT="0")

    def test_dataRangePastEnd(self) -> None:
        """
        A data-port range running past 65535 is rejected.
        """
        self.assertRejected(
            "FTP_DATA_PORTS_COUNT", FTP_DATA_PORTS_FIRST="65530", FTP_DATA_PORTS_COUNT="7"
        )

    def test_dataRangeToEnd(self) -> None:
        """
        A data-port range ending exactly at 65535 is accepted.
        """
        settings = load(FTP_DATA_PORTS_FIRST="65530", FTP_DATA_PORTS_COUNT="6")
        self.assertEqual(settings.ftp.data_ports, range(65530, 65536))

    def test_dataRangeOverlapsCommandPort(self) -> None:
        """
        A data-port range containing the command port is rejected on
        C{FTP_DATA_PORTS_FIRST}, naming the command port.
        """
        error = self.assertRejected("FTP_DATA_PORTS_FIRST", FTP_COMMAND_PORT="4010")
        self.assertIn("FTP_COMMAND_PORT 4010", error.problem)

    def test_dataRangeOverlapsHealthcheckPort(self) -> None:
        """
        A data-port range containing the health-check port is rejected on
        C{FTP_DATA_PORTS_FIRST}, naming the health-check port.
        """
        error = self.assertRejected("FTP_DATA_PORTS_FIRST", HEALTHCHECK_PORT="4030")
        self.assertIn("HEALTHCHECK_PORT 4030", error.problem)

    def test_healthcheckSameAsCommand(self) -> None:
        """
        The health-check port must differ from the command port.
        """
        self.assertRejected("HEALTHCHECK_PORT", HEALTHCHECK_PORT="8021")


class UploadTests(ConfigTestCase):
    """
    C{AWS_S3_UPLOAD_PART_SIZE} and C{AWS_S3_UPLOAD_PARTS_IN_FLIGHT}.
    """

    def test_partSizeBytes(self) -> None:
        """
        A plain integer part size is a number of bytes.
        """
        self.assertEqual(load(AWS_S3_UPLOAD_PART_SIZE="10000000").limits.upload_part_size, 10000000)

    def test_partSizeSuffixes(self) -> None:
        """
        The KiB, MiB and GiB suffixes multiply by powers of 1024.
        """
        for text, size in (("6144KiB", 6144 * 1024), ("16MiB", 16 << 20), ("1GiB", 1 << 30)):
            self.assertEqual(load(AWS_S3_UPLOAD_PART_SIZE=text).limits.upload_part_size, size)

    def test_partSizeBounds(self) -> None:
        """
        Exactly 5 MiB and exactly 5 GiB are accepted.
        """
        for text, size in (("5MiB", 5 << 20), ("5GiB", 5 << 30), ("5242880", 5242880)):
            self.assertEqual(load(AWS_S3_UPLOAD_PART_SIZE=text).limits.upload_part_size, size)

    def test_partSizeTooSmall(self) -> None:
        """
        A part size under 5 MiB is rejected.
        """
        for text in ("5242879", "4MiB", "0"):
            self.assertRejected("AWS_S3_UPLOAD_PART_SIZE", AWS_S3_UPLOAD_PART_SIZE=text)

    def test_partSizeTooLarge(self) -> None:
        """
        A part size over 5 GiB is rejected.
        """
        for text in ("6GiB", str((5 << 30) + 1)):
            self.assertRejected("AWS_S3_UPLOAD_PART_SIZE", AWS_S3_UPLOAD_PART_SIZE=text)

    def test_partSizeGarbage(self) -> None:
        """
        Anything other than digits with an optional binary suffix is rejected.
        """
        for text in ("big", "16MB", "16 TiB", "-8MiB", "8.5MiB", "MiB"):
            self.assertRejected("AWS_S3_UPLOAD_PART_SIZE", AWS_S3_UPLOAD_PART_SIZE=text)

    def test_partsInFlightGiven(self) -> None:
        """
        1 and 64 are valid numbers of parts in flight.
        """
        for text, count in (("1", 1), ("64", 64)):
            self.assertEqual(
                load(AWS_S3_UPLOAD_PARTS_IN_FLIGHT=text).limits.upload_parts_in_flight, count
            )

    def test_partsInFlightOutOfRange(self) -> None:
        """
        Fewer than 1 or more than 64 parts in flight, or a non-integer, is rejected.
        """
        for text in ("0", "65", "three"):
            self.assertRejected("AWS_S3_UPLOAD_PARTS_IN_FLIGHT", AWS_S3_UPLOAD_PARTS_IN_FLIGHT=text)


class SweeperTests(ConfigTestCase):
    """
    C{AWS_S3_ABANDONED_UPLOAD_SECONDS} and C{AWS_S3_SWEEP_INTERVAL_SECONDS}.
    """

    def test_defaults(self) -> None:
        """
        An upload is abandoned after a day, and the sweeper looks every hour.
        """
        s3 = load().s3
        self.assertEqual((s3.abandoned_upload_seconds, s3.sweep_interval_seconds), (86400, 3600))

    def test_given(self) -> None:
        """
        Both take whole seconds, from 1.
        """
        s3 = load(AWS_S3_ABANDONED_UPLOAD_SECONDS="1", AWS_S3_SWEEP_INTERVAL_SECONDS="600").s3
        self.assertEqual((s3.abandoned_upload_seconds, s3.sweep_interval_seconds), (1, 600))

    def test_outOfRange(self) -> None:
        """
        Zero, a negative number, a fraction, or more than a year (the age)
        or a week (the interval) is rejected.
        """
        for text in ("0", "-5", "1.5", "day", str(366 * 86400 + 1)):
            self.assertRejected(
                "AWS_S3_ABANDONED_UPLOAD_SECONDS", AWS_S3_ABANDONED_UPLOAD_SECONDS=text
            )
        for text in ("0", "60s", str(7 * 86400 + 1)):
            self.assertRejected("AWS_S3_SWEEP_INTERVAL_SECONDS", AWS_S3_SWEEP_INTERVAL_SECONDS=text)


class RetryTests(ConfigTestCase):
    """
    C{AWS_S3_RETRY_SECONDS}, how long S3's transient failures are retried.
    """

    def test_default(self) -> None:
        """
        It defaults to 30 seconds, and its help says why.
        """
        (setting,) = [s for s in SETTINGS if s.name == "AWS_S3_RETRY_SECONDS"]
        self.assertEqual(load().s3.retry_seconds, 30)
        for reason in ("SlowDown", "back off", "451", "Kubernetes"):
            self.assertIn(reason, setting.help_text)

    def test_given(self) -> None:
        """
        0 (no retries), a number of seconds, and an hour are accepted.
        """
        for text, seconds in (("0", 0), ("5", 5), ("3600", 3600)):
            self.assertEqual(load(AWS_S3_RETRY_SECONDS=text).s3.retry_seconds, seconds)

    def test_outOfRange(self) -> None:
        """
        A negative number, more than an hour, a fraction or a word is rejected.
        """
        for text in ("-1", "3601", "1.5", "forever"):
            self.assertRejected("AWS_S3_RETRY_SECONDS", AWS_S3_RETRY_SECONDS=text)


# Bad environments covering every kind of check, all carrying secrets.
BAD_ENVIRONMENTS: list[dict[str, str | None]] = [
    {"AWS_AUTH_MECHANISM": "nope"},
    {"AWS_ACCESS_KEY_ID": None, "AWS_SESSION_TOKEN": SESSION_TOKEN},
    {"AWS_S3_BUCKET_REGION": None, "AWS_SESSION_TOKEN": SESSION_TOKEN},
    {"AWS_S3_BUCKET_HOST": "http://x/\ny"},
    {"AWS_S3_BUCKET_NAME": "Bad\nName"},
    {"AWS_ENDPOINT_URL_S3": f"https://u:{SECRET_KEY}@h"},
    {"FTP_USERS__1__PASSWORD": None},
    {"FTP_USERS__1__LOGIN": None},
    {"FTP_USERS__2__LOGIN": "alice", "FTP_USERS__2__PASSWORD": PASSWORD},
    {"FTP_USERS__x__PASSWORD": PASSWORD},
    {"FTP_USERS__1__PASS": PASSWORD},
    {"FTP_COMMAND_PORT": "80\n80"},
    {"FTP_DATA_CIDR_TO_DOMAINS__1__CIDR": "x", "FTP_DATA_CIDR_TO_DOMAINS__1__DOMAIN": "d"},
    {"HEALTHCHECK_PORT": "4001"},
    {"AWS_S3_UPLOAD_PART_SIZE": "1" * 500},
    {"FTP_USERS__1__PASSWORD_HASH": BCRYPT_HASH},
    {"FTP_USERS__1__PASSWORD": None, "FTP_USERS__1__PASSWORD_HASH": "$1$" + SECRET_KEY},
    {"FTP_USERS__1__HOME": "a/../b"},
    {"FTP_USERS__1__PERMISSIONS": "list,\nuplaod"},
    {"FTP_USERS__1__ALLOWED_CIDRS": "10.0.0.1/8"},
    {"FTP_USERS__1__MAX_SESSIONS": "0"},
]


class ErrorMessageTests(ConfigTestCase):
    """
    The shape and secrecy of L{ConfigError} and L{Settings}.
    """

    def test_format(self) -> None:
        """
        C{str(error)} is C{"VARIABLE: problem"}.
        """
        error = ConfigError("FTP_COMMAND_PORT", "is wrong")
        self.assertEqual(str(error), "FTP_COMMAND_PORT: is wrong")

    def test_oneLine(self) -> None:
        """
        Every error message is a single line starting with the variable,
        even when the bad value contains a line break.
        """
        for overrides in BAD_ENVIRONMENTS:
            error = self.assertRaises(ConfigError, load, **overrides)
            message = str(error)
            self.assertEqual(message.splitlines(), [message])
            self.assertTrue(message.startswith(f"{error.variable}: "), message)

    def test_secretsNotInErrors(self) -> None:
        """
        No error message quotes a password, secret key or session token.
        """
        for bad in BAD_ENVIRONMENTS:
            overrides = {"AWS_SESSION_TOKEN": SESSION_TOKEN, **bad}
            error = self.assertRaises(ConfigError, load, **overrides)
            for secret in (PASSWORD, SECRET_KEY, SESSION_TOKEN, BCRYPT_HASH):
                self.assertNotIn(secret, str(error))
                self.assertNotIn(secret, repr(error))

    def test_secretsNotInRepr(self) -> None:
        """
        C{repr(settings)} shows no password, secret key or session token.
        """
        text = repr(load(AWS_SESSION_TOKEN=SESSION_TOKEN))
        for secret in (PASSWORD, SECRET_KEY, SESSION_TOKEN):
            self.assertNotIn(secret, text)

    def test_userReprHidesPassword(self) -> None:
        """
        C{repr(user)} shows the login but not the password.
        """
        text = repr(User(USER, PASSWORD))
        self.assertEqual((("alice" in text), (PASSWORD in text)), (True, False))

    def test_userReprHidesHash(self) -> None:
        """
        C{repr(user)} shows the login but not the password hash.
        """
        text = repr(User(USER, password_hash=BCRYPT_HASH))
        self.assertEqual((("alice" in text), (BCRYPT_HASH in text)), (True, False))


class DeclarationTests(SynchronousTestCase):
    """
    The declarations everything is derived from: L{SETTINGS} and L{FAMILIES}.
    """

    def test_everyFieldFilledOnce(self) -> None:
        """
        Every field of every section of L{Settings}, and every other field of
        L{Settings}, is filled by exactly one declaration.
        """
        kinds = sections()
        fields = [
            f"{section}.{field.name}"
            for section, kind in kinds.items()
            for field in dataclasses.fields(kind)
        ]
        fields += [field.name for field in dataclasses.fields(Settings) if field.name not in kinds]
        targets = [setting.target for setting in SETTINGS] + [family.target for family in FAMILIES]
        self.assertEqual(sorted(targets), sorted(fields))

    def test_sections(self) -> None:
        """
        The settings are grouped in the sections S3, TLS, FTP, limits and
        access, beside the users.
        """
        self.assertEqual(
            sections(),
            {
                "s3": S3Settings,
                "tls": TLSSettings,
                "ftp": FTPSettings,
                "limits": LimitSettings,
                "access": AccessSettings,
            },
        )
        self.assertEqual([field.name for field in dataclasses.fields(Settings)][3], "users")

    def test_namesUnique(self) -> None:
        """
        No variable is declared twice, and no family prefix is a setting's name.
        """
        names = [setting.name for setting in SETTINGS]
        self.assertEqual(len(names), len(set(names)))
        for family in FAMILIES:
            self.assertFalse([name for name in names if name.startswith(family.prefix)])

    def test_readmeDocumentsEverySetting(self) -> None:
        """
        The README's configuration table has a row for every declared
        variable, and for every field of every family (with C{i} as the index).
        """
        with open(os.path.join(SOURCE_ROOT, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        names = [setting.name for setting in SETTINGS] + [
            family.variable("i", field.name) for family in FAMILIES for field in family.fields
        ]
        for name in names:
            self.assertIn(f"| `{name}` |", readme, name)

    def test_secretFlags(self) -> None:
        """
        Exactly the secret key, the session token and the users' passwords
        and password hashes are marked secret.
        """
        self.assertEqual(
            {setting.name for setting in SETTINGS if setting.secret},
            {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"},
        )
        self.assertEqual(
            {
                family.variable("i", field.name)
                for family in FAMILIES
                for field in family.fields
                if field.secret
            },
            {"FTP_USERS__i__PASSWORD", "FTP_USERS__i__PASSWORD_HASH"},
        )

    def test_secretsOutOfRepr(self) -> None:
        """
        The field every secret fills is left out of its class's C{repr}.
        """
        kinds = sections()
        for setting in SETTINGS:
            section, _, name = setting.target.partition(".")
            field = {f.name: f for f in dataclasses.fields(kinds[section])}[name]
            self.assertEqual(field.repr, not setting.secret, setting.name)
        for family in FAMILIES:
            item = {f.name: f for f in dataclasses.fields(family.item)}
            for declared in family.fields:
                self.assertEqual(item[declared.attribute].repr, not declared.secret)

    def test_helpOneLine(self) -> None:
        """
        Every help text is one non-empty line ending in a full stop.
        """
        helps = [(s.name, s.help_text) for s in SETTINGS] + [(f.prefix, f.help) for f in FAMILIES]
        for name, text in helps:
            self.assertEqual(text.splitlines(), [text], name)
            self.assertTrue(text.endswith("."), name)

    def test_helpMentionsDefault(self) -> None:
        """
        The help of each variable with a default mentions that default.
        """
        defaults = {
            "AWS_AUTH_MECHANISM": "secret_access_key",
            "AWS_S3_BUCKET_DIR_SUFFIX": "'/'",
            "FTP_BIND_ADDRESS": "every IPv4 address, and every IPv6",
            "FTP_COMMAND_PORT": "8021",
            "FTP_DATA_PORTS_FIRST": "4001",
            "FTP_DATA_PORTS_COUNT": "30",
            "HEALTHCHECK_PORT": "8022",
            "FTP_TLS_CERTIFICATE_FILE": "$HOME/ssl.crt",
            "FTP_TLS_KEY_FILE": "$HOME/ssl.key",
            "AWS_S3_UPLOAD_PART_SIZE": "8MiB",
            "AWS_S3_UPLOAD_PARTS_IN_FLIGHT": "3",
            "AWS_S3_RETRY_SECONDS": "30",
        }
        helps = {setting.name: setting.help_text for setting in SETTINGS}
        for name, default in defaults.items():
            self.assertIn(default, helps[name], name)

    def test_helpShowsDeclaredDefault(self) -> None:
        """
        Every declared integer or text default appears, rendered, in its
        setting's help: the default is written once, in the declaration.
        """
        for setting in SETTINGS:
            if type(setting.default) in (int, str):
                self.assertIn(setting.render(setting.default), setting.help_text, setting.name)

    def test_partSizeBoundsFromS3Limits(self) -> None:
        """
        The part-size bounds in the help and the parser are S3's own, from
        L{twisted_ftps3.s3.limits}.
        """
        (setting,) = [s for s in SETTINGS if s.name == "AWS_S3_UPLOAD_PART_SIZE"]
        self.assertIn("from 5MiB to 5GiB", setting.help_text)
        self.assertEqual(setting.parse("V", str(MIN_PART_SIZE)), MIN_PART_SIZE)
        self.assertEqual(setting.parse("V", str(MAX_PART_SIZE)), MAX_PART_SIZE)
        for size in (MIN_PART_SIZE - 1, MAX_PART_SIZE + 1):
            self.assertRaises(ConfigError, setting.parse, "V", str(size))

    def test_option(self) -> None:
        """
        A setting's twistd option is its name in lower case with dashes.
        """
        options = {setting.name: setting.option for setting in SETTINGS}
        self.assertEqual(options["FTP_COMMAND_PORT"], "ftp-command-port")
        self.assertEqual(options["AWS_ENDPOINT_URL_S3"], "aws-endpoint-url-s3")

    def test_binarySize(self) -> None:
        """
        L{parsers.binary_size} uses the largest binary unit that divides the size.
        """
        self.assertEqual(
            [parsers.binary_size(n) for n in (8 << 20, 5 << 30, 6144 << 10, 1000, 0)],
            ["8MiB", "5GiB", "6MiB", "1000", "0"],
        )


@dataclasses.dataclass(frozen=True)
class Pet:
    """
    The item of the test family L{PETS}.
    """

    name: str
    legs: int = 4
    colour: str | None = None


PETS = Family(
    "TEST_PETS__",
    "pets",
    Pet,
    (
        Field("NAME", "name"),
        Field("LEGS", "legs", parsers.integer(0, 8), required=False, default=4),
        Field("COLOUR", "colour", required=False),
    ),
    "Pets, one for each index i.",
)


class FamilyTests(SynchronousTestCase):
    """
    L{Family}, on a family declared here, with optional fields.
    """

    def read(self, **environ: str) -> tuple[Any, ...]:
        return tuple(entry.item for entry in PETS.read(environ))

    def test_optionalFieldDefault(self) -> None:
        """
        An optional field left unset takes its declared default.
        """
        self.assertEqual(self.read(TEST_PETS__1__NAME="rex"), (Pet("rex", 4, None),))

    def test_optionalFieldGiven(self) -> None:
        """
        An optional field that is set is parsed with its field's parser.
        """
        self.assertEqual(
            self.read(
                TEST_PETS__1__NAME="tweety", TEST_PETS__1__LEGS="2", TEST_PETS__1__COLOUR="y"
            ),
            (Pet("tweety", 2, "y"),),
        )

    def test_optionalFieldRefused(self) -> None:
        """
        A value an optional field's parser refuses is named, as spelt.
        """
        error = self.assertRaises(
            ConfigError, self.read, TEST_PETS__01__NAME="rex", TEST_PETS__01__LEGS="9"
        )
        self.assertEqual(
            (error.variable, error.problem),
            ("TEST_PETS__01__LEGS", "must be an integer from 0 to 8, got '9'"),
        )

    def test_optionalFieldEmpty(self) -> None:
        """
        An optional field set to the empty string is refused, like any field of a family.
        """
        error = self.assertRaises(
            ConfigError, self.read, TEST_PETS__1__NAME="rex", TEST_PETS__1__LEGS=""
        )
        self.assertEqual(
            (error.variable, error.problem), ("TEST_PETS__1__LEGS", "must not be empty")
        )

    def test_onlyOptionalFieldSet(self) -> None:
        """
        An index with only optional fields still needs its required ones.
        """
        error = self.assertRaises(ConfigError, self.read, TEST_PETS__3__LEGS="3")
        self.assertEqual(
            (error.variable, error.problem),
            ("TEST_PETS__3__NAME", "is required because TEST_PETS__3__LEGS is set"),
        )

    def test_missingBeforeMalformed(self) -> None:
        """
        A missing required field is reported before a malformed optional one.
        """
        error = self.assertRaises(ConfigError, self.read, TEST_PETS__3__LEGS="many")
        self.assertEqual(error.variable, "TEST_PETS__3__NAME")

    def test_unknownFieldListsEvery(self) -> None:
        """
        An unknown field's error lists every declared field.
        """
        error = self.assertRaises(ConfigError, self.read, TEST_PETS__1__TAIL="long")
        self.assertEqual(error.problem, "unknown field 'TAIL', expected NAME, LEGS or COLOUR")

    def test_malformedNameListsEvery(self) -> None:
        """
        A name without a field lists every pattern of the family.
        """
        error = self.assertRaises(ConfigError, self.read, TEST_PETS__1="rex")
        self.assertEqual(
            error.problem,
            "must be named TEST_PETS__<i>__NAME, TEST_PETS__<i>__LEGS or TEST_PETS__<i>__COLOUR",
        )

    def test_entryNames(self) -> None:
        """
        Each entry names every field's variable, as spelt in the environment.
        """
        (entry,) = PETS.read({"TEST_PETS__07__NAME": "rex"})
        self.assertEqual(
            dict(entry.names),
            {
                "NAME": "TEST_PETS__07__NAME",
                "LEGS": "TEST_PETS__07__LEGS",
                "COLOUR": "TEST_PETS__07__COLOUR",
            },
        )

    def test_overlay(self) -> None:
        """
        L{Family.overlay} replaces every variable of the family, indexing the rows from 1.
        """
        environ = {"TEST_PETS__5__NAME": "rex", "TEST_PETS__5__LEGS": "3", "OTHER": "kept"}
        PETS.overlay(environ, [{"NAME": "tom"}, {"NAME": "tweety", "LEGS": "2"}])
        self.assertEqual(
            environ,
            {
                "OTHER": "kept",
                "TEST_PETS__1__NAME": "tom",
                "TEST_PETS__2__NAME": "tweety",
                "TEST_PETS__2__LEGS": "2",
            },
        )


class UnknownVariableTests(SynchronousTestCase):
    """
    L{unknown_variables}: the variables that look like settings but are none.
    """

    def test_knownNotReported(self) -> None:
        """
        Every known setting, every family variable and unrelated variables
        (C{PATH}, C{HOME}) are not reported.
        """
        environ = environment(
            MINIMAL,
            PATH="/usr/bin",
            FTP_COMMAND_PORT="21",
            FTP_DATA_CIDR_TO_DOMAINS__1__CIDR="0.0.0.0/0",
        )
        self.assertEqual(unknown_variables(environ), [])

    def test_familyTypo(self) -> None:
        """
        A misspelt family prefix is reported with the family's name at the same index.
        """
        self.assertEqual(
            unknown_variables({"FTP_USER__1__LOGIN": "bob", "FTP_USER__12__PASSWORD": "x"}),
            [
                ("FTP_USER__12__PASSWORD", "FTP_USERS__12__PASSWORD"),
                ("FTP_USER__1__LOGIN", "FTP_USERS__1__LOGIN"),
            ],
        )

    def test_settingTypo(self) -> None:
        """
        A misspelt setting, with either prefix, is reported with the closest setting.
        """
        self.assertEqual(
            unknown_variables({"FTP_COMAND_PORT": "21", "AWS_S3_BUCKET_NAMES": "b"}),
            [
                ("AWS_S3_BUCKET_NAMES", "AWS_S3_BUCKET_NAME"),
                ("FTP_COMAND_PORT", "FTP_COMMAND_PORT"),
            ],
        )

    def test_newerSetting(self) -> None:
        """
        A setting of another version is reported, with some known name.
        """
        ((name, closest),) = unknown_variables({"FTP_SESSION_TIMEOUT": "60"})
        self.assertEqual(name, "FTP_SESSION_TIMEOUT")
        self.assertIn(closest, {setting.name for setting in SETTINGS})

    def test_otherPrefixesIgnored(self) -> None:
        """
        Only C{FTP_} and C{AWS_S3_} names are taken as meant for this server.
        """
        self.assertEqual(unknown_variables({"AWS_REGION": "x", "FTPS3_QUICKSTART_DIR": "d"}), [])

    def test_familyFieldTypoRefused(self) -> None:
        """
        A misspelt field inside a family is not a warning but an error, as before.
        """
        self.assertEqual(unknown_variables({"FTP_USERS__1__LOGN": "bob"}), [])
        error = self.assertRaises(ConfigError, load, FTP_USERS__1__LOGN="bob")
        self.assertEqual(error.variable, "FTP_USERS__1__LOGN")

    def test_unknownStillLoads(self) -> None:
        """
        An unknown variable changes nothing in the settings.
        """
        self.assertEqual(load(FTP_USER__1__LOGIN="bob"), load())


class ExplicitPortTests(ConfigTestCase):
    """FTP_EXPLICIT_COMMAND_PORT beside, or instead of, FTP_COMMAND_PORT."""

    def test_off_by_default(self) -> None:
        """Without the variable there is no explicit port."""
        self.assertIsNone(load().ftp.explicit_command_port)

    def test_both_ports(self) -> None:
        """Both ports may be served together."""
        settings = load(FTP_EXPLICIT_COMMAND_PORT="2121")
        self.assertEqual(
            (settings.ftp.command_port, settings.ftp.explicit_command_port), (8021, 2121)
        )

    def test_explicit_alone(self) -> None:
        """FTP_COMMAND_PORT=off with an explicit port serves explicit TLS alone."""
        settings = load(FTP_COMMAND_PORT="off", FTP_EXPLICIT_COMMAND_PORT="2121")
        self.assertEqual(
            (settings.ftp.command_port, settings.ftp.explicit_command_port), (None, 2121)
        )

    def test_neither_port(self) -> None:
        """Turning the implicit port off without an explicit one is refused."""
        self.assertRejected("FTP_COMMAND_PORT", FTP_COMMAND_PORT="off")

    def test_same_port(self) -> None:
        """The two command ports must differ."""
        self.assertRejected("FTP_EXPLICIT_COMMAND_PORT", FTP_EXPLICIT_COMMAND_PORT="8021")

    def test_overlaps_data_ports(self) -> None:
        """The explicit port may not fall in the passive range."""
        error = self.assertRejected("FTP_DATA_PORTS_FIRST", FTP_EXPLICIT_COMMAND_PORT="4005")
        self.assertIn("FTP_EXPLICIT_COMMAND_PORT 4005", error.problem)

    def test_same_as_health(self) -> None:
        """The health port must differ from the explicit port."""
        self.assertRejected("HEALTHCHECK_PORT", FTP_EXPLICIT_COMMAND_PORT="8022")

    def test_not_a_port(self) -> None:
        """A value that is not a port is named."""
        self.assertRejected("FTP_EXPLICIT_COMMAND_PORT", FTP_EXPLICIT_COMMAND_PORT="x")


class SessionReuseTests(ConfigTestCase):
    """FTP_TLS_REQUIRE_SESSION_REUSE: a boolean, off by default."""

    def test_off_by_default(self) -> None:
        """Without the variable, data connections need not resume the session."""
        self.assertFalse(load().tls.require_session_reuse)

    def test_true_words(self) -> None:
        """true, yes, on and 1 turn it on, in any case and with spaces around."""
        for word in ("true", "TRUE", " yes ", "on", "1"):
            self.assertTrue(load(FTP_TLS_REQUIRE_SESSION_REUSE=word).tls.require_session_reuse)

    def test_false_words(self) -> None:
        """false, no, off and 0 leave it off."""
        for word in ("false", "No", "off", "0"):
            self.assertFalse(load(FTP_TLS_REQUIRE_SESSION_REUSE=word).tls.require_session_reuse)

    def test_empty_is_unset(self) -> None:
        """An empty value counts as unset, as for every variable."""
        self.assertFalse(load(FTP_TLS_REQUIRE_SESSION_REUSE="").tls.require_session_reuse)

    def test_other_words_refused(self) -> None:
        """Anything else is refused, with the value named."""
        error = self.assertRejected(
            "FTP_TLS_REQUIRE_SESSION_REUSE", FTP_TLS_REQUIRE_SESSION_REUSE="maybe"
        )
        self.assertIn("'maybe'", error.problem)


class LogLevelTests(ConfigTestCase):
    """C{FTP_LOG_LEVEL}: the sessions' info lines by default, their debug lines on request."""

    def test_default(self) -> None:
        """By default, info."""
        self.assertEqual(load().ftp.log_level, "info")

    def test_given(self) -> None:
        """info and debug are taken; an empty value is the default."""
        for word in ("info", "debug"):
            self.assertEqual(load(FTP_LOG_LEVEL=word).ftp.log_level, word)
        self.assertEqual(load(FTP_LOG_LEVEL="").ftp.log_level, "info")

    def test_other_words_refused(self) -> None:
        """Anything else is refused, with the value named."""
        for word in ("DEBUG", "warn", "verbose"):
            error = self.assertRejected("FTP_LOG_LEVEL", FTP_LOG_LEVEL=word)
            self.assertIn(repr(word), error.problem)


class ShutdownAndTimeoutTests(ConfigTestCase):
    """
    C{FTP_SHUTDOWN_GRACE_SECONDS} and the bounds on slow and dead peers:
    whole seconds, with defaults under the 30 s that ECS and Kubernetes
    give a stopping container, and a handshake, login and idle bound.
    """

    VARIABLES = {
        "FTP_SHUTDOWN_GRACE_SECONDS": ("shutdown_grace_seconds", 25, 0, 3600),
        "FTP_TLS_HANDSHAKE_TIMEOUT_SECONDS": ("tls_handshake_timeout_seconds", 30, 1, 3600),
        "FTP_DATA_IDLE_TIMEOUT_SECONDS": ("data_idle_timeout_seconds", 300, 1, 86400),
        "FTP_LOGIN_TIMEOUT_SECONDS": ("login_timeout_seconds", 60, 1, 3600),
    }

    def test_defaults(self) -> None:
        """By default: 25 s of grace, 30 s to handshake, 5 minutes idle, 60 s to log in."""
        ftp = load().ftp
        for name, (field, default, _, _) in self.VARIABLES.items():
            self.assertEqual(getattr(ftp, field), default, name)

    def test_given(self) -> None:
        """Each takes any whole number of seconds in its range, its bounds included."""
        for name, (field, _, low, high) in self.VARIABLES.items():
            for value in (low, high, 7):
                self.assertEqual(getattr(load(**{name: str(value)}).ftp, field), value, name)

    def test_out_of_range(self) -> None:
        """Below or above its range, a fraction or a word is rejected, naming the variable."""
        for name, (_, _, low, high) in self.VARIABLES.items():
            for text in (str(low - 1), str(high + 1), "1.5", "soon"):
                self.assertRejected(name, **{name: text})
