# -*- test-case-name: tests.test_s3_client -*-
"""
How one S3 request travels: signed, timed, retried, streamed, and turned
into an L{S3Error} when it fails.

L{S3Requester} is everything the S3 client knows about HTTP, and nothing it
knows about S3's operations: it signs each attempt afresh (the time is in
the signature), sends it through an injected L{IAgent}, gives up on an
attempt after a timeout measured on the injected clock, retries what its
L{IRetryPolicy} says to retry, reads small XML bodies whole and streams
object bodies into a consumer with backpressure, and logs every failure it
hands back exactly once. The operations themselves (which query, which
headers, which XML) live in L{twisted_ftps3.s3.client}.

The retry policy is its own value behind an interface so that it can be
replaced whole without touching the request machinery.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import treq
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IConsumer, IReactorTime
from twisted.internet.protocol import Protocol
from twisted.internet.task import deferLater
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.client import ResponseDone
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers
from twisted.web.iweb import IAgent, IResponse
from zope.interface import Interface, implementer

from .bodies import PartBody
from .credentials import ICredentialsProvider
from .errors import S3Error
from .responses import MalformedResponse, is_error, parse_error
from .signing import EMPTY_SHA256, canonical_query_string, sign, uri_encode

log = Logger()

_T = TypeVar("_T")


class IRetryPolicy(Interface):
    """When a failed request is tried again."""

    def retry_after(attempt: int, error: S3Error) -> float | None:
        """
        Seconds to wait before attempt C{attempt + 1}, after attempt
        C{attempt} (from 1) failed with C{error}; C{None} to give up and
        raise C{error}.
        """


@implementer(IRetryPolicy)
@dataclass(frozen=True)
class RetryPolicy:
    """
    A few attempts at a transient failure, with delays that grow
    geometrically; a failure that is not transient is raised at once.

    The delays are waited on the requester's clock, so tests step through
    them with L{twisted.internet.task.Clock}.
    """

    attempts: int = 3
    first_delay: float = 0.25
    factor: float = 4.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number C{attempt} (from 1)."""
        return self.first_delay * self.factor ** (attempt - 1)

    def retry_after(self, attempt: int, error: S3Error) -> float | None:
        if attempt >= self.attempts or not error.transient:
            return None
        return self.delay(attempt)


#: What the client retries unless it is given another policy.
DEFAULT_RETRY = RetryPolicy()
#: For requests that must not be sent twice (CompleteMultipartUpload).
NO_RETRY = RetryPolicy(attempts=1)


