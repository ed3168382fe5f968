# -*- test-case-name: tests.test_s3_download,tests.test_object_store -*-
"""
An object opened for reading over HTTP: its GET answered, its body held.

A download asks S3 once. The GET's headers say what a HEAD would (the
object's size, time and ETag, or that it is missing), so the FTP side can
answer RETR with a 550 or a 150 from them, and the body waits, its
connection paused (Twisted's HTTP client reads no more of a body until it
is given a protocol for it), until the data connection takes it. A
ranged GET (REST) answers C{206}, and only its C{Content-Range} names the
whole object's size.
"""

from __future__ import annotations

import re

from twisted.internet.interfaces import IConsumer
from zope.interface import implementer

from .http import Answer
from .interfaces import IObjectBody
from .objects import ObjectInfo

#: C{Content-Range: bytes FIRST-LAST/SIZE}, as a 206 answer gives it.
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+)\s*")


def whole_size(answer: Answer, first_byte: int) -> int:
    """
    The size of the whole object a GET from C{first_byte} answered: the
    length of a whole body, the end of its C{Content-Range} for a part.

    @raise S3Error: (logged) for an answer that does not say, or whose
        body does not start at C{first_byte}: a server that ignored the
        Range would otherwise send the file's first bytes for its last.
    """
    if answer.code == 206:
        match = _CONTENT_RANGE.fullmatch(answer.header("content-range") or "")
        if match is None or int(match.group(1)) != first_byte:
            raise answer.refuse(
                "MalformedResponse",
                f"a 206 answer to bytes={first_byte}- whose Content-Range is"
                f" {answer.header('content-range')!r}",
            )
        return int(match.group(3))
    if first_byte:
        raise answer.refuse(
            "RangeIgnored", f"a {answer.code} answer to a GET of bytes={first_byte}-"
        )
    # Twisted keeps a body's Content-Length out of the headers: the
    # response's length is it.
    length = answer.response.length
    if not isinstance(length, int):
        raise answer.refuse("MalformedResponse", "a GET answered without a Content-Length")
    return length


@implementer(IObjectBody)
class HeldBody:
    """
    The body of a GET answered, held until L{stream_into} or L{discard}.

    @param answer: the GET's answer, its body unread; C{None} for a body
        known to be empty without one (a REST at the end of the object).
    """

    _streamed = False

    def __init__(self, info: ObjectInfo, first_byte: int, answer: Answer | None) -> None:
        self.info = info
        self.first_byte = first_byte
        self._answer = answer

    async def stream_into(self, consumer: IConsumer) -> int:
        if self._streamed:
            raise RuntimeError(f"the body of {self.info.key!r} was streamed already")
        self._streamed = True
        answer, self._answer = self._answer, None
        if answer is None:
            return 0
        return await answer.stream_into(consumer)

    def discard(self) -> None:
        answer, self._answer = self._answer, None
        if answer is not None:
            answer.discard()
