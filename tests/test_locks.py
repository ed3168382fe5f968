"""
Tests for L{twisted_ftps3.locks}: reader/writer locks on key prefixes.

Every operation here is a small coroutine run with C{ensureDeferred} that
takes its locks and then waits on a Deferred the test fires by hand, so the
tests decide exactly when each operation lets go.
"""

from __future__ import annotations

from collections.abc import Sequence

from twisted.internet.defer import CancelledError, Deferred, ensureDeferred
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.locks import KeyLocks, ancestors

X = "x/"
Y = "y/"


class Operation:
    """
    One operation holding locks: it enters its C{async with} as soon as the
    locks are granted and leaves it when the test calls L{finish}.
    """

    def __init__(
        self,
        locks: KeyLocks,
        *,
        read: Sequence[str] = (),
        write: Sequence[str] = (),
        log: list[str] | None = None,
        name: str = "",
        hold_open: bool = True,
    ) -> None:
        self.entered = False
        self._log = log
        self._name = name
        self._gate: Deferred[None] | None = Deferred() if hold_open else None
        self.done: Deferred[None] = ensureDeferred(self._run(locks, read, write))

    async def _run(
        self,
        locks: KeyLocks,
        read: Sequence[str],
        write: Sequence[str],
    ) -> None:
        async with locks.hold(read=read, write=write):
            self.entered = True
            if self._log is not None:
                self._log.append(self._name)
            if self._gate is not None:
                await self._gate

    def finish(self) -> None:
        """Leave the C{async with}, releasing the locks."""
        assert self._gate is not None
        self._gate.callback(None)


class SharingTests(SynchronousTestCase):
    """Who may hold a prefix's lock together with whom."""

    def setUp(self) -> None:
        self.locks = KeyLocks()
        # Operations a test only holds the lock with must stay referenced:
        # an unreferenced suspended coroutine is collected, releasing its lock.
        self.held: list[Operation] = []

    def test_readers_share(self) -> None:
        """Two readers of one prefix hold its lock at the same time."""
        first = Operation(self.locks, read=[X])
        second = Operation(self.locks, read=[X])
        self.assertEqual((first.entered, second.entered), (True, True))

    def test_writer_excludes_reader(self) -> None:
        """A reader waits while a writer holds the prefix, and goes in when it leaves."""
        writer = Operation(self.locks, write=[X])
        reader = Operation(self.locks, read=[X])
        self.assertFalse(reader.entered)
        writer.finish()
        self.assertTrue(reader.entered)

    def test_writer_excludes_writer(self) -> None:
        """A second writer waits for the first to leave."""
        first = Operation(self.locks, write=[X])
        second = Operation(self.locks, write=[X])
        self.assertFalse(second.entered)
        first.finish()
        self.assertTrue(second.entered)

    def test_reader_excludes_writer(self) -> None:
        """A writer waits until the reader holding the prefix leaves."""
        reader = Operation(self.locks, read=[X])
        writer = Operation(self.locks, write=[X])
        self.assertFalse(writer.entered)
        reader.finish()
        self.assertTrue(writer.entered)

    def test_other_prefixes_independent(self) -> None:
        """A writer of one prefix does not block a writer of another."""
        self.held.append(Operation(self.locks, write=[X]))
        other = Operation(self.locks, write=[Y])
        self.assertTrue(other.entered)

    def test_read_and_write_means_write(self) -> None:
        """A prefix asked for both reading and writing is write-locked."""
        self.held.append(Operation(self.locks, read=[X], write=[X]))
        reader = Operation(self.locks, read=[X])
        self.assertFalse(reader.entered)

    def test_equal_prefixes_share(self) -> None:
        """A prefix built apart (another str object) locks the same prefix as the equal one."""
        self.held.append(Operation(self.locks, write=["".join(["x", "/"])]))
        reader = Operation(self.locks, read=[X])
        self.assertFalse(reader.entered)

    def test_string_prefix_is_not_key_prefix(self) -> None:
        """
        C{al/} and C{alice/} are different prefixes, though one string
        begins the other: their writers do not block each other.
        """
        self.held.append(Operation(self.locks, write=["home/al/"]))
        self.assertTrue(Operation(self.locks, write=["home/alice/"]).entered)

    def test_not_a_prefix_refused(self) -> None:
        """A name that is not a key prefix (a file's key, say) is refused."""
        self.failureResultOf(Operation(self.locks, write=["x/f"]).done, ValueError)
        self.failureResultOf(Operation(self.locks, read=["x"]).done, ValueError)
        self.assertEqual(len(self.locks), 0)


