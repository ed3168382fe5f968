# -*- test-case-name: tests.test_tls -*-
"""
The TLS of every connection, control and data alike.

The certificate file may hold a chain: the server certificate first, then
the intermediates, as certificate authorities deliver them. The key may be in
its own file or in the certificate file.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from functools import cached_property
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


#: How long a session ID context may be (OpenSSL's SSL_MAX_SID_CTX_LENGTH).
_NAME_LENGTH = 32


@implementer(IOpenSSLServerConnectionCreator)
@dataclass(frozen=True)
class ServerTLS:
    """
    The server's certificate, its chain and its key, loaded once, and the
    one OpenSSL context every connection, control and data, is made in.

    Each control connection starts a TLS session of its own (a
    L{SessionTLS}), and its data connections belong to the same one. What
    keeps one session's data connections from resuming another session's
    TLS session is OpenSSL's session ID context: a name that OpenSSL writes
    into every TLS session a connection negotiates (and so into its session
    ID's cache entry and into its tickets), and that it compares with the
    resuming connection's own before it resumes anything, under TLS 1.2
    (session ID or ticket) and TLS 1.3 (ticket) alike. Each session gets a
    random name of its own; a data connection that resumed anything at all
    resumed its own session's, which is what L{resumed} lets the server
    insist on.

    One context, rather than one per control connection, saves what a
    context costs (about 15 KiB and a third of a millisecond: see
    benchmarks/tls_contexts.py); the price is that the sessions negotiated
    under TLS 1.2 share one cache (OpenSSL's default: 20,480 sessions, for
    two hours), and stay in it after their FTP session has ended, though
    nothing can resume them then.
    """

    certificate: crypto.X509
    key: crypto.PKey
    chain: tuple[crypto.X509, ...] = ()
    #: The session ID context the shared context holds between connections:
    #: no session has it, so a connection made straight from the context
    #: can resume nothing.
    _nobody: bytes = field(
        default_factory=lambda: secrets.token_bytes(_NAME_LENGTH),
        init=False,
        repr=False,
        compare=False,
    )

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

    @cached_property
    def context(self) -> SSL.Context:
        """The context every connection is made in, made on first use."""
        context = self.options().getContext()
        _name_sessions(context, self._nobody)
        return context

    def connection(self, session: SessionTLS) -> SSL.Connection:
        """
        A connection of C{session}: one whose TLS sessions carry the
        session's name, and that resumes only TLS sessions that do.

        OpenSSL has a call to name one connection's sessions, but the
        binding pyOpenSSL uses does not expose it; a connection takes its
        name from its context when it is made, though, and keeps it. So the
        shared context holds the session's name just while the connection
        is made, and the name no session has again at once. That is safe
        because every connection is made on the reactor's thread, and
        because OpenSSL reads a context's name only when it makes a
        connection, and when a connection moves to another context (for
        SNI, which this server does not do).
        """
        context = self.context
        _name_sessions(context, session.name)
        try:
            return _SessionConnection(context, session)
        finally:
            _name_sessions(context, self._nobody)

    def serverConnectionForTLS(self, tlsProtocol: object) -> SSL.Connection:
        """A control connection: the first connection of a new TLS session."""
        return self.connection(SessionTLS(self, secrets.token_bytes(_NAME_LENGTH)))


def _name_sessions(context: SSL.Context, name: bytes) -> None:
    """
    Make C{name} the session ID context of the connections C{context}
    makes from now on.

    Through the binding, as pyOpenSSL forbids changes to a context that
    has made connections (see L{ServerTLS.connection} for why this one is safe).
    """
    # A context made by pyOpenSSL is never NULL; the call fails only for a
    # name over the length limit.
    if not _lib.SSL_CTX_set_session_id_context(context._context, name, len(name)):
        raise ValueError(f"a session ID context of {len(name)} bytes is too long")


@implementer(IOpenSSLServerConnectionCreator)
class SessionTLS:
    """
    One FTP session's TLS: its control connection and its data connections,
    made in the server's context under the session's name (see
    L{ServerTLS}).

    @ivar server: the server's TLS.
    @ivar name: the session ID context of this session's connections.
    """

    __slots__ = ("server", "name")

    def __init__(self, server: ServerTLS, name: bytes) -> None:
        self.server = server
        self.name = name

    @classmethod
    def of(cls, control: Any) -> SessionTLS:
        """The TLS of the session whose control connection is C{control}, a TLS transport."""
        session: SessionTLS = control.getHandle().session
        return session

    def serverConnectionForTLS(self, tlsProtocol: object) -> SSL.Connection:
        """A data connection of this session."""
        return self.server.connection(self)


class _SessionConnection(SSL.Connection):
    """A connection that knows the session it belongs to."""

    def __init__(self, context: SSL.Context, session: SessionTLS) -> None:
        super().__init__(context, None)
        self.session = session


def resumed(connection: SSL.Connection) -> bool:
    """
    Whether C{connection}'s handshake resumed an earlier TLS session.

    pyOpenSSL has no method for this, so it asks OpenSSL through the
    binding pyOpenSSL itself uses.
    """
    return bool(_lib.SSL_session_reused(connection._ssl))


def seal_whole_writes(connection: SSL.Connection) -> None:
    """
    Make each write to C{connection} seal everything it is given.

    pyOpenSSL turns on OpenSSL's partial writes, under which a write seals
    one record (16 KiB) and returns, so a large write costs a trip through
    Python per record. Over a memory BIO, which never refuses bytes, a write
    in whole seals all its records in one call; it can still stop before the
    first (a handshake not yet over), and is then retried with the same bytes.
    """
    _lib.SSL_clear_mode(connection._ssl, _lib.SSL_MODE_ENABLE_PARTIAL_WRITE)


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
