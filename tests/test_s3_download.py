# -*- test-case-name: tests.test_s3_download -*-
"""
Tests for L{twisted_ftps3.s3.download} and L{S3Client.open_object}: one GET
opens an object, its headers tell what a HEAD would, and its body waits,
unread, until it is streamed or discarded.

They run over the in-memory HTTP connection of L{tests.test_s3_client}.
"""

from __future__ import annotations

import datetime
from typing import Any

from twisted.logger import globalLogPublisher
from zope.interface.verify import verifyObject

from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.interfaces import IObjectBody
from twisted_ftps3.s3.objects import ObjectInfo

from .support.producers import RecordingConsumer
from .support.s3xml import error_document
from .test_s3_client import ODD_KEY, ODD_PATH, Answer, ClientTestCase

LAST_MODIFIED = "Thu, 26 Nov 2026 10:19:42 GMT"


class OpenObjectTests(ClientTestCase):
    """Opening an object is one GET, and its answer is all the FTP side needs."""

    def test_request(self) -> None:
        """
        Opening from byte 0 is a GET of C{/bucket/key} with no Range header
        (a Range on an empty object would be S3's 416).
        """
        client = self.client(Answer(body=b"x"))
        self.successResultOf(self.call(client.open_object(ODD_KEY)))
        received = self.only_request()
        self.assertEqual(
            (received.method, received.path, received.header("range")), ("GET", ODD_PATH, None)
        )

    def test_info_from_headers(self) -> None:
        """The answer's headers give what a HEAD would: size, time and ETag."""
        client = self.client(
            Answer(body=b"0123456789", headers={"etag": '"abc"', "last-modified": LAST_MODIFIED})
        )
        body = self.successResultOf(self.call(client.open_object("k")))
        self.assertTrue(verifyObject(IObjectBody, body))
        self.assertEqual(
            (body.info, body.first_byte),
            (
                ObjectInfo(
                    "k",
                    10,
                    datetime.datetime(2026, 11, 26, 10, 19, 42, tzinfo=datetime.timezone.utc),
                    "abc",
                ),
                0,
            ),
        )

    def test_streams(self) -> None:
        """
        The body goes to the consumer only when asked, registered as a
        streaming producer and unregistered at the end; its size is returned.
        """
        client = self.client(Answer(body=b"0123456789" * 100))
        body = self.successResultOf(self.call(client.open_object("k")))
        consumer = RecordingConsumer()
        self.assertEqual(consumer.events, [])
        count = self.successResultOf(self.call(body.stream_into(consumer)))
        self.assertEqual(
            (count, consumer.events[0], consumer.data, consumer.events[-1]),
            (1000, ("register", True), b"0123456789" * 100, ("unregister", None)),
        )

    def test_streamed_once(self) -> None:
        """A body streams once; a second time is a programming error."""
        client = self.client(Answer(body=b"x"))
        body = self.successResultOf(self.call(client.open_object("k")))
        self.successResultOf(self.call(body.stream_into(RecordingConsumer())))
        self.failureResultOf(self.call(body.stream_into(RecordingConsumer())), RuntimeError)

    def test_empty_object(self) -> None:
        """An empty object opens with size 0, and streams nothing."""
        client = self.client(Answer(body=b""))
        body = self.successResultOf(self.call(client.open_object("empty")))
        consumer = RecordingConsumer()
        self.assertEqual(
            (body.info.size, self.successResultOf(self.call(body.stream_into(consumer)))), (0, 0)
        )
        self.assertEqual(consumer.data, b"")

    def test_from_offset(self) -> None:
        """
        Opening from a first byte (an FTP REST) asks for the rest of the
        object with a signed Range header; the 206's Content-Range gives the
        whole object's size, and its body is the rest.
        """
        client = self.client(Answer(206, b"6789", {"content-range": "bytes 6-9/10"}))
        body = self.successResultOf(self.call(client.open_object("k", first_byte=6)))
        received = self.only_request()
        self.assertEqual(received.header("range"), "bytes=6-")
        self.assertIn("range", (received.header("authorization") or "").split("SignedHeaders=")[1])
        consumer = RecordingConsumer()
        count = self.successResultOf(self.call(body.stream_into(consumer)))
        self.assertEqual(
            (body.info.size, body.first_byte, count, consumer.data), (10, 6, 4, b"6789")
        )

    def test_partial_without_range(self) -> None:
        """A 206 that does not say which range it holds, of what size, is refused."""
        for content_range in (None, "bytes 6-9/*", "bytes 5-9/10"):
            headers = {"content-range": content_range} if content_range else {}
            client = self.client(Answer(206, b"6789", headers))
            error = self.failureResultOf(
                self.call(client.open_object("k", first_byte=6)), S3Error
            ).value
            self.assertEqual(error.code, "MalformedResponse", content_range)

    def test_range_ignored(self) -> None:
        """
        A server that answers a ranged GET with the whole object (200) is
        refused, rather than its first bytes sent as the file's last.
        """
        client = self.client(Answer(200, b"0123456789"))
        error = self.failureResultOf(
            self.call(client.open_object("k", first_byte=6)), S3Error
        ).value
        self.assertEqual((error.code, error.status), ("RangeIgnored", 200))

    def test_past_end(self) -> None:
        """
        A first byte at or past the end is S3's 416, which does not say the
        object's size: a HEAD does, the body is empty, and nothing is logged
        as a failure.
        """
        warnings: list[dict[str, Any]] = []

        def observe(event: dict[str, Any]) -> None:
            if event.get("log_level") is not None and event["log_level"].name == "warn":
                warnings.append(event)

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)
        client = self.client(
            Answer(416, error_document("InvalidRange", "The requested range is not satisfiable")),
            Answer(200, b"", {"content-length": "10", "etag": '"e"'}),
        )
        body = self.successResultOf(self.call(client.open_object("k", first_byte=10)))
        self.assertEqual(
            [(r.method, r.header("range")) for r in self.s3.requests],
            [("GET", "bytes=10-"), ("HEAD", None)],
        )
        consumer = RecordingConsumer()
        self.assertEqual(
            (
                body.info.size,
                body.info.etag,
                self.successResultOf(self.call(body.stream_into(consumer))),
            ),
            (10, "e", 0),
        )
        self.assertEqual((consumer.events, warnings), ([], []))

    def test_past_end_of_an_object_replaced(self) -> None:
        """
        A 416, then a HEAD that finds the object longer than the first
        byte (it was replaced in between), is an C{InvalidRange} failure.
        """
        client = self.client(
            Answer(416, error_document("InvalidRange")),
            Answer(200, b"", {"content-length": "20"}),
        )
        error = self.failureResultOf(
            self.call(client.open_object("k", first_byte=10)), S3Error
        ).value
        self.assertEqual((error.code, error.status), ("InvalidRange", 416))

    def test_not_found(self) -> None:
        """A 404 is S3's C{NoSuchKey}, asked once: the 550 comes from the one request."""
        client = self.client(
            Answer(404, error_document("NoSuchKey", "The specified key does not exist."))
        )
        error = self.failureResultOf(self.call(client.open_object("k")), S3Error).value
        self.assertEqual(
            (error.code, error.not_found, len(self.s3.requests)), ("NoSuchKey", True, 1)
        )

    def test_access_denied(self) -> None:
        """A 403 is S3's code for it, not retried."""
        client = self.client(Answer(403, error_document("AccessDenied", "Access Denied")))
        error = self.failureResultOf(self.call(client.open_object("k")), S3Error).value
        self.assertEqual(
            (error.code, error.status, len(self.s3.requests)), ("AccessDenied", 403, 1)
        )

    def test_retried_before_headers(self) -> None:
        """A GET that fails before its headers (S3's 503) is retried, as any request is."""
        client = self.client(Answer(503, error_document("SlowDown")), Answer(body=b"abc"))
        d = self.call(client.open_object("k"))
        self.clock.advance(self.waits(1)[0])
        body = self.successResultOf(d)
        self.assertEqual((body.info.size, len(self.s3.requests)), (3, 2))

    def test_interrupted(self) -> None:
        """
        A body cut off before its end fails with C{ConnectionError} once the
        consumer has its producer slot back, and is not asked for again: the
        bytes already sent cannot be taken back.
        """
        client = self.client(
            Answer(body=b"partial", headers={"content-length": "100"}, finished=False)
        )
        body = self.successResultOf(self.call(client.open_object("k")))
        consumer = RecordingConsumer()
        d = self.call(body.stream_into(consumer))
        self.assertNoResult(d)
        self.s3.open[0].loseConnection()
        self.agent.flush()
        error = self.failureResultOf(d, S3Error).value
        self.assertEqual(
            (error.code, error.status, consumer.events, len(self.s3.requests)),
            (
                "ConnectionError",
                None,
                [("register", True), ("write", b"partial"), ("unregister", None)],
                1,
            ),
        )


