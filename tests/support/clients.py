"""
Real FTPS clients for integration tests: Python's ftplib, curl and lftp.

Why three: each one drives FTPS differently (command order, PASV vs EPSV, TLS session reuse on
data connections, how a transfer is closed), and users run all of them. Testing the server
against only one client would let the quirks of the others through.

Also here: L{tls_certificate}, a throwaway self-signed certificate for the server under test.
"""

from __future__ import annotations

import datetime
import fcntl
import ftplib
import os
import socket
import ssl
import subprocess
import threading
import urllib.parse
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from twisted_ftps3 import selfsigned

__all__ = [
    "ImplicitFTPS",
    "ResumingFTPS",
    "ResumingImplicitFTPS",
    "client_context",
    "connect_implicit",
    "curl",
    "lftp",
    "lftp_implicit_script",
    "lftp_quote",
    "quit_session",
    "tls_certificate",
]


def client_context(cafile: str | None = None) -> ssl.SSLContext:
    """
    A client TLS context that trusts exactly C{cafile}, or nothing is verified without one.

    TLS 1.2 is the floor because that is what the server promises to support; a client that
    silently negotiated something older would hide a misconfiguration.
    """
    if cafile is None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class ImplicitFTPS(ftplib.FTP_TLS):
    """
    ftplib speaking implicit FTPS: TLS from the first byte, before the greeting.

    C{FTP_TLS} only does explicit FTPS (C{AUTH TLS} after a plaintext greeting); overriding
    L{connect} to wrap the socket before reading the greeting is all implicit TLS needs.
    Because the control socket is then already TLS, C{login} skips C{AUTH TLS}. Data
    connections are wrapped by L{ntransfercmd} after C{prot_p()} with the same context and
    server name as the control connection, and ftplib's C{storbinary}/C{retrbinary}/... end
    each TLS data connection with C{unwrap()} (a TLS close_notify), which is how the server
    tells a finished upload from an aborted one.
    """

    def __init__(
        self,
        host: str = "",
        user: str = "",
        passwd: str = "",
        acct: str = "",
        *,
        cafile: str | None = None,
        context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
        source_address: tuple[str, int] | None = None,
        encoding: str = "utf-8",
    ) -> None:
        """
        Like C{FTP_TLS}, but with a C{cafile} shortcut; see L{client_context}.

        Giving C{host} connects to port 21, as with ftplib; implicit FTPS servers usually
        listen elsewhere, so normally leave it empty and call C{connect(host, port)}.
        """
        if context is not None and cafile is not None:
            raise ValueError("give either cafile or context, not both")
        super().__init__(
            host,
            user,
            passwd,
            acct,
            context=context or client_context(cafile),
            timeout=timeout,
            source_address=source_address,
            encoding=encoding,
        )

    def connect(
        self,
        host: str = "",
        port: int = 0,
        timeout: float = -999,
        source_address: tuple[str, int] | None = None,
    ) -> str:
        """
        Connect and complete the TLS handshake before reading the greeting.

        This mirrors C{ftplib.FTP.connect} line for line except for the C{wrap_socket}; it
        cannot call the original, which reads the greeting in plaintext.
        """
        if host != "":
            self.host = host
        if port > 0:
            self.port = port
        if timeout != -999:
            self.timeout = timeout
        if self.timeout is not None and not self.timeout:
            raise ValueError("Non-blocking socket (timeout=0) is not supported")
        if source_address is not None:
            self.source_address = source_address
        raw = socket.create_connection(
            (self.host, self.port), self.timeout, source_address=self.source_address
        )
        try:
            self.sock = self.context.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise
        self.af = self.sock.family
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome

    def ntransfercmd(self, cmd: str, rest: int | str | None = None) -> tuple[socket.socket, Any]:
        """
        Open a data connection, TLS-wrapped after C{prot_p()}.

        Same as C{FTP_TLS.ntransfercmd} (same context, C{server_hostname=self.host}), except
        that a failed data-connection handshake closes the raw socket instead of leaking it.
        """
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            try:
                conn = self.context.wrap_socket(conn, server_hostname=self.host)
            except BaseException:
                conn.close()
                raise
        return conn, size


