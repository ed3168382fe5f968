# -*- test-case-name: tests.test_paths -*-
"""
The commands that act on names without a data connection, and how a
command's path argument becomes the segments the shell takes.

PWD, CWD, CDUP, MKD, RMD, DELE, RNFR and RNTO, SIZE, MDTM, MLST, STAT of a
path, and MFMT, which is refused. Every command that takes a path (the
transfers and listings too) reads it with L{PathCommands._segments}, which
refuses with 553 a path that holds a control character, or a name that is
C{.} or C{..} once backslashes are read as separators (see
L{twisted_ftps3.objectkeys.check_names}), before the shell is asked; a
path that climbs above the root is not found (550).

The 553 names the path, with each control character shown as its Unicode
control picture (ESC as U+241B), so that the reply stays one line and a
name cannot drive the terminal of the user who reads it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from twisted.internet import defer
from twisted.protocols import ftp

from . import facts
from .listing import LIST_KEYS, list_lines
from .objectkeys import NameNotAllowed, check_names, control_character
from .replies import ActionNotTaken, ArgumentSyntaxError, FileNameNotAllowed, display_path


def visible(text: str) -> str:
    """C{text} with each control character (C0 and DEL) as its Unicode control picture."""
    return "".join(
        chr(0x2400 + ord(c)) if c < " " else "\u2421" if c == "\x7f" else c for c in text
    )


def quoted(segments: list[str]) -> str:
    """The path in a 257 reply: in double quotes, each one inside doubled (RFC 959)."""
    return '"' + display_path(segments).replace('"', '""') + '"'


class PathCommands:
    """
    The name commands of an FTP session.

    A mixin for L{twisted_ftps3.protocol.FTPS3}, which provides the
    attributes declared here (most of them Twisted's C{FTP}'s own).
    """

    shell: Any
    factory: Any
    workingDirectory: list[str]
    state: int
    AUTHED: int
    RENAMING: int
    _facts: tuple[str, ...]

    sendLine: Callable[[str], None]

    # -- paths ------------------------------------------------------------------

    def _listed_directory(self, path: str) -> list[str]:
        """The directory of "LIST -la dir": flags are accepted and ignored."""
        arguments = [word for word in path.split(" ") if word] if path.startswith("-") else [path]
        target = " ".join(word for word in arguments if not word.startswith("-"))
        return self._segments(target, required=False)

    def _segments(self, path: str, *, required: bool = True) -> list[str]:
        """
        The segments of C{path}, from the working directory: 501 if a path
        is required and none is given, 553 for a name that is refused, 550
        for a path above the root.
        """
        if required and not path.strip():
            raise ArgumentSyntaxError("a path is required.")
        # Before resolving: Twisted's toSegments would call a path with NUL
        # invalid, which reads as "not found", and a control character in
        # a segment that a later ".." takes away was still typed.
        reason = control_character(path)
        if reason is not None:
            raise FileNameNotAllowed(f"{visible(path)}: {reason}.")
        try:
            segments = ftp.toSegments(self.workingDirectory, path)
        except ftp.InvalidPath:
            raise ftp.FileNotFoundError(path) from None
        try:
            check_names(segments)
        except NameNotAllowed as e:
            raise FileNameNotAllowed(f"{display_path(segments)}: {e}.") from None
        return segments

    # -- the working directory ----------------------------------------------------

    def ftp_PWD(self) -> None:
        self.sendLine(f"257 {quoted(self.workingDirectory)} is the current directory.")
        return None

    def ftp_CWD(self, path: str) -> defer.Deferred[Any]:
        # A blank path stays where it is, as in Twisted.
        segments = self._segments(path, required=False)

        def entered(_: Any) -> tuple[str]:
            self.workingDirectory = segments
            return (ftp.REQ_FILE_ACTN_COMPLETED_OK,)

        return self.shell.access(segments).addCallback(entered)

    def ftp_CDUP(self) -> Any:
        if not self.workingDirectory:
            return (ftp.REQ_FILE_ACTN_COMPLETED_OK,)
        return self.ftp_CWD("..")

    # -- changes ----------------------------------------------------------------

    def ftp_MKD(self, path: str = "") -> defer.Deferred[Any]:
        segments = self._segments(path)

        def created(_: Any) -> None:
            self.sendLine(f"257 {quoted(segments)} created.")

        return self.shell.makeDirectory(segments).addCallback(created)

    def ftp_RMD(self, path: str = "") -> defer.Deferred[Any]:
        return self.shell.removeDirectory(self._segments(path)).addCallback(
            lambda _: (ftp.REQ_FILE_ACTN_COMPLETED_OK,)
        )

    def ftp_DELE(self, path: str = "") -> defer.Deferred[Any]:
        return self.shell.removeFile(self._segments(path)).addCallback(
            lambda _: (ftp.REQ_FILE_ACTN_COMPLETED_OK,)
        )

    def ftp_RNFR(self, path: str = "") -> Any:
        self._segments(path)
        self._fromName = path
        self.state = self.RENAMING
        return (ftp.REQ_FILE_ACTN_PENDING_FURTHER_INFO,)

    def ftp_RNTO(self, path: str = "") -> Any:
        # The path is optional here only so that a missing one also ends
        # the rename, which the dispatcher's own 501 would not.
        if not hasattr(self, "_fromName"):
            raise ftp.BadCmdSequenceError("RNFR required before RNTO")
        from_path = self._fromName
        self.end_renaming()
        if not path.strip():
            raise ArgumentSyntaxError("a path is required.")
        return self.shell.rename(self._segments(from_path), self._segments(path)).addCallback(
            lambda _: (ftp.REQ_FILE_ACTN_COMPLETED_OK,)
        )

    def end_renaming(self) -> None:
        """Forget the RNFR: the session serves every command again."""
        self.state = self.AUTHED
        del self._fromName

    def ftp_MFMT(self, argument: str) -> None:
        raise ActionNotTaken(
            "Cannot set modification times: S3 sets LastModified itself when an object is written."
        )

    # -- facts --------------------------------------------------------------------

    def ftp_SIZE(self, path: str = "") -> defer.Deferred[Any]:
        return self._file_fact(path, "size", lambda size: str(size))

    def ftp_MDTM(self, path: str = "") -> defer.Deferred[Any]:
        return self._file_fact(
            path, "modified", lambda mtime: time.strftime("%Y%m%d%H%M%S", time.gmtime(mtime))
        )

    def _file_fact(self, path: str, key: str, render: Callable[[Any], str]) -> defer.Deferred[Any]:
        segments = self._segments(path)

        def answer(values: list[Any]) -> tuple[str, str]:
            directory, value = values
            if directory:
                raise ftp.IsADirectoryError(display_path(segments))
            return ftp.FILE_STATUS, render(value)

        return self.shell.stat(segments, ("directory", key)).addCallback(answer)

    def ftp_MLST(self, path: str = "") -> defer.Deferred[Any]:
        segments = self._segments(path, required=False)
        where = display_path(segments)

        def send(attributes: list[Any]) -> None:
            line = facts.entry(where, where, attributes, self._facts)
            self.sendLine(f"250-Listing {where}")
            self.sendLine(" " + line)
            self.sendLine("250 End")

        return self.shell.stat(segments, facts.FACT_KEYS).addCallback(send)

    def stat_path(self, path: str) -> defer.Deferred[Any]:
        """STAT of a path: its listing, over the control connection (213)."""
        segments = self._segments(path)
        d = self.shell.list(segments, LIST_KEYS)

        def send(entries: list[tuple[str, list[Any]]]) -> None:
            now = self.factory.clock.seconds()
            self.sendLine(f"213-Status of {display_path(segments)}:")
            for line in list_lines(entries, now):
                self.sendLine(" " + line)
            self.sendLine("213 End of status")

        return d.addCallback(send)
