"""
Tests for L{twisted_ftps3.listen}: which endpoints the server listens on,
and the IPv6-only endpoint beside the IPv4 one.
"""

from __future__ import annotations

import socket
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import ensureDeferred
from twisted.internet.endpoints import TCP4ServerEndpoint, TCP6ServerEndpoint
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IStreamServerEndpoint
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import MemoryReactor
from twisted.internet.threads import deferToThread
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface.verify import verifyObject

from twisted_ftps3 import listen
from twisted_ftps3.listen import IPv6OnlyServerEndpoint, host_has_ipv6, server_endpoints

from .support.server import ipv6_loopback


class ServerEndpointsTests(SynchronousTestCase):
    """The endpoints for a bind address, or for none."""

    def test_ipv6_only_interface(self) -> None:
        """The IPv6-only endpoint is a stream server endpoint."""
        self.assertTrue(verifyObject(IStreamServerEndpoint, IPv6OnlyServerEndpoint(None, 0)))

    def test_ipv4_address(self) -> None:
        """A named IPv4 address is the only place listened on."""
        [endpoint] = server_endpoints(MemoryReactor(), "10.0.0.5", 2121, ipv6=True)
        self.assertIsInstance(endpoint, TCP4ServerEndpoint)
        self.assertEqual((endpoint._interface, endpoint._port), ("10.0.0.5", 2121))

    def test_ipv6_address(self) -> None:
        """A named IPv6 address gets an IPv6 endpoint, alone."""
        [endpoint] = server_endpoints(MemoryReactor(), "::1", 2121, ipv6=False)
        self.assertIsInstance(endpoint, TCP6ServerEndpoint)
        self.assertEqual((endpoint._interface, endpoint._port), ("::1", 2121))

    def test_every_address_with_ipv6(self) -> None:
        """No address: every IPv4 address and, beside it, every IPv6 address."""
        endpoints = server_endpoints(MemoryReactor(), None, 2121, ipv6=True)
        self.assertEqual(
            [type(endpoint) for endpoint in endpoints],
            [TCP4ServerEndpoint, IPv6OnlyServerEndpoint],
        )
        self.assertEqual(endpoints[0]._interface, "")

    def test_every_address_without_ipv6(self) -> None:
        """No address and no IPv6 on the host: IPv4 alone."""
        [endpoint] = server_endpoints(MemoryReactor(), None, 2121, ipv6=False)
        self.assertIsInstance(endpoint, TCP4ServerEndpoint)

    def test_no_ipv6_on_host(self) -> None:
        """A host whose kernel refuses IPv6 sockets has no IPv6, and says so without raising."""

        def refuse(*args: Any) -> Any:
            raise OSError(97, "Address family not supported by protocol")

        self.patch(listen.socket, "socket", refuse)
        self.assertFalse(host_has_ipv6())


class IPv6OnlyServerEndpointTests(TestCase):
    """The IPv6-only endpoint, listening for real on ::1."""

    if not ipv6_loopback():
        skip = "this host has no IPv6 loopback (::1) to listen on"

    async def _listen_and_connect(self) -> None:
        accepted: list[Any] = []

        class Accept(Protocol):
            def connectionMade(self) -> None:
                accepted.append(self.transport.getPeer())

        endpoint = IPv6OnlyServerEndpoint(reactor, 0, interface="::1")
        port = await endpoint.listen(Factory.forProtocol(Accept))
        self.addCleanup(port.stopListening)
        self.assertEqual(port.socket.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY), 1)
        number = port.getHost().port

        def connect() -> None:
            with socket.create_connection(("::1", number), timeout=10):
                pass

        await deferToThread(connect)
        for _ in range(100):
            if accepted:
                break
            await deferToThread(lambda: None)
        self.assertEqual([peer.host for peer in accepted], ["::1"])

    def test_listens_ipv6_only(self) -> Any:
        """The socket is IPv6-only, and takes connections over ::1."""
        return ensureDeferred(self._listen_and_connect())

    def test_port_taken(self) -> Any:
        """A port already taken fails as CannotListenError, naming the address."""
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as taken:
            taken.bind(("::1", 0))
            taken.listen(1)
            endpoint = IPv6OnlyServerEndpoint(reactor, taken.getsockname()[1], interface="::1")
            failure = self.failureResultOf(endpoint.listen(Factory()), CannotListenError)
        self.assertEqual(failure.value.interface, "::1")
