"""
Tests for L{twisted_ftps3.tls}: the server's TLS options from PEM files.

Certificates are made with C{cryptography} for each test. Handshakes run
entirely in memory, between two pyOpenSSL connections without sockets whose
bytes the test carries from one to the other.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from OpenSSL import SSL
from twisted.internet.interfaces import IOpenSSLServerConnectionCreator
from twisted.internet.ssl import CertificateOptions, TLSVersion
from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from twisted_ftps3.config import ConfigError
from twisted_ftps3.selfsigned import certificate_pem, key_pem, make_certificate, new_key
from twisted_ftps3.tls import SessionTLS, load_tls, resumed

from .support.tlspair import (
    client_connection,
    client_context,
    handshake,
    handshake_between,
    session_after,
)
from .support.transport import ControlTransport


def tls_options(certificate_file: str, key_file: str) -> CertificateOptions:
    """The options of one control connection's context, from PEM files."""
    return load_tls(certificate_file, key_file).options()


class TLSFilesTestCase(SynchronousTestCase):
    """A directory to write PEM files into, and a self-signed pair."""

    def setUp(self) -> None:
        self.directory = self.mktemp()
        os.makedirs(self.directory)
        self.key = new_key()
        self.certificate = make_certificate(self.key, "localhost")

    def write(self, name: str, *blocks: bytes) -> str:
        """Write C{blocks} into the file C{name} and return its path."""
        path = os.path.join(self.directory, name)
        with open(path, "wb") as f:
            f.write(b"".join(blocks))
        return path

    def self_signed(self) -> CertificateOptions:
        """The options from the self-signed certificate and its key in separate files."""
        return tls_options(
            self.write("server.crt", certificate_pem(self.certificate)),
            self.write("server.key", key_pem(self.key)),
        )


class LoadingTests(TLSFilesTestCase):
    """Certificates and keys that load."""

    def test_self_signed_certificate(self) -> None:
        """A self-signed certificate is the one the server presents."""
        options = self.self_signed()
        self.assertEqual(options.certificate.to_cryptography(), self.certificate)

    def test_self_signed_no_chain(self) -> None:
        """A lone certificate has no extra chain."""
        self.assertEqual(list(self.self_signed().extraCertChain), [])

    def test_self_signed_handshake(self) -> None:
        """A client completes a handshake and sees the certificate."""
        client = handshake(self.self_signed().getContext(), SSL.TLS1_2_VERSION)
        self.assertEqual(client.get_peer_certificate(as_cryptography=True), self.certificate)

    def test_key_in_certificate_file(self) -> None:
        """The key may be in the certificate file, after the certificate."""
        both = self.write("server.pem", certificate_pem(self.certificate), key_pem(self.key))
        client = handshake(tls_options(both, both).getContext(), SSL.TLS1_2_VERSION)
        self.assertEqual(client.get_peer_certificate(as_cryptography=True), self.certificate)

    def test_key_before_certificate(self) -> None:
        """The key may come before the certificate in a combined file."""
        both = self.write("server.pem", key_pem(self.key), certificate_pem(self.certificate))
        options = tls_options(both, both)
        self.assertEqual(options.certificate.to_cryptography(), self.certificate)

    def test_rsa_key(self) -> None:
        """An RSA certificate and key load."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        certificate = make_certificate(key, "localhost")
        options = tls_options(
            self.write("rsa.crt", certificate_pem(certificate)),
            self.write("rsa.key", key_pem(key)),
        )
        client = handshake(options.getContext(), SSL.TLS1_2_VERSION)
        self.assertEqual(client.get_peer_certificate(as_cryptography=True), certificate)

    def test_ed25519_key(self) -> None:
        """An Ed25519 certificate and key load (they have no C{public_numbers})."""
        key = ed25519.Ed25519PrivateKey.generate()
        certificate = make_certificate(key, "localhost")
        options = tls_options(
            self.write("ed.crt", certificate_pem(certificate)),
            self.write("ed.key", key_pem(key)),
        )
        self.assertEqual(options.certificate.to_cryptography(), certificate)


class ChainTests(TLSFilesTestCase):
    """A certificate file holding the server certificate and its intermediate."""

    def setUp(self) -> None:
        super().setUp()
        root_key = new_key()
        root = make_certificate(root_key, "Test Root CA", ca=True)
        intermediate_key = new_key()
        self.intermediate = make_certificate(
            intermediate_key, "Test Intermediate CA", issuer=root, issuer_key=root_key, ca=True
        )
        self.leaf = make_certificate(
            self.key, "localhost", issuer=self.intermediate, issuer_key=intermediate_key
        )
        self.options = tls_options(
            self.write("chain.crt", certificate_pem(self.leaf), certificate_pem(self.intermediate)),
            self.write("server.key", key_pem(self.key)),
        )

    def test_leaf_is_certificate(self) -> None:
        """The first certificate of the file is the server's own."""
        self.assertEqual(self.options.certificate.to_cryptography(), self.leaf)

    def test_intermediate_in_chain(self) -> None:
        """The rest of the file is the extra chain."""
        chain = [certificate.to_cryptography() for certificate in self.options.extraCertChain]
        self.assertEqual(chain, [self.intermediate])

    def test_chain_sent(self) -> None:
        """A client is sent the server certificate and then the intermediate."""
        client = handshake(self.options.getContext(), SSL.TLS1_2_VERSION)
        self.assertEqual(
            client.get_peer_cert_chain(as_cryptography=True), [self.leaf, self.intermediate]
        )


