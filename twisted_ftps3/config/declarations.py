# -*- test-case-name: tests.test_config -*-
"""
Every setting of the server, each declared once.

This table is the configuration's single source: L{load_settings} reads it,
the twistd options and C{--help} are generated from it, and the warning about
unknown variables compares against it.  To add a setting, add its declaration
here (and the field it fills to L{twisted_ftps3.config.values}); rules that
relate two settings live in L{twisted_ftps3.config.rules}.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from ..permissions import Permissions
from ..s3.checksums import CHECKSUMS
from ..s3.limits import MAX_PART_SIZE, MIN_PART_SIZE
from . import parsers
from .declare import Setting
from .families import Family, FamilyOption, Field
from .values import CidrDomain, User

__all__ = [
    "AUTH_ECS_ROLE",
    "AUTH_SECRET_ACCESS_KEY",
    "CIDR_TO_DOMAINS",
    "FAMILIES",
    "LOG_LEVELS",
    "MAX_UPLOAD_PARTS_IN_FLIGHT",
    "SETTINGS",
    "USERS",
]

AUTH_SECRET_ACCESS_KEY = "secret_access_key"
AUTH_ECS_ROLE = "ecs_role"

MAX_UPLOAD_PARTS_IN_FLIGHT = 64

#: The levels of FTP_LOG_LEVEL, the default first.
LOG_LEVELS = ("info", "debug")


def _in_home(filename: str) -> Callable[[Mapping[str, str]], str]:
    """
    A default of C{filename} in C{$HOME}, or in the user's home without C{HOME}.
    """

    def default(environ: Mapping[str, str]) -> str:
        home = environ.get("HOME") or os.path.expanduser("~")
        return os.path.join(home, filename)

    return default


_PART_SIZES = f"from {parsers.binary_size(MIN_PART_SIZE)} to {parsers.binary_size(MAX_PART_SIZE)}"

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "AWS_AUTH_MECHANISM",
        "s3.auth_mechanism",
        parsers.choice(AUTH_SECRET_ACCESS_KEY, AUTH_ECS_ROLE),
        "How to authenticate to S3: {default!r} (the default) to use AWS_ACCESS_KEY_ID and "
        f"AWS_SECRET_ACCESS_KEY, or {AUTH_ECS_ROLE!r} to use the ECS task role.",
        default=AUTH_SECRET_ACCESS_KEY,
    ),
    Setting(
        "AWS_ACCESS_KEY_ID",
        "s3.access_key_id",
        parsers.text,
        f"The AWS access key id; required when AWS_AUTH_MECHANISM is {AUTH_SECRET_ACCESS_KEY}.",
    ),
    Setting(
        "AWS_SECRET_ACCESS_KEY",
        "s3.secret_access_key",
        parsers.text,
        f"The AWS secret access key; required when AWS_AUTH_MECHANISM is {AUTH_SECRET_ACCESS_KEY}.",
        secret=True,
    ),
    Setting(
        "AWS_SESSION_TOKEN",
        "s3.session_token",
        parsers.text,
        "An optional AWS session token, for temporary credentials.",
        secret=True,
    ),
    Setting(
        "AWS_S3_BUCKET_REGION",
        "s3.region",
        parsers.text,
        "The bucket's AWS region, such as eu-west-2 (required).",
        required=True,
    ),
    Setting(
        "AWS_S3_BUCKET_HOST",
        "s3.host",
        parsers.bucket_host,
        "The S3 host, as host[:port] without a scheme, such as s3.eu-west-2.amazonaws.com "
        "(required unless AWS_ENDPOINT_URL_S3 is set).",
    ),
    Setting(
        "AWS_S3_BUCKET_NAME",
        "s3.bucket",
        parsers.bucket_name,
        "The name of the bucket that holds the files (required).",
        required=True,
    ),
    Setting(
        "AWS_S3_BUCKET_DIR_SUFFIX",
        "s3.dir_suffix",
        parsers.dir_suffix,
        "The key suffix of the empty objects that mark directories (default {default!r}).",
        default="/",
    ),
    Setting(
        "AWS_ENDPOINT_URL_S3",
        "s3.endpoint_url",
        parsers.endpoint_url,
        "An optional full http:// or https:// URL of the S3 endpoint, such as "
        "http://localhost:9000, used instead of https://AWS_S3_BUCKET_HOST.",
    ),
    Setting(
        "AWS_S3_ABANDONED_UPLOAD_SECONDS",
        "s3.abandoned_upload_seconds",
        parsers.integer(1, 366 * 86400),
        "How long ago, in seconds, a multipart upload must have begun for the sweeper to "
        "abort it as abandoned (default {default}, a day, longer than any upload of another "
        "instance of the server).",
        default=86400,
    ),
    Setting(
        "AWS_S3_SWEEP_INTERVAL_SECONDS",
        "s3.sweep_interval_seconds",
        parsers.integer(1, 7 * 86400),
        "How often, in seconds, the sweeper looks for abandoned multipart uploads, after "
        "its sweep at start-up (default {default}, an hour).",
        default=3600,
    ),
    Setting(
        "AWS_S3_RETRY_SECONDS",
        "s3.retry_seconds",
        parsers.integer(0, 3600),
        "How many seconds an S3 request that S3 throttled (503 SlowDown, which S3 asks "
        "clients to back off from and retry), failed (500) or left unanswered is retried, "
        "with exponential backoff and jitter, before the FTP client gets 451; the default, "
        "{default}, rides out a short outage and stays within the 30 seconds ECS and "
        "Kubernetes give a stopping container; 0 sends each request once.",
        default=30,
    ),
    Setting(
        "AWS_S3_MAX_CONCURRENT_REQUESTS",
        "s3.max_concurrent_requests",
        parsers.integer(1, 10000),
        "How many requests the server may have waiting on S3 at once; the others queue, "
        "in order (default {default}).",
        default=64,
    ),
    Setting(
        "AWS_S3_CHECKSUM",
        "s3.checksum",
        parsers.choice(*CHECKSUMS),
        "The checksum S3 verifies on every object and part uploaded, declared when a "
        "multipart upload begins: 'crc32' (x-amz-checksum-crc32, as the AWS SDKs send), "
        "'sha256' (x-amz-checksum-sha256), {default!r} (the default: crc32 over https, "
        "sha256 over plain http, where the signature needs that SHA-256 anyway) or 'md5' "
        "(Content-MD5, for an S3-compatible server that does not know the newer checksums).",
        default=CHECKSUMS[0],
    ),
    Setting(
        "FTP_BIND_ADDRESS",
        "ftp.bind_address",
        parsers.ip_address,
        "The IP address to listen on (default: every IPv4 address, and every IPv6 "
        "address where the host has IPv6).",
    ),
    Setting(
        "FTP_COMMAND_PORT",
        "ftp.command_port",
        parsers.port_or_off,
        "The implicit-TLS command (control) port (default {default}); "
        "'off' serves explicit TLS alone.",
        default=8021,
    ),
    Setting(
        "FTP_EXPLICIT_COMMAND_PORT",
        "ftp.explicit_command_port",
        parsers.port,
        "The explicit-TLS (AUTH TLS) command port; unset serves implicit TLS alone.",
    ),
    Setting(
        "FTP_DATA_PORTS_FIRST",
        "ftp.data_ports_first",
        parsers.port,
        "The first passive-mode data port (default {default}).",
        default=4001,
    ),
    Setting(
        "FTP_DATA_PORTS_COUNT",
        "ftp.data_ports_count",
        parsers.integer(1, parsers.MAX_PORT - parsers.MIN_PORT + 1),
        "How many consecutive passive-mode data ports to use (default {default}).",
        default=30,
    ),
    Setting(
        "HEALTHCHECK_PORT",
        "ftp.healthcheck_port",
        parsers.port,
        "The port of the HTTP health check (default {default}).",
        default=8022,
    ),
    Setting(
        "FTP_SHUTDOWN_GRACE_SECONDS",
        "ftp.shutdown_grace_seconds",
        parsers.integer(0, 3600),
        "On SIGTERM, how many seconds transfers in progress may take to finish before "
        "they are aborted; new sessions and transfers get 421 meanwhile (default {default}, "
        "under the 30 seconds ECS and Kubernetes allow).",
        default=25,
    ),
    Setting(
        "FTP_TLS_HANDSHAKE_TIMEOUT_SECONDS",
        "ftp.tls_handshake_timeout_seconds",
        parsers.integer(1, 3600),
        "How many seconds a TLS handshake may take before its connection is closed, on "
        "the implicit port, after AUTH TLS and on data connections (default {default}).",
        default=30,
    ),
    Setting(
        "FTP_DATA_IDLE_TIMEOUT_SECONDS",
        "ftp.data_idle_timeout_seconds",
        parsers.integer(1, 86400),
        "How many seconds a data connection may move nothing while the server waits on "
        "its client before the transfer is aborted with 426 (default {default}).",
        default=300,
    ),
    Setting(
        "FTP_LOGIN_TIMEOUT_SECONDS",
        "ftp.login_timeout_seconds",
        parsers.integer(1, 3600),
        "How many seconds a control connection may stay open without logging in before "
        "it is closed with 421 (default {default}).",
        default=60,
    ),
    Setting(
        "FTP_LOG_LEVEL",
        "ftp.log_level",
        parsers.choice(*LOG_LEVELS),
        "How much the FTP sessions log: {default!r} (the default) logs each login, failed "
        "or not, and every refusal and error; 'debug' adds a line for every command a "
        "client sends (never a password), for each data connection's TLS and for the end "
        "of each session, which costs CPU at high session rates.",
        default=LOG_LEVELS[0],
    ),
    Setting(
        "FTP_TLS_CERTIFICATE_FILE",
        "tls.certificate_file",
        parsers.text,
        "The PEM file of the TLS certificate chain (default $HOME/ssl.crt).",
        default_from=_in_home("ssl.crt"),
    ),
    Setting(
        "FTP_TLS_KEY_FILE",
        "tls.key_file",
        parsers.text,
        "The PEM file of the TLS private key (default $HOME/ssl.key).",
        default_from=_in_home("ssl.key"),
    ),
    Setting(
        "FTP_TLS_REQUIRE_SESSION_REUSE",
        "tls.require_session_reuse",
        parsers.boolean,
        "'true' refuses (425) a data connection that does not resume its control "
        "connection's TLS session; 'false' (the default) accepts it.",
        default=False,
    ),
    Setting(
        "AWS_S3_UPLOAD_PART_SIZE",
        "limits.upload_part_size",
        parsers.part_size,
        "The size of each multipart-upload part, in bytes or with a KiB, MiB or GiB suffix, "
        f"{_PART_SIZES} (default {{default}}).",
        default=8 * 1024 * 1024,
        render=parsers.binary_size,
    ),
    Setting(
        "AWS_S3_UPLOAD_PARTS_IN_FLIGHT",
        "limits.upload_parts_in_flight",
        parsers.integer(1, MAX_UPLOAD_PARTS_IN_FLIGHT),
        "How many parts of one upload may be sent to S3 at once, from 1 to "
        f"{MAX_UPLOAD_PARTS_IN_FLIGHT} (default {{default}}).",
        default=3,
    ),
)

ACCESS_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "FTP_USERS_FILE",
        "access.users_file",
        parsers.text,
        "An optional JSON file of more FTP users, re-read on SIGHUP; see the README for "
        "its format.",
    ),
    Setting(
        "FTP_LOGIN_MAX_FAILURES",
        "access.login_max_failures",
        parsers.integer(1, 1000),
        "How many failed logins from one client address within FTP_LOGIN_FAILURE_WINDOW "
        "seconds ban that address (default {default}).",
        default=5,
    ),
    Setting(
        "FTP_LOGIN_FAILURE_WINDOW",
        "access.login_failure_window_seconds",
        parsers.integer(1, 86400),
        "The window, in seconds, in which failed logins from one address are counted "
        "(default {default}).",
        default=300,
    ),
    Setting(
        "FTP_LOGIN_BAN_SECONDS",
        "access.login_ban_seconds",
        parsers.integer(1, 30 * 86400),
        "How many seconds a banned address gets 530 for every login, even with the right "
        "password (default {default}).",
        default=900,
    ),
    Setting(
        "FTP_MAX_SESSIONS",
        "access.max_sessions",
        parsers.integer(1, 1_000_000),
        "How many control connections the process serves at once, logged in or not; "
        "one more gets 421 (default {default}).",
        default=1000,
    ),
    Setting(
        "FTP_MAX_SESSIONS_PER_ADDRESS",
        "access.max_sessions_per_address",
        parsers.integer(1, 1_000_000),
        "How many control connections one client address may have at once, logged in "
        "or not; one more gets 421 (default {default}).",
        default=50,
    ),
)

SETTINGS = SETTINGS + ACCESS_SETTINGS

USERS = Family(
    "FTP_USERS__",
    "users",
    User,
    (
        Field("LOGIN", "login", parsers.user_login),
        Field("PASSWORD", "password", required=False, secret=True),
        Field(
            "PASSWORD_HASH",
            "password_hash",
            parsers.user_password_hash,
            required=False,
            secret=True,
        ),
        Field("HOME", "home", parsers.user_home, required=False, default=""),
        Field(
            "PERMISSIONS",
            "permissions",
            parsers.user_permissions,
            required=False,
            default=Permissions.everywhere(),
        ),
        Field("ALLOWED_CIDRS", "allowed_cidrs", parsers.user_networks, required=False, default=()),
        Field("MAX_SESSIONS", "max_sessions", parsers.user_max_sessions, required=False),
    ),
    "The FTP users, one for each index i, each with PASSWORD or PASSWORD_HASH; at least one "
    "is required unless FTP_USERS_FILE is set, with distinct logins.",
    option=FamilyOption("ftp-user", ("LOGIN", "PASSWORD"), ":", "of a user; repeat for more."),
)

CIDR_TO_DOMAINS = Family(
    "FTP_DATA_CIDR_TO_DOMAINS__",
    "ftp.cidr_to_domains",
    CidrDomain,
    (
        Field("CIDR", "network", parsers.cidr_network),
        Field("DOMAIN", "domain"),
    ),
    "The host name PASV replies give clients in each network, tried in order of index i.",
    option=FamilyOption(
        "ftp-data-cidr-to-domain",
        ("CIDR", "DOMAIN"),
        "=",
        "for PASV replies; repeat, first match wins.",
    ),
)

FAMILIES: tuple[Family, ...] = (USERS, CIDR_TO_DOMAINS)
