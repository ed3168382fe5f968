"""
Tests for L{twisted_ftps3.replies}: FTP error replies, and S3 failures as FTP replies.
"""

from __future__ import annotations

from twisted.protocols import ftp
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3 import replies
from twisted_ftps3.replies import display_path, reply_safe

PATH = ("reports", "q3 \N{POUND SIGN}.csv")
SHOWN = "/reports/q3 \N{POUND SIGN}.csv"
REQUEST_ID = "4442587FB7D0A2F9"
KEY = "reports/q3 \N{POUND SIGN}.csv"
#: A family: four emoji joined by U+200D, zero-width joiners.
FAMILY = "\N{MAN}\u200d\N{WOMAN}\u200d\N{GIRL}\u200d\N{BOY}"


class DisplayPathTests(SynchronousTestCase):
    """L{display_path} shows paths as the FTP user sees them."""

    def test_root(self) -> None:
        """The root is C{/}."""
        self.assertEqual(display_path(()), "/")

    def test_nested(self) -> None:
        """A path is absolute, its segments joined with C{/}."""
        self.assertEqual(display_path(("a", "b c")), "/a/b c")

    def test_characters_kept(self) -> None:
        """
        A ZWJ emoji sequence, a pound sign and double quotes come out as
        they are: only the characters that could end a line are encoded.
        """
        self.assertEqual(
            display_path((FAMILY, '\N{POUND SIGN} "q"')), f'/{FAMILY}/\N{POUND SIGN} "q"'
        )

    def test_lf(self) -> None:
        """A LF in a name is shown as NUL, so the path stays on its line."""
        self.assertEqual(display_path(("a\nb",)), "/a\0b")


class ReplySafeTests(SynchronousTestCase):
    """L{reply_safe} keeps every character but those that would end a reply line."""

    def test_format_characters_kept(self) -> None:
        """Format characters (the joiners of an emoji sequence) are not escaped."""
        self.assertEqual(reply_safe(FAMILY), FAMILY)

    def test_cr(self) -> None:
        """A CR goes as CR NUL (RFC 959, RFC 2640 section 3.1)."""
        self.assertEqual(reply_safe("a\rb"), "a\r\0b")

    def test_lf(self) -> None:
        """A LF goes as NUL, as vsftpd sends it."""
        self.assertEqual(reply_safe("a\nb"), "a\0b")

    def test_crlf(self) -> None:
        """A CRLF inside the text becomes CR NUL NUL: it ends nothing."""
        self.assertEqual(reply_safe("a\r\nb"), "a\r\0\0b")

    def test_nul_kept(self) -> None:
        """A NUL goes as it is: it cannot end a line."""
        self.assertEqual(reply_safe("a\0b"), "a\0b")

    def test_idempotent(self) -> None:
        """Safe text stays as it is, so a safe path can be put in a line made safe again."""
        for text in ("a\rb", "a\nb", "a\r\nb\r", FAMILY):
            self.assertEqual(reply_safe(reply_safe(text)), reply_safe(text))


class ReplyClassTests(SynchronousTestCase):
    """Each reply class answers with its own code."""

    #: The code each class must answer with, from RFC 959 and RFC 2228.
    CODES = {
        replies.LocalError: "451",
        replies.ActionNotTaken: "550",
        replies.FileNameNotAllowed: "553",
        replies.ArgumentSyntaxError: "501",
        replies.NotImplementedForArgument: "504",
        replies.ProtectionLevelRefused: "536",
        replies.TransferAborted: "426",
        replies.CannotOpenDataConnection: "425",
    }

    def test_response_starts_with_code(self) -> None:
        """C{response()} is the class's code, a space, then the text."""
        for cls, code in self.CODES.items():
            self.assertEqual(cls("some text").response(), f"{code} some text")

    def test_ftp_errors(self) -> None:
        """Every reply class is an L{ftp.FTPCmdError}."""
        for cls in self.CODES:
            self.assertTrue(issubclass(cls, ftp.FTPCmdError), cls)

    def test_text_kept(self) -> None:
        """The text is kept as given, percent signs included."""
        self.assertEqual(replies.ActionNotTaken("100% full").response(), "550 100% full")
