"""
The server end to end: real FTPS clients (ftplib, curl, lftp) against the
running server, in front of a real S3 server (moto) that checks SigV4
signatures. Each test gets a bucket of its own.

ftplib is blocking, so it runs in a thread while the reactor serves; curl
and lftp run as processes. Every byte that goes up is compared with what
comes back and with what S3 holds.
"""

from __future__ import annotations

import base64
import ftplib
import functools
import hashlib
import io
import os
import re
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import ensureDeferred
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThread
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import TestCase

from twisted_ftps3.passive import PassiveMode

from .support.clients import (
    ImplicitFTPS,
    ResumingFTPS,
    ResumingImplicitFTPS,
    connect_implicit,
    curl,
    lftp,
    lftp_implicit_script,
)
from .support.s3server import s3_server
from .support.server import (
    PASSWORD,
    USER,
    LogCapture,
    free_port,
    ipv6_loopback,
    start_server,
)

EMOJI_NAME = "my £ 👨‍👩‍👧‍👦 🍰.bin"
QUOTED_NAME = 'a "quoted" 🍰 dir'
MiB = 1024 * 1024
#: Seconds a test gives a client to open its data connection.
WAIT_FOR_DATA = 3


def _sleep(seconds: float) -> Any:
    return deferLater(reactor, seconds, lambda: None)


class ServerTestCase(TestCase):
    """A fresh bucket and a running server for each test."""

    timeout = 300
    overrides: dict[str, str] = {}

    def setUp(self) -> None:
        self.s3 = s3_server()
        self.bucket = self.s3.create_bucket("ftps3")
        self.boto = self.s3.boto3_client()
        self.logs = LogCapture()
        globalLogPublisher.addObserver(self.logs)
        self.addCleanup(globalLogPublisher.removeObserver, self.logs)
        self.server = start_server(
            self.s3, self.bucket, os.path.abspath(self.mktemp()), **self.overrides
        )
        self.addCleanup(lambda: ensureDeferred(self.server.stop()))

    # -- helpers ------------------------------------------------------------

    def connect(
        self, user: str = USER, password: str = PASSWORD, source: str | None = None
    ) -> ftplib.FTP_TLS:
        """An implicit-TLS session, logged in, from C{source} if given."""
        return connect_implicit(
            "127.0.0.1",
            self.server.port,
            user,
            password,
            cafile=self.server.certificate,
            source_address=None if source is None else (source, 0),
        )

    def assertRefused(self, code: str, action: Callable[[], Any]) -> str:
        """
        Run C{action}, which the server must refuse with a permanent (5xx)
        reply that starts with C{code}; return the reply.
        """
        with self.assertRaises(ftplib.error_perm) as caught:
            action()
        reply = str(caught.exception)
        self.assertTrue(reply.startswith(code), reply)
        return reply

    def explicit(
        self,
        kind: type[ftplib.FTP_TLS] = ftplib.FTP_TLS,
        version: ssl.TLSVersion = ssl.TLSVersion.MAXIMUM_SUPPORTED,
    ) -> ftplib.FTP_TLS:
        """
        An explicit-TLS session on the explicit port, logged in and
        protecting data: Python's FTP_TLS as it comes, unless C{kind} says
        otherwise, sends AUTH TLS on login, then PROT P.
        """
        context = ssl.create_default_context(cafile=self.server.certificate)
        context.maximum_version = version
        ftp = kind(context=context, timeout=30, encoding="utf-8")
        ftp.connect("127.0.0.1", self.server.explicit_port)
        ftp.login(USER, PASSWORD)
        ftp.prot_p()
        return ftp

    def session(
        self,
        scenario: Callable[[ftplib.FTP_TLS], Any],
        user: str = USER,
        password: str = PASSWORD,
    ) -> Any:
        """Run C{scenario} with an ftplib session logged in as C{user}, in a thread."""

        def run() -> Any:
            ftp = self.connect(user, password)
            try:
                return scenario(ftp)
            finally:
                try:
                    ftp.quit()
                except (ftplib.Error, OSError):
                    ftp.close()

        return deferToThread(run)

    async def _wait_for(self, condition: Callable[[], Any], what: str, limit: float = 30) -> Any:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            value = await deferToThread(condition)
            if value:
                return value
            await _sleep(0.1)
        self.fail(f"timed out waiting for {what}")

    def object_bytes(self, key: str) -> bytes:
        return self.boto.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def keys(self) -> list[str]:
        listing = self.boto.list_objects_v2(Bucket=self.bucket)
        return [entry["Key"] for entry in listing.get("Contents", [])]

    def open_uploads(self) -> list[dict[str, Any]]:
        return self.boto.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])

    def url(self, path: str = "/") -> str:
        return f"ftps://127.0.0.1:{self.server.port}{path}"

    async def lftp_mirror(self, port: int, files: dict[str, bytes], *, explicit: bool) -> None:
        """lftp mirrors C{files} up to /up and back; both copies must match byte for byte."""
        tree = os.path.abspath(self.mktemp())
        _write_tree(tree, files)
        back = os.path.abspath(self.mktemp())
        script = lftp_implicit_script(
            "127.0.0.1", port, USER, PASSWORD, [f"mirror -R {tree} /up", f"mirror /up {back}"]
        )
        if explicit:
            script = script.replace("ftps://", "ftp://")
        result = await deferToThread(lftp, script)
        self.assertEqual(result.returncode, 0, result.stderr)
        for name, data in files.items():
            self.assertEqual(self.object_bytes(f"up/{name}"), data)
            with open(os.path.join(back, name), "rb") as f:
                self.assertEqual(f.read(), data)

    def curl(self, *args: str) -> Any:
        return deferToThread(
            curl, "--cacert", self.server.certificate, "--user", f"{USER}:{PASSWORD}", *args
        )


def _poll(condition: Callable[[], Any], limit: float = 30) -> None:
    """Wait, in a client thread, until C{condition()} is true or C{limit} seconds pass."""
    deadline = time.monotonic() + limit
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)


def _write_tree(root: str, files: dict[str, bytes]) -> None:
    """Write C{files} (relative path -> bytes) under C{root}."""
    for name, data in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def _retr(ftp: ftplib.FTP_TLS, name: str) -> bytes:
    out = io.BytesIO()
    ftp.retrbinary(f"RETR {name}", out.write)
    return out.getvalue()


def _list(ftp: ftplib.FTP_TLS, path: str = "") -> list[str]:
    lines: list[str] = []
    ftp.retrlines(f"LIST {path}".strip(), lines.append)
    return lines


class LoginTests(ServerTestCase):
    """Who gets in, and what the others are told."""

    def test_good_login(self) -> Any:
        """The configured user and password log in, and land in the root."""
        return self.session(lambda ftp: self.assertEqual(ftp.pwd(), "/"))

    def _refused(self, user: str, password: str) -> Any:
        def attempt() -> str:
            with self.assertRaises(ftplib.error_perm) as caught:
                self.connect(user, password)
            return str(caught.exception)

        return deferToThread(attempt)

    async def _both_refusals(self) -> None:
        wrong_password = await self._refused(USER, "wrong")
        unknown_user = await self._refused("mallory", PASSWORD)
        self.assertTrue(wrong_password.startswith("530"), wrong_password)
        self.assertEqual(wrong_password, unknown_user)
        self.assertFalse(any(PASSWORD in text or "wrong" in text for text in self.logs.texts()))

    def test_wrong_password_and_unknown_user(self) -> Any:
        """
        A wrong password and an unknown user get the same 530, and no
        password reaches the log.
        """
        return ensureDeferred(self._both_refusals())

    def test_commands_before_login(self) -> Any:
        """File commands before login get 530; PASS before USER gets 503."""

        def scenario() -> None:
            ftp = ImplicitFTPS(cafile=self.server.certificate)
            ftp.connect("127.0.0.1", self.server.port)
            try:
                for command in ("PWD", "CWD /", "LIST", "MKD x"):
                    self.assertRefused("530", lambda command=command: ftp.sendcmd(command))
                self.assertRefused("503", lambda: ftp.sendcmd("PASS x"))
            finally:
                ftp.close()

        return deferToThread(scenario)


