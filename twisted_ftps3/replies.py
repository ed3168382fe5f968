# -*- test-case-name: tests.test_replies -*-
"""
FTP error replies this server needs beyond Twisted's, and how a path is
shown in a reply.

Every class here is an L{FTPCmdError}: raising one anywhere below a command
makes Twisted's protocol send its C{response()} line, so no code path formats
an error reply by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

from twisted.protocols import ftp


class _Reply(ftp.FTPCmdError):
    """An error whose reply is its code followed by free text."""

    code = "550"

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def response(self) -> str:
        return f"{self.code} {self.text}"


class LocalError(_Reply):
    """451: the server could not do it now (S3 failed or is unreachable)."""

    code = "451"


class ActionNotTaken(_Reply):
    """550: the request is understood but refused, with the reason given."""

    code = "550"


class FileNameNotAllowed(_Reply):
    """553: the name cannot be stored (too long, reserved, not representable)."""

    code = "553"


class ArgumentSyntaxError(_Reply):
    """501: the argument cannot be used as it is."""

    code = "501"


class NotImplementedForArgument(_Reply):
    """504: the command exists, but not with that argument."""

    code = "504"


class ProtectionLevelRefused(_Reply):
    """536: the data protection level asked for is not served here."""

    code = "536"


class InvalidRestart(_Reply):
    """554: the REST offset cannot be used for this file (RFC 3659 5.3)."""

    code = "554"


class LoginRefused(_Reply):
    """530: not logged in, or not allowed to log in this way."""

    code = "530"


class ProtectionRequired(_Reply):
    """521: a data connection needs PROT P first (RFC 4217 section 9)."""

    code = "521"


class PolicyRefused(_Reply):
    """534: refused for policy reasons (RFC 4217), such as CCC."""

    code = "534"


class TransferAborted(_Reply):
    """426: the data connection broke or was closed before the end."""

    code = "426"


class CannotOpenDataConnection(_Reply):
    """425: no data connection could be set up."""

    code = "425"


def display_path(segments: Sequence[str]) -> str:
    """
    The absolute path an FTP user sees for C{segments}, safe to put in a
    reply: a control character in a name the user typed (a lone LF passes
    Twisted's line splitting) must not start a reply line of its own.
    """
    path = "/" + "/".join(segments)
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in path)
