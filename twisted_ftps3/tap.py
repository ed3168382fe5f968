# -*- test-case-name: tests.test_startup -*-
"""
C{twistd ftps3}: the options, and the service tree they build.

Every setting comes from the environment (see L{twisted_ftps3.config}); an
option of the same name overrides it. The options are generated from the
declared settings, so a new setting is an option without a line here.
L{makeService} warns of variables that look like settings but are none, then
L{build_service} wires the parts together, each from its own section of the
settings: the S3 client over one HTTP connection pool, the users (re-read from
the users file on SIGHUP, L{twisted_ftps3.directory}), the thread pool that
checks their passwords, the portal that gives each a shell at their home, the
FTP listeners with the login defence and session limits they share, the
health check, a service that aborts uploads in progress
when the server stops, and the clean-up services: the retrier of failed
aborts, the sweeper of abandoned uploads and the lifecycle check.

Stopping drains first (L{twisted_ftps3.drain}): the command ports stop
listening, the health check answers 503, and transfers in progress have
C{FTP_SHUTDOWN_GRACE_SECONDS} to finish; then what is left is aborted, the
sessions are closed, and the other services stop.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

import treq.client
from twisted.application.internet import StreamServerEndpointService
from twisted.application.service import IService, MultiService, Service
from twisted.cred.portal import Portal
from twisted.internet.defer import Deferred, ensureDeferred, succeed
from twisted.logger import Logger
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.python import usage
from twisted.web.client import Agent, HTTPConnectionPool

from .auth import S3Realm, UsersChecker
from .collector import CollectorTuning
from .config import (
    FAMILIES,
    SETTINGS,
    AccessSettings,
    ConfigError,
    Family,
    FamilyOption,
    FTPSettings,
    LimitSettings,
    S3Settings,
    Settings,
    load_settings,
    unknown_variables,
)
from .config.load import user_places
from .defence import LoginDefence
from .directory import ReloadOnSignal, UserDirectory, install_sighup
from .drain import Drain, GracefulStop, SignalInstaller, install_signal_handlers
from .health import health_site
from .lifetime import end_sessions
from .listen import host_has_ipv6, server_endpoints
from .locks import KeyLocks
from .passive import PassiveAddressMap
from .passwords import PasswordVerifier, VerifierPool
from .ports import PassivePortPool
from .protocol import FTPS3Factory
from .s3.aborts import AbortRetrier
from .s3.client import S3Client
from .s3.connections import S3Endpoints
from .s3.credentials import CredentialsError, provider_from_settings
from .s3.http import S3Requester
from .s3.lifecycle import LifecycleCheck
from .s3.retry import RetryPolicy
from .s3.sweeper import AbandonedUploadSweeper
from .s3.upload import UploadRegistry
from .sessions import SessionLimits
from .shell import ShellFactory
from .timeouts import Timeouts
from .tls import ServerTLS, load_tls

log = Logger()


def _family_help(family: Family) -> str:
    """One sentence on a family for C{--help}: its variables and what they mean."""
    return f"{' '.join(family.patterns)}: {family.help}"


class Options(usage.Options):
    """
    The options of C{twistd ftps3}, generated from the declared settings:
    each overrides the environment variable of the same name, and each
    family's option replaces the family. Secrets are better left in the
    environment: the command line is visible to every user of the machine.
    """

    synopsis = "[options]"
    longdesc = " ".join(
        [
            "An FTPS server that stores every file in an S3 bucket. Every option "
            "overrides the environment variable of the same name in upper case "
            "(--ftp-command-port overrides FTP_COMMAND_PORT).",
            *(_family_help(family) for family in FAMILIES),
        ]
    )
    optParameters = [
        [setting.option, None, None, f"{setting.help_text} [{setting.name}]"]
        for setting in SETTINGS
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[dict[str, str]]] = {family.prefix: [] for family in FAMILIES}

    def environ(self, base: Mapping[str, str]) -> dict[str, str]:
        """C{base} with every option given laid over it."""
        merged = dict(base)
        for setting in SETTINGS:
            value = self[setting.option]
            if value is not None:
                merged[setting.name] = value
        for family in FAMILIES:
            if self.rows[family.prefix]:
                family.overlay(merged, self.rows[family.prefix])
        return merged


def _family_handler(family: Family, option: FamilyOption) -> Callable[[Options, str], None]:
    """The C{opt_} method of C{option}: one more row of C{family}."""

    def handler(self: Options, value: str) -> None:
        row = option.split(value)
        if row is None:
            raise usage.UsageError(f"--{option.name} takes {option.pattern}")
        self.rows[family.prefix].append(row)

    handler.__doc__ = f"{option.pattern} {option.help} Replaces every {family.prefix}i__ variable."
    return handler


def _add_family_options(options: type[Options]) -> None:
    """Give C{options} an C{opt_} method for each family that has an option."""
    for family in FAMILIES:
        if family.option is not None:
            name = "opt_" + family.option.name.replace("-", "_")
            setattr(options, name, _family_handler(family, family.option))


_add_family_options(Options)


class _S3Lifetime(Service):
    """
    On shutdown, abort every upload in progress, wait a little for aborts
    that failed and are being retried, then close the HTTP pool: a stopped
    server leaves neither a partial object nor an open multipart upload
    behind.
    """

    def __init__(
        self, uploads: UploadRegistry, pool: HTTPConnectionPool, aborts: AbortRetrier
    ) -> None:
        self._uploads = uploads
        self._pool = pool
        self._aborts = aborts

    def stopService(self) -> Deferred[None]:
        super().stopService()

        async def stop() -> None:
            try:
                await self._uploads.abort_all("server shutting down")
                await self._aborts.settle()
            finally:
                await self._pool.closeCachedConnections()

        return ensureDeferred(stop())


class _Listeners(MultiService):
    """The command ports, which a drain stops first; stopping them again does nothing."""

    def stopService(self) -> Deferred[Any]:
        if not self.running:
            return succeed(None)
        return super().stopService()


class FTPS3Service(MultiService):
    """
    The whole server: its listeners and S3 lifetime as child services, and
    the shared parts a test or an operator tool may want to look at.

    Stopping it drains (see L{stop}) before the child services stop.
    """

    def __init__(
        self,
        factories: list[FTPS3Factory],
        uploads: UploadRegistry,
        client: S3Client,
        graceful: GracefulStop,
        clock: Any,
    ) -> None:
        super().__init__()
        self.factories = factories
        self.uploads = uploads
        self.client = client
        self.graceful = graceful
        self.clock = clock
        #: Who may log in; set by L{build_service}.
        self.directory: UserDirectory | None = None
        self.listeners = _Listeners()
        self.listeners.setServiceParent(self)

    @property
    def drain(self) -> Drain:
        """Whether the server drains, and the transfers it waits for."""
        return self.graceful.drain

    @property
    def factory(self) -> FTPS3Factory:
        """The first FTP listener's factory (the implicit one when both run)."""
        return self.factories[0]

    @property
    def sessions(self) -> int:
        """FTP sessions open now, on every listener."""
        return sum(factory.connectionCount for factory in self.factories)

    def stopService(self) -> Deferred[None]:
        return ensureDeferred(self.stop())

    async def stop(self) -> None:
        """
        Drain, then stop: the command ports stop listening and transfers in
        progress have the grace period to finish; those left are aborted
        (426, nothing left in S3), every session is closed (421), and the
        other services stop, the S3 lifetime aborting any upload still
        registered.
        """
        await self.graceful.run(self.listeners.stopService)
        await end_sessions(self.factories, self.drain, self.clock)
        await super().stopService()


