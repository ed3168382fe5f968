"""
Tests for L{twisted_ftps3.passive}: PASV and EPSV, the address map, which
data connections a session takes, and that the session goes on answering
while it waits for one.
"""

from __future__ import annotations

import ipaddress

from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.config import CidrDomain
from twisted_ftps3.data import DataChannelFactory, DataTLSFactory
from twisted_ftps3.passive import PassiveAddressMap, ip_address

from .support.session import SessionTestCase
from .support.transport import ControlHandle


class DataConnectionModeTests(SessionTestCase):
    """Only passive data connections are served, and only through PASV."""

    def setUp(self) -> None:
        super().setUp()
        self.login()

    def test_port(self) -> None:
        """PORT is refused with 425, and nothing is listened on or connected to."""
        self.assertEqual(
            self.send(b"PORT 203,0,113,9,156,64"), ["425 active mode is not served; use PASV."]
        )
        self.assertEqual((self.reactor.tcpServers, self.reactor.tcpClients), ([], []))

    def test_eprt(self) -> None:
        """EPRT is refused with 425, and nothing is listened on or connected to."""
        self.assertEqual(
            self.send(b"EPRT |1|203.0.113.9|40000|"), ["425 active mode is not served; use PASV."]
        )
        self.assertEqual((self.reactor.tcpServers, self.reactor.tcpClients), ([], []))

    def test_epsv_other_family(self) -> None:
        """EPSV 2 on an IPv4 control connection is a 522 naming family 1; nothing listens."""
        [line] = self.send(b"EPSV 2")
        self.assertTrue(line.startswith("522 "), line)
        self.assertIn("(1)", line)
        self.assertEqual(self.reactor.tcpServers, [])

    def test_epsv_bad_argument(self) -> None:
        """EPSV with an argument that is neither a family nor ALL is a 501."""
        [line] = self.send(b"EPSV 9")
        self.assertTrue(line.startswith("501 "), line)

    def test_epsv_all_refuses_pasv(self) -> None:
        """After EPSV ALL, PASV is refused with 503."""
        self.assertEqual(self.send(b"EPSV ALL"), ["200 EPSV ALL OK"])
        [line] = self.send(b"PASV")
        self.assertTrue(line.startswith("503 "), line)


def _net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text)


class PassiveAddressMapTests(SynchronousTestCase):
    """Which address PASV names, and which data connections it accepts."""

    def setUp(self) -> None:
        self.map = PassiveAddressMap(
            (
                CidrDomain(_net("10.0.0.0/8"), "outer.example"),
                CidrDomain(_net("10.1.0.0/16"), "inner.example"),
                CidrDomain(_net("192.0.2.0/24"), "0.0.0.0"),
            )
        )

    def test_group(self) -> None:
        """A client is in the group of the range holding its address."""
        self.assertEqual(self.map.group(ip_address("192.0.2.5")), 2)

    def test_domain(self) -> None:
        """A client is given the domain of the range holding its address."""
        self.assertEqual(self.map.domain(ip_address("10.200.0.1")), "outer.example")

    def test_first_match_group(self) -> None:
        """Of two ranges holding the address, the first listed wins, not the narrower."""
        self.assertEqual(self.map.group(ip_address("10.1.2.3")), 0)

    def test_first_match_domain(self) -> None:
        """Of two ranges holding the address, the first one's domain is given."""
        self.assertEqual(self.map.domain(ip_address("10.1.2.3")), "outer.example")

    def test_no_group(self) -> None:
        """A client outside every range is in no group and has no domain."""
        self.assertIsNone(self.map.group(ip_address("203.0.113.9")))
        self.assertIsNone(self.map.domain(ip_address("203.0.113.9")))

    def test_ipv6_client_not_in_ipv4_range(self) -> None:
        """An IPv6 client is in no IPv4 range."""
        self.assertIsNone(self.map.group(ip_address("2001:db8::1")))

    def test_same_group_other_address(self) -> None:
        """A data connection from another address of the client's group is allowed."""
        self.assertTrue(self.map.same_group(ip_address("10.1.2.3"), ip_address("10.200.0.1")))

    def test_other_group_refused(self) -> None:
        """A data connection from another group is refused."""
        self.assertFalse(self.map.same_group(ip_address("10.1.2.3"), ip_address("192.0.2.5")))

    def test_grouped_client_data_outside_refused(self) -> None:
        """A data connection from outside every range, for a grouped client, is refused."""
        self.assertFalse(self.map.same_group(ip_address("10.1.2.3"), ip_address("203.0.113.9")))

    def test_ungrouped_client_same_address(self) -> None:
        """A client outside every range may connect from its own address."""
        self.assertTrue(self.map.same_group(ip_address("203.0.113.9"), ip_address("203.0.113.9")))

    def test_ungrouped_client_other_address_refused(self) -> None:
        """A client outside every range may not connect from another address."""
        self.assertFalse(self.map.same_group(ip_address("203.0.113.9"), ip_address("203.0.113.10")))

    def test_ungrouped_client_data_in_group_refused(self) -> None:
        """A client outside every range may not connect from inside a range."""
        self.assertFalse(self.map.same_group(ip_address("203.0.113.9"), ip_address("10.1.2.3")))

    def test_ipv4_mapped_is_ipv4(self) -> None:
        """An IPv4-mapped IPv6 address is read as the IPv4 address it maps."""
        self.assertEqual(ip_address("::ffff:10.1.2.3"), ipaddress.IPv4Address("10.1.2.3"))

    def test_ipv4_mapped_grouped(self) -> None:
        """An IPv4-mapped client is in the IPv4 range holding its address."""
        self.assertEqual(self.map.group(ip_address("::ffff:192.0.2.5")), 2)

    def test_ipv4_mapped_same_address(self) -> None:
        """An ungrouped client may connect over IPv4 having connected IPv4-mapped."""
        self.assertTrue(
            self.map.same_group(ip_address("::ffff:203.0.113.9"), ip_address("203.0.113.9"))
        )


