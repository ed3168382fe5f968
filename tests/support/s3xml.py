"""
S3's XML answers, built for tests: error documents, pages of a listing, the
result of starting a multipart upload, pages of uploads in progress and
lifecycle configurations, shaped as S3 sends them.

The parsers' tests (C{tests.test_s3_responses}) and the client's tests over
fake HTTP (C{tests.test_s3_client}) both build their documents here, so that
the two agree on what S3 says.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote_plus

#: S3's XML namespace.
NS = "http://s3.amazonaws.com/doc/2006-03-01/"
#: The request id error documents carry unless told another.
REQUEST_ID = "4442587FB7D0A2F9"


def s3_encode(value: str) -> str:
    """Encode C{value} as S3 does for C{encoding-type=url} (a space is C{+})."""
    return quote_plus(value, safe="/")


def error_document(code: str, message: str = "", request_id: str | None = REQUEST_ID) -> bytes:
    """An S3 C{<Error>} document; without C{<RequestId>} if C{request_id} is C{None}."""
    request = f"<RequestId>{request_id}</RequestId>" if request_id else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>{request}"
        "<HostId>host</HostId></Error>"
    ).encode()


def listing(
    keys: Sequence[str] = (),
    prefixes: Sequence[str] = (),
    *,
    encoded: bool = True,
    truncated: bool | None = None,
    token: str | None = None,
    bucket: str = "bucket",
) -> bytes:
    """
    A ListObjectsV2 page holding C{keys} (each of size C{len(key)}) and
    C{prefixes}, URL-encoded as S3 encodes them unless C{encoded} is false.

    @param truncated: what C{<IsTruncated>} says; by default, whether there
        is a C{token}.
    """
    encode = s3_encode if encoded else (lambda value: value)
    if truncated is None:
        truncated = token is not None
    contents = "".join(
        "<Contents>"
        f"<Key>{encode(key)}</Key>"
        "<LastModified>2009-10-12T17:50:30.000Z</LastModified>"
        '<ETag>"fba9dede5f27731c9771645a39863328"</ETag>'
        f"<Size>{len(key)}</Size>"
        "<StorageClass>STANDARD</StorageClass>"
        "</Contents>"
        for key in keys
    )
    common = "".join(
        f"<CommonPrefixes><Prefix>{encode(prefix)}</Prefix></CommonPrefixes>" for prefix in prefixes
    )
    token_element = f"<NextContinuationToken>{token}</NextContinuationToken>" if token else ""
    encoding = "<EncodingType>url</EncodingType>" if encoded else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ListBucketResult xmlns="{NS}">'
        f"<Name>{bucket}</Name><Prefix></Prefix>"
        f"<KeyCount>{len(keys) + len(prefixes)}</KeyCount><MaxKeys>1000</MaxKeys>"
        f"{encoding}<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>"
        f"{token_element}{contents}{common}"
        "</ListBucketResult>"
    ).encode()


def initiate_result(upload_id: str) -> bytes:
    """The answer to CreateMultipartUpload."""
    return (
        f'<InitiateMultipartUploadResult xmlns="{NS}"><Bucket>bucket</Bucket><Key>k</Key>'
        f"<UploadId>{upload_id}</UploadId></InitiateMultipartUploadResult>"
    ).encode()


def uploads_page(
    uploads: Sequence[tuple[str, str, str | None]] = (),
    *,
    next_markers: tuple[str, str] | None = None,
    marker_elements: bool = True,
) -> bytes:
    """
    A ListMultipartUploads page holding C{uploads}, each C{(key, upload id,
    Initiated)} (no C{<Initiated>} for C{None}); truncated, with these next
    markers, if C{next_markers} is given.

    @param marker_elements: whether a truncated page carries its next
        markers at all (S3's always does).
    """
    items = "".join(
        f"<Upload><Key>{key}</Key><UploadId>{upload_id}</UploadId>"
        + (f"<Initiated>{initiated}</Initiated>" if initiated else "")
        + "<StorageClass>STANDARD</StorageClass></Upload>"
        for key, upload_id, initiated in uploads
    )
    markers = ""
    if next_markers is not None and marker_elements:
        markers = (
            f"<NextKeyMarker>{next_markers[0]}</NextKeyMarker>"
            f"<NextUploadIdMarker>{next_markers[1]}</NextUploadIdMarker>"
        )
    truncated = "true" if next_markers is not None else "false"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ListMultipartUploadsResult xmlns="{NS}"><Bucket>bucket</Bucket>'
        "<KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>"
        f"{markers}<MaxUploads>1000</MaxUploads><IsTruncated>{truncated}</IsTruncated>"
        f"{items}</ListMultipartUploadsResult>"
    ).encode()


def lifecycle_rule(
    rule_id: str = "rule",
    *,
    status: str = "Enabled",
    scope: str = "<Filter><Prefix></Prefix></Filter>",
    days: int | None = 7,
) -> str:
    """
    One C{<Rule>} of a lifecycle configuration: C{scope} is its filter (or
    older C{<Prefix>}) element, C{days} its C{AbortIncompleteMultipartUpload}
    (none for C{None}); it also expires old versions, so that it does
    something else besides.
    """
    abort = (
        "<AbortIncompleteMultipartUpload>"
        f"<DaysAfterInitiation>{days}</DaysAfterInitiation>"
        "</AbortIncompleteMultipartUpload>"
        if days is not None
        else ""
    )
    return (
        f"<Rule><ID>{rule_id}</ID>{scope}<Status>{status}</Status>"
        "<NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays>"
        f"</NoncurrentVersionExpiration>{abort}</Rule>"
    )


def lifecycle_configuration(*rules: str) -> bytes:
    """The answer to GetBucketLifecycleConfiguration, holding C{rules}."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<LifecycleConfiguration xmlns="{NS}">{"".join(rules)}</LifecycleConfiguration>'
    ).encode()
