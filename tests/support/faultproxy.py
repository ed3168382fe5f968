# -*- test-case-name: tests.test_faultproxy -*-
"""
A fault-injecting HTTP/1.1 proxy to put in front of the test S3 server.

The server under test is pointed at L{FaultProxy} (its C{AWS_ENDPOINT_URL_S3}
is the proxy's URL), and the proxy relays every request to moto byte for
byte: the C{Host} header stays as the client sent it and no header is
added, so each SigV4 signature still verifies. Around that relay it plays
S3's bad days on the requests a test picks:

    - C{SlowDown}: answer C{503} with S3's XML error, without forwarding;
    - C{reset}: reset the connection (TCP RST) before forwarding;
    - C{lose_answer}: forward, let S3 act, then reset the connection
      instead of relaying the answer (the client never learns it worked);
    - C{forge_complete}: answer a C{CompleteMultipartUpload} with C{200} and
      a made-up ETag, without forwarding;
    - C{drop_last_part}: forward a C{CompleteMultipartUpload} whose part
      list has lost its last part (the body keeps its length, so its
      headers stay as signed);
    - C{error_in_ok}: answer C{200} whose body is an S3 C{<Error>}, as S3
      may for a C{CompleteMultipartUpload}, without forwarding;
    - C{no_such_upload}: answer C{404 NoSuchUpload} without forwarding, as
      S3 may answer the retry of a completion whose first answer was lost;
    - added latency, and an outage (every connection refused or reset
      until a deadline).

Each fault takes a share of the requests it could apply to (drawn from a
seeded random, so a run can be repeated), the S3 operations it is aimed at
(see L{tests.support.s3operations}), and optionally a limit on how often it
strikes, or to pass the first few requests. Of the faults that answer
instead of S3 (C{slow_down}, C{reset}, C{forge_complete}, C{error_in_ok},
C{no_such_upload}), the first added that strikes a request
wins, and S3 never sees it; otherwise C{drop_last_part} and C{lose_answer}
can both strike it, so that a completion with the wrong parts can also
lose its answer. L{FaultProxy.counts} says what the proxy
did to which operation.

It runs in the test's own reactor. Each client connection gets one
connection to moto at a time; a request is read whole before it is
forwarded, and so is its answer before it is relayed. moto's web server
closes its connection after every answer (C{Connection: close}); S3 keeps
connections alive, and so do its clients, whose pools then meet faults on
reused connections too. So the proxy keeps the client's connection open:
it relays each answer without that one header (answers are not signed)
and opens a new connection to moto for the next request.
"""

from __future__ import annotations

import random
import socket
import struct
from collections import Counter, deque
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from twisted.internet.defer import CancelledError, Deferred, ensureDeferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import deferLater
from twisted.python.failure import Failure

from .faultanswers import forged_completion, s3_error_answer, without_last_part
from .httpframes import Message, MessageReader, kept_alive
from .s3operations import operation_name

__all__ = ["ACTIONS", "Fault", "FaultProxy", "Latency"]

#: The faults a request can meet (see the module docstring).
ACTIONS = (
    "slow_down",
    "reset",
    "lose_answer",
    "forge_complete",
    "drop_last_part",
    "error_in_ok",
    "no_such_upload",
)

#: The faults that answer (or reset) instead of forwarding; the others,
#: C{drop_last_part} and C{lose_answer}, can strike the same request together.
_ANSWERING = frozenset({"slow_down", "reset", "forge_complete", "error_in_ok", "no_such_upload"})