class MinimumVersionTests(TLSFilesTestCase):
    """TLS 1.2 is the oldest version served."""

    def test_old_versions_disabled(self) -> None:
        """The context disables TLS 1.0 and 1.1, and not 1.2."""
        context = self.self_signed().getContext()
        # set_options returns the whole option mask after adding the given (no) options.
        mask = context.set_options(0)
        self.assertEqual(
            (
                bool(mask & SSL.OP_NO_TLSv1),
                bool(mask & SSL.OP_NO_TLSv1_1),
                bool(mask & SSL.OP_NO_TLSv1_2),
            ),
            (True, True, False),
        )

    def test_tls_1_2(self) -> None:
        """A TLS 1.2 client is served."""
        client = handshake(self.self_signed().getContext(), SSL.TLS1_2_VERSION)
        self.assertEqual(client.get_protocol_version_name(), "TLSv1.2")

    def test_tls_1_3(self) -> None:
        """A TLS 1.3 client is served."""
        client = handshake(self.self_signed().getContext(), SSL.TLS1_3_VERSION)
        self.assertEqual(client.get_protocol_version_name(), "TLSv1.3")

    def test_tls_1_1_refused(self) -> None:
        """
        A client that speaks only TLS 1.1 is refused, even with the server's
        ciphers opened up to security level 0 so that only the protocol
        version stands in its way.
        """
        context = self.self_signed().getContext()
        context.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
        self.assertRaises(SSL.Error, handshake, context, SSL.TLS1_1_VERSION)

    def test_tls_1_1_possible_here(self) -> None:
        """
        The handshake above fails because of the minimum, not because this
        OpenSSL cannot speak TLS 1.1: a server with the same certificate, key
        and ciphers but a lowered minimum completes a TLS 1.1 handshake.
        """
        loaded = self.self_signed()
        lowered = CertificateOptions(
            privateKey=loaded.privateKey,
            certificate=loaded.certificate,
            insecurelyLowerMinimumTo=TLSVersion.TLSv1_1,
        )
        context = lowered.getContext()
        context.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
        client = handshake(context, SSL.TLS1_1_VERSION)
        self.assertEqual(client.get_protocol_version_name(), "TLSv1.1")


