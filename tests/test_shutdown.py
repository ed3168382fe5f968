"""
SIGTERM, end to end: C{twistd ftps3} in its own process in front of moto,
real clients (curl, ftplib) in the middle of their sessions.

The server must drain: stop listening, answer 503 to the health check and
421 to new logins and transfers, let the transfers in progress finish for
the grace period, then abort what is left so that nothing stays in S3.
"""

from __future__ import annotations

import ftplib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from typing import Any

from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from .support.clients import ImplicitFTPS, connect_implicit
from .support.environment import child_process, environment
from .support.s3server import s3_server
from .support.server import PASSWORD, USER, loopback_environment
from .support.twistd import health_status, serving, wait_for_health
from .support.waiting import until

MiB = 1024 * 1024


def _refused(port: int) -> bool:
    """Whether a TCP connection to C{port} on loopback is refused."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


class ShutdownTestCase(TestCase):
    """A C{twistd ftps3} process over a bucket of its own, and a slow curl upload to it."""

    timeout = 180
    grace = "20"

    def setUp(self) -> None:
        self.s3 = s3_server()
        self.bucket = self.s3.create_bucket("drain")
        self.boto = self.s3.boto3_client()
        self.directory = os.path.abspath(self.mktemp())
        os.makedirs(self.directory)
        self.environ = environment(
            child_process(),
            loopback_environment(
                self.s3,
                self.bucket,
                self.directory,
                FTP_SHUTDOWN_GRACE_SECONDS=self.grace,
                AWS_S3_UPLOAD_PART_SIZE="5MiB",
            ),
        )
        self.port = int(self.environ["FTP_COMMAND_PORT"])
        self.health = f"http://127.0.0.1:{self.environ['HEALTHCHECK_PORT']}/health"
        self.certificate = self.environ["FTP_TLS_CERTIFICATE_FILE"]

    def open_uploads(self) -> list[dict[str, Any]]:
        return self.boto.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])

    def keys(self) -> list[str]:
        listing = self.boto.list_objects_v2(Bucket=self.bucket)
        return [entry["Key"] for entry in listing.get("Contents", [])]

    def upload(self, size: int, rate: str) -> tuple[subprocess.Popen[bytes], bytes]:
        """curl sending C{size} random bytes to /slow.bin at C{rate}: its process, the bytes."""
        data = os.urandom(size)
        source = os.path.join(self.directory, "slow.bin")
        with open(source, "wb") as f:
            f.write(data)
        curl = subprocess.Popen(
            [
                "curl",
                "--verbose",
                "--show-error",
                "--limit-rate",
                rate,
                "--cacert",
                self.certificate,
                "--user",
                f"{USER}:{PASSWORD}",
                "-T",
                source,
                f"ftps://127.0.0.1:{self.port}/slow.bin",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.addCleanup(lambda: curl.poll() is None and (curl.kill(), curl.wait()))
        return curl, data

    def run_server(self, scenario: Callable[[subprocess.Popen[bytes]], None]) -> Any:
        """Start the server, run C{scenario} with it in a thread, and make sure it is gone."""

        def run() -> None:
            process = serving(self.environ)
            try:
                wait_for_health(self.health, process)
                scenario(process)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.communicate()

        return deferToThread(run)

    def stopped(self, process: subprocess.Popen[bytes], within: float) -> bytes:
        """The server's output once it has exited, cleanly, within C{within} seconds."""
        output, _ = process.communicate(timeout=within)
        self.assertIn(process.returncode, (0, -signal.SIGTERM), output)
        self.assertIn(b"Server Shut Down.", output)
        return output


