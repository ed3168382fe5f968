# -*- test-case-name: tests.test_collector -*-
"""
Tests for L{twisted_ftps3.collector}: the garbage collector tuned while the
server runs, and put back as it was when it stops.
"""

from __future__ import annotations

import gc

from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.collector import THRESHOLDS, CollectorTuning


class CollectorTuningTests(SynchronousTestCase):
    """L{CollectorTuning} freezes the heap and spaces out collections while it runs."""

    def setUp(self) -> None:
        self.before = gc.get_threshold()
        self.addCleanup(gc.set_threshold, *self.before)
        self.addCleanup(gc.unfreeze)

    def test_started(self) -> None:
        """
        Started, the service sets L{THRESHOLDS} and freezes what exists,
        this test among it.
        """
        service = CollectorTuning()
        service.startService()
        self.assertEqual(
            (gc.get_threshold(), gc.get_freeze_count() > 0, service.running),
            (THRESHOLDS, True, True),
        )

    def test_stoppedPutsBack(self) -> None:
        """Stopped, it puts back the thresholds it found and unfreezes the heap."""
        gc.set_threshold(1234, 5, 6)
        service = CollectorTuning((30_000, 7, 8))
        service.startService()
        during = gc.get_threshold()
        service.stopService()
        self.assertEqual(
            (during, gc.get_threshold(), gc.get_freeze_count()), ((30_000, 7, 8), (1234, 5, 6), 0)
        )

    def test_stopWithoutStart(self) -> None:
        """Stopping a service that never started changes no threshold."""
        gc.set_threshold(1234, 5, 6)
        service = CollectorTuning()
        service.running = True
        service.stopService()
        self.assertEqual(gc.get_threshold(), (1234, 5, 6))
