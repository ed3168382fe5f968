# -*- test-case-name: tests.test_faultproxy -*-
"""
The answers the fault proxy makes up, and the one request it rewrites.

S3's clients tell a throttled or failed request by its status and by the
C{<Error>} document in its body, which carries a code and a request id;
L{s3_error_answer} makes such an answer as S3 sends it. The other two
serve the faults aimed at C{CompleteMultipartUpload}: an answer that says
it worked with an ETag nobody computed, and a request whose part list
has lost a part on the way.
"""

from __future__ import annotations

import secrets

from .httpframes import Message

__all__ = ["forged_completion", "s3_error_answer", "without_last_part"]


def s3_error_answer(status: int, reason: str, code: str, message: str, *, head: bool) -> bytes:
    """
    A whole HTTP answer carrying S3's XML error C{code}, as S3 sends it: a
    request id in a header and in the body. After a HEAD there is no body.
    """
    request_id = "FAULT" + secrets.token_hex(6).upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{request_id}</RequestId><HostId>fault-proxy</HostId></Error>"
    ).encode()
    return _answer(status, reason, body if not head else b"", request_id)


def _answer(status: int, reason: str, body: bytes, request_id: str) -> bytes:
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        f"x-amz-request-id: {request_id}\r\n"
        "Content-Type: application/xml\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def forged_completion(request: Message) -> bytes:
    """A C{200} to a C{CompleteMultipartUpload} with an ETag nobody computed."""
    parts = request.body.count(b"<PartNumber>")
    path = request.target.split(b"?")[0].decode()
    bucket, _, key = path.lstrip("/").partition("/")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Location>http://fault-proxy{path}</Location><Bucket>{bucket}</Bucket><Key>{key}</Key>"
        f"<ETag>&quot;{secrets.token_hex(16)}-{parts}&quot;</ETag>"
        "</CompleteMultipartUploadResult>"
    ).encode()
    return _answer(200, "OK", body, "FAULT" + secrets.token_hex(6).upper())


def without_last_part(request: Message) -> bytes:
    """
    The request's bytes with the last C{<Part>} of its body blanked out by
    spaces: the same length, so C{Content-Length} (and any header signed
    with it) still holds. moto does not compare the body with its hash.
    """
    body = request.body
    start, end = body.rfind(b"<Part>"), body.rfind(b"</Part>")
    if start < 0 or end < start or request.header(b"content-length") is None:
        return request.raw
    end += len(b"</Part>")
    blanked = body[:start] + b" " * (end - start) + body[end:]
    return request.raw[: len(request.raw) - len(body)] + blanked
