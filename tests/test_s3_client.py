# -*- test-case-name: tests.test_s3_client -*-
"""
Tests for L{twisted_ftps3.s3.client}: each S3 call over an in-memory HTTP
connection to a fake S3 that records what it is asked and answers from a
script.

L{StubTreq} itself cannot carry the client's request bodies: it feeds C{data}
through a producer that accepts only bytes. The client is therefore given
StubTreq's own agent, L{RequestTraversalAgent}, which is what StubTreq wraps:
the request still goes through Twisted's real HTTP/1.1 client and server, with
no socket.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import zlib
from dataclasses import dataclass
from random import Random
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

from treq.testing import RequestTraversalAgent
from twisted.internet.defer import CancelledError, Deferred, ensureDeferred, fail
from twisted.internet.error import ConnectionRefusedError
from twisted.internet.task import Clock
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.http_headers import Headers
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request
from zope.interface import implementer
from zope.interface.verify import verifyObject

from twisted_ftps3.s3.bodies import PartBody
from twisted_ftps3.s3.client import S3Client
from twisted_ftps3.s3.completion import UNCONFIRMED, multipart_etag
from twisted_ftps3.s3.credentials import Credentials, StaticCredentialsProvider
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.http import S3Requester
from twisted_ftps3.s3.interfaces import IObjectStore
from twisted_ftps3.s3.limits import MAX_SINGLE_COPY, MIN_PART_SIZE, copy_ranges
from twisted_ftps3.s3.objects import ListPage, ObjectInfo, UploadedPart
from twisted_ftps3.s3.retry import DEFAULT_RETRY, IRetryPolicy, RetryPolicy
from twisted_ftps3.s3.signing import EMPTY_SHA256, UNSIGNED_PAYLOAD, sign
from twisted_ftps3.s3.upload import MultipartWriter

from .support.producers import FakeProducer
from .support.s3xml import error_document, initiate_result, listing

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CREDENTIALS = Credentials(ACCESS_KEY, SECRET_KEY)
HOST = "s3.eu-west-2.amazonaws.com"
REGION = "eu-west-2"
BUCKET = "my-bucket"
#: 2026-11-26T10:19:42Z, a time S3 would accept.
NOW = 1_795_688_382.0
#: A key with every kind of character that must be encoded in a path.
ODD_KEY = "dir one/\u00a3 & +plus/cake \U0001f370.bin"
ODD_PATH = "/my-bucket/dir%20one/%C2%A3%20%26%20%2Bplus/cake%20%F0%9F%8D%B0.bin"
#: The seed of the retry policies' jitter.
SEED = 1234


def content_md5(data: bytes) -> str:
    """The C{Content-MD5} header of C{data}, as S3 checks it."""
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def checksum_crc32(data: bytes) -> str:
    """The C{x-amz-checksum-crc32} header of C{data}, as S3 checks it."""
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


@dataclass
class Received:
    """One request as the fake S3 received it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Headers
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.getRawHeaders(name)
        return values[0] if values else None

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query)


@dataclass
class Answer:
    """
    What the fake S3 answers. With C{finished} false, the body is written
    but the response is left open (in L{FakeS3.open}) for the test to end.
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] | None = None
    finished: bool = True


class FakeS3(Resource):
    """
    Records every request and answers with the next scripted L{Answer}
    (an empty 200 when the script has run out).
    """

    isLeaf = True

    def __init__(self, *answers: Answer) -> None:
        super().__init__()
        self.requests: list[Received] = []
        self.answers = list(answers)
        self.open: list[Request] = []

    def render(self, request: Request) -> bytes:
        raw_path, _, raw_query = request.uri.decode("ascii").partition("?")
        query = [
            (unquote(name), unquote(value))
            for name, _, value in (pair.partition("=") for pair in raw_query.split("&") if pair)
        ]
        assert request.content is not None
        self.requests.append(
            Received(
                method=request.method.decode("ascii"),
                path=raw_path,
                query=query,
                headers=request.requestHeaders.copy(),
                body=request.content.read(),
            )
        )
        answer = self.answers.pop(0) if self.answers else Answer()
        request.setResponseCode(answer.status)
        for name, value in (answer.headers or {}).items():
            request.setHeader(name, value)
        if not answer.finished:
            request.write(answer.body)
            self.open.append(request)
            return NOT_DONE_YET
        return answer.body


class FailingAgent:
    """An agent whose every request fails as a refused connection does."""

    def __init__(self) -> None:
        self.calls = 0

    def request(
        self, method: bytes, uri: bytes, headers: Any = None, bodyProducer: Any = None
    ) -> Deferred[Any]:
        self.calls += 1
        return fail(ConnectionRefusedError("Connection was refused by other side"))


class SilentAgent:
    """An agent whose requests are never answered."""

    def __init__(self) -> None:
        self.requests: list[Deferred[Any]] = []

    def request(self, method: bytes, uri: bytes, headers: Any = None, bodyProducer: Any = None):
        d: Deferred[Any] = Deferred()
        self.requests.append(d)
        return d


class ClientTestCase(SynchronousTestCase):
    """
    Builds an L{S3Client} talking to a L{FakeS3}, retrying with a policy
    whose jitter is drawn from a L{Random} seeded with L{SEED}, so that
    L{waits} knows every delay it will wait.
    """

    def policy(self, **kw: Any) -> RetryPolicy:
        """A retry policy with the tests' seeded random source."""
        return RetryPolicy(random=Random(SEED), **kw)

    def waits(self, count: int) -> list[float]:
        """
        The first C{count} waits a policy from L{policy} draws, before the
        patience cuts any of them: full jitter, from a twin source.
        """
        twin, bound = Random(SEED), RetryPolicy().bound
        return [twin.uniform(0, bound(attempt)) for attempt in range(1, count + 1)]

    def client(
        self,
        *answers: Answer,
        agent: Any = None,
        retry: IRetryPolicy | None = None,
        scheme: str = "https",
        checksum: str = "crc32",
        **kw: Any,
    ) -> S3Client:
        self.s3 = FakeS3(*answers)
        self.agent = RequestTraversalAgent(self.s3)
        self.clock = Clock()
        self.clock.advance(NOW)
        return S3Client(
            S3Requester(
                agent=agent if agent is not None else self.agent,
                credentials=StaticCredentialsProvider(CREDENTIALS),
                endpoint=(scheme, HOST),
                bucket=BUCKET,
                region=REGION,
                clock=self.clock,
                retry=retry or self.policy(),
                **kw,
            ),
            checksum=checksum,
        )

    def call(self, coroutine: Any) -> Deferred[Any]:
        """Start a client coroutine, as the FTP layer does."""
        return ensureDeferred(coroutine)

    def signature_mismatch(self) -> Answer:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            "<Error><Code>SignatureDoesNotMatch</Code>"
            "<Message>The request signature we calculated does not match the signature you"
            " provided. Check your key and signing method.</Message>"
            f"<AWSAccessKeyId>{ACCESS_KEY}</AWSAccessKeyId>"
            "<StringToSign>AWS4-HMAC-SHA256\n20261126T101942Z</StringToSign>"
            "<SignatureProvided>abc</SignatureProvided>"
            "<RequestId>BODY-ID</RequestId><HostId>host</HostId></Error>"
        ).encode()
        return Answer(403, body, {"x-amz-request-id": "HEADER-ID"})

    def only_request(self) -> Received:
        self.assertEqual(len(self.s3.requests), 1)
        return self.s3.requests[0]

    def assertSignedAsReceived(self, received: Received) -> None:
        """
        Sign the request exactly as it arrived, as S3 does to check it, and
        compare with the Authorization header it came with.
        """
        authorization = received.header("authorization")
        assert authorization is not None
        signed_names = authorization.partition("SignedHeaders=")[2].partition(",")[0].split(";")
        reserved = {"host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}
        headers = {
            name: received.header(name) or "" for name in signed_names if name not in reserved
        }
        amz_date = received.header("x-amz-date")
        payload = received.header("x-amz-content-sha256")
        assert amz_date is not None and payload is not None
        expected = sign(
            method=received.method,
            host=received.header("host") or "",
            path=unquote(received.path),
            query=received.query,
            headers=headers,
            payload_sha256=payload,
            credentials=CREDENTIALS,
            region=REGION,
            now=datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc
            ),
        )
        self.assertEqual(authorization, expected["authorization"])


