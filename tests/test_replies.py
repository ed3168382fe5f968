"""
Tests for L{twisted_ftps3.replies}: FTP error replies, and S3 failures as FTP replies.
"""

from __future__ import annotations

from twisted.protocols import ftp
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3 import replies
from twisted_ftps3.replies import display_path, for_s3_error, reply_safe
from twisted_ftps3.s3.errors import S3Error

PATH = ("reports", "q3 \N{POUND SIGN}.csv")
SHOWN = "/reports/q3 \N{POUND SIGN}.csv"
REQUEST_ID = "4442587FB7D0A2F9"
KEY = "reports/q3 \N{POUND SIGN}.csv"
#: A family: four emoji joined by U+200D, zero-width joiners.
FAMILY = "\N{MAN}\u200d\N{WOMAN}\u200d\N{GIRL}\u200d\N{BOY}"


def s3_error(code: str, status: int | None, message: str = "S3 says no") -> S3Error:
    """An S3 error as the client raises it, with all the internals filled in."""
    return S3Error(code, status, message, request_id=REQUEST_ID, operation="PutObject", key=KEY)


#: Errors of every kind, with S3 internals in them that must not reach the user.
EVERY_KIND = [
    s3_error("NoSuchKey", 404, "The specified key does not exist."),
    s3_error("SignatureDoesNotMatch", 403, "The request signature we calculated does not match"),
    s3_error("AccessDenied", 403, "Access Denied"),
    s3_error("SlowDown", 503, "Please reduce your request rate."),
    s3_error("InternalError", 500, "We encountered an internal error."),
    s3_error("ConnectionError", None, "Connection was refused by other side: 111"),
    s3_error("KeyTooLongError", 400, "Your key is too long"),
]


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


class ForS3ErrorTests(SynchronousTestCase):
    """L{for_s3_error} turns each kind of S3 failure into the right reply."""

    def reply(self, code: str, status: int | None) -> str:
        return for_s3_error(s3_error(code, status), PATH).response()

    def test_not_found_is_file_not_found(self) -> None:
        """A missing key is Twisted's L{ftp.FileNotFoundError}."""
        self.assertIsInstance(for_s3_error(s3_error("NoSuchKey", 404), PATH), ftp.FileNotFoundError)

    def test_not_found_reply(self) -> None:
        """A missing key is a 550 about the path."""
        self.assertEqual(self.reply("NoSuchKey", 404), f"550 {SHOWN}: No such file or directory.")

    def test_not_found_without_code(self) -> None:
        """A 404 is a missing file whatever the code (a HEAD has no error body)."""
        self.assertTrue(self.reply("NotFound", 404).startswith("550 "))

    def test_signature_mismatch(self) -> None:
        """S3 refusing the server's signature is a 451: the server's problem."""
        self.assertTrue(self.reply("SignatureDoesNotMatch", 403).startswith("451 "))

    def test_access_denied(self) -> None:
        """S3 denying access is a 451, not a 550 the user could act on."""
        self.assertTrue(self.reply("AccessDenied", 403).startswith("451 "))

    def test_expired_token(self) -> None:
        """Expired credentials are a 451."""
        self.assertTrue(self.reply("ExpiredToken", 400).startswith("451 "))

    def test_slow_down(self) -> None:
        """Throttling (503 SlowDown) is a 451."""
        self.assertTrue(self.reply("SlowDown", 503).startswith("451 "))

    def test_internal_error(self) -> None:
        """S3 failing (500) is a 451."""
        self.assertTrue(self.reply("InternalError", 500).startswith("451 "))

    def test_unreachable(self) -> None:
        """No response at all (status C{None}) is a 451."""
        self.assertTrue(self.reply("ConnectionError", None).startswith("451 "))

    def test_unknown_client_error(self) -> None:
        """An unforeseen 4xx is a 451 too."""
        self.assertTrue(self.reply("InvalidArgument", 400).startswith("451 "))

    def test_key_too_long(self) -> None:
        """S3 refusing the key as too long is a 553: the name cannot be stored."""
        self.assertTrue(self.reply("KeyTooLongError", 400).startswith("553 "))

    def test_invalid_object_name(self) -> None:
        """S3 refusing the object name is a 553."""
        self.assertTrue(self.reply("InvalidObjectName", 400).startswith("553 "))

    def test_replies_are_ftp_errors(self) -> None:
        """Every reply is an L{ftp.FTPCmdError}, so Twisted's protocol sends it."""
        for error in EVERY_KIND:
            self.assertIsInstance(for_s3_error(error, PATH), ftp.FTPCmdError)

    def test_replies_name_the_path(self) -> None:
        """Every reply names the path as the user sees it."""
        for error in EVERY_KIND:
            self.assertIn(SHOWN, for_s3_error(error, PATH).response())

    def test_replies_one_line(self) -> None:
        """Every reply is a single line."""
        for error in EVERY_KIND:
            response = for_s3_error(error, PATH).response()
            self.assertEqual(response.splitlines(), [response])

    def test_no_s3_internals(self) -> None:
        """No reply shows S3's request id, message, error code or operation."""
        for error in EVERY_KIND:
            response = for_s3_error(error, PATH).response()
            for internal in (REQUEST_ID, error.message, error.code, error.operation, "HTTP"):
                self.assertNotIn(internal, response)


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