class CommandTests(ServerTestCase):
    """Replies to the commands that move no file data."""

    def test_empty_root_listing(self) -> Any:
        """A new bucket lists as an empty root, by LIST and NLST."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            self.assertEqual(_list(ftp), [])
            self.assertEqual(ftp.nlst(), [])

        return self.session(scenario)

    def test_protocol_replies(self) -> Any:
        """FEAT, OPTS, SYST, TYPE, NOOP, PBSZ, PROT, STAT, HELP, ALLO, MFMT answer as documented."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            features = ftp.sendcmd("FEAT")
            for feature in ("UTF8", "PBSZ", "PROT", "SIZE", "MDTM", "PASV"):
                self.assertIn(f" {feature}", features)
            self.assertTrue(ftp.sendcmd("OPTS UTF8 ON").startswith("200"))
            self.assertTrue(ftp.sendcmd("SYST").startswith("215"))
            self.assertTrue(ftp.sendcmd("TYPE I").startswith("200"))
            self.assertTrue(ftp.sendcmd("NOOP").startswith("200"))
            self.assertEqual(ftp.sendcmd("PBSZ 0"), "200 PBSZ=0")
            self.assertTrue(ftp.sendcmd("PROT P").startswith("200"))
            self.assertTrue(ftp.sendcmd("STAT").startswith("211"))
            self.assertIn("MLSD", ftp.sendcmd("HELP"))
            self.assertTrue(ftp.sendcmd("ALLO 1000").startswith("202"))
            with self.assertRaises(ftplib.error_perm) as caught:
                ftp.sendcmd("MFMT 20200101000000 x")
            self.assertIn("S3 sets LastModified", str(caught.exception))

        return self.session(scenario)

    def test_refusals(self) -> Any:
        """PROT C, unknown commands, RNTO without RNFR and REST x are refused clearly."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            cases = {"PROT C": "536", "XYZZY": "502", "RNTO x": "503", "REST x": "501"}
            for command, code in cases.items():
                self.assertRefused(code, lambda command=command: ftp.sendcmd(command))
            self.assertTrue(ftp.sendcmd("NOOP").startswith("200"))

        return self.session(scenario)

    def test_invalid_utf8(self) -> Any:
        """A command line that is not UTF-8 gets 501, and the session goes on."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.sock.sendall(b"CWD \xff\xfe\r\n")
            self.assertRefused("501", ftp.getresp)
            self.assertEqual(ftp.pwd(), "/")

        return self.session(scenario)

    def test_empty_arguments(self) -> Any:
        """DELE, RMD and MKD with an empty argument fail, and remove nothing."""
        self.boto.put_object(Bucket=self.bucket, Key="keep.txt", Body=b"x")

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            for command in ("DELE", "DELE ", "RMD", "RMD ", "MKD "):
                with self.assertRaises(ftplib.error_perm) as caught:
                    ftp.sendcmd(command)
                self.assertTrue(str(caught.exception)[:1] == "5", command)
            self.assertEqual(self.keys(), ["keep.txt"])

        return self.session(scenario)

    def test_mkd_rmd_quotes_and_emoji(self) -> Any:
        """
        MKD and RMD work on a name with double quotes and emoji; the replies
        double the quotes, as RFC 959 says.
        """

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            reply = ftp.sendcmd(f"MKD {QUOTED_NAME}")
            self.assertEqual(reply, '257 "/a ""quoted"" 🍰 dir" created.')
            self.assertEqual(ftp.nlst(), [QUOTED_NAME])
            self.assertEqual(self.keys(), [QUOTED_NAME + "/"])
            ftp.cwd(QUOTED_NAME)
            self.assertEqual(
                ftp.sendcmd("PWD"), '257 "/a ""quoted"" 🍰 dir" is the current directory.'
            )
            self.assertEqual(ftp.pwd(), f"/{QUOTED_NAME}")
            ftp.cwd("/")
            ftp.rmd(QUOTED_NAME)
            self.assertEqual(ftp.nlst(), [])
            self.assertEqual(self.keys(), [])

        return self.session(scenario)

    def test_mkd_needs_parent_and_free_name(self) -> Any:
        """MKD under a missing parent fails, and so does MKD of an existing name."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            with self.assertRaises(ftplib.error_perm):
                ftp.mkd("missing/child")
            ftp.mkd("here")
            with self.assertRaises(ftplib.error_perm):
                ftp.mkd("here")
            ftp.storbinary("STOR file", io.BytesIO(b"x"))
            with self.assertRaises(ftplib.error_perm):
                ftp.mkd("file")
            self.assertEqual(sorted(self.keys()), ["file", "here/"])

        return self.session(scenario)

    def test_hierarchy_and_directory_rename(self) -> Any:
        """
        A tree built with MKD/CWD/STOR, PWD right at each level, then the
        top directory renamed with everything inside it.
        """

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            path = ""
            for level in ("one", "two £", "three 🍰"):
                ftp.mkd(level)
                ftp.cwd(level)
                path += "/" + level
                self.assertEqual(ftp.pwd(), path)
                ftp.storbinary(f"STOR file in {level}", io.BytesIO(level.encode()))
            ftp.cwd("/")
            ftp.rename("one", "uno")
            self.assertEqual(ftp.nlst(), ["uno"])
            ftp.cwd("uno/two £/three 🍰")
            self.assertEqual(ftp.pwd(), "/uno/two £/three 🍰")
            self.assertEqual(_retr(ftp, "file in three 🍰"), "three 🍰".encode())
            ftp.cwd("..")
            self.assertEqual(ftp.pwd(), "/uno/two £")
            ftp.sendcmd("CDUP")
            self.assertEqual(ftp.pwd(), "/uno")
            self.assertEqual(sorted(ftp.nlst()), ["file in one", "two £"])
            self.assertEqual(
                sorted(self.keys()),
                [
                    "uno/",
                    "uno/file in one",
                    "uno/two £/",
                    "uno/two £/file in two £",
                    "uno/two £/three 🍰/",
                    "uno/two £/three 🍰/file in three 🍰",
                ],
            )

        return self.session(scenario)

    def test_rename_and_delete_file(self) -> Any:
        """RNFR/RNTO moves a file; DELE removes it; DELE of a directory is refused."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary("STOR a.txt", io.BytesIO(b"content"))
            ftp.mkd("d")
            ftp.rename("a.txt", "d/b.txt")
            self.assertEqual(self.object_bytes("d/b.txt"), b"content")
            with self.assertRaises(ftplib.error_perm):
                ftp.delete("d")
            ftp.delete("d/b.txt")
            self.assertEqual(self.keys(), ["d/"])
            with self.assertRaises(ftplib.error_perm):
                ftp.delete("d/b.txt")

        return self.session(scenario)

    def test_rmd_removes_tree(self) -> Any:
        """RMD removes a directory with everything below it."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.mkd("top")
            ftp.mkd("top/mid")
            ftp.storbinary("STOR top/mid/deep.bin", io.BytesIO(b"1"))
            ftp.storbinary("STOR top/shallow.bin", io.BytesIO(b"2"))
            ftp.mkd("other")
            ftp.rmd("top")
            self.assertEqual(self.keys(), ["other/"])

        return self.session(scenario)

    def test_size_mdtm_stat(self) -> Any:
        """SIZE and MDTM describe a file; SIZE of a directory is refused; STAT lists a path."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary(f"STOR {EMOJI_NAME}", io.BytesIO(b"12345"))
            ftp.mkd("d")
            self.assertEqual(ftp.size(EMOJI_NAME), 5)
            self.assertRegex(ftp.sendcmd(f"MDTM {EMOJI_NAME}"), r"^213 \d{14}$")
            with self.assertRaises(ftplib.error_perm):
                ftp.size("d")
            status = ftp.sendcmd("STAT /")
            self.assertIn(EMOJI_NAME, status)
            self.assertTrue(status.startswith("213"))

        return self.session(scenario)

    def test_list_paths_and_flags(self) -> Any:
        """
        LIST and NLST take a path, and ignore the ls flags clients send
        (C{LIST -a}, C{LIST -la dir}); LIST lines are ls -l lines with
        exact sizes.
        """
        size = 3 * MiB + 1

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.mkd("my dir")
            ftp.storbinary("STOR my dir/a b.txt", io.BytesIO(b"x" * size))
            ftp.storbinary("STOR top.txt", io.BytesIO(b"t"))
            [line] = _list(ftp, "-la my dir")
            self.assertRegex(
                line, rf"^-[rwx-]{{9}} +\d+ \S+ +\S+ +{size} \w{{3}} [ \d]\d .{{5}} a b\.txt$"
            )
            self.assertEqual(_list(ftp, "my dir"), [line])
            root = _list(ftp, "-a")
            self.assertEqual(len(root), 2)
            self.assertTrue(root[0].startswith("d") and root[0].endswith(" my dir"), root)
            self.assertTrue(root[1].startswith("-") and root[1].endswith(" top.txt"), root)
            self.assertEqual(_list(ftp, "-la"), root)
            self.assertEqual(ftp.nlst("-a", "my dir"), ["a b.txt"])
            self.assertEqual(ftp.nlst("my dir"), ["a b.txt"])

        return self.session(scenario)

    def test_directory_of_1100_entries(self) -> Any:
        """A directory of 1,100 entries lists whole: every page of ListObjectsV2 is followed."""
        names = [f"entry {index:04d}.txt" for index in range(1100)]

        def fill() -> None:
            # boto3 clients are slow to make and not to be shared across
            # threads: one per worker, each putting its own slice.
            def put(names: list[str]) -> None:
                client = self.s3.boto3_client()
                for name in names:
                    client.put_object(Bucket=self.bucket, Key=f"big/{name}", Body=b"")

            self.boto.put_object(Bucket=self.bucket, Key="big/", Body=b"")
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(put, [names[start::4] for start in range(4)]))

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            self.assertEqual(sorted(ftp.nlst("big")), names)
            self.assertEqual(len(_list(ftp, "big")), 1100)

        d = deferToThread(fill)
        d.addCallback(lambda _: self.session(scenario))
        return d


