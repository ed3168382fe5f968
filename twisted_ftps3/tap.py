# -*- test-case-name: tests.test_startup -*-
"""
C{twistd ftps3}: the options, and the service tree they build.

Every setting comes from the environment (see L{twisted_ftps3.config}); an
option of the same name overrides it. L{makeService} wires the parts
together: the S3 client over one HTTP connection pool, the portal, the
implicit-TLS FTP listener, the health check, and a service that aborts
uploads in progress when the server stops.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

import treq.client
from twisted.application.internet import StreamServerEndpointService
from twisted.application.service import IService, MultiService, Service
from twisted.cred.portal import Portal
from twisted.internet.defer import Deferred, ensureDeferred
from twisted.logger import Logger
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.python import usage
from twisted.web.client import Agent, HTTPConnectionPool

from .auth import S3Realm, UsersChecker
from .config import VARIABLES, ConfigError, Settings, load_settings
from .health import health_site
from .keys import KeyMap
from .listen import host_has_ipv6, server_endpoints
from .locks import PathLocks
from .passive import PassiveAddressMap
from .ports import PassivePortPool
from .protocol import FTPS3Factory
from .s3.client import S3Client
from .s3.credentials import CredentialsError, provider_from_settings
from .s3.upload import UploadRegistry
from .shell import S3Shell
from .tls import load_tls

log = Logger()


def _option_name(variable: str) -> str:
    return variable.lower().replace("_", "-")


class Options(usage.Options):
    """
    The options of C{twistd ftps3}; each overrides the environment variable
    of the same name. Secrets are better left in the environment: the
    command line is visible to every user of the machine.
    """

    synopsis = "[options]"
    longdesc = (
        "An FTPS server that stores every file in an S3 bucket. Every option "
        "overrides the environment variable of the same name in upper case "
        "(--ftp-command-port overrides FTP_COMMAND_PORT)."
    )
    optParameters = [[_option_name(v.name), None, None, f"{v.help} [{v.name}]"] for v in VARIABLES]

    def __init__(self) -> None:
        super().__init__()
        self["users"] = []
        self["cidr_to_domains"] = []

    def opt_ftp_user(self, value: str) -> None:
        """LOGIN:PASSWORD of a user; repeat for more. Replaces every FTP_USERS__i__ variable."""
        login, colon, password = value.partition(":")
        if not colon:
            raise usage.UsageError("--ftp-user takes LOGIN:PASSWORD")
        self["users"].append((login, password))

    def opt_ftp_data_cidr_to_domain(self, value: str) -> None:
        """CIDR=DOMAIN for PASV replies; repeat, first match wins. Replaces the env ones."""
        cidr, equals, domain = value.partition("=")
        if not equals:
            raise usage.UsageError("--ftp-data-cidr-to-domain takes CIDR=DOMAIN")
        self["cidr_to_domains"].append((cidr, domain))

    def environ(self, base: Mapping[str, str]) -> dict[str, str]:
        """C{base} with every option given laid over it."""
        merged = dict(base)
        for variable in VARIABLES:
            value = self[_option_name(variable.name)]
            if value is not None:
                merged[variable.name] = value
        _replace_indexed(merged, "FTP_USERS__", ("LOGIN", "PASSWORD"), self["users"])
        _replace_indexed(
            merged, "FTP_DATA_CIDR_TO_DOMAINS__", ("CIDR", "DOMAIN"), self["cidr_to_domains"]
        )
        return merged


def _replace_indexed(
    environ: dict[str, str], prefix: str, fields: tuple[str, str], values: list[tuple[str, str]]
) -> None:
    if not values:
        return
    for name in [name for name in environ if name.startswith(prefix)]:
        del environ[name]
    for index, pair in enumerate(values, start=1):
        for field, value in zip(fields, pair, strict=True):
            environ[f"{prefix}{index}__{field}"] = value


class _S3Lifetime(Service):
    """
    On shutdown, abort every upload in progress, then close the HTTP pool:
    a stopped server leaves neither a partial object nor an open multipart
    upload behind.
    """

    def __init__(self, uploads: UploadRegistry, pool: HTTPConnectionPool) -> None:
        self._uploads = uploads
        self._pool = pool

    def stopService(self) -> Deferred[None]:
        super().stopService()

        async def stop() -> None:
            try:
                await self._uploads.abort_all("server shutting down")
            finally:
                await self._pool.closeCachedConnections()

        return ensureDeferred(stop())


class FTPS3Service(MultiService):
    """
    The whole server: its listeners and S3 lifetime as child services, and
    the shared parts a test or an operator tool may want to look at.
    """

    def __init__(
        self, factories: list[FTPS3Factory], uploads: UploadRegistry, client: S3Client
    ) -> None:
        super().__init__()
        self.factories = factories
        self.uploads = uploads
        self.client = client

    @property
    def factory(self) -> FTPS3Factory:
        """The first FTP listener's factory (the implicit one when both run)."""
        return self.factories[0]

    @property
    def sessions(self) -> int:
        """FTP sessions open now, on every listener."""
        return sum(factory.connectionCount for factory in self.factories)


