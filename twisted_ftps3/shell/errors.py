# -*- test-case-name: tests.test_shell_errors -*-
"""
The one place where a storage failure, or a name storage cannot hold,
becomes the FTP reply the client sees.

The shell wraps every operation and every transfer in L{ftp_replies}, so an
L{S3Error} never travels above the shell: the FTP protocol meets only
C{ftp.FTPCmdError}s, which render their own reply line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from twisted.protocols import ftp

from ..objectkeys import NameNotAllowed
from ..replies import FileNameNotAllowed, LocalError, display_path
from ..s3.errors import S3Error

_ACCESS_CODES = frozenset(
    {
        "AccessDenied",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
        "AllAccessDisabled",
    }
)
_NAME_CODES = frozenset({"KeyTooLongError", "InvalidObjectName"})


def for_s3_error(error: S3Error, segments: Sequence[str]) -> ftp.FTPCmdError:
    """
    The FTP reply for an S3 failure while working on C{segments}.

    A missing key is the user's business (550). Everything else — S3
    refusing our credentials, throttling, failing, or being unreachable — is
    the server's problem and not something the user can fix by retyping the
    command, so it is a 451 that says S3 failed, without S3's internals; the
    log has those, with the request id.
    """
    path = display_path(segments)
    if error.not_found:
        return ftp.FileNotFoundError(path)
    if error.code in _NAME_CODES:
        return FileNameNotAllowed(f"{path}: name not allowed by the storage")
    if error.code in _ACCESS_CODES:
        return LocalError(f"{path}: storage refused the server's credentials; try again later")
    return LocalError(f"{path}: storage unavailable; try again later")


def for_refused_name(error: NameNotAllowed, segments: Sequence[str]) -> FileNameNotAllowed:
    """The 553 for a path the key map refuses, naming the path and why."""
    return FileNameNotAllowed(f"{display_path(segments)}: {error}")


@contextmanager
def ftp_replies(segments: Sequence[str]) -> Iterator[None]:
    """
    Turn an L{S3Error} or a L{NameNotAllowed} raised in the body into the
    FTP reply about C{segments}; let everything else through.
    """
    try:
        yield
    except S3Error as e:
        raise for_s3_error(e, segments) from e
    except NameNotAllowed as e:
        raise for_refused_name(e, segments) from e
