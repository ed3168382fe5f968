# -*- test-case-name: tests.test_ports -*-
"""
The passive data ports one server hands out.

Every session of this process draws from one pool, so two sessions never
hold one port at once, and a port comes back as soon as its transfer ends or
its client fails to connect in time. Ports are handed out in rotation, which
keeps a port that was just released from being reused at once by another
client while a late packet of the previous connection may still arrive.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator


class PassivePortPool:
    """The ports C{first} .. C{first + count - 1}."""

    def __init__(self, ports: range) -> None:
        if not len(ports):
            raise ValueError("the passive port range is empty")
        self._free: deque[int] = deque(ports)
        self._taken: set[int] = set()

    @property
    def free(self) -> int:
        """How many ports are free now."""
        return len(self._free)

    def candidates(self) -> Iterator[int]:
        """
        Take free ports one at a time, for the caller to try listening on.

        Each port yielded is taken; the caller keeps the one it can listen
        on and L{release}s the others (another program may hold them).
        """
        for _ in range(len(self._free)):
            if not self._free:
                return
            port = self._free.popleft()
            self._taken.add(port)
            yield port

    def release(self, port: int) -> None:
        """Give C{port} back; releasing a port twice is harmless."""
        if port in self._taken:
            self._taken.remove(port)
            self._free.append(port)
