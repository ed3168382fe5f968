"""
The server on S3's bad days: real clients (curl and ftplib) talk to the
server, and the server talks to moto through L{FaultProxy}, which throttles,
resets, loses and forges S3's answers, or takes S3 away for a while.

Every check of what S3 holds goes straight to moto, past the proxy. Uploads
are cut into 5 MiB parts (S3's smallest), so that a few MiB make a
multipart upload.
"""

from __future__ import annotations

import dataclasses
import ftplib
import hashlib
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import ensureDeferred
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from .support.clients import connect_implicit, curl, quit_session
from .support.faultproxy import FaultProxy
from .support.s3server import s3_server
from .support.server import PASSWORD, USER, start_server

KiB = 1024
MiB = 1024 * KiB
PART = 5 * MiB

#: Twenty uploads: empty, small, exactly and just around one part, several parts.
UPLOAD_SIZES = (
    0, 1, 100, 1000, 10 * KiB, 64 * KiB, 300 * KiB, 512 * KiB, 1 * MiB, 2 * MiB + 7,
    3 * MiB, 4 * MiB, PART - 1, PART, PART + 1, 6 * MiB, 7 * MiB + MiB // 2, 10 * MiB + 3,
    11 * MiB, 12 * MiB,
)  # fmt: skip


def _sleep(seconds: float) -> Any:
    return deferLater(reactor, seconds, lambda: None)


class FaultTestCase(TestCase):
    """A server in front of a fresh bucket, reaching moto through a fault proxy."""

    timeout = 150
    #: Settings of the server beyond the loopback ones.
    overrides: dict[str, str] = {}

    def setUp(self) -> None:
        s3 = s3_server()
        self.bucket = s3.create_bucket("faults")
        self.boto = s3.boto3_client()
        host, port = s3.endpoint_url.removeprefix("http://").rsplit(":", 1)
        self.proxy = FaultProxy((host, int(port)), reactor=reactor, seed=8)
        proxied = dataclasses.replace(s3, endpoint_url=self.proxy.start())
        # Cleanups run last first: the server lets go of its connections, then the proxy stops.
        self.addCleanup(self.proxy.stop)
        self.server = start_server(
            proxied,
            self.bucket,
            os.path.abspath(self.mktemp()),
            AWS_S3_UPLOAD_PART_SIZE="5MiB",
            **self.overrides,
        )
        self.addCleanup(lambda: ensureDeferred(self.server.stop()))
        self.directory = os.path.abspath(self.mktemp())
        os.makedirs(self.directory)

    # -- files and what S3 holds ------------------------------------------------

    def local_file(self, name: str, size: int) -> tuple[str, str]:
        """A file of C{size} random bytes: its path and the MD5 of its bytes."""
        data = os.urandom(size)
        path = os.path.join(self.directory, name)
        with open(path, "wb") as f:
            f.write(data)
        return path, hashlib.md5(data).hexdigest()

    def stored_md5(self, key: str) -> str | None:
        """The MD5 of the object C{key} as moto holds it, or C{None} if there is none."""
        try:
            body = self.boto.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.boto.exceptions.NoSuchKey:
            return None
        return hashlib.md5(body).hexdigest()

    def open_uploads(self) -> list[dict[str, Any]]:
        return self.boto.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])

    async def until(self, condition: Callable[[], Any], what: str, limit: float = 30) -> None:
        """Wait in the reactor until C{condition()} (called there) is true."""
        deadline = time.monotonic() + limit
        while not condition():
            if time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}")
            await _sleep(0.05)

    async def until_in_thread(
        self, condition: Callable[[], Any], what: str, limit: float = 30
    ) -> None:
        """Wait until C{condition()}, which blocks (boto3), is true."""
        deadline = time.monotonic() + limit
        while not await deferToThread(condition):
            if time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}")
            await _sleep(0.2)

    # -- clients ----------------------------------------------------------------

    def url(self, name: str) -> str:
        return f"ftps://127.0.0.1:{self.server.port}/{name}"

    def curl(self, *args: str) -> str | None:
        """Run curl as the user; C{None} if it succeeded, else what it said."""
        result = curl("--cacert", self.server.certificate, "--user", f"{USER}:{PASSWORD}", *args)
        if result.returncode == 0:
            return None
        return f"curl {result.returncode}: {result.stderr.decode(errors='replace')}"

    def ftp_store(self, name: str, path: str) -> str:
        """
        Upload with ftplib; the server's last reply to it. A server that
        gives up on an upload may close the data connection while ftplib
        is still sending: its reply is then read after the broken send.
        """
        ftp = connect_implicit(
            "127.0.0.1", self.server.port, USER, PASSWORD, cafile=self.server.certificate
        )
        try:
            with open(path, "rb") as f:
                try:
                    return ftp.storbinary(f"STOR {name}", f, blocksize=256 * KiB)
                except OSError:
                    return ftp.getresp()
        except ftplib.Error as e:
            return str(e)
        finally:
            quit_session(ftp)

    def ftp_retrieve(self, name: str, path: str) -> str:
        """Download with ftplib into C{path}; the server's last reply."""
        ftp = connect_implicit(
            "127.0.0.1", self.server.port, USER, PASSWORD, cafile=self.server.certificate
        )
        try:
            with open(path, "wb") as f:
                return ftp.retrbinary(f"RETR {name}", f.write, blocksize=256 * KiB)
        except ftplib.Error as e:
            return str(e)
        finally:
            quit_session(ftp)


