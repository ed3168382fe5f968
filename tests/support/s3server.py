"""
A real S3 server for integration tests: C{moto_server} in a subprocess, with SigV4 checks on.

Why a subprocess and not moto's in-process mocks: the code under test talks HTTP through treq
on the Twisted reactor, which moto's botocore/responses patching never sees. A real server on
127.0.0.1 exercises the same code path as production, request signing included.

Why signature checks matter: by default moto accepts any credentials, so a broken signer would
pass every test. Started with C{INITIAL_NO_AUTH_ACTION_COUNT=3}, moto lets exactly three
requests through unauthenticated; we spend them creating an IAM user, its access key and an
allow-everything policy, and from then on every request must be signed with that key. A wrong
secret is rejected with C{SignatureDoesNotMatch} (HTTP 403) for IAM and S3 calls alike.

How moto counts (verified against moto 5.2): every request that reaches moto's
authentication hook increments the counter, whether or not it succeeds, and once the counter
reaches the limit every later request is checked. Requests to C{/moto-api/...} never reach that
hook, so the readiness probe below uses C{/moto-api/} and does not burn a free request. The IAM
client used for the bootstrap has retries disabled for the same reason: a retried call would
spend a second free request. After the bootstrap, L{s3_server} proves that checks are really on
(a wrong secret must fail, the right one must succeed), so a moto that counts differently makes
the fixture fail loudly instead of silently accepting anything.

Note: moto recomputes the signature with botocore, which needs the C{x-amz-content-sha256}
header on S3 requests (C{UNSIGNED-PAYLOAD} is accepted); moto does not check that the body
matches that hash.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import boto3
import botocore.exceptions
from botocore.config import Config

__all__ = ["S3Server", "s3_server"]

_HOST = "127.0.0.1"
_REGION = "us-east-1"
# The three unauthenticated requests: CreateUser, CreateAccessKey, PutUserPolicy.
_FREE_REQUESTS = 3
_STARTUP_TIMEOUT = 30.0
_PORT_ATTEMPTS = 3
#: moto_server, with its signature check reading the URL as sent; see the module.
_LAUNCHER = str(Path(__file__).with_name("moto_launcher.py"))

_USER_NAME = "ftps3-tests"
_ALLOW_EVERYTHING = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
)
_BUCKET_PREFIX = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")


@dataclass(frozen=True)
class S3Server:
    """
    Where the test S3 server listens and the only credentials it accepts.

    Code under test gets these values as its configuration; tests use L{boto3_client} to look
    behind its back (did the object really land in the bucket?).
    """

    endpoint_url: str
    region: str
    access_key_id: str
    secret_access_key: str

    def boto3_client(self) -> Any:
        """
        A signed boto3 S3 client for assertions.

        Path-style addressing because virtual-hosted buckets would need DNS names like
        C{bucket.127.0.0.1}. Each call builds its own session, since boto3's default session
        is not safe to share between threads (tests may call this from C{deferToThread}).
        """
        session = boto3.session.Session()
        return session.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def create_bucket(self, prefix: str = "test") -> str:
        """
        Create a bucket no other test uses and return its name.

        All tests of a process share one server, so isolation comes from unique names rather
        than from resetting moto. The name is C{prefix-<32 hex digits>}, with the prefix cut
        so the whole stays within S3's 3-63 character limit.

        @param prefix: lowercase letters, digits and inner hyphens; it helps to tell the
            buckets apart in moto's log.
        @raise ValueError: if C{prefix} would make an invalid bucket name.
        """
        if prefix and not _BUCKET_PREFIX.fullmatch(prefix):
            raise ValueError(f"invalid bucket name prefix: {prefix!r}")
        suffix = uuid.uuid4().hex
        stem = prefix[: 63 - len(suffix) - 1].rstrip("-")
        name = f"{stem}-{suffix}" if stem else suffix
        kwargs: dict[str, Any] = {"Bucket": name}
        if self.region != "us-east-1":
            # S3 rejects an explicit us-east-1 constraint but requires any other.
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        self.boto3_client().create_bucket(**kwargs)
        return name


_lock = threading.Lock()
_server: S3Server | None = None


def s3_server() -> S3Server:
    """
    Start moto_server once per test process (lazily, on first call), on a free 127.0.0.1 port,
    in a subprocess with its output sent to a log file under the trial temp dir or /tmp; wait
    until it answers; create the IAM user/key/policy; register an atexit that terminates it.
    Later calls return the same server.

    Once per process because starting moto takes a second or two; tests stay independent by
    using their own buckets (L{S3Server.create_bucket}).

    @raise RuntimeError: if moto_server cannot be found, dies, does not answer within about
        30 seconds, or does not enforce signatures; the message includes the end of its log.
    """
    global _server
    with _lock:
        if _server is None:
            _server = _start()
        return _server


def _log_directory() -> str:
    """
    Keep the log with the rest of a test run's leftovers.

    Trial runs tests inside its temp directory, which holds a C{_trial_marker} file (with
    C{-j}, each worker runs in a numbered subdirectory of it); anywhere else the system temp
    directory will do.
    """
    cwd = Path.cwd()
    if (cwd / "_trial_marker").exists() or (cwd.parent / "_trial_marker").exists():
        return str(cwd)
    return tempfile.gettempdir()


def _free_port() -> int:
    """
    Ask the kernel for a free port.

    There is a window between closing this socket and moto binding the port; L{_start}
    retries with another port if moto reports the address in use.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        return probe.getsockname()[1]


