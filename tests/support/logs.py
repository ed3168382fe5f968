"""
The log events a unit test provokes, by level: L{capture_logs} attaches an
observer to the global log publisher for the length of one test.
"""

from __future__ import annotations

from typing import Any

from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase


class CapturedLogs:
    """Every event logged while attached."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def at(self, level: LogLevel) -> list[str]:
        """The text of every event logged at C{level}, in order."""
        return [formatEvent(e) for e in self.events if e.get("log_level") == level]


def capture_logs(test: SynchronousTestCase) -> CapturedLogs:
    """Capture what is logged until C{test} ends."""
    logs = CapturedLogs()
    globalLogPublisher.addObserver(logs)
    test.addCleanup(globalLogPublisher.removeObserver, logs)
    return logs