class DrainTests(ShutdownTestCase):
    """An upload that can finish within the grace period finishes."""

    def test_upload_finishes(self) -> Any:
        """
        SIGTERM during an upload that needs a few more seconds: the health
        check answers 503 and the command port refuses connections at
        once, a session opened before gets 421 for a new login and one
        logged in gets 421 for a new transfer, and the upload completes
        (226 to curl, the object in S3) before the server exits, well
        before the grace period is over.
        """

        def scenario(process: subprocess.Popen[bytes]) -> None:
            idle = connect_implicit("127.0.0.1", self.port, USER, PASSWORD, cafile=self.certificate)
            fresh = ImplicitFTPS(cafile=self.certificate, timeout=30)
            fresh.connect("127.0.0.1", self.port)
            curl, data = self.upload(14 * MiB, "3M")
            until(self.open_uploads, "the multipart upload to start")
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            until(lambda: health_status(self.health) == 503, "the health check to say 503")
            until(lambda: _refused(self.port), "the command port to stop listening")
            with self.assertRaises(ftplib.error_temp) as login:
                fresh.login(USER, PASSWORD)
            self.assertTrue(str(login.exception).startswith("421"), login.exception)
            with self.assertRaises(ftplib.error_temp) as listing:
                idle.nlst()
            self.assertTrue(str(listing.exception).startswith("421"), listing.exception)
            _, stderr = curl.communicate(timeout=60)
            self.assertEqual(curl.returncode, 0, stderr)
            self.assertIn(b"< 226", stderr)
            output = self.stopped(process, within=30)
            self.assertLess(time.monotonic() - signalled, 15, output)
            self.assertEqual(self.keys(), ["slow.bin"])
            body = self.boto.get_object(Bucket=self.bucket, Key="slow.bin")["Body"].read()
            self.assertEqual(body, data)
            self.assertEqual(self.open_uploads(), [])
            idle.close()
            fresh.close()

        return self.run_server(scenario)


class GraceOverTests(ShutdownTestCase):
    """An upload that cannot finish within the grace period is aborted."""

    grace = "2"

    def test_upload_aborted(self) -> Any:
        """
        SIGTERM during an upload far from its end, with a grace period of 2
        seconds: the upload is aborted, its client is told 426 on the
        control connection, and once the server has exited there is neither
        an object nor a multipart upload.
        """

        def scenario(process: subprocess.Popen[bytes]) -> None:
            ftp = connect_implicit("127.0.0.1", self.port, USER, PASSWORD, cafile=self.certificate)
            conn, _ = ftp.ntransfercmd("STOR slow.bin")
            chunk = os.urandom(64 * 1024)
            signalled = None
            try:
                # About 1.3 MB/s, for far longer than the grace period.
                for _ in range(2000):
                    conn.sendall(chunk)
                    time.sleep(0.05)
                    if signalled is None and self.open_uploads():
                        signalled = time.monotonic()
                        process.send_signal(signal.SIGTERM)
            except OSError:
                pass
            conn.close()
            self.assertIsNotNone(signalled)
            with self.assertRaises(ftplib.error_temp) as reply:
                ftp.getresp()
            self.assertTrue(str(reply.exception).startswith("426"), reply.exception)
            ftp.close()
            output = self.stopped(process, within=30)
            self.assertIn(b"grace period over", output)
            assert signalled is not None
            self.assertGreater(time.monotonic() - signalled, 1.5, output)
            self.assertEqual(self.keys(), [])
            self.assertEqual(self.open_uploads(), [])

        return self.run_server(scenario)


class SecondSignalTests(ShutdownTestCase):
    """A second SIGTERM during the drain aborts at once."""

    grace = "120"

    def test_second_sigterm(self) -> Any:
        """
        With a long grace period, a second SIGTERM ends the drain at once:
        the upload is aborted, nothing is left in S3, and the server exits
        within seconds.
        """

        def scenario(process: subprocess.Popen[bytes]) -> None:
            curl, _ = self.upload(60 * MiB, "1M")
            until(self.open_uploads, "the multipart upload to start")
            process.send_signal(signal.SIGTERM)
            until(lambda: health_status(self.health) == 503, "the health check to say 503")
            again = time.monotonic()
            process.send_signal(signal.SIGTERM)
            output = self.stopped(process, within=30)
            self.assertLess(time.monotonic() - again, 15, output)
            self.assertIn(b"a second signal", output)
            _, stderr = curl.communicate(timeout=60)
            self.assertNotEqual(curl.returncode, 0, stderr)
            self.assertEqual(self.keys(), [])
            self.assertEqual(self.open_uploads(), [])

        return self.run_server(scenario)
