# -*- test-case-name: tests.test_collector -*-
"""
How often CPython's cyclic garbage collector runs while the server serves.

The collector's defaults (a young collection every 700 objects allocated
and not freed, a full one after every hundred of those) suit a program whose
heap is small. A burst of sessions is the opposite case: a thousand sessions
at once hold a few hundred thousand objects (protocols, Deferreds, pages of
a listing being sent), nearly all freed by reference counting the moment a
session is done with them, yet each young collection that comes while they
are alive moves them along, and every full collection scans all of them.
Measured in a visit of 1,000 sessions at once (log in, STOR 1 MiB, LIST,
RETR, QUIT) in front of moto, the collector took 6.2 s of the server's
32.9 s of CPU, 4.4 s of it in 23 full collections.

So while the server runs:

  - what exists once it has started (modules, settings, the service tree)
    is frozen out of the collector's view (C{gc.freeze}), so that no
    collection scans it again;
  - the collector runs less often (L{THRESHOLDS}). In the same visit it took
    1.5 s of 25.9 s, with one full collection. It leaves cyclic garbage
    (a Deferred and its failure, a closed connection's protocol) for longer:
    the visit's peak RSS was 655 MiB, against 588 to 641 MiB in three runs
    without.

Stopping the service puts the collector back as it was.
"""

from __future__ import annotations

import gc

from twisted.application.service import Service

#: C{gc.set_threshold}'s: a young collection every 20,000 objects allocated
#: and not freed, an older one every 20 of those, a full one every 20 older
#: ones (and, as always, only once the heap has grown by a quarter since).
THRESHOLDS = (20_000, 20, 20)


class CollectorTuning(Service):
    """Freeze the heap as started and space out collections, from start to stop."""

    def __init__(self, thresholds: tuple[int, int, int] = THRESHOLDS) -> None:
        self.thresholds = thresholds
        self._before: tuple[int, int, int] | None = None

    def startService(self) -> None:
        super().startService()
        gc.collect()
        gc.freeze()
        self._before = gc.get_threshold()
        gc.set_threshold(*self.thresholds)

    def stopService(self) -> None:
        super().stopService()
        if self._before is not None:
            gc.set_threshold(*self._before)
            self._before = None
        gc.unfreeze()
