"""
Tests for L{twisted_ftps3.paths}: the commands on names, how their paths
are read, and how paths come back in replies.
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.paths import visible

from .support.session import SessionTestCase

#: A name with a ZWJ emoji sequence, a pound sign and double quotes.
NAME = '\N{MAN}\u200d\N{WOMAN}\u200d\N{GIRL}\u200d\N{BOY} \N{POUND SIGN} "q"'


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

    def test_pwd_name_exactly(self) -> None:
        """
        PWD gives back a name with a ZWJ emoji sequence and a pound sign
        exactly, its double quotes doubled and nothing escaped.
        """
        self.send(f"CWD {NAME}".encode())
        quoted = NAME.replace('"', '""')
        self.assertEqual(self.send(b"PWD"), [f'257 "/{quoted}" is the current directory.'])

    def test_mkd_name_exactly(self) -> None:
        """MKD's reply gives back the new directory's name exactly, quotes doubled."""
        quoted = NAME.replace('"', '""')
        self.assertEqual(self.send(f"MKD {NAME}".encode()), [f'257 "/{quoted}" created.'])
        self.assertEqual(self.shell.calls, [("makeDirectory", [NAME])])


class ReplyFramingTests(SessionTestCase):
    """
    A name that holds CR or LF cannot break its reply into lines: CR goes
    as CR NUL, LF as NUL (see L{twisted_ftps3.replies.reply_safe}).

    No command can enter such a directory (L{RefusedNameTests}); a working
    directory that held one anyway would still be sent safely.
    """

    def setUp(self) -> None:
        super().setUp()
        self.login()

    def pwd_in(self, name: bytes) -> bytes:
        """What PWD sends, byte for byte, in a directory called C{name}."""
        self.protocol.workingDirectory = [name.decode()]
        self.transport.clear()
        self.protocol.dataReceived(b"PWD\r\n")
        return self.transport.value()

    def test_lf(self) -> None:
        """A LF in a name is sent as NUL, and the reply stays one line."""
        self.assertEqual(self.pwd_in(b"a\nb"), b'257 "/a\x00b" is the current directory.\r\n')

    def test_cr(self) -> None:
        """A CR in a name is sent as CR NUL, as RFC 959 has it."""
        self.assertEqual(self.pwd_in(b"a\rb"), b'257 "/a\r\x00b" is the current directory.\r\n')

    def test_echoed_argument(self) -> None:
        """An error that repeats what the client typed is one line too."""
        self.assertEqual(self.send(b"OPTS a\nb"), ["504 OPTS a\x00b is not supported."])


class NulTests(SessionTestCase):
    """A name holding NUL cannot exist: 553, and the shell is not asked."""

    def setUp(self) -> None:
        super().setUp()
        self.login()

    def test_mkd(self) -> None:
        """MKD of a name with NUL is a 553 that shows the name and says why."""
        self.assertEqual(
            self.send(b"MKD a\x00b"),
            ["553 a\N{SYMBOL FOR NULL}b: names may not contain control characters (here U+0000)."],
        )
        self.assertEqual(self.shell.calls, [])

    def test_every_path_command(self) -> None:
        """Every command that takes a path refuses one with NUL with 553."""
        commands = ("CWD", "DELE", "RMD", "RNFR", "SIZE", "MDTM", "MLST", "STAT", "RETR", "STOR")
        for command in commands:
            [line] = self.send(command.encode() + b" a\x00b")
            self.assertTrue(line.startswith("553 "), (command, line))
        self.assertEqual(self.shell.calls, [])

    def test_rnto(self) -> None:
        """RNTO to a name with NUL is a 553, and nothing is renamed."""
        self.send(b"RNFR old")
        [line] = self.send(b"RNTO a\x00b")
        self.assertTrue(line.startswith("553 "), line)
        self.assertEqual(self.shell.calls, [])

    def test_above_root_not_found(self) -> None:
        """A path that climbs above the root is still not found: 550."""
        self.assertEqual(self.send(b"CWD .."), ["550 ..: No such file or directory."])


#: Commands that take a path, and a line that ends the one RNFR leaves waiting.
PATH_COMMANDS = (
    "CWD",
    "MKD",
    "RMD",
    "DELE",
    "RNFR",
    "RNTO",
    "SIZE",
    "MDTM",
    "MLST",
    "STAT",
    "RETR",
    "STOR",
    "APPE",
    "LIST",
    "NLST",
    "MLSD",
)


class RefusedNameTests(SessionTestCase):
    """
    Names that are dangerous to the programs that read S3 keys later are
    refused with 553 by every command that takes a path, before the shell
    is asked: control characters, and C{.} or C{..} between backslashes.
    """

    def setUp(self) -> None:
        super().setUp()
        self.login()

    def refused(self, command: str, path: str) -> str:
        """The one reply line to C{command path}, which must be a 553."""
        if command == "RNTO":
            self.send(b"RNFR old")
        lines = self.send(f"{command} {path}".encode())
        self.assertEqual(len(lines), 1, (command, path, lines))
        self.assertTrue(lines[0].startswith("553 "), (command, path, lines))
        return lines[0]

    def test_every_control_character(self) -> None:
        """Each of U+0001 to U+001F and U+007F in a name is refused by MKD."""
        for code in [*range(1, 0x20), 0x7F]:
            if chr(code) in "\r\n":
                continue  # the line would end there; see test_cr_and_lf
            self.refused("MKD", f"a{chr(code)}b")
        self.assertEqual(self.shell.calls, [])

    def test_cr_and_lf(self) -> None:
        """A lone CR or LF (which Twisted's CRLF splitting lets through) is refused."""
        for line in (b"MKD a\rb", b"MKD a\nb", b"CWD x/a\nb/.."):
            [reply] = self.send(line)
            self.assertTrue(reply.startswith("553 "), (line, reply))
        self.assertEqual(self.shell.calls, [])

    def test_control_shown_safely(self) -> None:
        """
        The reply shows the name with control pictures in place of the
        control characters: ESC cannot reach the user's terminal.
        """
        reply = self.refused("STOR", "red\x1b[31m\x7f.txt")
        self.assertEqual(
            reply,
            "553 red\N{SYMBOL FOR ESCAPE}[31m\N{SYMBOL FOR DELETE}.txt: "
            "names may not contain control characters (here U+001B).",
        )

    def test_every_path_command(self) -> None:
        """Every command that takes a path refuses both kinds of name."""
        for command in PATH_COMMANDS:
            self.refused(command, "a\x1bb")
            self.refused(command, "sub\\..\\..\\y")
        self.assertEqual(self.shell.calls, [])

    def test_backslash_dots(self) -> None:
        """C{.} or C{..} between backslashes, anywhere in the path, is refused."""
        for path in ("..\\..\\x", "sub\\..\\..\\y", "a\\.\\b", "d/..\\e", "x\\..", ".\\x", "\\.."):
            reply = self.refused("MKD", path)
            self.assertIn("between backslashes", reply)
        self.assertEqual(self.shell.calls, [])

    def test_backslash_dots_reply_names_resolved_path(self) -> None:
        """The reply names the path from the root, with '/'-separated dots resolved."""
        self.assertEqual(
            self.refused("DELE", "/d/./e/../a\\.\\b"),
            "553 /d/a\\.\\b: '.' and '..' are not names, nor parts of one between "
            "backslashes (which other programs read as separators).",
        )

    def test_other_backslashes_allowed(self) -> None:
        """Backslashes without dots between them, and dots that are not alone, are fine."""
        for name in ("a\\b", "\\x\\", "a\\\\b", "...\\..x", "a.\\.b"):
            self.assertEqual(self.send(f"MKD {name}".encode()), [f'257 "/{name}" created.'])
        self.assertEqual(len(self.shell.calls), 5)

    def test_slash_dots_still_resolved(self) -> None:
        """'/'-separated dots are resolved as before: C{a/./b/..} is C{/a}."""
        self.assertEqual(self.send(b"MKD a/./b/.."), ['257 "/a" created.'])


class VisibleTests(SynchronousTestCase):
    """L{visible}: control characters as Unicode control pictures."""

    def test_pictures(self) -> None:
        """NUL, ESC, LF, US and DEL become their pictures; everything else stays."""
        self.assertEqual(
            visible("a\x00\x1b\n\x1f\x7f é\\"),
            "a\N{SYMBOL FOR NULL}\N{SYMBOL FOR ESCAPE}\N{SYMBOL FOR LINE FEED}"
            "\N{SYMBOL FOR UNIT SEPARATOR}\N{SYMBOL FOR DELETE} é\\",
        )
