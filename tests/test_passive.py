"""
Tests for L{twisted_ftps3.passive}: PASV and EPSV, the address map, which
data connections a session takes, and that the session goes on answering
while it waits for one.
"""

from __future__ import annotations

import ipaddress

from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.config import CidrDomain
from twisted_ftps3.data import DataChannelFactory, DataTLSFactory
from twisted_ftps3.passive import PORT_WAIT_SECONDS, PassiveAddressMap, PassiveRouter, ip_address
from twisted_ftps3.ports import PassivePortPool

from .support.session import CLIENT, CLIENT_DATA, SessionTestCase
from .support.transport import ControlHandle, DataTransport


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
        channel, in the control connection's TLS session.
        """
        self.send(b"PASV")
        [(_, router, _, _)] = self.reactor.tcpServers
        self.assertIsInstance(router, PassiveRouter)
        factory = router.route(CLIENT_DATA)
        self.assertIsInstance(factory, DataTLSFactory)
        self.assertIs(factory.session, ControlHandle.session)
        self.assertIsInstance(factory.wrappedFactory, DataChannelFactory)
        self.assertIs(factory.wrappedFactory, self.protocol.dtpFactory)

    def test_port_free_once_connected(self) -> None:
        """
        The port is free again as soon as the data connection is in; with
        no other session holding it, it stops listening.
        """
        self.send(b"PASV")
        channel = self.connect_data()
        self.assertEqual(self.ports.free, 2)
        self.assertIsNone(self.ports.listening(40000))
        self.assertIs(self.protocol.dtpInstance, channel)

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


OTHER = IPv4Address("TCP", "203.0.113.10", 50123)


class OnePortTestCase(SessionTestCase):
    """
    Sessions sharing a pool of one passive port: C{self.sessions} holds
    each session opened, and L{use} makes one of them the one commands go to.
    """

    def setUp(self) -> None:
        super().setUp()
        self.ports = self.factory.ports = PassivePortPool(range(40000, 40001))
        self.sessions = [(self.transport, self.protocol)]
        self.login()

    def open(self, peer: IPv4Address = CLIENT) -> int:
        """Open and log in another session from C{peer}; its index."""
        self.connect(peer=peer)
        self.sessions.append((self.transport, self.protocol))
        self.login()
        return len(self.sessions) - 1

    def use(self, index: int) -> None:
        self.transport, self.protocol = self.sessions[index]

    def arrive(self, peer: IPv4Address) -> object:
        """A data connection from C{peer} to the port: the session it reached, if any."""
        [(_, router, _, _)] = self.reactor.tcpServers
        factory = router.route(peer)
        if factory is None:
            return None
        factory.wrappedFactory.buildProtocol(peer).makeConnection(DataTransport())
        return factory.wrappedFactory.pi


class SharedPortTests(OnePortTestCase):
    """Sessions from two addresses hold one port at once; each connection reaches its own."""

    def setUp(self) -> None:
        super().setUp()
        self.send(b"PASV")
        self.other = self.open(OTHER)
        self.other_reply = self.send(b"PASV")

    def test_same_port(self) -> None:
        """Both sessions are offered the one port, which listens once."""
        self.assertEqual(self.other_reply, ["227 Entering Passive Mode (198,51,100,7,156,64)."])
        self.assertEqual(len(self.reactor.tcpServers), 1)

    def test_each_to_its_own(self) -> None:
        """Each data connection reaches the session of its address, whatever the order."""
        first, second = self.sessions[0][1], self.sessions[1][1]
        self.assertIs(self.arrive(OTHER), second)
        self.assertIs(self.arrive(CLIENT_DATA), first)
        self.assertIsNotNone(first.dtpInstance)
        self.assertIsNotNone(second.dtpInstance)
        self.assertIsNot(first.dtpInstance, second.dtpInstance)

    def test_stranger_refused(self) -> None:
        """A connection from a third address reaches no session, and frees nothing."""
        self.assertIsNone(self.arrive(IPv4Address("TCP", "203.0.113.11", 40000)))
        self.assertEqual(self.ports.free, 0)
        for _, protocol in self.sessions:
            self.assertIsNone(protocol.dtpInstance)

    def test_second_connection_refused(self) -> None:
        """A second connection from an address whose session took one is refused."""
        self.arrive(OTHER)
        self.assertIsNone(self.arrive(OTHER))


class PortWaitTests(OnePortTestCase):
    """
    With the one port held by a session of the same address, PASV waits for
    it, and gets it as soon as the first session's data connection is in.
    """

    def setUp(self) -> None:
        super().setUp()
        # The first session's client is slow to connect: slower than the wait.
        self.protocol.dtpTimeout = 2 * PORT_WAIT_SECONDS
        self.send(b"PASV")
        # The session that waits would be idle after a second.
        self.factory.timeOut = 1
        self.waiter = self.open()
        self.reply = self.send(b"PASV")

    def test_waits(self) -> None:
        """The second PASV is not answered yet; it is queued."""
        self.assertEqual((self.reply, self.ports.waiting), ([], 1))

    def test_given_when_connected(self) -> None:
        """When the first session's connection is in, the second PASV is offered the port."""
        self.arrive(CLIENT_DATA)
        self.assertEqual(self.replies(), ["227 Entering Passive Mode (198,51,100,7,156,64)."])
        self.assertIs(self.arrive(CLIENT_DATA), self.protocol)

    def test_epsv_waits(self) -> None:
        """EPSV waits likewise."""
        self.arrive(CLIENT_DATA)
        self.open()
        self.assertEqual(self.send(b"EPSV"), [])
        self.arrive(CLIENT_DATA)
        self.assertEqual(self.replies(), ["229 Entering Extended Passive Mode (|||40000|)."])

    def test_bounded(self) -> None:
        """A port that does not come free in time is a 425, and the queue is left."""
        self.clock.advance(PORT_WAIT_SECONDS)
        [line] = self.replies()
        self.assertTrue(line.startswith("425 no passive port came free"), line)
        self.assertEqual(self.ports.waiting, 0)
        self.assertIsNone(self.protocol.dtpFactory)

    def test_session_goes_on_after_bound(self) -> None:
        """After the 425 the session serves commands again."""
        self.clock.advance(PORT_WAIT_SECONDS)
        self.global_reactor.advance(0)
        self.assertEqual(self.send(b"PWD"), ['257 "/" is the current directory.'])

    def test_not_idle(self) -> None:
        """A session waiting for a port is not idle: the idle timeout does not end it."""
        self.clock.advance(PORT_WAIT_SECONDS - 1)
        self.assertFalse(self.transport.disconnecting)
        self.arrive(CLIENT_DATA)
        self.assertEqual(len(self.replies()), 1)

    def test_reads_while_waiting(self) -> None:
        """The control connection is read while the session waits, so its loss is noticed."""
        self.assertEqual(self.transport.producerState, "producing")

    def test_gone_leaves_queue(self) -> None:
        """A session that goes away while waiting leaves the queue, and is given nothing."""
        self.protocol.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(self.ports.waiting, 0)
        self.use(0)
        self.arrive(CLIENT_DATA)
        self.assertEqual(self.ports.free, 1)

    def test_others_served(self) -> None:
        """Other sessions are served while one waits."""
        self.use(0)
        self.assertEqual(self.send(b"PWD"), ['257 "/" is the current directory.'])
