# -*- test-case-name: tests.test_tls -*-
"""
The TLS settings of every connection, control and data alike.

The certificate file may hold a chain: the server certificate first, then
the intermediates, as certificate authorities deliver them. The key may be in
its own file or in the certificate file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def tls_options(
    certificate_file: str, key_file: str, *, maximum: TLSVersion | None = None
) -> CertificateOptions:
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
        lowerMaximumSecurityTo=maximum,
    )


@dataclass(frozen=True)
class ServerTLS:
    """The TLS options of control connections and of data connections."""

    control: CertificateOptions
    data: CertificateOptions


def server_tls(certificate_file: str, key_file: str) -> ServerTLS:
    """
    Load the certificate once for control connections and once for data
    connections, which stop at TLS 1.2.

    Under TLS 1.3 the server sends its session tickets after the handshake.
    Clients that never read a data connection while they upload (lftp and
    other GnuTLS clients) leave them unread, so their close becomes a reset,
    and a reset throws away the last megabytes of the upload before the
    server has read them. TLS 1.2 sends its ticket inside the handshake.
    pyOpenSSL cannot turn TLS 1.3 tickets off (there is no binding for
    C{SSL_CTX_set_num_tickets}), so the version is what is capped.
    """
    return ServerTLS(
        control=tls_options(certificate_file, key_file),
        data=tls_options(certificate_file, key_file, maximum=TLSVersion.TLSv1_2),
    )
