# -*- test-case-name: tests.test_s3_responses -*-
"""
Parse the XML bodies S3 answers with into small frozen values (those of
L{twisted_ftps3.s3.objects}, and the fields of an error document).

Every parser takes the whole body as bytes: S3's XML answers are small (a page
of a listing is at most 1,000 entries), unlike object bodies, which are never
parsed or held here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote_plus
from xml.etree import ElementTree

from .objects import LifecycleRule, ListPage, MultipartUploadEntry, ObjectInfo, UploadPage


class MalformedResponse(Exception):
    """S3 answered with XML this module cannot make sense of."""


@dataclass(frozen=True)
class ErrorBody:
    """The fields of an S3 C{<Error>} document."""

    code: str
    message: str
    request_id: str | None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _parse(body: bytes) -> ElementTree.Element:
    # S3 sends whitespace to keep a slow CompleteMultipartUpload or CopyObject
    # alive before the document itself; an XML declaration after it no longer
    # parses, so it is dropped.
    try:
        return ElementTree.fromstring(body.lstrip())
    except ElementTree.ParseError as e:
        raise MalformedResponse(f"S3 sent XML that does not parse: {e}") from e


def _children(element: ElementTree.Element, name: str) -> Iterator[ElementTree.Element]:
    return (child for child in element if _local(child.tag) == name)


def _text(element: ElementTree.Element, name: str, default: str | None = None) -> str:
    for child in _children(element, name):
        return child.text or ""
    if default is None:
        raise MalformedResponse(f"S3 sent <{_local(element.tag)}> without <{name}>")
    return default


def _optional_text(element: ElementTree.Element, name: str) -> str | None:
    for child in _children(element, name):
        return child.text or ""
    return None


def _namespace(root: ElementTree.Element) -> str:
    """The C{{namespace}} of C{root}'s tag, which S3 gives every element of a document."""
    tag = root.tag
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def _integer(value: str) -> int:
    try:
        return int(value)
    except ValueError as e:
        raise MalformedResponse(f"S3 sent a number that does not parse: {value!r}") from e


def parse_timestamp(value: str) -> datetime.datetime:
    """
    Parse S3's ISO 8601 C{LastModified} into an aware UTC datetime.
    """
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise MalformedResponse(f"S3 sent a timestamp that does not parse: {value!r}") from e
    if parsed.tzinfo is datetime.timezone.utc:
        # S3's own form, once for every entry of every listing.
        return parsed
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def is_error(body: bytes) -> bool:
    """
    Whether a body is an C{<Error>} document.

    CompleteMultipartUpload and CopyObject may answer 200 and still fail,
    reporting the failure in the body, so their callers must ask.
    """
    try:
        root = ElementTree.fromstring(body.lstrip())
    except ElementTree.ParseError:
        return False
    return _local(root.tag) == "Error"


def parse_error(body: bytes) -> ErrorBody | None:
    """
    Parse an error document; C{None} if the body is not one (HEAD answers
    and some proxies send none).
    """
    if not body.strip():
        return None
    try:
        root = ElementTree.fromstring(body.lstrip())
    except ElementTree.ParseError:
        return None
    if _local(root.tag) != "Error":
        return None
    return ErrorBody(
        code=_text(root, "Code", ""),
        message=_text(root, "Message", ""),
        request_id=_optional_text(root, "RequestId"),
    )


def _url_decoded(value: str) -> str:
    # unquote_plus costs more than the rest of an entry, and most keys have
    # nothing encoded in them.
    return unquote_plus(value) if "%" in value or "+" in value else value


def parse_list_objects_v2(body: bytes) -> ListPage:
    """
    Parse a ListObjectsV2 page requested with C{encoding-type=url}.

    URL encoding is asked for so that keys holding characters XML 1.0 cannot
    carry still list; it is undone here, so callers see real keys. S3 encodes
    a space as C{+} (and a C{+} as C{%2B}), form-style, so C{+} must decode
    to a space.

    Every session that lists a directory parses its pages, so the entries are
    read by their full tag names, which ElementTree matches in C, rather than
    by comparing local names in Python: 1,000 entries took 12 ms the other
    way, most of it outside the XML parser.
    """
    root = _parse(body)
    ns = _namespace(root)
    encoded = root.findtext(ns + "EncodingType") == "url"
    decode = _url_decoded if encoded else str
    key, size, modified, etag = (ns + name for name in ("Key", "Size", "LastModified", "ETag"))
    objects = []
    for item in root.iterfind(ns + "Contents"):
        name, stamp = item.findtext(key), item.findtext(modified)
        if name is None or stamp is None:
            raise MalformedResponse("S3 sent <Contents> without <Key> or <LastModified>")
        objects.append(
            ObjectInfo(
                key=decode(name),
                size=_integer(item.findtext(size) or "0"),
                last_modified=parse_timestamp(stamp),
                etag=(item.findtext(etag) or "").strip('"'),
            )
        )
    prefixes = tuple(
        decode(item.findtext(ns + "Prefix") or "") for item in root.iterfind(ns + "CommonPrefixes")
    )
    truncated = (root.findtext(ns + "IsTruncated") or "false").lower() == "true"
    token = root.findtext(ns + "NextContinuationToken") if truncated else None
    if truncated and not token:
        raise MalformedResponse("S3 said the listing is truncated but sent no continuation token")
    return ListPage(objects=tuple(objects), common_prefixes=prefixes, next_continuation_token=token)


