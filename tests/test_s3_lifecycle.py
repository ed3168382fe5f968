# -*- test-case-name: tests.test_s3_lifecycle -*-
"""
Tests for L{twisted_ftps3.s3.lifecycle}: the start-up check of the
bucket's lifecycle rules, over the in-memory store.
"""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.logger import LogLevel
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.lifecycle import LifecycleCheck, covering_rule
from twisted_ftps3.s3.objects import LifecycleRule

from .support.logs import capture_logs
from .support.memory_store import MemoryObjectStore

WHOLE = LifecycleRule("abort", True, "", 7)


class CoveringRuleTests(SynchronousTestCase):
    """
    L{covering_rule} finds an enabled rule that aborts incomplete uploads
    everywhere under the server's prefix.
    """

    def test_found(self) -> None:
        """
        An enabled rule with days, for the whole bucket or a prefix of the
        server's, covers it.
        """
        self.assertIs(covering_rule([WHOLE], ""), WHOLE)
        home = LifecycleRule("home", True, "home/", 1)
        self.assertIs(covering_rule([home], "home/alice/"), home)

    def test_notFound(self) -> None:
        """
        A disabled rule, one without AbortIncompleteMultipartUpload, or one
        for another part of the bucket does not cover it.
        """
        rules = [
            LifecycleRule("off", False, "", 7),
            LifecycleRule("expiry", True, "", None),
            LifecycleRule("logs", True, "logs/", 7),
        ]
        self.assertIsNone(covering_rule(rules, ""))


class CheckTests(SynchronousTestCase):
    """
    L{LifecycleCheck} logs one warning when no rule covers the server, and
    never fails.
    """

    def setUp(self) -> None:
        self.store = MemoryObjectStore("files")
        self.clock = Clock()
        self.check = LifecycleCheck(self.store, self.clock)
        self.logs = capture_logs(self)

    def run_check(self) -> LifecycleRule | None:
        self.check.startService()
        assert self.check.checked is not None
        rule = self.successResultOf(self.check.checked)
        self.successResultOf(self.check.stopService())
        return rule

    def test_noRuleWarns(self) -> None:
        """
        Without a covering rule one warning names the bucket and recommends
        an AbortIncompleteMultipartUpload rule with its DaysAfterInitiation.
        """
        self.store.lifecycle = (LifecycleRule("expiry", True, "", None),)
        self.assertIsNone(self.run_check())
        (warning,) = self.logs.at(LogLevel.warn)
        self.assertIn("bucket files has no enabled lifecycle rule", warning)
        self.assertIn(
            "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation>",
            warning,
        )
        self.assertEqual(self.store.named("get_bucket_lifecycle"), [("get_bucket_lifecycle",)])

    def test_noConfiguration(self) -> None:
        """
        A bucket without a lifecycle configuration gets the warning too.
        """
        self.run_check()
        self.assertEqual(len(self.logs.at(LogLevel.warn)), 1)

    def test_ruleFound(self) -> None:
        """
        A covering rule is logged as found, without a warning.
        """
        self.store.lifecycle = (WHOLE,)
        self.assertIs(self.run_check(), WHOLE)
        self.assertEqual(self.logs.at(LogLevel.warn), [])
        self.assertTrue(any("rule 'abort' aborts" in text for text in self.logs.at(LogLevel.info)))

    def test_accessDenied(self) -> None:
        """
        A refusal skips the check with one informational line that says
        why; nothing is warned of or raised.
        """
        self.store.fail("get_bucket_lifecycle", S3Error("AccessDenied", 403, request_id="R1"))
        self.assertIsNone(self.run_check())
        self.assertEqual(self.logs.at(LogLevel.warn), [])
        self.assertTrue(
            any(
                "skipped the check" in text and "AccessDenied (HTTP 403)" in text
                for text in self.logs.at(LogLevel.info)
            )
        )

    def test_unexpectedError(self) -> None:
        """
        Any other failure skips the check too, logged with its traceback.
        """
        self.store.failures["get_bucket_lifecycle"] = ValueError("bad XML")  # type: ignore[assignment]
        self.assertIsNone(self.run_check())
        self.assertEqual(len(self.flushLoggedErrors(ValueError)), 1)

    def test_stopCutsOff(self) -> None:
        """
        Stopping waits for the S3 call under way, but not for longer than
        five seconds: then the check is cut off, without a warning.
        """
        self.store.hold("get_bucket_lifecycle")
        self.check.startService()
        d = self.check.stopService()
        self.clock.advance(4.9)
        self.assertNoResult(d)
        self.clock.advance(0.1)
        self.successResultOf(d)
        self.assertEqual((self.logs.at(LogLevel.warn), self.clock.getDelayedCalls()), ([], []))
        self.assertTrue(any("cut off" in text for text in self.logs.at(LogLevel.info)))

    def test_stopBeforeStart(self) -> None:
        """
        A check never started stops at once.
        """
        self.successResultOf(self.check.stopService())
