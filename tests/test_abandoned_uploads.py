# -*- test-case-name: tests.test_abandoned_uploads -*-
"""
What a SIGKILL leaves behind, and the sweeper of the next start clearing it:
C{twistd ftps3} in its own process in front of moto, an upload with curl.

Note: moto 5.2 reports every upload as initiated on 2010-11-10, so against
moto the age threshold is always passed; the unit tests of
L{twisted_ftps3.s3.sweeper} check the threshold itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any

from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from .support.environment import child_process, environment
from .support.s3server import s3_server
from .support.server import loopback_environment
from .support.twistd import serving, wait_for_health

MiB = 1024 * 1024


def _until(condition: Any, limit: float) -> Any:
    """Poll C{condition()} until it is true or C{limit} seconds pass; return its last value."""
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


class SigkillTests(TestCase):
    """A server killed mid-upload, and the next one sweeping up after it."""

    def test_restartSweepsKilledUpload(self) -> Any:
        """
        SIGKILL in the middle of a multipart upload leaves the upload open
        in the bucket; the next server, with a short
        C{AWS_S3_ABANDONED_UPLOAD_SECONDS}, aborts it at start-up and logs
        that it did.
        """
        s3 = s3_server()
        bucket = s3.create_bucket("sigkill")
        directory = os.path.abspath(self.mktemp())
        environ = environment(
            child_process(),
            loopback_environment(s3, bucket, directory),
            AWS_S3_UPLOAD_PART_SIZE="5MiB",
        )
        source = os.path.join(directory, "big.bin")
        with open(source, "wb") as f:
            f.write(os.urandom(12 * MiB))
        boto = s3.boto3_client()

        def uploads() -> list[dict[str, Any]]:
            return boto.list_multipart_uploads(Bucket=bucket).get("Uploads", [])

        def run() -> None:
            first = serving(environ)
            client = None
            try:
                wait_for_health(f"http://127.0.0.1:{environ['HEALTHCHECK_PORT']}/health", first)
                client = subprocess.Popen(
                    [
                        "curl", "--silent", "--show-error", "--limit-rate", "4M",
                        "--cacert", environ["FTP_TLS_CERTIFICATE_FILE"],
                        "--user",
                        f"{environ['FTP_USERS__1__LOGIN']}:{environ['FTP_USERS__1__PASSWORD']}",
                        "-T", source, f"ftps://127.0.0.1:{environ['FTP_COMMAND_PORT']}/big.bin",
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )  # fmt: skip
                left = _until(uploads, 20)
                self.assertEqual([upload["Key"] for upload in left], ["big.bin"])
                first.send_signal(signal.SIGKILL)
                first.communicate(timeout=30)
            finally:
                for process in (first, client):
                    if process is not None and process.poll() is None:
                        process.kill()
                        process.wait()
            # Nothing of the killed server aborted it.
            self.assertEqual([upload["UploadId"] for upload in uploads()], [left[0]["UploadId"]])
            time.sleep(1.5)
            second = serving(environment(environ, AWS_S3_ABANDONED_UPLOAD_SECONDS="1"))
            try:
                wait_for_health(f"http://127.0.0.1:{environ['HEALTHCHECK_PORT']}/health", second)
                self.assertEqual(_until(lambda: not uploads(), 10), True, uploads())
            finally:
                second.send_signal(signal.SIGTERM)
                output, _ = second.communicate(timeout=30)
            self.assertIn(
                f"aborting abandoned multipart upload {left[0]['UploadId']} of big.bin".encode(),
                output,
            )
            self.assertIn(b"1 listed, 1 aborted", output)
            self.assertEqual(boto.list_objects_v2(Bucket=bucket).get("KeyCount"), 0)

        return deferToThread(run)