class ObjectTests(ClientTestCase):
    """
    Single-object calls send the right request and read the right answer.
    """

    def test_putObjectRequest(self) -> None:
        """
        PutObject is a PUT of the body to C{/bucket/key}, the key encoded
        once, with the body's MD5 in C{Content-MD5} when the client is set to
        MD5.
        """
        client = self.client(checksum="md5")
        self.successResultOf(self.call(client.put_object(ODD_KEY, b"some bytes")))
        received = self.only_request()
        self.assertEqual(
            (
                received.method,
                received.path,
                received.query,
                received.body,
                received.header("content-md5"),
            ),
            ("PUT", ODD_PATH, [], b"some bytes", content_md5(b"some bytes")),
        )

    def test_putObjectSigned(self) -> None:
        """
        The PutObject request as received carries a valid SigV4 signature:
        what was signed is what was sent.
        """
        client = self.client()
        self.successResultOf(self.call(client.put_object(ODD_KEY, b"some bytes")))
        received = self.only_request()
        self.assertTrue(
            (received.header("authorization") or "").startswith(
                f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20261126/{REGION}/s3/aws4_request"
            )
        )
        self.assertSignedAsReceived(received)

    def test_putObjectEmpty(self) -> None:
        """
        An empty object is sent with C{Content-Length: 0} and the MD5 of no
        bytes.
        """
        client = self.client(checksum="md5")
        self.successResultOf(self.call(client.put_object("empty")))
        received = self.only_request()
        self.assertEqual(
            (
                received.body,
                received.header("content-length"),
                received.header("content-md5"),
            ),
            (b"", "0", content_md5(b"")),
        )

    def test_putObjectETag(self) -> None:
        """
        PutObject returns the ETag S3 answered with, unquoted.
        """
        client = self.client(Answer(headers={"etag": '"d41d8cd98f00b204e9800998ecf8427e"'}))
        self.assertEqual(
            self.successResultOf(self.call(client.put_object("k", b""))),
            "d41d8cd98f00b204e9800998ecf8427e",
        )

    def test_headObjectRequest(self) -> None:
        """
        HeadObject is a HEAD of C{/bucket/key} with the empty payload hash.
        """
        client = self.client(Answer(headers={"content-length": "0"}))
        self.successResultOf(self.call(client.head_object(ODD_KEY)))
        received = self.only_request()
        self.assertEqual(
            (received.method, received.path, received.header("x-amz-content-sha256")),
            ("HEAD", ODD_PATH, EMPTY_SHA256),
        )

    def test_headObjectParsesHeaders(self) -> None:
        """
        Size, modification time and ETag come from the HEAD answer's headers.
        """
        client = self.client(
            Answer(
                headers={
                    "content-length": "434234",
                    "last-modified": "Wed, 12 Oct 2009 17:50:00 GMT",
                    "etag": '"fba9dede5f27731c9771645a39863328"',
                }
            )
        )
        info = self.successResultOf(self.call(client.head_object("a/b")))
        self.assertEqual(
            (type(info), info.key, info.size, info.last_modified, info.etag),
            (
                ObjectInfo,
                "a/b",
                434234,
                datetime.datetime(2009, 10, 12, 17, 50, tzinfo=datetime.timezone.utc),
                "fba9dede5f27731c9771645a39863328",
            ),
        )

    def test_headObjectNotFound(self) -> None:
        """
        A 404 to HEAD (which has no body) is an L{S3Error} that is
        C{not_found}, carrying the request id from C{x-amz-request-id}.
        """
        client = self.client(Answer(404, headers={"x-amz-request-id": "4442587FB7D0A2F9"}))
        error = self.failureResultOf(self.call(client.head_object("missing")), S3Error).value
        self.assertEqual(
            (error.not_found, error.status, error.code, error.request_id, error.operation),
            (True, 404, "NotFound", "4442587FB7D0A2F9", "HeadObject"),
        )

    def test_headObjectNotFoundNotRetried(self) -> None:
        """
        A 404 is an answer, not a transient failure: it is asked once.
        """
        client = self.client(Answer(404))
        self.failureResultOf(self.call(client.head_object("missing")), S3Error)
        self.assertEqual(len(self.s3.requests), 1)

    def test_deleteObject(self) -> None:
        """
        DeleteObject is a DELETE of C{/bucket/key}; S3's 204 is success.
        """
        client = self.client(Answer(204))
        self.successResultOf(self.call(client.delete_object(ODD_KEY)))
        received = self.only_request()
        self.assertEqual((received.method, received.path), ("DELETE", ODD_PATH))


class PayloadTests(ClientTestCase):
    """
    A body goes with its MD5 for S3 to check; its SHA-256 is signed only
    over plain HTTP, where nothing else protects it.
    """

    def test_httpsUnsignedPayload(self) -> None:
        """
        Over HTTPS a body is sent as C{UNSIGNED-PAYLOAD}, with its MD5 in
        C{Content-MD5}, and the request is signed as it arrives.
        """
        client = self.client(checksum="md5")
        self.successResultOf(self.call(client.put_object("k", b"some bytes")))
        received = self.only_request()
        self.assertEqual(
            (received.header("x-amz-content-sha256"), received.header("content-md5")),
            (UNSIGNED_PAYLOAD, content_md5(b"some bytes")),
        )
        self.assertSignedAsReceived(received)

    def test_httpSignedPayload(self) -> None:
        """
        Over plain HTTP a body's SHA-256 is signed, and its MD5 is sent too.
        """
        client = self.client(scheme="http", checksum="md5")
        self.successResultOf(self.call(client.put_object("k", b"some bytes")))
        received = self.only_request()
        self.assertEqual(
            (received.header("x-amz-content-sha256"), received.header("content-md5")),
            (hashlib.sha256(b"some bytes").hexdigest(), content_md5(b"some bytes")),
        )
        self.assertSignedAsReceived(received)

    def test_httpPart(self) -> None:
        """
        Over plain HTTP a part appended in pieces is signed with the SHA-256
        of all its bytes.
        """
        body = PartBody()
        for chunk in (b"part ", b"in ", b"chunks"):
            body.append(chunk)
        client = self.client(Answer(headers={"etag": '"e"'}), scheme="http")
        self.successResultOf(self.call(client.upload_part("k", "up", 1, body)))
        self.assertEqual(
            self.only_request().header("x-amz-content-sha256"),
            hashlib.sha256(b"part in chunks").hexdigest(),
        )

    def test_httpEmptyBody(self) -> None:
        """
        Over plain HTTP an empty body is signed with the hash of no bytes.
        """
        client = self.client(scheme="http")
        self.successResultOf(self.call(client.put_object("empty")))
        self.assertEqual(self.only_request().header("x-amz-content-sha256"), EMPTY_SHA256)

    def test_contentMD5Signed(self) -> None:
        """
        C{Content-MD5} is one of the signed headers: it cannot be changed on
        the way without the signature failing.
        """
        client = self.client(checksum="md5")
        self.successResultOf(self.call(client.put_object("k", b"x")))
        authorization = self.only_request().header("authorization") or ""
        signed = authorization.partition("SignedHeaders=")[2].partition(",")[0].split(";")
        self.assertIn("content-md5", signed)

    def test_corruptPartRefused(self) -> None:
        """
        A part whose bytes do not match its C{Content-MD5} is refused by S3
        (C{BadDigest}), and the refusal fails the call with S3's code: what
        S3 holds is never a corrupted part.
        """
        client = self.client(Answer(400, error_document("BadDigest")), checksum="md5")
        d = self.call(client.upload_part("k", "up", 1, PartBody.of(b"part")))
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "BadDigest")

    def test_noBodyNoMD5(self) -> None:
        """
        A request without a body carries the empty payload hash and no
        C{Content-MD5}, over HTTPS too.
        """
        client = self.client(Answer(headers={"content-length": "0"}))
        self.successResultOf(self.call(client.head_object("k")))
        received = self.only_request()
        self.assertEqual(
            (received.header("x-amz-content-sha256"), received.header("content-md5")),
            (EMPTY_SHA256, None),
        )


