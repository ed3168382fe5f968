# -*- test-case-name: tests.test_config -*-
"""
The validated settings, one frozen value per section of the server.

Each part of the server is given only the section it needs: the S3 client
the L{S3Settings}, the listeners the L{FTPSettings} and L{TLSSettings}, the
checker the users, the writer the L{LimitSettings}.  Which environment
variable fills which field is declared in L{twisted_ftps3.config.declarations};
these classes only hold the results.  Secrets are left out of C{repr}, so that
logging a settings value can never leak one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..permissions import Permissions

__all__ = [
    "AccessSettings",
    "CidrDomain",
    "FTPSettings",
    "LimitSettings",
    "S3Settings",
    "Settings",
    "TLSSettings",
    "User",
]


@dataclass(frozen=True)
class User:
    """
    One FTP account, from the environment or the users file.

    Exactly one of C{password} (in the clear, as the reference takes it)
    and C{password_hash} is set. Both are left out of C{repr} so that
    logging a L{Settings} (or a user) can never leak them.

    @ivar home: the key prefix that is the user's C{/}, such as
        C{"partners/acme/"} (always ending in C{/}), or C{""} for the
        whole bucket.
    @ivar allowed_cidrs: the networks the user may log in from; empty for
        anywhere.
    @ivar max_sessions: how many sessions the user may have at once;
        C{None} for no limit of its own.
    """

    login: str
    password: str | None = field(default=None, repr=False)
    password_hash: str | None = field(default=None, repr=False)
    home: str = ""
    permissions: Permissions = field(default_factory=Permissions.everywhere)
    allowed_cidrs: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    max_sessions: int | None = None


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
class S3Settings:
    """
    Where the files live and how to sign requests for them.
    """

    auth_mechanism: str
    access_key_id: str | None
    secret_access_key: str | None = field(repr=False)
    session_token: str | None = field(repr=False)
    region: str
    host: str | None
    bucket: str
    dir_suffix: str
    endpoint_url: str | None
    #: The age from which the sweeper aborts a multipart upload.
    abandoned_upload_seconds: int
    #: The time between two sweeps.
    sweep_interval_seconds: int
    #: Seconds from a request's first attempt during which S3's transient
    #: failures are retried.
    retry_seconds: int
    #: How many requests may wait on S3 at once; the others queue.
    max_concurrent_requests: int = 64
    #: The checksum object data goes with: one of L{twisted_ftps3.s3.checksums.CHECKSUMS}.
    checksum: str = "auto"

    @property
    def endpoint(self) -> tuple[str, str]:
        """
        Where to send S3 requests, as C{(scheme, "host[:port]")}.

        An explicit C{AWS_ENDPOINT_URL_S3} (MinIO, moto, a VPC endpoint) wins;
        otherwise the bucket host is reached over HTTPS, as AWS requires.
        """
        if self.endpoint_url is not None:
            parts = urlsplit(self.endpoint_url)
            return (parts.scheme, parts.netloc)
        if self.host is None:
            raise ValueError("S3Settings has neither endpoint_url nor host")
        return ("https", self.host)


@dataclass(frozen=True)
class TLSSettings:
    """
    The certificate the server presents, and how strict it is about data connections.
    """

    certificate_file: str
    key_file: str
    require_session_reuse: bool


@dataclass(frozen=True)
class FTPSettings:
    """
    What the FTP server listens on and advertises.
    """

    bind_address: str | None
    command_port: int | None
    explicit_command_port: int | None
    data_ports_first: int
    data_ports_count: int
    cidr_to_domains: tuple[CidrDomain, ...]
    healthcheck_port: int
    #: How long a shutdown lets transfers in progress finish (SIGTERM).
    shutdown_grace_seconds: int = 25
    #: How long a TLS handshake may take, on control and data connections.
    tls_handshake_timeout_seconds: int = 30
    #: How long a data connection may move nothing while the server waits on its client.
    data_idle_timeout_seconds: int = 300
    #: How long a control connection may stay open without logging in.
    login_timeout_seconds: int = 60
    #: FTP_LOG_LEVEL: 'debug' logs every command, data connection and session end.
    log_level: str = "info"

    @property
    def data_ports(self) -> range:
        """
        The passive-mode data ports, as one object to iterate or test membership in.
        """
        return range(self.data_ports_first, self.data_ports_first + self.data_ports_count)


@dataclass(frozen=True)
class LimitSettings:
    """
    How much of the machine one transfer may use.
    """

    upload_part_size: int
    upload_parts_in_flight: int


@dataclass(frozen=True)
class AccessSettings:
    """
    Who may connect and log in, and how often they may fail.
    """

    #: The JSON users file, re-read on SIGHUP; C{None} for none.
    users_file: str | None
    #: How many failed logins from one address within the window start a ban.
    login_max_failures: int = 5
    #: The window, in seconds, in which failed logins are counted.
    login_failure_window_seconds: int = 300
    #: How long, in seconds, a banned address is refused every login.
    login_ban_seconds: int = 900
    #: How many sessions the process serves at once, logged in or not.
    max_sessions: int = 1000
    #: How many sessions one client address may have at once.
    max_sessions_per_address: int = 50


@dataclass(frozen=True)
class Settings:
    """
    The whole, already-validated configuration of one server process.

    Build it with L{twisted_ftps3.config.load_settings}; the rest of the code
    can then trust every field without re-checking it.
    """

    s3: S3Settings
    tls: TLSSettings
    ftp: FTPSettings
    users: tuple[User, ...]
    limits: LimitSettings
    access: AccessSettings
