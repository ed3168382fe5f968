"""
Producers and consumers that record what they are told, for tests of
backpressure and streaming without sockets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet.interfaces import IConsumer, IPushProducer
from zope.interface import implementer


@implementer(IPushProducer)
class FakeProducer:
    """
    A push producer (the data connection of an upload, say) that records
    each call, in C{events}, and whether it is paused now.
    """

    def __init__(self) -> None:
        self.events: list[str] = []
        self.paused = False

    def pauseProducing(self) -> None:
        self.events.append("pause")
        self.paused = True

    def resumeProducing(self) -> None:
        self.events.append("resume")
        self.paused = False

    def stopProducing(self) -> None:
        self.events.append("stop")


@implementer(IConsumer)
class RecordingConsumer:
    """
    A consumer (the data connection of a download, an HTTP request body)
    that records every call in order, in C{events}, as C{("register",
    streaming)}, C{("unregister", None)} and C{("write", data)}.

    @ivar producer: the producer registered now, if any.
    @ivar write_types: the type of what each write was given (the events
        hold a copy as C{bytes}), for tests that a producer writes C{bytes}
        and not a view of its buffer.
    @param on_write: called with this consumer after each write, so that a
        test can react (pause the producer, say).
    """

    def __init__(self, on_write: Callable[[RecordingConsumer], Any] | None = None) -> None:
        self.events: list[tuple[str, Any]] = []
        self.producer: IPushProducer | None = None
        self.write_types: list[type] = []
        self._on_write = on_write

    @property
    def written(self) -> list[bytes]:
        """Each write's bytes, in order."""
        return [data for event, data in self.events if event == "write"]

    @property
    def data(self) -> bytes:
        """Everything written, joined."""
        return b"".join(self.written)

    def registerProducer(self, producer: IPushProducer, streaming: bool) -> None:
        self.producer = producer
        self.events.append(("register", streaming))

    def unregisterProducer(self) -> None:
        self.producer = None
        self.events.append(("unregister", None))

    def write(self, data: bytes) -> None:
        self.events.append(("write", bytes(data)))
        self.write_types.append(type(data))
        if self._on_write is not None:
            self._on_write(self)
