# -*- test-case-name: tests.test_s3_responses -*-
"""
Tests for L{twisted_ftps3.s3.responses}: S3's XML answers parsed into values.

The documents are shaped like the ones S3 sends, namespace and all, and the
encoded keys are encoded the way S3 encodes them (form style: a space is
C{+}, a C{+} is C{%2B}), so a parser that only handles the easy case fails.
"""

from __future__ import annotations

import datetime

from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.s3.objects import LifecycleRule, MultipartUploadEntry, ObjectInfo, UploadPage
from twisted_ftps3.s3.responses import (
    ErrorBody,
    MalformedResponse,
    is_error,
    parse_delete_result,
    parse_error,
    parse_etag_result,
    parse_initiate_multipart_upload,
    parse_lifecycle_configuration,
    parse_list_multipart_uploads,
    parse_list_objects_v2,
    parse_timestamp,
)

from .support.s3xml import (
    NS,
    error_document,
    lifecycle_configuration,
    lifecycle_rule,
    listing,
    uploads_page,
)

UTC = datetime.timezone.utc


class ListObjectsV2Tests(SynchronousTestCase):
    """
    L{parse_list_objects_v2} turns a page into real keys, prefixes and a token.
    """

    def test_keyWithSpaces(self) -> None:
        """
        A space, which S3 encodes as C{+}, decodes to a space.
        """
        page = parse_list_objects_v2(listing(["my dir/my file.txt"]))
        self.assertEqual([entry.key for entry in page.objects], ["my dir/my file.txt"])

    def test_keyWithPlus(self) -> None:
        """
        A C{+}, which S3 encodes as C{%2B}, decodes to a C{+}, not a space.
        """
        page = parse_list_objects_v2(listing(["a+b c.txt"]))
        self.assertEqual([entry.key for entry in page.objects], ["a+b c.txt"])

    def test_keyWithNonAscii(self) -> None:
        """
        Multi-byte UTF-8 (a pound sign, an emoji) decodes to the characters.
        """
        keys = ["\u00a3 price.txt", "cake \U0001f370.bin"]
        page = parse_list_objects_v2(listing(keys))
        self.assertEqual([entry.key for entry in page.objects], keys)

    def test_keyWithPercent(self) -> None:
        """
        A literal C{%} in a key survives the decoding.
        """
        page = parse_list_objects_v2(listing(["100% done"]))
        self.assertEqual(page.objects[0].key, "100% done")

    def test_unencodedKeysKeptAsSent(self) -> None:
        """
        Without C{<EncodingType>url</EncodingType>} keys are taken literally:
        a C{+} stays a C{+}.
        """
        page = parse_list_objects_v2(listing(["a+b%20c"], encoded=False))
        self.assertEqual(page.objects[0].key, "a+b%20c")

    def test_entryFields(self) -> None:
        """
        Size, modification time (aware, UTC) and the unquoted ETag are read,
        into the L{ObjectInfo} HEAD gives too.
        """
        (entry,) = parse_list_objects_v2(listing(["abcdef"])).objects
        self.assertEqual(
            (type(entry), entry.size, entry.last_modified, entry.etag),
            (
                ObjectInfo,
                6,
                datetime.datetime(2009, 10, 12, 17, 50, 30, tzinfo=UTC),
                "fba9dede5f27731c9771645a39863328",
            ),
        )

    def test_commonPrefixesDecoded(self) -> None:
        """
        Common prefixes are listed in order, decoded like keys.
        """
        page = parse_list_objects_v2(listing(prefixes=["a dir/", "b+\u00a3/"]))
        self.assertEqual(page.common_prefixes, ("a dir/", "b+\u00a3/"))

    def test_notTruncatedHasNoToken(self) -> None:
        """
        A complete listing has no continuation token, even if one is present.
        """
        page = parse_list_objects_v2(listing(["a"], truncated=False, token="stale"))
        self.assertIsNone(page.next_continuation_token)

    def test_truncatedHasToken(self) -> None:
        """
        A truncated listing carries S3's continuation token, unchanged.
        """
        page = parse_list_objects_v2(
            listing(["a"], truncated=True, token="1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        )
        self.assertEqual(
            page.next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="
        )

    def test_truncatedWithoutToken(self) -> None:
        """
        A truncated listing without a token cannot be continued: it is an
        error, not an empty last page.
        """
        self.assertRaises(MalformedResponse, parse_list_objects_v2, listing(["a"], truncated=True))

    def test_missingKey(self) -> None:
        """
        A C{<Contents>} without a C{<Key>} is malformed.
        """
        body = (
            f'<ListBucketResult xmlns="{NS}"><IsTruncated>false</IsTruncated>'
            "<Contents><Size>1</Size><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
            "</Contents></ListBucketResult>"
        ).encode()
        self.assertRaises(MalformedResponse, parse_list_objects_v2, body)

    def test_badXML(self) -> None:
        """
        A body that is not XML raises L{MalformedResponse}.
        """
        self.assertRaises(MalformedResponse, parse_list_objects_v2, b"<ListBucketResult><Contents>")

    def test_withoutNamespace(self) -> None:
        """
        A page without S3's namespace, as some S3-compatible servers send
        it, is read all the same.
        """
        body = (
            b"<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
            b"<NextContinuationToken>t</NextContinuationToken>"
            b"<Contents><Key>a+b</Key><Size>3</Size><ETag>&quot;e&quot;</ETag>"
            b"<LastModified>2009-10-12T17:50:30.000Z</LastModified></Contents>"
            b"<CommonPrefixes><Prefix>d%2B/</Prefix></CommonPrefixes></ListBucketResult>"
        )
        page = parse_list_objects_v2(body)
        (entry,) = page.objects
        self.assertEqual(
            (entry.key, entry.size, entry.etag, entry.last_modified),
            ("a b", 3, "e", datetime.datetime(2009, 10, 12, 17, 50, 30, tzinfo=UTC)),
        )
        self.assertEqual((page.common_prefixes, page.next_continuation_token), (("d+/",), "t"))

    def test_elementsOfAnotherNamespace(self) -> None:
        """
        Entries are matched in the document's own namespace: a C{<Contents>}
        of another one is not an entry.
        """
        body = (
            f'<ListBucketResult xmlns="{NS}" xmlns:x="urn:other"><IsTruncated>false</IsTruncated>'
            "<x:Contents><x:Key>k</x:Key></x:Contents></ListBucketResult>"
        ).encode()
        self.assertEqual(parse_list_objects_v2(body).objects, ())

    def test_badSize(self) -> None:
        """
        A size that is no number raises L{MalformedResponse}.
        """
        body = (
            f'<ListBucketResult xmlns="{NS}"><IsTruncated>false</IsTruncated>'
            "<Contents><Key>k</Key><Size>lots</Size>"
            "<LastModified>2009-10-12T17:50:30.000Z</LastModified></Contents></ListBucketResult>"
        ).encode()
        self.assertRaises(MalformedResponse, parse_list_objects_v2, body)


class ErrorDocumentTests(SynchronousTestCase):
    """
    L{parse_error} and L{is_error} recognise S3's C{<Error>} documents.
    """

    def test_parseError(self) -> None:
        """
        Code, message and request id are read from an error document.
        """
        self.assertEqual(
            parse_error(error_document("NoSuchKey", "The specified key does not exist.")),
            ErrorBody("NoSuchKey", "The specified key does not exist.", "4442587FB7D0A2F9"),
        )

    def test_parseErrorWithoutRequestId(self) -> None:
        """
        An error document without a request id has C{request_id} C{None}.
        """
        error = parse_error(error_document("AccessDenied", "Access Denied", request_id=None))
        assert error is not None
        self.assertIsNone(error.request_id)

    def test_parseErrorEmptyBody(self) -> None:
        """
        An empty body (a HEAD answer) is not an error document.
        """
        self.assertIsNone(parse_error(b"  \n"))

    def test_parseErrorNotXML(self) -> None:
        """
        A body that is not XML (a proxy's HTML page) is not an error document.
        """
        self.assertIsNone(parse_error(b"<html><body>Bad Gateway"))

    def test_parseErrorOtherDocument(self) -> None:
        """
        A well-formed document that is not C{<Error>} gives C{None}.
        """
        self.assertIsNone(parse_error(listing(["a"])))

    def test_parseErrorAfterKeepAliveWhitespace(self) -> None:
        """
        S3 may send whitespace before the XML declaration while it works on a
        long request; the error document after it still parses.
        """
        body = b"\n   \n" + error_document("InternalError", "try again")
        error = parse_error(body)
        assert error is not None
        self.assertEqual(error.code, "InternalError")

    def test_isError(self) -> None:
        """
        An C{<Error>} document is an error.
        """
        self.assertTrue(is_error(error_document("InternalError", "oops")))

    def test_isErrorAfterKeepAliveWhitespace(self) -> None:
        """
        An error document after keep-alive whitespace is still an error: this
        is how a CompleteMultipartUpload answered with 200 reports failure.
        """
        self.assertTrue(is_error(b"\n\n\n  " + error_document("InternalError", "oops")))

    def test_isErrorResult(self) -> None:
        """
        A result document is not an error.
        """
        body = (
            f'<CompleteMultipartUploadResult xmlns="{NS}"><ETag>"x-2"</ETag>'
            "</CompleteMultipartUploadResult>"
        ).encode()
        self.assertFalse(is_error(body))

    def test_isErrorBadXML(self) -> None:
        """
        A body that does not parse is not reported as an error document.
        """
        self.assertFalse(is_error(b"<Error><Code>"))


class ResultDocumentTests(SynchronousTestCase):
    """
    The small result documents of the multipart, copy and delete calls.
    """

    def test_initiateMultipartUpload(self) -> None:
        """
        The upload id of a new multipart upload is returned.
        """
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<InitiateMultipartUploadResult xmlns="{NS}"><Bucket>b</Bucket>'
            "<Key>k</Key><UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
            "</InitiateMultipartUploadResult>"
        ).encode()
        self.assertEqual(
            parse_initiate_multipart_upload(body),
            "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA",
        )

    def test_initiateMultipartUploadEmptyId(self) -> None:
        """
        An empty upload id is malformed: nothing could be uploaded with it.
        """
        body = (
            b"<InitiateMultipartUploadResult><UploadId></UploadId></InitiateMultipartUploadResult>"
        )
        self.assertRaises(MalformedResponse, parse_initiate_multipart_upload, body)

    def test_initiateMultipartUploadMissingId(self) -> None:
        """
        A result without an upload id is malformed.
        """
        body = b"<InitiateMultipartUploadResult><Key>k</Key></InitiateMultipartUploadResult>"
        self.assertRaises(MalformedResponse, parse_initiate_multipart_upload, body)

    def test_etagResult(self) -> None:
        """
        The ETag of a copy result is returned without its quotes.
        """
        body = (
            f'<CopyObjectResult xmlns="{NS}">'
            "<LastModified>2009-10-12T17:50:30.000Z</LastModified>"
            "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></CopyObjectResult>"
        ).encode()
        self.assertEqual(parse_etag_result(body), "9b2cf535f27731c974343645a3985328")

    def test_etagResultAfterKeepAliveWhitespace(self) -> None:
        """
        A copy result preceded by keep-alive whitespace still parses.
        """
        body = (
            b'  \n <?xml version="1.0" encoding="UTF-8"?>\n'
            b'<CopyObjectResult><ETag>"abc"</ETag></CopyObjectResult>'
        )
        self.assertEqual(parse_etag_result(body), "abc")

    def test_etagResultMissing(self) -> None:
        """
        A result without an ETag is malformed.
        """
        self.assertRaises(MalformedResponse, parse_etag_result, b"<CopyObjectResult/>")

    def test_listMultipartUploads(self) -> None:
        """
        Every upload in the page is returned with its key, upload id and
        when it was initiated (aware, UTC); the last page has no markers.
        """
        body = (
            f'<ListMultipartUploadsResult xmlns="{NS}"><Bucket>b</Bucket>'
            "<IsTruncated>false</IsTruncated>"
            "<Upload><Key>a/one</Key><UploadId>id-1</UploadId>"
            "<Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload>"
            "<Upload><Key>b two</Key><UploadId>id-2</UploadId>"
            "<Initiated>2010-11-10T20:49:33.000Z</Initiated></Upload>"
            "</ListMultipartUploadsResult>"
        ).encode()
        page = parse_list_multipart_uploads(body)
        self.assertEqual(
            (page.uploads, page.truncated, page.next_key_marker, page.next_upload_id_marker),
            (
                (
                    MultipartUploadEntry(
                        "a/one", "id-1", datetime.datetime(2010, 11, 10, 20, 48, 33, tzinfo=UTC)
                    ),
                    MultipartUploadEntry(
                        "b two", "id-2", datetime.datetime(2010, 11, 10, 20, 49, 33, tzinfo=UTC)
                    ),
                ),
                False,
                None,
                None,
            ),
        )

    def test_listMultipartUploadsEmpty(self) -> None:
        """
        A page without uploads gives an empty tuple.
        """
        body = b"<ListMultipartUploadsResult><Bucket>b</Bucket></ListMultipartUploadsResult>"
        self.assertEqual(parse_list_multipart_uploads(body), UploadPage((), None, None))

    def test_listMultipartUploadsTruncated(self) -> None:
        """
        A truncated page gives the markers the next page starts after.
        """
        body = uploads_page([("k", "id-1", "2026-11-26T10:19:42.000Z")], next_markers=("k", "id-1"))
        page = parse_list_multipart_uploads(body)
        self.assertEqual(
            (page.truncated, page.next_key_marker, page.next_upload_id_marker),
            (True, "k", "id-1"),
        )

    def test_listMultipartUploadsTruncatedWithoutMarker(self) -> None:
        """
        A truncated page without C{NextKeyMarker} is malformed: following it
        would list the first page for ever.
        """
        body = uploads_page([("k", "id-1", None)], next_markers=("k", "id"), marker_elements=False)
        self.assertRaises(MalformedResponse, parse_list_multipart_uploads, body)

    def test_listMultipartUploadsWithoutInitiated(self) -> None:
        """
        An upload without C{<Initiated>} has C{None} for its start; one
        that does not parse is malformed.
        """
        page = parse_list_multipart_uploads(uploads_page([("k", "id-1", None)]))
        self.assertEqual(page.uploads, (MultipartUploadEntry("k", "id-1", None),))
        self.assertRaises(
            MalformedResponse,
            parse_list_multipart_uploads,
            uploads_page([("k", "id-1", "yesterday")]),
        )

    def test_deleteResultAllDeleted(self) -> None:
        """
        A quiet DeleteObjects result without errors reports no failures.
        """
        self.assertEqual(parse_delete_result(f'<DeleteResult xmlns="{NS}"/>'.encode()), ())

    def test_deleteResultErrors(self) -> None:
        """
        Each per-key error is returned, its message naming the key.
        """
        body = (
            f'<DeleteResult xmlns="{NS}">'
            "<Deleted><Key>fine</Key></Deleted>"
            "<Error><Key>locked</Key><Code>AccessDenied</Code><Message>Access Denied</Message>"
            "</Error>"
            "<Error><Key>other</Key><Code>InternalError</Code><Message>oops</Message></Error>"
            "</DeleteResult>"
        ).encode()
        self.assertEqual(
            parse_delete_result(body),
            (
                ErrorBody("AccessDenied", "locked: Access Denied", None),
                ErrorBody("InternalError", "other: oops", None),
            ),
        )

    def test_deleteResultBadXML(self) -> None:
        """
        A DeleteObjects result that does not parse raises L{MalformedResponse}.
        """
        self.assertRaises(MalformedResponse, parse_delete_result, b"not xml at all")


class TimestampTests(SynchronousTestCase):
    """
    L{parse_timestamp} gives aware UTC datetimes.
    """

    def test_zulu(self) -> None:
        """
        S3's C{Z}-suffixed time with milliseconds is read as UTC.
        """
        self.assertEqual(
            parse_timestamp("2009-10-12T17:50:30.123Z"),
            datetime.datetime(2009, 10, 12, 17, 50, 30, 123000, tzinfo=UTC),
        )

    def test_offsetConverted(self) -> None:
        """
        A time with another offset is converted to UTC.
        """
        parsed = parse_timestamp("2009-10-12T19:50:30+02:00")
        self.assertEqual(
            (parsed, parsed.utcoffset()),
            (datetime.datetime(2009, 10, 12, 17, 50, 30, tzinfo=UTC), datetime.timedelta(0)),
        )

    def test_naiveIsUTC(self) -> None:
        """
        A time without an offset is taken as UTC, not local time.
        """
        self.assertEqual(
            parse_timestamp("2009-10-12T17:50:30"),
            datetime.datetime(2009, 10, 12, 17, 50, 30, tzinfo=UTC),
        )

    def test_garbage(self) -> None:
        """
        Text that is no timestamp raises L{MalformedResponse}.
        """
        self.assertRaises(MalformedResponse, parse_timestamp, "yesterday")


class LifecycleTests(SynchronousTestCase):
    """
    L{parse_lifecycle_configuration} reads each rule's status, scope and
    C{AbortIncompleteMultipartUpload}.
    """

    def test_rules(self) -> None:
        """
        Each rule is read with its id, whether it is enabled, the prefix of
        its filter (of the C{<And>} in it, or of the older rule form) and
        its days after initiation.
        """
        body = lifecycle_configuration(
            lifecycle_rule("all", days=7),
            lifecycle_rule("off", status="Disabled", days=1),
            lifecycle_rule("logs", scope="<Filter><Prefix>logs/</Prefix></Filter>", days=None),
            lifecycle_rule(
                "and",
                scope="<Filter><And><Prefix>a/</Prefix><ObjectSizeGreaterThan>1"
                "</ObjectSizeGreaterThan></And></Filter>",
                days=3,
            ),
            lifecycle_rule("old", scope="<Prefix>old/</Prefix>", days=2),
            lifecycle_rule("empty", scope="<Filter/>", days=5),
        )
        self.assertEqual(
            parse_lifecycle_configuration(body),
            (
                LifecycleRule("all", True, "", 7),
                LifecycleRule("off", False, "", 1),
                LifecycleRule("logs", True, "logs/", None),
                LifecycleRule("and", True, "a/", 3),
                LifecycleRule("old", True, "old/", 2),
                LifecycleRule("empty", True, "", 5),
            ),
        )

    def test_noRules(self) -> None:
        """
        A configuration without rules gives none.
        """
        self.assertEqual(parse_lifecycle_configuration(lifecycle_configuration()), ())

    def test_badDays(self) -> None:
        """
        A C{DaysAfterInitiation} that is not a number is malformed.
        """
        body = lifecycle_configuration(lifecycle_rule().replace(">7<", ">seven<"))
        self.assertRaises(MalformedResponse, parse_lifecycle_configuration, body)
