#!/usr/bin/env python3
"""
What a control connection's TLS costs before its handshake: time to make
it, and resident memory per thousand kept alive, in the server's shared
context (as now) and with an OpenSSL context of its own (as before).

Every connection is made in one context; each control connection's TLS
session has a name of its own, so that its data connections can resume
its TLS session and no other session's (see twisted_ftps3/tls.py). A
context of its own per control connection did the same at the price this
measures. A throwaway self-signed certificate, in this process, with no
network; several runs give a median.

    python benchmarks/tls_contexts.py --connections 1000 --runs 5

Needs: Linux (/proc).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

from OpenSSL import SSL

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from twisted_ftps3.quickstart import write_certificate  # noqa: E402
from twisted_ftps3.tls import ServerTLS, load_tls  # noqa: E402


def resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * 4096 / 2**20


def one_run(
    make: Callable[[], SSL.Connection], count: int, kept: list[object]
) -> tuple[float, float]:
    """
    Make C{count} connections with C{make}, kept in C{kept} (across runs,
    so that no run reuses what an earlier one freed); milliseconds each,
    MiB per thousand.
    """
    before = resident_mib()
    started = time.perf_counter()
    for _ in range(count):
        kept.append(make())
    elapsed = time.perf_counter() - started
    grown = resident_mib() - before
    return elapsed / count * 1000, grown / count * 1000


def measure(
    name: str, make: Callable[[], SSL.Connection], count: int, runs: int, kept: list[object]
) -> tuple[float, float]:
    results = [one_run(make, count, kept) for _ in range(runs)]
    for number, (milliseconds, mib) in enumerate(results, start=1):
        print(f"{name}, run {number}: {milliseconds:.3f} ms each, {mib:.1f} MiB per 1000 kept")
    return (
        statistics.median(r[0] for r in results),
        statistics.median(r[1] for r in results),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        certificate, key = write_certificate(directory)
        tls = load_tls(certificate, key)

    def own_context(tls: ServerTLS = tls) -> SSL.Connection:
        return SSL.Connection(tls.options().getContext(), None)

    ways = [
        ("shared context", lambda: tls.serverConnectionForTLS(None)),
        ("context of its own", own_context),
    ]
    kept: list[object] = []
    medians = [
        (name, measure(name, make, arguments.connections, arguments.runs, kept))
        for name, make in ways
    ]
    for name, (milliseconds, mib) in medians:
        print(
            f"{name}: median of {arguments.runs}: {milliseconds:.3f} ms per connection, "
            f"{mib:.1f} MiB per 1000 kept"
        )


if __name__ == "__main__":
    main()
