"""
A session of the real protocol in memory, for the protocol's unit tests.

L{SessionTestCase} drives a real L{FTPS3}, built by L{FTPS3Factory} over a
real portal, through a L{StringTransport}: command lines go in through
C{dataReceived} and the replies are read back from the transport. The shell
is L{FakeShell}, whose files are L{FakeDownload}s and L{FakeUpload}s.

Twisted's C{FTP.lineReceived} pauses the session after every command and
resumes it with C{callLater(0, ...)} on the global reactor, where its idle
timeout is also scheduled. While a test runs, a L{Clock} stands in for the
global reactor, so each command is answered, and the session resumed,
synchronously and in a known order. Passive ports are listened on in a
L{MemoryReactor}; the passive-connection timeout, and the resumption that
reads the control connection during a transfer, run on the factory's own
L{Clock}. A data connection arrives when a test calls
L{SessionTestCase.connect_data}.
"""

from __future__ import annotations

from typing import Any

import twisted.internet
from twisted.cred.portal import Portal
from twisted.internet import defer
from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import IConsumer, IOpenSSLServerConnectionCreator
from twisted.internet.task import Clock
from twisted.internet.testing import MemoryReactor
from twisted.protocols import ftp
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from twisted_ftps3 import data
from twisted_ftps3.auth import S3Realm, UsersChecker
from twisted_ftps3.config import User
from twisted_ftps3.data import DataChannel
from twisted_ftps3.defence import LoginDefence
from twisted_ftps3.interfaces import IDownload, IUpload
from twisted_ftps3.passive import PassiveAddressMap
from twisted_ftps3.ports import PassivePortPool
from twisted_ftps3.protocol import FTPS3, FTPS3Factory
from twisted_ftps3.replies import display_path
from twisted_ftps3.sessions import SessionLimits

from .transport import ControlTransport, DataTransport
from .users import Directory, PlainVerifier

SERVER = IPv4Address("TCP", "198.51.100.7", 990)
CLIENT = IPv4Address("TCP", "203.0.113.9", 50123)
#: Where the client's data connections come from.
CLIENT_DATA = IPv4Address("TCP", "203.0.113.9", 50124)


@implementer(IOpenSSLServerConnectionCreator)
class NoTLS:
    """TLS options for connections that no test makes."""

    def serverConnectionForTLS(self, tlsProtocol: object) -> Any:
        raise AssertionError("no TLS connection is made in these tests")


class VersionOnly:
    """The TLS handle of a finished handshake, as far as a data channel asks: its version."""

    def get_protocol_version_name(self) -> str:
        return "TLSv1.2"


@implementer(IDownload)
class FakeDownload:
    """A file of C{data} to download, sent whole at once."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def send(self, consumer: Any) -> defer.Deferred[int]:
        return self.send_from(consumer, 0)

    def send_from(self, consumer: Any, offset: int) -> defer.Deferred[int]:
        consumer.write(self.data[offset:])
        return defer.succeed(self.size - offset)

    def close(self) -> None:
        pass


@implementer(IUpload, IConsumer)
class FakeUpload:
    """
    An upload that is its own consumer, keeping what it is given.

    @ivar failure: the reply L{storage_error} gives, as if storage had
        failed during the upload.
    @ivar aborted: the reasons L{abort} was called with.
    """

    def __init__(self) -> None:
        self.data = b""
        self.failure: ftp.FTPCmdError | None = None
        self.aborted: list[str] = []
        self.closed = False

    @property
    def bytes_received(self) -> int:
        return len(self.data)

    def receive(self) -> defer.Deferred[Any]:
        return defer.succeed(self)

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        pass

    def unregisterProducer(self) -> None:
        pass

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> defer.Deferred[None]:
        self.closed = True
        return defer.succeed(None)

    def storage_error(self) -> ftp.FTPCmdError | None:
        return self.failure

    def abort(self, reason: str) -> defer.Deferred[None]:
        self.aborted.append(reason)
        return defer.succeed(None)


@implementer(ftp.IFTPShell)
class FakeShell:
    """
    A shell in which every directory exists and every change succeeds; the
    files in C{files} can be read, any file written.

    @ivar calls: each method called, with its arguments, in order.
    @ivar uploads: each upload opened, in order.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.files: dict[str, bytes] = {}
        self.uploads: list[FakeUpload] = []

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

    def openForReading(self, path: list[str], offset: int = 0) -> defer.Deferred[IDownload]:
        self.calls.append(("openForReading", path))
        if "/".join(path) in self.files:
            return defer.succeed(FakeDownload(self.files["/".join(path)]))
        return defer.fail(ftp.FileNotFoundError(display_path(path)))

    def openForWriting(self, path: list[str]) -> defer.Deferred[IUpload]:
        self.calls.append(("openForWriting", path))
        self.uploads.append(FakeUpload())
        return defer.succeed(self.uploads[-1])

    def openForAppending(self, path: list[str], offset: int | None) -> defer.Deferred[IUpload]:
        self.calls.append(("openForAppending", path, offset))
        self.uploads.append(FakeUpload())
        return defer.succeed(self.uploads[-1])