def _log_tail(path: str, limit: int = 4000) -> str:
    """The end of moto's log: enough to see a traceback without flooding the test output."""
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - limit))
            return log.read().decode("utf-8", "replace")
    except OSError as e:
        return f"(cannot read {path}: {e})"


def _stop(process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    """Terminate moto at interpreter exit, killing it if it does not go quietly."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log.close()


class _Died(Exception):
    """moto_server exited before answering; C{in_use} tells whether another port may help."""

    def __init__(self, message: str, in_use: bool) -> None:
        super().__init__(message)
        self.in_use = in_use


def _start() -> S3Server:
    """Launch moto (retrying on port collisions) and bootstrap its credentials."""
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(_FREE_REQUESTS))
    for attempt in range(1, _PORT_ATTEMPTS + 1):
        port = _free_port()
        fd, log_path = tempfile.mkstemp(
            prefix=f"moto-server-{port}-", suffix=".log", dir=_log_directory()
        )
        log = os.fdopen(fd, "wb")
        process = subprocess.Popen(
            [sys.executable, _LAUNCHER, "-H", _HOST, "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        # Registered before anything can fail, so no path leaves moto running.
        atexit.register(_stop, process, log)
        endpoint_url = f"http://{_HOST}:{port}"
        try:
            _wait_until_answering(process, endpoint_url, log_path)
        except _Died as e:
            _stop(process, log)
            if e.in_use and attempt < _PORT_ATTEMPTS:
                continue
            raise RuntimeError(str(e)) from None
        except BaseException:
            _stop(process, log)
            raise
        try:
            return _bootstrap_credentials(endpoint_url)
        except Exception as e:
            _stop(process, log)
            raise RuntimeError(
                f"moto_server at {endpoint_url} could not be set up: {e}\n"
                f"--- end of {log_path} ---\n{_log_tail(log_path)}"
            ) from e
    raise AssertionError("unreachable")  # pragma: no cover


def _wait_until_answering(
    process: subprocess.Popen[bytes], endpoint_url: str, log_path: str
) -> None:
    """
    Poll moto's dashboard until it answers.

    C{/moto-api/} is not subject to moto's authentication, so polling it does not spend one
    of the free requests the bootstrap needs.
    """
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while True:
        status = process.poll()
        if status is not None:
            tail = _log_tail(log_path)
            raise _Died(
                f"moto_server exited with status {status} before answering\n"
                f"--- end of {log_path} ---\n{tail}",
                in_use="in use" in tail,
            )
        try:
            with urllib.request.urlopen(f"{endpoint_url}/moto-api/", timeout=2) as response:
                response.read()
            return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"moto_server did not answer at {endpoint_url} within {_STARTUP_TIMEOUT:.0f}s\n"
                f"--- end of {log_path} ---\n{_log_tail(log_path)}"
            )
        time.sleep(0.1)


def _bootstrap_credentials(endpoint_url: str) -> S3Server:
    """
    Spend the free requests on an all-powerful IAM user, then prove that checks are on.

    The bootstrap credentials are arbitrary: moto does not look at them while requests are
    free. Retries are off so that each call costs exactly one of the free requests.
    """
    iam = boto3.session.Session().client(
        "iam",
        endpoint_url=endpoint_url,
        region_name=_REGION,
        aws_access_key_id="bootstrap",
        aws_secret_access_key="bootstrap",
        config=Config(retries={"total_max_attempts": 1}),
    )
    iam.create_user(UserName=_USER_NAME)
    key = iam.create_access_key(UserName=_USER_NAME)["AccessKey"]
    iam.put_user_policy(
        UserName=_USER_NAME, PolicyName="allow-everything", PolicyDocument=_ALLOW_EVERYTHING
    )
    server = S3Server(
        endpoint_url=endpoint_url,
        region=_REGION,
        access_key_id=key["AccessKeyId"],
        secret_access_key=key["SecretAccessKey"],
    )
    forged = S3Server(
        endpoint_url=endpoint_url,
        region=_REGION,
        access_key_id=server.access_key_id,
        secret_access_key="not-" + server.secret_access_key,
    )
    try:
        forged.boto3_client().list_buckets()
    except botocore.exceptions.ClientError as e:
        if e.response.get("Error", {}).get("Code") != "SignatureDoesNotMatch":
            raise
    else:
        raise RuntimeError(
            "moto accepted a request signed with a wrong secret: signature checks are off "
            f"(did it count the {_FREE_REQUESTS} free requests differently?)"
        )
    server.boto3_client().list_buckets()
    return server