class ChecksumTests(ClientTestCase):
    """
    Set to CRC32 (the default), object data goes with its
    C{x-amz-checksum-crc32}, declared when a multipart upload begins, named
    again in the completion; set to MD5, with its C{Content-MD5}.
    """

    def test_unknownChecksumRefused(self) -> None:
        """A checksum other than those of C{CHECKSUMS} is a mistake."""
        self.assertRaises(ValueError, self.client, checksum="sha1")

    def test_putObjectCRC32(self) -> None:
        """
        PutObject sends the CRC32 of the body, and names the algorithm as
        the AWS SDKs do; no C{Content-MD5} is computed.
        """
        client = self.client()
        self.successResultOf(self.call(client.put_object("k", b"some bytes")))
        received = self.only_request()
        self.assertEqual(
            (
                received.header("x-amz-checksum-crc32"),
                received.header("x-amz-sdk-checksum-algorithm"),
                received.header("content-md5"),
            ),
            (checksum_crc32(b"some bytes"), "CRC32", None),
        )

    def test_checksumSigned(self) -> None:
        """
        C{x-amz-checksum-crc32} is one of the signed headers, and the
        request is signed as it arrives.
        """
        client = self.client()
        self.successResultOf(self.call(client.put_object("k", b"x")))
        received = self.only_request()
        authorization = received.header("authorization") or ""
        signed = authorization.partition("SignedHeaders=")[2].partition(",")[0].split(";")
        self.assertIn("x-amz-checksum-crc32", signed)
        self.assertSignedAsReceived(received)

    def test_httpsUnsignedPayload(self) -> None:
        """Over HTTPS, the CRC32 goes with C{UNSIGNED-PAYLOAD}."""
        client = self.client()
        self.successResultOf(self.call(client.put_object("k", b"some bytes")))
        self.assertEqual(self.only_request().header("x-amz-content-sha256"), UNSIGNED_PAYLOAD)

    def test_httpSignedPayload(self) -> None:
        """
        Over plain HTTP the SHA-256 of the body is signed as well: a CRC32
        is no MAC, and whoever changes the bytes on the way can keep it.
        """
        client = self.client(scheme="http")
        self.successResultOf(self.call(client.put_object("k", b"some bytes")))
        received = self.only_request()
        self.assertEqual(
            (received.header("x-amz-content-sha256"), received.header("x-amz-checksum-crc32")),
            (hashlib.sha256(b"some bytes").hexdigest(), checksum_crc32(b"some bytes")),
        )
        self.assertSignedAsReceived(received)

    def test_autoOverHTTPSIsCRC32(self) -> None:
        """
        C{auto}, the default, is CRC32 over HTTPS, where the payload is not
        signed and no SHA-256 is computed.
        """
        client = self.client(checksum="auto")
        self.successResultOf(self.call(client.put_object("k", b"some bytes")))
        received = self.only_request()
        self.assertEqual(
            (
                received.header("x-amz-checksum-crc32"),
                received.header("x-amz-checksum-sha256"),
                received.header("x-amz-content-sha256"),
            ),
            (checksum_crc32(b"some bytes"), None, UNSIGNED_PAYLOAD),
        )

    def test_autoOverHTTPIsTheSignedSHA256(self) -> None:
        """
        C{auto} over plain HTTP sends as C{x-amz-checksum-sha256} the very
        SHA-256 the signature covers, and no CRC32 or MD5 beside it.
        """
        client = self.client(scheme="http", checksum="auto")
        self.successResultOf(self.call(client.put_object("k", b"some bytes")))
        received = self.only_request()
        digest = hashlib.sha256(b"some bytes").digest()
        self.assertEqual(
            (
                received.header("x-amz-checksum-sha256"),
                received.header("x-amz-sdk-checksum-algorithm"),
                received.header("x-amz-content-sha256"),
                received.header("x-amz-checksum-crc32"),
                received.header("content-md5"),
            ),
            (base64.b64encode(digest).decode(), "SHA256", digest.hex(), None, None),
        )
        self.assertSignedAsReceived(received)

    def test_sha256OverHTTPS(self) -> None:
        """
        Set to SHA-256 over HTTPS, the checksum goes in its header and the
        payload stays unsigned.
        """
        client = self.client(checksum="sha256")
        self.successResultOf(self.call(client.put_object("k", b"x")))
        received = self.only_request()
        self.assertEqual(
            (received.header("x-amz-checksum-sha256"), received.header("x-amz-content-sha256")),
            (base64.b64encode(hashlib.sha256(b"x").digest()).decode(), UNSIGNED_PAYLOAD),
        )

    def test_sha256Upload(self) -> None:
        """
        With SHA-256, a multipart upload declares it, each part is
        acknowledged with the SHA-256 sent, and the completion names it as
        C{ChecksumSHA256}.
        """
        body = PartBody.of(b"part")
        sha256 = base64.b64encode(hashlib.sha256(b"part").digest()).decode()
        client = self.client(
            Answer(body=initiate_result("up-1")),
            Answer(headers={"etag": '"e1"', "x-amz-checksum-sha256": sha256}),
            Answer(body=b"<CompleteMultipartUploadResult/>"),
            checksum="sha256",
        )
        self.successResultOf(self.call(client.create_multipart_upload("k")))
        part = self.successResultOf(self.call(client.upload_part("k", "up-1", 1, body)))
        self.successResultOf(self.call(client.complete_multipart_upload("k", "up-1", [(1, part)])))
        create, _, complete = self.s3.requests
        document = ElementTree.fromstring(complete.body)
        self.assertEqual(
            (
                create.header("x-amz-checksum-algorithm"),
                part,
                document.findtext("Part/ChecksumSHA256"),
                document.findtext("Part/ChecksumCRC32"),
            ),
            ("SHA256", UploadedPart('"e1"', checksum=sha256), sha256, None),
        )

    def test_sha256OtherEchoRefused(self) -> None:
        """An echo of another SHA-256 than the one sent fails the part."""
        other = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
        client = self.client(
            Answer(headers={"etag": '"e"', "x-amz-checksum-sha256": other}), checksum="sha256"
        )
        d = self.call(client.upload_part("k", "up", 1, PartBody.of(b"part")))
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "ChecksumMismatch")

    def test_sha256PartCopy(self) -> None:
        """
        With SHA-256, a part copied is acknowledged with the
        C{ChecksumSHA256} S3 reports, not another algorithm's.
        """
        result = (
            b'<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>"abc"</ETag>'
            b"<ChecksumCRC32>DUoRhQ==</ChecksumCRC32><ChecksumSHA256>c2hh</ChecksumSHA256>"
            b"</CopyPartResult>"
        )
        client = self.client(Answer(body=result), checksum="sha256")
        part = self.successResultOf(self.call(client.upload_part_copy("b", "up", 1, "a", 0, 9)))
        self.assertEqual(part, UploadedPart('"abc"', checksum="c2hh"))

    def test_createDeclaresCRC32(self) -> None:
        """
        A multipart upload declares CRC32 when it is created, as S3 wants
        before it takes a checksum on every part.
        """
        client = self.client(Answer(body=initiate_result("up-1")))
        self.successResultOf(self.call(client.create_multipart_upload("k")))
        self.assertEqual(self.only_request().header("x-amz-checksum-algorithm"), "CRC32")

    def test_createDeclaresNothingWithMD5(self) -> None:
        """Set to MD5, the upload declares no checksum algorithm."""
        client = self.client(Answer(body=initiate_result("up-1")), checksum="md5")
        self.successResultOf(self.call(client.create_multipart_upload("k")))
        self.assertIsNone(self.only_request().header("x-amz-checksum-algorithm"))

    def test_uploadPart(self) -> None:
        """
        A part goes with its CRC32 and no C{Content-MD5}; what S3
        acknowledged is its ETag and that CRC32, which S3 echoes.
        """
        body = PartBody()
        for chunk in (b"part ", b"in ", b"chunks"):
            body.append(chunk)
        crc32 = checksum_crc32(b"part in chunks")
        client = self.client(Answer(headers={"etag": '"e3"', "x-amz-checksum-crc32": crc32}))
        part = self.successResultOf(self.call(client.upload_part("k", "up", 3, body)))
        received = self.only_request()
        self.assertEqual(
            (
                part,
                received.header("x-amz-checksum-crc32"),
                received.header("x-amz-sdk-checksum-algorithm"),
                received.header("content-md5"),
            ),
            (UploadedPart('"e3"', checksum=crc32), crc32, "CRC32", None),
        )
        self.assertSignedAsReceived(received)

    def test_uploadPartWithoutEcho(self) -> None:
        """
        A server that does not echo the checksum acknowledges the part with
        the CRC32 sent.
        """
        client = self.client(Answer(headers={"etag": '"e"'}))
        part = self.successResultOf(self.call(client.upload_part("k", "up", 1, PartBody.of(b"p"))))
        self.assertEqual(part, UploadedPart('"e"', checksum=checksum_crc32(b"p")))

    def test_uploadPartOtherEchoRefused(self) -> None:
        """
        An answer that echoes another CRC32 than the one sent is mangled:
        the part fails rather than be completed.
        """
        client = self.client(
            Answer(headers={"etag": '"e"', "x-amz-checksum-crc32": checksum_crc32(b"other")})
        )
        d = self.call(client.upload_part("k", "up", 1, PartBody.of(b"part")))
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "ChecksumMismatch")

    def test_corruptPartRefused(self) -> None:
        """
        A part whose bytes do not match its CRC32 is refused by S3 (with
        C{BadDigest}, as for an MD5), and the refusal fails the call with
        S3's code, as it did with C{Content-MD5}.
        """
        client = self.client(Answer(400, error_document("BadDigest")))
        d = self.call(client.upload_part("k", "up", 1, PartBody.of(b"part")))
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "BadDigest")
        self.assertEqual(
            self.only_request().header("x-amz-checksum-crc32"), checksum_crc32(b"part")
        )

    def test_completeNamesChecksums(self) -> None:
        """
        The completion names each part's C{ChecksumCRC32} beside its ETag,
        where it has one; the document itself goes with its C{Content-MD5}.
        """
        client = self.client(Answer(body=b"<CompleteMultipartUploadResult/>"))
        parts = [(1, UploadedPart('"e1"', checksum="AAAAAA==")), (2, UploadedPart('"e2"'))]
        self.successResultOf(self.call(client.complete_multipart_upload("k", "up", parts)))
        received = self.only_request()
        document = ElementTree.fromstring(received.body)
        self.assertEqual(
            [
                (part.findtext("PartNumber"), part.findtext("ETag"), part.findtext("ChecksumCRC32"))
                for part in document.iter("Part")
            ],
            [("1", '"e1"', "AAAAAA=="), ("2", '"e2"', None)],
        )
        self.assertEqual(received.header("content-md5"), content_md5(received.body))

    def test_partCopyChecksum(self) -> None:
        """
        A part copied is acknowledged with the C{ChecksumCRC32} S3 reports
        in its C{CopyPartResult}, and without one where S3 reports none.
        """
        result = (
            b'<CopyPartResult><ETag>"abc"</ETag><ChecksumCRC32>DUoRhQ==</ChecksumCRC32>'
            b"</CopyPartResult>"
        )
        client = self.client(
            Answer(body=result), Answer(body=b'<CopyPartResult><ETag>"d"</ETag></CopyPartResult>')
        )
        first = self.successResultOf(self.call(client.upload_part_copy("b", "up", 1, "a", 0, 9)))
        second = self.successResultOf(self.call(client.upload_part_copy("b", "up", 2, "a", 10, 19)))
        self.assertEqual(
            (first, second), (UploadedPart('"abc"', checksum="DUoRhQ=="), UploadedPart('"d"'))
        )

    def test_partCopyMD5(self) -> None:
        """Set to MD5, a part copied is acknowledged by its ETag alone."""
        result = (
            b'<CopyPartResult><ETag>"abc"</ETag><ChecksumCRC32>DUoRhQ==</ChecksumCRC32>'
            b"</CopyPartResult>"
        )
        client = self.client(Answer(body=result), checksum="md5")
        part = self.successResultOf(self.call(client.upload_part_copy("b", "up", 1, "a", 0, 9)))
        self.assertEqual(part, UploadedPart('"abc"'))