class ManyTransfersTests(FaultTestCase):
    """Thirty transfers through a proxy that fails a share of S3's requests all succeed."""

    def upload(self, index: int, name: str, path: str) -> str | None:
        """Upload with curl or ftplib, by turns; C{None} on success."""
        if index % 2:
            return self.curl("-T", path, self.url(name))
        reply = self.ftp_store(name, path)
        return None if reply.startswith("226") else f"STOR {name}: {reply}"

    def download(self, index: int, name: str, path: str) -> str | None:
        """Download with ftplib or curl, by turns; C{None} on success."""
        if index % 2:
            reply = self.ftp_retrieve(name, path)
            return None if reply.startswith("226") else f"RETR {name}: {reply}"
        return self.curl("-o", path, self.url(name))

    def transfers(self) -> list[str]:
        """
        Twenty uploads, then ten of the files back, four at a time; every
        failure, and every file that S3 or the download does not hold
        byte for byte.
        """
        files = {}
        for index, size in enumerate(UPLOAD_SIZES):
            name = f"file-{index:02d}-{size}.bin"
            files[name] = self.local_file(name, size)
        problems: list[str] = []
        with ThreadPoolExecutor(4) as pool:
            uploads = [
                pool.submit(self.upload, index, name, path)
                for index, (name, (path, _)) in enumerate(files.items())
            ]
            problems += [problem for future in uploads if (problem := future.result())]
            back = list(files.items())[::2]
            downloads = [
                pool.submit(self.download, index, name, path + ".back")
                for index, (name, (path, _)) in enumerate(back)
            ]
            problems += [problem for future in downloads if (problem := future.result())]
        for name, (_, md5) in files.items():
            if self.stored_md5(name) != md5:
                problems.append(f"{name}: S3 does not hold the bytes sent")
        for name, (path, md5) in back:
            with open(path + ".back", "rb") as f:
                if hashlib.md5(f.read()).hexdigest() != md5:
                    problems.append(f"{name}: the download differs from the upload")
        return problems

    async def run_transfers(self) -> None:
        """All thirty transfers succeed byte for byte, and no upload is left open."""
        problems = await deferToThread(self.transfers)
        self.assertEqual(problems, [])
        self.assertEqual(await deferToThread(self.open_uploads), [])

    async def test_slow_down(self) -> None:
        """
        With 20% of S3's requests answered 503 SlowDown, every transfer
        succeeds. The first two CompleteMultipartUploads are throttled for
        certain: before retries, that call was sent once and its 503 lost
        the upload.
        """
        self.proxy.add("slow_down", operations={"CompleteMultipartUpload"}, limit=2)
        self.proxy.add("slow_down", share=0.2)
        await self.run_transfers()
        throttled, passed = self.proxy.count("slow_down"), self.proxy.count("forwarded")
        self.assertGreater(throttled, 0.08 * (throttled + passed), (throttled, passed))
        self.assertGreater(self.proxy.count("slow_down", "UploadPart"), 0)
        self.assertGreaterEqual(self.proxy.count("slow_down", "CompleteMultipartUpload"), 2)

    async def test_resets(self) -> None:
        """
        With 10% of S3's requests reset (half before S3 sees them, half
        after S3 acted but before its answer is relayed), every transfer
        succeeds; one CompleteMultipartUpload is reset and one loses its
        answer for certain.

        A CreateMultipartUpload whose answer is lost leaves an upload
        nobody knows of, which only the sweeper clears a day later; its
        answers are not lost here, so that "nothing left" can be checked.
        """
        complete = {"CompleteMultipartUpload"}
        self.proxy.add("reset", operations=complete, limit=1)
        self.proxy.add("reset", share=0.05)
        self.proxy.add("lose_answer", operations=complete, limit=1)
        lost = {"UploadPart", "PutObject", "GetObject", "HeadObject", "ListObjectsV2"}
        self.proxy.add("lose_answer", share=0.05, operations=lost | complete)
        await self.run_transfers()
        # Beyond the two aimed ones, about one request in ten; the order of
        # the requests (and so which of them the seeded draws hit) varies.
        faults = self.proxy.count("reset") + self.proxy.count("lose_answer")
        self.assertGreaterEqual(faults, 4, dict(self.proxy.counts))
        self.assertGreaterEqual(self.proxy.count("reset", "CompleteMultipartUpload"), 1)
        self.assertGreaterEqual(self.proxy.count("lose_answer", "CompleteMultipartUpload"), 1)


