"""
A TCP relay in front of the test S3 server that counts the connections
open through it.

moto closes its connection after every answer, so once the server under
test has nothing in flight, no connection is open through the relay: one
that stays open is one the server left waiting (a response body nobody
reads, say). Bytes are relayed as they come, both ways, with backpressure
(Twisted's port forwarder), so a body the server does not read stays in
moto. L{CountingRelay.hold} keeps S3's answers back until
L{CountingRelay.release}, so that a test can act while a request waits.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.task import deferLater
from twisted.protocols.portforward import ProxyClient, ProxyClientFactory, ProxyFactory, ProxyServer
from twisted.python.failure import Failure

__all__ = ["CountingRelay"]


class _Upstream(ProxyClient):
    """The relay's side towards S3: what S3 answers, kept back while the relay holds."""

    relay: CountingRelay

    def connectionMade(self) -> None:
        self._held: list[bytes] = []
        self.relay.upstream.add(self)
        super().connectionMade()
        if self.relay.holding:
            self.transport.pauseProducing()  # type: ignore[attr-defined]

    def dataReceived(self, data: bytes) -> None:
        if self.relay.holding:
            self._held.append(data)
        else:
            super().dataReceived(data)

    def release(self) -> None:
        held, self._held = self._held, []
        for data in held:
            super().dataReceived(data)
        self.transport.resumeProducing()  # type: ignore[attr-defined]

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        self.relay.upstream.discard(self)
        super().connectionLost(reason)


class _UpstreamFactory(ProxyClientFactory):
    """Connects one downstream connection to S3."""

    protocol = _Upstream  # type: ignore[assignment]
    noisy = False

    def __init__(self, relay: CountingRelay) -> None:
        self.relay = relay

    def buildProtocol(self, addr: Any) -> _Upstream:
        upstream = super().buildProtocol(addr)
        assert isinstance(upstream, _Upstream)
        upstream.relay = self.relay
        return upstream


class _Downstream(ProxyServer):
    """The relay's side towards the server under test."""

    factory: _Factory  # type: ignore[assignment]
    _seen = False

    def connectionMade(self) -> None:
        relay = self.factory.relay
        relay.connections.add(self)
        relay.accepted += 1
        self.clientProtocolFactory = lambda: _UpstreamFactory(relay)  # type: ignore[assignment]
        super().connectionMade()

    def dataReceived(self, data: bytes) -> None:
        if not self._seen:
            # Keep-alive aside (moto closes after each answer), a connection
            # carries one request: its request line names it.
            self._seen = True
            self.factory.relay.requests.append(data.partition(b"\r\n")[0].decode("ascii"))
        super().dataReceived(data)

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        self.factory.relay.connections.discard(self)
        super().connectionLost(reason)


class _Factory(ProxyFactory):
    protocol = _Downstream  # type: ignore[assignment]
    noisy = False

    def __init__(self, relay: CountingRelay, host: str, port: int) -> None:
        super().__init__(host, port)
        self.relay = relay


class CountingRelay:
    """
    Listens on 127.0.0.1 and relays every connection to C{upstream}.

    @ivar connections: the connections from the server under test open now.
    @ivar accepted: how many it has accepted in all.
    @ivar requests: the first request line of each, in order.
    @ivar holding: whether S3's answers are kept back now.
    """

    def __init__(self, upstream: tuple[str, int], *, reactor: Any) -> None:
        self._reactor = reactor
        self._factory = _Factory(self, *upstream)
        self.connections: set[_Downstream] = set()
        self.upstream: set[_Upstream] = set()
        self.accepted = 0
        #: The request line of each connection, in order.
        self.requests: list[str] = []
        self.holding = False
        self._listening: Any = None

    @property
    def open(self) -> int:
        """How many connections are open through the relay now."""
        return len(self.connections)

    def start(self) -> str:
        """Start listening on a free port; the endpoint URL to give the server."""
        self._listening = self._reactor.listenTCP(0, self._factory, interface="127.0.0.1")
        return f"http://127.0.0.1:{self._listening.getHost().port}"

    def hold(self) -> None:
        """Keep S3's answers back from now on."""
        self.holding = True

    def release(self) -> None:
        """Pass on what was kept back, and everything from now on."""
        self.holding = False
        for upstream in list(self.upstream):
            upstream.release()

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        for connection in list(self.connections):
            connection.transport.abortConnection()
        if self._listening is not None:
            listening, self._listening = self._listening, None
            await listening.stopListening()
        await deferLater(self._reactor, 0, lambda: None)