class _ResumingData:
    """
    Data connections that resume the control connection's TLS session, as
    FileZilla's, lftp's and rclone's do; ftplib's own make a new session for each.
    """

    def ntransfercmd(
        self, cmd: str, rest: int | str | None = None
    ) -> tuple[socket.socket, int | None]:
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)  # type: ignore[arg-type]
        if self._prot_p:  # type: ignore[attr-defined]
            conn = self.context.wrap_socket(  # type: ignore[attr-defined]
                conn,
                server_hostname=self.host,
                session=self.sock.session,  # type: ignore[attr-defined]
            )
        return conn, size


class ResumingFTPS(_ResumingData, ftplib.FTP_TLS):
    """Explicit FTPS whose data connections resume the control connection's TLS session."""


class ResumingImplicitFTPS(_ResumingData, ImplicitFTPS):
    """Implicit FTPS whose data connections resume the control connection's TLS session."""


def connect_implicit(
    host: str,
    port: int,
    user: str,
    password: str,
    cafile: str | None = None,
    timeout: float = 30,
    kind: type[ImplicitFTPS] = ImplicitFTPS,
    source_address: tuple[str, int] | None = None,
) -> ImplicitFTPS:
    """
    An L{ImplicitFTPS} that is connected, logged in and protecting data connections.

    Nearly every test wants exactly this; the socket is closed if any step fails, so a
    failing test does not leave a session open on the server under test.

    @param source_address: where the client connects from, such as C{("127.0.0.2", 0)}.
    """
    ftp = kind(cafile=cafile, timeout=timeout, source_address=source_address)
    try:
        ftp.connect(host, port)
        ftp.login(user, password)
        ftp.prot_p()
    except BaseException:
        ftp.close()
        raise
    return ftp


def quit_session(ftp: ftplib.FTP) -> None:
    """End a session with QUIT if it still answers, so that the server is done with it."""
    try:
        ftp.quit()
    except (ftplib.Error, OSError, EOFError):
        ftp.close()


