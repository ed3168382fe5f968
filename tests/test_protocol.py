"""
Tests for L{twisted_ftps3.protocol}: the FTP commands as a client sees them.

Each session test drives a real L{FTPS3}, built by L{FTPS3Factory} over a
real portal, through a L{StringTransport}: command lines go in through
C{dataReceived} and the replies are read back from the transport.

Twisted's C{FTP.lineReceived} pauses the session after every command and
resumes it with C{callLater(0, ...)} on the global reactor, where its idle
timeout is also scheduled. While a test runs, a L{Clock} stands in for the
global reactor, so each command is answered, and the session resumed,
synchronously and in a known order. Passive ports are listened on in a
L{MemoryReactor}, and the passive-connection timeout runs on the factory's
own L{Clock}.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import twisted.internet
from twisted.cred.portal import Portal
from twisted.internet import defer
from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import IOpenSSLServerConnectionCreator
from twisted.internet.task import Clock
from twisted.internet.testing import MemoryReactor, StringTransport
from twisted.protocols import ftp
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from twisted_ftps3.auth import S3Realm, UsersChecker
from twisted_ftps3.config import CidrDomain, User
from twisted_ftps3.data import DataChannelFactory, DataTLSFactory
from twisted_ftps3.ports import PassivePortPool
from twisted_ftps3.protocol import (
    FTPS3,
    FTPS3Factory,
    PassiveAddressMap,
    _ip,
)
from twisted_ftps3.replies import display_path

SERVER = IPv4Address("TCP", "198.51.100.7", 990)
CLIENT = IPv4Address("TCP", "203.0.113.9", 50123)


@implementer(IOpenSSLServerConnectionCreator)
class NoTLS:
    """TLS options for connections that no test makes."""

    def serverConnectionForTLS(self, tlsProtocol: object) -> Any:
        raise AssertionError("no TLS connection is made in these tests")


class ControlHandle:
    """The OpenSSL connection of a control transport, as far as data connections ask."""

    context = object()

    def get_context(self) -> object:
        return self.context


class ControlTransport(StringTransport):
    """A control connection's transport, with the TLS handle a real one has."""

    def getHandle(self) -> ControlHandle:
        return ControlHandle()


