# -*- test-case-name: tests.test_health -*-
"""
The health check a load balancer polls: C{GET /health} answers 200 while
the server runs.
"""

from __future__ import annotations

from twisted.web.resource import Resource
from twisted.web.server import Request, Site


class Health(Resource):
    """
    C{/health}: 200 and C{OK}.

    Not a leaf, so that a path below it (C{/health/x}) is a 404 rather than
    a second health check.
    """

    def render_GET(self, request: Request) -> bytes:
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        request.setHeader(b"cache-control", b"no-store")
        return b"OK\n"

    def render_HEAD(self, request: Request) -> bytes:
        return self.render_GET(request)


class _QuietSite(Site):
    """A site that writes no access log: a load balancer polls every few seconds."""

    def log(self, request: Request) -> None:
        pass


def health_site() -> Site:
    """A site with only C{/health}; every other path is 404."""
    root = Resource()
    root.putChild(b"health", Health())
    site = _QuietSite(root)
    site.displayTracebacks = False
    site.noisy = False
    return site
