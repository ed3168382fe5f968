"""
Tests for L{twisted_ftps3.health}: the load balancer's health check.

Requests go through the site's real request handling (L{Request} on a
L{DummyChannel}, whose transport only records bytes), so resource lookup,
rendering and the status line are all the real thing, without a socket.
"""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.server import Request
from twisted.web.test.requesthelper import DummyChannel

from twisted_ftps3.drain import Drain
from twisted_ftps3.health import health_site


class Response:
    """What the site answered to one request."""

    def __init__(self, method: bytes, path: bytes, drain: Drain | None = None) -> None:
        channel = DummyChannel()
        channel.site = health_site(drain)
        request = Request(channel, False)
        request.gotLength(0)
        request.requestReceived(method, path, b"HTTP/1.1")
        self.finished = bool(request.finished)
        self.code: int = request.code
        self.request = request
        self.head, _, self.body = channel.transport.written.getvalue().partition(b"\r\n\r\n")

    def header(self, name: bytes) -> bytes | None:
        values = self.request.responseHeaders.getRawHeaders(name)
        return None if values is None else b",".join(values)


class HealthTests(SynchronousTestCase):
    """C{/health} answers 200 and C{OK}."""

    def test_status(self) -> None:
        """C{GET /health} is a 200."""
        self.assertEqual(Response(b"GET", b"/health").code, 200)

    def test_status_line(self) -> None:
        """The response written to the connection starts with a 200 status line."""
        self.assertTrue(Response(b"GET", b"/health").head.startswith(b"HTTP/1.1 200 OK\r\n"))

    def test_body(self) -> None:
        """The body is C{OK} and a newline."""
        self.assertEqual(Response(b"GET", b"/health").body, b"OK\n")

    def test_finished(self) -> None:
        """The response is complete at once."""
        self.assertTrue(Response(b"GET", b"/health").finished)

    def test_content_type(self) -> None:
        """The body is plain UTF-8 text."""
        self.assertEqual(
            Response(b"GET", b"/health").header(b"content-type"), b"text/plain; charset=utf-8"
        )

    def test_not_cached(self) -> None:
        """Caches are told not to keep the answer."""
        self.assertEqual(Response(b"GET", b"/health").header(b"cache-control"), b"no-store")

    def test_query_ignored(self) -> None:
        """A query string does not change the answer."""
        response = Response(b"GET", b"/health?from=elb")
        self.assertEqual((response.code, response.body), (200, b"OK\n"))

    def test_head(self) -> None:
        """C{HEAD /health} is a 200 without a body."""
        response = Response(b"HEAD", b"/health")
        self.assertEqual((response.code, response.body), (200, b""))

    def test_post_not_allowed(self) -> None:
        """Other methods are refused with 405."""
        self.assertEqual(Response(b"POST", b"/health").code, 405)


class DrainingTests(SynchronousTestCase):
    """Once the server drains for a shutdown, C{/health} answers 503."""

    def test_running(self) -> None:
        """Before the drain, the health check of a server with a drain is a 200."""
        response = Response(b"GET", b"/health", Drain(Clock()))
        self.assertEqual((response.code, response.body), (200, b"OK\n"))

    def test_draining(self) -> None:
        """While draining, C{GET /health} is a 503 saying so, not to be cached."""
        drain = Drain(Clock())
        drain.begin()
        response = Response(b"GET", b"/health", drain)
        self.assertEqual((response.code, response.body), (503, b"draining\n"))
        self.assertTrue(response.head.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"))
        self.assertEqual(response.header(b"cache-control"), b"no-store")

    def test_draining_head(self) -> None:
        """C{HEAD /health} is a 503 too, without a body."""
        drain = Drain(Clock())
        drain.begin()
        response = Response(b"HEAD", b"/health", drain)
        self.assertEqual((response.code, response.body), (503, b""))


class NotFoundTests(SynchronousTestCase):
    """Every other path is a 404."""

    def assertNotFound(self, path: bytes) -> None:
        response = Response(b"GET", path)
        self.assertEqual(response.code, 404)
        self.assertNotIn(b"OK\n", response.body)

    def test_root(self) -> None:
        """C{/} is a 404."""
        self.assertNotFound(b"/")

    def test_other_name(self) -> None:
        """A name that only starts like C{health} is a 404."""
        self.assertNotFound(b"/healthz")

    def test_case_sensitive(self) -> None:
        """Paths are case-sensitive: C{/HEALTH} is a 404."""
        self.assertNotFound(b"/HEALTH")

    def test_below_health(self) -> None:
        """A path below C{/health} is a 404, not a second health check."""
        self.assertNotFound(b"/health/extra")

    def test_trailing_slash(self) -> None:
        """C{/health/} is another path, and a 404."""
        self.assertNotFound(b"/health/")

    def test_nested(self) -> None:
        """C{health} deeper in the tree is a 404."""
        self.assertNotFound(b"/status/health")
