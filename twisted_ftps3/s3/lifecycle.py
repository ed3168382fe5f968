# -*- test-case-name: tests.test_s3_lifecycle -*-
"""
A start-up check of the bucket's lifecycle rules, for the last line of
defence against parts left behind.

The server aborts what it abandons, retries aborts that fail and sweeps for
abandoned uploads, but only S3 itself can clear the parts of an upload
when no server of this bucket is running, or when its credentials may not
abort. An enabled lifecycle rule with C{AbortIncompleteMultipartUpload}
does that. L{LifecycleCheck} reads the bucket's lifecycle configuration
once at start-up and, when no such rule covers the server's prefix, logs
one warning that recommends one. It never stops the server from starting:
a refusal (C{AccessDenied} is common, the permission is rarely granted)
or any other failure is logged as a skipped check.
"""

from __future__ import annotations

from collections.abc import Sequence

from twisted.application.service import Service
from twisted.internet.defer import CancelledError, Deferred, ensureDeferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from .bounded import STOP_WAIT, within
from .errors import S3Error
from .interfaces import IObjectStore
from .objects import LifecycleRule

__all__ = ["LifecycleCheck", "RECOMMENDED_DAYS", "covering_rule"]

log = Logger()

#: The DaysAfterInitiation the warning recommends: a week, well beyond a
#: day, the sweeper's default age, so that S3 only clears what no server did.
RECOMMENDED_DAYS = 7


def covering_rule(rules: Sequence[LifecycleRule], prefix: str) -> LifecycleRule | None:
    """
    The first enabled rule that aborts incomplete uploads everywhere under
    C{prefix}, if there is one.
    """
    for rule in rules:
        if rule.enabled and rule.abort_after_days is not None and prefix.startswith(rule.prefix):
            return rule
    return None


class LifecycleCheck(Service):
    """
    Reads the lifecycle rules of C{store}'s bucket when started, and warns
    if none aborts the incomplete uploads under C{prefix}.

    @ivar checked: the Deferred of the check once started, for tests; it
        never fails.
    """

    def __init__(self, store: IObjectStore, clock: IReactorTime, prefix: str = "") -> None:
        self._store = store
        self._clock = clock
        self._prefix = prefix
        self.checked: Deferred[LifecycleRule | None] | None = None

    def startService(self) -> None:
        """Start the check; the server goes on starting without waiting for it."""
        super().startService()
        self.checked = ensureDeferred(self.check())

    def stopService(self) -> Deferred[None]:
        """
        Fire once the check, a single S3 call, has finished, or has been
        cut off after L{STOP_WAIT} seconds.
        """
        super().stopService()
        return within(self.checked, STOP_WAIT, self._clock)

    async def check(self) -> LifecycleRule | None:
        """Read the rules once, log what was found; return the covering rule."""
        bucket = self._store.bucket
        try:
            rules = await self._store.get_bucket_lifecycle()
        except S3Error as e:
            log.info(
                "skipped the check of bucket {bucket}'s lifecycle rules: S3 answered"
                " {code} (HTTP {status}) to GetBucketLifecycleConfiguration"
                " [request id {request_id}]",
                bucket=bucket,
                code=e.code,
                status=e.status,
                request_id=e.request_id,
            )
            return None
        except CancelledError:
            log.info("the check of bucket {bucket}'s lifecycle rules was cut off", bucket=bucket)
            return None
        except Exception:
            log.failure("skipped the check of bucket {bucket}'s lifecycle rules", bucket=bucket)
            return None
        rule = covering_rule(rules, self._prefix)
        if rule is None:
            log.warn(
                "bucket {bucket} has no enabled lifecycle rule with"
                " AbortIncompleteMultipartUpload for {prefix!r}: add one, such as"
                " <AbortIncompleteMultipartUpload><DaysAfterInitiation>{days}"
                "</DaysAfterInitiation></AbortIncompleteMultipartUpload> in a rule for the"
                " whole bucket, so that S3 clears the parts of uploads no server could abort",
                bucket=bucket,
                prefix=self._prefix,
                days=RECOMMENDED_DAYS,
            )
        else:
            log.info(
                "bucket {bucket}'s lifecycle rule {rule_id!r} aborts incomplete multipart"
                " uploads after {days} day(s)",
                bucket=bucket,
                rule_id=rule.rule_id,
                days=rule.abort_after_days,
            )
        return rule
