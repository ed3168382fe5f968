# -*- test-case-name: tests.test_transfers,tests.test_integration -*-
"""
Transfers: the commands that move bytes over a data connection, from start
to end.

RETR, STOR, APPE, LIST, NLST and MLSD each run as one transfer: it waits for
the data connection, says 150 (or 125), moves the bytes, and ends with 226,
or 426 when the data connection broke. While it runs the idle timeout is off
and the control connection is read, so that ABOR can stop it and a vanished
client is noticed; when it ends the passive port goes back to the pool.

Files are driven only through L{IDownload} and L{IUpload}: where the bytes
come from or go to, and what a storage failure means to the client, is the
shell's business. Listings go out a page of S3's listing at a time, at the
client's pace (L{twisted_ftps3.paging}).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, TypeVar

from twisted.internet import defer
from twisted.logger import Logger
from twisted.protocols import ftp
from twisted.python.failure import Failure

from . import facts
from .data import DataChannel
from .interfaces import Entry, IDownload, IUpload
from .listing import LIST_KEYS, list_lines
from .paging import listing_pages, send_pages
from .replies import (
    ArgumentSyntaxError,
    CannotOpenDataConnection,
    InvalidRestart,
    TransferAborted,
    display_path,
)

if TYPE_CHECKING:
    from .protocol import FTPS3Factory

log = Logger()
T = TypeVar("T")

Run = Callable[[Sequence[str], DataChannel], Awaitable[tuple[str]]]


class Transfers:
    """
    The transfer half of an FTP session.

    A mixin for L{twisted_ftps3.protocol.FTPS3}, which provides the
    attributes declared here (most of them Twisted's C{FTP}'s own); the
    data connection itself comes from L{twisted_ftps3.passive.PassiveMode}.
    """

    factory: FTPS3Factory
    shell: Any
    transport: Any
    dtpFactory: Any
    dtpInstance: DataChannel | None
    disconnected: bool
    client_address: str
    user: str | None
    _facts: tuple[str, ...]
    _restart = 0
    _current_transfer: defer.Deferred[Any] | None = None
    _upload: IUpload | None = None

    sendLine: Callable[[str], None]
    reply: Callable[..., None]
    setTimeout: Callable[[float | None], Any]
    callLater: Callable[..., Any]
    resumeProducing: Callable[[], None]
    cleanupDTP: Callable[[], None]
    data_connection: Callable[[], defer.Deferred[DataChannel]]
    stop_waiting: Callable[[Exception], None]
    _segments: Callable[..., list[str]]
    _listed_directory: Callable[[str], list[str]]

    # -- commands that set a transfer up ------------------------------------------

    def ftp_REST(self, offset: str) -> Any:
        if not offset.strip().isascii() or not offset.strip().isdigit():
            # ASCII digits only: str.isdigit() alone takes digits int()
            # refuses, like "²".
            raise ArgumentSyntaxError("REST needs a byte offset.")
        self._restart = int(offset.strip())
        self.sendLine(f"350 Restarting at {self._restart}. Send RETR to resume a download.")
        return None

    def ftp_ALLO(self, size: str) -> tuple[str]:
        # Storage is allocated as the bytes arrive; nothing to reserve.
        return (ftp.CMD_NOT_IMPLMNTD_SUPERFLUOUS,)

    # -- the transfers ------------------------------------------------------------

    def ftp_RETR(self, path: str = "") -> defer.Deferred[Any]:
        return self._transfer(self._segments(path), self._retrieve)

    def ftp_STOR(self, path: str = "") -> defer.Deferred[Any]:
        return self._transfer(self._segments(path), self._store)

    def ftp_APPE(self, path: str = "") -> defer.Deferred[Any]:
        return self._transfer(self._segments(path), self._append)

    def ftp_LIST(self, path: str = "") -> defer.Deferred[Any]:
        return self._transfer(self._listed_directory(path), self._long_listing)

    def ftp_NLST(self, path: str = "") -> defer.Deferred[Any]:
        return self._transfer(self._listed_directory(path), self._name_listing)

    def ftp_MLSD(self, path: str = "") -> defer.Deferred[Any]:
        return self._transfer(self._segments(path, required=False), self._machine_listing)

    def ftp_ABOR(self) -> None:
        self.sendLine("225 No transfer to abort.")

    # -- running one ----------------------------------------------------------------

    def _transfer(self, segments: Sequence[str], run: Run) -> defer.Deferred[Any]:
        """
        Run a transfer on the data connection, once it is there: the idle
        timeout is off while it runs, and the passive port goes back to the
        pool when it ends.
        """
        if self.dtpFactory is None:
            raise CannotOpenDataConnection("no data connection; send PASV first.")
        self.setTimeout(None)

        async def start() -> tuple[str]:
            channel = await self.data_connection()
            # Until the 150, the client waits on the server, not the other way round.
            channel.server_busy()
            return await run(segments, channel)

        d = defer.ensureDeferred(start())
        d.addBoth(self._transfer_finished)
        if not d.called:
            self._current_transfer = d
            # A shutdown lets it finish, for a while.
            self.factory.drain.track(d)
            # The session stops reading the control connection until a
            # command ends (FTPS3._run); reading it during the transfer is
            # what lets ABOR in, and lets a vanished client be noticed. The
            # resume must wait for the line to be handled (LineReceiver
            # cannot resume inside it).
            self.callLater(0, self._read_during_transfer)
        return d

    def _read_during_transfer(self) -> None:
        if self._current_transfer is not None and not self.disconnected:
            self.resumeProducing()

    def during_transfer(self, command: str) -> None:
        """
        Answer a command that arrives while a transfer runs: ABOR stops the
        transfer (426 for it, then 226 for ABOR, as RFC 959 orders); NOOP
        and STAT say the transfer goes on; anything else must wait.
        """
        if command == "ABOR":
            transfer = self._current_transfer
            assert transfer is not None
            channel = self.dtpInstance
            if channel is not None and channel.isConnected:
                channel.transport.abortConnection()
            self.stop_waiting(TransferAborted("aborted before the data connection was made."))
            log.info("{client} aborted a transfer", client=self.client_address)

            def aborted(result: Any) -> Any:
                self.sendLine("226 ABOR successful; the transfer was stopped.")
                return result

            # The transfer's own reply was added to this Deferred first, so
            # the 426 goes out before this 226.
            transfer.addBoth(aborted)
        elif command in ("NOOP", "STAT"):
            self.sendLine("200 A transfer is in progress.")
        else:
            self.sendLine(f"503 {command}: wait for the transfer to end, or send ABOR.")

    def _transfer_finished(self, result: Any) -> Any:
        self._current_transfer = None
        channel = self.dtpInstance
        if isinstance(result, Failure) and channel is not None and channel.refusal is not None:
            result = channel.refusal
        if isinstance(result, Failure) and channel is not None and channel.isConnected:
            # A failed transfer must not look finished to the client: a
            # clean close would end a download as if it were complete.
            channel.transport.abortConnection()
        if self.transport is not None:
            self.setTimeout(self.factory.timeOut)
        self._restart = 0
        self.cleanupDTP()
        return result

    def abandon_upload(self, reason: str) -> None:
        """Abort the upload in progress, if any, so that storage keeps nothing of it."""
        upload, self._upload = self._upload, None
        if upload is not None:
            upload.abort(reason)

    def _start_reply(self, channel: DataChannel) -> None:
        channel.server_ready()
        if channel.isConnected:
            self.reply(ftp.DATA_CNX_ALREADY_OPEN_START_XFR)
        else:
            self.reply(ftp.FILE_STATUS_OK_OPEN_DATA_CNX)

    # -- downloads ------------------------------------------------------------------

    async def _retrieve(self, segments: Sequence[str], channel: DataChannel) -> tuple[str]:
        started = self.factory.clock.seconds()
        offset = self._restart
        # One request to S3: the file is opened from the offset, and what
        # S3 answered waits for the data connection; closed unsent if the
        # transfer ends first.
        source: IDownload = await self.shell.openForReading(segments, offset)
        try:
            if offset > source.size:
                raise InvalidRestart(
                    f"REST {offset} is past the end of {display_path(segments)}"
                    f" ({source.size} bytes)."
                )
            if channel.lost is not None:
                raise TransferAborted("data connection closed before the transfer began.")
            self._start_reply(channel)
            # TYPE A is accepted but bytes go as stored, as vsftpd does by
            # default: rewriting line ends would make SIZE and REST lie.
            sending = (
                source.send_from(channel, offset) if offset < source.size else defer.succeed(0)
            )
            sent = await self._send_and_close(channel, sending)
        finally:
            source.close()
        self._log_transfer("RETR", segments, sent, started)
        return (ftp.TXFR_COMPLETE_OK,)

    # -- uploads --------------------------------------------------------------------

    async def _append(self, segments: Sequence[str], channel: DataChannel) -> tuple[str]:
        return await self._store(segments, channel, append=True)

    async def _store(
        self, segments: Sequence[str], channel: DataChannel, *, append: bool = False
    ) -> tuple[str]:
        started = self.factory.clock.seconds()
        target: IUpload
        if append or self._restart:
            offset = None if append else self._restart
            target = await self.shell.openForAppending(segments, offset)
        else:
            target = await self.shell.openForWriting(segments)
        consumer = await target.receive()
        self._upload = target
        try:
            self._start_reply(channel)
            try:
                await channel.registerConsumer(consumer)
            except Exception as e:
                await self._cut_short(target, e)
            if self._upload is None:
                raise TransferAborted("control connection lost; nothing was stored.")
            await target.close()
        finally:
            self._upload = None
        self._log_transfer("STOR", segments, target.bytes_received, started)
        return (ftp.TXFR_COMPLETE_OK,)

    async def _cut_short(self, target: IUpload, reason: Exception) -> None:
        """
        The data connection of an upload broke: throw the upload away, and
        fail with the storage failure that caused it, if one did, else 426.
        """
        log.info(
            "upload from {client} cut short after {size} bytes: {reason}",
            client=self.client_address,
            size=target.bytes_received,
            reason=reason,
        )
        storage_error = target.storage_error()
        await target.abort(f"data connection lost: {reason}")
        if storage_error is not None:
            raise storage_error from None
        raise TransferAborted(
            "data connection closed before the end; nothing was stored."
        ) from None

    # -- listings -------------------------------------------------------------------

    async def _long_listing(self, segments: Sequence[str], channel: DataChannel) -> tuple[str]:
        now = self.factory.clock.seconds()
        return await self._send_listing(
            segments, channel, LIST_KEYS, lambda page: list_lines(page, now)
        )

    async def _name_listing(self, segments: Sequence[str], channel: DataChannel) -> tuple[str]:
        return await self._send_listing(segments, channel, (), lambda page: (n for n, _ in page))

    async def _machine_listing(self, segments: Sequence[str], channel: DataChannel) -> tuple[str]:
        [directory] = await self.shell.stat(segments, ("directory",))
        # MLSD lists directories only (RFC 3659 7.1); a file is an error.
        if not directory:
            raise ftp.IsNotADirectoryError(display_path(segments))
        base = display_path(segments).rstrip("/")
        return await self._send_listing(
            segments, channel, facts.FACT_KEYS, lambda page: facts.entries(page, base, self._facts)
        )

    async def _send_listing(
        self,
        segments: Sequence[str],
        channel: DataChannel,
        keys: Sequence[str],
        render: Callable[[list[Entry]], Iterable[str]],
    ) -> tuple[str]:
        """
        Send the listing of C{segments} a page at a time, as S3 gives them
        and the client takes them (L{send_pages}).

        A refusal, or a failure of the first page, is the reply, before
        any 150. A failure of a later page is the reply too, and the data
        connection is aborted, not closed, so that the client cannot take
        what it received for the whole listing. Then 226 if the client took
        it all, 426 if not.
        """
        async with aclosing(listing_pages(self.shell, segments, keys)) as pages:
            first = await anext(pages, [])
            self._start_reply(channel)
            sending = send_pages(channel, first, pages, render)
            del first  # send_pages lets it go once it is sent
            await self._send_and_close(channel, sending)
        return (ftp.TXFR_COMPLETE_OK,)

    async def _send_and_close(self, channel: DataChannel, sending: Awaitable[T]) -> T:
        """
        Wait for C{sending} to write what goes out on C{channel}, then close
        it: a failure once the client has gone is a 426, as is a close that
        fails; any other failure is the reply.
        """
        try:
            result = await sending
        except ftp.FTPCmdError:
            if channel.lost is not None:
                raise TransferAborted("data connection closed by the client.") from None
            raise
        try:
            await channel.close()
        except Exception:
            self._data_connection_failed(Failure())
        return result

    # -- telling what happened ----------------------------------------------------

    def _data_connection_failed(self, failure: Failure) -> None:
        log.info(
            "data connection from {client} failed: {reason}",
            client=self.client_address,
            reason=failure.getErrorMessage(),
        )
        raise TransferAborted("data connection failed before the transfer completed.")

    def _log_transfer(
        self, command: str, segments: Sequence[str], size: int, started: float
    ) -> None:
        log.info(
            "{command} {path} by {user} from {client}: {size} bytes in {duration:.3f}s",
            command=command,
            path=display_path(segments),
            user=self.user,
            client=self.client_address,
            size=size,
            duration=self.factory.clock.seconds() - started,
        )
