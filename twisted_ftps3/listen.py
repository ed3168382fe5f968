# -*- test-case-name: tests.test_listen -*-
"""
Where the server listens: one address when the operator names one, or
else every IPv4 address and, where the host has IPv6, every IPv6 address.

The IPv6 socket is IPv6-only. Linux's default dual-stack socket would take
the IPv4 port too (so the IPv4 listener could not bind it) and would show
IPv4 clients as C{::ffff:a.b.c.d}, which PASV replies and the CIDR map
would then have to undo.
"""

from __future__ import annotations

import socket
from typing import Any

from twisted.internet import defer
from twisted.internet.endpoints import TCP4ServerEndpoint, TCP6ServerEndpoint
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IListeningPort, IStreamServerEndpoint
from twisted.logger import Logger
from zope.interface import implementer

log = Logger()


@implementer(IStreamServerEndpoint)
class IPv6OnlyServerEndpoint:
    """Listens on an IPv6 address (every one by default), and on no IPv4 address."""

    def __init__(self, reactor: Any, port: int, interface: str = "::", backlog: int = 50) -> None:
        self._reactor = reactor
        self._port = port
        self._interface = interface
        self._backlog = backlog

    def listen(self, protocolFactory: Any) -> defer.Deferred[IListeningPort]:
        return defer.execute(self._listen, protocolFactory)

    def _listen(self, factory: Any) -> IListeningPort:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._interface, self._port))
            sock.listen(self._backlog)
            sock.setblocking(False)
            # The reactor takes a duplicate of the descriptor.
            return self._reactor.adoptStreamPort(sock.fileno(), socket.AF_INET6, factory)
        except OSError as e:
            raise CannotListenError(self._interface, self._port, e) from e
        finally:
            sock.close()


def host_has_ipv6() -> bool:
    """Whether an IPv6-only socket can be bound here (not so in many containers)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(("::", 0))
    except OSError:
        return False
    return True


def server_endpoints(
    reactor: Any, host: str | None, port: int, *, ipv6: bool
) -> list[IStreamServerEndpoint]:
    """
    The endpoints to listen on C{port}: at C{host} alone, or, when C{host}
    is L{None}, at every IPv4 address and, if C{ipv6}, every IPv6 address.
    """
    if host is not None:
        endpoint = TCP6ServerEndpoint if ":" in host else TCP4ServerEndpoint
        return [endpoint(reactor, port, interface=host)]
    endpoints: list[IStreamServerEndpoint] = [TCP4ServerEndpoint(reactor, port)]
    if ipv6:
        endpoints.append(IPv6OnlyServerEndpoint(reactor, port))
    return endpoints
