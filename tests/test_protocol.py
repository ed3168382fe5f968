"""
Tests for L{twisted_ftps3.protocol}: reading and dispatching commands, TLS
negotiation, login and the session commands, as a client sees them.

Each test drives a real session in memory (see L{tests.support.session}).
"""

from __future__ import annotations

from types import MethodType
from typing import Any

from twisted.internet.error import ConnectionDone
from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.python.failure import Failure

from twisted_ftps3.protocol import FTPS3

from .support.logs import capture_logs
from .support.session import SessionTestCase

#: Every command the session serves, from its C{ftp_*} methods, so that a
#: command added later is checked too.
SERVED = sorted(name[4:] for name in dir(FTPS3) if name.startswith("ftp_"))
#: The commands that take no argument.
NO_ARGUMENT = frozenset({"ABOR", "CCC", "CDUP", "FEAT", "NOOP", "PASV", "PWD", "QUIT", "SYST"})
#: The commands whose argument may be left out. Every other command needs one.
OPTIONAL_ARGUMENT = frozenset({"EPSV", "HELP", "LIST", "MLSD", "MLST", "NLST", "STAT"})
#: What Twisted answers when a command method fails unexpectedly.
INTERNAL_ERROR = "550 Requested action not taken: internal server error"


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


class CommandReadingTests(SessionTestCase):
    """
    One command at a time: the next line waits for the reply to the one
    before, and the transport is paused only while a command waits.
    """

    failure_delay = 1.0

    def setUp(self) -> None:
        super().setUp()
        self.pauses: list[str] = []
        pause, resume = self.transport.pauseProducing, self.transport.resumeProducing
        self.patch(self.transport, "pauseProducing", lambda: (self.pauses.append("pause"), pause()))
        self.patch(
            self.transport, "resumeProducing", lambda: (self.pauses.append("resume"), resume())
        )

    def test_answered_at_once(self) -> None:
        """A command answered before it returns leaves the transport alone."""
        self.login()
        self.assertEqual(self.send(b"NOOP"), ["200 Command OK"])
        self.assertEqual((self.pauses, self.transport.producerState), ([], "producing"))

    def test_lines_together(self) -> None:
        """Lines that arrive together are answered in order, each after the one before."""
        self.transport.clear()
        self.protocol.dataReceived(b"USER alice\r\nPASS pw\r\nPWD\r\nSYST\r\n")
        self.assertEqual(
            self.replies(),
            [
                "331 Password required for alice.",
                "230 User logged in, proceed",
                '257 "/" is the current directory.',
                "215 UNIX Type: L8",
            ],
        )

    def test_waiting_command_pauses(self) -> None:
        """
        A command that waits (a failed login, answered a second later)
        pauses the transport until it is answered; the lines that came
        meanwhile are answered after it, in order.
        """
        self.send(b"USER alice")
        self.transport.clear()
        self.protocol.dataReceived(b"PASS wrong\r\nUSER alice\r\n")
        self.protocol.dataReceived(b"PASS pw\r\n")
        self.assertEqual((self.replies(), self.pauses), ([], ["pause"]))
        self.assertEqual(self.transport.producerState, "paused")
        self.clock.advance(1)
        self.assertEqual(
            self.replies(),
            [
                "530 Sorry, Authentication failed.",
                "331 Password required for alice.",
                "230 User logged in, proceed",
            ],
        )
        self.assertEqual(
            (self.pauses, self.transport.producerState), (["pause", "resume"], "producing")
        )

    def test_lost_while_waiting(self) -> None:
        """A session lost while its command waits is not resumed."""
        self.send(b"USER alice")
        self.send(b"PASS wrong")
        self.protocol.connectionLost(Failure(ConnectionDone()))
        self.clock.advance(1)
        self.assertEqual(self.pauses, ["pause"])

    def test_unexpected_error(self) -> None:
        """A command that fails unexpectedly is answered 550, and the failure logged."""
        self.login()
        self.patch(self.protocol, "ftp_NOOP", MethodType(lambda session: 1 / 0, self.protocol))
        self.assertEqual(self.send(b"NOOP"), [INTERNAL_ERROR])
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)
        self.assertEqual(self.send(b"PWD"), ['257 "/" is the current directory.'])