def _object_store(
    s3: S3Settings, limits: LimitSettings, reactor: Any, environ: Mapping[str, str]
) -> tuple[S3Client, HTTPConnectionPool]:
    """The S3 client for C{s3}, and the connection pool it sends over."""
    pool = HTTPConnectionPool(reactor, persistent=True)
    # Every request S3 may have in flight keeps its connection for the next:
    # a pool smaller than the bound closed the surplus after each answer, and
    # a burst opened (over HTTPS, and handshook) a connection per request.
    pool.maxPersistentPerHost = max(
        4 * limits.upload_parts_in_flight + 8, s3.max_concurrent_requests
    )
    # Below S3's idle timeout, so that a pooled connection is never one S3
    # has already closed.
    pool.cachedConnectionTimeout = 15
    credentials = provider_from_settings(
        s3.auth_mechanism,
        access_key_id=s3.access_key_id,
        secret_access_key=s3.secret_access_key,
        session_token=s3.session_token,
        http=treq.client.HTTPClient(Agent(reactor, connectTimeout=5)),
        clock=reactor,
        environ=environ,
    )
    client = S3Client(
        S3Requester(
            agent=Agent.usingEndpointFactory(reactor, S3Endpoints(reactor, 10), pool=pool),
            credentials=credentials,
            endpoint=s3.endpoint,
            bucket=s3.bucket,
            region=s3.region,
            clock=reactor,
            retry=RetryPolicy(patience=s3.retry_seconds),
            concurrency=s3.max_concurrent_requests,
        ),
        checksum=s3.checksum,
    )
    return client, pool


