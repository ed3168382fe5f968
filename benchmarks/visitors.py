"""
Crowds of FTPS clients for the session figures: the visit (N clients at
once, each logging in, storing 1 MiB, listing, reading it back and
comparing, quitting), idle logged-in sessions, and the connection rate.

Clients are Python's ftplib over implicit TLS (L{ImplicitFTPS}, from the
tests), threads spread over several processes so that no one interpreter's
lock paces a thousand of them. Against a server that protects data
connections they send PROT P; against rclone, which refuses PBSZ, their data
connections are plain.
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import Empty
from typing import Any

from harness import HOST  # first: it puts the checkout on sys.path
from peers import Endpoint

from tests.support.clients import ImplicitFTPS

MiB = 1024 * 1024
#: How many client threads one process runs at most.
THREADS_PER_PROCESS = 125


def open_session(endpoint: Endpoint, timeout: float = 300) -> ImplicitFTPS:
    """Connect, TLS, log in and, where the server protects data, PROT P."""
    ftp = ImplicitFTPS(cafile=endpoint.certificate, timeout=timeout)
    try:
        ftp.connect(HOST, endpoint.port)
        ftp.login(endpoint.user, endpoint.password)
        if endpoint.tls_data:
            ftp.prot_p()
    except BaseException:
        ftp.close()
        raise
    return ftp


def error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".strip()[:200]


def _visit(endpoint: Endpoint, name: str, data: bytes) -> None:
    ftp = open_session(endpoint)
    try:
        ftp.storbinary(f"STOR {name}", io.BytesIO(data), blocksize=256 * 1024)
        listing: list[str] = []
        ftp.retrlines("LIST", listing.append)
        received = bytearray()
        ftp.retrbinary(f"RETR {name}", received.extend, blocksize=256 * 1024)
        if bytes(received) != data:
            raise ValueError(f"RETR {name} gave {len(received)} bytes, not the ones stored")
        ftp.quit()
    finally:
        ftp.close()


def _visit_worker(
    endpoint: Endpoint, prefix: str, indices: list[int], ready: Any, go: Any, results: Any
) -> None:
    """One client process: a thread per client, all released by C{go}."""
    common = os.urandom(MiB - 8)
    outcomes: list[tuple[float, float, str | None]] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        go.wait()
        started = time.monotonic()
        error = None
        try:
            _visit(endpoint, f"{prefix}-{index}.bin", index.to_bytes(8, "big") + common)
        except Exception as e:
            error = error_text(e)
        with lock:
            outcomes.append((started, time.monotonic(), error))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in indices]
    for thread in threads:
        thread.start()
    ready.put(len(threads))
    for thread in threads:
        thread.join()
    results.put(outcomes)


@dataclass
class VisitResult:
    clients: int
    failures: int
    wall: float
    p50: float
    p99: float
    errors: list[str] = field(default_factory=list)
    #: The first successful client's finishing time.
    fastest: float = float("nan")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def _spread(count: int, processes: int | None) -> list[list[int]]:
    processes = processes or max(1, math.ceil(count / THREADS_PER_PROCESS))
    return [list(range(p, count, processes)) for p in range(processes) if p < count]


def _take(queue: Any, workers: list[Any], limit: float) -> Any:
    """The next item of C{queue}; fails at once if a worker died, or after C{limit} s."""
    deadline = time.monotonic() + limit
    while True:
        try:
            return queue.get(timeout=1)
        except Empty:
            dead = [w for w in workers if w.exitcode not in (None, 0)]
            if dead or time.monotonic() > deadline:
                for worker in workers:
                    worker.kill()
                codes = [w.exitcode for w in dead]
                raise SystemExit(f"client processes failed (exit codes {codes})") from None


def visit(
    endpoint: Endpoint, clients: int, prefix: str, processes: int | None = None
) -> VisitResult:
    """C{clients} visits at once; wall time from their release to the last one's end."""
    context = multiprocessing.get_context("spawn")
    ready, go, results = context.Queue(), context.Event(), context.Queue()
    shares = _spread(clients, processes)
    workers = [
        context.Process(target=_visit_worker, args=(endpoint, prefix, share, ready, go, results))
        for share in shares
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        _take(ready, workers, 120)
    time.sleep(0.5)  # let every thread reach go.wait()
    released = time.monotonic()
    go.set()
    outcomes = []
    for _ in workers:
        outcomes.extend(_take(results, workers, 1800))
    for worker in workers:
        worker.join()
    wall = max(end for _, end, _ in outcomes) - released
    durations = [end - released for _, end, error in outcomes if error is None]
    errors = [error for _, _, error in outcomes if error is not None]
    distinct: list[str] = []
    for error in errors:
        if error not in distinct:
            distinct.append(error)
    return VisitResult(
        clients,
        len(errors),
        wall,
        percentile(durations, 0.5),
        percentile(durations, 0.99),
        distinct[:5],
        min(durations, default=float("nan")),
    )


def open_idle(endpoint: Endpoint, count: int) -> tuple[list[ImplicitFTPS], list[str]]:
    """C{count} logged-in sessions, opened 16 at a time, left open; and the errors."""
    errors: list[str] = []

    def one(_: int) -> ImplicitFTPS | None:
        try:
            return open_session(endpoint, timeout=120)
        except Exception as e:
            errors.append(error_text(e))
            return None

    with ThreadPoolExecutor(16) as pool:
        sessions = [s for s in pool.map(one, range(count)) if s is not None]
    return sessions, errors


def close_all(sessions: list[ImplicitFTPS]) -> None:
    def one(ftp: ImplicitFTPS) -> None:
        try:
            ftp.quit()
        except Exception:
            pass
        ftp.close()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, sessions))


def _rate_worker(endpoint: Endpoint, seconds: float, ready: Any, go: Any, results: Any) -> None:
    """Sessions one after another (connect, TLS, login, QUIT) for C{seconds}."""
    ready.put(1)
    go.wait()
    deadline = time.monotonic() + seconds
    done, errors = 0, []
    while time.monotonic() < deadline:
        try:
            ftp = ImplicitFTPS(cafile=endpoint.certificate, timeout=60)
            try:
                ftp.connect(HOST, endpoint.port)
                ftp.login(endpoint.user, endpoint.password)
                ftp.quit()
            finally:
                ftp.close()
            done += 1
        except Exception as e:
            errors.append(error_text(e))
    results.put((done, errors[:3], len(errors)))


@dataclass
class RateResult:
    sessions: int
    seconds: float
    failures: int
    errors: list[str]

    @property
    def per_second(self) -> float:
        return self.sessions / self.seconds


def rate(endpoint: Endpoint, concurrency: int, seconds: float) -> RateResult:
    """New sessions per second, C{concurrency} client processes at it for C{seconds}."""
    context = multiprocessing.get_context("spawn")
    ready, go, results = context.Queue(), context.Event(), context.Queue()
    workers = [
        context.Process(target=_rate_worker, args=(endpoint, seconds, ready, go, results))
        for _ in range(concurrency)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        _take(ready, workers, 120)
    started = time.monotonic()
    go.set()
    total, failures, errors = 0, 0, []
    for _ in workers:
        done, some, failed = _take(results, workers, seconds + 300)
        total += done
        failures += failed
        errors.extend(some)
    elapsed = time.monotonic() - started
    for worker in workers:
        worker.join()
    return RateResult(total, elapsed, failures, errors[:3])


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