class OutageTests(FaultTestCase):
    """S3 goes away in the middle of a multipart upload."""

    overrides = {"AWS_S3_RETRY_SECONDS": "30"}

    async def test_short_outage_ridden_out(self) -> None:
        """
        S3 refusing every connection for 10 seconds in the middle of a
        multipart upload is ridden out: the upload succeeds, whole.
        """
        path, md5 = self.local_file("big.bin", 4 * PART + 3)
        upload = deferToThread(self.curl, "-T", path, self.url("big.bin"))
        await self.until(
            lambda: self.proxy.count("forwarded", "UploadPart") >= 1, "the first part to be sent"
        )
        await self.proxy.outage(10, refuse=True)
        self.assertIsNone(await upload)
        self.assertEqual(await deferToThread(self.stored_md5, "big.bin"), md5)
        self.assertEqual(await deferToThread(self.open_uploads), [])


class LongOutageTests(FaultTestCase):
    """An outage longer than the server's patience."""

    overrides = {"AWS_S3_RETRY_SECONDS": "3"}

    async def test_long_outage_451_and_nothing_left(self) -> None:
        """
        S3 resetting every connection for longer than the retries last
        ends the upload in 451; once S3 is back, the abort that failed
        during the outage is retried, and no multipart upload is left.
        """
        path, _ = self.local_file("big.bin", 4 * PART + 3)
        upload = deferToThread(self.ftp_store, "big.bin", path)
        await self.until(
            lambda: self.proxy.count("forwarded", "UploadPart") >= 1, "the first part to be sent"
        )
        outage = self.proxy.outage(12)
        reply = await upload
        self.assertTrue(reply.startswith("451"), reply)
        self.assertTrue(self.proxy.down, "the 451 came during the outage")
        await outage
        await self.until_in_thread(
            lambda: not self.open_uploads(), "the multipart upload to be aborted", limit=45
        )
        self.assertIsNone(await deferToThread(self.stored_md5, "big.bin"))