class SessionTestCase(SynchronousTestCase):
    """
    A connected session, and the means to talk to it.

    @cvar failure_delay: the factory's delay before a failed login's 530;
        none, unless a test is about it.
    @ivar directory: the users, as the checker and the realm see them.
    @ivar verifier: checks their passwords.
    @ivar shells: the user each shell was made for, in order.
    """

    addresses = PassiveAddressMap(())
    failure_delay = 0.0
    users: tuple[User, ...] = (User("alice", "pw"),)
    max_sessions = 1000
    max_sessions_per_address = 50

    def setUp(self) -> None:
        self.global_reactor = Clock()
        self.patch(twisted.internet, "reactor", self.global_reactor)
        self.shell = FakeShell()
        self.shells: list[User] = []
        self.resolved: list[str] = []
        self.directory = Directory(self.users)
        self.verifier = PlainVerifier()
        self.realm = S3Realm(self.directory, self.make_shell)
        portal = Portal(self.realm, [UsersChecker(self.directory, self.verifier)])
        self.reactor = MemoryReactor()
        self.clock = Clock()
        self.ports = PassivePortPool(range(40000, 40002))
        self.defence = LoginDefence(self.clock, 5, 300, 900)
        self.limits = SessionLimits(self.max_sessions, self.max_sessions_per_address)
        self.factory = FTPS3Factory(
            portal,
            tls=NoTLS(),  # type: ignore[arg-type]
            ports=self.ports,
            addresses=self.addresses,
            reactor=self.reactor,
            clock=self.clock,
            resolve=self.resolve,
            defence=self.defence,
            limits=self.limits,
            failure_delay=self.failure_delay,
        )
        self.connect()

    def make_shell(self, user: User) -> FakeShell:
        """The one fake shell, for every login."""
        self.shells.append(user)
        return self.shell

    def connect(self, handshake: bool = True, peer: IPv4Address = CLIENT) -> None:
        """
        Open a new session from C{peer} (the one before it is left as it
        is); its TLS handshake is over at once, as a real client's soon is,
        unless C{handshake} is false.
        """
        # Lenient, as the real control transport is: a TLS connection told
        # to close still reads until the client's close_notify comes, so the
        # session resumes reading after QUIT (see FTPS3.ftp_QUIT).
        self.transport = ControlTransport(hostAddress=SERVER, peerAddress=peer, lenient=True)
        self.protocol: FTPS3 = self.factory.buildProtocol(peer)
        self.protocol.makeConnection(self.transport)
        if handshake:
            self.protocol.handshakeCompleted()

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
        self.clock.advance(0)
        return self.replies()

    def replies(self) -> list[str]:
        """The lines replied since the last command was sent."""
        return self.transport.value().decode("utf-8").split("\r\n")[:-1]

    def connect_data(self) -> DataChannel:
        """
        Open the data connection the last PASV offered, from the client's
        own address, as its TCP connection arrives (no TLS handshake yet).
        """
        port = self.protocol._passive_port
        [router] = [factory for number, factory, _, _ in self.reactor.tcpServers if number == port]
        channel = router.route(CLIENT_DATA).wrappedFactory.buildProtocol(CLIENT_DATA)
        channel.makeConnection(DataTransport())
        self.global_reactor.advance(0)
        self.clock.advance(0)
        return channel

    def data_handshake(self, channel: DataChannel) -> list[str]:
        """
        The TLS handshake of C{channel}, a data connection, ends (a TLS 1.2
        one, which resumed no session); the replies then.
        """
        self.patch(data, "resumed", lambda handle: False)
        channel.transport.getHandle = VersionOnly  # type: ignore[attr-defined]
        self.transport.clear()
        channel.handshakeCompleted()
        self.clock.advance(0)
        return self.replies()

    def login(self) -> None:
        """Log in as alice, checking both replies."""
        self.assertEqual(self.send(b"USER alice"), ["331 Password required for alice."])
        self.assertEqual(self.send(b"PASS pw"), ["230 User logged in, proceed"])
