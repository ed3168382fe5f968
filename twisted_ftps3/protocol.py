# -*- test-case-name: tests.test_protocol,tests.test_integration -*-
"""
The FTP protocol as this server speaks it: Twisted's C{FTP}, with TLS data
connections, a shared passive-port pool, a CIDR-to-address map for PASV,
UTF-8 throughout, and transfers that commit only what arrived whole.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from twisted.internet import defer
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IReactorTCP, IReactorTime
from twisted.logger import Logger
from twisted.protocols import ftp
from twisted.python.failure import Failure

from . import facts
from .config import CidrDomain
from .data import DataChannel, DataChannelFactory, DataTLSFactory
from .listing import LIST_KEYS, list_line
from .ports import PassivePortPool
from .replies import (
    ActionNotTaken,
    ArgumentSyntaxError,
    CannotOpenDataConnection,
    InvalidRestart,
    LoginRefused,
    NotImplementedForArgument,
    PolicyRefused,
    ProtectionLevelRefused,
    ProtectionRequired,
    TransferAborted,
    display_path,
)
from .tls import ServerTLS, SessionTLS

log = Logger()

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: What an explicit-TLS session may send before AUTH TLS.
_BEFORE_AUTH = frozenset({"AUTH", "FEAT", "QUIT", "NOOP", "SYST", "OPTS"})
#: ASCII digits only: str.isdigit() also takes digits int() refuses, like "²".
_DIGITS = re.compile("[0-9]+")


def _quote(path: str) -> str:
    """RFC 959: a double quote inside a quoted path is written twice."""
    return path.replace('"', '""')


def _ip(host: str) -> IPAddress:
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

    def same_group(self, control: IPAddress, data: IPAddress) -> bool:
        """
        Whether a data connection from C{data} may serve the session whose
        control connection comes from C{control}: from the same CIDR group,
        or, outside every group, from the same address.
        """
        group = self.group(control)
        if group is None:
            return control == data
        return self.group(data) == group


class FTPS3(ftp.FTP):
    """
    One FTPS session. The factory gives it its shared parts: the passive
    port pool, the address map, the TLS options, and the reactor.
    """

    _encoding = "utf-8"
    PUBLIC_COMMANDS = ["FEAT", "QUIT", "OPTS", "PBSZ", "PROT", "NOOP", "SYST", "AUTH"]
    # AUTH TLS is listed although the implicit port is TLS from the start:
    # lftp sends PROT P only to servers that advertise it.
    FEATURES = [
        "AUTH TLS",
        "EPSV",
        "MDTM",
        facts.feature(),
        "PASV",
        "PBSZ",
        "PROT",
        "REST STREAM",
        "SIZE",
        "UTF8",
    ]

    factory: FTPS3Factory
    _passive_port: int | None = None
    _restart = 0
    _current_transfer: defer.Deferred[Any] | None = None
    _facts: tuple[str, ...] = facts.FACTS
    _upload: Any = None

    # -- connection ---------------------------------------------------------

    @property
    def client_address(self) -> str:
        return self.transport.getPeer().host if self.transport is not None else "?"

    @property
    def require_session_reuse(self) -> bool:
        return self.factory.require_session_reuse

    @property
    def user(self) -> str | None:
        return getattr(self, "avatar_id", None)

    def connectionMade(self) -> None:
        # An implicit-TLS session is protected from its first byte; an
        # explicit one once AUTH TLS and PROT P have been sent.
        self._secure = self._protected = self.factory.implicit
        # The idle timeout of TimeoutMixin runs on the factory's clock too.
        self.callLater = self.factory.clock.callLater
        self._started = self.factory.clock.seconds()
        log.info("session opened from {client}", client=self.client_address)
        super().connectionMade()

    def connectionLost(self, reason: Failure) -> None:
        # The control connection is read during transfers, so it can be lost
        # while a command runs; Twisted must not resume a transport that is gone.
        self.disconnected = True
        client = self.client_address
        upload, self._upload = self._upload, None
        if upload is not None:
            upload.abort("control connection lost")
        super().connectionLost(reason)
        log.info("session from {client} closed (user {user})", client=client, user=self.user)

    def sendLine(self, line: str | bytes) -> None:
        # A transfer may end after its client has gone; its reply goes nowhere.
        if self.transport is not None:
            super().sendLine(line)

    def lineReceived(self, line: bytes) -> None:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            self.resetTimeout()
            self.sendLine("501 Command line is not valid UTF-8.")
            return
        command, _, argument = text.partition(" ")
        log.debug(
            "{client} {user}: {command} {argument}",
            client=self.client_address,
            user=self.user,
            command=command.upper(),
            argument="****" if command.upper() == "PASS" else argument,
        )
        if self._current_transfer is not None:
            self._during_transfer(command.upper())
            return
        super().lineReceived(line)

    def _during_transfer(self, command: str) -> None:
        """
        Answer a command that arrives while RETR or STOR runs: ABOR stops
        the transfer (426 for it, then 226 for ABOR, as RFC 959 orders);
        NOOP and STAT say the transfer goes on; anything else must wait.
        """
        if command == "ABOR":
            transfer = self._current_transfer
            channel = self.dtpInstance
            if channel is not None and channel.isConnected:
                channel.transport.abortConnection()
            log.info("{client} aborted a transfer", client=self.client_address)

            def aborted(result: Any) -> Any:
                self.sendLine("226 ABOR successful; the transfer was stopped.")
                return result

            # Twisted added the transfer's own reply to this Deferred first,
            # so the 426 goes out before this 226.
            transfer.addBoth(aborted)
        elif command in ("NOOP", "STAT"):
            self.sendLine("200 A transfer is in progress.")
        else:
            self.sendLine(f"503 {command}: wait for the transfer to end, or send ABOR.")

    def processCommand(self, cmd: str, *params: str) -> Any:
        if not self._secure and cmd.upper() not in _BEFORE_AUTH:
            # Explicit TLS: nothing, least of all a password, crosses in the
            # clear before AUTH TLS.
            raise LoginRefused("Send AUTH TLS first: this server takes no password in the clear.")
        if self.state == self.RENAMING and cmd.upper() != "RNTO":
            # Twisted would stay in the renaming state and refuse every
            # command from now on; one refusal is enough.
            self.state = self.AUTHED
            del self._fromName
            return ftp.BAD_CMD_SEQ, "RNTO required after RNFR"
        return super().processCommand(cmd, *params)

    # -- login --------------------------------------------------------------

    def ftp_PASS(self, password: str) -> defer.Deferred[Any]:
        user = getattr(self, "_user", None)
        d = super().ftp_PASS(password)

        def logged_in(result: Any) -> Any:
            self.avatar_id = user
            log.info("{user} logged in from {client}", user=user, client=self.client_address)
            return result

        def refused(failure: Failure) -> Failure:
            log.info(
                "failed login as {user!r} from {client}", user=user, client=self.client_address
            )
            return failure

        return d.addCallbacks(logged_in, refused)

    # -- TLS and options ----------------------------------------------------

    def ftp_QUIT(self) -> None:
        # Twisted marks the session disconnected, which keeps the transport
        # paused for good; under TLS the close then waits forever for the
        # client's side of the shutdown. Stay readable until it comes.
        self.reply(ftp.GOODBYE_MSG)
        self.transport.loseConnection()

    def ftp_AUTH(self, mechanism: str = "") -> None:
        if mechanism.strip().upper() not in ("TLS", "SSL", "TLS-C", "TLS-P"):
            raise NotImplementedForArgument(f"AUTH {mechanism} is not supported; use AUTH TLS.")
        if self._secure:
            # RFC 4217 section 4: a connection already under TLS refuses AUTH.
            self.sendLine("503 Already protected by TLS.")
            return
        self.sendLine("234 AUTH TLS successful; starting the TLS handshake.")
        self.transport.startTLS(self.factory.tls)
        self._secure = True
        # RFC 4217 section 4: AUTH resets the session to a fresh login.
        self.state = self.UNAUTH
        log.info("{client} started TLS with AUTH", client=self.client_address)

    def ftp_CCC(self) -> None:
        raise PolicyRefused("CCC refused: the control connection stays encrypted.")

    def ftp_PBSZ(self, size: str = "") -> None:
        if not _DIGITS.fullmatch(size.strip()):
            raise ArgumentSyntaxError("PBSZ needs a number; 0 is the only size for TLS.")
        # RFC 4217: TLS needs no buffer, and the server answers with the
        # size it will use, which is always 0.
        self.sendLine("200 PBSZ=0")
        return None

    def ftp_PROT(self, level: str = "") -> Any:
        level = level.strip().upper()
        if level == "P":
            self._protected = True
            return (ftp.CMD_OK,)
        if level == "C":
            raise ProtectionLevelRefused("PROT C refused: data connections are always TLS.")
        if level in ("S", "E"):
            raise NotImplementedForArgument(f"PROT {level} is not supported; use PROT P.")
        raise ArgumentSyntaxError("PROT takes C, S, E or P.")

    def ftp_OPTS(self, option: str = "") -> Any:
        name, _, value = option.strip().partition(" ")
        if name.upper() == "UTF8":
            if value.strip().upper() in ("ON", ""):
                self.sendLine("200 UTF8 is always on.")
                return None
            raise NotImplementedForArgument("UTF8 cannot be turned off: names are UTF-8.")
        if name.upper() == "MLST":
            self._facts = facts.select(value)
            self.sendLine("200 MLST OPTS " + "".join(f"{fact};" for fact in self._facts))
            return None
        raise NotImplementedForArgument(f"OPTS {name} is not supported.")

    def ftp_FEAT(self) -> None:
        self.sendLine("211-Features:")
        for feature in self.FEATURES:
            self.sendLine(" " + feature)
        self.sendLine("211 End")

    def ftp_REST(self, offset: str = "") -> Any:
        if not _DIGITS.fullmatch(offset.strip()):
            raise ArgumentSyntaxError("REST needs a byte offset.")
        self._restart = int(offset.strip())
        self.sendLine(f"350 Restarting at {self._restart}. Send RETR to resume a download.")
        return None

    def ftp_STAT(self, path: str = "") -> Any:
        if path:
            return self._stat_path(path)
        lines = [
            "211-twisted-ftps3 status:",
            f" Connected from {self.client_address}",
            f" Logged in as {self.user}" if self.user else " Not logged in",
            " TYPE: " + ("BINARY" if self.binary else "ASCII") + ", STRUcture: File, Mode: Stream",
            " Data connections: TLS (PROT P), passive only",
            "211 End of status",
        ]
        for line in lines:
            self.sendLine(line)
        return None

    def _stat_path(self, path: str) -> defer.Deferred[Any]:
        segments = self._segments(path)
        d = self.shell.list(segments, LIST_KEYS)

        def send(entries: list[tuple[str, list[Any]]]) -> None:
            now = self.factory.clock.seconds()
            self.sendLine(f"213-Status of {display_path(segments)}:")
            for name, attributes in entries:
                self.sendLine(" " + list_line(name, attributes, now))
            self.sendLine("213 End of status")

        return d.addCallback(send)

    # -- paths --------------------------------------------------------------

    def _segments(self, path: str, *, required: bool = True) -> list[str]:
        if required and not path.strip():
            raise ArgumentSyntaxError("a path is required.")
        try:
            return ftp.toSegments(self.workingDirectory, path)
        except ftp.InvalidPath:
            raise ftp.FileNotFoundError(path) from None

    def ftp_PWD(self) -> None:
        self.sendLine(
            f'257 "{_quote(display_path(self.workingDirectory))}" is the current directory.'
        )
        return None

    def ftp_CDUP(self) -> Any:
        if not self.workingDirectory:
            return (ftp.REQ_FILE_ACTN_COMPLETED_OK,)
        return self.ftp_CWD("..")

    def ftp_MKD(self, path: str = "") -> defer.Deferred[Any]:
        segments = self._segments(path)

        def created(_: Any) -> None:
            self.sendLine(f'257 "{_quote(display_path(segments))}" created.')

        return self.shell.makeDirectory(segments).addCallback(created)

    def ftp_RMD(self, path: str = "") -> defer.Deferred[Any]:
        return self.shell.removeDirectory(self._segments(path)).addCallback(
            lambda _: (ftp.REQ_FILE_ACTN_COMPLETED_OK,)
        )

    def ftp_DELE(self, path: str = "") -> defer.Deferred[Any]:
        return self.shell.removeFile(self._segments(path)).addCallback(
            lambda _: (ftp.REQ_FILE_ACTN_COMPLETED_OK,)
        )

    def ftp_RNFR(self, path: str = "") -> Any:
        self._segments(path)
        return super().ftp_RNFR(path)

    def ftp_RNTO(self, path: str = "") -> Any:
        if not hasattr(self, "_fromName"):
            raise ftp.BadCmdSequenceError("RNFR required before RNTO")
        if not path.strip():
            self.state = self.AUTHED
            del self._fromName
            raise ArgumentSyntaxError("a path is required.")
        return super().ftp_RNTO(path)

    def ftp_SIZE(self, path: str = "") -> defer.Deferred[Any]:
        return self._file_fact(path, "size", lambda size: str(size))

    def ftp_MDTM(self, path: str = "") -> defer.Deferred[Any]:
        return self._file_fact(
            path, "modified", lambda mtime: time.strftime("%Y%m%d%H%M%S", time.gmtime(mtime))
        )

    def _file_fact(self, path: str, key: str, render: Any) -> defer.Deferred[Any]:
        segments = self._segments(path)

        def answer(values: list[Any]) -> tuple[str, str]:
            directory, value = values
            if directory:
                raise ftp.IsADirectoryError(display_path(segments))
            return ftp.FILE_STATUS, render(value)

        return self.shell.stat(segments, ("directory", key)).addCallback(answer)

    # -- passive mode -------------------------------------------------------

    def data_peer_allowed(self, host: str) -> bool:
        """Whether a data connection from C{host} may join this session."""
        try:
            return self.factory.addresses.same_group(_ip(self.client_address), _ip(host))
        except ValueError:
            return False

    def _require_protection(self) -> None:
        if not self._protected:
            raise ProtectionRequired(
                "Data connections need PROT P (and PBSZ 0) first: they are always TLS."
            )

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
            if family != _ip(self.transport.getHost().host).version:
                raise ftp.UnsupportedNetworkProtocolError("1" if family == 6 else "2")
        return defer.ensureDeferred(self._passive(extended=True))

    def ftp_PORT(self, address: str = "") -> Any:
        raise CannotOpenDataConnection("active mode is not served; use PASV.")

    def ftp_EPRT(self, address: str = "") -> Any:
        raise CannotOpenDataConnection("active mode is not served; use PASV.")

    async def _passive(self, *, extended: bool = False) -> None:
        # EPSV names only the port: the client reuses the control address.
        host = None if extended else await self._passive_host()
        if self.dtpFactory is not None:
            self.cleanupDTP()
        self.dtpFactory = DataChannelFactory(pi=self, reactor=self.factory.clock)
        self.dtpFactory.setTimeout(self.dtpTimeout)
        self.dtpPort = self._listen_passive(self.dtpFactory)
        if host is None:
            self.reply(ftp.ENTERING_EPSV_MODE, self._passive_port)
        else:
            self.reply(ftp.ENTERING_PASV_MODE, ftp.encodeHostPort(host, self._passive_port))
        try:
            await self.dtpFactory.deferred
        except ftp.PortConnectionError:
            # The client never connected: free the port now. Its next
            # transfer command is refused for want of a data connection.
            log.info("no data connection from {client} in time", client=self.client_address)
            self.cleanupDTP()

    async def _passive_host(self) -> str:
        client = _ip(self.client_address)
        domain = self.factory.addresses.domain(client)
        if domain is None:
            local = _ip(self.transport.getHost().host)
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

    def _listen_passive(self, factory: DataChannelFactory) -> Any:
        tls = DataTLSFactory(SessionTLS.of(self.transport), factory)
        for port in self.factory.ports.candidates():
            try:
                listening = self.factory.reactor.listenTCP(
                    port, tls, interface=self._data_interface()
                )
            except CannotListenError:
                self.factory.ports.release(port)
                continue
            self._passive_port = port
            return listening
        raise CannotOpenDataConnection("no passive port is free; try again shortly.")

    def _data_interface(self) -> str:
        """
        Where passive ports listen: the configured address, or else every
        address of the family the client reached the server over.
        """
        if self.factory.data_interface:
            return self.factory.data_interface
        return "::" if _ip(self.transport.getHost().host).version == 6 else ""

    def cleanupDTP(self) -> None:
        port, self._passive_port = self._passive_port, None
        if self.dtpFactory is not None:
            super().cleanupDTP()
        if port is not None:
            self.factory.ports.release(port)

    def _data_channel(self) -> DataChannel:
        if self.dtpInstance is None:
            raise CannotOpenDataConnection("no data connection; send PASV first.")
        return self.dtpInstance

    def _transfer_finished(self, result: Any) -> Any:
        self._current_transfer = None
        channel = self.dtpInstance
        if isinstance(result, Failure) and channel is not None and channel.refusal is not None:
            result = channel.refusal
        if isinstance(result, Failure) and channel is not None and channel.isConnected:
            # A failed transfer must not look finished to the client: a
            # clean close would end a download as if it were complete.
            channel.transport.abortConnection()
        if self.transport is not None:
            self.setTimeout(self.factory.timeOut)
        self._restart = 0
        self.cleanupDTP()
        return result

    def _start_reply(self, channel: DataChannel) -> None:
        if channel.isConnected:
            self.reply(ftp.DATA_CNX_ALREADY_OPEN_START_XFR)
        else:
            self.reply(ftp.FILE_STATUS_OK_OPEN_DATA_CNX)

    # -- listings -----------------------------------------------------------

    def ftp_LIST(self, path: str = "") -> defer.Deferred[Any]:
        return self._listing(path, long=True)

    def ftp_NLST(self, path: str = "") -> defer.Deferred[Any]:
        return self._listing(path, long=False)

    def _listing(self, path: str, *, long: bool) -> defer.Deferred[Any]:
        channel = self._data_channel()
        arguments = [word for word in path.split(" ") if word] if path.startswith("-") else [path]
        # "LIST -la dir": flags are accepted and ignored; the rest is the path.
        target = " ".join(word for word in arguments if not word.startswith("-"))
        segments = self._segments(target, required=False)
        d = self.shell.list(segments, LIST_KEYS if long else ())
        now = self.factory.clock.seconds()

        def send(entries: list[tuple[str, list[Any]]]) -> defer.Deferred[tuple[str]]:
            return self._send_lines(
                channel,
                (
                    list_line(name, attributes, now) if long else name
                    for name, attributes in entries
                ),
            )

        d.addCallback(send)
        return d.addBoth(self._transfer_finished)

    def ftp_MLSD(self, path: str = "") -> defer.Deferred[Any]:
        channel = self._data_channel()
        segments = self._segments(path, required=False)

        def directory_only(attributes: list[Any]) -> Any:
            # MLSD lists directories only (RFC 3659 7.1); a file is an error.
            if not attributes[0]:
                raise ftp.IsNotADirectoryError(display_path(segments))
            return self.shell.list(segments, facts.FACT_KEYS)

        def send(entries: list[tuple[str, list[Any]]]) -> defer.Deferred[tuple[str]]:
            base = display_path(segments).rstrip("/")
            return self._send_lines(
                channel,
                (
                    facts.entry(name, f"{base}/{name}", attributes, self._facts)
                    for name, attributes in entries
                ),
            )

        d = self.shell.stat(segments, ("directory",)).addCallback(directory_only)
        d.addCallback(send)
        return d.addBoth(self._transfer_finished)

    def ftp_MLST(self, path: str = "") -> defer.Deferred[Any]:
        segments = self._segments(path, required=False)
        where = display_path(segments)

        def send(attributes: list[Any]) -> None:
            line = facts.entry(where, where, attributes, self._facts)
            self.sendLine(f"250-Listing {where}")
            self.sendLine(" " + line)
            self.sendLine("250 End")

        return self.shell.stat(segments, facts.FACT_KEYS).addCallback(send)

    # -- transfers ----------------------------------------------------------

    def _transfer(self, path: str, run: Any) -> defer.Deferred[Any]:
        """
        Run a transfer on the data connection: the idle timeout is off while
        it runs, and the passive port goes back to the pool when it ends.
        """
        segments = self._segments(path)
        channel = self._data_channel()
        self.setTimeout(None)
        d = defer.ensureDeferred(run(segments, channel))
        d.addBoth(self._transfer_finished)
        if not d.called:
            self._current_transfer = d
            # Twisted stops reading the control connection until a command
            # ends; reading it during the transfer is what lets ABOR in, and
            # lets a vanished client be noticed. The resume must wait for
            # lineReceived to return (LineReceiver cannot resume inside it).
            self.callLater(0, self._read_during_transfer)
        return d

    def _read_during_transfer(self) -> None:
        if self._current_transfer is not None and not self.disconnected:
            self.resumeProducing()

    def ftp_ALLO(self, size: str = "") -> tuple[str]:
        # Storage is allocated as the bytes arrive; nothing to reserve.
        return (ftp.CMD_NOT_IMPLMNTD_SUPERFLUOUS,)

    def ftp_MFMT(self, argument: str = "") -> None:
        raise ActionNotTaken(
            "Cannot set modification times: S3 sets LastModified itself when an object is written."
        )

    def ftp_HELP(self, command: str = "") -> None:
        names = sorted(name[4:] for name in dir(self) if name.startswith("ftp_"))
        self.sendLine("214-Commands served (RFC 959, 2228, 2389, 2428, 3659, 4217):")
        for start in range(0, len(names), 10):
            self.sendLine(" " + " ".join(names[start : start + 10]))
        self.sendLine("214 Files live in S3; see FEAT for extensions.")

    def ftp_ABOR(self) -> None:
        self.sendLine("225 No transfer to abort.")

    def ftp_RETR(self, path: str = "") -> defer.Deferred[Any]:
        return self._transfer(path, self._retrieve)

    async def _retrieve(self, segments: Sequence[str], channel: DataChannel) -> tuple[str]:
        started = self.factory.clock.seconds()
        source = await self.shell.openForReading(segments)
        offset = self._restart
        if offset > source.size:
            raise InvalidRestart(
                f"REST {offset} is past the end of {display_path(segments)} ({source.size} bytes)."
            )
        self._start_reply(channel)
        try:
            # TYPE A is accepted but bytes go as stored, as vsftpd does by
            # default: rewriting line ends would make SIZE and REST lie.
            sent = await source.send_from(channel, offset) if offset < source.size else 0
        except ftp.FTPCmdError:
            if channel.lost is not None:
                raise TransferAborted("data connection closed by the client.") from None
            raise
        try:
            await channel.close()
        except Exception:
            self._data_connection_failed(Failure())
        self._log_transfer("RETR", segments, sent, started)
        return (ftp.TXFR_COMPLETE_OK,)

    def ftp_STOR(self, path: str = "") -> defer.Deferred[Any]:
        return self._transfer(path, self._store)

    def ftp_APPE(self, path: str = "") -> defer.Deferred[Any]:
        return self._transfer(path, self._append)

    async def _append(self, segments: Sequence[str], channel: DataChannel) -> tuple[str]:
        return await self._store(segments, channel, append=True)

    async def _store(
        self, segments: Sequence[str], channel: DataChannel, *, append: bool = False
    ) -> tuple[str]:
        started = self.factory.clock.seconds()
        if append or self._restart:
            offset = None if append else self._restart
            target = await self.shell.openForAppending(segments, offset)
        else:
            target = await self.shell.openForWriting(segments)
        writer = await target.receive()
        self._upload = target
        try:
            self._start_reply(channel)
            try:
                await channel.registerConsumer(writer)
            except Exception as e:
                log.info(
                    "upload from {client} cut short after {size} bytes: {reason}",
                    client=self.client_address,
                    size=target.bytes_received,
                    reason=e,
                )
                storage_error = target.storage_error()
                await target.abort(f"data connection lost: {e}")
                if storage_error is not None:
                    raise storage_error from None
                raise TransferAborted(
                    "data connection closed before the end; nothing was stored."
                ) from None
            if self._upload is None:
                raise TransferAborted("control connection lost; nothing was stored.")
            await target.close()
        finally:
            self._upload = None
        self._log_transfer("STOR", segments, target.bytes_received, started)
        return (ftp.TXFR_COMPLETE_OK,)

    def _send_lines(self, channel: DataChannel, lines: Iterable[str]) -> defer.Deferred[tuple[str]]:
        """Send a listing's lines and close: 226 if the client took them, 426 if not."""
        self._start_reply(channel)
        for line in lines:
            channel.sendLine(line.encode("utf-8"))
        return channel.close().addCallbacks(
            lambda _: (ftp.TXFR_COMPLETE_OK,), self._data_connection_failed
        )

    def _data_connection_failed(self, failure: Failure) -> None:
        log.info(
            "data connection from {client} failed: {reason}",
            client=self.client_address,
            reason=failure.getErrorMessage(),
        )
        raise TransferAborted("data connection failed before the transfer completed.")

    def _log_transfer(
        self, command: str, segments: Sequence[str], size: int, started: float
    ) -> None:
        log.info(
            "{command} {path} by {user} from {client}: {size} bytes in {duration:.3f}s",
            command=command,
            path=display_path(segments),
            user=self.user,
            client=self.client_address,
            size=size,
            duration=self.factory.clock.seconds() - started,
        )


