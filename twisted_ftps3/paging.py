# -*- test-case-name: tests.test_paging,tests.test_transfers -*-
"""
A listing sent over its data connection a page at a time, at the pace the
client reads it.

S3 lists a directory a thousand keys at a time. LIST, NLST and MLSD write
each page's lines as soon as the page arrives, and ask S3 for the next page
only while the data connection takes more: L{Pacing} is the producer the
connection's transport pauses when its buffers are full (a slow client, or
one whose TLS handshake is not over yet), and resumes when they have
drained. So a listing holds a page or two in memory however large the
directory is, and a client that stops reading stops the listing, instead
of the server reading the whole directory into its buffers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import aclosing
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IConsumer, IPushProducer
from zope.interface import implementer

from .interfaces import Entry, IListingShell
from .replies import TransferAborted


async def listing_pages(
    shell: Any, path: Sequence[str], keys: Sequence[str]
) -> AsyncIterator[list[Entry]]:
    """
    The entries of C{path} a page at a time, from a shell that can list
    that way (L{IListingShell}); from any other C{IFTPShell}, its whole
    C{list} as one page.
    """
    streamed = IListingShell(shell, None)
    if streamed is not None:
        async with aclosing(streamed.list_pages(path, keys)) as pages:
            async for page in pages:
                yield page
    else:
        yield await shell.list(path, keys)


@implementer(IPushProducer)
class Pacing:
    """
    The producer of a listing: paused while the data connection holds as
    much as it will buffer, stopped when the connection goes away.
    """

    def __init__(self) -> None:
        self.paused = False
        self.stopped = False
        self._waiting: Deferred[None] | None = None

    def pauseProducing(self) -> None:
        self.paused = True

    def resumeProducing(self) -> None:
        self.paused = False
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            waiting.callback(None)

    def stopProducing(self) -> None:
        self.stopped = True
        self.resumeProducing()

    def check(self) -> None:
        """Raise L{TransferAborted} if the connection has gone away."""
        if self.stopped:
            raise TransferAborted("data connection closed before the listing was sent.")

    async def wait(self) -> None:
        """Return once the connection takes more; L{check} then."""
        while self.paused and not self.stopped:
            self._waiting = Deferred()
            await self._waiting
        self.check()


def encoded(lines: Iterable[str]) -> bytes:
    """C{lines} as they go over the wire: UTF-8, each ended by CRLF."""
    # One encode for the page rather than one per line and per CRLF: a page
    # is up to a thousand lines, and every session listing it renders it.
    every = list(lines)
    return ("\r\n".join(every) + "\r\n").encode("utf-8") if every else b""


async def send_pages(
    consumer: IConsumer,
    first: list[Entry],
    rest: AsyncIterator[list[Entry]],
    render: Callable[[list[Entry]], Iterable[str]],
) -> int:
    """
    Write the lines C{render} makes of the page C{first}, then of each page
    of C{rest}, asking C{rest} for a page only while C{consumer} (the data
    connection) is not paused; one write per page. Return how many entries
    were sent; raise L{TransferAborted} if the connection went away.

    The producer stays registered if a page fails or the connection goes:
    unregistering would close the connection cleanly, and a listing cut
    short must not look complete to the client.
    """
    pacing = Pacing()
    consumer.registerProducer(pacing, True)
    sent = 0
    page: list[Entry] | None = first
    # Each page is let go once it is on the wire, before the waits on the
    # client and on S3: a burst of sessions would otherwise hold every page
    # for as long as its slowest client takes, for the garbage collector to
    # scan again and again.
    del first
    while page is not None:
        pacing.check()
        consumer.write(encoded(render(page)))
        sent += len(page)
        page = None
        await pacing.wait()
        page = await anext(rest, None)
    consumer.unregisterProducer()
    return sent