class CompletionTests(FaultTestCase):
    """
    CompleteMultipartUpload answers that are lost or wrong.

    A retried completion of an upload that is complete already may be told
    NoSuchUpload (S3 may) or 200 with the ETag of the object made (moto
    does, and S3 may); the tests try both. Either way, only the ETag, the
    MD5 of the parts' MD5s, says whether the object is made of the parts
    sent.
    """

    async def store(self, size: int = 2 * PART + 7) -> tuple[str, str]:
        """Upload a three-part file with ftplib; the server's reply and the file's MD5."""
        path, md5 = self.local_file("m.bin", size)
        return await deferToThread(self.ftp_store, "m.bin", path), md5

    async def test_lost_answer(self) -> None:
        """
        S3 completes the upload but its answer is lost: the retry finds the
        upload gone and the object made of the parts sent, and the client
        gets 226.
        """
        self.proxy.add("lose_answer", operations={"CompleteMultipartUpload"}, limit=1)
        reply, md5 = await self.store()
        self.assertTrue(reply.startswith("226"), reply)
        self.assertEqual(self.proxy.count("lose_answer", "CompleteMultipartUpload"), 1)
        self.assertGreaterEqual(self.proxy.count("forwarded", "CompleteMultipartUpload"), 2)
        self.assertEqual(await deferToThread(self.stored_md5, "m.bin"), md5)
        self.assertEqual(await deferToThread(self.open_uploads), [])

    async def test_lost_answer_then_no_such_upload(self) -> None:
        """
        S3 completes the upload but its answer is lost, and the retry is
        told NoSuchUpload (as S3 may answer once the upload is complete):
        the object's ETag is that of the parts sent, so the client gets 226.
        """
        complete = {"CompleteMultipartUpload"}
        self.proxy.add("lose_answer", operations=complete, limit=1)
        self.proxy.add("no_such_upload", operations=complete, limit=1, skip=1)
        reply, md5 = await self.store()
        self.assertTrue(reply.startswith("226"), reply)
        self.assertEqual(self.proxy.count("no_such_upload"), 1)
        self.assertEqual(await deferToThread(self.stored_md5, "m.bin"), md5)
        self.assertEqual(await deferToThread(self.open_uploads), [])

    async def test_wrong_parts_lost_answer_then_no_such_upload(self) -> None:
        """
        A completion that reaches S3 without its last part and loses its
        answer, then a retry told NoSuchUpload: the object's ETag is not
        that of the parts sent, so the client gets 451, not 226.
        """
        complete = {"CompleteMultipartUpload"}
        self.proxy.add("drop_last_part", operations=complete, limit=1)
        self.proxy.add("lose_answer", operations=complete, limit=1)
        self.proxy.add("no_such_upload", operations=complete, limit=1, skip=1)
        reply, md5 = await self.store()
        self.assertTrue(reply.startswith("451"), reply)
        self.assertNotEqual(await deferToThread(self.stored_md5, "m.bin"), md5)

    async def test_error_in_ok_retried(self) -> None:
        """
        A 200 to CompleteMultipartUpload whose body is an InternalError is a
        failure like a 500: retried, and the upload succeeds.
        """
        self.proxy.add("error_in_ok", operations={"CompleteMultipartUpload"}, limit=1)
        reply, md5 = await self.store()
        self.assertTrue(reply.startswith("226"), reply)
        self.assertEqual(self.proxy.count("error_in_ok"), 1)
        self.assertEqual(await deferToThread(self.stored_md5, "m.bin"), md5)
        self.assertEqual(await deferToThread(self.open_uploads), [])

    async def test_wrong_parts_and_lost_answer(self) -> None:
        """
        A completion that reaches S3 without its last part, and whose
        answer is lost: the object S3 then holds is not made of the parts
        sent, so the client is not told the upload succeeded.

        The retry carries every part, but the upload is complete already:
        S3 (or moto: it answers 200 with the ETag of the object it made)
        does not make it again. Only the ETag tells the two apart.
        """
        self.proxy.add("drop_last_part", operations={"CompleteMultipartUpload"}, limit=1)
        self.proxy.add("lose_answer", operations={"CompleteMultipartUpload"}, limit=1)
        reply, md5 = await self.store()
        self.assertRegex(reply, r"^[45]\d\d ")
        self.assertIsNone(await deferToThread(self.stored_md5, "m.bin"))

    async def test_forged_answer(self) -> None:
        """
        A 200 to CompleteMultipartUpload that S3 never sent, with an ETag
        that is not the parts': the client is not told the upload
        succeeded, and the upload S3 still holds is not left behind.
        """
        self.proxy.add("forge_complete", operations={"CompleteMultipartUpload"})
        reply, _ = await self.store()
        self.assertRegex(reply, r"^[45]\d\d ")
        self.assertEqual(self.proxy.count("forwarded", "CompleteMultipartUpload"), 0)
        self.proxy.clear()
        await self.until_in_thread(
            lambda: not self.open_uploads(), "the upload S3 still holds to be aborted"
        )

    async def test_wrong_parts(self) -> None:
        """
        A completion that reaches S3 without its last part: S3 answers 200
        with the ETag of the parts it got, which are not the parts sent, so
        the client is not told the upload succeeded.
        """
        self.proxy.add("drop_last_part", operations={"CompleteMultipartUpload"})
        reply, md5 = await self.store()
        self.assertRegex(reply, r"^[45]\d\d ")
        # The object S3 made from the parts it got is deleted, not left for
        # a reader to take as the file the client sent.
        self.assertIsNone(await deferToThread(self.stored_md5, "m.bin"))