def curl(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """
    Run the C{curl} binary with C{--silent --show-error} and C{args}; never raise on failure.

    Silent keeps the progress meter out of the captured stderr, show-error keeps the error
    message in it. Callers check C{returncode} themselves because testing failures (wrong
    password, missing file) is as common as testing successes. stdin is closed so that curl
    never waits for a terminal.
    """
    return subprocess.run(
        ["curl", "--silent", "--show-error", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def lftp(script: str, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """
    Run C{lftp -c script}; never raise on failure (see L{curl}).

    Use L{lftp_implicit_script} to build C{script}.
    """
    return subprocess.run(
        ["lftp", "-c", script],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def lftp_quote(argument: str) -> str:
    """
    Quote one argument for lftp's command parser.

    lftp splits commands on whitespace and C{;}, and treats quotes, backslashes, C{&}, C{|},
    C{>} and C{#} specially; inside double quotes only C{"} and C{\\} need a backslash.
    Remote names with spaces or such characters are exactly what integration tests like to
    try, so every name in a command should go through this.
    """
    return '"' + argument.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lftp_implicit_script(
    host: str, port: int, user: str, password: str, commands: list[str]
) -> str:
    """
    An lftp script that opens an implicit FTPS session and runs C{commands}.

    The settings make lftp fail fast and predictably instead of its interactive defaults:
    no certificate verification (tests use self-signed certificates), TLS on control and data
    (C{ftps://} already implies it; forcing it makes a downgrade an error), passive mode,
    a single attempt and a 20 s network timeout instead of retrying for minutes.

    User and password are percent-encoded for the URL (lftp decodes them), so C{@}, C{:}
    or C{/} in them cannot change the host. C{commands} are raw lftp commands, one per line;
    quote their arguments with L{lftp_quote}.

    Beware (seen with lftp 4.9): lftp sends C{PROT P} only if the server's C{FEAT} reply lists
    C{AUTH TLS}; otherwise, despite these settings, it opens plaintext data connections. A
    server that keeps data connections TLS-only then sees a failed handshake, not a download.
    """
    credentials = urllib.parse.quote(user, safe="") + ":" + urllib.parse.quote(password, safe="")
    url = f"ftps://{credentials}@{host}:{port}"
    lines = [
        "set ssl:verify-certificate no",
        "set ftp:ssl-force true",
        "set ftp:ssl-protect-data true",
        "set ftp:passive-mode true",
        "set net:max-retries 1",
        "set net:timeout 20",
        f"open {lftp_quote(url)}",
        *commands,
    ]
    return "\n".join(lines) + "\n"


_certificates: dict[str, tuple[str, str]] = {}
_certificates_lock = threading.Lock()
_CERT_NAME = "localhost.crt.pem"
_KEY_NAME = "localhost.key.pem"


def tls_certificate(directory: str) -> tuple[str, str]:
    """
    A self-signed certificate for C{localhost}, C{127.0.0.1} and C{::1}: C{(cert_path, key_path)}.

    Generated at test time rather than checked in, so it can never expire in the repository
    and no private key lives in version control. The names cover every way tests reach the
    server (by name, over IPv4, over IPv6), so clients that verify (with the certificate as
    their CA file) succeed. It is marked as a CA as well as a server certificate because it is
    its own trust anchor.

    Cached per directory: one key per test run is plenty. The cache is the directory itself,
    not just this process's memory, because the server under test may run in another
    process that asks for the same directory; regenerating there would swap the certificate
    under a client that already trusts the old one. So an existing matching, unexpired pair
    is reused, and a lock file keeps two processes from writing halves of different pairs.
    """
    directory = os.path.abspath(directory)
    cert_path = os.path.join(directory, _CERT_NAME)
    key_path = os.path.join(directory, _KEY_NAME)
    with _certificates_lock:
        cached = _certificates.get(directory)
        if cached is not None and all(os.path.exists(path) for path in cached):
            return cached
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, ".tls_certificate.lock"), "wb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not _usable_pair(cert_path, key_path):
                cert_pem, key_pem = _self_signed_pem()
                _write_replacing(key_path, key_pem, 0o600)
                _write_replacing(cert_path, cert_pem, 0o644)
        _certificates[directory] = (cert_path, key_path)
        return cert_path, key_path


def _usable_pair(cert_path: str, key_path: str) -> bool:
    """Whether an earlier call left a certificate and matching key good for another day."""
    try:
        with open(cert_path, "rb") as cert_file:
            certificate = x509.load_pem_x509_certificate(cert_file.read())
        with open(key_path, "rb") as key_file:
            key = serialization.load_pem_private_key(key_file.read(), password=None)
    except (OSError, ValueError, TypeError):
        return False
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    tomorrow = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    return (
        certificate.public_key().public_bytes(*spki) == key.public_key().public_bytes(*spki)
        and certificate.not_valid_after_utc > tomorrow
    )


def _write_replacing(path: str, data: bytes, mode: int) -> None:
    """Write via a temporary file and rename, so readers never see a half-written file."""
    temporary = f"{path}.{os.getpid()}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as output:
        output.write(data)
    os.replace(temporary, path)


def _self_signed_pem() -> tuple[bytes, bytes]:
    """
    Make the certificate and key of L{tls_certificate}, as PEM: valid for a
    year, since it is cached in the test directory between runs.
    """
    key = selfsigned.new_key()
    certificate = selfsigned.make_certificate(
        key,
        "localhost",
        names=("localhost", "127.0.0.1", "::1"),
        ca=True,
        server_auth=True,
        valid_for=datetime.timedelta(days=365),
    )
    return selfsigned.certificate_pem(certificate), selfsigned.key_pem(key)
