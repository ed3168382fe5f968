# -*- test-case-name: tests.test_s3_client_cleanup -*-
"""
The S3 calls of the clean-up services over fake HTTP: ListMultipartUploads
page by page (which moto, ignoring max-uploads and the markers, cannot
show) and GetBucketLifecycleConfiguration.
"""

from __future__ import annotations

import datetime

from twisted_ftps3.s3.errors import S3Error
from twisted_ftps3.s3.objects import LifecycleRule, MultipartUploadEntry

from . import test_s3_client as fake_http
from .support.s3xml import error_document, lifecycle_configuration, lifecycle_rule, uploads_page

Answer = fake_http.Answer
WHEN = "2026-11-26T10:19:42.000Z"
INITIATED = datetime.datetime(2026, 11, 26, 10, 19, 42, tzinfo=datetime.timezone.utc)


class UploadPagesTests(fake_http.ClientTestCase):
    """
    ListMultipartUploads, one page and every page.
    """

    def test_pageRequest(self) -> None:
        """
        A page after markers asks for them, and for C{max-uploads} when
        given, and answers the uploads with their start and the next
        markers.
        """
        client = self.client(
            Answer(body=uploads_page([("a", "u1", WHEN)], next_markers=("a", "u1")))
        )
        page = self.successResultOf(
            self.call(
                client.list_multipart_upload_page(
                    "p/", key_marker="0", upload_id_marker="u0", max_uploads=1
                )
            )
        )
        received = self.only_request()
        self.assertEqual((received.method, received.path), ("GET", "/my-bucket"))
        self.assertEqual(
            received.params,
            {
                "uploads": "",
                "prefix": "p/",
                "key-marker": "0",
                "upload-id-marker": "u0",
                "max-uploads": "1",
            },
        )
        self.assertEqual(
            (page.uploads, page.next_key_marker, page.next_upload_id_marker),
            ((MultipartUploadEntry("a", "u1", INITIATED),), "a", "u1"),
        )

    def test_everyPage(self) -> None:
        """
        L{list_multipart_uploads} follows the markers of each truncated page
        to the last, and lists the uploads of all of them.
        """
        client = self.client(
            Answer(body=uploads_page([("a", "u1", WHEN)], next_markers=("a", "u1"))),
            Answer(body=uploads_page([("b", "u2", WHEN)], next_markers=("b", "u2"))),
            Answer(body=uploads_page([("c", "u3", None)])),
        )
        uploads = self.successResultOf(self.call(client.list_multipart_uploads("")))
        self.assertEqual(
            [(u.key, u.upload_id, u.initiated) for u in uploads],
            [("a", "u1", INITIATED), ("b", "u2", INITIATED), ("c", "u3", None)],
        )
        self.assertEqual(
            [
                (r.params.get("key-marker"), r.params.get("upload-id-marker"))
                for r in self.s3.requests
            ],
            [(None, None), ("a", "u1"), ("b", "u2")],
        )


class LifecycleTests(fake_http.ClientTestCase):
    """
    GetBucketLifecycleConfiguration.
    """

    def test_request(self) -> None:
        """
        The rules are a GET of C{/bucket?lifecycle}.
        """
        client = self.client(Answer(body=lifecycle_configuration(lifecycle_rule("r", days=3))))
        rules = self.successResultOf(self.call(client.get_bucket_lifecycle()))
        received = self.only_request()
        self.assertEqual(
            (received.method, received.path, received.query, rules),
            ("GET", "/my-bucket", [("lifecycle", "")], (LifecycleRule("r", True, "", 3),)),
        )

    def test_noConfiguration(self) -> None:
        """
        S3's 404 C{NoSuchLifecycleConfiguration} is a bucket without rules.
        """
        client = self.client(Answer(404, error_document("NoSuchLifecycleConfiguration")))
        self.assertEqual(self.successResultOf(self.call(client.get_bucket_lifecycle())), ())

    def test_accessDenied(self) -> None:
        """
        Any other refusal is raised.
        """
        client = self.client(Answer(403, error_document("AccessDenied")))
        failure = self.failureResultOf(self.call(client.get_bucket_lifecycle()), S3Error)
        self.assertEqual((failure.value.code, failure.value.status), ("AccessDenied", 403))
