# -*- test-case-name: tests.test_health -*-
"""
The health check a load balancer polls: C{GET /health} answers 200 while
the server runs, and 503 once it drains for a shutdown, so that the load
balancer sends it no new session while its transfers finish.
"""

from __future__ import annotations

from twisted.web.resource import Resource
from twisted.web.server import Request, Site

from .drain import Drain


class Health(Resource):
    """
    C{/health}: 200 and C{OK}; 503 and C{draining} once the server drains.

    Not a leaf, so that a path below it (C{/health/x}) is a 404 rather than
    a second health check.
    """

    def __init__(self, drain: Drain | None = None) -> None:
        super().__init__()
        self._drain = drain

    def render_GET(self, request: Request) -> bytes:
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        request.setHeader(b"cache-control", b"no-store")
        if self._drain is not None and self._drain.draining:
            request.setResponseCode(503)
            return b"draining\n"
        return b"OK\n"

    def render_HEAD(self, request: Request) -> bytes:
        return self.render_GET(request)


class _QuietSite(Site):
    """A site that writes no access log: a load balancer polls every few seconds."""

    def log(self, request: Request) -> None:
        pass


def health_site(drain: Drain | None = None) -> Site:
    """A site with only C{/health}, which reports C{drain}; every other path is 404."""
    root = Resource()
    root.putChild(b"health", Health(drain))
    site = _QuietSite(root)
    site.displayTracebacks = False
    site.noisy = False
    return site
