# -*- test-case-name: tests.test_s3_retry -*-
"""
Tests for L{twisted_ftps3.s3.retry}: the backoff policy, the loop that
waits its delays on a clock, and what it logs.

The jitter comes from a seeded L{Random}, and the delays a test expects are
drawn from a second one seeded alike, so each test knows to the instant when
every attempt happens.
"""

from __future__ import annotations

from collections.abc import Callable
from random import Random
from typing import Any

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.task import Clock
from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.retry import DEFAULT_RETRY, IRetryPolicy, RetryPolicy, retrying

SEED = 8
SLOW_DOWN = S3Error("SlowDown", 503, "Please reduce your request rate.", request_id="R503")
FORBIDDEN = S3Error("AccessDenied", 403, "Access Denied", request_id="R403")


def jitter(policy: RetryPolicy, attempts: int, seed: int = SEED) -> list[float]:
    """The waits after failed attempts 1..C{attempts}, drawn as C{policy} draws them."""
    twin = Random(seed)
    return [twin.uniform(0, policy.bound(attempt)) for attempt in range(1, attempts + 1)]


class PolicyTests(SynchronousTestCase):
    """
    L{RetryPolicy}: exponential backoff with full jitter, within a patience.
    """

    def policy(self, **kw: Any) -> RetryPolicy:
        return RetryPolicy(random=Random(SEED), **kw)

    def test_interface(self) -> None:
        """
        L{RetryPolicy} provides L{IRetryPolicy}.
        """
        self.assertTrue(verifyObject(IRetryPolicy, self.policy()))

    def test_defaults(self) -> None:
        """
        By default the patience is 30 seconds, the first wait at most half
        a second, and no wait longer than 8 seconds.
        """
        self.assertEqual(
            (DEFAULT_RETRY.patience, DEFAULT_RETRY.base, DEFAULT_RETRY.cap), (30.0, 0.5, 8.0)
        )

    def test_boundsDouble(self) -> None:
        """
        The bound of the wait doubles after each attempt, up to the cap.
        """
        policy = self.policy(base=0.5, cap=8.0)
        self.assertEqual(
            [policy.bound(n) for n in range(1, 8)], [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
        )

    def test_boundOfHugeAttempt(self) -> None:
        """
        However many attempts, the bound is the cap, never an overflow.
        """
        self.assertEqual(self.policy().bound(5000), 8.0)

    def test_fullJitter(self) -> None:
        """
        Each wait is drawn uniformly between zero and its attempt's bound,
        from the policy's random source.
        """
        policy = self.policy(patience=1000)
        waits = [policy.retry_after(n, SLOW_DOWN, 0.0) for n in range(1, 7)]
        self.assertEqual(waits, jitter(policy, 6))
        for n, wait in enumerate(waits, start=1):
            assert wait is not None
            self.assertTrue(0 <= wait <= policy.bound(n), (n, wait))

    def test_jitterSpreads(self) -> None:
        """
        Two policies with different random sources wait differently after
        the same failure: throttled uploads do not come back in step.
        """
        first = RetryPolicy(random=Random(1)).retry_after(3, SLOW_DOWN, 0.0)
        second = RetryPolicy(random=Random(2)).retry_after(3, SLOW_DOWN, 0.0)
        self.assertNotEqual(first, second)

    def test_transientRetried(self) -> None:
        """
        Throttling, server errors, timeouts and dropped connections are
        retried.
        """
        policy = self.policy()
        errors = [
            SLOW_DOWN,
            S3Error("ServiceUnavailable", 503),
            S3Error("InternalError", 500),
            S3Error("BadGateway", 502),
            S3Error("GatewayTimeout", 504),
            S3Error("TooManyRequests", 429),
            S3Error("RequestTimeout", 400),
            S3Error("InternalError", 200),
            S3Error("ConnectionError", None),
        ]
        self.assertEqual([policy.retry_after(1, e, 0.0) is None for e in errors], [False] * 9)

    def test_finalNotRetried(self) -> None:
        """
        A refusal (400, 403, 404, 409, 412, 501) is never retried.
        """
        policy = self.policy()
        errors = [
            S3Error("InvalidArgument", 400),
            FORBIDDEN,
            S3Error("NoSuchKey", 404),
            S3Error("NoSuchUpload", 404),
            S3Error("Conflict", 409),
            S3Error("PreconditionFailed", 412),
            S3Error("NotImplemented", 501),
            S3Error("InvalidPart", 200),
        ]
        self.assertEqual([policy.retry_after(1, e, 0.0) for e in errors], [None] * 8)

    def test_patienceRunsOut(self) -> None:
        """
        Once the patience has passed since the first attempt, a transient
        failure is final.
        """
        policy = self.policy(patience=30)
        self.assertEqual(
            (policy.retry_after(9, SLOW_DOWN, 30.0), policy.retry_after(9, SLOW_DOWN, 31.0)),
            (None, None),
        )

    def test_lastWaitEndsAtDeadline(self) -> None:
        """
        A wait that would end past the patience is cut to end at it.
        """
        policy = self.policy(patience=30, base=100, cap=100)
        self.assertEqual(policy.retry_after(1, SLOW_DOWN, 29.75), 0.25)

    def test_noPatience(self) -> None:
        """
        With no patience, every request is sent once.
        """
        self.assertIsNone(self.policy(patience=0).retry_after(1, SLOW_DOWN, 0.0))


class Script:
    """An attempt that fails with the scripted errors, then succeeds."""

    def __init__(self, clock: Clock, *errors: S3Error) -> None:
        self.clock = clock
        self.errors = list(errors)
        self.times: list[float] = []

    async def __call__(self) -> str:
        self.times.append(self.clock.seconds())
        if self.errors:
            raise self.errors.pop(0)
        return "done"


class LoopTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.events: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.events.append)

    def start(self, script: Callable[[], Any], policy: RetryPolicy) -> Deferred[Any]:
        return ensureDeferred(
            retrying(script, policy=policy, clock=self.clock, operation="UploadPart", key="k")
        )

    def texts(self, level: LogLevel | None = None) -> list[str]:
        """What was logged from the retry module, at C{level} if given."""
        return [
            formatEvent(event)
            for event in self.events
            if event.get("log_namespace") == "twisted_ftps3.s3.retry"
            and (level is None or event["log_level"] == level)
        ]


