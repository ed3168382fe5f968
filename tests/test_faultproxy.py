"""
The fault proxy the fault tests put in front of moto: how it frames
messages, names operations and makes up answers (without sockets), and
that boto3 through it reaches moto with its signatures intact and meets
exactly the faults the test asked for.
"""

from __future__ import annotations

import hashlib
import random
import socket
import time
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config
from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThread
from twisted.trial.unittest import SynchronousTestCase, TestCase

from twisted_ftps3.s3.responses import parse_error

from .support.faultanswers import forged_completion, s3_error_answer, without_last_part
from .support.faultproxy import Fault, FaultProxy
from .support.httpframes import MessageReader, kept_alive
from .support.s3operations import operation_name
from .support.s3server import S3Server, s3_server

#: What boto3 raises for a connection reset while it connects, or after it sent the request.
_DROPPED = (botocore.exceptions.HTTPClientError, botocore.exceptions.EndpointConnectionError)


class MessageReaderTests(SynchronousTestCase):
    """L{MessageReader} finds where each message ends and keeps its bytes."""

    def test_content_length_byte_by_byte(self) -> None:
        """A request framed by Content-Length, fed a byte at a time, comes out once, whole."""
        raw = b"PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
        reader = MessageReader(answers=False)
        messages = [m for i in range(len(raw)) for m in reader.feed(raw[i : i + 1])]
        self.assertEqual(len(messages), 1)
        self.assertEqual((messages[0].raw, messages[0].body), (raw, b"hello"))
        self.assertEqual((messages[0].method, messages[0].target), (b"PUT", b"/b/k"))
        self.assertTrue(reader.idle)

    def test_two_requests_in_one_feed(self) -> None:
        """Requests on one connection are told apart; one without a body ends at its head."""
        first = b"GET /b/k HTTP/1.1\r\nHost: h\r\n\r\n"
        second = b"PUT /b/k HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
        messages = MessageReader(answers=False).feed(first + second)
        self.assertEqual([m.raw for m in messages], [first, second])

    def test_chunked(self) -> None:
        """A chunked answer with a trailer is decoded, and its raw bytes kept as sent."""
        raw = (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n"
        )
        reader = MessageReader(answers=True)
        self.assertEqual(reader.feed(raw[:-3]), [])
        (message,) = reader.feed(raw[-3:])
        self.assertEqual((message.body, message.raw, message.status), (b"abcde", raw, 200))

    def test_answer_to_head_has_no_body(self) -> None:
        """An answer to HEAD ends at its head, whatever its Content-Length says."""
        reader = MessageReader(answers=True)
        reader.request_method = b"HEAD"
        (message,) = reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n")
        self.assertEqual(message.body, b"")

    def test_answer_until_close(self) -> None:
        """An answer without length or chunks ends with the connection, and says it closes."""
        reader = MessageReader(answers=True)
        self.assertEqual(reader.feed(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nab"), [])
        message = reader.end()
        assert message is not None
        self.assertEqual(message.body, b"ab")
        self.assertTrue(message.closes)

    def test_kept_alive(self) -> None:
        """Only a Connection: close header is taken out of an answer whose length is known."""
        raw = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\nX: close\r\n\r\nab"
        (message,) = MessageReader(answers=True).feed(raw)
        self.assertEqual(
            kept_alive(message), b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX: close\r\n\r\nab"
        )

    def test_head_callback(self) -> None:
        """The head is reported before the body arrives (for Expect: 100-continue)."""
        heads: list[bytes] = []
        reader = MessageReader(answers=False, on_head=lambda m: heads.append(m.start))
        reader.feed(b"PUT /b/k HTTP/1.1\r\nContent-Length: 3\r\n\r\n")
        self.assertEqual(heads, [b"PUT /b/k HTTP/1.1"])
        self.assertFalse(reader.idle)


class OperationNameTests(SynchronousTestCase):
    """L{operation_name} names requests as AWS's API reference does."""

    def test_names(self) -> None:
        copy = {"x-amz-copy-source": "/b/src"}
        cases = [
            ("GET", "/", None, "ListBuckets"),
            ("GET", "/b?list-type=2&prefix=a%2F", None, "ListObjectsV2"),
            ("GET", "/b/?list-type=2", None, "ListObjectsV2"),
            ("GET", "/b?uploads", None, "ListMultipartUploads"),
            ("GET", "/b?lifecycle", None, "GetBucketLifecycleConfiguration"),
            ("POST", "/b?delete", None, "DeleteObjects"),
            ("HEAD", "/b", None, "HeadBucket"),
            ("PUT", "/b", None, "CreateBucket"),
            ("GET", "/b/a/k", None, "GetObject"),
            ("HEAD", "/b/k", None, "HeadObject"),
            ("PUT", "/b/dir/", None, "PutObject"),
            ("PUT", "/b/k", copy, "CopyObject"),
            ("DELETE", "/b/k", None, "DeleteObject"),
            ("POST", "/b/k?uploads", None, "CreateMultipartUpload"),
            ("PUT", "/b/k?partNumber=2&uploadId=u", None, "UploadPart"),
            ("PUT", "/b/k?uploadId=u&partNumber=2", copy, "UploadPartCopy"),
            ("POST", "/b/k?uploadId=u", None, "CompleteMultipartUpload"),
            ("DELETE", "/b/k?uploadId=u", None, "AbortMultipartUpload"),
            ("GET", "/b/k?uploadId=u", None, "ListParts"),
            ("PATCH", "/b/k", None, "Unknown"),
        ]
        for method, target, headers, expected in cases:
            self.assertEqual(operation_name(method, target, headers), expected, (method, target))


class AnswerTests(SynchronousTestCase):
    """The answers the proxy makes up read as S3's own."""

    def test_slow_down(self) -> None:
        """A SlowDown is a 503 with S3's XML error: code and request id, in body and header."""
        raw = s3_error_answer(503, "Slow Down", "SlowDown", "Reduce.", head=False)
        (message,) = MessageReader(answers=True).feed(raw)
        self.assertEqual(message.status, 503)
        error = parse_error(message.body)
        assert error is not None
        self.assertEqual(error.code, "SlowDown")
        self.assertEqual(error.request_id, (message.header(b"x-amz-request-id") or b"").decode())

    def test_slow_down_to_head(self) -> None:
        """After a HEAD the error has no body, as S3 sends none."""
        raw = s3_error_answer(503, "Slow Down", "SlowDown", "Reduce.", head=True)
        self.assertTrue(raw.endswith(b"Content-Length: 0\r\n\r\n"))

    def _completion_request(self) -> Any:
        body = (
            b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part>"
            b"<Part><PartNumber>2</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>"
        )
        raw = b"POST /b/k?uploadId=u HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        (message,) = MessageReader(answers=False).feed(raw)
        return message

    def test_without_last_part(self) -> None:
        """The rewritten request keeps its length and its first part, not its last."""
        request = self._completion_request()
        rewritten = without_last_part(request)
        self.assertEqual(len(rewritten), len(request.raw))
        self.assertIn(b"<PartNumber>1</PartNumber>", rewritten)
        self.assertNotIn(b"<PartNumber>2</PartNumber>", rewritten)

    def test_forged_completion(self) -> None:
        """A forged completion is a 200 with a multipart ETag for as many parts as were sent."""
        (answer,) = MessageReader(answers=True).feed(forged_completion(self._completion_request()))
        self.assertEqual(answer.status, 200)
        self.assertRegex(answer.body.decode(), r"<Key>k</Key><ETag>&quot;[0-9a-f]{32}-2&quot;")


class FaultTests(SynchronousTestCase):
    """L{Fault.strikes}: aim, share, limit."""

    def test_operations(self) -> None:
        """A fault strikes only the operations it is aimed at."""
        fault = Fault("reset", operations=frozenset({"UploadPart"}))
        draw = random.Random(0)
        self.assertFalse(fault.strikes("PutObject", draw))
        self.assertTrue(fault.strikes("UploadPart", draw))

    def test_limit(self) -> None:
        """A fault with a limit strikes that many times, then never."""
        fault = Fault("reset", limit=2)
        draw = random.Random(0)
        self.assertEqual([fault.strikes("X", draw) for _ in range(4)], [True, True, False, False])

    def test_skip(self) -> None:
        """A fault with a skip lets that many aimed requests pass first."""
        fault = Fault("reset", operations=frozenset({"X"}), limit=1, skip=1)
        draw = random.Random(0)
        strikes = [fault.strikes(operation, draw) for operation in ("Y", "X", "X", "X")]
        self.assertEqual(strikes, [False, False, True, False])

    def test_seeded_share(self) -> None:
        """The share is drawn from the seeded random: the same seed strikes the same requests."""
        runs = []
        for _ in range(2):
            fault, draw = Fault("slow_down", share=0.2), random.Random(7)
            runs.append([fault.strikes("X", draw) for _ in range(1000)])
        self.assertEqual(runs[0], runs[1])
        self.assertTrue(150 < sum(runs[0]) < 250, sum(runs[0]))


def _client(s3: S3Server, endpoint_url: str, *, secret: str | None = None) -> Any:
    """A boto3 client through C{endpoint_url} that tries each call once."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=s3.region,
        aws_access_key_id=s3.access_key_id,
        aws_secret_access_key=secret or s3.secret_access_key,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"total_max_attempts": 1},
            connect_timeout=5,
            read_timeout=20,
        ),
    )


class ProxyTests(TestCase):
    """boto3 through a L{FaultProxy} to moto, in the test's reactor."""

    timeout = 120

    def setUp(self) -> None:
        self.s3 = s3_server()
        self.bucket = self.s3.create_bucket("proxy")
        self.direct = self.s3.boto3_client()
        host, port = self.s3.endpoint_url.removeprefix("http://").split(":")
        self.proxy = FaultProxy((host, int(port)), reactor=reactor, seed=1)
        self.url = self.proxy.start()
        self.addCleanup(self.proxy.stop)
        self.client = _client(self.s3, self.url)

    def error_code(self, call: Any, *args: Any, **kwargs: Any) -> str:
        """The S3 error code C{call} fails with, in a thread."""
        try:
            call(*args, **kwargs)
        except botocore.exceptions.ClientError as e:
            return str(e.response["Error"]["Code"])
        raise AssertionError(f"{call} did not fail")

    async def test_relays_signed_requests(self) -> None:
        """
        Signed calls pass through unchanged: moto verifies their signatures
        (a wrong secret still fails), over one kept-alive connection.
        """

        def calls() -> None:
            self.client.put_object(Bucket=self.bucket, Key="k", Body=b"x" * 1000)
            self.assertEqual(
                self.client.get_object(Bucket=self.bucket, Key="k")["Body"].read(), b"x" * 1000
            )
            self.client.put_object(Bucket=self.bucket, Key="a £ b/c", Body=b"")
            self.assertEqual(
                self.client.head_object(Bucket=self.bucket, Key="k")["ContentLength"], 1000
            )
            listing = self.client.list_objects_v2(Bucket=self.bucket, Prefix="k")
            self.assertEqual([o["Key"] for o in listing["Contents"]], ["k"])
            forged = _client(self.s3, self.url, secret="wrong")
            code = self.error_code(forged.list_objects_v2, Bucket=self.bucket)
            self.assertEqual(code, "SignatureDoesNotMatch")

        await deferToThread(calls)
        self.assertEqual(self.proxy.count("forwarded", "PutObject"), 2)
        self.assertEqual(self.proxy.count("forwarded", "ListObjectsV2"), 2)
        self.assertEqual(self.proxy.count("connected"), 2, "one for each client")

    async def test_slow_down_aimed_at_one_operation(self) -> None:
        """Only the aimed operation gets the 503 SlowDown; it never reaches moto."""
        self.proxy.add("slow_down", operations={"PutObject"})

        def calls() -> None:
            code = self.error_code(self.client.put_object, Bucket=self.bucket, Key="k", Body=b"x")
            self.assertEqual(code, "SlowDown")
            self.assertEqual(self.client.list_objects_v2(Bucket=self.bucket)["KeyCount"], 0)
            self.assertEqual(self.direct.list_objects_v2(Bucket=self.bucket)["KeyCount"], 0)

        await deferToThread(calls)
        self.assertEqual(self.proxy.count("slow_down"), 1)
        self.assertEqual(self.proxy.count("forwarded", "PutObject"), 0)

    async def test_slow_down_to_head(self) -> None:
        """A HEAD gets its 503 without a body, and the connection goes on serving."""
        self.proxy.add("slow_down", operations={"HeadBucket"}, limit=1)

        def calls() -> None:
            self.assertEqual(self.error_code(self.client.head_bucket, Bucket=self.bucket), "503")
            self.client.head_bucket(Bucket=self.bucket)

        await deferToThread(calls)
        self.assertEqual(self.proxy.count("connected"), 1)

    async def test_reset_before_forwarding(self) -> None:
        """A reset request fails at the client with a dropped connection, and S3 never saw it."""
        self.proxy.add("reset", operations={"PutObject"})

        def calls() -> None:
            with self.assertRaises(botocore.exceptions.ConnectionClosedError):
                self.client.put_object(Bucket=self.bucket, Key="k", Body=b"x")
            self.assertEqual(self.direct.list_objects_v2(Bucket=self.bucket)["KeyCount"], 0)

        await deferToThread(calls)
        self.assertEqual(self.proxy.count("reset", "PutObject"), 1)

    async def test_lost_answer(self) -> None:
        """A lost answer fails at the client although S3 did the work."""
        self.proxy.add("lose_answer", operations={"PutObject"})

        def calls() -> None:
            with self.assertRaises(botocore.exceptions.ConnectionClosedError):
                self.client.put_object(Bucket=self.bucket, Key="k", Body=b"done")
            body = self.direct.get_object(Bucket=self.bucket, Key="k")["Body"].read()
            self.assertEqual(body, b"done")

        await deferToThread(calls)
        self.assertEqual(self.proxy.count("forwarded", "PutObject"), 1)

    def _multipart(self, client: Any) -> tuple[str, Any, bytes]:
        """Upload two parts (5 MiB and 1 KiB) directly; the upload id, its parts and the data."""
        data = bytes(random.Random(3).getrandbits(8) for _ in range(1024))
        first = data * (5 * 1024)
        upload = self.direct.create_multipart_upload(Bucket=self.bucket, Key="m")["UploadId"]
        parts = []
        for number, body in ((1, first), (2, data)):
            answer = self.direct.upload_part(
                Bucket=self.bucket, Key="m", UploadId=upload, PartNumber=number, Body=body
            )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        return upload, parts, first

    def _complete(self, upload: str, parts: Any) -> Any:
        return self.client.complete_multipart_upload(
            Bucket=self.bucket, Key="m", UploadId=upload, MultipartUpload={"Parts": parts}
        )

    async def test_forged_completion(self) -> None:
        """A forged completion claims an ETag; moto never completed the upload."""
        self.proxy.add("forge_complete", operations={"CompleteMultipartUpload"})

        def calls() -> None:
            upload, parts, _ = self._multipart(self.direct)
            self.assertRegex(self._complete(upload, parts)["ETag"], r'^"[0-9a-f]{32}-2"$')
            self.assertEqual(self.direct.list_objects_v2(Bucket=self.bucket)["KeyCount"], 0)
            uploads = self.direct.list_multipart_uploads(Bucket=self.bucket)["Uploads"]
            self.assertEqual([u["UploadId"] for u in uploads], [upload])

        await deferToThread(calls)

    async def test_drop_last_part(self) -> None:
        """A completion that lost its last part on the way stores the first part alone."""
        self.proxy.add("drop_last_part", operations={"CompleteMultipartUpload"})

        def calls() -> None:
            upload, parts, first = self._multipart(self.direct)
            self.assertTrue(self._complete(upload, parts)["ETag"].endswith('-1"'))
            body = self.direct.get_object(Bucket=self.bucket, Key="m")["Body"].read()
            self.assertEqual(hashlib.md5(body).digest(), hashlib.md5(first).digest())

        await deferToThread(calls)

    async def test_wrong_parts_and_lost_answer(self) -> None:
        """A completion can lose its last part and its answer: moto completed it anyway."""
        self.proxy.add("drop_last_part", operations={"CompleteMultipartUpload"})
        self.proxy.add("lose_answer", operations={"CompleteMultipartUpload"})

        def calls() -> None:
            upload, parts, first = self._multipart(self.direct)
            with self.assertRaises(botocore.exceptions.ConnectionClosedError):
                self._complete(upload, parts)
            head = self.direct.head_object(Bucket=self.bucket, Key="m")
            self.assertEqual(head["ContentLength"], len(first))

        await deferToThread(calls)

    async def test_one_answering_fault(self) -> None:
        """When two faults that answer both could strike, the first added wins."""
        self.proxy.add("slow_down", operations={"HeadBucket"})
        self.proxy.add("reset", operations={"HeadBucket"})

        def calls() -> None:
            self.assertEqual(self.error_code(self.client.head_bucket, Bucket=self.bucket), "503")

        await deferToThread(calls)
        self.assertEqual((self.proxy.count("slow_down"), self.proxy.count("reset")), (1, 0))

    async def test_answered_request_spends_no_other_limit(self) -> None:
        """A request that is reset is not also counted against a lost-answer limit."""
        self.proxy.add("reset", operations={"HeadBucket"}, limit=1)
        self.proxy.add("lose_answer", operations={"HeadBucket"}, limit=1)

        def calls() -> None:
            for _ in range(2):
                with self.assertRaises(_DROPPED):
                    self.client.head_bucket(Bucket=self.bucket)
            self.client.head_bucket(Bucket=self.bucket)

        await deferToThread(calls)
        self.assertEqual((self.proxy.count("reset"), self.proxy.count("lose_answer")), (1, 1))
        self.assertEqual(self.proxy.count("forwarded", "HeadBucket"), 2)

    async def test_no_such_upload(self) -> None:
        """C{no_such_upload} answers 404 NoSuchUpload, without forwarding."""
        self.proxy.add("no_such_upload", operations={"CompleteMultipartUpload"})

        def calls() -> None:
            upload, parts, _ = self._multipart(self.direct)
            self.assertEqual(self.error_code(self._complete, upload, parts), "NoSuchUpload")
            self.assertEqual(
                len(self.direct.list_multipart_uploads(Bucket=self.bucket)["Uploads"]), 1
            )

        await deferToThread(calls)

    async def test_error_in_ok(self) -> None:
        """A 200 whose body is an error reads as that error to boto3."""
        self.proxy.add("error_in_ok", operations={"CompleteMultipartUpload"})

        def calls() -> None:
            upload, parts, _ = self._multipart(self.direct)
            self.assertEqual(self.error_code(self._complete, upload, parts), "InternalError")

        await deferToThread(calls)

    async def test_latency(self) -> None:
        """Added latency delays the aimed operation only."""
        self.proxy.delay(0.5, operations={"HeadBucket"})

        def calls() -> tuple[float, float]:
            start = time.monotonic()
            self.client.list_objects_v2(Bucket=self.bucket)
            listed = time.monotonic()
            self.client.head_bucket(Bucket=self.bucket)
            return listed - start, time.monotonic() - listed

        listing, head = await deferToThread(calls)
        self.assertLess(listing, 0.4)
        self.assertGreaterEqual(head, 0.5)
        self.assertEqual(self.proxy.count("delayed"), 1)

    async def test_outage(self) -> None:
        """During an outage every connection is reset; afterwards requests pass again."""
        await deferToThread(self.client.head_bucket, Bucket=self.bucket)
        over = self.proxy.outage(1.0)

        def during() -> None:
            # Reset as the connection is made or as the request goes: either way, no answer.
            # The first call may find its kept-alive connection reset; the second connects.
            for _ in range(2):
                with self.assertRaises(_DROPPED):
                    self.client.head_bucket(Bucket=self.bucket)

        await deferToThread(during)
        await over
        await deferToThread(self.client.head_bucket, Bucket=self.bucket)
        self.assertGreaterEqual(self.proxy.count("refused"), 1)

    async def test_outage_refusing(self) -> None:
        """A refusing outage closes the port; the proxy listens on it again afterwards."""
        port = int(self.url.rsplit(":", 1)[1])
        over = self.proxy.outage(1.0, refuse=True)
        await deferLater(reactor, 0.1, lambda: None)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        await over
        await deferToThread(self.client.head_bucket, Bucket=self.bucket)
        self.assertEqual(self.proxy.endpoint_url, self.url)
