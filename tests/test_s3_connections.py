# -*- test-case-name: tests.test_s3_connections -*-
"""
Tests for L{twisted_ftps3.s3.connections}: the S3 connections read and send
in the data connections' larger pieces.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import succeed
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.client import URI, BrowserLikePolicyForHTTPS

from twisted_ftps3.data import READ_SIZE, SEND_SIZE
from twisted_ftps3.s3.connections import S3Endpoints, _LargePieces


class _Connected:
    """An endpoint whose every connection is made at once, over a StringTransport."""

    def connect(self, factory: Any) -> Any:
        protocol = factory.buildProtocol(None)
        protocol.makeConnection(StringTransport())
        return succeed(protocol)


class LargePiecesTests(SynchronousTestCase):
    def test_tuned(self) -> None:
        """A connection made reads READ_SIZE and sends SEND_SIZE at a time."""
        connected = self.successResultOf(
            _LargePieces(_Connected()).connect(Factory.forProtocol(Protocol))
        )
        self.assertEqual(
            (connected.transport.bufferSize, connected.transport.SEND_LIMIT),
            (READ_SIZE, SEND_SIZE),
        )
        self.assertGreater(READ_SIZE, 64 * 1024)


class QuietFactoryTests(SynchronousTestCase):
    def test_factoryQuiet(self) -> None:
        """
        A factory connected through it does not log its start and stop:
        the pool makes one for every connection.
        """
        factory = Factory.forProtocol(Protocol)
        factory.noisy = True
        self.successResultOf(_LargePieces(_Connected()).connect(factory))
        self.assertFalse(factory.noisy)


class _RecordingPolicy:
    """An IPolicyForHTTPS that records the hosts it was asked about."""

    def __init__(self) -> None:
        self.asked: list[tuple[bytes, int]] = []

    def creatorForNetloc(self, hostname: bytes, port: int) -> Any:
        self.asked.append((hostname, port))
        return BrowserLikePolicyForHTTPS().creatorForNetloc(hostname, port)


class S3EndpointsTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.policy = _RecordingPolicy()

    def endpoint(self, url: bytes) -> Any:
        endpoints = S3Endpoints(MemoryReactorClock(), 10, self.policy)
        return endpoints.endpointForURI(URI.fromBytes(url))

    def test_http(self) -> None:
        """Plain http is TCP to the URL's host and port, tuned, and no TLS."""
        endpoint = self.endpoint(b"http://127.0.0.1:9000/bucket/key")
        self.assertIsInstance(endpoint, _LargePieces)
        self.assertEqual(repr(endpoint._tcp), "<HostnameEndpoint 127.0.0.1:9000>")
        self.assertEqual(self.policy.asked, [])

    def test_https(self) -> None:
        """https is TLS for the URL's host, checked by the policy, over tuned TCP."""
        endpoint = self.endpoint(b"https://s3.eu-west-2.amazonaws.com/bucket/key")
        tcp = endpoint._wrappedEndpoint
        self.assertIsInstance(tcp, _LargePieces)
        self.assertEqual(repr(tcp._tcp), "<HostnameEndpoint s3.eu-west-2.amazonaws.com:443>")
        self.assertEqual(self.policy.asked, [(b"s3.eu-west-2.amazonaws.com", 443)])