class ErrorTests(ClientTestCase):
    """
    Refusals become L{S3Error}s that say what S3 said.
    """

    def test_signatureDoesNotMatch(self) -> None:
        """
        A 403 SignatureDoesNotMatch carries S3's code, message, the status
        and the request id of the C{x-amz-request-id} header.
        """
        client = self.client(self.signature_mismatch())
        error = self.failureResultOf(self.call(client.put_object("k", b"x")), S3Error).value
        self.assertEqual(
            (error.code, error.status, error.request_id, error.transient, error.key),
            ("SignatureDoesNotMatch", 403, "HEADER-ID", False, "k"),
        )
        self.assertTrue(error.message.startswith("The request signature we calculated"))

    def test_requestIdFromBody(self) -> None:
        """
        Without an C{x-amz-request-id} header, the error document's request
        id is used.
        """
        client = self.client(
            Answer(403, error_document("AccessDenied", "Access Denied", request_id="BODY-ID"))
        )
        error = self.failureResultOf(self.call(client.delete_object("k")), S3Error).value
        self.assertEqual(error.request_id, "BODY-ID")

    def test_clientErrorNotRetried(self) -> None:
        """
        A 403 is final: the request is made once.
        """
        client = self.client(self.signature_mismatch(), Answer())
        self.failureResultOf(self.call(client.put_object("k", b"x")), S3Error)
        self.assertEqual(len(self.s3.requests), 1)

    def test_errorTextHasNoSecret(self) -> None:
        """
        Neither C{str} nor C{repr} of the error shows the secret key.
        """
        client = self.client(self.signature_mismatch())
        error = self.failureResultOf(self.call(client.put_object("k", b"x")), S3Error).value
        self.assertIn("SignatureDoesNotMatch", str(error))
        self.assertNotIn(SECRET_KEY, str(error) + repr(error))

    def test_errorText(self) -> None:
        """
        The error's text names the operation, code, status, message and
        request id.
        """
        client = self.client(self.signature_mismatch())
        error = self.failureResultOf(self.call(client.put_object("k", b"x")), S3Error).value
        self.assertEqual(
            str(error),
            "S3 PutObject failed: SignatureDoesNotMatch (HTTP 403): The request signature we"
            " calculated does not match the signature you provided. Check your key and signing"
            " method. [request id HEADER-ID]",
        )

    def test_statusWithoutDocument(self) -> None:
        """
        An error status without an error document (a proxy's page) gets a
        code named after the status.
        """
        client = self.client(Answer(409, b"<html>conflict</html>"))
        error = self.failureResultOf(self.call(client.delete_object("k")), S3Error).value
        self.assertEqual((error.code, error.status), ("Conflict", 409))

    def test_malformedListing(self) -> None:
        """
        A listing that does not parse is an L{S3Error} C{MalformedResponse}.
        """
        client = self.client(Answer(body=b"<ListBucketResult><Contents>"))
        error = self.failureResultOf(self.call(client.list_objects("")), S3Error).value
        self.assertEqual(error.code, "MalformedResponse")


