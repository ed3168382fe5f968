"""
The server's own S3 client, pointed at the test S3 server: for the
contract suites that run the same tests over moto and over the in-memory
store.
"""

from __future__ import annotations

from twisted.internet import reactor
from twisted.trial.unittest import TestCase
from twisted.web.client import Agent, HTTPConnectionPool

from twisted_ftps3.s3.client import S3Client
from twisted_ftps3.s3.credentials import Credentials, StaticCredentialsProvider
from twisted_ftps3.s3.http import RetryPolicy, S3Requester

from .s3server import S3Server


def moto_client(
    case: TestCase,
    server: S3Server,
    bucket: str,
    *,
    secret: str | None = None,
    netloc: str | None = None,
    retry: RetryPolicy | None = None,
    timeout: float = 30.0,
) -> S3Client:
    """
    An L{S3Client} for C{bucket} on C{server}, on the real reactor; its
    pooled connections are closed when C{case} ends.

    @param secret: sign with this secret instead of the server's (a wrong
        one, to see a refusal).
    @param netloc: send to this C{host:port} instead (a closed port, to see
        an unreachable store).
    """
    pool = HTTPConnectionPool(reactor, persistent=True)
    case.addCleanup(pool.closeCachedConnections)
    return S3Client(
        S3Requester(
            agent=Agent(reactor, pool=pool, connectTimeout=5),
            credentials=StaticCredentialsProvider(
                Credentials(server.access_key_id, secret or server.secret_access_key)
            ),
            endpoint=("http", netloc or server.endpoint_url.removeprefix("http://")),
            bucket=bucket,
            region=server.region,
            clock=reactor,
            retry=retry or RetryPolicy(),
            timeout=timeout,
        )
    )
