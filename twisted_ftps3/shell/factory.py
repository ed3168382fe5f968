# -*- test-case-name: tests.test_shell_homes -*-
"""
How a logged-in user becomes their shell.

L{ShellFactory} holds what every shell of the process shares (the store,
the locks, the registry of uploads, the upload sizes) and makes each
user's L{S3Shell} rooted at their home, with their permissions: the
C{make_shell} a realm calls at each login.
"""

from __future__ import annotations

from ..config import User
from ..locks import KeyLocks
from ..objectkeys import KeyMap
from ..s3.interfaces import IObjectStore
from ..s3.upload import UploadRegistry
from .ftpshell import S3Shell


class ShellFactory:
    """
    Make the shell of each user who logs in.

    @param locks: one for the process, shared by every shell made, so that
        users whose homes overlap lock each other where their keys meet.
    """

    def __init__(
        self,
        store: IObjectStore,
        *,
        dir_suffix: str,
        locks: KeyLocks,
        uploads: UploadRegistry,
        part_size: int,
        parts_in_flight: int,
    ) -> None:
        self.store = store
        self.dir_suffix = dir_suffix
        self.locks = locks
        self.uploads = uploads
        self.part_size = part_size
        self.parts_in_flight = parts_in_flight

    def __call__(self, user: User) -> S3Shell:
        """A shell over C{user}'s home, with C{user}'s permissions."""
        return S3Shell(
            self.store,
            keys=KeyMap(self.dir_suffix, root=user.home),
            permissions=user.permissions,
            locks=self.locks,
            uploads=self.uploads,
            part_size=self.part_size,
            parts_in_flight=self.parts_in_flight,
        )