@dataclass
class Fault:
    """
    One fault and the requests it is aimed at.

    @ivar action: one of L{ACTIONS}.
    @ivar share: the chance, from 0 to 1, that it strikes a request it is
        aimed at.
    @ivar operations: the S3 operations it is aimed at; C{None} for all.
    @ivar limit: how many times it may strike; C{None} for no limit.
    @ivar skip: how many of the requests it is aimed at pass before it may
        strike (to fail a retry, not the first attempt).
    @ivar struck: how many times it has.
    """

    action: str
    share: float = 1.0
    operations: frozenset[str] | None = None
    limit: int | None = None
    skip: int = 0
    struck: int = 0
    seen: int = 0

    def strikes(self, operation: str, draw: random.Random) -> bool:
        """Whether it strikes this request (and count it if so)."""
        if self.operations is not None and operation not in self.operations:
            return False
        self.seen += 1
        if self.seen <= self.skip:
            return False
        if self.limit is not None and self.struck >= self.limit:
            return False
        if draw.random() >= self.share:
            return False
        self.struck += 1
        return True


@dataclass
class Latency:
    """Seconds added before forwarding a share of the requests for some operations."""

    seconds: float
    share: float = 1.0
    operations: frozenset[str] | None = None


def _reset(transport: Any) -> None:
    """Close with a TCP RST rather than a FIN: the peer sees "connection reset"."""
    try:
        transport.getHandle().setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
    except (AttributeError, OSError):
        pass
    transport.abortConnection()


def _made_up_answer(actions: Collection[str], request: Message) -> bytes | None:
    """The answer the proxy sends instead of S3's, if C{actions} make one up."""
    head = request.method == b"HEAD"
    if "slow_down" in actions:
        return s3_error_answer(
            503, "Slow Down", "SlowDown", "Please reduce your request rate.", head=head
        )
    if "error_in_ok" in actions:
        return s3_error_answer(
            200, "OK", "InternalError", "We encountered an internal error.", head=head
        )
    if "forge_complete" in actions:
        return forged_completion(request)
    if "no_such_upload" in actions:
        return s3_error_answer(
            404, "Not Found", "NoSuchUpload", "The specified upload does not exist.", head=head
        )
    return None


def _cancelled_by_stop(failure: Failure) -> None:
    """A proxy stopped during an outage cancels it; that is no error."""
    failure.trap(CancelledError)


class _Upstream(Protocol):
    """The proxy's connection to S3 for one client connection: one request at a time."""

    def __init__(self) -> None:
        self._reader = MessageReader(answers=True)
        self._waiting: Deferred[Message] | None = None
        self.lost = False

    def send(self, raw: bytes, method: bytes) -> Deferred[Message]:
        self._reader.request_method = method
        self._waiting = Deferred()
        self.transport.write(raw)  # type: ignore[union-attr]
        return self._waiting

    def dataReceived(self, data: bytes) -> None:
        for answer in self._reader.feed(data):
            if answer.status < 200:
                # An interim answer (100 Continue): the proxy sent its own.
                continue
            waiting, self._waiting = self._waiting, None
            if waiting is not None:
                waiting.callback(answer)

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        self.lost = True
        waiting, self._waiting = self._waiting, None
        if waiting is None:
            return
        answer = self._reader.end()
        if answer is not None:
            waiting.callback(answer)
        else:
            waiting.errback(reason)


