#!/usr/bin/env python3
"""
What a part body costs to fill and send, as many uploads at once fill
theirs: CPU seconds and page faults per GiB, for L{PartBody} (which keeps
each TLS record as it came) against one growing C{bytearray} per body
(what it did before), in this process, with no network.

--bodies bodies grow side by side, one 16 KiB record each in turn (as
many sessions' records arrive interleaved), to --size-kib each; then each
is cut into the 256 KiB pieces an HTTP body is written in. Several runs,
alternating, give a median.

    python benchmarks/part_bodies.py --bodies 1000 --size-kib 1024
    python benchmarks/part_bodies.py --bodies 2 --size-kib 8192

Needs: Linux or any system with getrusage's page fault count.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from twisted_ftps3.s3.bodies import WRITE_SIZE, PartBody  # noqa: E402

RECORD = 16 * 1024


def records_kept(bodies: int, records: int, source: bytes) -> None:
    """L{PartBody}: fill, then write each through its producer."""
    filled = [PartBody() for _ in range(bodies)]
    for _ in range(records):
        for body in filled:
            body.append(bytes(memoryview(source)))  # a new object, as pyOpenSSL gives
    for body in filled:
        body.producer().startProducing(_Discard())


def one_bytearray(bodies: int, records: int, source: bytes) -> None:
    """The earlier scheme: each record copied onto one growing buffer, sent in slices."""
    filled = [bytearray() for _ in range(bodies)]
    for _ in range(records):
        for buffer in filled:
            buffer += bytes(memoryview(source))
    for buffer in filled:
        view = memoryview(buffer)
        for start in range(0, len(view), WRITE_SIZE):
            bytes(view[start : start + WRITE_SIZE])
        view.release()


class _Discard:
    """A consumer that drops what it is given."""

    def write(self, data: bytes) -> None:
        pass


def measure(
    fill: Callable[[int, int, bytes], None], bodies: int, records: int
) -> tuple[float, float]:
    """CPU seconds and minor page faults per GiB of one run of C{fill}."""
    source = os.urandom(RECORD)
    before, started = resource.getrusage(resource.RUSAGE_SELF), time.process_time()
    fill(bodies, records, source)
    elapsed, after = time.process_time() - started, resource.getrusage(resource.RUSAGE_SELF)
    gib = bodies * records * RECORD / 2**30
    return elapsed / gib, (after.ru_minflt - before.ru_minflt) / gib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bodies", type=int, default=1000)
    parser.add_argument("--size-kib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    records = args.size_kib * 1024 // RECORD
    results: dict[str, list[tuple[float, float]]] = {"records kept": [], "one bytearray": []}
    for _ in range(args.runs):
        results["records kept"].append(measure(records_kept, args.bodies, records))
        results["one bytearray"].append(measure(one_bytearray, args.bodies, records))
    print(
        f"{args.bodies} bodies of {args.size_kib} KiB filled side by side, median of {args.runs}:"
    )
    for name, runs in results.items():
        cpu = statistics.median(run[0] for run in runs)
        faults = statistics.median(run[1] for run in runs)
        print(f"  {name:14} {cpu:5.2f} s of CPU per GiB, {faults:8.0f} page faults per GiB")


if __name__ == "__main__":
    main()