class FTPS3Factory(ftp.FTPFactory):
    """
    Builds L{FTPS3} sessions and holds what they share.

    @param reactor: listens for passive data connections.
    @param clock: times sessions and passive-connection timeouts.
    @param resolve: turns a passive-address domain into an IPv4 address
        without blocking (the reactor's resolver, in production).
    @param implicit: whether the listener is TLS from the first byte; if
        not, sessions start in the clear and must send AUTH TLS.
    @param require_session_reuse: whether a data connection must resume its
        control connection's TLS session (425 if not).
    """

    protocol = FTPS3
    allowAnonymous = False
    welcomeMessage = "twisted-ftps3 ready"

    def __init__(
        self,
        portal: Any,
        *,
        tls: ServerTLS,
        ports: PassivePortPool,
        addresses: PassiveAddressMap,
        reactor: IReactorTCP,
        clock: IReactorTime,
        resolve: Any,
        data_interface: str = "",
        implicit: bool = True,
        require_session_reuse: bool = False,
    ) -> None:
        super().__init__(portal)
        self.tls = tls
        self.ports = ports
        self.addresses = addresses
        self.reactor = reactor
        self.clock = clock
        self.resolve = resolve
        self.data_interface = data_interface
        self.implicit = implicit
        self.require_session_reuse = require_session_reuse
