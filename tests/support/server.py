"""
Run the real server in the test's own reactor, against the test S3 server.

Clients (ftplib in a thread, curl and lftp as processes) then talk to it
over loopback exactly as they would to a deployed server.
"""

from __future__ import annotations

import os
import random
import socket
from dataclasses import dataclass
from typing import Any

from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.logger import ILogObserver, formatEvent
from zope.interface import implementer

from twisted_ftps3.config import Settings, load_settings
from twisted_ftps3.tap import FTPS3Service, build_service

from .clients import tls_certificate
from .environment import MINIMAL, environment

# Re-exported: the integration tests log in as this user.
from .environment import PASSWORD as PASSWORD
from .environment import USER as USER
from .s3server import S3Server


def ipv6_loopback() -> bool:
    """Whether this host can listen on ::1 (many containers cannot)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


#: Every port L{free_port} has given in this process.
_given: set[int] = set()


def free_port() -> int:
    """
    A TCP port free on 127.0.0.1 right now, and not given before in this
    process: the kernel may hand out a port it just freed again at once, so
    that two settings asked for one after the other (the command port and
    the health check's) would otherwise be the same port now and then.
    """
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _given:
            _given.add(port)
            return port


def free_port_range(count: int) -> int:
    """The first of C{count} consecutive ports that are free on 127.0.0.1 right now."""
    for _ in range(200):
        first = random.randrange(20000, 60000 - count)
        sockets = []
        try:
            for port in range(first, first + count):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free port range")


def certified_environment(directory: str, **overrides: str | None) -> dict[str, str]:
    """
    The minimal environment with a certificate in C{directory}, bound to
    127.0.0.1: enough to build the whole service tree over a memory reactor.
    """
    certificate, key = tls_certificate(directory)
    return environment(
        MINIMAL,
        {
            "FTP_TLS_CERTIFICATE_FILE": certificate,
            "FTP_TLS_KEY_FILE": key,
            "FTP_BIND_ADDRESS": "127.0.0.1",
        },
        **overrides,
    )


def loopback_environment(
    s3: S3Server, bucket: str, directory: str, **overrides: str | None
) -> dict[str, str]:
    """The environment of a server on loopback in front of C{bucket}."""
    certificate, key = tls_certificate(directory)
    served = {
        "AWS_AUTH_MECHANISM": "secret_access_key",
        "AWS_ACCESS_KEY_ID": s3.access_key_id,
        "AWS_SECRET_ACCESS_KEY": s3.secret_access_key,
        "AWS_S3_BUCKET_REGION": s3.region,
        "AWS_S3_BUCKET_HOST": "s3.invalid",
        "AWS_S3_BUCKET_NAME": bucket,
        "AWS_ENDPOINT_URL_S3": s3.endpoint_url,
        "FTP_BIND_ADDRESS": "127.0.0.1",
        "FTP_COMMAND_PORT": str(free_port()),
        "FTP_DATA_PORTS_FIRST": str(free_port_range(8)),
        "FTP_DATA_PORTS_COUNT": "8",
        "HEALTHCHECK_PORT": str(free_port()),
        # A test that stops the server mid-transfer should not wait 25 seconds.
        "FTP_SHUTDOWN_GRACE_SECONDS": "2",
        "FTP_TLS_CERTIFICATE_FILE": certificate,
        "FTP_TLS_KEY_FILE": key,
        "HOME": directory,
    }
    return environment(MINIMAL, served, **overrides)


@implementer(ILogObserver)
class LogCapture:
    """Every log event emitted while it is attached."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def texts(self) -> list[str]:
        return [formatEvent(event) for event in self.events]


@dataclass
class RunningServer:
    """A started server and what a test needs to reach it."""

    settings: Settings
    service: FTPS3Service
    certificate: str

    @property
    def port(self) -> int:
        assert self.settings.ftp.command_port is not None
        return self.settings.ftp.command_port

    @property
    def explicit_port(self) -> int:
        assert self.settings.ftp.explicit_command_port is not None
        return self.settings.ftp.explicit_command_port

    async def stop(self) -> None:
        await self.service.stopService()
        # Let the sessions that were open notice their connections closing,
        # so that trial finds the reactor clean.
        for _ in range(100):
            if not self.service.sessions:
                break
            await deferLater(reactor, 0.05, lambda: None)
        await deferLater(reactor, 0, lambda: None)


def start_server(
    s3: S3Server,
    bucket: str,
    directory: str,
    **overrides: str | None,
) -> RunningServer:
    """
    Build and start a server; the caller must C{await server.stop()}.
    """
    os.makedirs(directory, exist_ok=True)
    environ = loopback_environment(s3, bucket, directory, **overrides)
    settings = load_settings(environ)
    service = build_service(settings, reactor, environ)
    service.startService()
    return RunningServer(settings, service, settings.tls.certificate_file)
