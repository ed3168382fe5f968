"""
C{twistd ftps3} in a process of its own, for the tests that need a real
process: its signals, its exit, its output.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import IO

TWISTD = [sys.executable, "-c", "from twisted.scripts.twistd import run; run()"]


def serving(
    environ: dict[str, str], output: IO[bytes] | int = subprocess.PIPE
) -> subprocess.Popen[bytes]:
    """
    C{twistd -n ftps3} started in its own process, its output in one pipe,
    or in the file C{output} for a process that logs more than a pipe holds
    before it is read.
    """
    return subprocess.Popen(
        [*TWISTD, "-n", "--pidfile=", "ftps3"],
        env=environ,
        stdout=output,
        stderr=subprocess.STDOUT,
    )


def wait_for_health(url: str, process: subprocess.Popen[bytes]) -> None:
    """Wait until the health check at C{url} answers C{OK}, or fail after 30 seconds."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read() == b"OK\n":
                    return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise
        time.sleep(0.2)


def health_status(url: str) -> int | None:
    """The status the health check at C{url} answers now, or C{None} if it does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None
