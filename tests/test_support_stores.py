"""
Tests for the test kit's stores: the in-memory store's L{drop_after}
misbehaviour, and L{RetryingStore}, which retries another store's calls.
"""

from __future__ import annotations

from random import Random

from twisted.internet.defer import ensureDeferred
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.interfaces import IObjectStore
from twisted_ftps3.s3.retry import RetryPolicy

from .support.memory_store import MemoryObjectStore
from .support.retrying_store import RetryingStore


class DropAfterTests(SynchronousTestCase):
    """
    L{MemoryObjectStore.drop_after} acts, then fails as a dropped
    connection does.
    """

    def test_actsThenFails(self) -> None:
        """
        The call is made, and still fails with a C{ConnectionError}.
        """
        store = MemoryObjectStore()
        store.drop_after("put_object")
        error = self.failureResultOf(ensureDeferred(store.put_object("k", b"v")), S3Error).value
        self.assertEqual(
            (error.code, error.status, error.transient, error.key, store.data("k")),
            ("ConnectionError", None, True, "k", b"v"),
        )

    def test_times(self) -> None:
        """
        With C{times}, only that many calls fail; later ones behave.
        """
        store = MemoryObjectStore()
        store.drop_after("put_object", times=1)
        self.failureResultOf(ensureDeferred(store.put_object("k", b"1")), S3Error)
        self.successResultOf(ensureDeferred(store.put_object("k", b"2")))
        self.assertEqual((store.data("k"), len(store.named("put_object"))), (b"2", 2))

    def test_behave(self) -> None:
        """
        L{MemoryObjectStore.behave} stops it, for one operation or all.
        """
        store = MemoryObjectStore()
        store.drop_after("put_object")
        store.drop_after("delete_object")
        store.behave("put_object")
        self.successResultOf(ensureDeferred(store.put_object("k", b"1")))
        self.failureResultOf(ensureDeferred(store.delete_object("k")), S3Error)
        store.behave()
        self.successResultOf(ensureDeferred(store.delete_object("k")))
        self.assertEqual(store.keys(), [])


class RetryingStoreTests(SynchronousTestCase):
    """
    L{RetryingStore} retries another store's calls with the server's retry
    loop.
    """

    def setUp(self) -> None:
        self.store = MemoryObjectStore()
        self.clock = Clock()
        self.retried = RetryingStore(
            self.store, clock=self.clock, policy=RetryPolicy(patience=5, random=Random(0))
        )

    def test_interface(self) -> None:
        """
        It is an L{IObjectStore}, with the other store's bucket.
        """
        self.assertTrue(verifyObject(IObjectStore, self.retried))
        self.assertEqual(self.retried.bucket, "bucket")

    def test_transientRetried(self) -> None:
        """
        A transient failure is retried on the clock until the call works.
        """
        self.store.fail("put_object", times=2)
        d = ensureDeferred(self.retried.put_object("k", b"v"))
        self.assertNoResult(d)
        self.clock.pump([0.1] * 30)
        self.successResultOf(d)
        self.assertEqual(len(self.store.named("put_object")), 3)

    def test_finalRaised(self) -> None:
        """
        A refusal is raised at once.
        """
        d = ensureDeferred(self.retried.head_object("missing"))
        self.assertEqual(self.failureResultOf(d, S3Error).value.code, "NotFound")
        self.assertEqual(len(self.store.named("head_object")), 1)
