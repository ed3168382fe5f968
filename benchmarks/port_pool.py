#!/usr/bin/env python3
"""
What handing a released passive port to the next session waiting costs, as
a burst of sessions from one client waits for the pool's ports: CPU
microseconds per release, in this process, with no network.

A pool of --ports ports is held, and N more requests of one route wait;
the ports are then released one at a time, each going to the next request
waiting, until none is left. The figure is the median over --runs of the
mean time per release, for each N of --waiting.

    python benchmarks/port_pool.py --waiting 100,1000,5000
    python benchmarks/port_pool.py --root /path/to/another/checkout

--root measures the pool of another checkout (an earlier commit, say).
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from typing import Any

ROUTE = ("address", "127.0.0.1")


def mean_release(pool_class: Any, ports: int, waiting: int) -> float:
    """Microseconds per release, over every release of one drain of the pool."""
    pool = pool_class(range(4001, 4001 + ports))
    held: list[tuple[int, object]] = []
    for _ in range(ports):
        holder = object()
        held.append((pool.reserve(ROUTE, "", holder).result, holder))
    queued = []
    for _ in range(waiting):
        holder = object()
        queued.append((pool.reserve(ROUTE, "", holder), holder))
    queued.reverse()
    releases = 0
    started = time.process_time()
    while held:
        number, holder = held.pop(0)
        pool.release(number, ROUTE, holder)
        releases += 1
        if queued:
            given, next_holder = queued.pop()
            held.append((given.result, next_holder))
    return (time.process_time() - started) / releases * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ports", type=int, default=30, help="ports in the pool (30)")
    parser.add_argument("--waiting", default="100,1000,5000", help="requests waiting, N,N,...")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    )
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.root))
    ports = importlib.import_module("twisted_ftps3.ports")
    print(f"pool of {ports.__file__}, {args.ports} ports, one route")
    for waiting in (int(n) for n in args.waiting.split(",")):
        runs = [mean_release(ports.PassivePortPool, args.ports, waiting) for _ in range(args.runs)]
        print(f"{waiting:6d} waiting: {statistics.median(runs):8.1f} us per release")


if __name__ == "__main__":
    main()
