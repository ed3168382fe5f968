"""
py-spy on a running server: record while something happens, then the top
frames by own time (the frame on top of the stack when sampled), as text.

    with recording(pid, "/tmp/profiles/upload") as profile:
        ...  # the transfer
    print(profile.summary())

The raw collapsed stacks (C{DIR/<figure>.txt}, one stack and its sample count
a line, by function) are kept: flamegraph.pl and https://www.speedscope.app
read them.
"""

from __future__ import annotations

import collections
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


def py_spy() -> str:
    found = shutil.which("py-spy", path=os.path.dirname(sys.executable)) or shutil.which("py-spy")
    if found is None:
        raise SystemExit("py-spy is missing: pip install py-spy")
    return found


#: Frames in which a thread waits, though py-spy samples it as active.
WAITING = ("Condition.wait",)


@dataclass
class Profile:
    path: str
    #: Exit status of py-spy, and its last words if it failed.
    status: int | None = None
    complaint: str = ""

    def stacks(self) -> collections.Counter[tuple[str, ...]]:
        counts: collections.Counter[tuple[str, ...]] = collections.Counter()
        if not os.path.exists(self.path):
            return counts
        with open(self.path) as f:
            for line in f:
                stack, _, count = line.rstrip("\n").rpartition(" ")
                if stack and count.isdigit():
                    counts[tuple(stack.split(";"))] += int(count)
        return counts

    def summary(self, top: int = 15) -> str:
        everything = self.stacks()
        # The reactor's idle thread-pool workers: py-spy does not see them as idle.
        stacks = {s: n for s, n in everything.items() if s[-1].split(" (")[0] not in WAITING}
        total = sum(stacks.values())
        if not total:
            return f"(no samples in {self.path}: py-spy {self.status} {self.complaint})"
        own: collections.Counter[str] = collections.Counter()
        inclusive: collections.Counter[str] = collections.Counter()
        for stack, count in stacks.items():
            own[stack[-1]] += count
            for frame in set(stack[1:]):  # the first is the thread
                inclusive[frame] += count
        waiting = sum(everything.values()) - total
        lines = [
            f"{total} samples ({waiting} more of threads waiting in {', '.join(WAITING)} left"
            f" out); top {top} by own time:"
        ]
        for frame, count in own.most_common(top):
            lines.append(
                f"  {100 * count / total:5.1f}% own {100 * inclusive[frame] / total:5.1f}% "
                f"total  {frame}"
            )
        return "\n".join(lines)


@contextmanager
def recording(pid: int, stem: str, rate: int = 100) -> Iterator[Profile]:
    """py-spy records C{pid} (raw, by function) into C{stem}.txt while the block runs."""
    os.makedirs(os.path.dirname(stem) or ".", exist_ok=True)
    profile = Profile(stem + ".txt")
    spy = subprocess.Popen(
        [py_spy(), "record", "--pid", str(pid), "--format", "raw", "--function",
         "--rate", str(rate), "--output", profile.path],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    time.sleep(1.0)  # py-spy attaches
    try:
        yield profile
    finally:
        spy.send_signal(signal.SIGINT)
        try:
            _, err = spy.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
            _, err = spy.communicate()
        profile.status = spy.returncode
        if not os.path.exists(profile.path):
            profile.complaint = err.decode("utf-8", "replace").strip()[-500:]