class RetryTests(ClientTestCase):
    """
    Transient failures are retried after the policy's delays, on the clock;
    the jitter comes from a seeded random source (see L{ClientTestCase}).
    """

    def test_retriedAfterDelay(self) -> None:
        """
        After a 500, nothing happens until the first drawn wait has passed
        on the clock; then the request is made again and succeeds.
        """
        client = self.client(
            Answer(500, error_document("InternalError")), Answer(headers={"etag": '"e"'})
        )
        (wait,) = self.waits(1)
        d = self.call(client.put_object("k", b"body"))
        self.assertNoResult(d)
        self.clock.advance(wait * 0.99)
        self.assertNoResult(d)
        self.assertEqual(len(self.s3.requests), 1)
        self.clock.advance(wait * 0.01)
        self.assertEqual(self.successResultOf(d), "e")
        self.assertEqual(len(self.s3.requests), 2)

    def test_retrySendsBodyAgain(self) -> None:
        """
        The retried request carries the whole body again, signed afresh for
        the time it is sent.
        """
        client = self.client(Answer(503, error_document("SlowDown")), Answer())
        d = self.call(client.put_object("k", b"body"))
        self.clock.advance(self.waits(1)[0])
        self.successResultOf(d)
        self.assertEqual([r.body for r in self.s3.requests], [b"body", b"body"])
        for received in self.s3.requests:
            self.assertSignedAsReceived(received)

    def test_throttledUntilSuccess(self) -> None:
        """
        Several 503 C{SlowDown}s in a row are ridden out: the call succeeds
        after waiting each drawn delay in turn.
        """
        client = self.client(
            *[Answer(503, error_document("SlowDown")) for _ in range(5)],
            Answer(headers={"etag": '"e"'}),
        )
        d = self.call(client.head_object("k"))
        for wait in self.waits(5):
            self.assertNoResult(d)
            self.clock.advance(wait)
        self.assertEqual((self.successResultOf(d).etag, len(self.s3.requests)), ("e", 6))

    def test_givesUpAfterPatience(self) -> None:
        """
        500s that go on past the patience fail with the last error, after
        exactly as many requests as fit in it, the last one no later than
        the deadline.
        """
        patience = 3.0
        draws = iter(self.waits(100))
        sent, waits = [0.0], []
        while sent[-1] < patience:
            waits.append(min(next(draws), patience - sent[-1]))
            sent.append(sent[-1] + waits[-1])
        client = self.client(
            *[Answer(500, error_document("InternalError", f"try {n}")) for n in range(100)],
            retry=self.policy(patience=patience),
        )
        d = self.call(client.get_object_bytes("k"))
        for wait in waits:
            self.assertNoResult(d)
            self.clock.advance(wait)
        error = self.failureResultOf(d, S3Error).value
        self.assertEqual(
            (error.status, error.code, len(self.s3.requests)), (500, "InternalError", len(sent))
        )
        self.assertEqual(error.message, f"try {len(sent) - 1}")

    def test_retriesLoggedWithoutSecret(self) -> None:
        """
        Each retry is logged once with the operation, key, attempt, code and
        request id; no line carries the secret key or the signature.
        """
        events: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        client = self.client(
            Answer(503, error_document("SlowDown", request_id="SLOW1")),
            self.signature_mismatch(),
        )
        d = self.call(client.put_object("k", b"body"))
        self.clock.advance(self.waits(1)[0])
        self.failureResultOf(d, S3Error)
        texts = [formatEvent(event) for event in events]
        retries = [text for text in texts if "retrying" in text]
        self.assertEqual(len(retries), 1)
        self.assertIn("S3 PutObject of 'k': attempt 1 failed with SlowDown (HTTP 503)", retries[0])
        self.assertIn("[request id SLOW1]", retries[0])
        authorization = self.s3.requests[0].header("authorization") or ""
        signature = authorization.rpartition("Signature=")[2]
        self.assertTrue(signature)
        for text in texts:
            self.assertNotIn(SECRET_KEY, text)
            self.assertNotIn(signature, text)

    def test_connectionRefused(self) -> None:
        """
        A request that never got an answer fails with a transient
        C{ConnectionError} without a status, after every attempt the
        patience allows.
        """
        agent = FailingAgent()
        client = self.client(agent=agent, retry=self.policy(patience=1.0))
        d = self.call(client.head_object("k"))
        self.clock.pump([0.01] * 200)
        error = self.failureResultOf(d, S3Error).value
        self.assertEqual(
            (error.code, error.status, error.transient), ("ConnectionError", None, True)
        )
        self.assertGreater(agent.calls, 2)
        self.assertIn("refused", error.message)

    def test_timeoutOnInjectedClock(self) -> None:
        """
        A request S3 never answers is given up after the timeout, measured
        on the injected clock, and fails with C{ConnectionError}.
        """
        agent = SilentAgent()
        client = self.client(agent=agent, retry=self.policy(patience=0), timeout=30)
        d = self.call(client.head_object("k"))
        self.clock.advance(29)
        self.assertNoResult(d)
        self.clock.advance(1)
        error = self.failureResultOf(d, S3Error).value
        self.assertEqual(
            (error.code, error.status, error.message),
            ("ConnectionError", None, "no answer within 30 s"),
        )

    def test_timeoutRetried(self) -> None:
        """
        An attempt that timed out is retried like a dropped connection,
        while the patience lasts.
        """
        agent = SilentAgent()
        client = self.client(agent=agent, retry=self.policy(patience=60), timeout=30)
        d = self.call(client.head_object("k"))
        self.clock.advance(30)
        self.assertEqual(len(agent.requests), 1)
        self.clock.advance(self.waits(1)[0])
        self.assertEqual(len(agent.requests), 2)
        self.assertNoResult(d)

    def test_cancelNotRetried(self) -> None:
        """
        A call its caller cancels (an aborted upload's part) stops: it fails
        with C{CancelledError}, and no other attempt is made, however much
        patience is left.
        """
        agent = SilentAgent()
        client = self.client(agent=agent, retry=self.policy(patience=60), timeout=30)
        d = self.call(client.head_object("k"))
        d.cancel()
        self.failureResultOf(d, CancelledError)
        self.clock.advance(60)
        self.assertEqual(len(agent.requests), 1)

    def test_policyReplaceable(self) -> None:
        """
        The client asks the L{IRetryPolicy} it is given, with the attempt,
        the error and the seconds since the first attempt, and waits the
        delay it answers.
        """
        asked: list[tuple[int, str, float]] = []

        @implementer(IRetryPolicy)
        class Twice:
            def retry_after(self, attempt: int, error: S3Error, elapsed: float) -> float | None:
                asked.append((attempt, error.code, elapsed))
                return 7.0 if attempt < 2 else None

        client = self.client(
            *[Answer(403, error_document("AccessDenied")) for _ in range(3)],
            retry=Twice(),  # type: ignore[arg-type]
        )
        d = self.call(client.delete_object("k"))
        self.clock.advance(6.9)
        self.assertEqual(len(self.s3.requests), 1)
        self.clock.advance(0.1)
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "AccessDenied")
        self.assertEqual(
            (asked, len(self.s3.requests)),
            ([(1, "AccessDenied", 0.0), (2, "AccessDenied", 7.0)], 2),
        )

    def test_defaultPolicy(self) -> None:
        """
        A requester given no policy retries with L{DEFAULT_RETRY}: 30
        seconds of patience.
        """
        requester = S3Requester(
            agent=FailingAgent(),
            credentials=StaticCredentialsProvider(CREDENTIALS),
            endpoint=("https", HOST),
            bucket=BUCKET,
            region=REGION,
            clock=Clock(),
        )
        self.assertIs(requester._retry, DEFAULT_RETRY)
        self.assertEqual(DEFAULT_RETRY.patience, 30.0)


class ConcurrencyTests(ClientTestCase):
    """
    At most C{concurrency} attempts wait on S3 at once; the others queue,
    in order, and their timeout starts only when they are sent.
    """

    def test_queued(self) -> None:
        """
        With two places, a third call is sent only when one of the first
        two has its answer, and the queue keeps the calls' order.
        """
        agent = SilentAgent()
        client = self.client(agent=agent, retry=self.policy(patience=0), timeout=30, concurrency=2)
        calls = [self.call(client.head_object(key)) for key in ("a", "b", "c", "d")]
        self.assertEqual(len(agent.requests), 2)
        agent.requests[0].errback(ConnectionRefusedError("refused"))
        self.failureResultOf(calls[0], S3Error)
        self.assertEqual(len(agent.requests), 3)
        self.assertNoResult(calls[2])
        self.assertNoResult(calls[3])

    def test_timeoutFromSending(self) -> None:
        """
        A call that queued is not timed out for its time in the queue.
        """
        agent = SilentAgent()
        client = self.client(agent=agent, retry=self.policy(patience=0), timeout=30, concurrency=1)
        first = self.call(client.head_object("a"))
        second = self.call(client.head_object("b"))
        self.clock.advance(30)
        self.failureResultOf(first, S3Error)
        self.assertEqual(len(agent.requests), 2)
        self.clock.advance(29)
        self.assertNoResult(second)
        self.clock.advance(1)
        self.failureResultOf(second, S3Error)

    def test_cancelQueued(self) -> None:
        """
        A queued call its caller cancels leaves the queue without being sent.
        """
        agent = SilentAgent()
        client = self.client(agent=agent, retry=self.policy(patience=0), timeout=30, concurrency=1)
        first = self.call(client.head_object("a"))
        queued = self.call(client.head_object("b"))
        queued.cancel()
        self.failureResultOf(queued, CancelledError)
        self.clock.advance(30)
        self.failureResultOf(first, S3Error)
        self.assertEqual(len(agent.requests), 1)


