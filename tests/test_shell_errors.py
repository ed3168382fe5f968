"""
Tests for L{twisted_ftps3.shell.errors}: S3 failures and refused names as FTP replies.
"""

from __future__ import annotations

from twisted.protocols import ftp
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.objectkeys import NameNotAllowed
from twisted_ftps3.replies import FileNameNotAllowed
from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.shell.errors import for_refused_name, for_s3_error, ftp_replies

PATH = ("reports", "q3 \N{POUND SIGN}.csv")
SHOWN = "/reports/q3 \N{POUND SIGN}.csv"
REQUEST_ID = "4442587FB7D0A2F9"
KEY = "reports/q3 \N{POUND SIGN}.csv"


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


class ForRefusedNameTests(SynchronousTestCase):
    """L{for_refused_name} turns a name the key map refuses into a 553."""

    def test_file_name_not_allowed(self) -> None:
        """A refused name is a 553 that names the path and says why."""
        reply = for_refused_name(NameNotAllowed("names may not contain NUL, CR or LF"), PATH)
        self.assertIsInstance(reply, FileNameNotAllowed)
        self.assertEqual(reply.response(), f"553 {SHOWN}: names may not contain NUL, CR or LF")


class FTPRepliesTests(SynchronousTestCase):
    """L{ftp_replies} is the one translation every shell operation runs inside."""

    def raised(self, error: Exception) -> Exception:
        """What leaves an C{ftp_replies(PATH)} block whose body raises C{error}."""
        with self.assertRaises(Exception) as caught, ftp_replies(PATH):
            raise error
        return caught.exception

    def test_s3_error(self) -> None:
        """An S3 error leaves as the reply L{for_s3_error} gives, the S3 error as its cause."""
        error = s3_error("SlowDown", 503)
        raised = self.raised(error)
        self.assertEqual(raised.response(), for_s3_error(error, PATH).response())
        self.assertIs(raised.__cause__, error)

    def test_refused_name(self) -> None:
        """A refused name leaves as a 553, never as a 550."""
        raised = self.raised(NameNotAllowed("the name '.dir' is reserved for directory markers"))
        self.assertIsInstance(raised, FileNameNotAllowed)
        self.assertTrue(raised.response().startswith("553 "), raised.response())

    def test_ftp_error_untouched(self) -> None:
        """An FTP reply raised in the body leaves as it is."""
        error = ftp.IsADirectoryError("/d")
        self.assertIs(self.raised(error), error)

    def test_other_errors_untouched(self) -> None:
        """Any other exception is no storage failure and leaves as it is."""
        error = ValueError("a bug")
        self.assertIs(self.raised(error), error)

    def test_nothing_raised(self) -> None:
        """A body that succeeds is not disturbed."""
        with ftp_replies(PATH):
            done = True
        self.assertTrue(done)