class LoggingTests(SessionTestCase):
    """
    The debug lines of a session (its commands and its end) are made only
    under FTP_LOG_LEVEL=debug; its login's info line always is.
    """

    def setUp(self) -> None:
        super().setUp()
        self.logs = capture_logs(self)

    def session(self) -> None:
        self.login()
        self.send(b"NOOP")
        self.send(b"QUIT")
        self.protocol.connectionLost(Failure(ConnectionDone()))

    def test_info(self) -> None:
        """By default, the one line of a session is its login's."""
        self.session()
        texts = [formatEvent(event) for event in self.logs.events]
        self.assertEqual(texts, ["alice logged in from 203.0.113.9"])

    def test_debug(self) -> None:
        """At debug, each command is logged too (never PASS), and the session's end."""
        self.factory.log_debug = True
        self.session()
        self.assertEqual(
            self.logs.at(LogLevel.debug)[:-1],
            [
                "203.0.113.9 None: USER alice",
                "203.0.113.9 alice: NOOP ",
                "203.0.113.9 alice: QUIT ",
            ],
        )
        self.assertIn("session from 203.0.113.9 closed after", self.logs.at(LogLevel.debug)[-1])
        self.assertEqual(self.logs.at(LogLevel.info), ["alice logged in from 203.0.113.9"])
        self.assertFalse(any("pw" in formatEvent(event) for event in self.logs.events))


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


class ArgumentTests(SessionTestCase):
    """
    Every command served, given an argument it does not take or none where
    it needs one, is refused with a 5xx reply, never an internal error, and
    nothing is logged as unexpected.
    """

    def setUp(self) -> None:
        super().setUp()
        self.logged: list[str] = []

        def observe(event: dict[str, Any]) -> None:
            self.logged.append(formatEvent(event) or "")

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)

    def refusal(self, line: str) -> str:
        """The last reply line to C{line}, sent first thing in a new logged-in session."""
        self.connect()
        self.login()
        replies = self.send(line.encode("utf-8"))
        self.assertTrue(replies, line)
        return replies[-1]

    def assertRefused(self, line: str, code: str = "5") -> None:
        reply = self.refusal(line)
        self.assertTrue(reply.startswith(code), (line, reply))
        self.assertNotEqual(reply, INTERNAL_ERROR, line)

    def tearDown(self) -> None:
        self.assertEqual(self.flushLoggedErrors(), [])
        self.assertEqual([text for text in self.logged if "Unexpected FTP error" in text], [])

    def test_commands_classified(self) -> None:
        """Each command the session serves is in at most one of the two sets."""
        self.assertEqual(NO_ARGUMENT & OPTIONAL_ARGUMENT, frozenset())
        self.assertLessEqual(NO_ARGUMENT | OPTIONAL_ARGUMENT, set(SERVED))

    def test_unexpected_argument(self) -> None:
        """A command that takes no argument, given one, is refused with 501."""
        for command in sorted(NO_ARGUMENT):
            self.assertRefused(f"{command} x", "501 ")

    def test_unexpected_argument_reply(self) -> None:
        """The 501 says which command takes no argument."""
        self.assertEqual(self.refusal("PWD x"), "501 PWD takes no argument.")

    def test_missing_argument(self) -> None:
        """A command that needs an argument, given none, is refused with a 5xx."""
        for command in SERVED:
            if command not in NO_ARGUMENT | OPTIONAL_ARGUMENT:
                self.assertRefused(command)

    def test_missing_argument_reply(self) -> None:
        """Where the command itself does not say, the 501 says it needs an argument."""
        self.assertEqual(self.refusal("CWD"), "501 CWD requires an argument.")

    def test_optional_argument(self) -> None:
        """A command whose argument may be left out is never an internal error either way."""
        for command in sorted(OPTIONAL_ARGUMENT):
            for line in (command, f"{command} x"):
                self.assertNotEqual(self.refusal(line), INTERNAL_ERROR, line)

    def test_blank_argument(self) -> None:
        """A blank argument to a command that takes none is no argument."""
        self.assertEqual(self.refusal("NOOP "), "200 Command OK")

    def test_before_login(self) -> None:
        """Before login, a command with a stray argument is refused for want of a login."""
        self.assertEqual(self.send(b"PWD x"), ["530 Please login with USER and PASS."])

    def test_login_commands(self) -> None:
        """USER and PASS with no argument are refused with 501."""
        self.assertEqual(self.send(b"USER"), ["501 USER requires an argument."])
        self.send(b"USER alice")
        self.assertEqual(self.send(b"PASS"), ["501 PASS requires an argument."])

    def test_rnto_ends_rename(self) -> None:
        """RNTO with no path after RNFR is a 501, and the rename is over."""
        self.login()
        self.send(b"RNFR old")
        self.assertEqual(self.send(b"RNTO"), ["501 a path is required."])
        self.assertEqual(self.send(b"PWD"), ['257 "/" is the current directory.'])