class LoopTests(LoopTestCase):
    """
    L{retrying} waits the policy's delays on the clock between attempts.
    """

    def test_firstSuccess(self) -> None:
        """
        An attempt that succeeds is made once, and nothing is logged.
        """
        script = Script(self.clock)
        self.assertEqual(self.successResultOf(self.start(script, RetryPolicy())), "done")
        self.assertEqual((script.times, self.texts()), ([0.0], []))

    def test_waitsEachDelay(self) -> None:
        """
        Each attempt after a transient failure is made exactly when the
        drawn wait has passed, not before.
        """
        policy = RetryPolicy(random=Random(SEED))
        waits = jitter(policy, 3)
        script = Script(self.clock, SLOW_DOWN, SLOW_DOWN, SLOW_DOWN)
        d = self.start(script, policy)
        for wait in waits:
            self.clock.advance(wait * 0.99)
            self.assertNoResult(d)
            self.clock.advance(wait * 0.01)
        self.assertEqual(self.successResultOf(d), "done")
        self.assertEqual(
            script.times, [0.0, waits[0], waits[0] + waits[1], waits[0] + waits[1] + waits[2]]
        )

    def test_finalRaisedAtOnce(self) -> None:
        """
        A failure that is not transient is raised after one attempt.
        """
        script = Script(self.clock, FORBIDDEN)
        self.assertIs(
            self.failureResultOf(self.start(script, RetryPolicy()), S3Error).value, FORBIDDEN
        )
        self.assertEqual(script.times, [0.0])

    def test_givesUpAtDeadline(self) -> None:
        """
        Transient failures are retried until the patience runs out; the
        last attempt starts at the deadline at the latest, and its error is
        raised.
        """
        policy = RetryPolicy(patience=5, random=Random(SEED))
        draws = iter(jitter(policy, 100))
        expected, waits = [0.0], []
        while expected[-1] < 5:
            waits.append(min(next(draws), 5 - expected[-1]))
            expected.append(expected[-1] + waits[-1])
        script = Script(self.clock, *[SLOW_DOWN] * 1000)
        d = self.start(script, policy)
        for wait in waits:
            self.assertNoResult(d)
            self.clock.advance(wait)
        self.assertIs(self.failureResultOf(d, S3Error).value, SLOW_DOWN)
        self.assertEqual(script.times, expected)
        self.assertGreater(len(expected), 3)
        self.assertAlmostEqual(expected[-1], 5.0)

    def test_elapsedFromFirstAttempt(self) -> None:
        """
        The policy is told how long ago the first attempt began, on the
        clock, including the time the attempts themselves took.
        """
        asked: list[tuple[int, float]] = []

        class Recording(RetryPolicy):
            def retry_after(self, attempt: int, error: S3Error, elapsed: float) -> float | None:
                asked.append((attempt, elapsed))
                return 1.0 if attempt < 3 else None

        slow: list[Deferred[None]] = []

        async def attempt() -> None:
            d: Deferred[None] = Deferred()
            slow.append(d)
            self.clock.callLater(2, d.errback, SLOW_DOWN)
            await d

        d = self.start(attempt, Recording())
        self.clock.pump([0.5] * 20)
        self.failureResultOf(d, S3Error)
        self.assertEqual(asked, [(1, 2.0), (2, 5.0), (3, 8.0)])