class SharedReadTests(ClientTestCase):
    """
    A read that finds the same read still queued joins it; one that comes
    after it was sent, or that asks anything else, is sent on its own.
    """

    def held(self, client: S3Client) -> Deferred[Any]:
        """A listing that holds the only place until L{finish}."""
        return self.call(client.list_objects("held/"))

    def finish(self, index: int = 0) -> None:
        """End the answer S3 left open, and let the bytes through."""
        self.s3.open[index].finish()
        self.agent.flush()

    def test_queuedListingsJoin(self) -> None:
        """
        Two identical listings queued behind a third call are sent once,
        after both asked, and both get the page.
        """
        page = listing(["in/a.bin", "in/b.bin"])
        client = self.client(
            Answer(body=listing(), finished=False), Answer(body=page), concurrency=1
        )
        held = self.held(client)
        calls = [self.call(client.list_objects("in/", "/")) for _ in range(2)]
        self.assertEqual(len(self.s3.requests), 1)
        self.finish()
        self.successResultOf(held)
        first, second = (self.successResultOf(call) for call in calls)
        self.assertEqual([o.key for o in first.objects], ["in/a.bin", "in/b.bin"])
        self.assertIs(first, second)
        self.assertEqual(len(self.s3.requests), 2)
        self.assertEqual(self.s3.requests[1].params["prefix"], "in/")

    def test_sentReadIsNotJoined(self) -> None:
        """
        A listing asked while an identical one is already at S3 gets an
        answer of its own, made after it asked: it must see a write that
        finished before it.
        """
        client = self.client(
            Answer(body=listing(), finished=False),
            Answer(body=listing(["in/new.bin"])),
            concurrency=2,
        )
        sent = self.call(client.list_objects("in/", "/"))
        later = self.call(client.list_objects("in/", "/"))
        self.assertEqual(len(self.s3.requests), 2)
        self.assertEqual([o.key for o in self.successResultOf(later).objects], ["in/new.bin"])
        self.finish()
        self.assertEqual(self.successResultOf(sent).objects, ())

    def test_differentReadsNotJoined(self) -> None:
        """Listings of other prefixes or delimiters, and HEADs of other keys, queue apart."""
        pages = [Answer(body=listing()) for _ in range(3)]
        client = self.client(Answer(body=listing(), finished=False), *pages, concurrency=1)
        held = self.held(client)
        calls = [
            self.call(client.list_objects("in/", "/")),
            self.call(client.list_objects("in/")),
            self.call(client.list_objects("out/", "/")),
            self.call(client.head_object("in/a")),
            self.call(client.head_object("in/b")),
        ]
        self.finish()
        self.successResultOf(held)
        for call in calls:
            self.successResultOf(call)
        self.assertEqual(len(self.s3.requests), 6)

    def test_writesNotJoined(self) -> None:
        """Two identical deletes queued together are both sent."""
        client = self.client(
            Answer(body=listing(), finished=False), Answer(status=204), Answer(status=204),
            concurrency=1,
        )  # fmt: skip
        held = self.held(client)
        deletes = [self.call(client.delete_object("in/a")) for _ in range(2)]
        self.finish()
        self.successResultOf(held)
        for call in deletes:
            self.successResultOf(call)
        self.assertEqual([r.method for r in self.s3.requests], ["GET", "DELETE", "DELETE"])

    def test_oneCallerCancels(self) -> None:
        """
        A caller that gives up leaves the shared read to the others; the read
        leaves the queue only when every caller has given up.
        """
        client = self.client(
            Answer(body=listing(), finished=False), Answer(body=listing()), concurrency=1
        )
        held = self.held(client)
        gone, staying = (self.call(client.list_objects("in/", "/")) for _ in range(2))
        gone.cancel()
        self.failureResultOf(gone, CancelledError)
        self.finish()
        self.successResultOf(held)
        self.successResultOf(staying)
        self.assertEqual(len(self.s3.requests), 2)

    def test_allCallersCancel(self) -> None:
        """When every caller gives up, the queued read is never sent."""
        client = self.client(
            Answer(body=listing(), finished=False), Answer(body=listing()), concurrency=1
        )
        held = self.held(client)
        calls = [self.call(client.list_objects("in/", "/")) for _ in range(2)]
        for call in calls:
            call.cancel()
            self.failureResultOf(call, CancelledError)
        self.finish()
        self.successResultOf(held)
        self.assertEqual(len(self.s3.requests), 1)
        # Nothing is left to join: the same listing now is sent anew.
        self.successResultOf(self.call(client.list_objects("in/", "/")))
        self.assertEqual(len(self.s3.requests), 2)

    def test_sharedFailure(self) -> None:
        """Every caller of a shared read that fails gets the error, logged once."""
        events: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        client = self.client(
            Answer(body=listing(), finished=False),
            Answer(403, error_document("AccessDenied", "no")),
            retry=self.policy(patience=0),
            concurrency=1,
        )
        held = self.held(client)
        calls = [self.call(client.list_objects("in/", "/")) for _ in range(3)]
        self.finish()
        self.successResultOf(held)
        for call in calls:
            self.assertEqual(self.failureResultOf(call, S3Error).value.code, "AccessDenied")
        denied = [e for e in events if "AccessDenied" in formatEvent(e)]
        self.assertEqual(len(denied), 1)
        self.assertEqual(len(self.s3.requests), 2)


class InterfaceTests(ClientTestCase):
    """
    L{S3Client} is an L{IObjectStore}.
    """

    def test_providesObjectStore(self) -> None:
        """
        L{S3Client} provides every method of L{IObjectStore}, with matching
        signatures, and its bucket.
        """
        client = self.client()
        self.assertTrue(verifyObject(IObjectStore, client))
        self.assertEqual(client.bucket, BUCKET)


class ListingTests(ClientTestCase):
    """
    ListObjectsV2 and its pages.
    """

    def test_listObjectsRequest(self) -> None:
        """
        A listing is a GET of C{/bucket} asking for version 2, URL-encoded
        keys, the prefix and the delimiter, and is signed as sent.
        """
        client = self.client(Answer(body=listing([], bucket=BUCKET)))
        self.successResultOf(self.call(client.list_objects("a dir/\u00a3/", delimiter="/")))
        received = self.only_request()
        self.assertEqual(
            (received.method, received.path, received.params),
            (
                "GET",
                "/my-bucket",
                {
                    "list-type": "2",
                    "prefix": "a dir/\u00a3/",
                    "encoding-type": "url",
                    "delimiter": "/",
                },
            ),
        )
        self.assertSignedAsReceived(received)

    def test_listObjectsDecodesKeys(self) -> None:
        """
        The encoded keys S3 answers with are decoded, into a L{ListPage} of
        L{ObjectInfo}.
        """
        body = listing(["a b/\u00a3+.txt"], bucket=BUCKET)
        self.assertIn(b"<Key>a+b/%C2%A3%2B.txt</Key>", body)
        client = self.client(Answer(body=body))
        page = self.successResultOf(self.call(client.list_objects("")))
        self.assertEqual(
            (type(page), [(type(entry), entry.key) for entry in page.objects]),
            (ListPage, [(ObjectInfo, "a b/\u00a3+.txt")]),
        )

    def test_iterPagesFollowsTokens(self) -> None:
        """
        L{S3Client.iter_pages} asks for each page with the token of the one
        before, and stops after the page without a token.
        """
        client = self.client(
            Answer(body=listing(["one"], token="t1", bucket=BUCKET)),
            Answer(body=listing(["two"], token="t/2+=", bucket=BUCKET)),
            Answer(body=listing(["three"], bucket=BUCKET)),
        )

        async def collect() -> list[str]:
            keys = []
            async for page in client.iter_pages("p/", delimiter="/"):
                keys.extend(entry.key for entry in page.objects)
            return keys

        self.assertEqual(self.successResultOf(self.call(collect())), ["one", "two", "three"])
        self.assertEqual(
            [received.params.get("continuation-token") for received in self.s3.requests],
            [None, "t1", "t/2+="],
        )


class DeleteObjectsTests(ClientTestCase):
    """
    DeleteObjects sends one XML document for many keys.
    """

    KEYS = ["a&b", "<tag>", "dir/\u00a3 c"]

    def test_request(self) -> None:
        """
        DeleteObjects is a POST to C{/bucket?delete=} with the keys in order,
        XML-escaped, so that they parse back to themselves.
        """
        client = self.client(Answer(body=b"<DeleteResult/>"))
        self.successResultOf(self.call(client.delete_objects(self.KEYS)))
        received = self.only_request()
        document = ElementTree.fromstring(received.body)
        self.assertEqual(
            (received.method, received.path, received.query),
            ("POST", "/my-bucket", [("delete", "")]),
        )
        self.assertIn(b"<Key>a&amp;b</Key><", received.body)
        self.assertEqual([key.text for key in document.iter("Key")], self.KEYS)

    def test_digests(self) -> None:
        """
        The document is sent with its MD5 in C{content-md5}, which S3
        requires here, once.
        """
        client = self.client(Answer(body=b"<DeleteResult/>"))
        self.successResultOf(self.call(client.delete_objects(self.KEYS)))
        received = self.only_request()
        self.assertEqual(
            received.headers.getRawHeaders("content-md5"), [content_md5(received.body)]
        )

    def test_perKeyError(self) -> None:
        """
        A key S3 could not delete fails the call with that key's error.
        """
        body = (
            b"<DeleteResult><Error><Key>a&amp;b</Key><Code>AccessDenied</Code>"
            b"<Message>Access Denied</Message></Error></DeleteResult>"
        )
        client = self.client(Answer(body=body))
        error = self.failureResultOf(self.call(client.delete_objects(self.KEYS)), S3Error).value
        self.assertEqual((error.code, error.message), ("AccessDenied", "a&b: Access Denied"))

    def test_noKeys(self) -> None:
        """
        Deleting no keys sends nothing.
        """
        client = self.client()
        self.successResultOf(self.call(client.delete_objects([])))
        self.assertEqual(self.s3.requests, [])

    def test_tooManyKeys(self) -> None:
        """
        More than 1,000 keys is refused before anything is sent.
        """
        client = self.client()
        self.failureResultOf(self.call(client.delete_objects(["k"] * 1001)), ValueError)
        self.assertEqual(self.s3.requests, [])


