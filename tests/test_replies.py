"""
Tests for L{twisted_ftps3.replies}: FTP error replies, and paths as replies show them.
"""

from __future__ import annotations

from twisted.protocols import ftp
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3 import replies
from twisted_ftps3.replies import display_path


class DisplayPathTests(SynchronousTestCase):
    """L{display_path} shows paths as the FTP user sees them."""

    def test_root(self) -> None:
        """The root is C{/}."""
        self.assertEqual(display_path(()), "/")

    def test_nested(self) -> None:
        """A path is absolute, its segments joined with C{/}."""
        self.assertEqual(display_path(("a", "b c")), "/a/b c")


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
