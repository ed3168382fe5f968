# -*- test-case-name: tests.test_replies -*-
"""
FTP error replies this server needs beyond Twisted's, and how a path or a
name is written into a reply line without breaking it.

Every class here is an L{FTPCmdError}: raising one anywhere below a command
makes Twisted's protocol send its C{response()} line, so no code path formats
an error reply by hand.
"""

from __future__ import annotations

import re
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


class NotPermitted(_Reply, ftp.PermissionDeniedError):
    """
    550: the user's permissions do not allow this action here; the text
    names the FTP path and the permission missing (or why the action can
    never be allowed).
    """

    code = ftp.RESPONSE[ftp.PERMISSION_DENIED][:3]


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


class ServiceClosing(_Reply):
    """421: the server is shutting down, or closing this connection, and takes nothing new."""

    code = "421"


#: A CR that is not yet followed by the NUL that keeps it from ending a line.
_LONE_CR = re.compile("\r(?!\0)")


def reply_safe(text: str) -> str:
    """
    C{text} made safe to send in one reply line: every character kept as it
    is, but the two that could end the line early.

    RFC 959 (after the Telnet NVT it builds on, and RFC 2640 section 3.1 for
    pathnames) sends a CR that does not end a line as CR NUL. A LF goes as
    NUL, as vsftpd and BSD ftpd send it: no pathname can hold NUL (this
    server refuses one with 553), so a client that undoes the one also
    undoes the other and gets the name back. A NUL therefore goes as it is,
    and so does everything else, format characters such as U+200D (the
    joiner of emoji sequences) included.

    Safe text stays as it is (a CR already followed by NUL is left alone),
    so a path made safe by L{display_path} can go into a reply that is made
    safe again as a whole.
    """
    return _LONE_CR.sub("\r\0", text).replace("\n", "\0")


def display_path(segments: Sequence[str]) -> str:
    """
    The absolute path an FTP user sees for C{segments}, safe to put in a
    reply (see L{reply_safe}): a CR or LF in a name the user typed (a lone
    LF passes Twisted's line splitting) must not start a reply line of its
    own.
    """
    return reply_safe("/" + "/".join(segments))