class _Downstream(Protocol):
    """One client connection: read its requests, meet each with its fault or relay it."""

    def __init__(self, proxy: FaultProxy) -> None:
        self._proxy = proxy
        self._reader = MessageReader(answers=False, on_head=self._head)
        self._queue: deque[Message] = deque()
        self._busy = False
        self._upstream: _Upstream | None = None
        self.gone = False

    def connectionMade(self) -> None:
        self._proxy._connections.add(self)
        self._proxy.counts[("connected", "-")] += 1
        if self._proxy.down:
            self._proxy.counts[("refused", "-")] += 1
            _reset(self.transport)

    def _head(self, request: Message) -> None:
        if (request.header(b"expect") or b"").lower() == b"100-continue":
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # type: ignore[union-attr]

    def dataReceived(self, data: bytes) -> None:
        self._queue.extend(self._reader.feed(data))
        self._next()

    def _next(self) -> None:
        if self._busy or not self._queue or self.gone:
            return
        self._busy = True
        ensureDeferred(self._serve(self._queue.popleft())).addErrback(self._failed)

    def _failed(self, failure: Failure) -> None:
        # A client that left, or a proxy that stopped, broke the relay itself.
        if not failure.check(CancelledError) and not self.gone:
            self._proxy.counts[("upstream_failed", "-")] += 1
        self.reset()

    async def _serve(self, request: Message) -> None:
        headers = {name.decode().lower(): value.decode() for name, value in request.headers}
        operation = operation_name(request.method.decode(), request.target.decode(), headers)
        await self._proxy._delay(operation)
        actions = self._proxy._choose(operation)
        for action in actions:
            self._proxy.counts[(action, operation)] += 1
        made_up = _made_up_answer(actions, request)
        if made_up is not None:
            self._write(made_up)
        elif "reset" in actions:
            self.reset()
            return
        else:
            raw = without_last_part(request) if "drop_last_part" in actions else request.raw
            answer = await self._forward(raw, request.method)
            self._proxy.counts[("forwarded", operation)] += 1
            if "lose_answer" in actions:
                self.reset()
                return
            if answer.framed_by_close:
                self._write(answer.raw)
                self.transport.loseConnection()  # type: ignore[union-attr]
                return
            if answer.closes:
                # moto is closing this one: the next request needs another.
                self._drop_upstream()
            self._write(kept_alive(answer))
        self._busy = False
        self._next()

    async def _forward(self, raw: bytes, method: bytes) -> Message:
        if self._upstream is None or self._upstream.lost:
            host, port = self._proxy.upstream
            endpoint = TCP4ClientEndpoint(self._proxy.reactor, host, port)
            self._upstream = await connectProtocol(endpoint, _Upstream())
        return await self._upstream.send(raw, method)

    def _write(self, data: bytes) -> None:
        if not self.gone:
            self.transport.write(data)  # type: ignore[union-attr]

    def reset(self) -> None:
        """Reset this connection and its connection to S3."""
        if not self.gone:
            self.gone = True
            _reset(self.transport)
        self._drop_upstream()

    def _drop_upstream(self) -> None:
        if self._upstream is not None and not self._upstream.lost:
            self._upstream.transport.abortConnection()  # type: ignore[union-attr]
        self._upstream = None

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        self.gone = True
        self._proxy._connections.discard(self)
        self._drop_upstream()


