# -*- test-case-name: tests.test_s3_sweeper -*-
"""
The sweeper: abort the multipart uploads that were abandoned in the bucket.

A process killed with SIGKILL, a crash or a lost machine leaves its
multipart uploads open, and nothing else of this server will ever abort
them. L{AbandonedUploadSweeper} lists every upload in progress under the
server's prefix (every page of ListMultipartUploads) at start-up and then
periodically, and aborts those begun longer ago than a threshold: a day by
default, so that an upload another instance is still sending is never
touched. Uploads of this process are skipped however old they are, and an
upload whose start S3 did not report is never taken for abandoned.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection
from dataclasses import dataclass

from twisted.application.service import Service
from twisted.internet.defer import CancelledError, Deferred, ensureDeferred
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from .bounded import STOP_WAIT, within
from .errors import S3Error
from .interfaces import IObjectStore
from .multipart import abort_quietly
from .objects import MultipartUploadEntry, follow_upload_pages

__all__ = ["AbandonedUploadSweeper", "SweepSummary"]

log = Logger()


@dataclass
class SweepSummary:
    """What one sweep found and did."""

    #: Uploads listed under the prefix.
    listed: int = 0
    #: Old enough, not ours, and aborted (or handed to the abort retrier).
    aborted: int = 0
    #: Uploads of this process, left alone.
    ours: int = 0
    #: Uploads too young (or of unknown age) to be abandoned.
    young: int = 0
    #: Whether the listing itself failed part way.
    failed: bool = False


class AbandonedUploadSweeper(Service):
    """
    Aborts the abandoned multipart uploads under C{prefix}, at start-up and
    every C{interval} seconds after.

    @param older_than: the age in seconds from which an upload counts as
        abandoned (C{AWS_S3_ABANDONED_UPLOAD_SECONDS}).
    @param in_progress: the upload ids of this process, never aborted
        (L{twisted_ftps3.s3.upload.UploadRegistry.upload_ids}).
    @param prefix: the part of the bucket this server owns; C{""}, the
        whole bucket, until users have homes of their own.
    """

    def __init__(
        self,
        store: IObjectStore,
        clock: IReactorTime,
        *,
        older_than: float,
        interval: float,
        in_progress: Callable[[], Collection[str]] = frozenset,
        prefix: str = "",
    ) -> None:
        self._store = store
        self._clock = clock
        self._older_than = older_than
        self._interval = interval
        self._in_progress = in_progress
        self._prefix = prefix
        self._loop: LoopingCall | None = None
        self._sweeping: Deferred[SweepSummary] | None = None
        self._stopping = False

    def startService(self) -> None:
        """Sweep now, and every C{interval} seconds from the end of each sweep."""
        super().startService()
        self._stopping = False
        self._loop = LoopingCall(self.sweep)
        self._loop.clock = self._clock
        self._loop.start(self._interval, now=True)

    def stopService(self) -> Deferred[None]:
        """
        Stop sweeping; fire once a sweep under way has stopped after the S3
        call it is waiting for, or has been cut off after L{STOP_WAIT}
        seconds.
        """
        super().stopService()
        self._stopping = True
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._loop = None
        return within(self._sweeping, STOP_WAIT, self._clock)

    def sweep(self) -> Deferred[SweepSummary]:
        """Sweep once; fire with what was found. It never fails."""
        d = self._sweeping = ensureDeferred(self._sweep())

        def done(summary: SweepSummary) -> SweepSummary:
            self._sweeping = None
            return summary

        return d.addCallback(done)

    async def _sweep(self) -> SweepSummary:
        summary = SweepSummary()
        now = datetime.datetime.fromtimestamp(self._clock.seconds(), tz=datetime.timezone.utc)
        cutoff = now - datetime.timedelta(seconds=self._older_than)
        try:
            pages = follow_upload_pages(self._store.list_multipart_upload_page, self._prefix)
            async for page in pages:
                for upload in page.uploads:
                    if self._stopping:
                        break
                    summary.listed += 1
                    await self._consider(upload, cutoff, summary)
                if self._stopping:
                    break
        except S3Error as e:
            summary.failed = True
            log.warn(
                "the sweep for abandoned multipart uploads could not list them: {code}"
                " (HTTP {status}) [request id {request_id}]; it is tried again in {interval} s",
                code=e.code,
                status=e.status,
                request_id=e.request_id,
                interval=self._interval,
            )
        except CancelledError:
            summary.failed = True
            log.info("the sweep for abandoned multipart uploads was cut off by the shutdown")
        except Exception:
            summary.failed = True
            log.failure("the sweep for abandoned multipart uploads failed")
        log.info(
            "swept for abandoned multipart uploads under {prefix!r}: {listed} listed,"
            " {aborted} aborted (begun before {cutoff}), {young} younger, {ours} of this"
            " process",
            prefix=self._prefix,
            listed=summary.listed,
            aborted=summary.aborted,
            cutoff=cutoff.isoformat(timespec="seconds"),
            young=summary.young,
            ours=summary.ours,
        )
        return summary

    async def _consider(
        self, upload: MultipartUploadEntry, cutoff: datetime.datetime, summary: SweepSummary
    ) -> None:
        """Abort C{upload} if it is abandoned; count it either way."""
        # Asked for each upload, as uploads of this process start while a
        # long listing goes on.
        if upload.upload_id in self._in_progress():
            summary.ours += 1
            return
        if upload.initiated is None or upload.initiated >= cutoff:
            summary.young += 1
            return
        summary.aborted += 1
        log.info(
            "aborting abandoned multipart upload {upload_id} of {key}, begun {initiated}",
            upload_id=upload.upload_id,
            key=upload.key,
            initiated=upload.initiated.isoformat(timespec="seconds"),
        )
        await abort_quietly(self._store, upload.key, upload.upload_id)
