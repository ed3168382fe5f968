"""
Tests for L{twisted_ftps3.ports}: the pool of passive data ports, who holds
them for which route, who waits for them, and what listens on them.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.ports import PassivePortPool

A, B = ("address", "203.0.113.9"), ("address", "203.0.113.10")


class FakeListening:
    """A listening port whose close ends when the test says so."""

    def __init__(self) -> None:
        self.closing: defer.Deferred[None] | None = None

    def stopListening(self) -> defer.Deferred[None]:
        self.closing = defer.Deferred()
        return self.closing


class PassivePortPoolTests(SynchronousTestCase):
    """Handing out, holding and releasing passive ports."""

    def setUp(self) -> None:
        self.pool = PassivePortPool(range(4001, 4004))

    def take(self, route: Any = A, holder: Any = None, interface: str = "") -> int:
        """Reserve a port that is free now."""
        return self.successResultOf(self.pool.reserve(route, interface, holder or object()))

    def test_empty_range_refused(self) -> None:
        """An empty range of ports is refused."""
        self.assertRaises(ValueError, PassivePortPool, range(4001, 4001))

    def test_all_free_at_start(self) -> None:
        """Every port of the range is free at first."""
        self.assertEqual((len(self.pool), self.pool.free, self.pool.waiting), (3, 3, 0))

    def test_rotation(self) -> None:
        """One route is given each port once, in order."""
        self.assertEqual([self.take(), self.take(), self.take()], [4001, 4002, 4003])
        self.assertEqual(self.pool.free, 0)

    def test_holder(self) -> None:
        """The pool knows who holds a port for a route, and no one for another route."""
        holder = object()
        port = self.take(holder=holder)
        self.assertIs(self.pool.holder(port, A), holder)
        self.assertIsNone(self.pool.holder(port, B))

    def test_release_to_back(self) -> None:
        """A released port goes to the back of the rotation, after the other free ones."""
        holder = object()
        self.pool.release(self.take(holder=holder), A, holder)
        self.assertEqual([self.take(), self.take(), self.take()], [4002, 4003, 4001])

    def test_release_by_other_holder_ignored(self) -> None:
        """A release by someone who does not hold the port changes nothing."""
        holder = object()
        port = self.take(holder=holder)
        self.pool.release(port, A, object())
        self.pool.release(port, B, holder)
        self.assertIs(self.pool.holder(port, A), holder)

    def test_double_release_harmless(self) -> None:
        """Releasing a port twice frees it once."""
        holder = object()
        port = self.take(holder=holder)
        self.pool.release(port, A, holder)
        self.pool.release(port, A, holder)
        self.assertEqual(self.pool.free, 3)

    def test_release_of_foreign_port_ignored(self) -> None:
        """Releasing a port outside the range changes nothing."""
        self.pool.release(80, A, None)
        self.assertEqual(self.pool.free, 3)

    def test_free_port_first(self) -> None:
        """Another route is given the next port in rotation, a free one."""
        self.assertEqual((self.take(A), self.take(B)), (4001, 4002))

    def test_routes_share(self) -> None:
        """With every port held for one route, another route is given one of them."""
        self.assertEqual([self.take(A), self.take(A), self.take(A)], [4001, 4002, 4003])
        self.assertEqual(self.take(B), 4001)
        self.assertIsNotNone(self.pool.holder(4001, B))

    def test_interfaces_do_not_share(self) -> None:
        """A port held for one interface is not given for another."""
        self.assertEqual([self.take(A), self.take(A), self.take(A)], [4001, 4002, 4003])
        self.assertNoResult(self.pool.reserve(B, "::", object()))

    def test_pools_independent(self) -> None:
        """Two pools over the same range do not share state."""
        self.take()
        self.assertEqual(PassivePortPool(range(4001, 4004)).free, 3)


class WaitingTests(SynchronousTestCase):
    """Requests wait, first come first served, for a port of a pool of one."""

    def setUp(self) -> None:
        self.pool = PassivePortPool(range(4001, 4002))
        self.first = object()
        self.port = self.successResultOf(self.pool.reserve(A, "", self.first))

    def test_waits(self) -> None:
        """With the one port held for its route, a request waits."""
        waiting = self.pool.reserve(A, "", object())
        self.assertNoResult(waiting)
        self.assertEqual(self.pool.waiting, 1)

    def test_given_on_release(self) -> None:
        """A released port goes to the request waiting, held for it at once."""
        second = object()
        waiting = self.pool.reserve(A, "", second)
        self.pool.release(self.port, A, self.first)
        self.assertEqual(self.successResultOf(waiting), self.port)
        self.assertIs(self.pool.holder(self.port, A), second)
        self.assertEqual(self.pool.waiting, 0)

    def test_first_come_first_served(self) -> None:
        """Requests are served in the order they came."""
        holders = [object() for _ in range(3)]
        waits = [self.pool.reserve(A, "", holder) for holder in holders]
        served = []
        previous = self.first
        for holder in holders:
            self.pool.release(self.port, A, previous)
            served.append([w for w in waits if w.called])
            previous = holder
        self.assertEqual(served, [waits[:1], waits[:2], waits[:3]])

    def test_cancelled_leaves_queue(self) -> None:
        """A request cancelled leaves the queue; the port goes to the next one."""
        gone = self.pool.reserve(A, "", object())
        gone.addErrback(lambda failure: failure.trap(defer.CancelledError))
        second = object()
        waiting = self.pool.reserve(A, "", second)
        gone.cancel()
        self.assertEqual(self.pool.waiting, 1)
        self.pool.release(self.port, A, self.first)
        self.assertIs(self.pool.holder(self.port, A), second)
        self.successResultOf(waiting)

    def test_other_route_not_kept_waiting(self) -> None:
        """A request of another route is given the port at once, ahead of those waiting."""
        self.pool.reserve(A, "", object())
        self.assertEqual(self.successResultOf(self.pool.reserve(B, "", object())), self.port)

    def test_released_without_waiters_free(self) -> None:
        """A released port no one waits for is free."""
        self.pool.release(self.port, A, self.first)
        self.assertEqual(self.pool.free, 1)

    def test_release_serves_the_route_that_can_take_it(self) -> None:
        """
        A port held for two routes, released by one, goes to that route's
        request, though the other route's request came first.
        """
        other = object()
        self.successResultOf(self.pool.reserve(B, "", other))
        first = self.pool.reserve(A, "", object())
        second = self.pool.reserve(B, "", object())
        self.pool.release(self.port, B, other)
        self.assertNoResult(first)
        self.assertEqual(self.successResultOf(second), self.port)
        self.assertEqual(self.pool.waiting, 1)

    def test_first_come_across_routes(self) -> None:
        """
        A port that comes free goes to the earliest request that can take
        it, whatever its route: here requests on different interfaces, which
        cannot share it, so that each release serves one of them.
        """
        pool = PassivePortPool(range(4001, 4002))
        held = object()
        port = self.successResultOf(pool.reserve(A, "192.0.2.1", held))
        a1, b1, a2 = object(), object(), object()
        pool.reserve(A, "192.0.2.2", a1)
        pool.reserve(B, "192.0.2.3", b1)
        pool.reserve(A, "192.0.2.2", a2)
        served = []
        for route, holder in ((A, held), (A, a1), (B, b1)):
            pool.release(port, route, holder)
            served.append(pool.holder(port, A) or pool.holder(port, B))
        self.assertEqual(served, [a1, b1, a2])

    def test_each_route_served_in_turn(self) -> None:
        """Requests of two routes waiting together are each given the port, once per route."""
        self.successResultOf(self.pool.reserve(B, "", object()))
        a_waits = [self.pool.reserve(A, "", object()) for _ in range(2)]
        b_waits = [self.pool.reserve(B, "", object()) for _ in range(2)]
        self.pool.release(self.port, A, self.first)
        self.assertEqual([w.called for w in a_waits + b_waits], [True, False, False, False])
        self.assertEqual(self.pool.waiting, 3)

    def test_cancelled_in_the_middle(self) -> None:
        """A request cancelled between two others of its route leaves them their order."""
        holders = [object() for _ in range(3)]
        waits = [self.pool.reserve(A, "", holder) for holder in holders]
        waits[1].addErrback(lambda failure: failure.trap(defer.CancelledError))
        waits[1].cancel()
        self.assertEqual(self.pool.waiting, 2)
        self.pool.release(self.port, A, self.first)
        self.assertIs(self.pool.holder(self.port, A), holders[0])
        self.pool.release(self.port, A, holders[0])
        self.assertIs(self.pool.holder(self.port, A), holders[2])
        self.assertEqual(self.pool.waiting, 0)


class ListeningTests(SynchronousTestCase):
    """A port listens while held, and stops once no one holds it."""

    def setUp(self) -> None:
        self.pool = PassivePortPool(range(4001, 4002))
        self.holder = object()
        self.port = self.successResultOf(self.pool.reserve(A, "", self.holder))
        self.listening = FakeListening()
        self.pool.listens(self.port, self.listening)  # type: ignore[arg-type]

    def test_kept(self) -> None:
        """The pool keeps what listens on a held port."""
        self.assertIs(self.pool.listening(self.port), self.listening)

    def test_handed_over_listening(self) -> None:
        """A port released to a request waiting goes on listening."""
        self.pool.reserve(A, "", object())
        self.pool.release(self.port, A, self.holder)
        self.assertIsNone(self.listening.closing)
        self.assertIs(self.pool.listening(self.port), self.listening)

    def test_closed_when_idle(self) -> None:
        """A port released with no one waiting stops listening."""
        self.pool.release(self.port, A, self.holder)
        self.assertIsNotNone(self.listening.closing)
        self.assertIsNone(self.pool.listening(self.port))

    def test_not_given_while_closing(self) -> None:
        """While a port closes no one is given it; once closed, the first request waiting is."""
        self.pool.release(self.port, A, self.holder)
        waiting = self.pool.reserve(A, "", object())
        self.assertNoResult(waiting)
        assert self.listening.closing is not None
        self.listening.closing.callback(None)
        self.assertEqual(self.successResultOf(waiting), self.port)
