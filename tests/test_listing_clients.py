"""
Listings of more than one page of ListObjectsV2, sent a page at a time
(L{twisted_ftps3.paging}), as real clients read them: curl's NLST, lftp's
C{cls} and ftplib's MLSD and LIST, over implicit FTPS, against moto.

The server asks S3 for pages of its default size, a thousand keys, so the
directory holds more than that; every client must get every name exactly
once, directories as directories, and the directory's marker never.
"""

from __future__ import annotations

import ftplib
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from twisted.internet.defer import ensureDeferred, gatherResults
from twisted.internet.threads import deferToThread

from .support.clients import lftp, lftp_implicit_script
from .support.server import PASSWORD, USER
from .test_integration import ServerTestCase

#: More files than one page holds, and then the directories.
FILES = [f"file-{n:04d}.txt" for n in range(1500)]
#: A directory with a marker, one with keys but no marker, and one with both;
#: "zz dir" comes after every file, on the second page.
DIRECTORIES = ["a dir", "m implied", "zz dir"]


class TwoPageListingTests(ServerTestCase):
    """A directory of 1,503 entries, two pages of S3's listing."""

    def assertNames(self, client: str, names: list[str], expected: list[str]) -> None:
        """C{names} are C{expected}, in any order; else say what is missing and extra."""
        if sorted(names) != expected:
            missing = sorted(set(expected) - set(names))
            extra = sorted(set(names) - set(expected))
            self.fail(
                f"{client}: {len(names)} names, {len(expected)} expected;"
                f" missing {missing[:5]} ({len(missing)}), extra {extra[:5]} ({len(extra)})"
            )

    def setUp(self) -> None:
        super().setUp()

        def put(key: str) -> None:
            self.boto.put_object(Bucket=self.bucket, Key=key, Body=key.encode())

        keys = ["big/", "big/a dir/", "big/m implied/inside", "big/zz dir/", "big/zz dir/x"]
        keys += [f"big/{name}" for name in FILES]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(put, keys))

    async def _every_client(self) -> None:
        expected = sorted(FILES + DIRECTORIES)

        names = await self.curl("--list-only", self.url("/big/"))
        self.assertEqual(names.returncode, 0, names.stderr)
        self.assertNames("curl", names.stdout.decode().splitlines(), expected)

        script = lftp_implicit_script(
            "127.0.0.1", self.server.port, USER, PASSWORD, ["cd /big", "cls -1"]
        )
        listed = await deferToThread(lftp, script)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        shown = [line.rstrip("/") for line in listed.stdout.decode().splitlines()]
        self.assertNames("lftp", shown, expected)

        def machine_and_long(ftp: ftplib.FTP_TLS) -> tuple[dict[str, Any], list[str]]:
            facts = dict(ftp.mlsd("/big"))
            lines: list[str] = []
            ftp.retrlines("LIST /big", lines.append)
            return facts, lines

        facts, lines = await self.session(machine_and_long)
        self.assertNames("MLSD", list(facts), expected)
        self.assertEqual(
            sorted(name for name, fact in facts.items() if fact["type"] == "dir"), DIRECTORIES
        )
        self.assertEqual(facts["file-1499.txt"]["size"], str(len("big/file-1499.txt")))
        self.assertNames("LIST", [line.split(None, 8)[8] for line in lines], expected)
        self.assertEqual(sum(line.startswith("d") for line in lines), len(DIRECTORIES))

    def test_every_client_gets_every_name_once(self) -> Any:
        """
        curl (NLST), lftp (cls), ftplib (MLSD and LIST) each get the 1,503
        names of a two-page directory exactly once, with the right types.
        """
        return ensureDeferred(self._every_client())


class QueuedListingTests(ServerTestCase):
    """
    With one request to S3 at a time, sessions that list together queue, and
    identical listings waiting in the queue are sent once
    (L{twisted_ftps3.s3.sharing}). Real clients must still get whole, right
    listings, and each session its own writes. (That a shared answer is
    never older than its question is proven with a fake S3, in
    L{tests.test_s3_client.SharedReadTests}: here the timing that would
    show it cannot be arranged.)
    """

    overrides = {"AWS_S3_MAX_CONCURRENT_REQUESTS": "1"}

    async def test_readOwnWrites(self) -> None:
        stored: set[str] = set()

        def visit(index: int) -> Callable[[ftplib.FTP_TLS], None]:
            def scenario(ftp: ftplib.FTP_TLS) -> None:
                name = f"visitor-{index}.txt"
                ftp.storbinary(f"STOR {name}", io.BytesIO(name.encode()))
                stored.add(name)
                before = set(stored)
                listed = set(ftp.nlst())
                self.assertLessEqual(before, listed, f"{name}: missing {before - listed}")
                lines: list[str] = []
                ftp.retrlines("LIST", lines.append)
                self.assertIn(name, "\n".join(lines))

            return scenario

        await gatherResults([self.session(visit(index)) for index in range(8)])
        self.assertEqual(set(self.keys()), stored)
        self.assertEqual(len(stored), 8)
