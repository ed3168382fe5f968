# -*- test-case-name: tests.test_s3_client -*-
"""
The S3 calls this server makes, one method each, over treq.

This is the only module that speaks HTTP. It signs every request, streams
object bodies both ways without holding them, retries what is safe to retry,
and turns every failure into an L{S3Error} that carries S3's code, the HTTP
status and the request id, logging it once.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from xml.sax.saxutils import escape

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

from .bodies import PartBody
from .credentials import ICredentialsProvider
from .errors import S3Error
from .responses import (
    ListPage,
    MalformedResponse,
    MultipartUploadEntry,
    is_error,
    parse_delete_result,
    parse_error,
    parse_etag_result,
    parse_initiate_multipart_upload,
    parse_list_multipart_uploads,
    parse_list_objects_v2,
    parse_timestamp,
)
from .signing import EMPTY_SHA256, canonical_query_string, sign, uri_encode

log = Logger()

#: Largest object CopyObject copies in one request; larger ones go part by part.
MAX_SINGLE_COPY = 5 * 1024**3
#: Part size for server-side multipart copies of objects above L{MAX_SINGLE_COPY}.
COPY_PART_SIZE = 512 * 1024**2


@dataclass(frozen=True)
class ObjectInfo:
    """What HEAD tells about an object."""

    key: str
    size: int
    last_modified: datetime.datetime
    etag: str


@dataclass(frozen=True)
class RetryPolicy:
    """
    How often and how patiently to retry a call that failed transiently.

    The delays grow geometrically; they are waited on the injected clock, so
    tests step through them with L{twisted.internet.task.Clock}.
    """

    attempts: int = 3
    first_delay: float = 0.25
    factor: float = 4.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number C{attempt} (from 1)."""
        return self.first_delay * self.factor ** (attempt - 1)