class S3Requester:
    """
    Sends signed requests about one bucket through an injected L{IAgent}.

    Requests go to the agent itself rather than through treq's C{HTTPClient},
    which would add gzip decoding: an object stored with C{Content-Encoding:
    gzip} must reach the FTP client as the bytes S3 holds. treq still reads
    the small XML bodies.

    Requests use path-style addressing (C{/bucket/key}), which every
    S3-compatible server accepts.
    """

    def __init__(
        self,
        *,
        agent: IAgent,
        credentials: ICredentialsProvider,
        endpoint: tuple[str, str],
        bucket: str,
        region: str,
        clock: IReactorTime,
        retry: IRetryPolicy = DEFAULT_RETRY,
        timeout: float = 120.0,
    ) -> None:
        self._agent = agent
        self._credentials = credentials
        self._scheme, self._host = endpoint
        self.bucket = bucket
        self.region = region
        self._clock = clock
        self._retry = retry
        self._timeout = timeout

    def path(self, key: str | None) -> str:
        """The path of C{key}, or of the bucket itself for C{None}, unencoded."""
        return f"/{self.bucket}" if key is None else f"/{self.bucket}/{key}"

    async def request(
        self,
        operation: str,
        method: str,
        key: str | None,
        *,
        query: Sequence[tuple[str, str]] = (),
        headers: dict[str, str] | None = None,
        body: PartBody | None = None,
        expect: tuple[int, ...] = (200,),
        read_body: bool = True,
        retry: IRetryPolicy | None = None,
    ) -> Answer:
        """
        Send C{method} to C{key} until an attempt succeeds or the retry
        policy (C{retry}, else the requester's) gives up.

        @param operation: S3's name of the call, for errors and logs.
        @param expect: the statuses that mean success.
        @param read_body: whether to read the body of a success whole; a
            download passes C{False} and streams it with L{Answer.stream_into}.
        @raise S3Error: logged already.
        """
        policy = retry if retry is not None else self._retry
        call = _Call(operation, method, key, tuple(query), headers or {}, body, expect, read_body)
        attempt = 1
        while True:
            try:
                return await self._attempt(call)
            except S3Error as e:
                delay = policy.retry_after(attempt, e)
                if delay is None:
                    raise logged(e) from None
                log.info(
                    "S3 {operation} {key} failed transiently ({code}, request id {request_id});"
                    " retrying",
                    operation=operation,
                    key=key,
                    code=e.code,
                    request_id=e.request_id,
                )
                await deferLater(self._clock, delay, lambda: None)
                attempt += 1

    async def _attempt(self, call: _Call) -> Answer:
        operation, key = call.operation, call.key
        response = await self._send(call)
        if response.code not in call.expect:
            raw = b"" if call.method == "HEAD" else await _read(operation, key, response)
            error = parse_error(raw)
            raise S3Error(
                error.code if error and error.code else _code_for_status(response.code),
                response.code,
                error.message if error else "",
                request_id=_request_id(response) or (error.request_id if error else None),
                operation=operation,
                key=key,
            )
        wanted = call.read_body and call.method != "HEAD"
        raw = await _read(operation, key, response) if wanted else b""
        return Answer(response, raw, operation, key)

    async def _send(self, call: _Call) -> IResponse:
        """Sign C{call} for now and send it, with the timeout running."""
        method, body = call.method, call.body
        path = self.path(call.key)
        credentials = await self._credentials.credentials()
        now = datetime.datetime.fromtimestamp(self._clock.seconds(), tz=datetime.timezone.utc)
        signed = sign(
            method=method,
            host=self._host,
            path=path,
            query=call.query,
            headers=call.headers,
            payload_sha256=body.sha256_hex() if body is not None else EMPTY_SHA256,
            credentials=credentials,
            region=self.region,
            now=now,
        )
        url = f"{self._scheme}://{self._host}{uri_encode(path, encode_slash=False)}"
        if call.query:
            url += "?" + canonical_query_string(call.query)
        request_headers = Headers(
            {name.encode(): [value.encode()] for name, value in signed.items()}
        )
        requested = self._agent.request(
            method.encode("ascii"),
            url.encode("ascii"),
            request_headers,
            body.producer() if body is not None else None,
        )
        # The timeout runs on the injected clock, like the retry delays.
        requested.addTimeout(self._timeout, self._clock)
        try:
            return await requested
        except Exception as e:
            raise S3Error(
                "ConnectionError", None, _describe(e), operation=call.operation, key=call.key
            ) from e


@dataclass(frozen=True)
class _Call:
    """One request as the client asked for it, sent again on each attempt."""

    operation: str
    method: str
    key: str | None
    query: tuple[tuple[str, str], ...]
    headers: dict[str, str]
    body: PartBody | None
    expect: tuple[int, ...]
    read_body: bool


