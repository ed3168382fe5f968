# -*- test-case-name: tests.test_s3_connections -*-
"""
The connections to S3, which read and send in larger pieces than Twisted's
defaults.

A download's bytes cross the process in the pieces the S3 connection reads
them in, and each piece costs a trip through the HTTP parser, TLS and the
data connection's buffers; an upload's go out in the pieces the S3
connection sends. Twisted reads 64 KiB and sends 128 KiB at a time; the
connections to S3 take four times as much
(L{twisted_ftps3.data.READ_SIZE}, L{twisted_ftps3.data.SEND_SIZE}), and
the data connections read more still.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.web.client import URI, BrowserLikePolicyForHTTPS
from twisted.web.iweb import IAgentEndpointFactory, IPolicyForHTTPS
from zope.interface import implementer

from ..data import READ_SIZE, SEND_SIZE


@implementer(IStreamClientEndpoint)
class _LargePieces:
    """
    A TCP endpoint whose connections read L{READ_SIZE} and send L{SEND_SIZE}
    at a time, and whose factories do not log their start and stop: the
    pool makes a factory per connection, and an S3 server that closes every
    connection after one answer (moto does) would have two lines logged
    for every request.
    """

    def __init__(self, tcp: IStreamClientEndpoint) -> None:
        self._tcp = tcp

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        protocolFactory.noisy = False

        def tune(protocol: Any) -> Any:
            protocol.transport.bufferSize = READ_SIZE
            protocol.transport.SEND_LIMIT = SEND_SIZE
            return protocol

        return self._tcp.connect(protocolFactory).addCallback(tune)


@implementer(IAgentEndpointFactory)
class S3Endpoints:
    """
    Where an L{twisted.web.client.Agent} connects for S3: TCP for
    C{http://}, TLS over TCP for C{https://}, as Twisted's own agent does,
    with the TCP connection reading and sending in larger pieces.

    @param policy: how TLS connections check S3's certificate; by default,
        as a browser does.
    """

    def __init__(
        self,
        reactor: Any,
        connect_timeout: float,
        policy: IPolicyForHTTPS | None = None,
    ) -> None:
        self._reactor = reactor
        self._timeout = connect_timeout
        self._policy = policy if policy is not None else BrowserLikePolicyForHTTPS()

    def endpointForURI(self, uri: URI) -> IStreamClientEndpoint:
        host = uri.host.decode("ascii")
        tcp = _LargePieces(HostnameEndpoint(self._reactor, host, uri.port, timeout=self._timeout))
        if uri.scheme == b"https":
            return wrapClientTLS(self._policy.creatorForNetloc(uri.host, uri.port), tcp)
        return tcp