def _portal(
    client: S3Client,
    s3: S3Settings,
    limits: LimitSettings,
    directory: UserDirectory,
    verifier: PasswordVerifier,
) -> tuple[Portal, UploadRegistry]:
    """
    The portal that logs C{directory}'s users in, their passwords checked
    by C{verifier}, to shells over C{client} at their homes; and the
    registry of their uploads.
    """
    uploads = UploadRegistry()
    shells = ShellFactory(
        client,
        dir_suffix=s3.dir_suffix,
        locks=KeyLocks(),
        uploads=uploads,
        part_size=limits.upload_part_size,
        parts_in_flight=limits.upload_parts_in_flight,
    )
    checker = UsersChecker(directory, verifier)
    return Portal(S3Realm(directory, shells), [checker]), uploads


def _timeouts(ftp: FTPSettings) -> Timeouts:
    """The bounds on slow and dead peers, from C{ftp}."""
    return Timeouts(
        tls_handshake=ftp.tls_handshake_timeout_seconds,
        data_idle=ftp.data_idle_timeout_seconds,
        login=ftp.login_timeout_seconds,
    )


def _listeners(
    portal: Portal,
    ftp: FTPSettings,
    tls: ServerTLS,
    require_session_reuse: bool,
    reactor: Any,
    drain: Drain,
    access: AccessSettings,
) -> list[tuple[int, FTPS3Factory, Any]]:
    """Each command port to serve, with its FTP factory and what listens on it."""
    ports = PassivePortPool(ftp.data_ports)
    addresses = PassiveAddressMap(ftp.cidr_to_domains)
    timeouts = _timeouts(ftp)
    defence = LoginDefence(
        reactor,
        access.login_max_failures,
        access.login_failure_window_seconds,
        access.login_ban_seconds,
    )
    limits = SessionLimits(access.max_sessions, access.max_sessions_per_address)

    def factory(implicit: bool) -> FTPS3Factory:
        # Both listeners draw on one pool of passive ports and one map, and
        # count failed logins and sessions together.
        return FTPS3Factory(
            portal,
            tls=tls,
            ports=ports,
            addresses=addresses,
            reactor=reactor,
            clock=reactor,
            resolve=reactor.resolve,
            data_interface=ftp.bind_address or "",
            implicit=implicit,
            require_session_reuse=require_session_reuse,
            log_debug=ftp.log_level == "debug",
            timeouts=timeouts,
            drain=drain,
            defence=defence,
            limits=limits,
        )

    listeners: list[tuple[int, FTPS3Factory, Any]] = []
    if ftp.command_port is not None:
        implicit = factory(implicit=True)
        listeners.append((ftp.command_port, implicit, TLSMemoryBIOFactory(tls, False, implicit)))
    if ftp.explicit_command_port is not None:
        explicit = factory(implicit=False)
        listeners.append((ftp.explicit_command_port, explicit, explicit))
    return listeners


def _cleanup_services(
    client: S3Client, s3: S3Settings, uploads: UploadRegistry, aborts: AbortRetrier, reactor: Any
) -> list[IService]:
    """
    What leaves nothing behind in the bucket: the retrier of aborts that
    failed, the sweeper of uploads abandoned by a killed process (under the
    whole bucket, the server's part of it for now), and the start-up check
    of the bucket's lifecycle rules.
    """
    sweeper = AbandonedUploadSweeper(
        client,
        reactor,
        older_than=s3.abandoned_upload_seconds,
        interval=s3.sweep_interval_seconds,
        in_progress=uploads.upload_ids,
        prefix="",
    )
    return [aborts, sweeper, LifecycleCheck(client, reactor, prefix="")]