class TransferTests(ServerTestCase):
    """STOR and RETR, byte for byte."""

    def test_emoji_name_round_trip(self) -> Any:
        """STOR, LIST and RETR of a name with £ and emoji, after REST 0."""
        data = os.urandom(3000)

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary(f"STOR {EMOJI_NAME}", io.BytesIO(data), rest=0)
            [line] = _list(ftp)
            self.assertTrue(line.endswith(" " + EMOJI_NAME), line)
            self.assertIn(" 3000 ", line)
            self.assertTrue(line.startswith("-rw-r--r--"))
            out = io.BytesIO()
            ftp.retrbinary(f"RETR {EMOJI_NAME}", out.write, rest=0)
            self.assertEqual(out.getvalue(), data)
            self.assertEqual(self.object_bytes(EMOJI_NAME), data)

        return self.session(scenario)

    def test_empty_file(self) -> Any:
        """An empty file goes up and comes back empty."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary("STOR empty", io.BytesIO(b""))
            self.assertEqual(self.object_bytes("empty"), b"")
            self.assertEqual(_retr(ftp, "empty"), b"")

        return self.session(scenario)

    def test_ascii_type_transfers_stored_bytes(self) -> Any:
        """After TYPE A, RETR still sends the stored bytes (Twisted's ASCII wrapper sent none)."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storlines("STOR notes.txt", io.BytesIO(b"one\ntwo\n"))
            lines: list[str] = []
            ftp.retrlines("RETR notes.txt", lines.append)
            self.assertEqual(lines, ["one", "two"])
            self.assertEqual(ftp.size("notes.txt"), len(self.object_bytes("notes.txt")))

        return self.session(scenario)

    def test_stor_into_missing_directory(self) -> Any:
        """STOR into a directory that does not exist fails and stores nothing."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            self.assertRefused(
                "550", lambda: ftp.storbinary("STOR nowhere/file.bin", io.BytesIO(b"data"))
            )
            self.assertEqual(self.keys(), [])

        return self.session(scenario)

    def test_retr_missing_file(self) -> Any:
        """RETR of a missing file is a 550 and the session goes on."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            self.assertRefused("550", lambda: _retr(ftp, "absent"))
            self.assertTrue(ftp.sendcmd("NOOP").startswith("200"))

        return self.session(scenario)

    def test_100_mb_round_trip(self) -> Any:
        """
        A 100 MB random file goes up as a multipart upload and comes back
        byte-identical, equal to the object in S3.
        """
        size = 100 * 1000 * 1000
        source = os.path.join(os.path.abspath(self.mktemp()))
        digest = hashlib.sha256()
        with open(source, "wb") as f:
            remaining = size
            while remaining:
                chunk = os.urandom(min(remaining, 4 * MiB))
                digest.update(chunk)
                f.write(chunk)
                remaining -= len(chunk)
        expected = digest.hexdigest()

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            with open(source, "rb") as f:
                ftp.storbinary("STOR big.bin", f, blocksize=256 * 1024)
            back = hashlib.sha256()
            ftp.retrbinary("RETR big.bin", back.update, blocksize=256 * 1024)
            self.assertEqual(back.hexdigest(), expected)
            head = self.boto.head_object(Bucket=self.bucket, Key="big.bin")
            self.assertEqual(head["ContentLength"], size)
            self.assertRegex(head["ETag"], r"-\d+\"$", "stored as a multipart upload")
            body = self.boto.get_object(Bucket=self.bucket, Key="big.bin")["Body"]
            stored = hashlib.sha256()
            for chunk in iter(lambda: body.read(4 * MiB), b""):
                stored.update(chunk)
            self.assertEqual(stored.hexdigest(), expected)
            self.assertEqual(self.open_uploads(), [])

        return self.session(scenario)

    async def _disconnect_halfway(self) -> None:
        started = threading.Event()
        release = threading.Event()

        def client() -> None:
            ftp = self.connect()
            conn, _ = ftp.ntransfercmd("STOR half.bin")
            conn.sendall(os.urandom(12 * MiB))
            started.set()
            release.wait(60)
            # Vanish: no TLS close_notify on the data connection, no QUIT.
            conn.close()
            ftp.sock.close()

        running = deferToThread(client)
        await self._wait_for(self.open_uploads, "the multipart upload to start")
        self.assertTrue(started.wait(30))
        release.set()
        await running
        await self._wait_for(lambda: not self.open_uploads(), "the upload to be aborted")
        self.assertEqual(self.keys(), [])
        self.assertEqual(len(self.server.service.uploads), 0)

    def test_client_disconnect_halfway(self) -> Any:
        """
        A client that vanishes halfway through a multi-part STOR leaves no
        object and no open multipart upload.
        """
        return ensureDeferred(self._disconnect_halfway())

    async def _shutdown_during_upload(self) -> None:
        release = threading.Event()

        def client() -> None:
            ftp = self.connect()
            conn, _ = ftp.ntransfercmd("STOR shutdown.bin")
            try:
                conn.sendall(os.urandom(12 * MiB))
                release.wait(60)
            finally:
                conn.close()
                ftp.close()

        running = deferToThread(client)
        await self._wait_for(self.open_uploads, "the multipart upload to start")
        await self.server.service.stopService()
        self.assertEqual(self.open_uploads(), [])
        self.assertEqual(self.keys(), [])
        release.set()
        await running

    def test_shutdown_during_upload(self) -> Any:
        """Stopping the server mid-upload aborts the multipart upload: nothing stays in S3."""
        return ensureDeferred(self._shutdown_during_upload())

    async def _curl(self) -> None:
        source = os.path.abspath(self.mktemp())
        data = os.urandom(9 * MiB + 17)
        with open(source, "wb") as f:
            f.write(data)
        upload = await self.curl("-T", source, self.url("/curl%20upload.bin"))
        self.assertEqual(upload.returncode, 0, upload.stderr)
        self.assertEqual(self.object_bytes("curl upload.bin"), data)
        target = os.path.abspath(self.mktemp())
        download = await self.curl("-o", target, self.url("/curl%20upload.bin"))
        self.assertEqual(download.returncode, 0, download.stderr)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), data)
        listing = await self.curl(self.url("/"))
        self.assertEqual(listing.returncode, 0, listing.stderr)
        self.assertIn(b" 9437201 ", listing.stdout)
        self.assertTrue(listing.stdout.rstrip().endswith(b" curl upload.bin"), listing.stdout)
        names = await self.curl("--list-only", self.url("/"))
        self.assertEqual(names.stdout.splitlines(), [b"curl upload.bin"])

    def test_curl_upload_download_list(self) -> Any:
        """curl over implicit FTPS uploads, downloads and lists, byte for byte."""
        return ensureDeferred(self._curl())

    async def _lftp(self) -> None:
        files = {
            "top.txt": os.urandom(1000),
            "with space/é accent.bin": os.urandom(6 * MiB),
            "with space/deeper/£ 🍰.txt": b"cake",
        }
        await self.lftp_mirror(self.server.port, files, explicit=False)

    def test_lftp_mirror(self) -> Any:
        """lftp mirrors a tree up with names holding spaces and accents, and back down."""
        return ensureDeferred(self._lftp())


