# -*- test-case-name: tests.test_tls -*-
"""
The TLS of every connection, control and data alike.

The certificate file may hold a chain: the server certificate first, then
the intermediates, as certificate authorities deliver them. The key may be in
its own file or in the certificate file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL, crypto
from OpenSSL._util import lib as _lib
from twisted.internet.interfaces import IOpenSSLServerConnectionCreator
from twisted.internet.ssl import CertificateOptions, TLSVersion
from zope.interface import implementer

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


@implementer(IOpenSSLServerConnectionCreator)
@dataclass(frozen=True)
class ServerTLS:
    """
    The server's certificate, its chain and its key, loaded once; every
    control connection gets an OpenSSL context of its own from them.

    A session's data connections then use its control connection's context
    (see L{SessionTLS}), and so its session cache and its ticket key: a data
    connection can resume the control connection's TLS session, under
    TLS 1.2 (session ID or ticket) and TLS 1.3 (ticket) alike. No other
    connection shares them, so a data connection that resumed anything at
    all resumed its own session's, which is what L{resumed} lets the server
    insist on. A context costs about 16 KiB and half a millisecond
    (benchmarks/tls_contexts.py).
    """

    certificate: crypto.X509
    key: crypto.PKey
    chain: tuple[crypto.X509, ...] = ()

    def options(self) -> CertificateOptions:
        """TLS 1.2 at least, the whole chain sent, sessions and tickets on."""
        return CertificateOptions(
            privateKey=self.key,
            certificate=self.certificate,
            extraCertChain=list(self.chain),
            raiseMinimumTo=TLSVersion.TLSv1_2,
            enableSessions=True,
            enableSessionTickets=True,
        )

    def serverConnectionForTLS(self, tlsProtocol: object) -> SSL.Connection:
        return SSL.Connection(self.options().getContext(), None)


@implementer(IOpenSSLServerConnectionCreator)
class SessionTLS:
    """The TLS of a session's data connections: its control connection's context."""

    def __init__(self, context: SSL.Context) -> None:
        self.context = context

    @classmethod
    def of(cls, control: Any) -> SessionTLS:
        """The TLS of the session whose control connection is C{control}, a TLS transport."""
        return cls(control.getHandle().get_context())

    def serverConnectionForTLS(self, tlsProtocol: object) -> SSL.Connection:
        return SSL.Connection(self.context, None)


def resumed(connection: SSL.Connection) -> bool:
    """
    Whether C{connection}'s handshake resumed an earlier TLS session.

    pyOpenSSL has no method for this, so it asks OpenSSL through the
    binding pyOpenSSL itself uses.
    """
    return bool(_lib.SSL_session_reused(connection._ssl))


def load_tls(certificate_file: str, key_file: str) -> ServerTLS:
    """
    Load the server's certificate chain and key from PEM files.

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
        chain = [crypto.load_certificate(crypto.FILETYPE_PEM, block) for block in blocks]
    except crypto.Error:
        raise ConfigError(
            "FTP_TLS_CERTIFICATE_FILE",
            f"{certificate_file!r} holds a certificate that does not parse",
        ) from None
    try:
        key = crypto.load_privatekey(crypto.FILETYPE_PEM, key_pem)
    except crypto.Error:
        raise ConfigError("FTP_TLS_KEY_FILE", f"{key_file!r} holds no PEM private key") from None
    # Compared as SubjectPublicKeyInfo, which every key type has (Ed25519
    # keys, unlike RSA and EC ones, have no public_numbers()).
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if chain[0].to_cryptography().public_key().public_bytes(*spki) != (
        key.to_cryptography_key().public_key().public_bytes(*spki)
    ):
        raise ConfigError(
            "FTP_TLS_KEY_FILE", f"the key in {key_file!r} does not match the certificate"
        )
    return ServerTLS(certificate=chain[0], key=key, chain=tuple(chain[1:]))
