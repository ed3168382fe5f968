"""
Tests for L{twisted_ftps3.ports}: the pool of passive data ports.
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.ports import PassivePortPool


class PassivePortPoolTests(SynchronousTestCase):
    """Handing out, taking and releasing passive ports."""

    def setUp(self) -> None:
        self.pool = PassivePortPool(range(4001, 4004))

    def take_one(self) -> int:
        """Take the next free port, as a caller that could listen on it would."""
        return next(self.pool.candidates())

    def test_empty_range_refused(self) -> None:
        """An empty range of ports is refused."""
        self.assertRaises(ValueError, PassivePortPool, range(4001, 4001))

    def test_all_free_at_start(self) -> None:
        """Every port of the range is free at first."""
        self.assertEqual(self.pool.free, 3)

    def test_candidates_each_once(self) -> None:
        """The candidates are each free port once, in order."""
        self.assertEqual(list(self.pool.candidates()), [4001, 4002, 4003])

    def test_candidates_take(self) -> None:
        """Every port yielded is taken: none is free afterwards."""
        list(self.pool.candidates())
        self.assertEqual(self.pool.free, 0)

    def test_exhausted(self) -> None:
        """With every port taken, there are no candidates."""
        list(self.pool.candidates())
        self.assertEqual(list(self.pool.candidates()), [])

    def test_taken_not_handed_out(self) -> None:
        """A taken port is not a candidate again while it is held."""
        taken = self.take_one()
        self.assertNotIn(taken, list(self.pool.candidates()))

    def test_take_counts(self) -> None:
        """Taking a port leaves one fewer free."""
        self.take_one()
        self.assertEqual(self.pool.free, 2)

    def test_release_frees(self) -> None:
        """Releasing a taken port makes it free again."""
        self.pool.release(self.take_one())
        self.assertEqual(self.pool.free, 3)

    def test_release_to_back(self) -> None:
        """A released port goes to the back of the rotation, after the other free ones."""
        self.pool.release(self.take_one())
        self.assertEqual(list(self.pool.candidates()), [4002, 4003, 4001])

    def test_released_during_iteration_not_repeated(self) -> None:
        """A port released while candidates are being tried is not offered again by that try."""
        candidates = self.pool.candidates()
        self.pool.release(next(candidates))
        self.assertEqual(list(candidates), [4002, 4003])

    def test_double_release_harmless(self) -> None:
        """Releasing a port twice puts it back once."""
        port = self.take_one()
        self.pool.release(port)
        self.pool.release(port)
        self.assertEqual(list(self.pool.candidates()), [4002, 4003, 4001])

    def test_release_of_free_port_harmless(self) -> None:
        """Releasing a port that was never taken changes nothing."""
        self.pool.release(4002)
        self.assertEqual(list(self.pool.candidates()), [4001, 4002, 4003])

    def test_release_of_foreign_port_ignored(self) -> None:
        """Releasing a port outside the range does not add it to the pool."""
        self.pool.release(80)
        self.assertEqual(self.pool.free, 3)

    def test_pools_independent(self) -> None:
        """Two pools over the same range do not share state."""
        list(self.pool.candidates())
        self.assertEqual(PassivePortPool(range(4001, 4004)).free, 3)