class DataConnectionTests(ServerTestCase):
    """Passive ports and who may use them."""

    overrides = {
        "FTP_DATA_CIDR_TO_DOMAINS__1__CIDR": "127.0.0.1/32",
        "FTP_DATA_CIDR_TO_DOMAINS__1__DOMAIN": "localhost",
        "FTP_DATA_CIDR_TO_DOMAINS__2__CIDR": "127.0.0.0/8",
        "FTP_DATA_CIDR_TO_DOMAINS__2__DOMAIN": "0.0.0.0",
    }

    def test_pasv_address_from_map(self) -> Any:
        """PASV names the resolved domain of the client's CIDR group."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            reply = ftp.sendcmd("PASV")
            self.assertRegex(reply, r"^227 .*\(127,0,0,1,\d+,\d+\)")
            high, low = (int(part) for part in reply.rstrip(").").split(",")[-2:])
            # Take the data connection, so the session does not wait out
            # the ten seconds the server gives a client to connect.
            socket.create_connection(("127.0.0.1", high * 256 + low), timeout=5).close()

        return self.session(scenario)

    def test_data_connection_from_other_group_dropped(self) -> Any:
        """A data connection from outside the control connection's CIDR group is dropped."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            _, port = ftp.makepasv()
            intruder = socket.create_connection(
                ("127.0.0.1", port), timeout=5, source_address=("127.0.0.2", 0)
            )
            try:
                self.assertEqual(intruder.recv(10), b"")
            except ConnectionResetError:
                pass
            finally:
                intruder.close()
            self.assertEqual(ftp.nlst(), [])

        d = self.session(scenario)
        d.addCallback(
            lambda _: self.assertTrue(
                any("refused a data connection from 127.0.0.2" in t for t in self.logs.texts())
            )
        )
        return d

    def test_clear_data_connection_gets_nothing(self) -> Any:
        """A client that opens the data connection without TLS gets no file data."""
        secret = b"top secret contents " * 100

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary("STOR secret.txt", io.BytesIO(secret))
            _, port = ftp.makepasv()
            plain = socket.create_connection(("127.0.0.1", port), timeout=3)
            ftp.putcmd("RETR secret.txt")
            received = b""
            try:
                while chunk := plain.recv(65536):
                    received += chunk
            except (TimeoutError, ConnectionResetError):
                pass
            finally:
                plain.close()
            self.assertNotIn(b"top secret", received)
            reply = ftp.getline()
            while reply[:3] in ("150", "125"):
                reply = ftp.getline()
            self.assertFalse(reply.startswith("226"), reply)
            self.assertTrue(ftp.sendcmd("NOOP").startswith("200"))

        return self.session(scenario)

    async def _ports_come_back(self) -> None:
        ports = self.server.service.factory.ports
        total = ports.free

        def transfer(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary("STOR f", io.BytesIO(b"x"))
            _retr(ftp, "f")
            _list(ftp)

        await self.session(transfer)
        self.assertEqual(ports.free, total)

        def abandon(ftp: ftplib.FTP_TLS) -> None:
            ftp.sendcmd("PASV")
            time.sleep(WAIT_FOR_DATA + 1)
            self.assertTrue(ftp.sendcmd("NOOP").startswith("200"))

        await self.session(abandon)
        self.assertEqual(ports.free, total)

    def test_ports_return_to_pool(self) -> Any:
        """
        A passive port goes back to the pool after its transfer, and when the
        client does not connect in time (shortened here from 30 seconds).
        """
        self.patch(PassiveMode, "dtpTimeout", WAIT_FOR_DATA)
        return ensureDeferred(self._ports_come_back())

    async def _health(self) -> None:
        url = f"http://127.0.0.1:{self.server.settings.ftp.healthcheck_port}/health"

        def get() -> tuple[int, bytes]:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.read()

        self.assertEqual(await deferToThread(get), (200, b"OK\n"))

    def test_health(self) -> Any:
        """GET /health answers 200 while the server runs."""
        return ensureDeferred(self._health())


class WrongSecretTests(ServerTestCase):
    """A server holding a wrong S3 secret."""

    overrides = {"AWS_SECRET_ACCESS_KEY": "not-the-secret"}

    def test_clean_reply_and_logged_error(self) -> Any:
        """
        Every file command gets a clean 451 instead of hanging or crashing,
        the session stays usable, and the log names S3's error with its
        request id, but never the secret.
        """

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            for action in (
                lambda: _list(ftp),
                lambda: ftp.mkd("x"),
                lambda: ftp.storbinary("STOR y", io.BytesIO(b"y")),
                lambda: _retr(ftp, "z"),
            ):
                with self.assertRaises(ftplib.error_temp) as caught:
                    action()
                self.assertTrue(str(caught.exception).startswith("451"), caught.exception)
            self.assertTrue(ftp.sendcmd("NOOP").startswith("200"))

        def check_logs(_: Any) -> None:
            texts = self.logs.texts()
            errors = [t for t in texts if "SignatureDoesNotMatch" in t]
            self.assertTrue(errors, "the S3 error is logged")
            # A real request id, neither missing ("]") nor "None": moto's ids are
            # random, so one may well start with "N".
            has_id = re.compile(r"request id (?!None\])[^\]\s]+\]")
            self.assertTrue(all(has_id.search(t) for t in errors), errors[:1])
            self.assertFalse(any("not-the-secret" in t for t in texts))

        return self.session(scenario).addCallback(check_logs)


class UnreachableS3Tests(ServerTestCase):
    """A server whose S3 endpoint refuses connections."""

    def setUp(self) -> None:
        # A second of retries, not the default 30, before each 451.
        self.overrides = {
            "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{free_port()}",
            "AWS_S3_RETRY_SECONDS": "1",
        }
        super().setUp()

    def test_clean_reply(self) -> Any:
        """
        File commands get a 451 once the retries are spent, the session
        stays usable, and the failure is logged.
        """

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            for action in (lambda: _list(ftp), lambda: ftp.mkd("x")):
                with self.assertRaises(ftplib.error_temp) as caught:
                    action()
                self.assertTrue(str(caught.exception).startswith("451"), caught.exception)
            self.assertTrue(ftp.sendcmd("NOOP").startswith("200"))

        def check_logs(_: Any) -> None:
            self.assertTrue(any("ConnectionError" in t for t in self.logs.texts()))

        return self.session(scenario).addCallback(check_logs)


class ResumeAndMachineListingTests(ServerTestCase):
    """REST before RETR, EPSV, and RFC 3659 listings, with real clients."""

    def test_retr_from_offset(self) -> Any:
        """REST n then RETR sends the bytes from n on, through a ranged GET."""
        data = os.urandom(9 * MiB + 5)

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary("STOR r.bin", io.BytesIO(data))
            for offset in (1, 8 * MiB + 3, len(data)):
                out = io.BytesIO()
                ftp.retrbinary("RETR r.bin", out.write, rest=offset)
                self.assertEqual(out.getvalue(), data[offset:], offset)

        return self.session(scenario)

    def test_rest_past_end_and_before_stor(self) -> Any:
        """REST past the end is a 554 on RETR; REST n before STOR must be the size (554)."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary("STOR small", io.BytesIO(b"12345"))
            self.assertRefused("554", lambda: _retr_rest(ftp, "small", 6))
            self.assertRefused(
                "554", lambda: ftp.storbinary("STOR other", io.BytesIO(b"x"), rest=3)
            )
            self.assertRefused(
                "554", lambda: ftp.storbinary("STOR small", io.BytesIO(b"x"), rest=4)
            )
            self.assertEqual(self.object_bytes("small"), b"12345")
            self.assertEqual(sorted(self.keys()), ["small"])

        return self.session(scenario)

    async def _curl_resume(self) -> None:
        data = os.urandom(3 * MiB)
        self.boto.put_object(Bucket=self.bucket, Key="c.bin", Body=data)
        target = os.path.abspath(self.mktemp())
        with open(target, "wb") as f:
            f.write(data[: MiB + 7])
        result = await self.curl("-C", "-", "-o", target, self.url("/c.bin"))
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), data)

    def test_curl_resumes_download(self) -> Any:
        """curl -C - completes a partial download byte for byte."""
        return ensureDeferred(self._curl_resume())

    def test_epsv_transfer(self) -> Any:
        """EPSV gives a port on which a listing is served."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary("STOR e.txt", io.BytesIO(b"e"))
            # ftplib uses EPSV for IPv6 only; ask for it on IPv4 too.
            ftp.af = socket.AF_INET6
            try:
                self.assertEqual(ftp.nlst(), ["e.txt"])
            finally:
                ftp.af = socket.AF_INET

        return self.session(scenario)

    def test_mlsd_and_mlst(self) -> Any:
        """MLSD lists exact sizes and times, MLST describes one path, OPTS MLST selects facts."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary(f"STOR {EMOJI_NAME}", io.BytesIO(b"x" * 1234))
            ftp.mkd("sub dir")
            entries = dict(ftp.mlsd())
            self.assertEqual(set(entries), {EMOJI_NAME, "sub dir"})
            self.assertEqual(entries[EMOJI_NAME]["type"], "file")
            self.assertEqual(entries[EMOJI_NAME]["size"], "1234")
            stored = self.boto.head_object(Bucket=self.bucket, Key=EMOJI_NAME)["LastModified"]
            self.assertEqual(entries[EMOJI_NAME]["modify"], stored.strftime("%Y%m%d%H%M%S"))
            self.assertEqual(entries["sub dir"]["type"], "dir")
            self.assertNotEqual(entries[EMOJI_NAME]["unique"], entries["sub dir"]["unique"])
            reply = ftp.sendcmd(f"MLST {EMOJI_NAME}")
            self.assertIn("size=1234;", reply)
            self.assertTrue(reply.rstrip().endswith("250 End"), reply)
            self.assertEqual(ftp.sendcmd("OPTS MLST size;type;"), "200 MLST OPTS type;size;")
            self.assertEqual(dict(ftp.mlsd())["sub dir"], {"type": "dir", "size": "0"})
            with self.assertRaises(ftplib.error_perm):
                list(ftp.mlsd(EMOJI_NAME))

        return self.session(scenario)


def _retr_rest(ftp: ftplib.FTP_TLS, name: str, offset: int) -> bytes:
    out = io.BytesIO()
    ftp.retrbinary(f"RETR {name}", out.write, rest=offset)
    return out.getvalue()


class ExplicitTLSTests(ServerTestCase):
    """Explicit TLS (RFC 4217) on FTP_EXPLICIT_COMMAND_PORT, beside the implicit port."""

    def setUp(self) -> None:
        self.overrides = {**self.overrides, "FTP_EXPLICIT_COMMAND_PORT": str(free_port())}
        super().setUp()

    def test_ftplib_round_trip(self) -> Any:
        """Unmodified FTP_TLS logs in with AUTH TLS, stores, lists (MLSD) and retrieves."""
        data = os.urandom(6 * MiB + 1)

        def scenario() -> None:
            ftp = self.explicit()
            try:
                ftp.storbinary(f"STOR {EMOJI_NAME}", io.BytesIO(data))
                self.assertEqual(dict(ftp.mlsd())[EMOJI_NAME]["size"], str(len(data)))
                self.assertEqual(_retr(ftp, EMOJI_NAME), data)
                self.assertEqual(self.object_bytes(EMOJI_NAME), data)
                self.assertRefused("534", lambda: ftp.sendcmd("CCC"))
            finally:
                ftp.quit()

        return deferToThread(scenario)

    def test_tls12_client(self) -> Any:
        """
        A client that stops at TLS 1.2 and makes a new session for each data
        connection stores and retrieves: under TLS 1.2 the server speaks last
        in a full handshake, and nothing of that may be held back.
        """
        data = os.urandom(3 * MiB + 2)

        def scenario() -> None:
            ftp = self.explicit(version=ssl.TLSVersion.TLSv1_2)
            try:
                self.assertEqual(ftp.sock.version(), "TLSv1.2")
                ftp.storbinary("STOR twelve.bin", io.BytesIO(data))
                self.assertEqual(_retr(ftp, "twelve.bin"), data)
            finally:
                ftp.quit()
            self.assertEqual(self.object_bytes("twelve.bin"), data)

        return deferToThread(scenario)

    def test_plaintext_login_refused(self) -> Any:
        """USER before AUTH TLS gets 530: no password crosses in the clear."""

        def scenario() -> None:
            ftp = ftplib.FTP(timeout=30)
            ftp.connect("127.0.0.1", self.server.explicit_port)
            try:
                self.assertRefused("530", lambda: ftp.login(USER, PASSWORD))
                self.assertIn("AUTH TLS", ftp.sendcmd("FEAT"))
            finally:
                ftp.close()
            self.assertFalse(any(PASSWORD in text for text in self.logs.texts()))

        return deferToThread(scenario)

    def test_data_needs_prot_p(self) -> Any:
        """After AUTH TLS but before PROT P, PASV is refused with 521."""

        def scenario() -> None:
            context = ssl.create_default_context(cafile=self.server.certificate)
            ftp = ftplib.FTP_TLS(context=context, timeout=30)
            ftp.connect("127.0.0.1", self.server.explicit_port)
            try:
                ftp.login(USER, PASSWORD)
                self.assertRefused("521", lambda: ftp.sendcmd("PASV"))
                self.assertRefused("536", lambda: ftp.sendcmd("PROT C"))
            finally:
                ftp.quit()

        return deferToThread(scenario)

    async def _curl(self) -> None:
        source = os.path.abspath(self.mktemp())
        data = os.urandom(2 * MiB + 3)
        with open(source, "wb") as f:
            f.write(data)
        base = f"ftp://127.0.0.1:{self.server.explicit_port}"
        upload = await self.curl("--ssl-reqd", "-T", source, base + "/explicit.bin")
        self.assertEqual(upload.returncode, 0, upload.stderr)
        target = os.path.abspath(self.mktemp())
        download = await self.curl("--ssl-reqd", "-o", target, base + "/explicit.bin")
        self.assertEqual(download.returncode, 0, download.stderr)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), data)
        listing = await self.curl("--ssl-reqd", "--list-only", base + "/")
        self.assertEqual(listing.stdout.splitlines(), [b"explicit.bin"])
        partial = os.path.abspath(self.mktemp())
        with open(partial, "wb") as f:
            f.write(data[: MiB + 5])
        resumed = await self.curl("--ssl-reqd", "-C", "-", "-o", partial, base + "/explicit.bin")
        self.assertEqual(resumed.returncode, 0, resumed.stderr)
        with open(partial, "rb") as f:
            self.assertEqual(f.read(), data)

    def test_curl_explicit(self) -> Any:
        """
        curl with --ssl-reqd on ftp:// uploads, downloads, lists, and
        resumes a partial download with -C -, over explicit TLS.
        """
        return ensureDeferred(self._curl())

    async def _lftp(self) -> None:
        files = {"a b/é.txt": os.urandom(7 * MiB), "top £.txt": b"top"}
        await self.lftp_mirror(self.server.explicit_port, files, explicit=True)

    def test_lftp_explicit_mirror(self) -> Any:
        """lftp over explicit TLS mirrors a tree up and back, byte for byte."""
        return ensureDeferred(self._lftp())


class ExplicitOnlyTests(ServerTestCase):
    """FTP_COMMAND_PORT=off serves explicit TLS alone."""

    def setUp(self) -> None:
        self.overrides = {
            "FTP_EXPLICIT_COMMAND_PORT": str(free_port()),
            "FTP_COMMAND_PORT": "off",
        }
        super().setUp()

    def test_explicit_alone(self) -> Any:
        """The explicit port serves, and no implicit listener exists."""

        def scenario() -> None:
            context = ssl.create_default_context(cafile=self.server.certificate)
            ftp = ftplib.FTP_TLS(context=context, timeout=30)
            ftp.connect("127.0.0.1", self.server.explicit_port)
            ftp.login(USER, PASSWORD)
            ftp.prot_p()
            ftp.storbinary("STOR x", io.BytesIO(b"x"))
            self.assertEqual(ftp.nlst(), ["x"])
            ftp.quit()

        self.assertIsNone(self.server.settings.ftp.command_port)
        self.assertEqual(len(self.server.service.factories), 1)
        return deferToThread(scenario)


class AbortTests(ServerTestCase):
    """ABOR during a transfer."""

    def test_abor_during_retr(self) -> Any:
        """ABOR mid-RETR: 426 for the transfer, 226 for ABOR, and the session goes on."""
        self.boto.put_object(Bucket=self.bucket, Key="big.bin", Body=os.urandom(40 * MiB))

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.voidcmd("TYPE I")
            conn = ftp.transfercmd("RETR big.bin")
            self.assertTrue(conn.recv(65536))
            self.assertEqual(ftp.abort()[:3], "426")
            self.assertEqual(ftp.getresp()[:3], "226")
            conn.close()
            self.assertTrue(ftp.sendcmd("NOOP").startswith("200"))
            self.assertEqual(ftp.nlst(), ["big.bin"])

        return self.session(scenario)

    def test_abor_during_stor(self) -> Any:
        """ABOR mid-STOR leaves no new object and no open multipart upload."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            conn = ftp.transfercmd("STOR aborted.bin")
            conn.sendall(os.urandom(12 * MiB))
            _poll(self.open_uploads)
            self.assertTrue(self.open_uploads(), "a multipart upload was started")
            self.assertEqual(ftp.abort()[:3], "426")
            self.assertEqual(ftp.getresp()[:3], "226")
            conn.close()
            self.assertTrue(ftp.sendcmd("NOOP").startswith("200"))
            _poll(lambda: not self.open_uploads())
            self.assertEqual(self.open_uploads(), [])
            self.assertEqual(self.keys(), [])

        return self.session(scenario)

    def test_abor_without_transfer(self) -> Any:
        """ABOR with no transfer running gets 225."""
        return self.session(lambda ftp: self.assertTrue(ftp.sendcmd("ABOR").startswith("225")))


class AppendTests(ServerTestCase):
    """APPE and REST before STOR: S3 cannot append, so the server emulates it."""

    def _append(self, before: bytes, after: bytes) -> Any:
        self.boto.put_object(Bucket=self.bucket, Key="log.bin", Body=before)

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary("APPE log.bin", io.BytesIO(after))
            self.assertEqual(self.object_bytes("log.bin"), before + after)
            self.assertEqual(self.open_uploads(), [])

        return self.session(scenario)

    def test_append_to_small_object(self) -> Any:
        """APPE to an object under 5 MiB: its bytes lead the new first part."""
        return self._append(b"first line\n", b"second line\n")

    def test_append_to_large_object(self) -> Any:
        """APPE to an object of 5 MiB or more: UploadPartCopy, then the new bytes."""
        return self._append(os.urandom(6 * MiB + 11), os.urandom(9 * MiB + 5))

    def test_append_creates_missing_file(self) -> Any:
        """APPE to a name that does not exist stores the new bytes."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary("APPE new.bin", io.BytesIO(b"fresh"))
            self.assertEqual(self.object_bytes("new.bin"), b"fresh")

        return self.session(scenario)

    def test_resume_upload_with_rest(self) -> Any:
        """REST size then STOR sends only the rest of a file, and the whole lands in S3."""
        data = os.urandom(7 * MiB + 3)

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary("STOR part.bin", io.BytesIO(data[: 5 * MiB + 1]))
            offset = ftp.size("part.bin")
            ftp.storbinary("STOR part.bin", io.BytesIO(data[offset:]), rest=offset)
            self.assertEqual(self.object_bytes("part.bin"), data)

        return self.session(scenario)

    def test_aborted_append_keeps_old_object(self) -> Any:
        """An append whose client vanishes leaves the old object as it was."""
        before = os.urandom(6 * MiB)
        self.boto.put_object(Bucket=self.bucket, Key="keep.bin", Body=before)

        def client() -> None:
            ftp = self.connect()
            conn, _ = ftp.ntransfercmd("APPE keep.bin")
            conn.sendall(os.urandom(10 * MiB))
            conn.close()
            ftp.sock.close()

        async def run() -> None:
            await deferToThread(client)
            await self._wait_for(lambda: not self.open_uploads(), "the append to be aborted")
            self.assertEqual(self.open_uploads(), [])
            self.assertEqual(self.object_bytes("keep.bin"), before)

        return ensureDeferred(run())

    async def _curl_resume_upload(self) -> None:
        data = os.urandom(6 * MiB + 9)
        self.boto.put_object(Bucket=self.bucket, Key="c.bin", Body=data[: 2 * MiB])
        source = os.path.abspath(self.mktemp())
        with open(source, "wb") as f:
            f.write(data)
        result = await self.curl("-C", "-", "-T", source, self.url("/c.bin"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.object_bytes("c.bin"), data)

    def test_curl_resumes_upload(self) -> Any:
        """curl -C - -T finishes a partial upload, byte for byte."""
        return ensureDeferred(self._curl_resume_upload())


class _KeptChecksum:
    """
    A STOR reaches S3 with the checksum L{digest} of every part sent,
    declared and named at completion, and S3 keeps it: the object's, for a
    file sent whole; the digest of its parts' digests for one sent in parts
    (S3 follows it with C{-} and the number of parts; moto 5.2 does not).
    """

    #: The element of HeadObject's answer that holds the checksum kept.
    kept: str
    #: The other algorithm's, which S3 must not have been sent.
    other: str
    boto: Any
    bucket: str
    assertEqual: Any
    object_bytes: Any
    open_uploads: Any
    session: Any

    def digest(self, data: bytes) -> bytes:
        raise NotImplementedError

    def _head(self, key: str) -> Any:
        return self.boto.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")

    def test_multipart_stor_keeps_checksum(self) -> Any:
        """
        A STOR of three parts lands byte for byte, and S3 holds the
        checksum of those parts, and no other.
        """
        data = os.urandom(2 * 8 * MiB + 5)
        parts = b"".join(
            self.digest(data[start : start + 8 * MiB]) for start in range(0, len(data), 8 * MiB)
        )

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary("STOR big.bin", io.BytesIO(data))
            self.assertEqual(self.object_bytes("big.bin"), data)
            head = self._head("big.bin")
            self.assertEqual(
                (head.get(self.kept, "").partition("-")[0], head.get(self.other)),
                (base64.b64encode(self.digest(parts)).decode(), None),
            )
            self.assertEqual(self.open_uploads(), [])

        return self.session(scenario)

    def test_small_stor_keeps_checksum(self) -> Any:
        """A file smaller than a part goes up in one PutObject with its checksum."""
        data = os.urandom(MiB + 1)

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary("STOR small.bin", io.BytesIO(data))
            self.assertEqual(self.object_bytes("small.bin"), data)
            head = self._head("small.bin")
            self.assertEqual(
                (head.get(self.kept), head.get(self.other)),
                (base64.b64encode(self.digest(data)).decode(), None),
            )

        return self.session(scenario)


class ChecksumTests(_KeptChecksum, ServerTestCase):
    """
    With C{AWS_S3_CHECKSUM=crc32}, S3 keeps the CRC32 of what was stored.
    (It is what the default chooses over HTTPS; moto is reached over HTTP.)
    """

    overrides = {"AWS_S3_CHECKSUM": "crc32"}
    kept, other = "ChecksumCRC32", "ChecksumSHA256"

    def digest(self, data: bytes) -> bytes:
        return zlib.crc32(data).to_bytes(4, "big")


class DefaultChecksumTests(_KeptChecksum, ServerTestCase):
    """
    With the default checksum over plain HTTP, the signed payload's SHA-256
    is the checksum too: S3 keeps each object's SHA-256, and no CRC32.
    """

    kept, other = "ChecksumSHA256", "ChecksumCRC32"

    def digest(self, data: bytes) -> bytes:
        return hashlib.sha256(data).digest()


class MD5AppendTests(AppendTests):
    """
    The appends again, with C{AWS_S3_CHECKSUM=md5}: parts go with their
    C{Content-MD5}, as they did before CRC32.
    """

    overrides = {"AWS_S3_CHECKSUM": "md5"}

    def test_multipart_stor(self) -> Any:
        """A STOR of three parts lands byte for byte, and no upload is left."""
        data = os.urandom(2 * 8 * MiB + 5)

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary("STOR big.bin", io.BytesIO(data))
            self.assertEqual(self.object_bytes("big.bin"), data)
            self.assertEqual(self.open_uploads(), [])

        return self.session(scenario)


class RcloneTests(ServerTestCase):
    """rclone's FTP backend, over implicit and explicit TLS."""

    def setUp(self) -> None:
        self.overrides = {**self.overrides, "FTP_EXPLICIT_COMMAND_PORT": str(free_port())}
        super().setUp()

    def rclone(self, *args: str) -> Any:
        config = os.path.abspath(self.mktemp())
        open(config, "w").close()

        def run() -> Any:
            return subprocess.run(
                ["rclone", "--config", config, *args],
                capture_output=True,
                timeout=120,
            )

        return deferToThread(run)

    async def _round_trip(self, remote: str) -> None:
        obscured = await self.rclone("obscure", PASSWORD)
        password = obscured.stdout.decode().strip()
        target = remote.format(password=password) + "/mirror"
        tree = os.path.abspath(self.mktemp())
        files = {"keep.txt": b"keep", "gone.txt": b"gone", "sub dir/é 🍰.bin": os.urandom(6 * MiB)}
        _write_tree(tree, files)
        copied = await self.rclone("copy", tree, target)
        self.assertEqual(copied.returncode, 0, copied.stderr)
        self.assertIn("mirror/gone.txt", await deferToThread(self.keys))
        os.remove(os.path.join(tree, "gone.txt"))
        synced = await self.rclone("sync", tree, target)
        self.assertEqual(synced.returncode, 0, synced.stderr)
        checked = await self.rclone("check", tree, target)
        self.assertEqual(checked.returncode, 0, checked.stderr)
        files_in_s3 = [key for key in await deferToThread(self.keys) if not key.endswith("/")]
        self.assertEqual(sorted(files_in_s3), ["mirror/keep.txt", "mirror/sub dir/é 🍰.bin"])
        self.assertEqual(self.object_bytes("mirror/sub dir/é 🍰.bin"), files["sub dir/é 🍰.bin"])

    def test_implicit(self) -> Any:
        """copy, sync after a local deletion, then check, over implicit TLS."""
        remote = (
            f":ftp,host=127.0.0.1,port={self.server.port},user={USER},"
            "pass={password},tls=true,no_check_certificate=true:"
        )
        return ensureDeferred(self._round_trip(remote))

    def test_explicit(self) -> Any:
        """copy, sync after a local deletion, then check, over explicit TLS."""
        remote = (
            f":ftp,host=127.0.0.1,port={self.server.explicit_port},user={USER},"
            "pass={password},explicit_tls=true,no_check_certificate=true:"
        )
        return ensureDeferred(self._round_trip(remote))


class RcloneSessionReuseTests(RcloneTests):
    """rclone again, with data connections required to resume the TLS session."""

    overrides = {"FTP_TLS_REQUIRE_SESSION_REUSE": "true"}


def _refused(ftp: ftplib.FTP_TLS, transfer: Callable[[], Any]) -> str:
    """
    Run C{transfer}, which the server must refuse, and return the refusal.

    The data connection is cut at the end of the TLS handshake, so the client
    may fail on it before reading the reply; the reply then waits unread.
    """
    try:
        transfer()
    except ftplib.error_temp as e:
        return str(e)
    except OSError:
        try:
            ftp.getresp()
        except ftplib.error_temp as e:
            return str(e)
    raise AssertionError("the transfer was served")


class SessionReuseTests(ServerTestCase):
    """
    FTP_TLS_REQUIRE_SESSION_REUSE=true: a data connection must resume its
    control connection's TLS session (TLS 1.3 here, which every client and
    the server prefer), or the transfer gets 425.
    """

    # The data connections' TLS sessions are read from the debug lines.
    overrides = {"FTP_TLS_REQUIRE_SESSION_REUSE": "true", "FTP_LOG_LEVEL": "debug"}

    def setUp(self) -> None:
        self.overrides = {**self.overrides, "FTP_EXPLICIT_COMMAND_PORT": str(free_port())}
        super().setUp()

    def data_sessions(self) -> list[str]:
        """'resumed' or 'new' for each data connection so far, from the server's log."""
        found = (re.search(r"(resumed|new) TLS session", text) for text in self.logs.texts())
        return [match.group(1) for match in found if match]

    def _resuming_round_trip(self, ftp: ftplib.FTP_TLS) -> None:
        data = os.urandom(6 * MiB + 5)
        try:
            self.assertIn(ftp.sock.version(), ("TLSv1.3", "TLSv1.2"))
            ftp.storbinary(f"STOR {EMOJI_NAME}", io.BytesIO(data))
            self.assertEqual(ftp.nlst(), [EMOJI_NAME])
            self.assertEqual(_retr(ftp, EMOJI_NAME), data)
            self.assertEqual(self.object_bytes(EMOJI_NAME), data)
        finally:
            ftp.quit()
        self.assertEqual(self.data_sessions(), ["resumed"] * 3)

    def test_resuming_client_served_explicit(self) -> Any:
        """ftplib resuming the session on each data connection stores, lists and retrieves."""
        return deferToThread(lambda: self._resuming_round_trip(self.explicit(ResumingFTPS)))

    def test_resuming_client_served_tls12(self) -> Any:
        """The same with a client that stops at TLS 1.2 (session ID and ticket resumption)."""

        def scenario() -> None:
            ftp = self.explicit(ResumingFTPS, ssl.TLSVersion.TLSv1_2)
            self.assertEqual(ftp.sock.version(), "TLSv1.2")
            self._resuming_round_trip(ftp)

        return deferToThread(scenario)

    def test_resuming_client_served_implicit(self) -> Any:
        """The same over implicit TLS."""

        def scenario() -> None:
            ftp = connect_implicit(
                "127.0.0.1",
                self.server.port,
                USER,
                PASSWORD,
                cafile=self.server.certificate,
                kind=ResumingImplicitFTPS,
            )
            self._resuming_round_trip(ftp)

        return deferToThread(scenario)

    def _new_session_refused(self, ftp: ftplib.FTP_TLS) -> None:
        try:
            reply = _refused(ftp, lambda: ftp.storbinary("STOR x.bin", io.BytesIO(b"x" * MiB)))
            self.assertTrue(reply.startswith("425 "), reply)
            self.assertIn("TLS session", reply)
            reply = _refused(ftp, lambda: ftp.retrlines("LIST", lambda line: None))
            self.assertTrue(reply.startswith("425 "), reply)
            # The session goes on: commands without data are still served.
            self.assertTrue(ftp.voidcmd("NOOP").startswith("200"))
        finally:
            ftp.quit()
        self.assertEqual(self.keys(), [])
        self.assertEqual(self.open_uploads(), [])
        self.assertEqual(self.data_sessions(), ["new", "new"])
        self.assertTrue(any("no TLS session reuse" in text for text in self.logs.texts()))

    def test_new_session_refused_explicit(self) -> Any:
        """ftplib's FTP_TLS as it comes makes new sessions: 425, nothing stored."""
        return deferToThread(lambda: self._new_session_refused(self.explicit(ftplib.FTP_TLS)))

    def test_new_session_refused_implicit(self) -> Any:
        """The same over implicit TLS."""

        def scenario() -> None:
            ftp = connect_implicit(
                "127.0.0.1", self.server.port, USER, PASSWORD, cafile=self.server.certificate
            )
            self._new_session_refused(ftp)

        return deferToThread(scenario)

    async def _curl(self, base: str, *flags: str) -> None:
        source = os.path.abspath(self.mktemp())
        data = os.urandom(3 * MiB + 1)
        with open(source, "wb") as f:
            f.write(data)
        upload = await self.curl(*flags, "-T", source, base + "/reuse.bin")
        self.assertEqual(upload.returncode, 0, upload.stderr)
        target = os.path.abspath(self.mktemp())
        download = await self.curl(*flags, "-o", target, base + "/reuse.bin")
        self.assertEqual(download.returncode, 0, download.stderr)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertNotIn("new", self.data_sessions())

    def test_curl_implicit(self) -> Any:
        """curl resumes the session on its data connections, over implicit TLS."""
        return ensureDeferred(self._curl(self.url("").rstrip("/")))

    def test_curl_explicit(self) -> Any:
        """The same over explicit TLS (ftp:// with --ssl-reqd)."""
        base = f"ftp://127.0.0.1:{self.server.explicit_port}"
        return ensureDeferred(self._curl(base, "--ssl-reqd"))

    async def _lftp(self, port: int, *, explicit: bool) -> None:
        # Large enough that the upload outlasts the socket buffers: a
        # session ticket left unread on an upload's data connection would
        # make the client's close a reset, and cut the upload short.
        files = {"a b/é.bin": os.urandom(24 * MiB), "c.txt": b"c"}
        await self.lftp_mirror(port, files, explicit=explicit)
        self.assertNotIn("new", self.data_sessions())

    def test_lftp_implicit(self) -> Any:
        """lftp resumes the session on its data connections, over implicit TLS."""
        return ensureDeferred(self._lftp(self.server.port, explicit=False))

    def test_lftp_explicit(self) -> Any:
        """The same over explicit TLS."""
        return ensureDeferred(self._lftp(self.server.explicit_port, explicit=True))

    def _other_session_refused(self, version: ssl.TLSVersion, tickets: bool = True) -> None:
        """
        Two sessions of one client context; the second's data connection
        offers the first's TLS session, which the first's own data
        connection then resumes: 425 for the second, nothing stored.
        """
        context = ssl.create_default_context(cafile=self.server.certificate)
        context.maximum_version = version
        if not tickets:
            context.options |= ssl.OP_NO_TICKET
        owner = ResumingFTPS(context=context, timeout=30, encoding="utf-8")
        other = _OfferingFTPS(owner, context=context, timeout=30, encoding="utf-8")
        try:
            for ftp in (owner, other):
                ftp.connect("127.0.0.1", self.server.explicit_port)
                ftp.login(USER, PASSWORD)
                ftp.prot_p()
            reply = _refused(other, lambda: other.storbinary("STOR x.bin", io.BytesIO(b"x" * MiB)))
            self.assertTrue(reply.startswith("425 "), reply)
            owner.storbinary("STOR y.bin", io.BytesIO(b"y" * MiB))
        finally:
            for ftp in (owner, other):
                ftp.quit()
        self.assertEqual(self.keys(), ["y.bin"])
        self.assertEqual(self.data_sessions(), ["new", "resumed"])

    def test_other_session_refused(self) -> Any:
        """A data connection that offers another session's TLS session gets 425 (TLS 1.3)."""
        return deferToThread(self._other_session_refused, ssl.TLSVersion.TLSv1_3)

    def test_other_session_refused_tls12(self) -> Any:
        """The same under TLS 1.2, the session offered by ticket."""
        return deferToThread(self._other_session_refused, ssl.TLSVersion.TLSv1_2)

    def test_other_session_refused_session_id(self) -> Any:
        """The same under TLS 1.2, the session offered by session ID (no tickets)."""
        return deferToThread(self._other_session_refused, ssl.TLSVersion.TLSv1_2, False)


class _OfferingFTPS(ftplib.FTP_TLS):
    """Explicit FTPS whose data connections offer another session's TLS session."""

    def __init__(self, owner: ftplib.FTP_TLS, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.owner = owner

    def ntransfercmd(self, cmd: str, rest: int | str | None = None) -> tuple[socket.socket, Any]:
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        session = self.owner.sock.session  # type: ignore[attr-defined]
        return self.context.wrap_socket(conn, server_hostname=self.host, session=session), size


class IPv6Tests(ServerTestCase):
    """The server on ::1: control and data connections over IPv6, with EPSV."""

    if not ipv6_loopback():
        skip = "this host has no IPv6 loopback (::1), so nothing can be served over IPv6"

    overrides = {"FTP_BIND_ADDRESS": "::1"}

    def test_ftplib_over_ipv6(self) -> Any:
        """
        ftplib over IPv6 uses EPSV; files go up and come back; EPSV 2 is
        served, EPSV 1 (IPv4) gets 522 naming IPv6, and PASV is refused.
        """
        data = os.urandom(2 * MiB + 7)

        def scenario() -> None:
            ftp = connect_implicit(
                "::1", self.server.port, USER, PASSWORD, cafile=self.server.certificate
            )
            try:
                self.assertEqual(ftp.sock.family, socket.AF_INET6)
                ftp.storbinary(f"STOR {EMOJI_NAME}", io.BytesIO(data))
                self.assertEqual(_retr(ftp, EMOJI_NAME), data)
                self.assertEqual(ftp.nlst(), [EMOJI_NAME])
                reply = self.assertRefused("522", lambda: ftp.sendcmd("EPSV 1"))
                self.assertIn("(2)", reply)
                self.assertTrue(ftp.sendcmd("EPSV 2").startswith("229"))
                with self.assertRaises(ftplib.Error):
                    ftp.sendcmd("PASV")
            finally:
                ftp.quit()
            self.assertEqual(self.object_bytes(EMOJI_NAME), data)

        return deferToThread(scenario)

    async def _curl(self) -> None:
        source = os.path.abspath(self.mktemp())
        data = os.urandom(MiB + 3)
        with open(source, "wb") as f:
            f.write(data)
        base = f"ftps://[::1]:{self.server.port}"
        upload = await self.curl("-T", source, base + "/six.bin")
        self.assertEqual(upload.returncode, 0, upload.stderr)
        target = os.path.abspath(self.mktemp())
        download = await self.curl("-o", target, base + "/six.bin")
        self.assertEqual(download.returncode, 0, download.stderr)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), data)
        listing = await self.curl("--list-only", base + "/")
        self.assertEqual(listing.stdout.splitlines(), [b"six.bin"])

    def test_curl_over_ipv6(self) -> Any:
        """curl reaches ftps://[::1]/ and uploads, downloads and lists, byte for byte."""
        return ensureDeferred(self._curl())