@implementer(ftp.IFTPShell)
class FakeShell:
    """
    A shell in which every directory exists and every change succeeds.

    @ivar calls: each method called, with its arguments, in order.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def makeDirectory(self, path: list[str]) -> defer.Deferred[None]:
        self.calls.append(("makeDirectory", path))
        return defer.succeed(None)

    def removeDirectory(self, path: list[str]) -> defer.Deferred[None]:
        self.calls.append(("removeDirectory", path))
        return defer.succeed(None)

    def removeFile(self, path: list[str]) -> defer.Deferred[None]:
        self.calls.append(("removeFile", path))
        return defer.succeed(None)

    def rename(self, fromPath: list[str], toPath: list[str]) -> defer.Deferred[None]:
        self.calls.append(("rename", fromPath, toPath))
        return defer.succeed(None)

    def access(self, path: list[str]) -> defer.Deferred[None]:
        self.calls.append(("access", path))
        return defer.succeed(None)

    def stat(self, path: list[str], keys: Any = ()) -> defer.Deferred[Any]:
        self.calls.append(("stat", path, keys))
        return defer.fail(ftp.FileNotFoundError(display_path(path)))

    def list(self, path: list[str], keys: Any = ()) -> defer.Deferred[Any]:
        self.calls.append(("list", path, keys))
        return defer.succeed([])

    def openForReading(self, path: list[str]) -> defer.Deferred[Any]:
        self.calls.append(("openForReading", path))
        return defer.fail(ftp.FileNotFoundError(display_path(path)))

    def openForWriting(self, path: list[str]) -> defer.Deferred[Any]:
        self.calls.append(("openForWriting", path))
        return defer.fail(ftp.PermissionDeniedError(display_path(path)))


class SessionTestCase(SynchronousTestCase):
    """A connected session, and the means to talk to it."""

    addresses = PassiveAddressMap(())

    def setUp(self) -> None:
        self.global_reactor = Clock()
        self.patch(twisted.internet, "reactor", self.global_reactor)
        self.shell = FakeShell()
        self.resolved: list[str] = []
        portal = Portal(S3Realm(lambda user: self.shell), [UsersChecker([User("alice", "pw")])])
        self.reactor = MemoryReactor()
        self.clock = Clock()
        self.ports = PassivePortPool(range(40000, 40002))
        self.factory = FTPS3Factory(
            portal,
            tls=NoTLS(),  # type: ignore[arg-type]
            ports=self.ports,
            addresses=self.addresses,
            reactor=self.reactor,
            clock=self.clock,
            resolve=self.resolve,
        )
        # Lenient, as the real control transport is: a TLS connection told
        # to close still reads until the client's close_notify comes, so the
        # session resumes reading after QUIT (see FTPS3.ftp_QUIT).
        self.transport = ControlTransport(hostAddress=SERVER, peerAddress=CLIENT, lenient=True)
        wrapper = self.factory.buildProtocol(CLIENT)
        self.protocol: FTPS3 = wrapper.wrappedProtocol
        wrapper.makeConnection(self.transport)

    def resolve(self, name: str) -> defer.Deferred[str]:
        """Resolve every name to 127.0.0.1, remembering it was asked."""
        self.resolved.append(name)
        return defer.succeed("127.0.0.1")

    def send(self, line: bytes) -> list[str]:
        """
        Send one command line and let the session resume; the lines
        replied to it.
        """
        self.transport.clear()
        self.protocol.dataReceived(line + b"\r\n")
        self.global_reactor.advance(0)
        return self.transport.value().decode("utf-8").split("\r\n")[:-1]

    def login(self) -> None:
        """Log in as alice, checking both replies."""
        self.assertEqual(self.send(b"USER alice"), ["331 Password required for alice."])
        self.assertEqual(self.send(b"PASS pw"), ["230 User logged in, proceed"])


class GreetingAndLoginTests(SessionTestCase):
    """The greeting, and what a session may do before and during login."""

    def test_greeting(self) -> None:
        """A new session is greeted with a 220 reply naming the server."""
        self.assertEqual(self.transport.value(), b"220 twisted-ftps3 ready\r\n")

    def test_pwd_before_login(self) -> None:
        """PWD before logging in is refused with 530."""
        self.assertEqual(self.send(b"PWD"), ["530 Please login with USER and PASS."])

    def test_list_before_login(self) -> None:
        """LIST before logging in is refused with 530, without the shell."""
        self.assertEqual(self.send(b"LIST"), ["530 Please login with USER and PASS."])
        self.assertEqual(self.shell.calls, [])

    def test_cwd_before_login(self) -> None:
        """CWD before logging in is refused with 530, without the shell."""
        self.assertEqual(self.send(b"CWD x"), ["530 Please login with USER and PASS."])
        self.assertEqual(self.shell.calls, [])

    def test_pass_before_user(self) -> None:
        """PASS before USER is a bad sequence: 503."""
        self.assertEqual(
            self.send(b"PASS pw"), ["503 Incorrect sequence of commands: USER required before PASS"]
        )

    def test_wrong_password(self) -> None:
        """A wrong password is refused with 530, and the session stays logged out."""
        self.send(b"USER alice")
        self.assertEqual(self.send(b"PASS nope"), ["530 Sorry, Authentication failed."])
        self.assertEqual(self.send(b"PWD"), ["530 Please login with USER and PASS."])

    def test_unknown_user_same_as_wrong_password(self) -> None:
        """An unknown user gets the very line a wrong password gets."""
        self.send(b"USER alice")
        wrong_password = self.send(b"PASS nope")
        self.send(b"USER mallory")
        unknown_user = self.send(b"PASS pw")
        self.assertEqual(unknown_user, wrong_password)
        self.assertTrue(unknown_user[0].startswith("530 "), unknown_user)

    def test_good_login(self) -> None:
        """The right password logs in with 230, and commands are then served."""
        self.send(b"USER alice")
        self.assertEqual(self.send(b"PASS pw"), ["230 User logged in, proceed"])
        self.assertEqual(self.send(b"PWD"), ['257 "/" is the current directory.'])


class FeatureTests(SessionTestCase):
    """FEAT and OPTS."""

    def test_feat_lists_features(self) -> None:
        """
        FEAT lists exactly the extensions served, the MLST facts among
        them with the default ones starred, and nothing refused (no MFMT,
        no CCC, no EPRT).
        """
        self.assertEqual(
            self.send(b"FEAT")[1:-1],
            [
                " AUTH TLS",
                " EPSV",
                " MDTM",
                " MLST type*;size*;modify*;perm*;unique*;",
                " PASV",
                " PBSZ",
                " PROT",
                " REST STREAM",
                " SIZE",
                " UTF8",
            ],
        )

    def test_feat_commands_exist(self) -> None:
        """Every command FEAT names is one the session has (UTF8 is an OPTS option)."""
        for line in self.send(b"FEAT")[1:-1]:
            command = {"UTF8": "OPTS"}.get(line.split()[0], line.split()[0])
            self.assertTrue(callable(getattr(self.protocol, f"ftp_{command}", None)), command)

    def test_feat_framing(self) -> None:
        """FEAT's reply is a 211 multi-line reply ending with "211 End"."""
        lines = self.send(b"FEAT")
        self.assertEqual(lines[0], "211-Features:")
        self.assertEqual(lines[-1], "211 End")

    def test_opts_utf8_on(self) -> None:
        """OPTS UTF8 ON is accepted with 200."""
        self.assertEqual(self.send(b"OPTS UTF8 ON"), ["200 UTF8 is always on."])

    def test_opts_utf8_off(self) -> None:
        """OPTS UTF8 OFF is refused with 504: names are always UTF-8."""
        self.assertEqual(
            self.send(b"OPTS UTF8 OFF"), ["504 UTF8 cannot be turned off: names are UTF-8."]
        )

    def test_opts_unknown(self) -> None:
        """An unknown option is refused with 504."""
        self.assertEqual(self.send(b"OPTS FOO"), ["504 OPTS FOO is not supported."])