class HeldBodyTests(ClientTestCase):
    """A body held for the data connection costs no place in the bound, and is let go."""

    def held(self, **kw: Any) -> Any:
        """A client, and an object it opened whose body has not all come."""
        client = self.client(
            Answer(body=b"partial", headers={"content-length": "100"}, finished=False), **kw
        )
        body = self.successResultOf(self.call(client.open_object("k")))
        return client, body

    def test_discard_closes(self) -> None:
        """
        Discarding a body whose end has not come closes its connection:
        S3 sees the client go, and no connection is left waiting.
        """
        client, body = self.held()
        finished = self.s3.open[0].notifyFinish()
        self.assertNoResult(finished)
        body.discard()
        self.agent.flush()
        self.failureResultOf(finished)

    def test_discard_twice(self) -> None:
        """Discarding twice, or after streaming, is harmless."""
        client, body = self.held()
        body.discard()
        body.discard()
        streamed = self.successResultOf(self.call(self.client(Answer(body=b"x")).open_object("k")))
        self.successResultOf(self.call(streamed.stream_into(RecordingConsumer())))
        streamed.discard()

    def test_discard_whole_body(self) -> None:
        """A body that had all come already is discarded without a failure."""
        client = self.client(Answer(body=b"all of it"))
        body = self.successResultOf(self.call(client.open_object("k")))
        body.discard()
        self.successResultOf(self.call(client.head_object("k")))

    def test_place_given_back(self) -> None:
        """
        An opened object gives its place in the request bound back once its
        headers are in: another request goes out while its body waits.
        """
        client, body = self.held(concurrency=1)
        d = self.call(client.head_object("other"))
        self.agent.flush()
        self.successResultOf(d)
        self.assertEqual([r.method for r in self.s3.requests], ["GET", "HEAD"])
        body.discard()
