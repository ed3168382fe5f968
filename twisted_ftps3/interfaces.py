# -*- test-case-name: tests.test_shell,tests.test_protocol -*-
"""
What the FTP protocol asks of a file being transferred, and of a listing
being sent, without knowing where files live.

The protocol drives a transfer through these interfaces only. The shell
implements them over the object store, and it alone turns a storage failure
into the FTP reply the client sees, so the protocol never meets an S3 error.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.interfaces import IConsumer
from twisted.protocols.ftp import IReadFile, IWriteFile
from zope.interface import Attribute, Interface

#: One entry of a listing: its name, and its attributes in the order asked.
Entry = tuple[str, list[Any]]


class IDownload(IReadFile):
    """
    A file to send over a data connection (RETR), from any byte on: the
    one C{openForReading(path, offset)} opened at that offset, which is
    sent from it, or closed unsent.
    """

    size = Attribute("The file's length in bytes, as an int.")

    def send_from(consumer, offset):  # type: ignore[no-untyped-def]
        """
        Write the file from byte C{offset} into C{consumer}, as a streaming
        producer. Fire with the number of bytes written, or fail with an
        C{ftp.FTPCmdError} that says what went wrong in the client's terms.
        """

    def close():  # type: ignore[no-untyped-def]
        """
        Let go of what storage holds for the file (the answer that came
        with its size) if it was never sent: the transfer ended before it
        could start. Harmless once the file was sent.
        """


class ISequenceConsumer(IConsumer):
    """
    A consumer that also takes several chunks in one call: an upload's
    consumer, given the TLS records of one read of its data connection
    together rather than one call each.
    """

    def writeSequence(data):  # type: ignore[no-untyped-def]
        """Take each of the C{bytes} in the list C{data}, in order, as C{write} would."""


class IUpload(IWriteFile):
    """
    A file being received over a data connection (STOR, APPE, REST+STOR).

    C{receive()} gives the consumer the data connection writes into;
    C{close()} commits what arrived, once every byte is in and the client
    closed cleanly; L{abort} throws it away. Either fails with an
    C{ftp.FTPCmdError} when storage fails.
    """

    bytes_received = Attribute("How many bytes the consumer has taken so far, as an int.")

    def storage_error():  # type: ignore[no-untyped-def]
        """
        The C{ftp.FTPCmdError} for a storage failure that has already ended
        this upload early (S3 refused a part, say), or C{None}. The protocol
        asks when the data connection breaks, so that the client is told the
        real cause rather than a lost connection.
        """

    def abort(reason):  # type: ignore[no-untyped-def]
        """
        Abandon the upload so that storage keeps nothing of it; C{reason} is
        logged. Fire with C{None} once storage has let go.
        """


class IListingShell(Interface):
    """
    A shell that lists a directory a page at a time, so that LIST, NLST
    and MLSD send each page of the store's listing as it arrives and hold
    no more of a large directory than a page or two.
    """

    def list_pages(path, keys):  # type: ignore[no-untyped-def]
        """
        What C{IFTPShell.list(path, keys)} gives, as an asynchronous
        iterator of lists of C{(name, attributes)}: one list per page of
        the store's listing, each asked of the store only when the caller
        asks for it. A refusal (no such directory, not permitted) is raised
        by the first step; a storage failure by the step that met it; each
        as an C{ftp.FTPCmdError}.
        """
