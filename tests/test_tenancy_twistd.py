"""
The users file in a real C{twistd ftps3} process: a reload on SIGHUP while
a transfer runs, and a whole server log searched for every secret it was
given or sent.

These need a process of their own: SIGHUP goes to the process, and "the
whole log" is everything the process wrote, from its first line to its
last.
"""

from __future__ import annotations

import ftplib
import io
import json
import os
import signal
import subprocess
import time
from typing import Any

from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from .support.clients import connect_implicit, curl
from .support.environment import child_process, environment
from .support.s3server import s3_server
from .support.server import loopback_environment
from .support.twistd import serving, wait_for_health
from .support.waiting import until
from .test_tenancy import argon2id_hash, htpasswd_hash

MiB = 1024 * 1024
BANK, BANK_PASSWORD = "bank", "bank statements 4 you"
NEWCOMER, NEWCOMER_PASSWORD = "newcomer", "first day at work"


class TwistdUsersFileTests(TestCase):
    """C{twistd ftps3} with a users file, in a process of its own."""

    timeout = 180

    def setUp(self) -> None:
        self.s3 = s3_server()
        self.bucket = self.s3.create_bucket("tenancy")
        self.boto = self.s3.boto3_client()
        directory = os.path.abspath(self.mktemp())
        os.makedirs(directory)
        self.users_file = os.path.join(directory, "users.json")
        self.log_path = os.path.join(directory, "server.log")
        self.environ = environment(
            child_process(),
            loopback_environment(self.s3, self.bucket, directory),
            FTP_USERS_FILE=self.users_file,
        )
        self.port = int(self.environ["FTP_COMMAND_PORT"])
        self.certificate = self.environ["FTP_TLS_CERTIFICATE_FILE"]

    def write_users(self, users: list[dict[str, Any]]) -> None:
        # Written beside and renamed, as an operator's tooling should, so
        # that a reload never reads half a file.
        with open(self.users_file + ".new", "w", encoding="utf-8") as f:
            json.dump({"users": users}, f)
        os.replace(self.users_file + ".new", self.users_file)

    def start(self) -> subprocess.Popen[bytes]:
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed by stop()
        self.addCleanup(log.close)
        process = serving(self.environ, output=log)
        self.addCleanup(self.stop, process)
        wait_for_health(f"http://127.0.0.1:{self.environ['HEALTHCHECK_PORT']}/health", process)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)

    def server_log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def login(self, user: str, password: str) -> ftplib.FTP_TLS:
        return connect_implicit("127.0.0.1", self.port, user, password, cafile=self.certificate)

    def can_login(self, user: str, password: str) -> bool:
        try:
            self.login(user, password).quit()
        except ftplib.error_perm:
            return False
        return True

    def url(self, path: str) -> str:
        return f"ftps://127.0.0.1:{self.port}{path}"

    def bank(self, inbox: list[str]) -> dict[str, Any]:
        return {
            "login": BANK,
            "password_hash": self.bank_hash,
            "home": "partners/bank",
            "permissions": {"/": ["list"], "/inbox": inbox, "/outbox": ["list", "download"]},
        }

    # -- reload -------------------------------------------------------------

    def _reload_while_uploading(self) -> None:
        self.bank_hash = argon2id_hash(BANK_PASSWORD)
        self.write_users([self.bank(["upload"])])
        # The polls for the new user fail until the reload: no ban for them.
        self.environ["FTP_LOGIN_MAX_FAILURES"] = "1000"
        process = self.start()
        self.assertFalse(self.can_login(NEWCOMER, NEWCOMER_PASSWORD))
        before = self.login(BANK, BANK_PASSWORD)
        self.assertRaises(ftplib.error_perm, before.nlst, "/inbox")

        source = os.path.abspath(self.mktemp())
        data = os.urandom(12 * MiB + 7)
        with open(source, "wb") as f:
            f.write(data)
        # About four seconds at this rate: the reload lands in the middle.
        upload = subprocess.Popen(
            ["curl", "--silent", "--show-error", "--cacert", self.certificate, "--user",
             f"{BANK}:{BANK_PASSWORD}", "--limit-rate", "3M", "-T", source,
             self.url("/inbox/big.bin")],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(1)
        self.write_users(
            [
                self.bank(["upload", "list"]),
                {"login": NEWCOMER, "password": NEWCOMER_PASSWORD, "home": "partners/new"},
            ]
        )
        process.send_signal(signal.SIGHUP)
        until(lambda: self.can_login(NEWCOMER, NEWCOMER_PASSWORD), "the new user", 20, 0.2)
        self.assertIsNone(upload.poll(), "the upload ended before the reload was seen")

        # A new login has the new permission; the session from before keeps its own.
        after = self.login(BANK, BANK_PASSWORD)
        self.assertEqual(after.nlst("/inbox"), [])
        after.quit()
        self.assertRaises(ftplib.error_perm, before.nlst, "/inbox")
        before.storbinary("STOR /inbox/small.txt", io.BytesIO(b"still here"))
        before.quit()

        _, stderr = upload.communicate(timeout=60)
        self.assertEqual(upload.returncode, 0, stderr)
        stored = self.boto.get_object(Bucket=self.bucket, Key="partners/bank/inbox/big.bin")
        self.assertEqual(stored["Body"].read(), data)

        # A file that does not parse keeps the users the server had.
        with open(self.users_file, "w", encoding="utf-8") as f:
            f.write('{"users": [{"login": "x", "pasword": "typo"}]}')
        process.send_signal(signal.SIGHUP)
        until(lambda: self.users_file in self.server_log(), "the refused reload's line", 20, 0.2)
        self.assertTrue(self.can_login(NEWCOMER, NEWCOMER_PASSWORD))
        refusals = [line for line in self.server_log().splitlines() if "pasword" in line]
        self.assertEqual(len(refusals), 1, refusals)
        self.assertNotIn("typo", refusals[0])

    def test_reload_on_sighup_while_uploading(self) -> Any:
        """
        SIGHUP while curl uploads adds a user and grants the bank listing
        of its inbox: the new user logs in, a new bank session may list,
        the session from before the reload keeps its permissions and
        works, and the upload completes byte for byte. A bad file on the
        next SIGHUP is refused in one line and the users stay.
        """
        return deferToThread(self._reload_while_uploading)

    # -- secrets --------------------------------------------------------------

    def _secrets(self) -> None:
        globex_password = "globex-Hank-Scorpio-1"
        globex_hash = htpasswd_hash("globex", globex_password)
        self.bank_hash = argon2id_hash(BANK_PASSWORD)
        plain_password = "plain-text-in-the-file-77"
        self.write_users(
            [self.bank(["upload"]), {"login": "plain", "password": plain_password, "home": "p"}]
        )
        self.environ.update(
            FTP_USERS__2__LOGIN="globex",
            FTP_USERS__2__PASSWORD_HASH=globex_hash,
            FTP_LOGIN_MAX_FAILURES="3",
            # Every line a session can write is searched: its debug lines too.
            FTP_LOG_LEVEL="debug",
        )
        process = self.start()
        for user, password in (("plain", plain_password), ("globex", globex_password)):
            ftp = self.login(user, password)
            ftp.storbinary("STOR a.txt", io.BytesIO(b"a"))
            ftp.quit()
        ftp = self.login(BANK, BANK_PASSWORD)
        ftp.storbinary("STOR /inbox/b.txt", io.BytesIO(b"b"))
        ftp.quit()
        wrong = [f"wrong-guess-{n}-xyzzy" for n in range(4)]
        for guess in wrong:
            result = curl("--cacert", self.certificate, "--user", f"{BANK}:{guess}", self.url("/"))
            self.assertNotEqual(result.returncode, 0)
        # Banned now: even the right password is refused.
        self.assertFalse(self.can_login(BANK, BANK_PASSWORD))
        with open(self.users_file, "w", encoding="utf-8") as f:
            json.dump(
                {"users": [{"login": "bad", "password": plain_password, "max_sessions": 0}]}, f
            )
        process.send_signal(signal.SIGHUP)
        until(lambda: self.users_file in self.server_log(), "the refused reload's line", 20, 0.2)
        self.stop(process)

        log = self.server_log()
        self.assertIn("Server Shut Down.", log)
        secrets = {
            "the users file's plain password": plain_password,
            "the bank's password": BANK_PASSWORD,
            "globex's password": globex_password,
            "globex's bcrypt hash": globex_hash,
            "the end of globex's bcrypt hash": globex_hash[-31:],
            "the bank's argon2id hash": self.bank_hash,
            "the bank's argon2id digest": self.bank_hash.rsplit("$", 1)[1],
            "the bank's argon2id salt": self.bank_hash.rsplit("$", 2)[1],
            "the AWS secret key": self.environ["AWS_SECRET_ACCESS_KEY"],
            "the default user's password": self.environ["FTP_USERS__1__PASSWORD"],
            **{f"guess {n}": guess for n, guess in enumerate(wrong)},
        }
        leaked = [what for what, secret in secrets.items() if secret in log]
        self.assertEqual(leaked, [])
        # The log did record what happened, so the search above searched something.
        self.assertIn("banned", log.lower())
        self.assertIn("logged in", log)

    def test_no_secret_in_the_whole_log(self) -> Any:
        """
        After logins with plain passwords, bcrypt and argon2id hashes,
        wrong guesses, a ban, a refused reload of a file holding a
        password, and a shutdown, no password, guess, hash (nor its salt
        or digest) or AWS secret appears anywhere in the server's log.
        """
        return deferToThread(self._secrets)