class FaultProxy:
    """
    The proxy: listens on 127.0.0.1, relays to C{upstream}, and meets the
    requests its faults are aimed at with them.

    @param upstream: moto's address, C{(host, port)}.
    @param seed: for the random draws of the faults' shares.
    """

    def __init__(self, upstream: tuple[str, int], *, reactor: Any, seed: int = 0) -> None:
        self.upstream = upstream
        self.reactor = reactor
        self.faults: list[Fault] = []
        self.latencies: list[Latency] = []
        #: What was done to which operation: C{(action, operation)} -> times.
        #: Actions are those of L{ACTIONS}, C{"forwarded"}, C{"delayed"},
        #: and, with the operation C{"-"}, C{"connected"} (a connection
        #: accepted), C{"refused"} (one reset at once during an outage) and
        #: C{"upstream_failed"} (S3 could not be reached or hung up).
        self.counts: Counter[tuple[str, str]] = Counter()
        self._random = random.Random(seed)
        self._connections: set[_Downstream] = set()
        self._sleeps: set[Deferred[None]] = set()
        self._down_until = 0.0
        self._listening: Any = None
        self._port = 0

    # -- running ------------------------------------------------------------

    def start(self) -> str:
        """Start listening on a free port; the endpoint URL to give clients."""
        self._listen(0)
        return self.endpoint_url

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def _listen(self, port: int) -> None:
        factory = Factory.forProtocol(lambda: _Downstream(self))
        self._listening = self.reactor.listenTCP(port, factory, interface="127.0.0.1")
        self._port = self._listening.getHost().port

    async def stop(self) -> None:
        """Stop listening, drop every connection and cancel every timer."""
        for sleep in list(self._sleeps):
            sleep.cancel()
        for connection in list(self._connections):
            connection.reset()
        if self._listening is not None:
            listening, self._listening = self._listening, None
            await listening.stopListening()
        # Let the aborted connections finish closing, for a clean reactor.
        await deferLater(self.reactor, 0, lambda: None)

    # -- faults -------------------------------------------------------------

    def add(
        self,
        action: str,
        share: float = 1.0,
        operations: Collection[str] | None = None,
        limit: int | None = None,
        skip: int = 0,
    ) -> Fault:
        """Aim C{action} at C{share} of the requests for C{operations} (all if C{None})."""
        if action not in ACTIONS:
            raise ValueError(f"unknown fault {action!r}; choose from {ACTIONS}")
        aimed = None if operations is None else frozenset(operations)
        fault = Fault(action, share, aimed, limit, skip)
        self.faults.append(fault)
        return fault

    def delay(
        self, seconds: float, share: float = 1.0, operations: Collection[str] | None = None
    ) -> Latency:
        """Add C{seconds} before forwarding C{share} of the requests for C{operations}."""
        latency = Latency(seconds, share, None if operations is None else frozenset(operations))
        self.latencies.append(latency)
        return latency

    def clear(self) -> None:
        """No more faults or latency: relay everything from now on (outages go on)."""
        self.faults.clear()
        self.latencies.clear()

    def count(self, action: str, operation: str | None = None) -> int:
        """How many times C{action} was done (to C{operation}, or to any)."""
        return sum(
            times
            for (done, to), times in self.counts.items()
            if done == action and operation in (None, to)
        )

    def _choose(self, operation: str) -> set[str]:
        """
        The actions of the faults that strike a request: one that answers
        instead of S3 (the first added that strikes) and nothing else, or
        any that change the request or lose its answer. A fault that does
        not act does not use up its limit.
        """
        for fault in self.faults:
            if fault.action in _ANSWERING and fault.strikes(operation, self._random):
                return {fault.action}
        return {
            fault.action
            for fault in self.faults
            if fault.action not in _ANSWERING and fault.strikes(operation, self._random)
        }

    async def _delay(self, operation: str) -> None:
        for latency in self.latencies:
            aimed = latency.operations is None or operation in latency.operations
            if aimed and self._random.random() < latency.share:
                self.counts[("delayed", operation)] += 1
                await self._sleep(latency.seconds)

    def _sleep(self, seconds: float) -> Deferred[None]:
        sleep = deferLater(self.reactor, seconds, lambda: None)
        self._sleeps.add(sleep)
        return sleep.addBoth(self._slept, sleep)

    def _slept(self, result: Any, sleep: Deferred[None]) -> Any:
        self._sleeps.discard(sleep)
        return result

    # -- outages ------------------------------------------------------------

    @property
    def down(self) -> bool:
        """Whether an outage is going on."""
        return self.reactor.seconds() < self._down_until

    def outage(self, seconds: float, *, refuse: bool = False) -> Deferred[None]:
        """
        Make S3 unreachable for C{seconds}: every open connection is reset
        now, and every new one is reset as it is made (or, with
        C{refuse}, refused: the proxy stops listening, then listens on the
        same port again). The result fires when the outage is over.
        """
        self._down_until = self.reactor.seconds() + seconds
        for connection in list(self._connections):
            connection.reset()
        if refuse and self._listening is not None:
            listening, self._listening = self._listening, None
            listening.stopListening()
        over = self._sleep(seconds).addCallback(self._back, refuse)
        return over.addErrback(_cancelled_by_stop)

    def _back(self, _: None, refused: bool) -> None:
        if refused and self._listening is None:
            self._listen(self._port)
