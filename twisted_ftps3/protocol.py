# -*- test-case-name: tests.test_protocol,tests.test_integration -*-
"""
The FTP protocol as this server speaks it: Twisted's C{FTP}, UTF-8
throughout, made of one class per concern.

L{FTPS3} itself reads command lines, checks their arguments, dispatches
them, negotiates TLS (AUTH, PBSZ, PROT, CCC) and answers the commands about
the session (FEAT, OPTS, HELP, STAT, QUIT). The session limits and the
login are L{twisted_ftps3.login}, passive mode is
L{twisted_ftps3.passive}, the transfers L{twisted_ftps3.transfers}, the
commands on names L{twisted_ftps3.paths}, the bounds on handshake and login
and the end of a session at shutdown L{twisted_ftps3.lifetime}.
L{FTPS3Factory} holds what every session shares, and the sessions open.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from twisted.cred.portal import Portal
from twisted.internet import defer
from twisted.internet.interfaces import (
    IAddress,
    IDelayedCall,
    IHandshakeListener,
    IReactorTCP,
    IReactorTime,
)
from twisted.logger import Logger
from twisted.protocols import ftp
from twisted.python.failure import Failure
from zope.interface import implementer

from . import facts
from .config import AccessSettings
from .defence import LoginDefence
from .drain import Drain
from .lifetime import SessionLifetime
from .login import FAILURE_DELAY, Login
from .passive import PassiveAddressMap, PassiveMode
from .paths import PathCommands
from .ports import PassivePortPool
from .replies import (
    ArgumentSyntaxError,
    LoginRefused,
    NotImplementedForArgument,
    PolicyRefused,
    ProtectionLevelRefused,
    reply_safe,
)
from .sessions import SessionLimits
from .timeouts import DEFAULT_TIMEOUTS, Timeouts
from .tls import ServerTLS
from .transfers import Transfers

__all__ = ["FTPS3", "FTPS3Factory"]

log = Logger()

#: What an explicit-TLS session may send before AUTH TLS.
_BEFORE_AUTH = frozenset({"AUTH", "FEAT", "QUIT", "NOOP", "SYST", "OPTS"})


@functools.cache
def _arity(function: Callable[..., Any]) -> tuple[int, int]:
    """How many arguments an C{ftp_*} method needs, and how many it takes (not counting self)."""
    parameters = list(inspect.signature(function).parameters.values())[1:]
    needed = sum(1 for parameter in parameters if parameter.default is parameter.empty)
    return needed, len(parameters)


@implementer(IHandshakeListener)
class FTPS3(Login, SessionLifetime, PassiveMode, Transfers, PathCommands, ftp.FTP):
    """
    One FTPS session. The factory gives it its shared parts: the passive
    port pool, the address map, the TLS options, and the reactor.

    The TLS layer tells the protocol directly above it when the handshake
    is over, on the implicit port and after C{AUTH TLS} alike: that is the
    session itself, which the factory does not wrap.
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
    #: When the connection was made, on the factory's clock.
    _opened: float
    _facts: tuple[str, ...] = facts.FACTS
    #: Whether the command in progress reads the connection while it waits.
    _reading = False

    # -- connection ---------------------------------------------------------

    @property
    def client_address(self) -> str:
        return self.transport.getPeer().host if self.transport is not None else "?"

    @property
    def require_session_reuse(self) -> bool:
        return self.factory.require_session_reuse

    @property
    def log_debug(self) -> bool:
        return self.factory.log_debug

    @property
    def user(self) -> str | None:
        return self.avatar_id

    def callLater(self, delay: float, function: Callable[[], object]) -> IDelayedCall:
        """The idle timeout of TimeoutMixin runs on the factory's clock too."""
        return self.factory.clock.callLater(delay, function)

    def connectionMade(self) -> None:
        self._opened = self.factory.clock.seconds()
        # An implicit-TLS session is protected from its first byte; an
        # explicit one once AUTH TLS and PROT P have been sent.
        self._secure = self._protected = self.factory.implicit
        self.factory.sessions.add(self)
        if self.factory.drain.draining:
            # Accepted just before the listener stopped: no new session now.
            self.state = self.UNAUTH
            self.close_session("421 The server is shutting down; try again shortly.")
            return
        if not self.admit():
            return
        self.start_bounds(tls=self.factory.implicit)
        super().connectionMade()

    def connectionLost(self, reason: Failure) -> None:
        # The control connection is read during transfers, so it can be lost
        # while a command runs; Twisted must not resume a transport that is gone.
        self.disconnected = True
        client, user = self.client_address, self.user
        self.stop_bounds()
        self.release()
        self.factory.sessions.discard(self)
        self.abandon_upload("control connection lost")
        super().connectionLost(reason)
        # The one line of a session at info level is its login's (see Login);
        # this one is at debug, with how long the session lasted.
        if self.factory.log_debug:
            log.debug(
                "session from {client} closed after {seconds:.1f} s (user {user})",
                client=client,
                seconds=self.factory.clock.seconds() - self._opened,
                user=user,
            )

    def sendLine(self, line: str | bytes) -> None:
        # A transfer may end after its client has gone; its reply goes nowhere.
        if self.transport is None:
            return
        # Every reply passes here, so no name, and no echo of what the
        # client typed, can break the reply into lines of its own.
        super().sendLine(reply_safe(line) if isinstance(line, str) else line)

    # -- reading commands ---------------------------------------------------

    def lineReceived(self, line: bytes) -> None:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            self.resetTimeout()
            self.sendLine("501 Command line is not valid UTF-8.")
            return
        command, _, argument = text.partition(" ")
        if self.factory.log_debug and command.upper() != "PASS":
            # A PASS is not logged at all: its outcome is, at once or a
            # second later (see Login). Each line costs about 0.1 ms of CPU
            # (formatted and written by twistd's observer whatever its
            # level), so they are not even made below FTP_LOG_LEVEL=debug.
            log.debug(
                "{client} {user}: {command} {argument}",
                client=self.client_address,
                user=self.user,
                command=command.upper(),
                argument=argument,
            )
        if self._current_transfer is not None:
            self.during_transfer(command.upper())
            return
        self._run(command, (argument,) if _ else ())

    def _run(self, command: str, arguments: tuple[str, ...]) -> None:
        """
        Run one command and send its reply, reading no other command until
        the reply is sent, as Twisted's C{FTP.lineReceived} does.

        Twisted pauses the transport before every command and resumes it a
        reactor turn after the reply: two system calls and a turn for each
        command, though most are answered before they return. Here the
        session stops taking lines while the command runs (the line
        receiver's own pause, no system call), and the transport is paused
        only for a command still waiting when it returns, until its reply;
        unless the command asked to go on reading meanwhile (L{keep_reading}).
        """
        self.resetTimeout()
        self.paused = True
        self._reading = False
        answered = defer.maybeDeferred(self.processCommand, command, *arguments)
        answered.addCallbacks(self._reply_with, self._refuse_with)
        answered.addErrback(log.failure, "Unexpected FTP error replying")
        if answered.called:
            self.paused = False
            return
        if not self._reading:
            self.transport.pauseProducing()
        answered.addBoth(self._answered)

    def _reply_with(self, result: Any) -> None:
        if isinstance(result, tuple):
            self.reply(*result)
        elif result is not None:
            self.reply(result)

    def _refuse_with(self, failure: Failure) -> None:
        if failure.check(ftp.FTPCmdError):
            self.sendLine(failure.value.response())
            return
        log.failure("Unexpected FTP error", failure)
        self.reply(ftp.REQ_ACTN_NOT_TAKEN, "internal server error")

    def _answered(self, ignored: object) -> None:
        if not self.disconnected:
            self.resumeProducing()

    def keep_reading(self) -> None:
        """
        Read the control connection while the command in progress waits,
        keeping its lines for later, so that a client that goes away is
        noticed at once.
        """
        self._reading = True
        self.transport.resumeProducing()

    def processCommand(self, cmd: str, *params: str) -> Any:
        cmd = cmd.upper()
        if not self._secure and cmd not in _BEFORE_AUTH:
            # Explicit TLS: nothing, least of all a password, crosses in the
            # clear before AUTH TLS.
            raise LoginRefused("Send AUTH TLS first: this server takes no password in the clear.")
        self.refuse_while_draining(cmd)
        if self.state == self.RENAMING and cmd != "RNTO":
            # Twisted would stay in the renaming state and refuse every
            # command from now on; one refusal is enough.
            self.end_renaming()
            return ftp.BAD_CMD_SEQ, "RNTO required after RNFR"
        if self._dispatched(cmd):
            params = self._arguments(cmd, params)
        return super().processCommand(cmd, *params)

    def _dispatched(self, cmd: str) -> bool:
        """Whether Twisted's C{processCommand} will call C{ftp_<cmd>} now."""
        if cmd in self.PUBLIC_COMMANDS:
            return True
        wanted = {self.UNAUTH: "USER", self.INAUTH: "PASS", self.RENAMING: "RNTO"}
        return self.state == self.AUTHED or wanted.get(self.state) == cmd

    def _arguments(self, cmd: str, params: tuple[str, ...]) -> tuple[str, ...]:
        """
        The arguments to call C{ftp_<cmd>} with, or a 501 if it cannot take
        those given: read from the method's signature, so that every command
        is checked, and a method's own TypeError is never taken for the
        client's mistake.
        """
        method = getattr(self, "ftp_" + cmd, None)
        if method is None:
            return params
        needed, most = _arity(method.__func__)
        if len(params) > most:
            if params[0].strip():
                raise ArgumentSyntaxError(f"{cmd} takes no argument.")
            return ()
        if len(params) < needed:
            raise ArgumentSyntaxError(f"{cmd} requires an argument.")
        return params

    # -- TLS ----------------------------------------------------------------

    def ftp_AUTH(self, mechanism: str) -> None:
        if mechanism.strip().upper() not in ("TLS", "SSL", "TLS-C", "TLS-P"):
            raise NotImplementedForArgument(f"AUTH {mechanism} is not supported; use AUTH TLS.")
        if self._secure:
            # RFC 4217 section 4: a connection already under TLS refuses AUTH.
            self.sendLine("503 Already protected by TLS.")
            return
        self.sendLine("234 AUTH TLS successful; starting the TLS handshake.")
        self.transport.startTLS(self.factory.tls)
        self.tls_started()
        self._secure = True
        # RFC 4217 section 4: AUTH resets the session to a fresh login.
        self.state = self.UNAUTH

    def ftp_CCC(self) -> None:
        raise PolicyRefused("CCC refused: the control connection stays encrypted.")

    def ftp_PBSZ(self, size: str) -> None:
        if not size.strip().isascii() or not size.strip().isdigit():
            raise ArgumentSyntaxError("PBSZ needs a number; 0 is the only size for TLS.")
        # RFC 4217: TLS needs no buffer, and the server answers with the
        # size it will use, which is always 0.
        self.sendLine("200 PBSZ=0")
        return None

    def ftp_PROT(self, level: str) -> Any:
        level = level.strip().upper()
        if level == "P":
            self._protected = True
            return (ftp.CMD_OK,)
        if level == "C":
            raise ProtectionLevelRefused("PROT C refused: data connections are always TLS.")
        if level in ("S", "E"):
            raise NotImplementedForArgument(f"PROT {level} is not supported; use PROT P.")
        raise ArgumentSyntaxError("PROT takes C, S, E or P.")

    # -- the session --------------------------------------------------------

    def ftp_QUIT(self) -> None:
        # Twisted marks the session disconnected, which keeps the transport
        # paused for good; under TLS the close then waits forever for the
        # client's side of the shutdown. Stay readable until it comes.
        self.reply(ftp.GOODBYE_MSG)
        self.transport.loseConnection()

    def ftp_OPTS(self, option: str) -> Any:
        name, _, value = option.strip().partition(" ")
        if not name:
            raise ArgumentSyntaxError("OPTS needs an option, such as UTF8 ON.")
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

    def ftp_HELP(self, command: str = "") -> None:
        names = sorted(name[4:] for name in dir(self) if name.startswith("ftp_"))
        self.sendLine("214-Commands served (RFC 959, 2228, 2389, 2428, 3659, 4217):")
        for start in range(0, len(names), 10):
            self.sendLine(" " + " ".join(names[start : start + 10]))
        self.sendLine("214 Files live in S3; see FEAT for extensions.")

    def ftp_STAT(self, path: str = "") -> Any:
        if path:
            return self.stat_path(path)
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
    @param log_debug: whether sessions log their debug lines (every command,
        data connection and session end): C{FTP_LOG_LEVEL=debug}.
    @param timeouts: the bounds on handshakes, logins and idle data connections.
    @param drain: whether the server drains for a shutdown, shared by every
        listener's factory and the health check.
    @param defence: the failed logins and bans, shared by every listener's
        factory; by default one of this factory's own, with the default settings.
    @param limits: the session limits, shared likewise.
    @param failure_delay: the seconds from a failed login's C{PASS} to its 530.

    @ivar sessions: the sessions open now.
    """

    protocol = FTPS3
    allowAnonymous = False
    welcomeMessage = "twisted-ftps3 ready"

    def __init__(
        self,
        portal: Portal,
        *,
        tls: ServerTLS,
        ports: PassivePortPool,
        addresses: PassiveAddressMap,
        reactor: IReactorTCP,
        clock: IReactorTime,
        resolve: Callable[[str], defer.Deferred[str]],
        data_interface: str = "",
        implicit: bool = True,
        require_session_reuse: bool = False,
        log_debug: bool = False,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        drain: Drain | None = None,
        defence: LoginDefence | None = None,
        limits: SessionLimits | None = None,
        failure_delay: float = FAILURE_DELAY,
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
        self.log_debug = log_debug
        self.timeouts = timeouts
        self.drain = Drain(clock) if drain is None else drain
        self.sessions: set[FTPS3] = set()
        access = AccessSettings(users_file=None)
        if defence is None:
            defence = LoginDefence(
                clock,
                access.login_max_failures,
                access.login_failure_window_seconds,
                access.login_ban_seconds,
            )
        if limits is None:
            limits = SessionLimits(access.max_sessions, access.max_sessions_per_address)
        self.defence = defence
        self.limits = limits
        self.failure_delay = failure_delay

    @property  # type: ignore[override]
    def connectionCount(self) -> int:
        """The sessions open now, as Twisted's factory would count them."""
        return len(self.sessions)

    def buildProtocol(self, addr: IAddress) -> FTPS3:
        """
        A session, as it is: Twisted's FTP factory would wrap it in a
        L{ProtocolWrapper} to count the connections, which
        L{connectionCount} and the session limits do without.
        """
        session = self.protocol()
        session.factory = self
        # The idle bound, which Twisted's session reads from itself.
        session.timeOut = self.timeOut
        return session