class ErrorTests(TLSFilesTestCase):
    """Missing or wrong files are reported against the setting to fix."""

    def assertConfigError(
        self, variable: str, certificate_file: str, key_file: str, *words: str
    ) -> None:
        error = self.assertRaises(ConfigError, tls_options, certificate_file, key_file)
        self.assertEqual(error.variable, variable)
        for word in words:
            self.assertIn(word, error.problem)

    def test_missing_certificate_file(self) -> None:
        """A certificate file that does not exist is an error naming its setting and path."""
        missing = os.path.join(self.directory, "missing.crt")
        key = self.write("server.key", key_pem(self.key))
        self.assertConfigError("FTP_TLS_CERTIFICATE_FILE", missing, key, missing)

    def test_certificate_file_without_certificate(self) -> None:
        """A certificate file holding no certificate is an error naming its setting."""
        key = self.write("server.key", key_pem(self.key))
        self.assertConfigError("FTP_TLS_CERTIFICATE_FILE", key, key, "no PEM certificate")

    def test_certificate_does_not_parse(self) -> None:
        """A certificate block that is not a certificate is an error naming its setting."""
        garbage = self.write(
            "garbage.crt", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        )
        key = self.write("server.key", key_pem(self.key))
        self.assertConfigError("FTP_TLS_CERTIFICATE_FILE", garbage, key, "does not parse")

    def test_missing_key_file(self) -> None:
        """A key file that does not exist is an error naming its setting and path."""
        certificate = self.write("server.crt", certificate_pem(self.certificate))
        missing = os.path.join(self.directory, "missing.key")
        self.assertConfigError("FTP_TLS_KEY_FILE", certificate, missing, missing)

    def test_garbage_key(self) -> None:
        """A key file without a private key is an error naming its setting."""
        certificate = self.write("server.crt", certificate_pem(self.certificate))
        garbage = self.write("server.key", b"this is not a key\n")
        self.assertConfigError("FTP_TLS_KEY_FILE", certificate, garbage, "no PEM private key")

    def test_certificate_as_key(self) -> None:
        """Giving the certificate file as the key file, with no key in it, is a key error."""
        certificate = self.write("server.crt", certificate_pem(self.certificate))
        self.assertConfigError("FTP_TLS_KEY_FILE", certificate, certificate)

    def test_key_does_not_match(self) -> None:
        """A key that is not the certificate's is an error naming the key setting."""
        certificate = self.write("server.crt", certificate_pem(self.certificate))
        other = self.write("other.key", key_pem(new_key()))
        self.assertConfigError("FTP_TLS_KEY_FILE", certificate, other, "does not match")

    def test_key_of_intermediate_does_not_match(self) -> None:
        """With a chain, the key must be the first certificate's, not a later one's."""
        other_key = new_key()
        other = make_certificate(other_key, "other")
        chain = self.write("chain.crt", certificate_pem(self.certificate), certificate_pem(other))
        key = self.write("other.key", key_pem(other_key))
        self.assertConfigError("FTP_TLS_KEY_FILE", chain, key, "does not match")

    def test_message_is_one_line(self) -> None:
        """The error prints as one line starting with the setting's name."""
        missing = os.path.join(self.directory, "missing.crt")
        error = self.assertRaises(ConfigError, tls_options, missing, missing)
        self.assertEqual(str(error).splitlines(), [str(error)])
        self.assertTrue(str(error).startswith("FTP_TLS_CERTIFICATE_FILE: "))