def parse_initiate_multipart_upload(body: bytes) -> str:
    """Return the upload id of a new multipart upload."""
    upload_id = _text(_parse(body), "UploadId")
    if not upload_id:
        raise MalformedResponse("S3 sent an empty UploadId")
    return upload_id


def parse_etag_result(body: bytes) -> str:
    """
    Return the ETag of a CopyObject, UploadPartCopy or
    CompleteMultipartUpload result.
    """
    return _text(_parse(body), "ETag").strip('"')


def parse_copy_part_result(body: bytes) -> tuple[str, dict[str, str]]:
    """
    Return the ETag (unquoted) of an UploadPartCopy result and the checksums
    it reports, by element (C{ChecksumCRC32}, C{ChecksumSHA256}, ...): none
    for an upload that declared none, or a server that does not keep them.
    """
    root = _parse(body)
    checksums = {
        name: child.text
        for child in root
        if (name := _local(child.tag)).startswith("Checksum") and child.text
    }
    return _text(root, "ETag").strip('"'), checksums


def parse_list_multipart_uploads(body: bytes) -> UploadPage:
    """
    Return one ListMultipartUploads page: its uploads, each with when it
    was initiated, and the markers of the next page if it is truncated.
    """
    root = _parse(body)
    uploads = tuple(
        MultipartUploadEntry(
            key=_text(item, "Key"),
            upload_id=_text(item, "UploadId"),
            initiated=_initiated(item),
        )
        for item in _children(root, "Upload")
    )
    if _text(root, "IsTruncated", "false").lower() != "true":
        return UploadPage(uploads, None, None)
    key_marker = _optional_text(root, "NextKeyMarker")
    if not key_marker:
        raise MalformedResponse("S3 said the uploads are truncated but sent no NextKeyMarker")
    return UploadPage(uploads, key_marker, _optional_text(root, "NextUploadIdMarker") or None)


def _initiated(item: ElementTree.Element) -> datetime.datetime | None:
    value = _optional_text(item, "Initiated")
    return parse_timestamp(value) if value else None


def parse_lifecycle_configuration(body: bytes) -> tuple[LifecycleRule, ...]:
    """
    Return the rules of a GetBucketLifecycleConfiguration answer.

    A rule's scope is its C{<Filter>}'s C{<Prefix>}, or that of the
    C{<And>} inside it, or the C{<Prefix>} of the older rule form; a rule
    with none of them covers the whole bucket.
    """
    root = _parse(body)
    return tuple(_lifecycle_rule(rule) for rule in _children(root, "Rule"))


def _lifecycle_rule(rule: ElementTree.Element) -> LifecycleRule:
    prefix = _optional_text(rule, "Prefix")
    for scope in _children(rule, "Filter"):
        prefix = _optional_text(scope, "Prefix")
        for both in _children(scope, "And"):
            prefix = _optional_text(both, "Prefix")
    days = None
    for abort in _children(rule, "AbortIncompleteMultipartUpload"):
        text = _text(abort, "DaysAfterInitiation", "")
        try:
            days = int(text)
        except ValueError:
            raise MalformedResponse(f"S3 sent a DaysAfterInitiation of {text!r}") from None
    return LifecycleRule(
        rule_id=_text(rule, "ID", ""),
        enabled=_text(rule, "Status", "") == "Enabled",
        prefix=prefix or "",
        abort_after_days=days,
    )


def parse_delete_result(body: bytes) -> tuple[ErrorBody, ...]:
    """Return the per-key failures of a DeleteObjects call (empty when all went)."""
    root = _parse(body)
    return tuple(
        ErrorBody(
            code=_text(item, "Code", ""),
            message=f"{_text(item, 'Key', '')}: {_text(item, 'Message', '')}",
            request_id=None,
        )
        for item in _children(root, "Error")
    )