class S3Client:
    """
    One bucket, reached through an injected L{IAgent}.

    Requests go to the agent itself rather than through treq's C{HTTPClient},
    which would add gzip decoding: an object stored with C{Content-Encoding:
    gzip} must reach the FTP client as the bytes S3 holds. treq still reads
    the small XML bodies.

    Keys are paths inside the bucket without a leading slash. Requests use
    path-style addressing (C{/bucket/key}), which every S3-compatible server
    accepts.
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
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 120.0,
    ) -> None:
        self._agent = agent
        self._credentials = credentials
        self._scheme, self._host = endpoint
        self._bucket = bucket
        self._region = region
        self._clock = clock
        self._retry = retry
        self._timeout = timeout

    @property
    def bucket(self) -> str:
        return self._bucket

    # -- the bucket ---------------------------------------------------------

    async def create_bucket(self) -> None:
        """
        Create the bucket (used by the quick start's embedded S3; a real
        deployment is given a bucket that exists).
        """
        body = None
        if self._region != "us-east-1":
            body = PartBody.of(
                (
                    "<CreateBucketConfiguration><LocationConstraint>"
                    f"{escape(self._region)}</LocationConstraint></CreateBucketConfiguration>"
                ).encode()
            )
        await self._call("CreateBucket", "PUT", None, body=body)

    # -- objects ----------------------------------------------------------

    async def head_object(self, key: str) -> ObjectInfo:
        """Size, time and ETag of C{key}; L{S3Error} with status 404 if absent."""
        response = await self._call("HeadObject", "HEAD", key)
        headers = response.headers
        last_modified = _header(headers, "last-modified")
        return ObjectInfo(
            key=key,
            size=int(_header(headers, "content-length") or 0),
            last_modified=_http_date(last_modified),
            etag=(_header(headers, "etag") or "").strip('"'),
        )

    async def get_object_bytes(self, key: str) -> bytes:
        """The whole body of a small object, in memory (an append's first part)."""
        response = await self._call("GetObject", "GET", key)
        return response.body

    async def get_object(self, key: str, consumer: IConsumer, *, first_byte: int = 0) -> int:
        """
        Stream C{key}'s body into C{consumer} and return the number of bytes.

        The response is registered as a streaming producer on the consumer,
        so a slow consumer pauses the HTTP connection and nothing piles up.
        """
        headers = {"range": f"bytes={first_byte}-"} if first_byte else {}
        response = await self._call(
            "GetObject", "GET", key, headers=headers, expect=(200, 206), read_body=False
        )
        done: Deferred[int] = Deferred()
        response.deliverBody(_BodyToConsumer(consumer, done))
        try:
            return await done
        except Exception as e:
            raise S3Error(
                "ConnectionError", None, f"body interrupted: {e}", operation="GetObject", key=key
            ) from e

    async def put_object(self, key: str, data: bytes | PartBody = b"") -> str:
        """Store a small object (a marker, a small file) whole; return its ETag."""
        body = data if isinstance(data, PartBody) else PartBody.of(data)
        response = await self._call("PutObject", "PUT", key, body=body)
        return (_header(response.headers, "etag") or "").strip('"')

    async def copy_object(self, source_key: str, target_key: str, size: int) -> None:
        """
        Copy inside the bucket without moving bytes through this process.

        Objects above 5 GiB cannot be copied in one call and go part by part.
        """
        if size > MAX_SINGLE_COPY:
            await self._copy_multipart(source_key, target_key, size)
            return
        response = await self._call(
            "CopyObject", "PUT", target_key, headers={"x-amz-copy-source": self._source(source_key)}
        )
        self._check_embedded_error("CopyObject", target_key, response)
        self._parsed("CopyObject", target_key, parse_etag_result, response.body)

    async def _copy_multipart(self, source_key: str, target_key: str, size: int) -> None:
        upload_id = await self.create_multipart_upload(target_key)
        try:
            parts = []
            for number, start in enumerate(range(0, size, COPY_PART_SIZE), start=1):
                end = min(start + COPY_PART_SIZE, size) - 1
                etag = await self.upload_part_copy(
                    target_key, upload_id, number, source_key, start, end
                )
                parts.append((number, etag))
            await self.complete_multipart_upload(target_key, upload_id, parts)
        except BaseException:
            await self.abort_multipart_upload_quietly(target_key, upload_id)
            raise

    async def delete_object(self, key: str) -> None:
        """Delete C{key}; deleting a missing key succeeds, as in S3."""
        await self._call("DeleteObject", "DELETE", key, expect=(204, 200))

    async def delete_objects(self, keys: Sequence[str]) -> None:
        """Delete up to 1,000 keys in one request, in the order given."""
        if not keys:
            return
        if len(keys) > 1000:
            raise ValueError("DeleteObjects takes at most 1,000 keys")
        entries = "".join(f"<Object><Key>{escape(key)}</Key></Object>" for key in keys)
        document = f"<Delete><Quiet>true</Quiet>{entries}</Delete>".encode()
        md5 = base64.b64encode(hashlib.md5(document).digest()).decode()
        response = await self._call(
            "DeleteObjects",
            "POST",
            None,
            query=[("delete", "")],
            headers={"content-md5": md5, "content-type": "application/xml"},
            body=PartBody.of(document),
        )
        failures = parse_delete_result(response.body)
        if failures:
            first = failures[0]
            raise self._logged(S3Error(first.code, 200, first.message, operation="DeleteObjects"))

    # -- listings ---------------------------------------------------------

    async def list_objects(
        self,
        prefix: str,
        *,
        delimiter: str | None = None,
        max_keys: int | None = None,
        continuation_token: str | None = None,
    ) -> ListPage:
        """One page of ListObjectsV2."""
        query = [("list-type", "2"), ("prefix", prefix), ("encoding-type", "url")]
        if delimiter is not None:
            query.append(("delimiter", delimiter))
        if max_keys is not None:
            query.append(("max-keys", str(max_keys)))
        if continuation_token is not None:
            query.append(("continuation-token", continuation_token))
        response = await self._call("ListObjectsV2", "GET", None, query=query)
        return self._parsed("ListObjectsV2", prefix, parse_list_objects_v2, response.body)

    async def iter_pages(
        self, prefix: str, *, delimiter: str | None = None
    ) -> AsyncIterator[ListPage]:
        """Every page of a listing, fetched one at a time as the caller asks."""
        token = None
        while True:
            page = await self.list_objects(prefix, delimiter=delimiter, continuation_token=token)
            yield page
            token = page.next_continuation_token
            if token is None:
                return

    # -- multipart uploads ------------------------------------------------

    async def create_multipart_upload(self, key: str) -> str:
        """Start a multipart upload of C{key}; return its upload id."""
        response = await self._call("CreateMultipartUpload", "POST", key, query=[("uploads", "")])
        return self._parsed(
            "CreateMultipartUpload", key, parse_initiate_multipart_upload, response.body
        )

    async def upload_part(self, key: str, upload_id: str, number: int, body: PartBody) -> str:
        """Send one part; return its ETag."""
        response = await self._call(
            "UploadPart",
            "PUT",
            key,
            query=[("partNumber", str(number)), ("uploadId", upload_id)],
            body=body,
        )
        etag = _header(response.headers, "etag")
        if not etag:
            raise self._logged(
                S3Error(
                    "MissingETag",
                    response.code,
                    "UploadPart answered without an ETag",
                    request_id=_request_id(response),
                    operation="UploadPart",
                    key=key,
                )
            )
        return etag

    async def upload_part_copy(
        self, key: str, upload_id: str, number: int, source_key: str, first: int, last: int
    ) -> str:
        """Make part C{number} from bytes C{first}..C{last} of C{source_key}."""
        response = await self._call(
            "UploadPartCopy",
            "PUT",
            key,
            query=[("partNumber", str(number)), ("uploadId", upload_id)],
            headers={
                "x-amz-copy-source": self._source(source_key),
                "x-amz-copy-source-range": f"bytes={first}-{last}",
            },
        )
        self._check_embedded_error("UploadPartCopy", key, response)
        return '"' + self._parsed("UploadPartCopy", key, parse_etag_result, response.body) + '"'

    async def complete_multipart_upload(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> None:
        """Join the parts into the object, which appears only now."""
        entries = "".join(
            f"<Part><PartNumber>{number}</PartNumber><ETag>{escape(etag)}</ETag></Part>"
            for number, etag in parts
        )
        document = f"<CompleteMultipartUpload>{entries}</CompleteMultipartUpload>".encode()
        response = await self._call(
            "CompleteMultipartUpload",
            "POST",
            key,
            query=[("uploadId", upload_id)],
            body=PartBody.of(document),
            retry=False,
        )
        self._check_embedded_error("CompleteMultipartUpload", key, response)

    async def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        """Throw away an upload and every part sent for it."""
        await self._call(
            "AbortMultipartUpload",
            "DELETE",
            key,
            query=[("uploadId", upload_id)],
            expect=(204, 200, 404),
        )

    async def abort_multipart_upload_quietly(self, key: str, upload_id: str) -> None:
        """Abort, logging rather than raising: used while another error is on its way up."""
        try:
            await self.abort_multipart_upload(key, upload_id)
        except S3Error:
            log.failure(
                "could not abort multipart upload {upload_id} of {key}",
                upload_id=upload_id,
                key=key,
            )

    async def list_multipart_uploads(self, prefix: str = "") -> tuple[MultipartUploadEntry, ...]:
        """The uploads in progress under C{prefix} (first page: up to 1,000)."""
        response = await self._call(
            "ListMultipartUploads", "GET", None, query=[("uploads", ""), ("prefix", prefix)]
        )
        return self._parsed(
            "ListMultipartUploads", prefix, parse_list_multipart_uploads, response.body
        )

    # -- plumbing ---------------------------------------------------------

    def _source(self, key: str) -> str:
        return uri_encode(f"/{self._bucket}/{key}", encode_slash=False)

    def _path(self, key: str | None) -> str:
        return f"/{self._bucket}" if key is None else f"/{self._bucket}/{key}"

    async def _call(
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
        retry: bool = True,
    ) -> _Answer:
        attempts = self._retry.attempts if retry else 1
        for attempt in range(1, attempts + 1):
            try:
                return await self._attempt(
                    operation, method, key, query, headers or {}, body, expect, read_body
                )
            except S3Error as e:
                if attempt == attempts or not e.transient:
                    raise self._logged(e) from None
                log.info(
                    "S3 {operation} {key} failed transiently ({code}, request id {request_id});"
                    " retrying",
                    operation=operation,
                    key=key,
                    code=e.code,
                    request_id=e.request_id,
                )
                await deferLater(self._clock, self._retry.delay(attempt), lambda: None)
        raise AssertionError("unreachable")

    async def _attempt(
        self,
        operation: str,
        method: str,
        key: str | None,
        query: Sequence[tuple[str, str]],
        extra_headers: dict[str, str],
        body: PartBody | None,
        expect: tuple[int, ...],
        read_body: bool,
    ) -> _Answer:
        path = self._path(key)
        credentials = await self._credentials.credentials()
        now = datetime.datetime.fromtimestamp(self._clock.seconds(), tz=datetime.timezone.utc)
        signed = sign(
            method=method,
            host=self._host,
            path=path,
            query=query,
            headers=extra_headers,
            payload_sha256=body.sha256_hex() if body is not None else EMPTY_SHA256,
            credentials=credentials,
            region=self._region,
            now=now,
        )
        url = f"{self._scheme}://{self._host}{uri_encode(path, encode_slash=False)}"
        if query:
            url += "?" + canonical_query_string(query)
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
            response = await requested
        except Exception as e:
            raise S3Error(
                "ConnectionError", None, _describe(e), operation=operation, key=key
            ) from e

        if response.code not in expect:
            raw = b"" if method == "HEAD" else await self._read(operation, key, response)
            error = parse_error(raw)
            raise S3Error(
                error.code if error and error.code else _code_for_status(response.code),
                response.code,
                error.message if error else "",
                request_id=_request_id(response) or (error.request_id if error else None),
                operation=operation,
                key=key,
            )
        raw = await self._read(operation, key, response) if read_body and method != "HEAD" else b""
        return _Answer(response, raw)

    async def _read(self, operation: str, key: str | None, response: IResponse) -> bytes:
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

    def _check_embedded_error(self, operation: str, key: str, answer: _Answer) -> None:
        if is_error(answer.body):
            error = parse_error(answer.body)
            assert error is not None
            raise self._logged(
                S3Error(
                    error.code or "InternalError",
                    answer.code,
                    error.message,
                    request_id=error.request_id or _request_id(answer.response),
                    operation=operation,
                    key=key,
                )
            )

    def _parsed(self, operation: str, key: str | None, parser: Any, body: bytes) -> Any:
        try:
            return parser(body)
        except MalformedResponse as e:
            raise self._logged(
                S3Error("MalformedResponse", 200, str(e), operation=operation, key=key)
            ) from e

    @staticmethod
    def _logged(error: S3Error) -> S3Error:
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


@dataclass(frozen=True)
class _Answer:
    """A response whose status was expected, with its body when it was read."""

    response: Any
    body: bytes

    @property
    def code(self) -> int:
        return self.response.code

    @property
    def headers(self) -> Headers:
        return self.response.headers

    def deliverBody(self, protocol: Protocol) -> None:
        self.response.deliverBody(protocol)


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


def _header(headers: Headers, name: str) -> str | None:
    values = headers.getRawHeaders(name)
    return values[0] if values else None


def _request_id(response: Any) -> str | None:
    return _header(response.headers, "x-amz-request-id")


def _http_date(value: str | None) -> datetime.datetime:
    if not value:
        return datetime.datetime.fromtimestamp(0, tz=datetime.timezone.utc)
    try:
        return parsedate_to_datetime(value).astimezone(datetime.timezone.utc)
    except (TypeError, ValueError):
        return parse_timestamp(value)


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
