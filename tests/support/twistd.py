"""
C{twistd ftps3} in a process of its own, for the tests that need a real
process: its signals, its exit, its output.
"""

from __future__ import annotations

import subprocess
import sys
import threading
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


class Output:
    """
    The output of a L{serving} process, read as it comes in a thread of its
    own, so that a test can wait for a log line while the server runs.
    """

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            with self._lock:
                self._lines.append(raw.decode("utf-8", "replace"))

    def lines(self) -> list[str]:
        """Every line read so far."""
        with self._lock:
            return list(self._lines)

    def wait_for(self, text: str, count: int = 1, timeout: float = 30) -> list[str]:
        """The lines holding C{text}, once there are C{count} of them; fail after C{timeout}."""
        deadline = time.monotonic() + timeout
        while True:
            found = [line for line in self.lines() if text in line]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise AssertionError(f"no {count} lines with {text!r} in:\n{''.join(self.lines())}")
            time.sleep(0.05)

    def finish(self, timeout: float = 30) -> str:
        """All of the output, once the process has closed it."""
        self._thread.join(timeout)
        return "".join(self.lines())
