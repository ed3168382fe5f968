# -*- test-case-name: tests.test_s3_client -*-
"""
The one exception type every S3 call fails with.

Callers above the client (the shell, the upload writer) never see treq, HTTP
status lines or XML: they see an L{S3Error} that says what S3 said, so that
one place can turn it into an FTP reply and the log can carry the request id.
"""

from __future__ import annotations


class S3Error(Exception):
    """
    S3 refused a request, or could not be reached.

    @ivar code: S3's error code (C{NoSuchKey}, C{SignatureDoesNotMatch}...),
        or C{"ConnectionError"} when no HTTP response came back at all.
    @ivar status: the HTTP status, or C{None} when there was no response.
    @ivar message: S3's human-readable message, or the transport error.
    @ivar request_id: S3's C{x-amz-request-id}, for support cases and logs.
    @ivar operation: the client method that failed, such as C{"PutObject"}.
    @ivar key: the object key the request was about, if any.
    """

    def __init__(
        self,
        code: str,
        status: int | None,
        message: str = "",
        *,
        request_id: str | None = None,
        operation: str = "",
        key: str | None = None,
    ) -> None:
        super().__init__(code, status, message)
        self.code = code
        self.status = status
        self.message = message
        self.request_id = request_id
        self.operation = operation
        self.key = key

    @property
    def not_found(self) -> bool:
        """C{True} for a missing key, upload or bucket."""
        return self.status == 404

    @property
    def transient(self) -> bool:
        """
        C{True} when trying again later could succeed: S3 throttled us
        (C{SlowDown}, 503, or 429 from some S3-compatible servers), failed
        inside (500, 502, 504, C{InternalError}, even inside a 200), timed
        out, or never answered (C{ConnectionError}). A refusal (400, 403,
        404, 501...) is S3's answer, and asking again would get it again.
        """
        return self.code in _TRANSIENT_CODES or self.status in _TRANSIENT_STATUSES

    def __str__(self) -> str:
        where = f" {self.operation}" if self.operation else ""
        status = self.status if self.status is not None else "-"
        text = f"S3{where} failed: {self.code} (HTTP {status})"
        if self.message:
            text += f": {self.message}"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text


_TRANSIENT_CODES = frozenset(
    {"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "ConnectionError"}
)
_TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