class LogTests(LoopTestCase):
    """
    Each retry is logged once, and a call that gives up once, with its
    history.
    """

    def test_eachRetryLogged(self) -> None:
        """
        Each retry is logged once, at info, with the operation, the key,
        the attempt, S3's code and request id, and the wait.
        """
        policy = RetryPolicy(random=Random(SEED))
        waits = jitter(policy, 2)
        dropped = S3Error("ConnectionError", None, "connection reset")
        d = self.start(Script(self.clock, SLOW_DOWN, dropped), policy)
        self.clock.pump(waits)
        self.successResultOf(d)
        self.assertEqual(
            self.texts(LogLevel.info),
            [
                "S3 UploadPart of 'k': attempt 1 failed with SlowDown (HTTP 503)"
                f" [request id R503]; retrying in {waits[0]:.2f} s",
                "S3 UploadPart of 'k': attempt 2 failed with ConnectionError (HTTP -)"
                f" [request id None]; retrying in {waits[1]:.2f} s",
            ],
        )
        self.assertEqual(self.texts(LogLevel.warn), [])

    def test_giveUpLoggedWithHistory(self) -> None:
        """
        A call that gives up is logged once, as a warning, with the final
        error and every attempt's code, status, request id and wait.
        """
        policy = RetryPolicy(random=Random(SEED))
        waits = jitter(policy, 2)
        final = S3Error(
            "InternalError", 500, "We encountered an internal error.", request_id="R500",
            operation="UploadPart", key="k",
        )  # fmt: skip
        d = self.start(Script(self.clock, SLOW_DOWN, SLOW_DOWN, FORBIDDEN), policy)
        self.clock.pump(waits)
        self.failureResultOf(d, S3Error)
        d = self.start(Script(self.clock, final), RetryPolicy(patience=0))
        self.failureResultOf(d, S3Error)
        warnings = self.texts(LogLevel.warn)
        self.assertEqual(len(warnings), 2)
        self.assertIn(
            "after 3 attempts: #1 SlowDown (HTTP 503) [request id R503], waited"
            f" {waits[0]:.2f} s; #2 SlowDown (HTTP 503) [request id R503], waited"
            f" {waits[1]:.2f} s; #3 AccessDenied (HTTP 403) [request id R403]",
            warnings[0],
        )
        self.assertEqual(
            warnings[1],
            "S3 UploadPart of 'k' failed: InternalError (HTTP 500) We encountered an internal"
            " error. [request id R500]",
        )

    def test_notFoundIsDebug(self) -> None:
        """
        A missing key is routine: logged once, at debug, not as a warning.
        """
        missing = S3Error("NoSuchKey", 404, "gone", operation="GetObject", key="k")
        self.failureResultOf(self.start(Script(self.clock, missing), RetryPolicy()), S3Error)
        self.assertEqual((len(self.texts(LogLevel.debug)), self.texts(LogLevel.warn)), (1, []))