class ServerTLSTests(TLSFilesTestCase):
    """L{ServerTLS} from L{load_tls}: one context, and a TLS session per control connection."""

    def setUp(self) -> None:
        super().setUp()
        self.tls = load_tls(
            self.write("server.crt", certificate_pem(self.certificate)),
            self.write("server.key", key_pem(self.key)),
        )

    def test_interface(self) -> None:
        """L{ServerTLS} and the L{SessionTLS} of a control connection create server connections."""
        self.assertTrue(verifyObject(IOpenSSLServerConnectionCreator, self.tls))
        control = self.tls.serverConnectionForTLS(object())
        session = SessionTLS.of(ControlTransport(control))
        self.assertTrue(verifyObject(IOpenSSLServerConnectionCreator, session))

    def test_one_context(self) -> None:
        """Every connection, control and data, is made in the server's one context."""
        first = self.tls.serverConnectionForTLS(object())
        second = self.tls.serverConnectionForTLS(object())
        data = SessionTLS.of(ControlTransport(first)).serverConnectionForTLS(object())
        self.assertEqual(
            {id(c.get_context()) for c in (first, second, data)}, {id(self.tls.context)}
        )

    def test_session_per_control_connection(self) -> None:
        """Each control connection starts a TLS session of its own, with a name of its own."""
        first = SessionTLS.of(ControlTransport(self.tls.serverConnectionForTLS(object())))
        second = SessionTLS.of(ControlTransport(self.tls.serverConnectionForTLS(object())))
        self.assertIsNot(first, second)
        self.assertNotEqual(first.name, second.name)

    def test_data_connection_in_session(self) -> None:
        """A data connection belongs to its control connection's session."""
        session = SessionTLS.of(ControlTransport(self.tls.serverConnectionForTLS(object())))
        data = session.serverConnectionForTLS(object())
        self.assertIs(SessionTLS.of(ControlTransport(data)), session)

    def test_certificate_loaded(self) -> None:
        """The certificate of the files is the one a control connection presents."""
        client = client_connection(client_context(SSL.TLS1_3_VERSION))
        handshake_between(client, self.tls.serverConnectionForTLS(object()))
        self.assertEqual(client.get_peer_certificate(as_cryptography=True), self.certificate)


