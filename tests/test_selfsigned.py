"""
Tests for L{twisted_ftps3.selfsigned}: the one certificate generator of the
quick start and the tests.
"""

from __future__ import annotations

import datetime
import ipaddress

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.selfsigned import certificate_pem, key_pem, make_certificate, new_key


class MakeCertificateTests(SynchronousTestCase):
    """L{make_certificate} builds what its arguments ask for, and no more."""

    def test_names(self) -> None:
        """Host names become DNS names and addresses IP addresses of the SAN."""
        certificate = make_certificate(new_key(), "x", names=("localhost", "127.0.0.1", "::1"))
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        self.assertEqual(names.get_values_for_type(x509.DNSName), ["localhost"])
        self.assertEqual(
            names.get_values_for_type(x509.IPAddress),
            [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")],
        )

    def test_no_names(self) -> None:
        """Without names there is no SAN extension at all."""
        certificate = make_certificate(new_key(), "x")
        with self.assertRaises(x509.ExtensionNotFound):
            certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)

    def test_ca(self) -> None:
        """C{ca} sets the CA bit of the basic constraints; the default is not a CA."""
        for ca in (True, False):
            certificate = make_certificate(new_key(), "x", ca=ca)
            constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
            self.assertIs(constraints.value.ca, ca)

    def test_server_auth(self) -> None:
        """C{server_auth} adds the server-authentication extended key usage."""
        certificate = make_certificate(new_key(), "x", server_auth=True)
        usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        self.assertEqual(list(usages), [ExtendedKeyUsageOID.SERVER_AUTH])

    def test_validity(self) -> None:
        """It is valid from an hour ago for C{valid_for}."""
        now = datetime.datetime.now(datetime.timezone.utc)
        certificate = make_certificate(new_key(), "x", valid_for=datetime.timedelta(days=30))
        self.assertLess(certificate.not_valid_before_utc, now)
        remaining = certificate.not_valid_after_utc - now
        self.assertTrue(datetime.timedelta(days=29) < remaining <= datetime.timedelta(days=30))

    def test_issued(self) -> None:
        """Given an issuer, the certificate names it and is signed by its key."""
        issuer_key = new_key()
        issuer = make_certificate(issuer_key, "ca", ca=True)
        leaf = make_certificate(new_key(), "leaf", issuer=issuer, issuer_key=issuer_key)
        self.assertEqual(leaf.issuer, issuer.subject)
        leaf.verify_directly_issued_by(issuer)

    def test_pem(self) -> None:
        """The PEM forms load back as the same certificate and a private key."""
        key = new_key()
        certificate = make_certificate(key, "x")
        self.assertEqual(x509.load_pem_x509_certificate(certificate_pem(certificate)), certificate)
        self.assertIn(b"BEGIN PRIVATE KEY", key_pem(key))