@dataclass(frozen=True)
class Answer:
    """A response whose status was expected, with its body when it was read."""

    response: IResponse
    body: bytes
    operation: str
    key: str | None

    @property
    def code(self) -> int:
        return self.response.code

    def header(self, name: str) -> str | None:
        """The first value of header C{name}, if it was sent."""
        return _header(self.response.headers, name)

    @property
    def request_id(self) -> str | None:
        return _request_id(self.response)

    def refuse(self, code: str, message: str) -> S3Error:
        """An error about this answer (logged), for a success that is not one."""
        return logged(
            S3Error(
                code,
                self.code,
                message,
                request_id=self.request_id,
                operation=self.operation,
                key=self.key,
            )
        )

    def check_embedded_error(self) -> None:
        """
        Raise the C{<Error>} document of a 200 answer, if it is one:
        CompleteMultipartUpload and the copies may fail after answering 200.
        """
        if not is_error(self.body):
            return
        error = parse_error(self.body)
        assert error is not None
        raise logged(
            S3Error(
                error.code or "InternalError",
                self.code,
                error.message,
                request_id=error.request_id or self.request_id,
                operation=self.operation,
                key=self.key,
            )
        )

    def parsed(self, parser: Callable[[bytes], _T]) -> _T:
        """The body through C{parser}; XML it cannot read is an L{S3Error}."""
        try:
            return parser(self.body)
        except MalformedResponse as e:
            raise logged(
                S3Error("MalformedResponse", 200, str(e), operation=self.operation, key=self.key)
            ) from e

    async def stream_into(self, consumer: IConsumer) -> int:
        """
        Write the unread body into C{consumer}, registered on it as a
        streaming producer so that a slow consumer pauses the connection;
        return the number of bytes.
        """
        done: Deferred[int] = Deferred()
        self.response.deliverBody(_BodyToConsumer(consumer, done))
        try:
            return await done
        except Exception as e:
            raise S3Error(
                "ConnectionError",
                None,
                f"body interrupted: {e}",
                operation=self.operation,
                key=self.key,
            ) from e


class _BodyToConsumer(Protocol):
    """
    Pass a response body to a consumer, letting the consumer pause the
    response: the data connection's speed sets the download's speed.
    """

    def __init__(self, consumer: IConsumer, done: Deferred[int]) -> None:
        self._consumer = consumer
        self._done = done
        self._count = 0

    def connectionMade(self) -> None:
        self._consumer.registerProducer(self.transport, True)

    def dataReceived(self, data: bytes) -> None:
        self._count += len(data)
        self._consumer.write(data)

    def connectionLost(self, reason: Failure) -> None:
        try:
            self._consumer.unregisterProducer()
        finally:
            # Whatever the consumer does, the download must end.
            if reason.check(ResponseDone, PotentialDataLoss):
                self._done.callback(self._count)
            else:
                self._done.errback(reason)


def logged(error: S3Error) -> S3Error:
    """
    Log C{error} once, as it leaves the client: a missing key is routine
    (debug), anything else a warning with S3's code and request id.
    """
    if error.not_found:
        log.debug("{error}", error=error)
    else:
        log.warn(
            "S3 {operation} of {key!r} failed: {code} (HTTP {status}) {message}"
            " [request id {request_id}]",
            operation=error.operation,
            key=error.key,
            code=error.code,
            status=error.status,
            message=error.message,
            request_id=error.request_id,
        )
    return error


async def _read(operation: str, key: str | None, response: IResponse) -> bytes:
    try:
        return await treq.content(response)
    except Exception as e:
        raise S3Error(
            "ConnectionError",
            None,
            f"response body interrupted: {_describe(e)}",
            request_id=_request_id(response),
            operation=operation,
            key=key,
        ) from e


def _header(headers: Headers, name: str) -> str | None:
    values = headers.getRawHeaders(name)
    return values[0] if values else None


def _request_id(response: Any) -> str | None:
    return _header(response.headers, "x-amz-request-id")


def _code_for_status(status: int) -> str:
    return {
        400: "BadRequest",
        403: "AccessDenied",
        404: "NotFound",
        409: "Conflict",
        412: "PreconditionFailed",
        416: "InvalidRange",
        500: "InternalError",
        503: "ServiceUnavailable",
    }.get(status, f"HTTP{status}")


def _describe(exception: BaseException) -> str:
    reasons = getattr(exception, "reasons", None)
    if reasons:
        return "; ".join(str(reason.value) for reason in reasons)
    return str(exception) or type(exception).__name__
