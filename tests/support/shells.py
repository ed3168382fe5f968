"""
Shells of users with homes and permissions over one in-memory bucket, for
the tests of homes and permissions.

L{UserShellTestCase} makes, through the real L{ShellFactory}, the shell
each L{User} would get at login, all over one L{MemoryObjectStore} and one
set of locks, as every session of a process shares them.
L{upload_through} drives an upload as the protocol does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.python import filepath
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.config import User
from twisted_ftps3.locks import KeyLocks
from twisted_ftps3.objectkeys import KeyMap
from twisted_ftps3.permissions import Permissions
from twisted_ftps3.replies import NotPermitted
from twisted_ftps3.s3.limits import MIN_PART_SIZE
from twisted_ftps3.s3.upload import UploadRegistry
from twisted_ftps3.shell import S3Shell, ShellFactory

from .memory_store import MemoryObjectStore
from .producers import FakeProducer

#: The usual bank layout: the home listable, an inbox to drop files into
#: (no listing, no overwrite), an outbox to fetch them from.
BANK = {"/": ["list"], "/inbox": ["upload"], "/outbox": ["list", "download"]}


async def upload_through(
    shell: Any,
    path: Sequence[str],
    data: bytes,
    *,
    append: bool = False,
    offset: int | None = None,
) -> None:
    """
    Store C{data} at C{path} through C{shell}, as STOR does; as APPE does
    if C{append}; as REST C{offset} then STOR does if given one.
    """
    if append or offset is not None:
        target = await shell.openForAppending(path, offset)
    else:
        target = await shell.openForWriting(path)
    consumer = await target.receive()
    consumer.registerProducer(FakeProducer(), True)
    consumer.write(data)
    consumer.unregisterProducer()
    await target.close()


def memory_shells(store: MemoryObjectStore, suffix: str = "/") -> ShellFactory:
    """The shell factory of a process over C{store}, with small upload parts."""
    return ShellFactory(
        store,
        dir_suffix=suffix,
        locks=KeyLocks(),
        uploads=UploadRegistry(),
        part_size=MIN_PART_SIZE,
        parts_in_flight=2,
    )


def user(permissions: Mapping[str, Iterable[str]] | Iterable[str], home: str) -> User:
    """A user at C{home} with C{permissions}: a map of directories, or names for everywhere."""
    if isinstance(permissions, Mapping):
        granted = Permissions.from_mapping(permissions)
    else:
        granted = Permissions.from_mapping({"/": list(permissions)})
    return User("acme", "pw", home=home, permissions=granted)


class UserShellTestCase(SynchronousTestCase):
    """
    Users' shells over one bucket; by default the user's home is
    C{partners/acme/}, and a neighbour's file lies beside it.
    """

    home = "partners/acme/"
    suffix = "/"
    #: Beside the home: no shell of a user at home may touch it.
    neighbour = {"partners/acme-old/keep": b"not acme's", "partners/bank/keep": b"bank's"}

    def setUp(self) -> None:
        self.store = MemoryObjectStore(page_size=3)
        self.factory = memory_shells(self.store, self.suffix)
        self.locks = self.factory.locks
        self.uploads = self.factory.uploads
        self.keys = KeyMap(self.suffix, root=self.home)
        for key, data in self.neighbour.items():
            self.store.store(key, data)

    def shell(
        self,
        permissions: Mapping[str, Iterable[str]] | Iterable[str] = ("all",),
        home: str | None = None,
    ) -> S3Shell:
        """The shell a user with C{permissions} (a map, or names for everywhere) gets."""
        return self.factory(user(permissions, self.home if home is None else home))

    # -- the bucket -----------------------------------------------------------

    def put(self, *path: str, data: bytes = b"data") -> None:
        """Make the file C{path} of the home, behind the shell's back."""
        self.store.store(self.keys.file_key(path), data)

    def put_directory(self, *path: str) -> None:
        """Make the marker of the directory C{path} of the home, behind the shell's back."""
        self.store.store(self.keys.marker_key(path))

    def objects(self) -> dict[str, bytes]:
        """Every key in the bucket, with its bytes."""
        return {key: self.store.data(key) for key in self.store.keys()}

    def home_objects(self) -> dict[str, bytes]:
        """Every key under the home, without the home's prefix, with its bytes."""
        return {
            key[len(self.home) :]: data
            for key, data in self.objects().items()
            if key.startswith(self.home)
        }

    # -- the shell ------------------------------------------------------------

    def upload(self, shell: Any, path: Sequence[str], data: bytes = b"new", **how: Any) -> Any:
        """The Deferred of L{upload_through}."""
        return ensureDeferred(upload_through(shell, path, data, **how))

    def refused(self, d: Deferred[Any], *words: str) -> str:
        """
        The reply C{d} failed with, checked to be a 550 L{NotPermitted}
        holding each of C{words} and not the home's key prefix.
        """
        reply: str = self.failureResultOf(d, NotPermitted).value.response()
        self.assertTrue(reply.startswith("550 "), reply)
        self.assertIn("not permitted", reply)
        for word in words:
            self.assertIn(word, reply)
        self.assertNotIn(self.home, reply)
        return reply

    def refused_unchanged(self, d: Deferred[Any], *words: str) -> str:
        """L{refused}, and the bucket asked for no change."""
        reply = self.refused(d, *words)
        self.assertEqual(self.store.changes(), [])
        return reply

    def listed(self, shell: Any, path: Sequence[str]) -> dict[str, tuple[bool, str, str]]:
        """
        What C{shell} lists in C{path}: each name, once, with whether it
        is a directory, its mode bits and its C{perm} fact.
        """
        entries = self.successResultOf(shell.list(path, ("directory", "permissions", "perm")))
        names = [name for name, _ in entries]
        self.assertEqual(len(names), len(set(names)), f"names listed twice in {names}")
        return {name: (d, self.mode(p), perm) for name, (d, p, perm) in entries}

    @staticmethod
    def mode(permissions: filepath.Permissions) -> str:
        """The C{ls -l} shorthand of mode bits."""
        return permissions.shorthand()