def build_service(
    settings: Settings,
    reactor: Any,
    environ: Mapping[str, str],
    install_signals: SignalInstaller | None = None,
    install_reload_signal: SignalInstaller | None = None,
) -> FTPS3Service:
    """
    The whole server for C{settings}, not yet started.

    @param install_signals: how a drain catches the second SIGTERM or
        SIGINT that cuts it short; by default, real signal handlers.
    @param install_reload_signal: how the users file is re-read on SIGHUP;
        by default, a real signal handler.
    """
    tls = load_tls(settings.tls.certificate_file, settings.tls.key_file)
    users_file = settings.access.users_file
    directory = UserDirectory(settings.users, users_file, places=user_places(environ))
    client, pool = _object_store(settings.s3, settings.limits, reactor, environ)
    verifiers = VerifierPool()
    verifier = PasswordVerifier(reactor, verifiers.threadpool, directory.users)
    directory.on_change(verifier.update)
    portal, uploads = _portal(client, settings.s3, settings.limits, directory, verifier)
    drain = Drain(reactor)
    listeners = _listeners(
        portal,
        settings.ftp,
        tls,
        settings.tls.require_session_reuse,
        reactor,
        drain,
        settings.access,
    )
    graceful = GracefulStop(
        drain,
        clock=reactor,
        grace=settings.ftp.shutdown_grace_seconds,
        install_signals=install_signals or install_signal_handlers(reactor),
    )
    service = FTPS3Service([f for _, f, _ in listeners], uploads, client, graceful, reactor)
    service.directory = directory
    CollectorTuning().setServiceParent(service)
    verifiers.setServiceParent(service)
    if users_file is not None:
        reload = ReloadOnSignal(directory.reload, install_reload_signal or install_sighup(reactor))
        reload.setServiceParent(service)
    aborts = AbortRetrier(reactor)
    client.aborts = aborts
    _S3Lifetime(uploads, pool, aborts).setServiceParent(service)
    for cleanup in _cleanup_services(client, settings.s3, uploads, aborts, reactor):
        cleanup.setServiceParent(service)
    _listen(service, settings.ftp, listeners, drain, reactor)
    return service


def _listen(
    service: FTPS3Service,
    ftp: FTPSettings,
    listeners: list[tuple[int, FTPS3Factory, Any]],
    drain: Drain,
    reactor: Any,
) -> None:
    """
    Listen on every command port and the health check's, on the bound
    address or on every address of both families where the host has IPv6.
    """
    bind_address = ftp.bind_address
    ipv6 = bind_address is None and host_has_ipv6()
    if bind_address is None and not ipv6:
        log.info("this host has no IPv6: listening on IPv4 addresses only")
    for port, _, listening in listeners:
        for endpoint in server_endpoints(reactor, bind_address, port, ipv6=ipv6):
            StreamServerEndpointService(endpoint, listening).setServiceParent(service.listeners)
    for endpoint in server_endpoints(reactor, bind_address, ftp.healthcheck_port, ipv6=ipv6):
        StreamServerEndpointService(endpoint, health_site(drain)).setServiceParent(service)


def warn_unknown(environ: Mapping[str, str]) -> None:
    """
    Log a warning for each variable of C{environ} that looks like a setting
    but is none: a typo, or a setting of another version, would otherwise
    change nothing without a word. Only names are logged, never values.
    """
    for name, closest in unknown_variables(environ):
        log.warn(
            "{name} is not a setting of this server and is ignored; the closest known"
            " name is {closest}",
            name=name,
            closest=closest,
        )


def makeService(
    config: Options, reactor: Any = None, environ: Mapping[str, str] | None = None
) -> IService:
    """
    Build the server from the environment and C{config}, after logging a
    warning for each variable that looks like a setting but is none.

    A bad setting ends the process here with one line on stderr naming the
    variable, and exit status 1: an operator needs the line, not a traceback.
    """
    if reactor is None:
        from twisted.internet import reactor
    base = os.environ if environ is None else environ
    merged = config.environ(base)
    warn_unknown(merged)
    try:
        settings = load_settings(merged)
        return build_service(settings, reactor, merged)
    except (ConfigError, CredentialsError) as e:
        sys.stderr.write(f"twistd ftps3: configuration error: {e}\n")
        raise SystemExit(1) from None