def build_service(settings: Settings, reactor: Any, environ: Mapping[str, str]) -> FTPS3Service:
    """The whole server for C{settings}, not yet started."""
    tls = load_tls(settings.tls_certificate_file, settings.tls_key_file)

    pool = HTTPConnectionPool(reactor, persistent=True)
    pool.maxPersistentPerHost = 4 * settings.upload_parts_in_flight + 8
    # Below S3's idle timeout, so that a pooled connection is never one S3
    # has already closed.
    pool.cachedConnectionTimeout = 15
    credentials = provider_from_settings(
        settings.aws_auth_mechanism,
        access_key_id=settings.aws_access_key_id,
        secret_access_key=settings.aws_secret_access_key,
        session_token=settings.aws_session_token,
        http=treq.client.HTTPClient(Agent(reactor, connectTimeout=5)),
        clock=reactor,
        environ=environ,
    )
    client = S3Client(
        agent=Agent(reactor, pool=pool, connectTimeout=10),
        credentials=credentials,
        endpoint=settings.s3_endpoint,
        bucket=settings.bucket_name,
        region=settings.bucket_region,
        clock=reactor,
    )
    uploads = UploadRegistry()
    keys = KeyMap(settings.dir_suffix)
    locks = PathLocks()

    def make_shell(user: str) -> S3Shell:
        return S3Shell(
            client,
            keys=keys,
            locks=locks,
            uploads=uploads,
            part_size=settings.upload_part_size,
            parts_in_flight=settings.upload_parts_in_flight,
        )

    portal = Portal(S3Realm(make_shell), [UsersChecker(settings.users)])
    ports = PassivePortPool(settings.data_ports)
    addresses = PassiveAddressMap(settings.cidr_to_domains)

    def factory(implicit: bool) -> FTPS3Factory:
        # Both listeners draw on one pool of passive ports and one map.
        return FTPS3Factory(
            portal,
            tls=tls,
            ports=ports,
            addresses=addresses,
            reactor=reactor,
            clock=reactor,
            resolve=reactor.resolve,
            data_interface=settings.bind_address or "",
            implicit=implicit,
            require_session_reuse=settings.tls_require_session_reuse,
        )

    listeners: list[tuple[int, FTPS3Factory, Any]] = []
    if settings.command_port is not None:
        implicit = factory(implicit=True)
        listeners.append(
            (settings.command_port, implicit, TLSMemoryBIOFactory(tls, False, implicit))
        )
    if settings.explicit_command_port is not None:
        explicit = factory(implicit=False)
        listeners.append((settings.explicit_command_port, explicit, explicit))

    service = FTPS3Service([f for _, f, _ in listeners], uploads, client)
    _S3Lifetime(uploads, pool).setServiceParent(service)
    ipv6 = settings.bind_address is None and host_has_ipv6()
    if settings.bind_address is None and not ipv6:
        log.info("this host has no IPv6: listening on IPv4 addresses only")
    served = [(port, listening) for port, _, listening in listeners]
    for port, listening in [*served, (settings.healthcheck_port, health_site())]:
        for endpoint in server_endpoints(reactor, settings.bind_address, port, ipv6=ipv6):
            StreamServerEndpointService(endpoint, listening).setServiceParent(service)
    return service


def makeService(
    config: Options, reactor: Any = None, environ: Mapping[str, str] | None = None
) -> IService:
    """
    Build the server from the environment and C{config}.

    A bad setting ends the process here with one line on stderr naming the
    variable, and exit status 1: an operator needs the line, not a traceback.
    """
    if reactor is None:
        from twisted.internet import reactor
    base = os.environ if environ is None else environ
    merged = config.environ(base)
    try:
        settings = load_settings(merged)
        return build_service(settings, reactor, merged)
    except (ConfigError, CredentialsError) as e:
        sys.stderr.write(f"twistd ftps3: configuration error: {e}\n")
        raise SystemExit(1) from None