class FairnessTests(SynchronousTestCase):
    """Locks are granted first come, first served."""

    def setUp(self) -> None:
        self.locks = KeyLocks()
        # Operations a test only holds the lock with must stay referenced:
        # an unreferenced suspended coroutine is collected, releasing its lock.
        self.held: list[Operation] = []
        self.log: list[str] = []

    def test_queued_writer_blocks_later_readers(self) -> None:
        """
        A reader arriving after a queued writer waits behind it, even though
        the path is only read-locked, so readers cannot starve the writer.
        """
        first = Operation(self.locks, read=[X])
        self.held.append(
            Operation(self.locks, write=[X], log=self.log, name="writer", hold_open=False)
        )
        late = Operation(self.locks, read=[X], log=self.log, name="late reader")
        self.assertFalse(late.entered)
        first.finish()
        self.assertEqual(self.log, ["writer", "late reader"])

    def test_waiting_readers_enter_together(self) -> None:
        """When a writer leaves, all the readers queued behind it go in at once."""
        writer = Operation(self.locks, write=[X])
        readers = [Operation(self.locks, read=[X]) for _ in range(3)]
        writer.finish()
        self.assertEqual([reader.entered for reader in readers], [True, True, True])

    def test_writers_in_arrival_order(self) -> None:
        """Queued writers go in the order they asked."""
        first = Operation(self.locks, write=[X])
        for name in ("second", "third", "fourth"):
            Operation(self.locks, write=[X], log=self.log, name=name, hold_open=False)
        first.finish()
        self.assertEqual(self.log, ["second", "third", "fourth"])


class ReleaseTests(SynchronousTestCase):
    """Locks are given back however the body ends, and then forgotten."""

    def setUp(self) -> None:
        self.locks = KeyLocks()
        # Operations a test only holds the lock with must stay referenced:
        # an unreferenced suspended coroutine is collected, releasing its lock.
        self.held: list[Operation] = []

    def test_released_on_exception(self) -> None:
        """An exception in the body releases the locks and propagates."""

        async def failing() -> None:
            async with self.locks.hold(write=[X]):
                raise ValueError("boom")

        failure = self.failureResultOf(ensureDeferred(failing()), ValueError)
        self.assertEqual(str(failure.value), "boom")
        self.assertTrue(Operation(self.locks, write=[X]).entered)

    def test_counts_paths_in_use(self) -> None:
        """C{len()} counts each prefix with a lock held or awaited, once."""
        self.held.append(Operation(self.locks, read=["", X], write=[X + "a/"]))
        self.held.append(Operation(self.locks, read=[""], write=[Y]))
        self.assertEqual(len(self.locks), 4)

    def test_idle_locks_forgotten(self) -> None:
        """Once every operation has left, no lock is kept."""
        first = Operation(self.locks, read=[""], write=[X])
        second = Operation(self.locks, read=[""], write=[X])
        first.finish()
        second.finish()
        self.successResultOf(second.done)
        self.assertEqual(len(self.locks), 0)

    def test_forgotten_after_exception(self) -> None:
        """A body that raises leaves no lock behind."""

        async def failing() -> None:
            async with self.locks.hold(read=[""], write=[X]):
                raise ValueError("boom")

        self.failureResultOf(ensureDeferred(failing()), ValueError)
        self.assertEqual(len(self.locks), 0)


class DeadlockTests(SynchronousTestCase):
    """Locks are taken in one global order, whatever order they are asked in."""

    def test_opposite_orders_both_complete(self) -> None:
        """
        Operations asking for C{x} and C{y} in opposite orders both finish.

        Readers hold C{x} and C{y}, so both writers queue; then C{x} is freed,
        then C{y}. Taken in argument order, A would hold C{x} waiting for C{y}
        while B held C{y} waiting for C{x}.
        """
        locks = KeyLocks()
        reader_x = Operation(locks, read=[X])
        reader_y = Operation(locks, read=[Y])
        a = Operation(locks, write=[X, Y], hold_open=False)
        b = Operation(locks, write=[Y, X], hold_open=False)
        reader_x.finish()
        reader_y.finish()
        self.successResultOf(a.done)
        self.successResultOf(b.done)
        self.assertEqual(len(locks), 0)

    def test_holder_of_both_blocks_opposite_order(self) -> None:
        """
        While A holds C{x} and C{y}, B asking for C{y} then C{x} waits, and
        goes in once A leaves.
        """
        locks = KeyLocks()
        a = Operation(locks, write=[X, Y])
        b = Operation(locks, write=[Y, X])
        self.assertFalse(b.entered)
        a.finish()
        self.assertTrue(b.entered)