class SessionReuseMixin:
    """
    Data connections of L{SessionTLS} and the sessions they resume, for one
    TLS version (C{version}, set by the test cases mixing this in).

    Each test makes control connections from one L{ServerTLS} loaded from
    files, takes the session a client keeps from one of them, and makes a
    data connection of a control connection's session, the way a
    session's passive port does. All of them share the server's one
    context, and with it one session cache and one ticket key: only the
    session's name keeps the sessions apart.

    Every connection is kept until the test ends: OpenSSL forgets the
    session of a connection freed without a TLS shutdown, and when Python
    frees one is not for the test to depend on.
    """

    version: int
    version_name: str
    #: Whether the client asks for session tickets.
    tickets = True

    def setUp(self) -> None:
        super().setUp()
        self.tls = load_tls(
            self.write("server.crt", certificate_pem(self.certificate)),
            self.write("server.key", key_pem(self.key)),
        )
        self.client_context = client_context(self.version, self.tickets)
        self.connections: list[SSL.Connection] = []

    def connect(self, server: SSL.Connection, session: SSL.Session | None) -> SSL.Connection:
        """Handshake with C{server} from a client offering C{session}; return the client."""
        client = client_connection(self.client_context, session)
        handshake_between(client, server)
        self.connections += [client, server]
        return client

    def control(self) -> tuple[SSL.Connection, SSL.Session]:
        """
        A control connection's server side, after its handshake, and the
        session its client keeps.
        """
        server = self.tls.serverConnectionForTLS(object())
        return server, session_after(self.connect(server, None), server)

    def data(self, control: SSL.Connection, session: SSL.Session | None) -> SSL.Connection:
        """
        A data connection's server side for the session whose control
        connection is C{control}, after a handshake with a client offering
        C{session}.
        """
        server = SessionTLS.of(ControlTransport(control)).serverConnectionForTLS(object())
        self.connect(server, session)
        return server

    def test_own_session_resumed(self) -> None:
        """A data connection resumes its control connection's session."""
        control, session = self.control()
        self.assertTrue(resumed(self.data(control, session)))

    def test_own_session_version(self) -> None:
        """The resumed data connection speaks the version asked for."""
        control, session = self.control()
        data = self.data(control, session)
        self.assertEqual(data.get_protocol_version_name(), self.version_name)

    def test_data_session_resumed(self) -> None:
        """
        The session a client keeps from a resumed data connection resumes on
        the next one, as a session's later transfers need.
        """
        control, session = self.control()
        first = SessionTLS.of(ControlTransport(control)).serverConnectionForTLS(object())
        renewed = session_after(self.connect(first, session), first)
        self.assertTrue(resumed(self.data(control, renewed)))

    def test_control_not_resumed(self) -> None:
        """A control connection is a full handshake: it has no session to resume."""
        control, _ = self.control()
        self.assertFalse(resumed(control))

    def test_other_session_not_resumed(self) -> None:
        """
        A session from another control connection of the same server, with
        the same certificate, is not resumed: the handshake is a full one,
        and completes.
        """
        control, _ = self.control()
        _, other_session = self.control()
        data = self.data(control, other_session)
        self.assertEqual(
            (resumed(data), data.get_protocol_version_name()), (False, self.version_name)
        )

    def test_other_data_session_not_resumed(self) -> None:
        """
        Nor is a session that a client kept from another session's data
        connection.
        """
        control, _ = self.control()
        other, other_session = self.control()
        other_data = SessionTLS.of(ControlTransport(other)).serverConnectionForTLS(object())
        renewed = session_after(self.connect(other_data, other_session), other_data)
        self.assertTrue(resumed(other_data))
        self.assertFalse(resumed(self.data(control, renewed)))

    def test_sessions_apart(self) -> None:
        """
        Two sessions' data connections, made in turn, resume their own
        control connection's session and not the other's. (Each TLS session
        is offered first where it must not resume: under TLS 1.3, one
        resumes only once here.)
        """
        first, first_session = self.control()
        second, second_session = self.control()
        self.assertEqual(
            [
                resumed(self.data(first, second_session)),
                resumed(self.data(second, first_session)),
                resumed(self.data(first, first_session)),
                resumed(self.data(second, second_session)),
            ],
            [False, False, True, True],
        )

    def test_control_resumes_nothing(self) -> None:
        """A control connection offered another session's TLS session makes a full handshake."""
        _, session = self.control()
        server = self.tls.serverConnectionForTLS(object())
        self.connect(server, session)
        self.assertFalse(resumed(server))

    def test_context_resumes_nothing(self) -> None:
        """
        A connection made straight from the shared context, just after a
        session's, does not resume that session: the context keeps no
        session's name between connections.
        """
        control, session = self.control()
        self.data(control, None)
        server = SSL.Connection(self.tls.context, None)
        self.connect(server, session)
        self.assertFalse(resumed(server))

    def test_no_session_full_handshake(self) -> None:
        """A client that offers no session gets a full handshake, which completes."""
        control, _ = self.control()
        data = self.data(control, None)
        self.assertEqual(
            (resumed(data), data.get_protocol_version_name()), (False, self.version_name)
        )


class TLS12SessionReuseTests(SessionReuseMixin, TLSFilesTestCase):
    """Session reuse under TLS 1.2 (session ID or ticket)."""

    version = SSL.TLS1_2_VERSION
    version_name = "TLSv1.2"


class TLS12SessionIDReuseTests(SessionReuseMixin, TLSFilesTestCase):
    """Session reuse under TLS 1.2, by session ID alone: the client asks for no ticket."""

    version = SSL.TLS1_2_VERSION
    version_name = "TLSv1.2"
    tickets = False


class TLS13SessionReuseTests(SessionReuseMixin, TLSFilesTestCase):
    """Session reuse under TLS 1.3 (tickets sent after the handshake)."""

    version = SSL.TLS1_3_VERSION
    version_name = "TLSv1.3"
