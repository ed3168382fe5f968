# -*- test-case-name: tests.test_startup -*-
"""
Try the server on one machine in one command: an embedded S3, a
self-signed certificate, a demo user, and a curl command that works.

The embedded S3 is moto's server (installed by the C{demo} extra), started
on loopback and stopped with the FTP server. It keeps every object in
memory: what you upload is gone when the server stops. Nothing here is
used by a real deployment, which points the server at a real bucket.

Run it with C{./quickstart} from a checkout, or, with the C{demo} extra
installed, C{python -m twisted_ftps3.quickstart}.
"""

from __future__ import annotations

import datetime
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from twisted.internet.defer import ensureDeferred
from twisted.web.client import Agent

from . import selfsigned
from .config import load_settings
from .s3.client import S3Client
from .s3.credentials import Credentials, StaticCredentialsProvider
from .s3.errors import S3Error
from .s3.http import S3Requester

HOST = "127.0.0.1"
BUCKET = "ftps3-demo"
USER = "demo"

#: The settings the quick start takes from its own environment as they are.
_PASSED_ON = (
    "FTP_USERS_FILE",
    "FTP_LOGIN_MAX_FAILURES",
    "FTP_LOGIN_FAILURE_WINDOW",
    "FTP_LOGIN_BAN_SECONDS",
    "FTP_MAX_SESSIONS",
    "FTP_MAX_SESSIONS_PER_ADDRESS",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def write_certificate(directory: str) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and localhost, valid 30 days."""
    key = selfsigned.new_key()
    certificate = selfsigned.make_certificate(
        key,
        "twisted-ftps3 quick start",
        names=("localhost", HOST),
        ca=True,
        valid_for=datetime.timedelta(days=30),
    )
    certificate_path = os.path.join(directory, "ssl.crt")
    key_path = os.path.join(directory, "ssl.key")
    with open(certificate_path, "wb") as f:
        f.write(selfsigned.certificate_pem(certificate))
    with open(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(selfsigned.key_pem(key))
    return certificate_path, key_path


def start_embedded_s3(directory: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start moto's S3 server on a free loopback port; return it and its URL."""
    executable = shutil.which("moto_server", path=os.path.dirname(sys.executable))
    executable = executable or shutil.which("moto_server")
    if executable is None:
        raise SystemExit("moto_server is missing: install the demo extra, pip install '.[demo]'")
    port = free_port()
    log = open(os.path.join(directory, "embedded-s3.log"), "wb")
    process = subprocess.Popen(
        [executable, "-H", HOST, "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the embedded S3 server exited; see {log.name}")
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1).close()
            return process, url
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the embedded S3 server did not start; see {log.name}")


def demo_environment(directory: str, s3_url: str, password: str) -> dict[str, str]:
    certificate, key = write_certificate(directory)
    command_port = int(os.environ.get("FTP_COMMAND_PORT", "8021"))
    return {
        "AWS_AUTH_MECHANISM": "secret_access_key",
        # moto's server accepts any key unless told to check signatures.
        "AWS_ACCESS_KEY_ID": "demo-access-key",
        "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(24),
        "AWS_S3_BUCKET_REGION": "us-east-1",
        "AWS_S3_BUCKET_NAME": BUCKET,
        "AWS_ENDPOINT_URL_S3": s3_url,
        "FTP_USERS__1__LOGIN": USER,
        "FTP_USERS__1__PASSWORD": password,
        "FTP_BIND_ADDRESS": HOST,
        "FTP_COMMAND_PORT": str(command_port),
        "FTP_EXPLICIT_COMMAND_PORT": os.environ.get("FTP_EXPLICIT_COMMAND_PORT", "8023"),
        "FTP_DATA_PORTS_FIRST": os.environ.get("FTP_DATA_PORTS_FIRST", "4001"),
        "FTP_DATA_PORTS_COUNT": os.environ.get("FTP_DATA_PORTS_COUNT", "30"),
        "HEALTHCHECK_PORT": os.environ.get("HEALTHCHECK_PORT", "8022"),
        "FTP_TLS_CERTIFICATE_FILE": certificate,
        "FTP_TLS_KEY_FILE": key,
        # Who else may log in, and how logins are defended, can be tried here too.
        **{name: os.environ[name] for name in _PASSED_ON if os.environ.get(name)},
    }


#: The settings that name the quick start's own ports.
_PORT_SETTINGS = ("FTP_COMMAND_PORT", "FTP_EXPLICIT_COMMAND_PORT", "HEALTHCHECK_PORT")


def taken_ports(environ: Mapping[str, str]) -> list[str]:
    """
    Each port the quick start would listen on that something on L{HOST}
    already holds, with the setting that moves it.

    Asked before anything listens: a second quick start, or any server on
    8022, would otherwise answer the health check of this one, which would
    then print how to connect to a server it is not.
    """
    first, count = int(environ["FTP_DATA_PORTS_FIRST"]), int(environ["FTP_DATA_PORTS_COUNT"])
    wanted = [(int(environ[name]), name) for name in _PORT_SETTINGS]
    wanted += [(port, "FTP_DATA_PORTS_FIRST") for port in range(first, first + count)]
    taken = []
    for port, name in wanted:
        with socket.socket() as probe:
            # As the server's own listening sockets do, so that a port a
            # closed connection still holds in TIME_WAIT counts as free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError:
                taken.append(f"{port} ({name})")
    return taken


async def create_bucket(reactor: Any, environ: Mapping[str, str]) -> None:
    s3 = load_settings(environ).s3
    client = S3Client(
        S3Requester(
            agent=Agent(reactor),
            credentials=StaticCredentialsProvider(
                Credentials(s3.access_key_id or "", s3.secret_access_key or "")
            ),
            endpoint=s3.endpoint,
            bucket=s3.bucket,
            region=s3.region,
            clock=reactor,
        )
    )
    try:
        await client.create_bucket()
    except S3Error as e:
        if e.code != "BucketAlreadyOwnedByYou":
            raise


def instructions(environ: Mapping[str, str], directory: str) -> str:
    port = environ["FTP_COMMAND_PORT"]
    password = environ["FTP_USERS__1__PASSWORD"]
    certificate = environ["FTP_TLS_CERTIFICATE_FILE"]
    base = f"ftps://{HOST}:{port}"
    explicit = f"ftp://{HOST}:{environ['FTP_EXPLICIT_COMMAND_PORT']}"
    user = f"{USER}:{password}"
    return "\n".join(
        [
            "",
            "twisted-ftps3 is running in front of an embedded S3 server.",
            "The embedded S3 keeps everything in memory: it is gone when you stop the server.",
            "",
            f"  implicit  {base}   (TLS from the first byte)",
            f"  explicit  {explicit}   (AUTH TLS first)",
            f"  user      {USER}",
            f"  password  {password}",
            f"  CA file   {certificate}",
            f"  health    http://{HOST}:{environ['HEALTHCHECK_PORT']}/health",
            "",
            "Upload, list and download with curl:",
            "",
            "  echo hello > hello.txt",
            f"  curl -sS --cacert {certificate} --user '{user}' -T hello.txt {base}/",
            f"  curl -sS --cacert {certificate} --user '{user}' {base}/",
            f"  curl -sS --cacert {certificate} --user '{user}' {base}/hello.txt",
            "",
            "The same listing over explicit TLS:",
            "",
            f"  curl -sS --ssl-reqd --cacert {certificate} --user '{user}' {explicit}/",
            "",
            *_users_file_lines(environ),
            f"Logs: {os.path.join(directory, 'server.log')} · Stop with Ctrl-C.",
            "",
        ]
    )


def _users_file_lines(environ: Mapping[str, str]) -> list[str]:
    """What to say about the users file, if one was given."""
    users_file = environ.get("FTP_USERS_FILE")
    if not users_file:
        return []
    return [
        f"The users of {users_file} may log in too; after changing it, reload it with",
        f"  kill -HUP {os.getpid()}",
        "",
    ]


def main(argv: list[str] | None = None) -> None:
    from twisted.internet import reactor
    from twisted.logger import globalLogBeginner, textFileLogObserver

    from .tap import build_service

    directory = os.path.abspath(os.environ.get("FTPS3_QUICKSTART_DIR", ".quickstart"))
    os.makedirs(directory, exist_ok=True)
    s3, s3_url = start_embedded_s3(directory)
    try:
        password = secrets.token_urlsafe(12)
        environ = demo_environment(directory, s3_url, password)
        taken = taken_ports(environ)
        if taken:
            raise SystemExit(
                f"quick start: ports already in use on {HOST}: {', '.join(taken)}. "
                "Stop what holds them (another quick start?) or set these variables."
            )
        log = open(os.path.join(directory, "server.log"), "a", encoding="utf-8")
        globalLogBeginner.beginLoggingTo([textFileLogObserver(log)], redirectStandardIO=False)
        settings = load_settings(environ)
        service = build_service(settings, reactor, environ)

        async def start() -> None:
            await create_bucket(reactor, environ)
            service.startService()
            print(instructions(environ, directory), flush=True)

        def failed(failure: Any) -> None:
            print(f"quick start failed: {failure.getErrorMessage()}", file=sys.stderr)
            reactor.stop()

        reactor.callWhenRunning(lambda: ensureDeferred(start()).addErrback(failed))
        reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
        reactor.run()
    finally:
        s3.terminate()
        s3.wait(10)


if __name__ == "__main__":
    main()