class ProtectionTests(SessionTestCase):
    """PBSZ and PROT, as RFC 4217 has them."""

    def test_pbsz_zero(self) -> None:
        """PBSZ 0 is answered with the size the server uses: 0."""
        self.assertEqual(self.send(b"PBSZ 0"), ["200 PBSZ=0"])

    def test_pbsz_not_a_number(self) -> None:
        """PBSZ with no number is a syntax error: 501."""
        [line] = self.send(b"PBSZ x")
        self.assertTrue(line.startswith("501 "), line)

    def test_prot_private(self) -> None:
        """PROT P is accepted with 200."""
        self.assertEqual(self.send(b"PROT P"), ["200 Command OK"])

    def test_prot_clear(self) -> None:
        """PROT C is refused with 536: data connections are always TLS."""
        [line] = self.send(b"PROT C")
        self.assertTrue(line.startswith("536 "), line)

    def test_prot_safe(self) -> None:
        """PROT S is a known level that is not served: 504."""
        [line] = self.send(b"PROT S")
        self.assertTrue(line.startswith("504 "), line)

    def test_prot_unknown(self) -> None:
        """PROT with no known level is a syntax error: 501."""
        [line] = self.send(b"PROT Z")
        self.assertTrue(line.startswith("501 "), line)


class RestartTests(SessionTestCase):
    """REST: any offset is taken; RETR resumes from it, STOR refuses it."""

    def setUp(self) -> None:
        super().setUp()
        self.login()

    def test_rest_zero(self) -> None:
        """REST 0 is accepted with 350."""
        [line] = self.send(b"REST 0")
        self.assertTrue(line.startswith("350 "), line)

    def test_rest_nonzero(self) -> None:
        """REST 1 is accepted with 350, naming the offset."""
        [line] = self.send(b"REST 1")
        self.assertEqual(line, "350 Restarting at 1. Send RETR to resume a download.")

    def test_rest_not_a_number(self) -> None:
        """REST with no number is a syntax error: 501."""
        [line] = self.send(b"REST x")
        self.assertTrue(line.startswith("501 "), line)

    def test_rest_unicode_digits(self) -> None:
        """Digits other than ASCII ones (a superscript two) are a 501, not an internal error."""
        [line] = self.send("REST ²".encode())
        self.assertTrue(line.startswith("501 "), line)