class MultipartTests(ClientTestCase):
    """
    The calls of a multipart upload.
    """

    def test_createMultipartUpload(self) -> None:
        """
        CreateMultipartUpload is a POST to C{/bucket/key?uploads=} and returns
        the upload id.
        """
        client = self.client(Answer(body=initiate_result("up-1")))
        upload_id = self.successResultOf(self.call(client.create_multipart_upload(ODD_KEY)))
        received = self.only_request()
        self.assertEqual(
            (upload_id, received.method, received.path, received.query),
            ("up-1", "POST", ODD_PATH, [("uploads", "")]),
        )

    def test_uploadPart(self) -> None:
        """
        UploadPart is a PUT of the part with its number and upload id and,
        set to MD5, its C{Content-MD5}, and returns the ETag as S3 sent it
        with the MD5 S3 checked.
        """
        body = PartBody()
        for chunk in (b"part ", b"in ", b"chunks"):
            body.append(chunk)
        client = self.client(Answer(headers={"etag": '"etag-3"'}), checksum="md5")
        etag = self.successResultOf(self.call(client.upload_part("k", "up/1+", 3, body)))
        received = self.only_request()
        self.assertEqual(
            (
                etag,
                received.method,
                received.params,
                received.body,
                received.header("content-md5"),
            ),
            (
                UploadedPart('"etag-3"', md5=hashlib.md5(b"part in chunks").digest()),
                "PUT",
                {"partNumber": "3", "uploadId": "up/1+"},
                b"part in chunks",
                content_md5(b"part in chunks"),
            ),
        )
        self.assertSignedAsReceived(received)

    def test_uploadPartWithoutETag(self) -> None:
        """
        A part accepted without an ETag cannot be completed: that is an error.
        """
        client = self.client(Answer())
        d = self.call(client.upload_part("k", "up", 1, PartBody.of(b"x")))
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "MissingETag")

    def test_completeRequest(self) -> None:
        """
        CompleteMultipartUpload POSTs the parts, in the order given, to
        C{/bucket/key?uploadId=}, with the document's MD5.
        """
        client = self.client(Answer(body=b"<CompleteMultipartUploadResult/>"))
        parts = [(1, UploadedPart('"e1"')), (2, UploadedPart('"e2"'))]
        self.successResultOf(self.call(client.complete_multipart_upload("k", "up", parts)))
        received = self.only_request()
        document = ElementTree.fromstring(received.body)
        self.assertEqual(
            (
                received.method,
                received.path,
                received.query,
                [
                    (part.findtext("PartNumber"), part.findtext("ETag"))
                    for part in document.iter("Part")
                ],
                received.header("content-md5"),
            ),
            (
                "POST",
                "/my-bucket/k",
                [("uploadId", "up")],
                [("1", '"e1"'), ("2", '"e2"')],
                content_md5(received.body),
            ),
        )

    def test_completeEmbeddedErrorRetried(self) -> None:
        """
        A 200 whose body is an C{<Error>} with a transient code is retried
        as a 500 would be: the same document is sent again, and the retry's
        success is the completion's.
        """
        client = self.client(
            Answer(body=error_document("InternalError", "We encountered an internal error.")),
            Answer(body=b"<CompleteMultipartUploadResult/>"),
        )
        d = self.call(client.complete_multipart_upload("k", "up", [(1, UploadedPart('"e"'))]))
        self.assertNoResult(d)
        self.clock.advance(self.waits(1)[0])
        self.successResultOf(d)
        first, second = self.s3.requests
        self.assertEqual(
            (second.method, second.query, second.body), ("POST", [("uploadId", "up")], first.body)
        )

    def test_completeEmbeddedErrorGivesUp(self) -> None:
        """
        A transient error inside a 200 that outlasts the patience fails the
        completion with that error, its status the 200 it came in.
        """
        client = self.client(
            Answer(body=error_document("InternalError", "We encountered an internal error.")),
            Answer(body=b"<CompleteMultipartUploadResult/>"),
            retry=self.policy(patience=0),
        )
        d = self.call(client.complete_multipart_upload("k", "up", [(1, UploadedPart('"e"'))]))
        self.clock.advance(60)
        error = self.failureResultOf(d, S3Error).value
        self.assertEqual(
            (error.code, error.status, error.operation, len(self.s3.requests)),
            ("InternalError", 200, "CompleteMultipartUpload", 1),
        )

    def test_completeRetriedOnSlowDown(self) -> None:
        """
        CompleteMultipartUpload is retried on a 503 C{SlowDown}, like any
        other call.
        """
        client = self.client(
            Answer(503, error_document("SlowDown")),
            Answer(body=b"<CompleteMultipartUploadResult/>"),
        )
        d = self.call(client.complete_multipart_upload("k", "up", [(1, UploadedPart('"e"'))]))
        self.clock.advance(self.waits(1)[0])
        self.successResultOf(d)
        self.assertEqual(len(self.s3.requests), 2)

    def test_completeNoSuchUploadNotRetried(self) -> None:
        """
        A completion S3 answers with C{NoSuchUpload} fails with it at once:
        the caller confirms the object.
        """
        client = self.client(
            Answer(404, error_document("NoSuchUpload")),
            Answer(body=b"<CompleteMultipartUploadResult/>"),
        )
        d = self.call(client.complete_multipart_upload("k", "up", [(1, UploadedPart('"e"'))]))
        error = self.failureResultOf(d, S3Error).value
        self.assertEqual(
            (error.code, error.status, len(self.s3.requests)), ("NoSuchUpload", 404, 1)
        )

    def test_completeEmbeddedErrorAfterWhitespace(self) -> None:
        """
        The embedded error is found behind the whitespace S3 sends to keep a
        long completion alive.
        """
        client = self.client(
            Answer(body=b"\n \n \n" + error_document("InvalidPart", "gone")), Answer()
        )
        d = self.call(client.complete_multipart_upload("k", "up", [(1, UploadedPart('"e"'))]))
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "InvalidPart")
        # InvalidPart is S3's answer, not a failure to answer: asked once.
        self.assertEqual(len(self.s3.requests), 1)

    def test_abort(self) -> None:
        """
        AbortMultipartUpload is a DELETE of C{/bucket/key?uploadId=}.
        """
        client = self.client(Answer(204))
        self.successResultOf(self.call(client.abort_multipart_upload("k", "up")))
        received = self.only_request()
        self.assertEqual(
            (received.method, received.path, received.query),
            ("DELETE", "/my-bucket/k", [("uploadId", "up")]),
        )

    def test_abortGone(self) -> None:
        """
        Aborting an upload S3 no longer knows (404) succeeds.
        """
        client = self.client(Answer(404, error_document("NoSuchUpload")))
        self.successResultOf(self.call(client.abort_multipart_upload("k", "up")))

    def test_listMultipartUploads(self) -> None:
        """
        ListMultipartUploads is a GET of C{/bucket?uploads=&prefix=} and
        returns the uploads listed.
        """
        body = (
            b"<ListMultipartUploadsResult><Upload><Key>a</Key><UploadId>u1</UploadId></Upload>"
            b"</ListMultipartUploadsResult>"
        )
        client = self.client(Answer(body=body))
        uploads = self.successResultOf(self.call(client.list_multipart_uploads("p/")))
        received = self.only_request()
        self.assertEqual(
            ([(u.key, u.upload_id) for u in uploads], received.method, received.params),
            ([("a", "u1")], "GET", {"uploads": "", "prefix": "p/"}),
        )