class CancellationTests(SynchronousTestCase):
    """Cancelling an operation still waiting for its locks."""

    def setUp(self) -> None:
        self.locks = KeyLocks()
        # Operations a test only holds the lock with must stay referenced:
        # an unreferenced suspended coroutine is collected, releasing its lock.
        self.held: list[Operation] = []

    def cancel(self, operation: Operation) -> None:
        """Cancel C{operation} and check that it failed with L{CancelledError}."""
        operation.done.cancel()
        self.failureResultOf(operation.done, CancelledError)

    def test_cancel_fails_with_cancelled(self) -> None:
        """A cancelled waiting operation fails with L{CancelledError}, never entering."""
        self.held.append(Operation(self.locks, write=[X]))
        waiting = Operation(self.locks, write=[X])
        waiting.done.cancel()
        self.failureResultOf(waiting.done, CancelledError)
        self.assertFalse(waiting.entered)

    def test_cancelled_leaves_queue(self) -> None:
        """
        A cancelled writer is out of the queue: when the holder leaves, a
        later waiter is granted and the cancelled one is not.
        """
        holder = Operation(self.locks, write=[X])
        cancelled = Operation(self.locks, write=[X])
        later = Operation(self.locks, write=[X])
        self.cancel(cancelled)
        holder.finish()
        self.assertEqual((cancelled.entered, later.entered), (False, True))

    def test_cancel_lets_readers_behind_in(self) -> None:
        """
        Cancelling the writer that kept readers waiting behind a reader lets
        those readers in at once.
        """
        self.held.append(Operation(self.locks, read=[X]))
        writer = Operation(self.locks, write=[X])
        reader = Operation(self.locks, read=[X])
        self.cancel(writer)
        self.assertTrue(reader.entered)

    def test_cancel_releases_locks_taken(self) -> None:
        """
        An operation cancelled while waiting for its second prefix gives back
        the first, which it already held.
        """
        self.held.append(Operation(self.locks, write=[Y]))
        waiting = Operation(self.locks, write=[X, Y])
        self.cancel(waiting)
        self.assertTrue(Operation(self.locks, write=[X]).entered)

    def test_cancelled_forgotten(self) -> None:
        """Nothing is left of a cancelled operation once the holder leaves."""
        holder = Operation(self.locks, write=[X])
        self.cancel(Operation(self.locks, read=[""], write=[X]))
        holder.finish()
        self.assertEqual(len(self.locks), 0)


class AncestorsTests(SynchronousTestCase):
    """L{ancestors} lists a key prefix's proper ancestors."""

    def test_root_first(self) -> None:
        """The ancestors run from the bucket's root down, excluding the prefix itself."""
        self.assertEqual(ancestors("a/b/c/"), ["", "a/", "a/b/"])

    def test_top_level(self) -> None:
        """A top-level prefix's only ancestor is the bucket's root."""
        self.assertEqual(ancestors("a/"), [""])

    def test_root(self) -> None:
        """The bucket's root has no ancestors."""
        self.assertEqual(ancestors(""), [])

    def test_over_keys_not_paths(self) -> None:
        """
        The ancestors of a path under a user's root are those of its key:
        the root's own prefixes come first.
        """
        self.assertEqual(ancestors("home/alice/a/"), ["", "home/", "home/alice/"])

    def test_not_a_prefix_refused(self) -> None:
        """A name that does not end in C{/} is no key prefix."""
        self.assertRaises(ValueError, ancestors, "a/b")


class KeySpaceTests(SynchronousTestCase):
    """
    Operations under different roots contend where their key spaces meet,
    and only there, when they lock as the shell does (ancestors read, the
    prefix itself written).
    """

    def setUp(self) -> None:
        self.locks = KeyLocks()
        # Operations a test only holds the lock with must stay referenced:
        # an unreferenced suspended coroutine is collected, releasing its lock.
        self.held: list[Operation] = []

    def change(self, prefix: str, hold_open: bool = True) -> Operation:
        """An operation that changes C{prefix}, locking as the shell does."""
        return Operation(self.locks, read=ancestors(prefix), write=[prefix], hold_open=hold_open)

    def test_overlapping_roots_contend(self) -> None:
        """
        A change inside C{home/alice/} waits while a user whose root is
        C{home/} changes C{alice} there, and goes in once that change ends.
        """
        outer = self.change("home/alice/")
        inner = self.change("home/alice/reports/")
        self.assertFalse(inner.entered)
        outer.finish()
        self.assertTrue(inner.entered)

    def test_disjoint_roots_independent(self) -> None:
        """Changes under C{home/alice/} and C{home/bob/} go in together."""
        self.held.append(self.change("home/alice/reports/"))
        self.assertTrue(self.change("home/bob/reports/").entered)
