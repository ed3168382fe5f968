# -*- test-case-name: tests.test_ports -*-
"""
The passive data ports one server hands out, and who waits for them.

Every session of this process draws from one pool. A port is held from a
session's PASV until its data connection is accepted, not for the whole
transfer: once the connection is in, the port can be offered to the next
session, as the connection's socket is the accepted one and the listening
socket goes on listening. A port is held for a I{route}, which says which
data connections may reach the holder (its client's address, or its
client's group of addresses): two sessions whose clients can never be
mistaken for each other may hold one port at once, each connection going
to the holder of its own route (see L{twisted_ftps3.passive}); two sessions
of one route never hold one port at once.

When no port is free for a route, a request waits, first come first
served; cancelling the wait (when its bound passes, or its session goes
away) takes it out of the queue. The queue is kept per route (and
interface): a port released is offered to the earliest request among the
routes that may take it, so a burst of a thousand sessions from one client
costs each release a look at a few routes, not at every request waiting.

Ports are handed out in rotation, which keeps a port that was just released
from being reused at once by another client while a late packet of the
previous connection may still arrive.

A port listens while it is held; the pool keeps its listening port, and
closes it once no one holds the port and no one waits for it. While it
closes, no one is given the port, so that listening on it again cannot
clash with the socket that is going away.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from twisted.internet import defer
from twisted.internet.interfaces import IListeningPort

Route = Hashable


@dataclass
class _Port:
    """One port: who holds it, for which routes, and what listens on it."""

    number: int
    holders: dict[Route, Any] = field(default_factory=dict)
    #: The address it listens on, while anyone holds it.
    interface: str = ""
    listening: IListeningPort | None = None
    closing: bool = False

    def usable(self, route: Route, interface: str) -> bool:
        """Whether the port can be given to C{route}, listening on C{interface}."""
        if self.closing or route in self.holders:
            return False
        return not self.holders or self.interface == interface


@dataclass(eq=False)
class _Waiter:
    route: Route
    interface: str
    holder: Any
    #: When it came, among all requests that waited.
    order: int
    deferred: defer.Deferred[int] = field(init=False)


class PassivePortPool:
    """The ports of C{ports}, each held by at most one session per route."""

    def __init__(self, ports: range) -> None:
        if not len(ports):
            raise ValueError("the passive port range is empty")
        self._ports = {number: _Port(number) for number in ports}
        self._rotation: deque[int] = deque(ports)
        #: The requests waiting, in the order they came, by route and interface.
        self._queues: dict[tuple[Route, str], deque[_Waiter]] = {}
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._ports)

    @property
    def free(self) -> int:
        """How many ports no one holds now."""
        return sum(1 for port in self._ports.values() if not port.holders)

    @property
    def waiting(self) -> int:
        """How many requests wait for a port now."""
        return sum(len(queue) for queue in self._queues.values())

    def reserve(self, route: Route, interface: str, holder: Any) -> defer.Deferred[int]:
        """
        A port for C{holder}, held for C{route} and listening on
        C{interface}: at once if one is free, else once one comes free for
        it, after every request that came earlier and can take that port.
        Cancel the Deferred to stop waiting.
        """
        number = next((n for n in self._rotation if self._ports[n].usable(route, interface)), None)
        if number is not None:
            return defer.succeed(self._give(number, route, interface, holder))
        waiter = _Waiter(route, interface, holder, next(self._order))
        waiter.deferred = defer.Deferred(lambda _: self._dequeue(waiter))
        self._queues.setdefault((route, interface), deque()).append(waiter)
        return waiter.deferred

    def _dequeue(self, waiter: _Waiter) -> None:
        key = (waiter.route, waiter.interface)
        queue = self._queues[key]
        queue.remove(waiter)
        if not queue:
            del self._queues[key]

    def _give(self, number: int, route: Route, interface: str, holder: Any) -> int:
        port = self._ports[number]
        port.holders[route] = holder
        port.interface = interface
        self._rotation.remove(number)
        self._rotation.append(number)
        return number

    def holder(self, number: int, route: Route) -> Any | None:
        """Who holds port C{number} for C{route}, if anyone."""
        port = self._ports.get(number)
        return None if port is None else port.holders.get(route)

    def release(self, number: int, route: Route, holder: Any) -> None:
        """
        C{holder} gives port C{number} back; nothing happens unless it
        holds it for C{route} (so releasing twice, or after the port went to
        another holder, is harmless). The port goes to the first request
        waiting that can take it; with no one left, it stops listening.
        """
        port = self._ports.get(number)
        if port is None or port.holders.get(route) is not holder:
            return
        del port.holders[route]
        self._serve(port)

    def _serve(self, port: _Port) -> None:
        while True:
            heads = [
                queue[0]
                for (route, interface), queue in self._queues.items()
                if port.usable(route, interface)
            ]
            if not heads:
                break
            waiter = min(heads, key=lambda w: w.order)
            self._dequeue(waiter)
            waiter.deferred.callback(
                self._give(port.number, waiter.route, waiter.interface, waiter.holder)
            )
        if not port.holders and port.listening is not None and not port.closing:
            self._close(port)

    def _close(self, port: _Port) -> None:
        port.closing = True
        listening, port.listening = port.listening, None
        assert listening is not None

        def closed(_: object) -> None:
            port.closing = False
            self._serve(port)

        defer.maybeDeferred(listening.stopListening).addBoth(closed)

    # -- what listens ---------------------------------------------------------

    def listening(self, number: int) -> IListeningPort | None:
        """What listens on port C{number} now, if anything."""
        return self._ports[number].listening

    def listens(self, number: int, listening: IListeningPort) -> None:
        """Record that C{listening} listens on port C{number}, held now."""
        self._ports[number].listening = listening
