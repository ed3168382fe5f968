# -*- test-case-name: tests.test_passive,tests.test_integration -*-
"""
Passive mode: how a session offers a data connection and which one it takes.

PASV and EPSV take a port from the process's shared pool
(L{twisted_ftps3.ports}) and name it in the reply; which address PASV names
comes from L{PassiveAddressMap}, by the client's address. The data
connection that arrives is accepted only from the session's own client (or
its CIDR group).

A port is the session's from its PASV until its data connection is
accepted; then the next session may be offered it, while the transfer goes
on over the accepted connection. What listens on a port is a
L{PassiveRouter}, shared by every session: a connection goes to the session
that holds the port for the connection's I{route} (its address, or its CIDR
group), and two sessions of one route never hold one port at once, so a
connection reaches only the session whose PASV named the port to a client
at that address. When no port is free, PASV waits for one, first come first
served, for at most L{PORT_WAIT_SECONDS}, and is refused with 425 after
that; other sessions are served meanwhile.

The reply goes out as soon as the port listens: the session goes on serving
commands while the client connects. A transfer command that comes first waits
for the connection (L{PassiveMode.data_connection}); one that finds no port
offered, or whose connection never came in time, is refused with 425.
Active mode (PORT, EPRT) is not served.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from twisted.internet import defer
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IAddress, IListeningPort
from twisted.internet.protocol import ServerFactory
from twisted.logger import Logger
from twisted.protocols import ftp
from twisted.python.failure import Failure

from .config import CidrDomain
from .data import DataChannel, DataChannelFactory, DataTLSFactory
from .ports import PassivePortPool
from .replies import (
    ArgumentSyntaxError,
    CannotOpenDataConnection,
    ProtectionRequired,
)
from .tls import SessionTLS

if TYPE_CHECKING:
    from .protocol import FTPS3Factory

log = Logger()

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: How long a PASV or EPSV waits for a passive port to come free before its
#: 425. A port is held only from a PASV to its data connection, which comes
#: within milliseconds, so a wait is short unless the server is swamped. A
#: client that gives up sooner closes its connection, which takes it out of
#: the queue at once, so the bound is generous: it is the server's, not the
#: client's.
PORT_WAIT_SECONDS = 60.0


def ip_address(host: str) -> IPAddress:
    """C{host} as an address, an IPv4-mapped IPv6 one as the IPv4 one it maps."""
    address = ipaddress.ip_address(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class PassiveAddressMap:
    """
    Which address a PASV reply names, by the client's address.

    The first CIDR range that holds the client's address wins. Its domain is
    resolved when the reply is made (so a DNS change needs no restart);
    C{0.0.0.0} is passed on as it is, for clients that then reuse the
    control connection's address. A client in no range is given the address
    it reached the server on.
    """

    entries: tuple[CidrDomain, ...] = ()

    def group(self, client: IPAddress) -> int | None:
        """The index of the first range holding C{client}, if any."""
        for index, entry in enumerate(self.entries):
            if client.version == entry.network.version and client in entry.network:
                return index
        return None

    def domain(self, client: IPAddress) -> str | None:
        group = self.group(client)
        return None if group is None else self.entries[group].domain

    def route(self, client: IPAddress) -> Hashable:
        """
        Which data connections may serve a session from C{client}: one
        route for each CIDR group, and one for each address outside every
        group. Connections from C{data} may serve C{control}'s session
        exactly when both have one route.
        """
        group = self.group(client)
        return ("address", client) if group is None else ("group", group)

    def same_group(self, control: IPAddress, data: IPAddress) -> bool:
        """
        Whether a data connection from C{data} may serve the session whose
        control connection comes from C{control}: from the same CIDR group,
        or, outside every group, from the same address.
        """
        return self.route(control) == self.route(data)


class PassiveRouter(ServerFactory):
    """
    What listens on a passive port, for every session that holds it: a
    connection goes to the session holding the port for the connection's
    route, which from then on no longer holds it; any other is refused.
    """

    noisy = False

    def __init__(self, pool: PassivePortPool, port: int, addresses: PassiveAddressMap) -> None:
        self.pool = pool
        self.port = port
        self.addresses = addresses

    def route(self, addr: IAddress) -> DataTLSFactory | None:
        """
        The factory of the session a connection from C{addr} goes to, which
        gives up the port for it; None if no session waits for it.
        """
        try:
            route = self.addresses.route(ip_address(addr.host))  # type: ignore[attr-defined]
        except ValueError:
            route = None
        holder = None if route is None else self.pool.holder(self.port, route)
        if holder is None:
            log.warn(
                "refused a data connection from {peer} on port {port}: no session from there"
                " waits for one",
                peer=addr.host,  # type: ignore[attr-defined]
                port=self.port,
            )
            return None
        # The connection is in: the next session of this route may be offered the port.
        self.pool.release(self.port, route, holder)
        return holder

    def buildProtocol(self, addr: IAddress) -> Any:
        holder = self.route(addr)
        return None if holder is None else holder.buildProtocol(addr)


class PassiveMode:
    """
    The passive-mode half of an FTP session: PASV, EPSV, the refusal of
    PORT and EPRT, and the data connection they lead to.

    A mixin for L{twisted_ftps3.protocol.FTPS3}, which provides the
    attributes declared here (most of them Twisted's C{FTP}'s own).
    """

    factory: FTPS3Factory
    transport: Any
    dtpFactory: DataChannelFactory | None
    dtpInstance: DataChannel | None
    dtpPort: IListeningPort | None
    setTimeout: Any
    keep_reading: Callable[[], None]
    disconnected: bool
    #: Seconds a client has to open its data connection after the 227 or
    #: 229 (Twisted's default is 10; vsftpd waits 60). A client under load
    #: (one process running hundreds of sessions) was seen to take more than
    #: 10 s, and its transfer then failed with a 425.
    dtpTimeout: int = 30
    _epsvAll: bool
    _protected: bool
    _passive_port: int | None = None
    _passive_route: Hashable = None
    _passive_holder: DataTLSFactory | None = None
    _port_wait: defer.Deferred[int] | None = None
    _data_waiters: tuple[defer.Deferred[DataChannel], ...] = ()

    client_address: str
    reply: Any

    # -- which connections ----------------------------------------------------

    def data_peer_allowed(self, host: str) -> bool:
        """Whether a data connection from C{host} may join this session."""
        try:
            return self.factory.addresses.same_group(
                ip_address(self.client_address), ip_address(host)
            )
        except ValueError:
            return False

    def _require_protection(self) -> None:
        if not self._protected:
            raise ProtectionRequired(
                "Data connections need PROT P (and PBSZ 0) first: they are always TLS."
            )

    # -- the commands -----------------------------------------------------------

    def ftp_PASV(self) -> defer.Deferred[None]:
        self._require_protection()
        if self._epsvAll:
            return defer.fail(ftp.BadCmdSequenceError("may not send PASV after EPSV ALL"))
        return defer.ensureDeferred(self._passive())

    def ftp_EPSV(self, protocol: str = "") -> Any:
        self._require_protection()
        argument = protocol.strip().upper()
        if argument == "ALL":
            # RFC 2428: from now on only EPSV sets up data connections.
            self._epsvAll = True
            return (ftp.EPSV_ALL_OK,)
        if argument:
            family = {"1": 4, "2": 6}.get(argument)
            if family is None:
                raise ArgumentSyntaxError("EPSV takes 1, 2 or ALL.")
            if family != ip_address(self.transport.getHost().host).version:
                raise ftp.UnsupportedNetworkProtocolError("1" if family == 6 else "2")
        return defer.ensureDeferred(self._passive(extended=True))

    def ftp_PORT(self, address: str) -> Any:
        raise CannotOpenDataConnection("active mode is not served; use PASV.")

    def ftp_EPRT(self, address: str) -> Any:
        raise CannotOpenDataConnection("active mode is not served; use PASV.")

    # -- offering a port ----------------------------------------------------------

    async def _passive(self, *, extended: bool = False) -> None:
        """
        Take a port, waiting for one if need be, and say where to connect.
        Done once the reply is sent: the connection itself is awaited by the
        transfer that needs it.
        """
        # EPSV names only the port: the client reuses the control address.
        host = None if extended else await self._passive_host()
        if self.dtpFactory is not None:
            self.cleanupDTP()
        factory = DataChannelFactory(
            pi=self, reactor=self.factory.clock, timeouts=self.factory.timeouts
        )
        tls = DataTLSFactory(SessionTLS.of(self.transport), factory)
        route = self.factory.addresses.route(ip_address(self.client_address))
        port = await self._take_port(route, tls)
        self._passive_port, self._passive_route, self._passive_holder = port, route, tls
        self.dtpFactory = factory
        factory.setTimeout(self.dtpTimeout)
        factory.deferred.addCallbacks(
            self._data_connected,
            self._no_data_connection,
            callbackArgs=(factory,),
            errbackArgs=(factory,),
        )
        if host is None:
            self.reply(ftp.ENTERING_EPSV_MODE, port)
        else:
            self.reply(ftp.ENTERING_PASV_MODE, ftp.encodeHostPort(host, port))

    async def _passive_host(self) -> str:
        client = ip_address(self.client_address)
        domain = self.factory.addresses.domain(client)
        if domain is None:
            local = ip_address(self.transport.getHost().host)
            if local.version != 4:
                raise ftp.PASVIPv6NotImplementedError()
            return str(local)
        try:
            ipaddress.IPv4Address(domain)
            return domain
        except ValueError:
            pass
        try:
            return await self.factory.resolve(domain)
        except Exception as e:
            log.warn("cannot resolve passive address {domain}: {error}", domain=domain, error=e)
            raise CannotOpenDataConnection(f"cannot resolve the data address {domain}.") from e

    async def _take_port(self, route: Hashable, holder: DataTLSFactory) -> int:
        """
        A port held for C{route} by C{holder}, listening: one that already
        listens, or one that can be listened on (another program may hold
        some of the range).
        """
        pool = self.factory.ports
        interface = self._data_interface()
        for _ in range(len(pool)):
            port = await self._wait_for_port(pool.reserve(route, interface, holder))
            if pool.listening(port) is not None:
                return port
            router = PassiveRouter(pool, port, self.factory.addresses)
            try:
                listening = self.factory.reactor.listenTCP(port, router, interface=interface)
            except CannotListenError as e:
                log.warn(
                    "cannot listen on passive port {port}: {error}", port=port, error=e.socketError
                )
                pool.release(port, route, holder)
                continue
            pool.listens(port, listening)
            return port
        raise CannotOpenDataConnection("no passive port is free; try again shortly.")

    async def _wait_for_port(self, reserved: defer.Deferred[int]) -> int:
        """
        The port C{reserved} gives, waited for if need be, for at most
        L{PORT_WAIT_SECONDS}. Meanwhile the client, which waits for the
        reply, is no idle one, and the control connection is read (its
        lines kept for later) so that a client that goes away leaves the
        queue at once.
        """
        if reserved.called:
            return await reserved
        self.setTimeout(None)
        self.keep_reading()
        reserved.addTimeout(PORT_WAIT_SECONDS, self.factory.clock)
        self._port_wait = reserved
        try:
            return await reserved
        except (defer.CancelledError, defer.TimeoutError):
            raise CannotOpenDataConnection(
                f"no passive port came free within {PORT_WAIT_SECONDS:g} seconds;"
                " try again shortly."
            ) from None
        finally:
            self._port_wait = None
            if not self.disconnected:
                self.setTimeout(self.factory.timeOut)

    def _data_interface(self) -> str:
        """
        Where passive ports listen: the configured address, or else every
        address of the family the client reached the server over.
        """
        if self.factory.data_interface:
            return self.factory.data_interface
        return "::" if ip_address(self.transport.getHost().host).version == 6 else ""

    # -- the connection that comes ------------------------------------------------

    def data_connection(self) -> defer.Deferred[DataChannel]:
        """
        The data connection for the next transfer: at once if it is open,
        once it arrives if a port is waiting for it, and a 425 if no port
        was offered or its connection never came in time.
        """
        if self.dtpInstance is not None:
            return defer.succeed(self.dtpInstance)
        if self.dtpFactory is None:
            return defer.fail(CannotOpenDataConnection("no data connection; send PASV first."))
        waiter: defer.Deferred[DataChannel] = defer.Deferred()
        self._data_waiters += (waiter,)
        return waiter

    def stop_waiting(self, error: Exception) -> None:
        """Fail, with C{error}, every transfer still waiting for its data connection."""
        waiters, self._data_waiters = self._data_waiters, ()
        for waiter in waiters:
            waiter.errback(Failure(error))

    def _data_connected(self, _: object, factory: DataChannelFactory) -> None:
        if factory is not self.dtpFactory or self.dtpInstance is None:
            return
        waiters, self._data_waiters = self._data_waiters, ()
        for waiter in waiters:
            waiter.callback(self.dtpInstance)

    def _no_data_connection(self, failure: Failure, factory: DataChannelFactory) -> None:
        failure.trap(ftp.PortConnectionError)
        if factory is not self.dtpFactory:
            return
        # The client never connected: free the port now. A transfer waiting
        # for it, or the next one, is refused for want of a data connection.
        log.info("no data connection from {client} in time", client=self.client_address)
        self.cleanupDTP()

    def cleanupDTP(self) -> None:
        """
        Forget the data connection and its factory, and give the port back
        if its connection never came. The port keeps listening while other
        sessions hold it (see L{twisted_ftps3.ports}).
        """
        port, self._passive_port = self._passive_port, None
        holder, self._passive_holder = self._passive_holder, None
        factory, self.dtpFactory = self.dtpFactory, None
        self.dtpPort = self.dtpInstance = None
        if factory is not None:
            factory.stopFactory()
        if port is not None:
            self.factory.ports.release(port, self._passive_route, holder)
        self.stop_waiting(CannotOpenDataConnection("no data connection arrived in time."))

    def connectionLost(self, reason: Failure) -> None:
        # A session waiting for a port leaves the queue.
        if self._port_wait is not None:
            self._port_wait.cancel()
        super().connectionLost(reason)  # type: ignore[misc]
