"""
Tests for the integration-test support itself (L{tests.support}).

If the S3 stand-in quietly accepted bad signatures, or the throwaway certificate did not load,
every integration test built on them would prove less than it claims; these tests pin down
the two properties the rest of the suite relies on.
"""

from __future__ import annotations

import dataclasses
import os
import stat

from botocore.exceptions import ClientError
from twisted.internet.ssl import PrivateCertificate
from twisted.trial.unittest import SynchronousTestCase

from tests.support.clients import tls_certificate
from tests.support.s3server import S3Server, s3_server


def _error_code_and_status(error: ClientError) -> tuple[str, int]:
    """The S3 error code and HTTP status of a failed boto3 call."""
    return (
        error.response.get("Error", {}).get("Code", ""),
        error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0),
    )


class S3ServerTests(SynchronousTestCase):
    """
    The moto server checks request signatures, so a signing bug in the code under test
    shows up as a failure instead of passing unnoticed.
    """

    def setUp(self) -> None:
        self.server = s3_server()

    def assertRejected(self, server: S3Server, expected_code: str) -> None:
        """A request signed with C{server}'s credentials fails with C{expected_code} or 403."""
        bucket = self.server.create_bucket("rejected")
        with self.assertRaises(ClientError) as caught:
            server.boto3_client().put_object(Bucket=bucket, Key="k", Body=b"v")
        code, status = _error_code_and_status(caught.exception)
        self.assertTrue(
            code == expected_code or status == 403, f"unexpected error {code!r} ({status})"
        )
        # Nothing got through.
        listing = self.server.boto3_client().list_objects_v2(Bucket=bucket)
        self.assertEqual(listing["KeyCount"], 0)

    def test_wrongSecretRejected(self) -> None:
        """A request signed with the right key id but a wrong secret is refused."""
        forged = dataclasses.replace(
            self.server, secret_access_key="not-" + self.server.secret_access_key
        )
        self.assertRejected(forged, "SignatureDoesNotMatch")

    def test_unknownKeyRejected(self) -> None:
        """A request signed with a key id moto never issued is refused."""
        forged = dataclasses.replace(self.server, access_key_id="AKIAUNKNOWNUNKNOWN00")
        self.assertRejected(forged, "InvalidAccessKeyId")

    def test_correctlySignedAccepted(self) -> None:
        """With the issued key, buckets and objects can be created and read back."""
        client = self.server.boto3_client()
        bucket = self.server.create_bucket("accepted")
        client.put_object(Bucket=bucket, Key="dir/hello.txt", Body=b"hello, world")
        body = client.get_object(Bucket=bucket, Key="dir/hello.txt")["Body"].read()
        self.assertEqual(body, b"hello, world")

    def test_sameServer(self) -> None:
        """The server is started once per process and shared."""
        self.assertIs(s3_server(), self.server)
        self.assertRegex(self.server.endpoint_url, r"^http://127\.0\.0\.1:\d+$")
        self.assertEqual(self.server.region, "us-east-1")

    def test_bucketNames(self) -> None:
        """Bucket names are unique and valid for S3 whatever the (valid) prefix length."""
        names = [self.server.create_bucket(prefix) for prefix in ("test", "test", "p" * 80, "")]
        self.assertEqual(len(set(names)), len(names))
        for name in names:
            self.assertRegex(name, r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
        self.assertTrue(names[0].startswith("test-"))

    def test_badBucketPrefix(self) -> None:
        """A prefix that cannot start a bucket name is refused before asking S3."""
        for prefix in ("Upper", "-dash", "dot.", "under_score"):
            self.assertRaises(ValueError, self.server.create_bucket, prefix)


class TLSCertificateTests(SynchronousTestCase):
    """
    L{tls_certificate} gives the server under test a certificate Twisted can serve.
    """

    def test_loadsInTwisted(self) -> None:
        """The files load as one Twisted L{PrivateCertificate} for C{localhost}."""
        cert_path, key_path = tls_certificate(self.mktemp())
        with open(cert_path) as cert_file, open(key_path) as key_file:
            pem = cert_file.read() + key_file.read()
        certificate = PrivateCertificate.loadPEM(pem)
        self.assertEqual(certificate.getSubject().commonName, b"localhost")
        self.assertTrue(certificate.privateKey.matches(certificate.getPublicKey()))

    def test_namesAndValidity(self) -> None:
        """Clients may reach the server as C{localhost}, C{127.0.0.1} or C{::1}, for a year."""
        from cryptography import x509

        cert_path, _ = tls_certificate(self.mktemp())
        with open(cert_path, "rb") as cert_file:
            certificate = x509.load_pem_x509_certificate(cert_file.read())
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        self.assertEqual(names.get_values_for_type(x509.DNSName), ["localhost"])
        self.assertEqual(
            [str(a) for a in names.get_values_for_type(x509.IPAddress)], ["127.0.0.1", "::1"]
        )
        lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
        self.assertTrue(365 <= lifetime.days <= 367, lifetime)

    def test_cachedPerDirectory(self) -> None:
        """The same directory gives the same files; the key is readable by its owner only."""
        directory = self.mktemp()
        first = tls_certificate(directory)
        with open(first[0], "rb") as cert_file:
            pem = cert_file.read()
        self.assertEqual(tls_certificate(directory), first)
        with open(first[0], "rb") as cert_file:
            self.assertEqual(cert_file.read(), pem)
        self.assertNotEqual(tls_certificate(self.mktemp()), first)
        self.assertEqual(stat.S_IMODE(os.stat(first[1]).st_mode), 0o600)
        self.assertIn(b"-----BEGIN CERTIFICATE-----", pem)
