"""
Tests for L{twisted_ftps3.paging}: a listing's pages written as they come,
the next asked for only while the consumer is not paused.

The pages come from an asynchronous iterator whose every step waits on a
Deferred the test fires; the consumer is a L{RecordingConsumer}.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from twisted.internet.defer import Deferred, ensureDeferred, succeed
from twisted.internet.interfaces import IPushProducer
from twisted.protocols import ftp
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer
from zope.interface.verify import verifyObject

from twisted_ftps3.interfaces import Entry, IListingShell
from twisted_ftps3.paging import Pacing, encoded, listing_pages, send_pages
from twisted_ftps3.replies import LocalError, TransferAborted

from .support.producers import RecordingConsumer


class HeldPages:
    """Pages handed out one per step, each when the test calls L{give}."""

    def __init__(self) -> None:
        self.asked = 0
        self._waiting: Deferred[list[Entry] | None] | None = None

    async def pages(self) -> AsyncIterator[list[Entry]]:
        while True:
            self.asked += 1
            self._waiting = Deferred()
            page = await self._waiting
            if page is None:
                return
            yield page

    def give(self, *names: str) -> None:
        """The page asked for holds C{names}."""
        waiting, self._waiting = self._waiting, None
        assert waiting is not None
        waiting.callback([(name, []) for name in names])

    def end(self) -> None:
        """There are no more pages."""
        waiting, self._waiting = self._waiting, None
        assert waiting is not None
        waiting.callback(None)

    def fail(self, error: Exception) -> None:
        """The page asked for fails with C{error}."""
        waiting, self._waiting = self._waiting, None
        assert waiting is not None
        waiting.errback(error)


def names(page: list[Entry]) -> Iterable[str]:
    """The lines of NLST: the names alone."""
    return (name for name, _ in page)


class SendPagesTests(SynchronousTestCase):
    """L{send_pages}: one write per page, and backpressure between pages."""

    def setUp(self) -> None:
        self.consumer = RecordingConsumer()
        self.held = HeldPages()
        self.sent = ensureDeferred(
            send_pages(self.consumer, [("first", [])], self.held.pages(), names)
        )

    def test_first_page_at_once(self) -> None:
        """The first page is written at once, as one write, and the next is asked for."""
        self.assertEqual(self.consumer.written, [b"first\r\n"])
        self.assertEqual(self.held.asked, 1)

    def test_registers_a_streaming_producer(self) -> None:
        """The consumer gets a push producer, streaming, to pause the listing with."""
        self.assertEqual(self.consumer.events[0], ("register", True))
        self.assertTrue(verifyObject(IPushProducer, self.consumer.producer))

    def test_each_page_as_it_comes(self) -> None:
        """Each page is written when it arrives; at the end the producer is unregistered."""
        self.held.give("a", "b")
        self.assertEqual(self.consumer.written, [b"first\r\n", b"a\r\nb\r\n"])
        self.held.end()
        self.assertEqual(self.successResultOf(self.sent), 3)
        self.assertEqual(self.consumer.events[-1], ("unregister", None))

    def test_paused_asks_no_further(self) -> None:
        """
        While the consumer has the producer paused, the page that arrives
        is written but the next is not asked for, until the resume.
        """
        self.consumer.producer.pauseProducing()
        self.held.give("a")
        self.assertEqual(self.consumer.written[-1], b"a\r\n")
        self.assertEqual(self.held.asked, 1)
        self.consumer.producer.resumeProducing()
        self.assertEqual(self.held.asked, 2)

    def test_stopped(self) -> None:
        """
        A producer stopped (the connection went) stops the listing with
        426, writing nothing more; the producer stays registered.
        """
        self.consumer.producer.stopProducing()
        self.held.give("a")
        self.failureResultOf(self.sent, TransferAborted)
        self.assertEqual(self.consumer.written, [b"first\r\n"])
        self.assertNotIn(("unregister", None), self.consumer.events)

    def test_stopped_while_paused(self) -> None:
        """A paused listing that is stopped ends at once with 426."""
        self.consumer.producer.pauseProducing()
        self.held.give("a")
        self.consumer.producer.stopProducing()
        self.failureResultOf(self.sent, TransferAborted)

    def test_page_fails(self) -> None:
        """A page that fails fails the listing with its reply; the producer stays registered."""
        self.held.fail(LocalError("/d: storage unavailable; try again later"))
        self.failureResultOf(self.sent, LocalError)
        self.assertNotIn(("unregister", None), self.consumer.events)


class PacingTests(SynchronousTestCase):
    """L{Pacing}: the wait between pages."""

    def test_not_paused(self) -> None:
        """Not paused, the wait is over at once."""
        self.successResultOf(ensureDeferred(Pacing().wait()))

    def test_paused_until_resumed(self) -> None:
        """Paused, the wait lasts until the resume, however many pauses came first."""
        pacing = Pacing()
        pacing.pauseProducing()
        pacing.pauseProducing()
        waited = ensureDeferred(pacing.wait())
        self.assertNoResult(waited)
        pacing.resumeProducing()
        self.successResultOf(waited)


class EncodedTests(SynchronousTestCase):
    """L{encoded}: the bytes of a page."""

    def test_utf8_crlf(self) -> None:
        """Lines go as UTF-8, each ended by CRLF."""
        self.assertEqual(encoded(["£ 🍰", "b"]), "£ 🍰\r\nb\r\n".encode())

    def test_emptyPage(self) -> None:
        """No lines are no bytes, and an empty line is still a CRLF."""
        self.assertEqual((encoded([]), encoded(iter([""]))), (b"", b"\r\n"))


@implementer(IListingShell)
class PagedShell:
    """A shell that lists two pages of one entry each."""

    def list_pages(self, path: Any, keys: Any) -> AsyncIterator[list[Entry]]:
        async def pages() -> AsyncIterator[list[Entry]]:
            yield [("a", list(keys))]
            yield [("b", list(keys))]

        return pages()


class WholeShell:
    """A shell with Twisted's C{list} only."""

    def list(self, path: Any, keys: Any) -> Deferred[list[Entry]]:
        return succeed([("a", []), ("b", [])])


class ListingPagesTests(SynchronousTestCase):
    """L{listing_pages}: pages from any shell."""

    def pages(self, shell: Any) -> list[list[Entry]]:
        async def every() -> list[list[Entry]]:
            return [page async for page in listing_pages(shell, ["d"], ("size",))]

        return self.successResultOf(ensureDeferred(every()))

    def test_paged_shell(self) -> None:
        """A shell that lists a page at a time gives its pages."""
        self.assertEqual(self.pages(PagedShell()), [[("a", ["size"])], [("b", ["size"])]])

    def test_whole_shell(self) -> None:
        """A shell with Twisted's C{list} only gives its listing as one page."""
        self.assertEqual(self.pages(WholeShell()), [[("a", []), ("b", [])]])

    def test_whole_shell_refusal(self) -> None:
        """Its refusal is the first step's."""

        class Refusing:
            def list(self, path: Any, keys: Any) -> Deferred[Any]:
                return Deferred.fromCoroutine(self._refuse())

            async def _refuse(self) -> Any:
                raise ftp.FileNotFoundError("/d")

        async def first() -> Any:
            return await anext(listing_pages(Refusing(), ["d"], ()))

        self.failureResultOf(ensureDeferred(first()), ftp.FileNotFoundError)