class CopyTests(ClientTestCase):
    """
    CopyObject, whole and part by part.
    """

    RESULT = b'<CopyObjectResult><ETag>"abc"</ETag></CopyObjectResult>'

    def test_copyRequest(self) -> None:
        """
        CopyObject is a PUT of the target naming the encoded source in a
        signed C{x-amz-copy-source}.
        """
        client = self.client(Answer(body=self.RESULT))
        self.successResultOf(self.call(client.copy_object(ODD_KEY, "to", 10)))
        received = self.only_request()
        self.assertEqual(
            (received.method, received.path, received.header("x-amz-copy-source")),
            ("PUT", "/my-bucket/to", ODD_PATH),
        )
        self.assertSignedAsReceived(received)

    def test_copyEmbeddedError(self) -> None:
        """
        A 200 whose body is an C{<Error>} fails the copy with that error.
        """
        client = self.client(
            Answer(body=error_document("InternalError", "copy failed", "R1")),
            retry=self.policy(patience=0),
        )
        error = self.failureResultOf(self.call(client.copy_object("a", "b", 10)), S3Error).value
        self.assertEqual(
            (error.code, error.status, error.message, error.request_id, error.operation),
            ("InternalError", 200, "copy failed", "R1", "CopyObject"),
        )

    def test_copyEmbeddedErrorRetried(self) -> None:
        """
        A copy that failed inside a 200 with a transient code is retried as
        a 500 would be, and the retry's result counts.
        """
        client = self.client(
            Answer(body=error_document("InternalError", "copy failed", "R1")),
            Answer(body=self.RESULT),
        )
        d = self.call(client.copy_object("a", "b", 10))
        self.clock.advance(self.waits(1)[0])
        self.assertIsNone(self.successResultOf(d))
        self.assertEqual(len(self.s3.requests), 2)

    def test_partCopyEmbeddedErrorRetried(self) -> None:
        """
        So is an UploadPartCopy that fails inside a 200 with C{SlowDown}.
        """
        client = self.client(
            Answer(body=error_document("SlowDown", "slow down")), Answer(body=self.RESULT)
        )
        d = self.call(client.upload_part_copy("b", "up", 1, "a", 0, 9))
        self.clock.advance(self.waits(1)[0])
        self.assertTrue(self.successResultOf(d).etag.startswith('"'))
        self.assertEqual(len(self.s3.requests), 2)

    def test_copyAfterWhitespace(self) -> None:
        """
        A successful copy result behind keep-alive whitespace succeeds.
        """
        body = b'   \n<?xml version="1.0" encoding="UTF-8"?>\n' + self.RESULT
        client = self.client(Answer(body=body))
        self.assertIsNone(self.successResultOf(self.call(client.copy_object("a", "b", 10))))

    def test_copyMalformedResult(self) -> None:
        """
        A copy result that does not parse is an L{S3Error}, like every other
        failure of the client.
        """
        client = self.client(Answer(body=b"<CopyObjectResult>"))
        error = self.failureResultOf(self.call(client.copy_object("a", "b", 10)), S3Error).value
        self.assertEqual(error.code, "MalformedResponse")

    def test_copyOfLargestSingleCopy(self) -> None:
        """
        An object of exactly 5 GiB is still copied by one CopyObject.
        """
        client = self.client(Answer(body=self.RESULT))
        self.successResultOf(self.call(client.copy_object("src", "dst", MAX_SINGLE_COPY)))
        received = self.only_request()
        self.assertEqual(
            (received.method, received.query, received.header("x-amz-copy-source-range")),
            ("PUT", [], None),
        )

    def test_largeCopyByParts(self) -> None:
        """
        An object above 5 GiB is copied in the ranges of L{copy_ranges},
        numbered from 1, covering every byte once, then completed with every
        part in order.
        """
        size = MAX_SINGLE_COPY + 1
        ranges = copy_ranges(size)
        client = self.client(
            Answer(body=initiate_result("u")),
            *[Answer(body=self.RESULT) for _ in ranges],
            Answer(body=b"<CompleteMultipartUploadResult/>"),
        )
        self.successResultOf(self.call(client.copy_object("src", "dst", size)))
        copies = self.s3.requests[1:-1]
        sent = [(r.params["partNumber"], r.header("x-amz-copy-source-range")) for r in copies]
        self.assertEqual(
            sent,
            [(str(n), f"bytes={first}-{last}") for n, (first, last) in enumerate(ranges, 1)],
        )
        self.assertEqual(
            [first for first, _ in ranges], [0] + [last + 1 for _, last in ranges[:-1]]
        )
        self.assertEqual(ranges[-1][1], size - 1)
        self.assertEqual(
            [
                (part.findtext("PartNumber"), part.findtext("ETag"))
                for part in ElementTree.fromstring(self.s3.requests[-1].body).iter("Part")
            ],
            [(str(n), '"abc"') for n in range(1, len(ranges) + 1)],
        )

    def test_largeCopyAbortedOnFailure(self) -> None:
        """
        A part copy that fails aborts the multipart copy, and the copy fails
        with the part's error.
        """
        client = self.client(
            Answer(body=initiate_result("u")),
            Answer(403, error_document("AccessDenied")),
            Answer(204),
        )
        d = self.call(client.copy_object("src", "dst", MAX_SINGLE_COPY + 1))
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "AccessDenied")
        last = self.s3.requests[-1]
        self.assertEqual((last.method, last.query), ("DELETE", [("uploadId", "u")]))


class WriterOverHTTPTests(ClientTestCase):
    """
    The multipart writer over this client, over HTTP: S3's brief failures
    are retried below the writer, which sees only a slow call.
    """

    DATA = bytes(range(256)) * (MIN_PART_SIZE // 256)

    def writer(self, client: S3Client, producer: FakeProducer | None = None) -> MultipartWriter:
        writer = MultipartWriter(client, "k", part_size=MIN_PART_SIZE, parts_in_flight=1)
        if producer is not None:
            writer.registerProducer(producer, True)
        return writer

    def part_etag(self) -> str:
        return f'"{hashlib.md5(self.DATA).hexdigest()}"'

    def test_throttledPartHoldsProducer(self) -> None:
        """
        A part answered C{503 SlowDown} keeps the producer paused until its
        retry is in, then resumes it; the part is sent twice, whole.
        """
        client = self.client(
            Answer(body=initiate_result("up")),
            Answer(503, error_document("SlowDown")),
            Answer(headers={"etag": self.part_etag()}),
            Answer(body=b"<CompleteMultipartUploadResult/>"),
        )
        producer = FakeProducer()
        writer = self.writer(client, producer)
        writer.write(self.DATA)
        self.assertEqual((producer.events, len(self.s3.requests)), (["pause"], 2))
        self.clock.advance(self.waits(1)[0])
        self.assertEqual(producer.events, ["pause", "resume"])
        self.successResultOf(writer.finish())
        parts = [r.body for r in self.s3.requests if r.method == "PUT"]
        self.assertEqual(parts, [self.DATA, self.DATA])

    def lost_completion(self, etag: str) -> S3Client:
        """
        A completion that fails with a 500, then finds the upload gone, and
        an object with C{etag}.
        """
        return self.client(
            Answer(body=initiate_result("up")),
            Answer(headers={"etag": self.part_etag()}),
            Answer(500, error_document("InternalError")),
            Answer(404, error_document("NoSuchUpload")),
            Answer(headers={"etag": f'"{etag}"', "content-length": str(len(self.DATA))}),
            Answer(204),
        )

    def test_lostCompletionConfirmed(self) -> None:
        """
        A completion retried into C{NoSuchUpload} succeeds when HEAD finds the
        multipart ETag of the part sent, and nothing is aborted.
        """
        client = self.lost_completion(multipart_etag([hashlib.md5(self.DATA).digest()]))
        writer = self.writer(client)
        writer.write(self.DATA)
        d = writer.finish()
        self.clock.advance(self.waits(1)[0])
        self.successResultOf(d)
        self.assertEqual(
            [(r.method, r.params.get("uploadId")) for r in self.s3.requests],
            [("POST", None), ("PUT", "up"), ("POST", "up"), ("POST", "up"), ("HEAD", None)],
        )

    def test_lostCompletionOtherObject(self) -> None:
        """
        With any other ETag, the upload fails, and is aborted.
        """
        client = self.lost_completion(multipart_etag([hashlib.md5(b"other").digest()]))
        writer = self.writer(client)
        writer.write(self.DATA)
        d = writer.finish()
        self.clock.advance(self.waits(1)[0])
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, UNCONFIRMED)
        self.assertEqual(self.s3.requests[-1].method, "DELETE")
