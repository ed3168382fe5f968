"""
A signal installer for tests of the drain: it records the handler a drain
installs, so that a test can "send" the second signal by calling it.
"""

from __future__ import annotations

from collections.abc import Callable


class FakeSignals:
    """A L{twisted_ftps3.drain.SignalInstaller} that records the handler and its restoration."""

    def __init__(self) -> None:
        self.handler: Callable[[], None] | None = None
        self.restored = False

    def __call__(self, handler: Callable[[], None]) -> Callable[[], None]:
        self.handler = handler
        self.restored = False

        def restore() -> None:
            self.restored = True

        return restore
