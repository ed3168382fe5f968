# -*- test-case-name: tests.test_tls -*-
"""
The TLS settings of every connection, control and data alike.

The certificate file may hold a chain: the server certificate first, then
the intermediates, as certificate authorities deliver them. The key may be in
its own file or in the certificate file.
"""

from __future__ import annotations

import re

from cryptography.hazmat.primitives import serialization
from OpenSSL import crypto
from twisted.internet.ssl import Certificate, CertificateOptions, KeyPair, TLSVersion

from .config import ConfigError

_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL
)


def _read(variable: str, path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ConfigError(variable, f"cannot read {path!r}: {e.strerror}") from None


def tls_options(certificate_file: str, key_file: str) -> CertificateOptions:
    """
    Build the server's TLS options from PEM files: TLS 1.2 at least, the
    whole chain sent to clients.

    @raise ConfigError: naming the setting whose file is missing or wrong.
    """
    certificate_pem = _read("FTP_TLS_CERTIFICATE_FILE", certificate_file)
    key_pem = _read("FTP_TLS_KEY_FILE", key_file)
    blocks = _PEM_CERTIFICATE.findall(certificate_pem)
    if not blocks:
        raise ConfigError(
            "FTP_TLS_CERTIFICATE_FILE", f"{certificate_file!r} holds no PEM certificate"
        )
    try:
        chain = [Certificate.loadPEM(block) for block in blocks]
    except crypto.Error:
        raise ConfigError(
            "FTP_TLS_CERTIFICATE_FILE",
            f"{certificate_file!r} holds a certificate that does not parse",
        ) from None
    try:
        key = KeyPair.load(key_pem, crypto.FILETYPE_PEM)
    except crypto.Error:
        raise ConfigError("FTP_TLS_KEY_FILE", f"{key_file!r} holds no PEM private key") from None
    # Compared as SubjectPublicKeyInfo, which every key type has (Ed25519
    # keys, unlike RSA and EC ones, have no public_numbers()).
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if chain[0].original.to_cryptography().public_key().public_bytes(*spki) != (
        key.original.to_cryptography_key().public_key().public_bytes(*spki)
    ):
        raise ConfigError(
            "FTP_TLS_KEY_FILE", f"the key in {key_file!r} does not match the certificate"
        )
    return CertificateOptions(
        privateKey=key.original,
        certificate=chain[0].original,
        extraCertChain=[certificate.original for certificate in chain[1:]],
        raiseMinimumTo=TLSVersion.TLSv1_2,
    )