class DataPeerTests(SessionTestCase):
    """Which data connections a session from outside every range accepts."""

    def test_own_address_mapped(self) -> None:
        """A data connection from the client's own address, IPv4-mapped, is allowed."""
        self.assertTrue(self.protocol.data_peer_allowed("::ffff:203.0.113.9"))

    def test_other_address(self) -> None:
        """A data connection from another address is refused."""
        self.assertFalse(self.protocol.data_peer_allowed("203.0.113.10"))

    def test_not_an_address(self) -> None:
        """A peer that is not an IP address is refused."""
        self.assertFalse(self.protocol.data_peer_allowed("example.com"))


class PassiveTests(SessionTestCase):
    """PASV for a client that no range of the address map holds."""

    addresses = PassiveAddressMap((CidrDomain(_net("10.0.0.0/8"), "ftp.internal.example"),))

    def setUp(self) -> None:
        super().setUp()
        self.login()

    def test_reply(self) -> None:
        """
        PASV names the address the client reached the server on, and the
        first port of the pool.
        """
        self.assertEqual(self.send(b"PASV"), ["227 Entering Passive Mode (198,51,100,7,156,64)."])

    def test_no_resolution(self) -> None:
        """The domain of a range that does not hold the client is not resolved."""
        self.send(b"PASV")
        self.assertEqual(self.resolved, [])

    def test_listens(self) -> None:
        """PASV listens on the pool's port, on every interface."""
        self.send(b"PASV")
        [(port, _, _, interface)] = self.reactor.tcpServers
        self.assertEqual((port, interface), (40000, ""))

    def test_listens_tls(self) -> None:
        """
        The passive port takes TLS connections for the session's data
        channel, in the control connection's TLS context.
        """
        self.send(b"PASV")
        [(_, factory, _, _)] = self.reactor.tcpServers
        self.assertIsInstance(factory, DataTLSFactory)
        self.assertIs(factory.session.context, ControlHandle.context)
        self.assertIsInstance(factory.wrappedFactory, DataChannelFactory)
        self.assertIs(factory.wrappedFactory, self.protocol.dtpFactory)

    def test_takes_port(self) -> None:
        """The port PASV listens on is taken from the pool."""
        self.send(b"PASV")
        self.assertEqual(self.ports.free, 1)

    def test_port_held_until_timeout(self) -> None:
        """Until the data connection timeout passes, the port stays taken."""
        self.send(b"PASV")
        self.clock.advance(self.protocol.dtpTimeout - 0.5)
        self.assertEqual(self.ports.free, 1)

    def test_port_released_on_timeout(self) -> None:
        """When no data connection comes in time, the port returns to the pool."""
        self.send(b"PASV")
        self.clock.advance(self.protocol.dtpTimeout)
        self.assertEqual(self.ports.free, 2)
        self.assertIsNone(self.protocol.dtpFactory)

    def test_session_continues_after_timeout(self) -> None:
        """After the timeout, nothing is replied and the session serves commands again."""
        self.send(b"PASV")
        self.transport.clear()
        self.clock.advance(self.protocol.dtpTimeout)
        self.assertEqual(self.transport.value(), b"")
        self.assertEqual(self.send(b"PWD"), ['257 "/" is the current directory.'])


class AnsweringWhileWaitingTests(SessionTestCase):
    """
    After PASV or EPSV, commands that need no data connection are answered
    at once, while the port waits for the client to connect.
    """

    def setUp(self) -> None:
        super().setUp()
        self.login()

    def test_noop_after_pasv(self) -> None:
        """A NOOP right after PASV is answered at once."""
        self.send(b"PASV")
        self.assertEqual(self.send(b"NOOP"), ["200 Command OK"])

    def test_noop_after_epsv(self) -> None:
        """A NOOP right after EPSV is answered at once."""
        self.assertEqual(self.send(b"EPSV"), ["229 Entering Extended Passive Mode (|||40000|)."])
        self.assertEqual(self.send(b"NOOP"), ["200 Command OK"])

    def test_pwd_after_pasv(self) -> None:
        """A PWD right after PASV is answered at once."""
        self.send(b"PASV")
        self.assertEqual(self.send(b"PWD"), ['257 "/" is the current directory.'])

    def test_port_still_offered(self) -> None:
        """The commands in between leave the port listening for the data connection."""
        self.send(b"PASV")
        self.send(b"NOOP")
        self.assertEqual(self.ports.free, 1)
        channel = self.connect_data()
        self.assertIs(self.protocol.dtpInstance, channel)

    def test_second_pasv_replaces_first(self) -> None:
        """A second PASV gives the first port back and offers another."""
        self.send(b"PASV")
        self.assertEqual(self.send(b"PASV"), ["227 Entering Passive Mode (198,51,100,7,156,65)."])
        self.assertEqual(self.ports.free, 1)

    def test_pasv_with_argument(self) -> None:
        """PASV takes no argument: one is refused with 501, and nothing listens."""
        self.assertEqual(self.send(b"PASV x"), ["501 PASV takes no argument."])
        self.assertEqual(self.reactor.tcpServers, [])
