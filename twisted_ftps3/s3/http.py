# -*- test-case-name: tests.test_s3_client -*-
"""
How one S3 request travels: signed, timed, retried, streamed, and turned
into an L{S3Error} when it fails.

L{S3Requester} is everything the S3 client knows about HTTP, and nothing it
knows about S3's operations: it signs each attempt afresh (the time is in
the signature), sends it through an injected L{IAgent}, gives up on an
attempt after a timeout measured on the injected clock, reads small XML
bodies whole (and finds the C{<Error>} some calls send inside a 200) and
streams object bodies into a consumer with backpressure. Each request is
retried as its L{IRetryPolicy} says, by L{twisted_ftps3.s3.retry}, which
also logs every failure handed back exactly once. The operations themselves
(which query, which headers, which XML) live in L{twisted_ftps3.s3.client}.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import treq
from twisted.internet.defer import CancelledError, Deferred, DeferredSemaphore, ensureDeferred
from twisted.internet.defer import TimeoutError as AttemptTimedOut
from twisted.internet.interfaces import IConsumer, IReactorTime
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure
from twisted.web.client import ResponseDone
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers
from twisted.web.iweb import IAgent, IResponse

from .bodies import PartBody
from .credentials import ICredentialsProvider
from .errors import S3Error
from .responses import MalformedResponse, is_error, parse_error
from .retry import DEFAULT_RETRY, IRetryPolicy, RetryPolicy, logged, retrying
from .sharing import QueuedReads
from .signing import EMPTY_SHA256, UNSIGNED_PAYLOAD, canonical_query_string, sign, uri_encode

__all__ = ["Answer", "IRetryPolicy", "RetryPolicy", "S3Requester", "logged"]

_T = TypeVar("_T")


class S3Requester:
    """
    Sends signed requests about one bucket through an injected L{IAgent}.

    Requests go to the agent itself rather than through treq's C{HTTPClient},
    which would add gzip decoding: an object stored with C{Content-Encoding:
    gzip} must reach the FTP client as the bytes S3 holds. treq still reads
    the small XML bodies.

    Requests use path-style addressing (C{/bucket/key}), which every
    S3-compatible server accepts.

    @param retry: when a failed request is sent again; the delays are
        waited on C{clock}.
    @param timeout: seconds an attempt may wait for S3's answer before it
        counts as a dropped connection (and is retried, if the policy's
        patience allows).
    @param concurrency: how many attempts may be waiting on S3 at once;
        the others queue, first come first served. A thousand sessions
        uploading at once would otherwise open a thousand connections, and
        an S3-compatible server that stops answering under them turns a
        burst into failures. An attempt holds its place until its answer's
        headers (or, when the body is read whole, the body) have come; a
        download streams its body after giving its place up. The attempt's
        timeout runs from when it is sent, not while it queues. A read
        (C{GET} or C{HEAD}, its body read whole) that finds the same read
        still queued joins it (L{twisted_ftps3.s3.sharing}).
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
        concurrency: int = 64,
    ) -> None:
        self._agent = agent
        self._credentials = credentials
        self._scheme, self._host = endpoint
        self.bucket = bucket
        self.region = region
        self._clock = clock
        self._retry = retry
        self._timeout = timeout
        self._slots = DeferredSemaphore(concurrency)
        self._queued_reads: QueuedReads[Answer] = QueuedReads()

    @property
    def signs_payload(self) -> bool:
        """Whether the SHA-256 of a body is signed: over plain HTTP (see L{_payload})."""
        return self._scheme != "https"

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
        embedded_errors: bool = False,
        retry: IRetryPolicy | None = None,
    ) -> Answer:
        """
        Send C{method} to C{key} until an attempt succeeds or the retry
        policy (C{retry}, else the requester's) gives up.

        @param operation: S3's name of the call, for errors and logs.
        @param expect: the statuses that mean success.
        @param read_body: whether to read the body of a success whole; a
            download passes C{False} and streams it with L{Answer.stream_into}.
        @param embedded_errors: whether a success may still be a failure
            told in an C{<Error>} body, as CompleteMultipartUpload and the
            copies may answer 200 and then fail; such an error is retried
            when its code is transient (C{InternalError}, C{SlowDown}...),
            as a 5xx would be.
        @raise S3Error: logged already.
        """
        call = _Call(
            operation,
            method,
            key,
            tuple(query),
            headers or {},
            body,
            expect,
            read_body,
            embedded_errors,
        )
        policy = retry if retry is not None else self._retry
        if not call.shareable:
            return await self._retried(call, policy, sent=lambda: None)
        return await self._queued_reads.read(
            (call.identity(), id(policy)), lambda sent: self._retried(call, policy, sent)
        )

    def _retried(
        self, call: _Call, policy: IRetryPolicy, sent: Callable[[], None]
    ) -> Deferred[Answer]:
        """
        C{call}'s attempts, each waiting for its place under the bound,
        until one succeeds or C{policy} gives up; C{sent} is called each
        time an attempt leaves the queue.
        """

        def attempt() -> Deferred[Answer]:
            def granted() -> Deferred[Answer]:
                sent()
                return ensureDeferred(self._attempt(call))

            return self._slots.run(granted)

        return ensureDeferred(
            retrying(
                attempt, policy=policy, clock=self._clock, operation=call.operation, key=call.key
            )
        )

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
        if call.embedded_errors and is_error(raw):
            raise _embedded_error(raw, response, operation, key)
        return Answer(response, raw, operation, key)

    def _payload(self, call: _Call) -> tuple[dict[str, str], str]:
        """
        The headers to sign for C{call}'s body and the payload hash to sign.

        A body goes with a checksum S3 checks before it stores anything: the
        one the client put in an C{x-amz-checksum-*} header for object data
        (see L{twisted_ftps3.s3.checksums}), else its C{Content-MD5},
        computed here. Either is a signed header.

        Over HTTPS the payload itself is not signed (C{UNSIGNED-PAYLOAD}):
        TLS protects the bytes on the way, and the checksum lets S3 refuse a
        part corrupted before TLS or in S3, so the SHA-256 of every byte
        uploaded is not computed.

        Over plain HTTP nothing else protects the bytes, and the SHA-256 is
        signed, whichever the checksum, as the AWS SDKs do. A CRC32 is no
        MAC: whoever can change the bytes on the way can keep their CRC32 by
        changing four more, and the signed header would still match. So
        there the default checksum is that SHA-256 itself
        (C{x-amz-checksum-sha256}), computed once for both.
        """
        body = call.body
        if body is None:
            return call.headers, EMPTY_SHA256
        headers = call.headers
        if not any(name.startswith("x-amz-checksum-") for name in headers):
            headers = {"content-md5": body.content_md5(), **headers}
        if not self.signs_payload:
            return headers, UNSIGNED_PAYLOAD
        return headers, body.sha256_hex()

    async def _send(self, call: _Call) -> IResponse:
        """Sign C{call} for now and send it, with the timeout running."""
        method, body = call.method, call.body
        path = self.path(call.key)
        credentials = await self._credentials.credentials()
        now = datetime.datetime.fromtimestamp(self._clock.seconds(), tz=datetime.timezone.utc)
        headers, payload = self._payload(call)
        signed = sign(
            method=method,
            host=self._host,
            path=path,
            query=call.query,
            headers=headers,
            payload_sha256=payload,
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
        except CancelledError:
            # The caller gave up on the call (an aborted upload): no retry.
            raise
        except AttemptTimedOut as e:
            message = f"no answer within {self._timeout:g} s"
            raise S3Error(
                "ConnectionError", None, message, operation=call.operation, key=call.key
            ) from e
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
    embedded_errors: bool

    @property
    def shareable(self) -> bool:
        """Whether callers asking the same may share one answer: a read, its body read whole."""
        return self.body is None and self.read_body and self.method in ("GET", "HEAD")

    def identity(self) -> Hashable:
        """What the call asks, equal for calls that would get the same answer."""
        return (
            self.operation,
            self.method,
            self.key,
            self.query,
            tuple(sorted(self.headers.items())),
            self.expect,
            self.read_body,
            self.embedded_errors,
        )


@dataclass(frozen=True)
class Answer:
    """A response whose status was expected, with its body when it was read."""

    response: IResponse
    body: bytes
    operation: str
    key: str | None
    #: What L{parsed} made of the body, by parser: a shared read's callers
    #: parse a large listing once between them.
    _parsed: dict[Callable[[bytes], Any], Any] = field(
        default_factory=dict, compare=False, repr=False
    )

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

    def parsed(self, parser: Callable[[bytes], _T]) -> _T:
        """The body through C{parser}; XML it cannot read is an L{S3Error}."""
        if parser in self._parsed:
            return self._parsed[parser]  # type: ignore[no-any-return]
        try:
            result = self._parsed[parser] = parser(self.body)
        except MalformedResponse as e:
            raise logged(
                S3Error("MalformedResponse", 200, str(e), operation=self.operation, key=self.key)
            ) from e
        return result

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

    def discard(self) -> None:
        """
        Let the unread body go: its connection is closed, unless the whole
        body has come already, in which case the connection is back in the
        pool and stays there.
        """
        self.response.deliverBody(_Discard())


class _Discard(Protocol):
    """Takes a body only to stop it (Twisted's way to let a response go unread)."""

    def connectionMade(self) -> None:
        self.transport.stopProducing()

    def connectionLost(self, reason: Failure) -> None:
        pass


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


def _embedded_error(raw: bytes, response: IResponse, operation: str, key: str | None) -> S3Error:
    """The failure a 200 answer told in its C{<Error>} body."""
    error = parse_error(raw)
    assert error is not None
    return S3Error(
        error.code or "InternalError",
        response.code,
        error.message,
        request_id=error.request_id or _request_id(response),
        operation=operation,
        key=key,
    )


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
