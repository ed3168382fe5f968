#!/usr/bin/env python3
"""
What a control connection's own TLS context costs: time to make one, and
resident memory per thousand kept alive.

Every control connection gets an OpenSSL context of its own, so that its
data connections can resume its TLS session and no other session's (see
twisted_ftps3/tls.py). This measures that price with a throwaway
self-signed certificate, in this process, with no network. Several runs
give a median.

    python benchmarks/tls_contexts.py --contexts 1000 --runs 5

Needs: Linux (/proc).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from twisted_ftps3.quickstart import write_certificate  # noqa: E402
from twisted_ftps3.tls import ServerTLS, load_tls  # noqa: E402


def resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * 4096 / 2**20


def one_run(tls: ServerTLS, count: int, kept: list[object]) -> tuple[float, float]:
    """
    Make C{count} control connections' contexts, kept in C{kept} (across
    runs, so that no run reuses what an earlier one freed); milliseconds
    each, MiB per thousand.
    """
    before = resident_mib()
    started = time.perf_counter()
    for _ in range(count):
        # The connection would exist with a shared context too; the context is the extra.
        kept.append(tls.serverConnectionForTLS(None).get_context())
    elapsed = time.perf_counter() - started
    grown = resident_mib() - before
    return elapsed / count * 1000, grown / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contexts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        certificate, key = write_certificate(directory)
        tls = load_tls(certificate, key)
    kept: list[object] = []
    results = [one_run(tls, arguments.contexts, kept) for _ in range(arguments.runs)]
    for number, (milliseconds, mib) in enumerate(results, start=1):
        print(f"run {number}: {milliseconds:.3f} ms per context, {mib:.1f} MiB per 1000 kept")
    print(
        f"median of {arguments.runs}: "
        f"{statistics.median(r[0] for r in results):.3f} ms per context, "
        f"{statistics.median(r[1] for r in results):.1f} MiB per 1000 kept"
    )


if __name__ == "__main__":
    main()