class CommandSequenceTests(SessionTestCase):
    """Unknown commands, bad sequences and lines that cannot be read."""

    def setUp(self) -> None:
        super().setUp()
        self.login()

    def test_unknown_command(self) -> None:
        """An unknown command is refused with 502."""
        self.assertEqual(self.send(b"XYZZ"), ["502 Command 'XYZZ' not implemented"])

    def test_rnto_without_rnfr(self) -> None:
        """RNTO without RNFR is a bad sequence: 503, and nothing is renamed."""
        self.assertEqual(
            self.send(b"RNTO new"),
            ["503 Incorrect sequence of commands: RNFR required before RNTO"],
        )
        self.assertEqual(self.shell.calls, [])

    def test_rnfr_then_other_command(self) -> None:
        """A command other than RNTO after RNFR is refused with 503."""
        self.assertEqual(
            self.send(b"RNFR old"), ["350 Requested file action pending further information."]
        )
        self.assertEqual(
            self.send(b"PWD"), ["503 Incorrect sequence of commands: RNTO required after RNFR"]
        )

    def test_session_normal_after_rnfr_refusal(self) -> None:
        """After that one refusal, the session serves commands again."""
        self.send(b"RNFR old")
        self.send(b"NOOP")
        self.assertEqual(self.send(b"PWD"), ['257 "/" is the current directory.'])

    def test_not_utf8_refused(self) -> None:
        """A line that is not UTF-8 is refused with 501, and not acted on."""
        self.assertEqual(self.send(b"CWD \xff"), ["501 Command line is not valid UTF-8."])
        self.assertEqual(self.shell.calls, [])

    def test_session_continues_after_not_utf8(self) -> None:
        """After a line that is not UTF-8, the session serves commands again."""
        self.send(b"CWD \xff")
        self.assertEqual(self.send(b"PWD"), ['257 "/" is the current directory.'])


