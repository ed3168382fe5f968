"""
What every benchmark starts: moto's S3 server and C{twistd -n ftps3}, on
127.0.0.1, each in a process of its own, and stopped again.

    with moto_server() as s3:
        with ftps3_server(s3, directory, FTP_USERS__1__LOGIN="bench", ...) as server:
            ...

Needs: moto[server], boto3; Linux (/proc) for the memory figures.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from twisted_ftps3.quickstart import free_port, write_certificate  # noqa: E402

HOST = "127.0.0.1"
ACCESS_KEY, SECRET_KEY = "bench", "bench-secret"
BUCKET = "bench"


def wait_for(url: str, process: subprocess.Popen[bytes], limit: float = 30) -> None:
    """Wait until C{url} answers, or exit if C{process} died or C{limit} seconds passed."""
    deadline = time.monotonic() + limit
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{url} did not come up") from None
            time.sleep(0.2)


def memory_kib(pid: int, field: str) -> int:
    """A field of C{/proc/<pid>/status} in KiB, such as C{VmRSS} or C{VmHWM}."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class S3:
    """A running S3 server with one bucket, C{bench}."""

    endpoint: str

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )


@contextmanager
def moto_server() -> Iterator[S3]:
    """moto's S3 server on 127.0.0.1, with the bucket made."""
    port = free_port()
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        s3 = S3(f"http://{HOST}:{port}")
        wait_for(s3.endpoint + "/moto-api/", moto)
        s3.client().create_bucket(Bucket=BUCKET)
        yield s3
    finally:
        _stop(moto)


@dataclass
class Server:
    """A running C{twistd ftps3}."""

    process: subprocess.Popen[bytes]
    port: int
    certificate: str

    def url(self, path: str) -> str:
        return f"ftps://{HOST}:{self.port}{path}"


@contextmanager
def ftps3_server(s3: S3, directory: str, **settings: str) -> Iterator[Server]:
    """C{twistd -n ftps3} in front of C{s3}, its log in C{directory}, with C{settings}."""
    certificate, key = write_certificate(directory)
    env = dict(
        os.environ,
        PYTHONPATH=ROOT,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_S3_BUCKET_REGION="us-east-1",
        AWS_S3_BUCKET_NAME=BUCKET,
        AWS_ENDPOINT_URL_S3=s3.endpoint,
        FTP_BIND_ADDRESS=HOST,
        FTP_COMMAND_PORT=str(free_port()),
        HEALTHCHECK_PORT=str(free_port()),
        FTP_DATA_PORTS_FIRST=os.environ.get("FTP_DATA_PORTS_FIRST", "47001"),
        FTP_TLS_CERTIFICATE_FILE=certificate,
        FTP_TLS_KEY_FILE=key,
        **settings,
    )
    log = os.path.join(directory, "server.log")
    server = subprocess.Popen(
        [sys.executable, "-c", "from twisted.scripts.twistd import run; run()",
         "-n", "--pidfile=", "--logfile", log, "ftps3"],
        env=env,
    )  # fmt: skip
    try:
        wait_for(f"http://{HOST}:{env['HEALTHCHECK_PORT']}/health", server)
        yield Server(server, int(env["FTP_COMMAND_PORT"]), certificate)
    finally:
        _stop(server)
