"""
Loaded by the benchmarked server's interpreter when C{versus_rclone.py
--gc-stats} puts this directory on its C{PYTHONPATH}: the CPU time the
garbage collector takes, by generation, written as JSON to the file
C{FTPS3_BENCH_GC_STATS} names, every second and at exit.

CPU time of the collecting thread (C{time.thread_time}), not wall time: a
server sharing two cores with a thousand client threads is often preempted
in the middle of a collection.
"""

from __future__ import annotations

import os

_PATH = os.environ.get("FTPS3_BENCH_GC_STATS")

if _PATH:
    import atexit
    import gc
    import json
    import threading
    import time

    _totals = {str(generation): {"collections": 0, "cpu": 0.0} for generation in range(3)}
    _started = [0.0]

    def _timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            _started[0] = time.thread_time()
            return
        total = _totals[str(info["generation"])]
        total["collections"] += 1
        total["cpu"] += time.thread_time() - _started[0]

    def _write() -> None:
        with open(f"{_PATH}.tmp", "w") as f:
            json.dump(_totals, f)
        os.replace(f"{_PATH}.tmp", _PATH)

    def _every_second() -> None:
        while True:
            time.sleep(1)
            _write()

    gc.callbacks.append(_timed)
    atexit.register(_write)
    threading.Thread(target=_every_second, daemon=True).start()
