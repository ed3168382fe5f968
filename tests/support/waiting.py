"""
Waiting, in a client thread, for something the server does in its own time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def until(
    condition: Callable[[], Any], what: str, limit: float = 30, interval: float = 0.05
) -> Any:
    """
    Poll C{condition()} until it is true and return its value; fail, naming
    C{what}, after C{limit} seconds. It blocks: call it from a thread.
    """
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