#: A name with a ZWJ emoji sequence (a family), a double quote and a pound sign.
FAMILY_NAME = 'family 👨‍👩‍👧‍👦 "home" £'


class RepliedNameTests(ServerTestCase):
    """Names come back in replies exactly as they were given."""

    def test_mkd_cwd_pwd_exact(self) -> Any:
        """
        MKD, CWD and PWD of a name with a ZWJ emoji sequence, a double quote
        and a pound sign give back exactly that name: the joiners are not
        escaped, and the quote is doubled in the 257 replies only.
        """

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            self.assertEqual(ftp.mkd(FAMILY_NAME), f"/{FAMILY_NAME}")
            self.assertTrue(ftp.cwd(FAMILY_NAME).startswith("250"))
            self.assertEqual(ftp.pwd(), f"/{FAMILY_NAME}")
            quoted = FAMILY_NAME.replace('"', '""')
            self.assertEqual(ftp.sendcmd("PWD"), f'257 "/{quoted}" is the current directory.')
            self.assertEqual(self.keys(), [FAMILY_NAME + "/"])

        return self.session(scenario)

    def test_nul_refused_553(self) -> Any:
        """A name holding NUL is refused with 553, as the README says, and nothing is made."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            for command in ("MKD a\0b", "CWD a\0b", "STOR a\0b"):
                self.assertRefused("553", lambda command=command: ftp.sendcmd(command))
            self.assertEqual(self.keys(), [])

        return self.session(scenario)

    def test_dangerous_names_refused_553(self) -> Any:
        """
        A name with a control character, or with C{.} or C{..} between
        backslashes, is refused with 553 by every command, on one line that
        shows the name safely; other backslashes are stored as they are.
        """
        names = ("a\x1b[31mb", "a\x7fb", "..\\..\\x", "sub\\..\\..\\y", "a\\.\\b")
        commands = ("CWD", "MKD", "STOR", "RETR", "DELE", "RMD", "SIZE", "MDTM", "RNFR", "APPE")

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            ftp.storbinary("STOR old", io.BytesIO(b"old"))
            for name in names:
                for command in commands:
                    self.assertRefused("553", functools.partial(ftp.sendcmd, f"{command} {name}"))
                ftp.sendcmd("RNFR old")
                self.assertRefused("553", functools.partial(ftp.sendcmd, f"RNTO {name}"))
            reply = self.assertRefused("553", lambda: ftp.sendcmd("MKD red\x1b[31m"))
            self.assertEqual(reply.splitlines(), [reply])
            self.assertIn("red\N{SYMBOL FOR ESCAPE}[31m", reply)
            ftp.sock.sendall(b"MKD a\nb\r\n")
            self.assertRefused("553", ftp.getresp)
            self.assertEqual(ftp.mkd("a\\b"), "/a\\b")
            ftp.storbinary("STOR a\\b\\c.txt", io.BytesIO(b"c"))
            self.assertEqual(sorted(self.keys()), ["a\\b/", "a\\b\\c.txt", "old"])

        return self.session(scenario)


class CommandArgumentTests(ServerTestCase):
    """Stray arguments get 501, not an internal error."""

    def test_stray_arguments(self) -> Any:
        """PASV x and PWD x are refused with 501, with nothing unexpected in the log."""

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            for command in ("PASV x", "PWD x"):
                self.assertRefused("501", lambda command=command: ftp.sendcmd(command))
            self.assertEqual(ftp.pwd(), "/")

        def check_logs(_: Any) -> None:
            self.assertFalse([text for text in self.logs.texts() if "Unexpected" in text])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.session(scenario).addCallback(check_logs)


def _download_from(
    ftp: ftplib.FTP_TLS, host: str, port: int, reply: Callable[[], str]
) -> tuple[str, bytes]:
    """
    Connect to the passive port C{host}:C{port} by hand, under TLS, take
    the transfer's first reply with C{reply()}, and read until the server
    closes; the reply and the bytes.
    """
    raw = socket.create_connection((host, port), timeout=30)
    with ftp.context.wrap_socket(raw, server_hostname=ftp.host) as conn:
        first = reply()
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    return first, received


class PassiveWaitTests(ServerTestCase):
    """The session answers while a passive port waits for its data connection."""

    def test_noop_after_pasv(self) -> Any:
        """
        A NOOP sent right after PASV, before any data connection, is answered
        at once; the offered port then still serves a download.
        """
        self.boto.put_object(Bucket=self.bucket, Key="f.bin", Body=b"passive bytes")

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            host, port = ftplib.parse227(ftp.sendcmd("PASV"))
            started = time.monotonic()
            self.assertTrue(ftp.sendcmd("NOOP").startswith("200"))
            self.assertLess(time.monotonic() - started, 2.0)
            reply, received = _download_from(ftp, host, port, lambda: ftp.sendcmd("RETR f.bin"))
            self.assertEqual((reply[:3], received), ("125", b"passive bytes"))
            self.assertTrue(ftp.voidresp().startswith("226"))

        return self.session(scenario)

    def test_transfer_command_before_connection(self) -> Any:
        """A RETR sent before the data connection is made waits for it, then runs."""
        self.boto.put_object(Bucket=self.bucket, Key="f.bin", Body=b"late connection")

        def scenario(ftp: ftplib.FTP_TLS) -> None:
            host, port = ftplib.parse227(ftp.sendcmd("PASV"))
            ftp.putcmd("RETR f.bin")
            time.sleep(0.5)
            reply, received = _download_from(ftp, host, port, ftp.getresp)
            self.assertIn(reply[:3], ("125", "150"))
            self.assertEqual(received, b"late connection")
            self.assertTrue(ftp.voidresp().startswith("226"))

        return self.session(scenario)


def _upload_to(ftp: ftplib.FTP_TLS, port: int, name: str, data: bytes, source: str) -> None:
    """
    Connect to the passive port C{port} by hand from C{source}, under TLS,
    and store C{data} as C{name} over it.
    """
    raw = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source, 0))
    reply = ftp.sendcmd(f"STOR {name}")
    if not reply.startswith(("125", "150")):
        raw.close()
        raise AssertionError(reply)
    conn = ftp.context.wrap_socket(raw, server_hostname=ftp.host)
    conn.sendall(data)
    conn.unwrap().close()
    ftp.voidresp()


def _pasv_port(ftp: ftplib.FTP_TLS) -> int:
    return ftplib.parse227(ftp.sendcmd("PASV"))[1]


class OnePassivePortTests(ServerTestCase):
    """
    FTP_DATA_PORTS_COUNT=1: sessions from two addresses share the one port
    at once, and sessions from one address take turns at it.
    """

    overrides = {"FTP_DATA_PORTS_COUNT": "1"}

    async def _shared(self) -> None:
        data = {"127.0.0.1": os.urandom(MiB + 1), "127.0.0.2": os.urandom(MiB + 2)}
        sessions = {source: await deferToThread(self.connect, source=source) for source in data}
        try:
            ports = {
                source: await deferToThread(_pasv_port, ftp) for source, ftp in sessions.items()
            }
            self.assertEqual(len(set(ports.values())), 1, ports)
            # The second session's connection comes first.
            for source in reversed(list(data)):
                name = f"from {source}.bin"
                await deferToThread(
                    _upload_to, sessions[source], ports[source], name, data[source], source
                )
            for ftp in sessions.values():
                for other, expected in data.items():
                    self.assertEqual(await deferToThread(_retr, ftp, f"from {other}.bin"), expected)
        finally:
            for ftp in sessions.values():
                await deferToThread(ftp.quit)

    def test_two_addresses_share_the_port(self) -> Any:
        """
        Sessions from 127.0.0.1 and 127.0.0.2 are offered the one port at
        once, and each data connection lands in its own session: each
        upload is stored under its own session's name, byte for byte.
        """
        return ensureDeferred(self._shared())

    async def _turns(self) -> None:
        ports = self.server.service.factory.ports
        first_data, second_data = os.urandom(MiB + 3), os.urandom(MiB + 4)
        first = await deferToThread(self.connect)
        second = await deferToThread(self.connect)
        try:
            port = await deferToThread(_pasv_port, first)
            stored = deferToThread(second.storbinary, "STOR second.bin", io.BytesIO(second_data))
            await self._wait_for(lambda: ports.waiting == 1, "the second PASV to wait")
            self.assertFalse(stored.called)
            await deferToThread(_upload_to, first, port, "first.bin", first_data, "127.0.0.1")
            self.assertTrue((await stored).startswith("226"))
            self.assertEqual(await deferToThread(_retr, first, "second.bin"), second_data)
            self.assertEqual(await deferToThread(_retr, second, "first.bin"), first_data)
            self.assertEqual(self.object_bytes("first.bin"), first_data)
            self.assertEqual(self.object_bytes("second.bin"), second_data)
        finally:
            for ftp in (first, second):
                await deferToThread(ftp.quit)
        self.assertEqual((ports.free, ports.waiting), (1, 0))

    def test_one_address_takes_turns(self) -> Any:
        """
        Two sessions from one address: the second's PASV waits while the
        first holds the one port, and is offered it once the first's data
        connection is in; both transfers go through byte for byte.
        """
        return ensureDeferred(self._turns())
