# -*- test-case-name: tests.test_config -*-
"""
Every setting of the server, read and checked in one place before anything starts.

The server is configured entirely through environment variables (so that it
runs unchanged in a container), optionally overridden by C{twistd ftps3}
options.  Everything is validated up front: a typo in a port or a bucket name
should stop the process at start-up with one line naming the variable, not
surface as a confusing failure on the first client connection.

Nothing here touches the network or the filesystem, so the rules can be tested
with plain dictionaries.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from typing import Iterator, Mapping
from urllib.parse import urlsplit

__all__ = [
    "AUTH_ECS_ROLE",
    "AUTH_SECRET_ACCESS_KEY",
    "DEFAULT_COMMAND_PORT",
    "DEFAULT_DATA_PORTS_COUNT",
    "DEFAULT_DATA_PORTS_FIRST",
    "DEFAULT_DIR_SUFFIX",
    "DEFAULT_HEALTHCHECK_PORT",
    "DEFAULT_UPLOAD_PART_SIZE",
    "DEFAULT_UPLOAD_PARTS_IN_FLIGHT",
    "MAX_UPLOAD_PART_SIZE",
    "MAX_UPLOAD_PARTS_IN_FLIGHT",
    "MIN_UPLOAD_PART_SIZE",
    "VARIABLES",
    "CidrDomain",
    "ConfigError",
    "Settings",
    "User",
    "Variable",
    "load_settings",
]

AUTH_SECRET_ACCESS_KEY = "secret_access_key"
AUTH_ECS_ROLE = "ecs_role"
_AUTH_MECHANISMS = (AUTH_SECRET_ACCESS_KEY, AUTH_ECS_ROLE)

_KIB = 1024
_MIB = 1024 * _KIB
_GIB = 1024 * _MIB

# Defaults live in constants so that the --help text and the loader cannot drift apart.
DEFAULT_DIR_SUFFIX = "/"
DEFAULT_COMMAND_PORT = 8021
DEFAULT_DATA_PORTS_FIRST = 4001
DEFAULT_DATA_PORTS_COUNT = 30
DEFAULT_HEALTHCHECK_PORT = 8022
DEFAULT_UPLOAD_PART_SIZE = 8 * _MIB
DEFAULT_UPLOAD_PARTS_IN_FLIGHT = 3

# S3's own multipart limits: every part but the last must be at least 5 MiB,
# and no part may exceed 5 GiB.  Checking here beats a failed upload later.
MIN_UPLOAD_PART_SIZE = 5 * _MIB
MAX_UPLOAD_PART_SIZE = 5 * _GIB
MAX_UPLOAD_PARTS_IN_FLIGHT = 64

_MIN_PORT = 1
_MAX_PORT = 65535

_USERS_PREFIX = "FTP_USERS__"
_USER_FIELDS = ("LOGIN", "PASSWORD")
_CIDR_PREFIX = "FTP_DATA_CIDR_TO_DOMAINS__"
_CIDR_FIELDS = ("CIDR", "DOMAIN")

# Used for error messages only, so that a user with no FTP_USERS__* at all is
# told the exact names to set.
_FIRST_USER_LOGIN = f"{_USERS_PREFIX}1__LOGIN"
_FIRST_USER_PASSWORD = f"{_USERS_PREFIX}1__PASSWORD"

_DIGITS = re.compile(r"[0-9]+")
# S3's rules for bucket names that work with both path-style and
# virtual-host-style addressing.
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_HOST_NAME = re.compile(r"[A-Za-z0-9._-]+")
_BRACKETED_HOST = re.compile(r"\[(?P<address>[^\]]*)\](?::(?P<port>.*))?")
_PART_SIZE = re.compile(r"(?P<number>[0-9]+)\s*(?P<unit>KiB|MiB|GiB)?", re.IGNORECASE)
_UNITS = {"kib": _KIB, "mib": _MIB, "gib": _GIB}

# Longest stretch of a bad value quoted back in an error message: enough to
# recognise the value, short enough to keep the message on one readable line.
_SHOWN_VALUE_LENGTH = 40


class ConfigError(Exception):
    """
    One bad setting, reported so that the operator can fix it without reading code.

    C{str(error)} is a single line, C{"VARIABLE: problem"}, suitable as the
    only output of a failed start.  The problem text never quotes the value of
    a password, secret key or session token, because start-up errors end up in
    logs that many more people can read than the secrets store.

    @ivar variable: the environment variable at fault, such as
        C{"FTP_USERS__2__PASSWORD"}.
    @ivar problem: what is wrong with it, in plain English.
    """

    variable: str
    problem: str

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(variable, problem)
        self.variable = variable
        self.problem = problem

    def __str__(self) -> str:
        # Variable names come from the environment's keys, which could in
        # principle hold a line break; the one-line promise holds regardless.
        return " ".join(f"{self.variable}: {self.problem}".splitlines())


@dataclass(frozen=True)
class User:
    """
    One FTP account.

    The password is left out of C{repr} so that logging a L{Settings} (or a
    user) can never leak it.
    """

    login: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class CidrDomain:
    """
    Which host name to advertise in passive-mode replies to clients in a network.

    Behind a load balancer the server cannot know its public address, so the
    operator maps client networks to the name those clients should connect to.
    """

    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    domain: str


@dataclass(frozen=True)
class Settings:
    """
    The whole, already-validated configuration of one server process.

    Build it with L{load_settings}; the rest of the code can then trust every
    field without re-checking it.  Secrets are excluded from C{repr}.
    """

    aws_auth_mechanism: str
    aws_access_key_id: str | None
    aws_secret_access_key: str | None = field(repr=False)
    aws_session_token: str | None = field(repr=False)
    bucket_region: str
    bucket_host: str | None
    bucket_name: str
    dir_suffix: str
    endpoint_url: str | None
    users: tuple[User, ...]
    bind_address: str | None
    command_port: int | None
    explicit_command_port: int | None
    data_ports_first: int
    data_ports_count: int
    cidr_to_domains: tuple[CidrDomain, ...]
    healthcheck_port: int
    tls_certificate_file: str
    tls_key_file: str
    tls_require_session_reuse: bool
    upload_part_size: int
    upload_parts_in_flight: int

    @property
    def data_ports(self) -> range:
        """
        The passive-mode data ports, as one object to iterate or test membership in.
        """
        return range(self.data_ports_first, self.data_ports_first + self.data_ports_count)

    @property
    def s3_endpoint(self) -> tuple[str, str]:
        """
        Where to send S3 requests, as C{(scheme, "host[:port]")}.

        An explicit C{AWS_ENDPOINT_URL_S3} (MinIO, moto, a VPC endpoint) wins;
        otherwise the bucket host is reached over HTTPS, as AWS requires.
        """
        if self.endpoint_url is not None:
            parts = urlsplit(self.endpoint_url)
            return (parts.scheme, parts.netloc)
        if self.bucket_host is None:
            raise ValueError("Settings has neither endpoint_url nor bucket_host")
        return ("https", self.bucket_host)


@dataclass(frozen=True)
class Variable:
    """
    One scalar environment variable, as documented by C{twistd ftps3 --help}.

    The twistd options are generated from L{VARIABLES}, so a setting added
    here is automatically documented and overridable from the command line.

    @ivar name: the environment variable, such as C{"FTP_COMMAND_PORT"}.
    @ivar help: one sentence for C{--help}, mentioning the default if any.
    @ivar secret: whether the value must never be echoed (in help, logs or errors).
    """

    name: str
    help: str
    secret: bool = False


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "AWS_AUTH_MECHANISM",
        f"How to authenticate to S3: {AUTH_SECRET_ACCESS_KEY!r} (the default) to use "
        f"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or {AUTH_ECS_ROLE!r} to use the "
        "ECS task role.",
    ),
    Variable(
        "AWS_ACCESS_KEY_ID",
        f"The AWS access key id; required when AWS_AUTH_MECHANISM is {AUTH_SECRET_ACCESS_KEY}.",
    ),
    Variable(
        "AWS_SECRET_ACCESS_KEY",
        f"The AWS secret access key; required when AWS_AUTH_MECHANISM is {AUTH_SECRET_ACCESS_KEY}.",
        secret=True,
    ),
    Variable(
        "AWS_SESSION_TOKEN",
        "An optional AWS session token, for temporary credentials.",
        secret=True,
    ),
    Variable(
        "AWS_S3_BUCKET_REGION",
        "The bucket's AWS region, such as eu-west-2 (required).",
    ),
    Variable(
        "AWS_S3_BUCKET_HOST",
        "The S3 host, as host[:port] without a scheme, such as s3.eu-west-2.amazonaws.com "
        "(required unless AWS_ENDPOINT_URL_S3 is set).",
    ),
    Variable(
        "AWS_S3_BUCKET_NAME",
        "The name of the bucket that holds the files (required).",
    ),
    Variable(
        "AWS_S3_BUCKET_DIR_SUFFIX",
        "The key suffix of the empty objects that mark directories "
        f"(default {DEFAULT_DIR_SUFFIX!r}).",
    ),
    Variable(
        "AWS_ENDPOINT_URL_S3",
        "An optional full http:// or https:// URL of the S3 endpoint, such as "
        "http://localhost:9000, used instead of https://AWS_S3_BUCKET_HOST.",
    ),
    Variable(
        "FTP_BIND_ADDRESS",
        "The IP address to listen on (default: every IPv4 address, and every IPv6 "
        "address where the host has IPv6).",
    ),
    Variable(
        "FTP_COMMAND_PORT",
        f"The implicit-TLS command (control) port (default {DEFAULT_COMMAND_PORT}); "
        "'off' serves explicit TLS alone.",
    ),
    Variable(
        "FTP_EXPLICIT_COMMAND_PORT",
        "The explicit-TLS (AUTH TLS) command port; unset serves implicit TLS alone.",
    ),
    Variable(
        "FTP_DATA_PORTS_FIRST",
        f"The first passive-mode data port (default {DEFAULT_DATA_PORTS_FIRST}).",
    ),
    Variable(
        "FTP_DATA_PORTS_COUNT",
        f"How many consecutive passive-mode data ports to use "
        f"(default {DEFAULT_DATA_PORTS_COUNT}).",
    ),
    Variable(
        "HEALTHCHECK_PORT",
        f"The port of the HTTP health check (default {DEFAULT_HEALTHCHECK_PORT}).",
    ),
    Variable(
        "FTP_TLS_CERTIFICATE_FILE",
        "The PEM file of the TLS certificate chain (default $HOME/ssl.crt).",
    ),
    Variable(
        "FTP_TLS_KEY_FILE",
        "The PEM file of the TLS private key (default $HOME/ssl.key).",
    ),
    Variable(
        "FTP_TLS_REQUIRE_SESSION_REUSE",
        "'true' refuses (425) a data connection that does not resume its control "
        "connection's TLS session; 'false' (the default) accepts it.",
    ),
    Variable(
        "AWS_S3_UPLOAD_PART_SIZE",
        "The size of each multipart-upload part, in bytes or with a KiB, MiB or GiB suffix, "
        "from 5MiB to 5GiB (default 8MiB).",
    ),
    Variable(
        "AWS_S3_UPLOAD_PARTS_IN_FLIGHT",
        "How many parts of one upload may be sent to S3 at once, from 1 to "
        f"{MAX_UPLOAD_PARTS_IN_FLIGHT} (default {DEFAULT_UPLOAD_PARTS_IN_FLIGHT}).",
    ),
)


def load_settings(environ: Mapping[str, str]) -> Settings:
    """
    Read and validate every setting from C{environ}.

    C{environ} is C{os.environ}, or C{os.environ} merged with the twistd
    option overrides; taking a mapping rather than reading C{os.environ}
    keeps this function pure and testable.  An empty string counts as unset,
    because container tooling often cannot unset a variable, only blank it.

    Checks run in the order of the L{Settings} fields, so the same bad
    environment always yields the same error.

    @raise ConfigError: for the first problem found.
    """
    mechanism = _optional(environ, "AWS_AUTH_MECHANISM") or AUTH_SECRET_ACCESS_KEY
    if mechanism not in _AUTH_MECHANISMS:
        raise ConfigError(
            "AWS_AUTH_MECHANISM",
            f"must be {AUTH_SECRET_ACCESS_KEY!r} or {AUTH_ECS_ROLE!r}, got {_show(mechanism)}",
        )
    if mechanism == AUTH_SECRET_ACCESS_KEY:
        because = f"is required when AWS_AUTH_MECHANISM is {AUTH_SECRET_ACCESS_KEY}"
        access_key_id = _required(environ, "AWS_ACCESS_KEY_ID", because)
        secret_access_key = _required(environ, "AWS_SECRET_ACCESS_KEY", because)
        session_token = _optional(environ, "AWS_SESSION_TOKEN")
    else:
        # The ECS role supplies its own rotating credentials; stray static
        # keys in the environment must not be mixed in with them.
        access_key_id = secret_access_key = session_token = None

    region = _required(environ, "AWS_S3_BUCKET_REGION")

    endpoint_given = _optional(environ, "AWS_ENDPOINT_URL_S3") is not None
    bucket_host = _optional(environ, "AWS_S3_BUCKET_HOST")
    if bucket_host is None:
        if not endpoint_given:
            raise ConfigError("AWS_S3_BUCKET_HOST", "is required unless AWS_ENDPOINT_URL_S3 is set")
    else:
        _check_bucket_host(bucket_host)

    bucket_name = _required(environ, "AWS_S3_BUCKET_NAME")
    if not _BUCKET_NAME.fullmatch(bucket_name):
        raise ConfigError(
            "AWS_S3_BUCKET_NAME",
            "must be 3 to 63 characters of a-z, 0-9, '.' and '-', starting and ending "
            f"with a letter or digit, got {_show(bucket_name)}",
        )

    dir_suffix = _optional(environ, "AWS_S3_BUCKET_DIR_SUFFIX") or DEFAULT_DIR_SUFFIX
    if not dir_suffix.startswith("/"):
        raise ConfigError(
            "AWS_S3_BUCKET_DIR_SUFFIX", f"must start with '/', got {_show(dir_suffix)}"
        )

    endpoint_url = _optional(environ, "AWS_ENDPOINT_URL_S3")
    if endpoint_url is not None:
        endpoint_url = _check_endpoint_url(endpoint_url)

    users = _load_users(environ)

    bind_address = _optional(environ, "FTP_BIND_ADDRESS")
    if bind_address is not None:
        try:
            ipaddress.ip_address(bind_address)
        except ValueError:
            raise ConfigError(
                "FTP_BIND_ADDRESS", f"must be an IPv4 or IPv6 address, got {_show(bind_address)}"
            ) from None

    command_port: int | None
    if (_optional(environ, "FTP_COMMAND_PORT") or "").strip().lower() == "off":
        command_port = None
    else:
        command_port = _port(environ, "FTP_COMMAND_PORT", DEFAULT_COMMAND_PORT)
    explicit_port = (
        _port(environ, "FTP_EXPLICIT_COMMAND_PORT", 0)
        if _optional(environ, "FTP_EXPLICIT_COMMAND_PORT")
        else None
    )
    if command_port is None and explicit_port is None:
        raise ConfigError("FTP_COMMAND_PORT", "is off, so FTP_EXPLICIT_COMMAND_PORT must be set")
    if command_port is not None and command_port == explicit_port:
        raise ConfigError(
            "FTP_EXPLICIT_COMMAND_PORT",
            f"must differ from FTP_COMMAND_PORT, both are {command_port}",
        )
    data_first = _port(environ, "FTP_DATA_PORTS_FIRST", DEFAULT_DATA_PORTS_FIRST)
    data_count = _integer(
        environ, "FTP_DATA_PORTS_COUNT", DEFAULT_DATA_PORTS_COUNT, 1, _MAX_PORT - _MIN_PORT + 1
    )
    data_last = data_first + data_count - 1
    if data_last > _MAX_PORT:
        raise ConfigError(
            "FTP_DATA_PORTS_COUNT",
            f"is too large: {data_count} ports from FTP_DATA_PORTS_FIRST {data_first} "
            f"would end at {data_last}, past {_MAX_PORT}",
        )

    cidr_to_domains = _load_cidr_to_domains(environ)

    healthcheck_port = _port(environ, "HEALTHCHECK_PORT", DEFAULT_HEALTHCHECK_PORT)
    for name, port in (
        ("FTP_COMMAND_PORT", command_port),
        ("FTP_EXPLICIT_COMMAND_PORT", explicit_port),
        ("HEALTHCHECK_PORT", healthcheck_port),
    ):
        if port is not None and data_first <= port <= data_last:
            raise ConfigError(
                "FTP_DATA_PORTS_FIRST",
                f"data ports {data_first}-{data_last} overlap {name} {port}",
            )
    for name, port in (
        ("FTP_COMMAND_PORT", command_port),
        ("FTP_EXPLICIT_COMMAND_PORT", explicit_port),
    ):
        if healthcheck_port == port:
            raise ConfigError("HEALTHCHECK_PORT", f"must differ from {name}, both are {port}")

    home = _optional(environ, "HOME") or os.path.expanduser("~")
    certificate_file = _optional(environ, "FTP_TLS_CERTIFICATE_FILE") or os.path.join(
        home, "ssl.crt"
    )
    key_file = _optional(environ, "FTP_TLS_KEY_FILE") or os.path.join(home, "ssl.key")
    require_reuse = _boolean(environ, "FTP_TLS_REQUIRE_SESSION_REUSE", default=False)

    part_size = _part_size(environ)
    parts_in_flight = _integer(
        environ,
        "AWS_S3_UPLOAD_PARTS_IN_FLIGHT",
        DEFAULT_UPLOAD_PARTS_IN_FLIGHT,
        1,
        MAX_UPLOAD_PARTS_IN_FLIGHT,
    )

    return Settings(
        aws_auth_mechanism=mechanism,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        aws_session_token=session_token,
        bucket_region=region,
        bucket_host=bucket_host,
        bucket_name=bucket_name,
        dir_suffix=dir_suffix,
        endpoint_url=endpoint_url,
        users=users,
        bind_address=bind_address,
        command_port=command_port,
        explicit_command_port=explicit_port,
        data_ports_first=data_first,
        data_ports_count=data_count,
        cidr_to_domains=cidr_to_domains,
        healthcheck_port=healthcheck_port,
        tls_certificate_file=certificate_file,
        tls_key_file=key_file,
        tls_require_session_reuse=require_reuse,
        upload_part_size=part_size,
        upload_parts_in_flight=parts_in_flight,
    )


def _show(value: str) -> str:
    """
    Quote a bad value for an error message.

    C{repr} escapes line breaks, keeping the message on one line, and a long
    value is cut short.  Never call this with a secret.
    """
    if len(value) > _SHOWN_VALUE_LENGTH:
        return f"{value[:_SHOWN_VALUE_LENGTH]!r}..."
    return repr(value)


def _optional(environ: Mapping[str, str], name: str) -> str | None:
    """
    The value of C{name}, with unset and empty both meaning C{None}.
    """
    value = environ.get(name, "")
    return value if value != "" else None


def _required(environ: Mapping[str, str], name: str, problem: str = "is required") -> str:
    """
    The value of C{name}, which must be set and non-empty.
    """
    value = _optional(environ, name)
    if value is None:
        raise ConfigError(name, problem)
    return value


_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _boolean(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    value = _optional(environ, name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigError(name, f"must be true or false, got {_show(value)}")


def _integer(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """
    An integer setting within C{low..high}, or C{default} when unset.

    Only plain decimal digits are accepted (surrounding whitespace aside):
    C{int()} alone would also take C{"+80"}, C{"8_021"} or non-ASCII digits,
    which are far more likely to be mistakes than intentions.
    """
    raw = _optional(environ, name)
    if raw is None:
        return default
    text = raw.strip()
    if _DIGITS.fullmatch(text) and len(text) <= 20:
        value = int(text)
        if low <= value <= high:
            return value
    raise ConfigError(name, f"must be an integer from {low} to {high}, got {_show(raw)}")


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    """
    A TCP port setting, or C{default} when unset.
    """
    return _integer(environ, name, default, _MIN_PORT, _MAX_PORT)


def _check_port_text(name: str, text: str, raw: str) -> None:
    """
    Check the port part of a C{host:port} value.
    """
    if not (_DIGITS.fullmatch(text) and len(text) <= 5 and _MIN_PORT <= int(text) <= _MAX_PORT):
        raise ConfigError(
            name, f"has an invalid port, which must be from 1 to 65535, got {_show(raw)}"
        )


def _check_bucket_host(host: str) -> None:
    """
    Check that C{AWS_S3_BUCKET_HOST} is a bare C{host[:port]}.

    The S3 client builds URLs from it, so a scheme or path here would produce
    nonsense like C{https://https://...}; full URLs belong in
    C{AWS_ENDPOINT_URL_S3}.
    """
    name = "AWS_S3_BUCKET_HOST"
    if "://" in host:
        raise ConfigError(
            name,
            "must be a bare host[:port] without a scheme (put full URLs in "
            f"AWS_ENDPOINT_URL_S3), got {_show(host)}",
        )
    bracketed = _BRACKETED_HOST.fullmatch(host)
    if bracketed is not None:
        address, port = bracketed.group("address"), bracketed.group("port")
        try:
            valid = isinstance(ipaddress.ip_address(address), ipaddress.IPv6Address)
        except ValueError:
            valid = False
        if not valid:
            raise ConfigError(name, f"has an invalid IPv6 address, got {_show(host)}")
    else:
        if host.count(":") > 1:
            raise ConfigError(
                name, f"must put an IPv6 address in brackets, as in [::1]:9000, got {_show(host)}"
            )
        hostname, colon, port_text = host.partition(":")
        if not _HOST_NAME.fullmatch(hostname):
            raise ConfigError(
                name,
                "must be a bare host[:port] of letters, digits, '.', '-' and '_', "
                f"got {_show(host)}",
            )
        port = port_text if colon else None
    if port is not None:
        _check_port_text(name, port, host)


def _check_endpoint_url(url: str) -> str:
    """
    Check C{AWS_ENDPOINT_URL_S3} and return it without its trailing slash.

    Only scheme, host and port are used: a path or query would be silently
    dropped by the client, so it is rejected rather than ignored.
    """
    name = "AWS_ENDPOINT_URL_S3"
    if any(character.isspace() for character in url):
        # urlsplit quietly strips some whitespace; refuse it instead.
        raise ConfigError(name, f"must not contain whitespace, got {_show(url)}")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ConfigError(name, f"is not a valid URL, got {_show(url)}") from None
    if parts.scheme not in ("http", "https"):
        raise ConfigError(name, f"must start with http:// or https://, got {_show(url)}")
    if "@" in parts.netloc:
        # Credentials embedded in the URL: do not quote them back.
        raise ConfigError(name, "must not contain a user name or password")
    if not parts.hostname:
        raise ConfigError(name, f"must include a host, got {_show(url)}")
    try:
        parts.port  # noqa: B018 - evaluated only for the ValueError it raises
    except ValueError:
        raise ConfigError(
            name, f"has an invalid port, which must be from 1 to 65535, got {_show(url)}"
        ) from None
    if parts.netloc.endswith(":"):
        raise ConfigError(name, f"has an empty port, got {_show(url)}")
    if parts.path not in ("", "/"):
        raise ConfigError(name, f"must not have a path, got {_show(url)}")
    if "?" in url or "#" in url:
        raise ConfigError(name, f"must not have a query or fragment, got {_show(url)}")
    return url[:-1] if url.endswith("/") else url


def _indexed(
    environ: Mapping[str, str], prefix: str, fields: tuple[str, ...]
) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """
    Group the C{<prefix><i>__<FIELD>} variables by integer index.

    Yields, in increasing order of C{int(i)}, one C{(names, values)} pair per
    index: C{names} maps every field to its variable name (as spelled in the
    environment when present), C{values} the field to its non-empty value.
    Ordering by integer rather than string keeps C{__10__} after C{__2__}.

    @raise ConfigError: for a malformed name, an unknown field, the same
        index spelt two ways, or a missing or empty field.
    """
    expected = " or ".join(fields)
    groups: dict[int, dict[str, str]] = {}
    spellings: dict[int, tuple[str, str]] = {}
    for key in sorted(k for k in environ if k.startswith(prefix)):
        index, separator, field_name = key[len(prefix) :].partition("__")
        if not separator:
            patterns = " or ".join(f"{prefix}<i>__{f}" for f in fields)
            raise ConfigError(key, f"must be named {patterns}")
        if not (_DIGITS.fullmatch(index) and len(index) <= 20):
            raise ConfigError(key, f"index {_show(index)} must be a non-negative integer")
        if field_name not in fields:
            raise ConfigError(key, f"unknown field {_show(field_name)}, expected {expected}")
        number = int(index)
        first_index, first_key = spellings.setdefault(number, (index, key))
        if first_index != index:
            raise ConfigError(
                key,
                f"index {index!r} is the same number as {first_index!r} in {first_key}; "
                "write each index the same way",
            )
        groups.setdefault(number, {})[field_name] = key

    for number in sorted(groups):
        present = groups[number]
        names = {f: present.get(f, f"{prefix}{spellings[number][0]}__{f}") for f in fields}
        values: dict[str, str] = {}
        for field_name in fields:
            name = names[field_name]
            if field_name not in present:
                others = ", ".join(present[f] for f in fields if f in present)
                raise ConfigError(name, f"is required because {others} is set")
            value = environ[name]
            if value == "":
                raise ConfigError(name, "must not be empty")
            values[field_name] = value
        yield names, values


def _load_users(environ: Mapping[str, str]) -> tuple[User, ...]:
    """
    Read the FTP accounts; there must be at least one, with distinct logins.
    """
    users: list[User] = []
    login_variables: dict[str, str] = {}
    for names, values in _indexed(environ, _USERS_PREFIX, _USER_FIELDS):
        login = values["LOGIN"]
        if login in login_variables:
            raise ConfigError(
                names["LOGIN"], f"login {_show(login)} is already used by {login_variables[login]}"
            )
        login_variables[login] = names["LOGIN"]
        users.append(User(login=login, password=values["PASSWORD"]))
    if not users:
        raise ConfigError(
            _FIRST_USER_LOGIN,
            f"at least one FTP user is required; set {_FIRST_USER_LOGIN} and "
            f"{_FIRST_USER_PASSWORD}",
        )
    return tuple(users)


def _load_cidr_to_domains(environ: Mapping[str, str]) -> tuple[CidrDomain, ...]:
    """
    Read the optional client-network-to-advertised-domain table, in index order.

    Order matters: the first matching network wins, so operators put narrow
    ranges before broad ones.
    """
    mappings: list[CidrDomain] = []
    for names, values in _indexed(environ, _CIDR_PREFIX, _CIDR_FIELDS):
        cidr = values["CIDR"]
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise ConfigError(names["CIDR"], f"{_show(cidr)} is not a valid CIDR range") from None
        mappings.append(CidrDomain(network=network, domain=values["DOMAIN"]))
    return tuple(mappings)


def _part_size(environ: Mapping[str, str]) -> int:
    """
    Read C{AWS_S3_UPLOAD_PART_SIZE}, in bytes or with a binary-unit suffix.

    Only KiB/MiB/GiB are understood: "MB" could mean 10**6 or 2**20, and
    guessing wrong near S3's 5 MiB minimum would fail uploads.
    """
    name = "AWS_S3_UPLOAD_PART_SIZE"
    raw = _optional(environ, name)
    if raw is None:
        return DEFAULT_UPLOAD_PART_SIZE
    match = _PART_SIZE.fullmatch(raw.strip())
    if match is None or len(match.group("number")) > 20:
        raise ConfigError(
            name,
            "must be a number of bytes, optionally followed by KiB, MiB or GiB "
            f"(such as 16MiB), got {_show(raw)}",
        )
    unit = match.group("unit")
    size = int(match.group("number")) * (_UNITS[unit.lower()] if unit else 1)
    if not MIN_UPLOAD_PART_SIZE <= size <= MAX_UPLOAD_PART_SIZE:
        raise ConfigError(
            name,
            f"must be from 5MiB to 5GiB ({MIN_UPLOAD_PART_SIZE} to {MAX_UPLOAD_PART_SIZE} "
            f"bytes), got {_show(raw)}",
        )
    return size
