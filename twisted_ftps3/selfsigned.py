# -*- test-case-name: tests.test_selfsigned -*-
"""
Self-signed certificates, for the quick start and for tests.

A production server is given its certificate by the operator; the quick
start and the test suite make their own instead, so that no private key
ever lives in the repository and none can expire there. One generator
serves both, so the certificate a newcomer's client trusts is built the
same way as the one the tests exercise.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def new_key() -> ec.EllipticCurvePrivateKey:
    """
    An EC P-256 key: generated at once, unlike RSA, and spoken by every
    client tried here (OpenSSL in Python and curl, GnuTLS in lftp).
    """
    return ec.generate_private_key(ec.SECP256R1())


def make_certificate(
    key: PrivateKey,
    subject: str,
    *,
    names: Sequence[str] = (),
    issuer: x509.Certificate | None = None,
    issuer_key: PrivateKey | None = None,
    ca: bool = False,
    server_auth: bool = False,
    valid_for: datetime.timedelta = datetime.timedelta(days=1),
) -> x509.Certificate:
    """
    A certificate for C{key}, self-signed unless C{issuer} and C{issuer_key}
    are given.

    @param names: DNS names and IP addresses for the subject alternative
        name, which is what clients verify a host against.
    @param ca: mark it as a CA, as a self-signed certificate that a client
        uses as its own trust anchor must be.
    @param server_auth: add the key usages of a TLS server certificate,
        which some clients insist on.
    @param valid_for: how long it is valid; it starts an hour early, so that
        a slightly skewed clock does not find it "not yet valid".
    """
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.timezone.utc)
    signer = key if issuer_key is None else issuer_key
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name if issuer is None else issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + valid_for)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False
        )
    if server_auth:
        builder = _with_server_usages(builder, key, signer, ca=ca)
    algorithm = None if isinstance(signer, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(signer, algorithm)


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _with_server_usages(
    builder: x509.CertificateBuilder, key: PrivateKey, signer: PrivateKey, *, ca: bool
) -> x509.CertificateBuilder:
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    return (
        builder.add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
            critical=False,
        )
    )


def certificate_pem(certificate: x509.Certificate) -> bytes:
    """C{certificate} as a PEM block."""
    return certificate.public_bytes(serialization.Encoding.PEM)


def key_pem(key: PrivateKey) -> bytes:
    """C{key} as an unencrypted PKCS #8 PEM block."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
