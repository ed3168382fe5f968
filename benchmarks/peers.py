"""
The two FTPS servers the comparison runs side by side, in front of one S3
server and one bucket: this one (C{twistd -n ftps3}, through L{harness}) and
C{rclone serve ftp} with an S3 remote. Both serve implicit TLS on the control
connection with the same self-signed certificate and one user.

    with pair(s3, directory, passive_ports=30) as (ours, theirs):
        ...

rclone refuses PBSZ and PROT, and serves data connections in the clear, so
L{Endpoint.tls_data} says which a client must use.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from harness import (
    BUCKET,
    HOST,
    ROOT,
    S3,
    _stop,
    free_port,
    ftps3_server,
    rclone_binary,
    write_certificate,
)

USER = "bench"
OURS, RCLONE = "this server", "rclone serve ftp"
#: The first passive port of each server; their ranges never overlap, and
#: lie below Linux's ephemeral ports (32768-60999), which outgoing
#: connections take: a port one of them holds cannot be listened on.
#: BENCH_PASSIVE_BASE moves both, for two benchmarks run at once.
_BASE = int(os.environ.get("BENCH_PASSIVE_BASE", "24001"))
OURS_FIRST_PORT, RCLONE_FIRST_PORT = _BASE, _BASE + 2000
#: Session limits (FTP_MAX_SESSIONS*) far above anything a figure opens.
UNLIMITED = "100000"


@dataclass(frozen=True)
class Endpoint:
    """One running FTPS server, as a client sees it."""

    name: str
    pid: int
    port: int
    certificate: str
    password: str
    tls_data: bool

    user: str = USER

    def url(self, path: str = "/") -> str:
        return f"ftps://{HOST}:{self.port}{path}"


def wait_for_port(port: int, process: subprocess.Popen[bytes], limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"nothing listens on {HOST}:{port}") from None
            time.sleep(0.1)


@contextmanager
def ours(
    s3: S3,
    directory: str,
    tls: tuple[str, str],
    passive_ports: int,
    password: str,
    root: str = ROOT,
    first_port: int = OURS_FIRST_PORT,
    name: str = OURS,
) -> Iterator[Endpoint]:
    """
    This server, with a plain-password user and session limits out of the
    way: the code of the checkout C{root}, its passive range from C{first_port}.
    """
    settings = {
        "FTP_USERS__1__LOGIN": USER,
        "FTP_USERS__1__PASSWORD": password,
        "FTP_DATA_PORTS_FIRST": str(first_port),
        "FTP_DATA_PORTS_COUNT": str(passive_ports),
        "FTP_MAX_SESSIONS": UNLIMITED,
        "FTP_MAX_SESSIONS_PER_ADDRESS": UNLIMITED,
        "FTP_LOGIN_MAX_FAILURES": "1000",
    }
    with ftps3_server(s3, directory, tls, root, **settings) as server:
        yield Endpoint(name, server.process.pid, server.port, tls[0], password, True)


@contextmanager
def rclone_ftp(
    s3: S3,
    directory: str,
    tls: tuple[str, str],
    passive_ports: int,
    password: str,
    flags: tuple[str, ...] = (),
) -> Iterator[Endpoint]:
    """
    C{rclone serve ftp} on C{s3}'s bucket: an S3 remote (provider Other, path
    style) defined in its environment, so that no key or password is on its
    command line; the passive range as long as ours.
    """
    port = free_port()
    remote = {
        "TYPE": "s3",
        "PROVIDER": "Other",
        "ENDPOINT": s3.endpoint,
        "REGION": "us-east-1",
        "ACCESS_KEY_ID": s3.access_key,
        "SECRET_ACCESS_KEY": s3.secret_key,
        "FORCE_PATH_STYLE": "true",
    }
    env = dict(os.environ, RCLONE_PASS=password)
    env.update({f"RCLONE_CONFIG_BENCHS3_{name}": value for name, value in remote.items()})
    last = RCLONE_FIRST_PORT + passive_ports - 1
    log = open(os.path.join(directory, "rclone-ftp.log"), "ab")
    command = [rclone_binary(), "serve", "ftp", f"benchs3:{BUCKET}", "--addr", f"{HOST}:{port}"]
    command += ["--cert", tls[0], "--key", tls[1], "--user", USER]
    command += ["--passive-port", f"{RCLONE_FIRST_PORT}-{last}", *flags]
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, process)
        yield Endpoint(RCLONE, process.pid, port, tls[0], password, False)
    finally:
        _stop(process)
        log.close()


def certificate(directory: str) -> tuple[str, str]:
    """One self-signed certificate (the quick start's kind) for both servers."""
    tls = os.path.join(directory, "tls")
    os.makedirs(tls, exist_ok=True)
    return write_certificate(tls)


@contextmanager
def pair(
    s3: S3, directory: str, passive_ports: int = 30, rclone_flags: tuple[str, ...] = ()
) -> Iterator[tuple[Endpoint, Endpoint]]:
    """
    Both servers, freshly started (so that their peak RSS is their own), on
    C{s3}; C{rclone_flags} are added to rclone's command line.
    """
    tls = certificate(directory)
    password = secrets.token_urlsafe(12)
    with ExitStack() as stack:
        a = stack.enter_context(ours(s3, directory, tls, passive_ports, password))
        b = stack.enter_context(
            rclone_ftp(s3, directory, tls, passive_ports, password, rclone_flags)
        )
        yield a, b
