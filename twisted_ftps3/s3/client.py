# -*- test-case-name: tests.test_s3_client,tests.test_object_store -*-
"""
The S3 calls this server makes, one method each: L{S3Client}, the
L{IObjectStore} over HTTP.

Each method builds its call (the query, the headers, the XML it sends) and
reads S3's answer into the values of L{twisted_ftps3.s3.objects}. How the
request travels (signing, retries, timeouts, streaming, turning failures
into L{S3Error}) is L{twisted_ftps3.s3.http}'s concern, not this module's.

Every body of object data goes with the checksum L{twisted_ftps3.s3.checksums}
says S3 verifies.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Sequence
from email.utils import parsedate_to_datetime
from xml.sax.saxutils import escape

from zope.interface import implementer

from .bodies import PartBody
from .checksums import CHECKSUMS, Checksum
from .download import HeldBody, whole_size
from .errors import S3Error
from .http import Answer, S3Requester, logged
from .interfaces import IAbortRetrier, IObjectStore
from .limits import MAX_DELETE_KEYS, MAX_SINGLE_COPY
from .multipart import copy_in_parts
from .objects import (
    LifecycleRule,
    ListPage,
    MultipartUploadEntry,
    ObjectInfo,
    UploadedPart,
    UploadPage,
    every_upload,
    follow_pages,
)
from .responses import (
    MalformedResponse,
    parse_copy_part_result,
    parse_delete_result,
    parse_etag_result,
    parse_initiate_multipart_upload,
    parse_lifecycle_configuration,
    parse_list_multipart_uploads,
    parse_list_objects_v2,
    parse_timestamp,
)
from .signing import uri_encode

__all__ = ["S3Client"]


@implementer(IObjectStore)
class S3Client:
    """
    One bucket of an S3-compatible store, reached through an
    L{S3Requester}, which holds the agent, the credentials, the clock and
    the retry policy.

    Keys are paths inside the bucket without a leading slash. Every call is
    retried on S3's transient failures, CompleteMultipartUpload too: a
    retry that finds the upload gone because an earlier attempt completed
    it is told apart from a failure by L{twisted_ftps3.s3.completion}.

    @param checksum: which checksum object data goes with, one of
        L{CHECKSUMS}.
    """

    #: Where an abort that failed goes to be tried again; set by the
    #: service tree once its retrier exists.
    aborts: IAbortRetrier | None = None

    def __init__(self, requester: S3Requester, checksum: str = CHECKSUMS[0]) -> None:
        self._http = requester
        self._checksum = Checksum(checksum, payload_signed=requester.signs_payload)

    @property
    def bucket(self) -> str:
        return self._http.bucket

    # -- the bucket ---------------------------------------------------------

    async def create_bucket(self) -> None:
        """
        Create the bucket (used by the quick start's embedded S3; a real
        deployment is given a bucket that exists).
        """
        body = None
        region = self._http.region
        if region != "us-east-1":
            body = PartBody.of(
                (
                    "<CreateBucketConfiguration><LocationConstraint>"
                    f"{escape(region)}</LocationConstraint></CreateBucketConfiguration>"
                ).encode()
            )
        await self._http.request("CreateBucket", "PUT", None, body=body)

    # -- objects ----------------------------------------------------------

    async def head_object(self, key: str) -> ObjectInfo:
        """Size, time and ETag of C{key}; L{S3Error} with status 404 if absent."""
        answer = await self._http.request("HeadObject", "HEAD", key)
        return _info(key, answer, int(answer.header("content-length") or 0))

    async def get_object_bytes(self, key: str) -> bytes:
        """The whole body of a small object, in memory (an append's first part)."""
        answer = await self._http.request("GetObject", "GET", key)
        return answer.body

    async def open_object(self, key: str, first_byte: int = 0) -> HeldBody:
        """
        GET C{key} from C{first_byte} on (the whole object from 0, with no
        Range header, so that an empty object is no 416), and return once
        the headers have come: the body is held, unread, for the caller to
        stream or discard. A GET that fails before its headers is retried
        as any request is; once the body flows, it is the consumer's.

        A range that starts at or past the end is S3's 416, which does not
        say how long the object is: a HEAD does, and the body is empty.
        """
        ranged = {"range": f"bytes={first_byte}-"} if first_byte else {}
        answer = await self._http.request(
            "GetObject",
            "GET",
            key,
            headers=ranged,
            expect=(200, 206, 416) if first_byte else (200,),
            read_body=False,
        )
        if answer.code == 416:
            answer.discard()
            info = await self.head_object(key)
            if info.size > first_byte:
                # Replaced by a longer object between the two requests.
                raise answer.refuse("InvalidRange", "the object changed while it was opened")
            return HeldBody(info, first_byte, None)
        try:
            size = whole_size(answer, first_byte)
        except S3Error:
            answer.discard()
            raise
        return HeldBody(_info(key, answer, size), first_byte, answer)

    async def put_object(self, key: str, data: bytes | PartBody = b"") -> str:
        """Store a small object (a marker, a small file) whole; return its ETag."""
        body = data if isinstance(data, PartBody) else PartBody.of(data)
        answer = await self._http.request(
            "PutObject", "PUT", key, headers=self._checksum.headers(body), body=body
        )
        return (answer.header("etag") or "").strip('"')

    async def copy_object(self, source_key: str, target_key: str, size: int) -> None:
        """
        Copy inside the bucket without moving bytes through this process.

        Objects above L{MAX_SINGLE_COPY} cannot be copied in one call and go
        part by part.
        """
        if size > MAX_SINGLE_COPY:
            await copy_in_parts(self, source_key, target_key, size)
            return
        answer = await self._http.request(
            "CopyObject",
            "PUT",
            target_key,
            headers={"x-amz-copy-source": self._source(source_key)},
            embedded_errors=True,
        )
        answer.parsed(parse_etag_result)

    async def delete_object(self, key: str) -> None:
        """Delete C{key}; deleting a missing key succeeds, as in S3."""
        await self._http.request("DeleteObject", "DELETE", key, expect=(204, 200))

    async def delete_objects(self, keys: Sequence[str]) -> None:
        """Delete up to L{MAX_DELETE_KEYS} keys in one request, in the order given."""
        if not keys:
            return
        if len(keys) > MAX_DELETE_KEYS:
            raise ValueError(f"DeleteObjects takes at most {MAX_DELETE_KEYS:,} keys")
        entries = "".join(f"<Object><Key>{escape(key)}</Key></Object>" for key in keys)
        document = f"<Delete><Quiet>true</Quiet>{entries}</Delete>".encode()
        answer = await self._http.request(
            "DeleteObjects",
            "POST",
            None,
            query=[("delete", "")],
            # The requester adds the Content-MD5 S3 requires here.
            headers={"content-type": "application/xml"},
            body=PartBody.of(document),
        )
        failures = parse_delete_result(answer.body)
        if failures:
            first = failures[0]
            raise logged(S3Error(first.code, 200, first.message, operation="DeleteObjects"))

    # -- listings ---------------------------------------------------------

    async def list_objects(
        self,
        prefix: str,
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
        answer = await self._http.request("ListObjectsV2", "GET", None, query=query)
        return answer.parsed(parse_list_objects_v2)

    async def iter_pages(
        self, prefix: str, delimiter: str | None = None
    ) -> AsyncIterator[ListPage]:
        """Every page of a listing, fetched one at a time as the caller asks."""
        async for page in follow_pages(self.list_objects, prefix, delimiter):
            yield page

    # -- multipart uploads ------------------------------------------------

    async def create_multipart_upload(self, key: str) -> str:
        """
        Start a multipart upload of C{key}; return its upload id. The upload
        declares its checksum, if it has one: S3 then expects it of every part.
        """
        answer = await self._http.request(
            "CreateMultipartUpload",
            "POST",
            key,
            query=[("uploads", "")],
            headers=self._checksum.declaration(),
        )
        return answer.parsed(parse_initiate_multipart_upload)

    async def upload_part(
        self, key: str, upload_id: str, number: int, body: PartBody
    ) -> UploadedPart:
        """Send one part; return its ETag and its checksum (L{Checksum.sent})."""
        answer = await self._http.request(
            "UploadPart",
            "PUT",
            key,
            query=[("partNumber", str(number)), ("uploadId", upload_id)],
            headers=self._checksum.headers(body),
            body=body,
        )
        etag = answer.header("etag")
        if not etag:
            raise answer.refuse("MissingETag", "UploadPart answered without an ETag")
        return self._checksum.sent(etag, body, answer)

    async def upload_part_copy(
        self, key: str, upload_id: str, number: int, source_key: str, first: int, last: int
    ) -> UploadedPart:
        """
        Make part C{number} from bytes C{first}..C{last} of C{source_key};
        return its ETag and the checksum S3 reports of it, if it reports one.
        """
        answer = await self._http.request(
            "UploadPartCopy",
            "PUT",
            key,
            query=[("partNumber", str(number)), ("uploadId", upload_id)],
            headers={
                "x-amz-copy-source": self._source(source_key),
                "x-amz-copy-source-range": f"bytes={first}-{last}",
            },
            embedded_errors=True,
        )
        etag, checksums = answer.parsed(parse_copy_part_result)
        return self._checksum.copied(f'"{etag}"', checksums)

    async def complete_multipart_upload(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, UploadedPart]]
    ) -> str | None:
        """
        Join the parts into the object, which appears only now; each part is
        named by its ETag, and by its checksum (C{ChecksumCRC32},
        C{ChecksumSHA256}) where it has one.

        A retry after an attempt whose answer was lost may find the upload
        gone (C{NoSuchUpload}), as that attempt completed it: the caller
        confirms the object (L{twisted_ftps3.s3.completion.complete_upload}).
        """
        element = self._checksum.element

        def checksum(part: UploadedPart) -> str:
            if element is None or part.checksum is None:
                return ""
            return f"<{element}>{escape(part.checksum)}</{element}>"

        entries = "".join(
            f"<Part><PartNumber>{number}</PartNumber><ETag>{escape(part.etag)}</ETag>"
            f"{checksum(part)}</Part>"
            for number, part in parts
        )
        document = f"<CompleteMultipartUpload>{entries}</CompleteMultipartUpload>".encode()
        answer = await self._http.request(
            "CompleteMultipartUpload",
            "POST",
            key,
            query=[("uploadId", upload_id)],
            body=PartBody.of(document),
            embedded_errors=True,
        )
        try:
            return parse_etag_result(answer.body) or None
        except MalformedResponse:
            return None

    async def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        """Throw away an upload and every part sent for it."""
        await self._http.request(
            "AbortMultipartUpload",
            "DELETE",
            key,
            query=[("uploadId", upload_id)],
            expect=(204, 200, 404),
        )

    async def list_multipart_uploads(self, prefix: str = "") -> tuple[MultipartUploadEntry, ...]:
        """The uploads in progress under C{prefix}, over every page."""
        return await every_upload(self.list_multipart_upload_page, prefix)

    async def list_multipart_upload_page(
        self,
        prefix: str = "",
        key_marker: str | None = None,
        upload_id_marker: str | None = None,
        max_uploads: int | None = None,
    ) -> UploadPage:
        """
        One page of ListMultipartUploads; S3 pages at 1,000 uploads unless
        C{max_uploads} asks for fewer.
        """
        query = [("uploads", ""), ("prefix", prefix)]
        if key_marker is not None:
            query.append(("key-marker", key_marker))
        if upload_id_marker is not None:
            query.append(("upload-id-marker", upload_id_marker))
        if max_uploads is not None:
            query.append(("max-uploads", str(max_uploads)))
        answer = await self._http.request("ListMultipartUploads", "GET", None, query=query)
        return answer.parsed(parse_list_multipart_uploads)

    async def get_bucket_lifecycle(self) -> tuple[LifecycleRule, ...]:
        """
        The bucket's lifecycle rules (GET C{/bucket?lifecycle}); S3's
        C{NoSuchLifecycleConfiguration} is a bucket without rules.
        """
        try:
            answer = await self._http.request(
                "GetBucketLifecycleConfiguration", "GET", None, query=[("lifecycle", "")]
            )
        except S3Error as e:
            if e.code == "NoSuchLifecycleConfiguration":
                return ()
            raise
        return answer.parsed(parse_lifecycle_configuration)

    def _source(self, key: str) -> str:
        """The C{x-amz-copy-source} of C{key}: its path, encoded."""
        return uri_encode(self._http.path(key), encode_slash=False)


def _info(key: str, answer: Answer, size: int) -> ObjectInfo:
    """What the headers of a HEAD or a GET say of C{key}, whose size is C{size}."""
    return ObjectInfo(
        key=key,
        size=size,
        last_modified=_http_date(answer.header("last-modified")),
        etag=(answer.header("etag") or "").strip('"'),
    )


def _http_date(value: str | None) -> datetime.datetime:
    if not value:
        return datetime.datetime.fromtimestamp(0, tz=datetime.timezone.utc)
    try:
        return parsedate_to_datetime(value).astimezone(datetime.timezone.utc)
    except (TypeError, ValueError):
        return parse_timestamp(value)
