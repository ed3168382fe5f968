# -*- test-case-name: tests.test_faultproxy -*-
"""
Which S3 operation a request is, from its method, path and query alone.

The fault proxy aims its faults at chosen operations (only
C{CompleteMultipartUpload}, say), so it must name each request the way
AWS's API reference does. Requests are path-style (C{/bucket/key}), which
is how the server under test and the tests' boto3 clients address moto.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

#: Bucket sub-resources and the operations they are, by method.
_BUCKET_RESOURCES: dict[tuple[str, str], str] = {
    ("GET", "uploads"): "ListMultipartUploads",
    ("GET", "lifecycle"): "GetBucketLifecycleConfiguration",
    ("PUT", "lifecycle"): "PutBucketLifecycleConfiguration",
    ("DELETE", "lifecycle"): "DeleteBucketLifecycle",
    ("GET", "location"): "GetBucketLocation",
    ("GET", "versioning"): "GetBucketVersioning",
    ("POST", "delete"): "DeleteObjects",
}

_BUCKET_PLAIN = {
    "GET": "ListObjects",
    "HEAD": "HeadBucket",
    "PUT": "CreateBucket",
    "DELETE": "DeleteBucket",
}

_OBJECT_PLAIN = {
    "GET": "GetObject",
    "HEAD": "HeadObject",
    "PUT": "PutObject",
    "DELETE": "DeleteObject",
}


def operation_name(method: str, target: str, headers: Mapping[str, str] | None = None) -> str:
    """
    The S3 operation of a request, such as C{UploadPart}; C{"Unknown"} for
    one this table does not know.

    @param target: the request target as sent: path and query.
    @param headers: the request's headers, names in lower case; only
        C{x-amz-copy-source} is looked at.
    """
    parts = urlsplit(target)
    query = parse_qs(parts.query, keep_blank_values=True)
    path = parts.path.lstrip("/")
    copying = "x-amz-copy-source" in (headers or {})
    if not path:
        return "ListBuckets" if method == "GET" else "Unknown"
    if "/" not in path or (path.endswith("/") and path.count("/") == 1):
        return _bucket_operation(method, query)
    return _object_operation(method, query, copying)


def _bucket_operation(method: str, query: Mapping[str, list[str]]) -> str:
    if method == "GET" and query.get("list-type") == ["2"]:
        return "ListObjectsV2"
    for name in query:
        operation = _BUCKET_RESOURCES.get((method, name))
        if operation is not None:
            return operation
    return _BUCKET_PLAIN.get(method, "Unknown")


def _object_operation(method: str, query: Mapping[str, list[str]], copying: bool) -> str:
    uploading = "uploadId" in query
    if method == "PUT" and "partNumber" in query and uploading:
        return "UploadPartCopy" if copying else "UploadPart"
    if method == "PUT" and copying:
        return "CopyObject"
    if method == "POST" and "uploads" in query:
        return "CreateMultipartUpload"
    if method == "POST" and uploading:
        return "CompleteMultipartUpload"
    if method == "DELETE" and uploading:
        return "AbortMultipartUpload"
    if method == "GET" and uploading:
        return "ListParts"
    return _OBJECT_PLAIN.get(method, "Unknown")
