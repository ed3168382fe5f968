"""
A home and the bank layout end to end: ftplib against the running server,
in front of moto with signature checks, as a partner would use it.

The user comes with a home and permissions straight into the server's
settings (the users file and the environment family that will carry them
are tested with the configuration).
"""

from __future__ import annotations

import ftplib
import io
import os
from typing import Any

from twisted.internet.defer import ensureDeferred
from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from .support.clients import connect_implicit
from .support.s3server import s3_server
from .support.server import PASSWORD, USER, start_server
from .support.shells import BANK
from .support.users import write_users_file

HOME = "partners/acme/"


class BankLayoutServerTests(TestCase):
    """A partner at C{partners/acme/} with the bank layout, over ftplib."""

    timeout = 300

    def setUp(self) -> None:
        self.s3 = s3_server()
        self.bucket = self.s3.create_bucket("homes")
        self.boto = self.s3.boto3_client()
        self.boto.put_object(Bucket=self.bucket, Key=HOME + "outbox/statement.txt", Body=b"owed")
        self.boto.put_object(Bucket=self.bucket, Key="partners/bank/secret", Body=b"bank's")
        users_file = os.path.abspath(self.mktemp())
        write_users_file(
            users_file,
            {"users": [{"login": USER, "password": PASSWORD, "home": HOME, "permissions": BANK}]},
        )
        self.server = start_server(
            self.s3,
            self.bucket,
            os.path.abspath(self.mktemp()),
            FTP_USERS__1__LOGIN=None,
            FTP_USERS__1__PASSWORD=None,
            FTP_USERS_FILE=users_file,
        )
        self.addCleanup(lambda: ensureDeferred(self.server.stop()))

    def objects(self) -> dict[str, bytes]:
        """Every key in the bucket, with its bytes, as S3 holds them."""
        listed = self.boto.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return {
            item["Key"]: self.boto.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
            for item in listed
        }

    def refused(self, action: Any, *words: str) -> str:
        """Run C{action}, which must get a 550 holding C{words} and not the home's prefix."""
        with self.assertRaises(ftplib.error_perm) as caught:
            action()
        reply = str(caught.exception)
        self.assertTrue(reply.startswith("550 "), reply)
        for word in words:
            self.assertIn(word, reply)
        self.assertNotIn("partners", reply)
        return reply

    def scenario(self, ftp: ftplib.FTP_TLS) -> None:
        self.assertEqual(ftp.pwd(), "/")
        self.assertEqual(sorted(ftp.nlst()), ["inbox", "outbox"])
        facts = {name: entry["perm"] for name, entry in ftp.mlsd("/", ["perm"])}
        self.assertEqual(facts, {"inbox": "ec", "outbox": "el"})
        ftp.cwd("inbox")
        self.assertEqual(ftp.pwd(), "/inbox")
        ftp.storbinary("STOR payment.xml", io.BytesIO(b"<pay/>"))
        self.refused(lambda: ftp.storbinary("STOR payment.xml", io.BytesIO(b"evil")), "'overwrite'")
        self.refused(lambda: ftp.nlst(), "'list'")
        self.refused(lambda: ftp.retrbinary("RETR payment.xml", lambda _: None), "'download'")
        self.refused(lambda: ftp.cwd("/../.."))
        ftp.cwd("/outbox")
        received = io.BytesIO()
        ftp.retrbinary("RETR statement.txt", received.write)
        self.assertEqual(received.getvalue(), b"owed")
        self.refused(lambda: ftp.delete("statement.txt"), "'delete'")
        self.refused(lambda: ftp.rename("statement.txt", "../../bank/x"))
        self.refused(lambda: ftp.rmd("/inbox"), "always exists")

    def test_bank_layout(self) -> Any:
        """
        The partner finds the boxes in a new home, uploads once into the
        inbox, downloads from the outbox, is refused the rest, and reaches
        nothing outside the home.
        """

        def run() -> None:
            ftp = connect_implicit(
                "127.0.0.1", self.server.port, USER, PASSWORD, cafile=self.server.certificate
            )
            try:
                self.scenario(ftp)
            finally:
                ftp.quit()

        def stored(_: Any) -> None:
            self.assertEqual(
                self.objects(),
                {
                    HOME + "inbox/payment.xml": b"<pay/>",
                    HOME + "outbox/statement.txt": b"owed",
                    "partners/bank/secret": b"bank's",
                },
            )

        return deferToThread(run).addCallback(stored)