class PathTests(SessionTestCase):
    """Paths in replies, and commands that need a path."""

    def setUp(self) -> None:
        super().setUp()
        self.login()

    def test_pwd_quotes_double_quotes(self) -> None:
        """PWD doubles each double quote of the directory's name (RFC 959)."""
        self.assertEqual(self.send(b'CWD a "b"'), ["250 Requested File Action Completed OK"])
        self.assertEqual(self.send(b"PWD"), ['257 "/a ""b""" is the current directory.'])

    def test_mkd_quotes_double_quotes(self) -> None:
        """MKD's reply doubles each double quote of the new directory's name."""
        self.assertEqual(self.send(b'MKD x "y"'), ['257 "/x ""y""" created.'])
        self.assertEqual(self.shell.calls, [("makeDirectory", ['x "y"'])])

    def assert_path_required(self, line: bytes) -> None:
        """C{line} is refused with 501 and the shell is not called."""
        self.assertEqual(self.send(line), ["501 a path is required."])
        self.assertEqual(self.shell.calls, [])

    def test_dele_without_path(self) -> None:
        """DELE with no argument is refused with 501."""
        self.assert_path_required(b"DELE")

    def test_dele_blank_path(self) -> None:
        """DELE with only a space for a path is refused with 501."""
        self.assert_path_required(b"DELE  ")

    def test_rmd_without_path(self) -> None:
        """RMD with no argument is refused with 501."""
        self.assert_path_required(b"RMD")

    def test_rmd_blank_path(self) -> None:
        """RMD with only a space for a path is refused with 501."""
        self.assert_path_required(b"RMD  ")

    def test_mkd_without_path(self) -> None:
        """MKD with no argument is refused with 501."""
        self.assert_path_required(b"MKD")

    def test_mkd_blank_path(self) -> None:
        """MKD with only a space for a path is refused with 501."""
        self.assert_path_required(b"MKD  ")


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
        self.assertEqual(self.map.group(_ip("192.0.2.5")), 2)

    def test_domain(self) -> None:
        """A client is given the domain of the range holding its address."""
        self.assertEqual(self.map.domain(_ip("10.200.0.1")), "outer.example")

    def test_first_match_group(self) -> None:
        """Of two ranges holding the address, the first listed wins, not the narrower."""
        self.assertEqual(self.map.group(_ip("10.1.2.3")), 0)

    def test_first_match_domain(self) -> None:
        """Of two ranges holding the address, the first one's domain is given."""
        self.assertEqual(self.map.domain(_ip("10.1.2.3")), "outer.example")

    def test_no_group(self) -> None:
        """A client outside every range is in no group and has no domain."""
        self.assertIsNone(self.map.group(_ip("203.0.113.9")))
        self.assertIsNone(self.map.domain(_ip("203.0.113.9")))

    def test_ipv6_client_not_in_ipv4_range(self) -> None:
        """An IPv6 client is in no IPv4 range."""
        self.assertIsNone(self.map.group(_ip("2001:db8::1")))

    def test_same_group_other_address(self) -> None:
        """A data connection from another address of the client's group is allowed."""
        self.assertTrue(self.map.same_group(_ip("10.1.2.3"), _ip("10.200.0.1")))

    def test_other_group_refused(self) -> None:
        """A data connection from another group is refused."""
        self.assertFalse(self.map.same_group(_ip("10.1.2.3"), _ip("192.0.2.5")))

    def test_grouped_client_data_outside_refused(self) -> None:
        """A data connection from outside every range, for a grouped client, is refused."""
        self.assertFalse(self.map.same_group(_ip("10.1.2.3"), _ip("203.0.113.9")))

    def test_ungrouped_client_same_address(self) -> None:
        """A client outside every range may connect from its own address."""
        self.assertTrue(self.map.same_group(_ip("203.0.113.9"), _ip("203.0.113.9")))

    def test_ungrouped_client_other_address_refused(self) -> None:
        """A client outside every range may not connect from another address."""
        self.assertFalse(self.map.same_group(_ip("203.0.113.9"), _ip("203.0.113.10")))

    def test_ungrouped_client_data_in_group_refused(self) -> None:
        """A client outside every range may not connect from inside a range."""
        self.assertFalse(self.map.same_group(_ip("203.0.113.9"), _ip("10.1.2.3")))

    def test_ipv4_mapped_is_ipv4(self) -> None:
        """An IPv4-mapped IPv6 address is read as the IPv4 address it maps."""
        self.assertEqual(_ip("::ffff:10.1.2.3"), ipaddress.IPv4Address("10.1.2.3"))

    def test_ipv4_mapped_grouped(self) -> None:
        """An IPv4-mapped client is in the IPv4 range holding its address."""
        self.assertEqual(self.map.group(_ip("::ffff:192.0.2.5")), 2)

    def test_ipv4_mapped_same_address(self) -> None:
        """An ungrouped client may connect over IPv4 having connected IPv4-mapped."""
        self.assertTrue(self.map.same_group(_ip("::ffff:203.0.113.9"), _ip("203.0.113.9")))


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


class QuitTests(SessionTestCase):
    """QUIT."""

    def test_reply(self) -> None:
        """QUIT is answered with 221."""
        self.assertEqual(self.send(b"QUIT"), ["221 Goodbye."])

    def test_closes(self) -> None:
        """QUIT tells the transport to close the connection."""
        self.assertFalse(self.transport.disconnecting)
        self.send(b"QUIT")
        self.assertTrue(self.transport.disconnecting)
