#!/usr/bin/env python3
"""
How long 50 simultaneous logins take, and how long a transfer running
meanwhile is stalled by them.

Starts moto's S3 server and ``twistd -n ftps3`` on 127.0.0.1, with one user
whose password is an argon2id hash (argon2-cffi's defaults, as
``ftps3-hash-password`` writes them) and one with a plain password, as the
peer: the plain login costs no hashing, so the difference is what hashing
costs. For each kind it downloads a large file over and over in a process of its
own, recording every gap between two chunks of a download; fires N logins at
once (connect, TLS, USER, PASS, QUIT) from another process; and reports the
median and longest login, and the longest gap the download saw before and
during the logins. Several runs give medians.

    python benchmarks/logins.py --logins 50 --runs 3

Needs: moto[server], boto3, argon2-cffi; Linux.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import argon2
from harness import BUCKET, ROOT, ftps3_server, moto_server

sys.path.insert(0, ROOT)
from tests.support.clients import ImplicitFTPS  # noqa: E402

MiB = 1024 * 1024
HASHED, PLAIN, MOVER = "hashed", "plain", "mover"
PASSWORD = "a long and correct password"


def login_once(port: int, certificate: str, user: str) -> float:
    started = time.monotonic()
    ftp = ImplicitFTPS(cafile=certificate, timeout=120)
    ftp.connect("127.0.0.1", port)
    ftp.login(user, PASSWORD)
    elapsed = time.monotonic() - started
    ftp.quit()
    return elapsed


def logins(port: int, certificate: str, user: str, count: int, results: Any) -> None:
    """C{count} logins at once, each in a thread; their times go to C{results}."""
    with ThreadPoolExecutor(count) as pool:
        times = list(pool.map(lambda _: login_once(port, certificate, user), range(count)))
    results.put(times)


def download(port: int, certificate: str, started: Any, stop: Any, results: Any) -> None:
    """
    Download the big file again and again until C{stop} is set, timing every
    gap between two chunks, and report the times.
    """
    ftp = ImplicitFTPS(cafile=certificate, timeout=120, source_address=("127.0.0.2", 0))
    ftp.connect("127.0.0.1", port)
    ftp.login(MOVER, PASSWORD)
    ftp.prot_p()
    marks: list[float] = []

    def chunk(data: bytes) -> None:
        marks.append(time.monotonic())
        started.set()

    while not stop.is_set():
        ftp.retrbinary("RETR big.bin", chunk, blocksize=64 * 1024)
        # The pause between two downloads is the client's, not the server's.
        marks.append(float("nan"))
    ftp.quit()
    results.put(marks)


def longest_gap(marks: list[float], start: float, end: float) -> float:
    """The longest gap between two chunks of one download, from C{start} to C{end}."""
    # A NaN mark ends a download; every comparison with it is false, so no
    # gap spans two downloads.
    gaps = [b - a for a, b in itertools.pairwise(marks) if start <= b and a <= end]
    return max(gaps, default=0.0)


def run_kind(server: Any, user: str, count: int) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    started, stop = context.Event(), context.Event()
    downloaded, logged = context.Queue(), context.Queue()
    mover = context.Process(
        target=download, args=(server.port, server.certificate, started, stop, downloaded)
    )
    mover.start()
    started.wait(60)
    time.sleep(1.0)
    quiet_end = time.monotonic()
    crowd = context.Process(
        target=logins, args=(server.port, server.certificate, user, count, logged)
    )
    crowd.start()
    times = logged.get(timeout=300)
    crowd_end = time.monotonic()
    crowd.join()
    stop.set()
    marks = downloaded.get(timeout=300)
    mover.join()
    return {
        "median_login": statistics.median(times),
        "longest_login": max(times),
        "gap_before": longest_gap(marks, 0.0, quiet_end),
        "gap_during": longest_gap(marks, quiet_end, crowd_end),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file-mib", type=int, default=256)
    args = parser.parse_args()
    hashed = argon2.PasswordHasher().hash(PASSWORD)
    results: dict[str, list[dict[str, float]]] = {HASHED: [], PLAIN: []}
    with tempfile.TemporaryDirectory() as directory, moto_server() as s3:
        s3.client().put_object(Bucket=BUCKET, Key="big.bin", Body=os.urandom(MiB) * args.file_mib)
        settings = {
            "FTP_USERS__1__LOGIN": HASHED,
            "FTP_USERS__1__PASSWORD_HASH": hashed,
            "FTP_USERS__2__LOGIN": PLAIN,
            "FTP_USERS__2__PASSWORD": PASSWORD,
            "FTP_USERS__3__LOGIN": MOVER,
            "FTP_USERS__3__PASSWORD": PASSWORD,
            "FTP_MAX_SESSIONS_PER_ADDRESS": str(args.logins + 10),
        }
        with ftps3_server(s3, directory, **settings) as server:
            for run in range(1, args.runs + 1):
                for kind in (HASHED, PLAIN):
                    result = run_kind(server, kind, args.logins)
                    results[kind].append(result)
                    print(
                        f"run {run} {kind:>6}: {args.logins} logins, median "
                        f"{result['median_login']:.3f} s, longest {result['longest_login']:.3f} s;"
                        f" download's longest gap {result['gap_before'] * 1000:.0f} ms before,"
                        f" {result['gap_during'] * 1000:.0f} ms during",
                        flush=True,
                    )
    for kind in (HASHED, PLAIN):
        rows = results[kind]
        print(
            f"median of {args.runs} {kind:>6}: login median "
            f"{statistics.median(r['median_login'] for r in rows):.3f} s, longest "
            f"{statistics.median(r['longest_login'] for r in rows):.3f} s; download's longest "
            f"gap {statistics.median(r['gap_before'] for r in rows) * 1000:.0f} ms before, "
            f"{statistics.median(r['gap_during'] for r in rows) * 1000:.0f} ms during"
        )


if __name__ == "__main__":
    main()
