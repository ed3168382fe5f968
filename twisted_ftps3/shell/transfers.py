# -*- test-case-name: tests.test_shell -*-
"""
A file in transfer, as the FTP protocol sees it: L{S3ReadFile} is an
L{IDownload} (RETR), L{S3WriteFile} an L{IUpload} (STOR, APPE).

They are the only things the protocol holds while bytes move. Each turns
the object store's failures into FTP replies through
L{twisted_ftps3.shell.errors}, so the protocol never learns that the bytes
live in S3.
"""

from __future__ import annotations

from collections.abc import Sequence

from twisted.internet.defer import Deferred, ensureDeferred, succeed
from twisted.internet.interfaces import IConsumer
from twisted.protocols import ftp
from zope.interface import implementer

from ..interfaces import IDownload, IUpload
from ..s3.errors import S3Error
from ..s3.interfaces import IObjectBody, IObjectStore
from ..s3.upload import MultipartWriter, UploadRegistry
from .errors import for_s3_error, ftp_replies


@implementer(IDownload)
class S3ReadFile:
    """
    One object, opened: S3 has answered its GET, and the body waits,
    paused, for the data connection.

    It is sent from the byte it was opened at; asked for another, it lets
    that body go and asks S3 again.

    @ivar size: the whole object's length in bytes, as the GET's answer
        gave it.
    """

    _sent = False

    def __init__(self, store: IObjectStore, body: IObjectBody, path: Sequence[str]) -> None:
        self._store = store
        self._body = body
        self._path = tuple(path)
        self.size = body.info.size

    def send(self, consumer: IConsumer) -> Deferred[int]:
        """Stream the object into C{consumer}; fire with the byte count."""
        return self.send_from(consumer, 0)

    def send_from(self, consumer: IConsumer, offset: int) -> Deferred[int]:
        """Stream the object from byte C{offset} on."""

        async def run() -> int:
            with ftp_replies(self._path):
                if self._sent or self._body.first_byte != offset:
                    self._body.discard()
                    self._body = await self._store.open_object(self._body.info.key, offset)
                self._sent = True
                return await self._body.stream_into(consumer)

        return ensureDeferred(run())

    def close(self) -> None:
        """Let the body go if it was never sent, so that its connection is given back."""
        self._body.discard()


@implementer(IUpload)
class S3WriteFile:
    """
    An upload in progress: the writer receives, L{close} commits.

    It is registered with C{uploads} from the moment it is made until it is
    closed or aborted, so that a shutdown can abort it.
    """

    def __init__(
        self, writer: MultipartWriter, path: Sequence[str], uploads: UploadRegistry
    ) -> None:
        self._writer = writer
        self._path = tuple(path)
        self._uploads = uploads
        uploads.add(writer)

    @property
    def bytes_received(self) -> int:
        """How many bytes the data connection has written so far."""
        return self._writer.bytes_received

    async def start_with(self, key: str, size: int) -> None:
        """
        Begin with the C{size} bytes of the object C{key} (APPE, REST+STOR);
        on failure the upload is aborted and the error raised as an FTP reply.
        """
        try:
            with ftp_replies(self._path):
                await self._writer.start_with(key, size)
        except BaseException:
            await self.abort("could not start from the existing object")
            raise

    def receive(self) -> Deferred[MultipartWriter]:
        return succeed(self._writer)

    def storage_error(self) -> ftp.FTPCmdError | None:
        """The reply for the S3 failure that ended the upload early, if one did."""
        failure = self._writer.failure
        if failure is not None and failure.check(S3Error):
            return for_s3_error(failure.value, self._path)
        return None

    def close(self) -> Deferred[None]:
        """Make the object visible: every byte arrived and the client closed cleanly."""

        async def run() -> None:
            try:
                with ftp_replies(self._path):
                    await self._writer.finish()
            finally:
                self._uploads.discard(self._writer)

        return ensureDeferred(run())

    def abort(self, reason: str) -> Deferred[None]:
        """Abandon the upload; S3 keeps nothing of it."""

        async def run() -> None:
            try:
                await self._writer.abort(reason)
            finally:
                self._uploads.discard(self._writer)

        return ensureDeferred(run())
