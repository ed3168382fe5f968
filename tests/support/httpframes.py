# -*- test-case-name: tests.test_faultproxy -*-
"""
Where one HTTP/1.1 message ends in a byte stream, for the fault proxy.

L{tests.support.faultproxy} relays requests and answers byte for byte, so
that the signatures S3 checks still verify; it only needs to know where
each message starts and ends, which operation a request is, and (for a few
faults) what a body holds. L{MessageReader} tells it that and nothing more:
it keeps the exact bytes of each message, and frames bodies by
C{Content-Length}, by chunked transfer coding, or (for an answer without
either) by the end of the connection, as RFC 9112 section 6 says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

_END_OF_HEAD = b"\r\n\r\n"
_CRLF = b"\r\n"


class FramingError(Exception):
    """The bytes are not an HTTP/1.1 message this reader can frame."""


@dataclass
class Message:
    """
    One request or answer: its first line, its headers, its body, and the
    exact bytes it came as.

    @ivar start: the request line (C{PUT /b/k?partNumber=1 HTTP/1.1}) or
        status line (C{HTTP/1.1 200 OK}), without its CRLF.
    @ivar headers: the header fields in order, names as sent.
    @ivar body: the body, with any chunked coding removed.
    @ivar raw: every byte of the message, as received.
    """

    start: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""
    raw: bytes = b""

    def header(self, name: bytes) -> bytes | None:
        """The value of the first header called C{name} (in any case), if any."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def method(self) -> bytes:
        """A request's method."""
        return self.start.split(b" ", 1)[0]

    @property
    def target(self) -> bytes:
        """A request's target: the path and query as sent."""
        return self.start.split(b" ")[1]

    @property
    def status(self) -> int:
        """An answer's status code."""
        return int(self.start.split(b" ")[1])

    @property
    def closes(self) -> bool:
        """Whether the sender closes the connection after this message."""
        return (self.header(b"connection") or b"").lower() == b"close"

    #: Whether the message's body ended with the connection (set by the reader).
    framed_by_close: bool = False


def kept_alive(message: Message) -> bytes:
    """
    The message's bytes without a C{Connection: close} header, for a
    message whose length is known: the connection it comes on can then be
    kept open.
    """
    if not message.closes or message.framed_by_close:
        return message.raw
    end = message.raw.find(_END_OF_HEAD)
    lines = message.raw[:end].split(_CRLF)
    kept = [
        line
        for line in lines
        if line.partition(b":")[0].strip().lower() != b"connection"
        or line.partition(b":")[2].strip().lower() != b"close"
    ]
    return _CRLF.join(kept) + message.raw[end:]


@dataclass
class _Body:
    """How the body of the message being read is framed, and how far it has got."""

    mode: str  # "length", "chunked" or "close"
    remaining: int = 0
    decoded: bytearray = field(default_factory=bytearray)


class MessageReader:
    """
    Split a byte stream into L{Message}s, one at a time.

    @param answers: whether the stream holds answers (which may be framed
        by the end of the connection, and have no body after C{HEAD}) rather
        than requests.
    @param on_head: called with each message's head as soon as it is
        complete, before its body (the proxy answers C{Expect: 100-continue}
        there).
    """

    def __init__(self, *, answers: bool, on_head: Callable[[Message], None] | None = None) -> None:
        self._answers = answers
        self._on_head = on_head
        self._buffer = bytearray()
        self._message: Message | None = None
        self._body: _Body | None = None
        self._consumed = 0
        #: For answers: the method of the request the next answer is to.
        self.request_method = b"GET"

    def feed(self, data: bytes) -> list[Message]:
        """Take C{data}; return the messages it completes, in order."""
        self._buffer += data
        done = []
        while True:
            message = self._step()
            if message is None:
                return done
            done.append(message)

    def end(self) -> Message | None:
        """The connection has closed: the message it ends, if it was framed by that."""
        if self._message is not None and self._body is not None and self._body.mode == "close":
            self._body.decoded += self._buffer[self._consumed :]
            self._message.framed_by_close = True
            return self._finish(len(self._buffer))
        return None

    @property
    def idle(self) -> bool:
        """Whether no part of a message is waiting for its rest."""
        return self._message is None and not self._buffer

    def _step(self) -> Message | None:
        if self._message is None and not self._read_head():
            return None
        assert self._message is not None and self._body is not None
        body = self._body
        if body.mode == "length":
            if len(self._buffer) - self._consumed < body.remaining:
                return None
            end = self._consumed + body.remaining
            body.decoded += self._buffer[self._consumed : end]
            return self._finish(end)
        if body.mode == "chunked":
            return self._read_chunks()
        return None

    def _read_head(self) -> bool:
        end = self._buffer.find(_END_OF_HEAD)
        if end < 0:
            return False
        lines = bytes(self._buffer[:end]).split(_CRLF)
        headers = []
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon:
                raise FramingError(f"not a header line: {line!r}")
            headers.append((name.strip(), value.strip()))
        self._message = Message(lines[0], headers)
        self._consumed = end + len(_END_OF_HEAD)
        self._body = self._framing(self._message)
        if self._on_head is not None:
            self._on_head(self._message)
        return True

    def _framing(self, message: Message) -> _Body:
        coding = (message.header(b"transfer-encoding") or b"").lower()
        length = message.header(b"content-length")
        if self._answers and (
            self.request_method == b"HEAD" or message.status in (204, 304) or message.status < 200
        ):
            return _Body("length", 0)
        if coding.endswith(b"chunked"):
            return _Body("chunked")
        if length is not None:
            return _Body("length", int(length))
        return _Body("close") if self._answers else _Body("length", 0)

    def _read_chunks(self) -> Message | None:
        assert self._body is not None
        while True:
            line_end = self._buffer.find(_CRLF, self._consumed)
            if line_end < 0:
                return None
            size = int(bytes(self._buffer[self._consumed : line_end]).split(b";")[0], 16)
            if size == 0:
                # The last chunk, then trailer fields up to an empty line.
                position = line_end + 2
                while True:
                    next_line = self._buffer.find(_CRLF, position)
                    if next_line < 0:
                        return None
                    if next_line == position:
                        return self._finish(position + 2)
                    position = next_line + 2
            data_start = line_end + 2
            if len(self._buffer) < data_start + size + 2:
                return None
            self._body.decoded += self._buffer[data_start : data_start + size]
            self._consumed = data_start + size + 2

    def _finish(self, end: int) -> Message:
        assert self._message is not None and self._body is not None
        message = self._message
        message.body = bytes(self._body.decoded)
        message.raw = bytes(self._buffer[:end])
        del self._buffer[:end]
        self._message = self._body = None
        self._consumed = 0
        return message
