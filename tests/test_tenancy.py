"""
Many partners on one server, end to end: homes, permissions, password
hashes and the users file, with real clients (ftplib, curl, lftp) against
the running server in front of moto with SigV4 checks.

Every escape attempt is followed by a look at the whole bucket: the only
keys that may have changed are under the user's home.
"""

from __future__ import annotations

import ftplib
import io
import json
import os
import subprocess
from collections.abc import Callable
from typing import Any

import argon2
from twisted.internet.defer import ensureDeferred
from twisted.internet.threads import deferToThread

from .support.clients import curl, lftp, lftp_implicit_script, lftp_quote
from .test_integration import ServerTestCase, _list, _retr

ACME, ACME_PASSWORD = "acme", "acme: anvils & rockets"
GLOBEX, GLOBEX_PASSWORD = "globex", "globex-Hank-Scorpio-1"
AUDIT, AUDIT_PASSWORD = "acme-audit", "audit only, please"
DROP, DROP_PASSWORD = "dropbox", "drop it here"
BANK, BANK_PASSWORD = "bank", "bank statements 4 you"

MiB = 1024 * 1024


def argon2id_hash(password: str) -> str:
    """A hash as argon2-cffi writes it, with its default (RFC 9106 low-memory) parameters."""
    return argon2.PasswordHasher().hash(password)


def htpasswd_hash(login: str, password: str) -> str:
    """
    A bcrypt hash as Apache's C{htpasswd -B} writes it (C{$2y$}); Debian's
    apache2-utils is installed by C{.ci/run}.
    """
    line = subprocess.run(
        ["htpasswd", "-nbB", login, password], capture_output=True, check=True, timeout=30
    ).stdout.decode("ascii")
    name, _, hashed = line.strip().partition(":")
    assert name == login and hashed.startswith("$2y$"), "htpasswd wrote no bcrypt hash"
    return hashed


class TenancyTestCase(ServerTestCase):
    """A server with partners in homes of their own, and helpers to log in as them."""

    def curl_as(self, login: str, password: str, *args: str) -> Any:
        return deferToThread(
            curl, "--cacert", self.server.certificate, "--user", f"{login}:{password}", *args
        )

    def lftp_as(self, login: str, password: str, commands: list[str]) -> Any:
        script = lftp_implicit_script("127.0.0.1", self.server.port, login, password, commands)
        return deferToThread(lftp, script)

    def put(self, key: str, data: bytes) -> None:
        self.boto.put_object(Bucket=self.bucket, Key=key, Body=data)

    def bucket_contents(self) -> dict[str, bytes]:
        """Every key in the bucket with its bytes."""
        return {key: self.object_bytes(key) for key in self.keys()}

    def assertChangedOnlyUnder(self, before: dict[str, bytes], home: str) -> None:
        """Every key added, changed or removed since C{before} is under C{home}."""
        after = self.bucket_contents()
        changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        self.assertEqual({key for key in changed if not key.startswith(home)}, set())

    def assertNotPermitted(self, action: Callable[[], Any]) -> str:
        """C{action} gets a 550 that says it is not permitted."""
        reply = self.assertRefused("550", action)
        self.assertIn("not permitted", reply.lower())
        return reply


class PartnerHomesTests(TenancyTestCase):
    """Two partners with homes of their own, one shared read-only home, and an operator."""

    def setUp(self) -> None:
        self.overrides = {
            "FTP_USERS__2__LOGIN": ACME,
            "FTP_USERS__2__PASSWORD_HASH": argon2id_hash(ACME_PASSWORD),
            "FTP_USERS__2__HOME": "partners/acme",
            "FTP_USERS__3__LOGIN": GLOBEX,
            "FTP_USERS__3__PASSWORD_HASH": htpasswd_hash(GLOBEX, GLOBEX_PASSWORD),
            "FTP_USERS__3__HOME": "partners/globex/",
            "FTP_USERS__4__LOGIN": AUDIT,
            "FTP_USERS__4__PASSWORD": AUDIT_PASSWORD,
            "FTP_USERS__4__HOME": "partners/acme",
            "FTP_USERS__4__PERMISSIONS": "list,download",
        }
        super().setUp()
        self.put("outside.txt", b"the operator's own file")
        self.put("partners/globex/secret.txt", b"globex only")
        self.put("partners/acme-other/near.txt", b"a sibling prefix, not acme's home")

    def _escapes(self, ftp: ftplib.FTP_TLS) -> None:
        self.assertEqual(ftp.pwd(), "/")
        ftp.storbinary("STOR mine.txt", io.BytesIO(b"acme data"))
        for path in ("/..", "..", "/../..", "../../partners/globex", "/../globex"):
            try:
                ftp.cwd(path)
            except ftplib.error_perm:
                pass
            self.assertEqual(ftp.pwd(), "/", path)
        outside = (
            "../globex/secret.txt",
            "/../globex/secret.txt",
            "../../outside.txt",
            "../acme-other/near.txt",
        )
        for name in outside:
            for command in ("RETR", "SIZE", "MDTM", "DELE", "MLST", "RNFR"):
                self.assertRefused("55", lambda c=command, n=name: ftp.sendcmd(f"{c} {n}"))
            self.assertRefused("55", lambda n=name: _retr(ftp, n))
            self.assertRefused("55", lambda n=name: ftp.storbinary(f"APPE {n}", io.BytesIO(b"x")))
            self.assertRefused("55", lambda n=name: ftp.storbinary(f"STOR {n}", io.BytesIO(b"x")))
        for name in ("../globex", "/../globex", "../acme-other"):
            self.assertRefused("55", lambda n=name: ftp.sendcmd(f"RMD {n}"))
            self.assertRefused("55", lambda n=name: ftp.sendcmd(f"MKD {n}/new"))
            self.assertRefused("55", lambda n=name: _list(ftp, n))
        for target in ("../../x", "/../globex/mine.txt", "../acme-other/mine.txt"):
            ftp.sendcmd("RNFR mine.txt")
            self.assertRefused("55", lambda t=target: ftp.sendcmd(f"RNTO {t}"))
        for name in ("..\\..\\outside.txt", "sub\\..\\..\\x", "nul\x00name"):
            self.assertRefused("553", lambda n=name: ftp.storbinary(f"STOR {n}", io.BytesIO(b"x")))
        # Percent signs are names, never decoded: they stay under the home.
        ftp.storbinary("STOR %2e%2e%2foutside.txt", io.BytesIO(b"percent"))
        self.assertEqual(sorted(ftp.nlst()), ["%2e%2e%2foutside.txt", "mine.txt"])
        self.assertEqual(_retr(ftp, "mine.txt"), b"acme data")

    async def _ftplib_escapes(self) -> None:
        before = self.bucket_contents()
        await self.session(self._escapes, ACME, ACME_PASSWORD)
        self.assertChangedOnlyUnder(before, "partners/acme/")
        self.assertEqual(self.object_bytes("partners/acme/mine.txt"), b"acme data")
        self.assertEqual(self.object_bytes("partners/acme/%2e%2e%2foutside.txt"), b"percent")
        self.assertEqual(self.object_bytes("partners/globex/secret.txt"), b"globex only")

    def test_ftplib_stays_home(self) -> Any:
        """
        ftplib as acme (argon2id hash) works at its home as /, and every
        escape, by .., absolute paths, renames, backslashes, percent signs
        and NUL, stays inside it or is refused; nothing outside changes.
        """
        return ensureDeferred(self._ftplib_escapes())

    async def _curl(self) -> None:
        source = os.path.abspath(self.mktemp())
        data = os.urandom(6 * MiB + 5)
        with open(source, "wb") as f:
            f.write(data)
        before = self.bucket_contents()
        upload = await self.curl_as(GLOBEX, GLOBEX_PASSWORD, "-T", source, self.url("/g.bin"))
        self.assertEqual(upload.returncode, 0, upload.stderr)
        self.assertEqual(self.object_bytes("partners/globex/g.bin"), data)
        names = await self.curl_as(GLOBEX, GLOBEX_PASSWORD, "--list-only", self.url("/"))
        self.assertEqual(sorted(names.stdout.splitlines()), [b"g.bin", b"secret.txt"])
        target = os.path.abspath(self.mktemp())
        download = await self.curl_as(GLOBEX, GLOBEX_PASSWORD, "-o", target, self.url("/g.bin"))
        self.assertEqual(download.returncode, 0, download.stderr)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), data)
        # --path-as-is sends the dots as they are, as CWD .. commands.
        for path in ("/../outside.txt", "/../../outside.txt", "/../acme/mine.txt"):
            escape = await self.curl_as(
                GLOBEX, GLOBEX_PASSWORD, "--path-as-is", "-o", target + ".x", self.url(path)
            )
            self.assertNotEqual(escape.returncode, 0, path)
            self.assertFalse(os.path.exists(target + ".x"), path)
        self.assertChangedOnlyUnder(before, "partners/globex/")

    def test_curl_stays_home(self) -> Any:
        """
        curl as globex (an htpasswd -B hash) uploads, lists and downloads
        in its home, sees none of acme's, and cannot climb out.
        """
        return ensureDeferred(self._curl())

    async def _lftp(self) -> None:
        tree = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(tree, "sub"))
        files = {"top.txt": os.urandom(1000), "sub/deep £.bin": os.urandom(2 * MiB)}
        for name, data in files.items():
            with open(os.path.join(tree, name), "wb") as f:
                f.write(data)
        back = os.path.abspath(self.mktemp())
        before = self.bucket_contents()
        result = await self.lftp_as(
            ACME, ACME_PASSWORD, [f"mirror -R {lftp_quote(tree)} /up", f"mirror /up {back}"]
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        for name, data in files.items():
            self.assertEqual(self.object_bytes(f"partners/acme/up/{name}"), data)
            with open(os.path.join(back, name), "rb") as f:
                self.assertEqual(f.read(), data)
        escape = await self.lftp_as(
            ACME, ACME_PASSWORD, ["cd /..", "pwd", f"get ../globex/secret.txt -o {back}/stolen"]
        )
        self.assertNotEqual(escape.returncode, 0)
        self.assertFalse(os.path.exists(os.path.join(back, "stolen")))
        self.assertChangedOnlyUnder(before, "partners/acme/")

    def test_lftp_stays_home(self) -> Any:
        """lftp as acme mirrors a tree up and back inside its home, and cannot fetch globex's."""
        return ensureDeferred(self._lftp())

    async def _shared_read_only(self) -> None:
        await self.session(
            lambda ftp: ftp.storbinary("STOR report.csv", io.BytesIO(b"1,2")), ACME, ACME_PASSWORD
        )
        before = self.bucket_contents()

        def audit(ftp: ftplib.FTP_TLS) -> None:
            self.assertEqual(ftp.nlst(), ["report.csv"])
            self.assertEqual(_retr(ftp, "report.csv"), b"1,2")
            self.assertNotPermitted(lambda: ftp.storbinary("STOR new.csv", io.BytesIO(b"x")))
            self.assertNotPermitted(lambda: ftp.storbinary("APPE report.csv", io.BytesIO(b"x")))
            self.assertNotPermitted(lambda: ftp.sendcmd("DELE report.csv"))
            self.assertNotPermitted(lambda: ftp.sendcmd("MKD new"))
            try:
                ftp.sendcmd("RNFR report.csv")
            except ftplib.error_perm:
                pass
            else:
                self.assertNotPermitted(lambda: ftp.sendcmd("RNTO renamed.csv"))
            facts = ftp.sendcmd("MLST report.csv").splitlines()[1]
            perm = facts.split("perm=")[1].split(";")[0]
            self.assertEqual(perm, "r")

        await self.session(audit, AUDIT, AUDIT_PASSWORD)
        self.assertEqual(self.bucket_contents(), before)

    def test_shared_home_read_only(self) -> Any:
        """
        The auditor shares acme's home with list and download only: it
        sees and reads acme's upload, every change is refused with 550
        "not permitted", MLST says perm=r, and the bucket is unchanged.
        """
        return ensureDeferred(self._shared_read_only())

    async def _operator(self) -> None:
        await self.session(
            lambda ftp: ftp.storbinary("STOR a.txt", io.BytesIO(b"a")), ACME, ACME_PASSWORD
        )

        def operator(ftp: ftplib.FTP_TLS) -> None:
            self.assertEqual(sorted(ftp.nlst("/partners")), ["acme", "acme-other", "globex"])
            self.assertEqual(_retr(ftp, "/partners/acme/a.txt"), b"a")

        await self.session(operator)

    def test_operator_sees_every_home(self) -> Any:
        """The operator, with the whole bucket, sees every partner's home."""
        return ensureDeferred(self._operator())

    async def _wrong_passwords(self) -> None:
        for login in (ACME, GLOBEX):
            result = await self.curl_as(login, "not the password", "--list-only", self.url("/"))
            # curl's exit status 67: the server refused the login.
            self.assertEqual(result.returncode, 67, result.stderr)

    def test_wrong_password_refused_for_both_hashes(self) -> Any:
        """A wrong password is refused for an argon2id and a bcrypt user alike."""
        return ensureDeferred(self._wrong_passwords())


class UploadOnlyTests(TenancyTestCase):
    """A drop box: upload, and nothing else, not even overwrite."""

    def setUp(self) -> None:
        self.overrides = {
            "FTP_USERS__2__LOGIN": DROP,
            "FTP_USERS__2__PASSWORD_HASH": argon2id_hash(DROP_PASSWORD),
            "FTP_USERS__2__HOME": "drop",
            "FTP_USERS__2__PERMISSIONS": "upload",
        }
        super().setUp()

    def _scenario(self, ftp: ftplib.FTP_TLS) -> None:
        ftp.storbinary("STOR first.xml", io.BytesIO(b"<first/>"))
        self.assertNotPermitted(lambda: ftp.storbinary("STOR first.xml", io.BytesIO(b"again")))
        self.assertNotPermitted(lambda: ftp.storbinary("APPE first.xml", io.BytesIO(b"more")))
        self.assertNotPermitted(
            lambda: ftp.storbinary("STOR first.xml", io.BytesIO(b"more"), rest=8)
        )
        self.assertNotPermitted(lambda: _list(ftp))
        self.assertNotPermitted(lambda: ftp.nlst())
        self.assertNotPermitted(lambda: _retr(ftp, "first.xml"))
        self.assertNotPermitted(lambda: ftp.sendcmd("DELE first.xml"))
        # A new name may be appended to: it creates the file.
        ftp.storbinary("APPE second.xml", io.BytesIO(b"<second/>"))

    async def _all_clients(self) -> None:
        await self.session(self._scenario, DROP, DROP_PASSWORD)
        self.assertEqual(self.object_bytes("drop/first.xml"), b"<first/>")
        self.assertEqual(self.object_bytes("drop/second.xml"), b"<second/>")
        source = os.path.abspath(self.mktemp())
        with open(source, "wb") as f:
            f.write(b"<curl/>")
        first = await self.curl_as(DROP, DROP_PASSWORD, "-T", source, self.url("/curl.xml"))
        self.assertEqual(first.returncode, 0, first.stderr)
        again = await self.curl_as(DROP, DROP_PASSWORD, "-T", source, self.url("/first.xml"))
        self.assertNotEqual(again.returncode, 0)
        put = await self.lftp_as(DROP, DROP_PASSWORD, [f"put {lftp_quote(source)} -o lftp.xml"])
        self.assertEqual(put.returncode, 0, put.stderr)
        self.assertEqual(
            sorted(self.keys()),
            ["drop/curl.xml", "drop/first.xml", "drop/lftp.xml", "drop/second.xml"],
        )
        self.assertEqual(self.object_bytes("drop/first.xml"), b"<first/>")

    def test_upload_only(self) -> Any:
        """
        With upload alone, ftplib, curl and lftp upload new names; a second
        STOR, an APPE or a REST+STOR onto an existing file, a listing, a
        download and a delete are each refused with 550, and nothing is
        overwritten.
        """
        return ensureDeferred(self._all_clients())


BANK_LAYOUT = {
    "/": ["list"],
    "/inbox": ["upload"],
    "/outbox": ["list", "download"],
}


class BankLayoutTests(TenancyTestCase):
    """The bank layout of the README, from a users file."""

    def setUp(self) -> None:
        users_file = os.path.abspath(self.mktemp())
        with open(users_file, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "users": [
                        {
                            "login": BANK,
                            "password_hash": argon2id_hash(BANK_PASSWORD),
                            "home": "partners/bank",
                            "permissions": BANK_LAYOUT,
                            "allowed_cidrs": ["127.0.0.0/8"],
                            "max_sessions": 4,
                        }
                    ]
                },
                f,
            )
        self.overrides = {"FTP_USERS_FILE": users_file}
        super().setUp()
        self.put("partners/bank/outbox/statement.csv", b"date,amount\n2026-12-01,100\n")

    async def _curl(self) -> None:
        listing = await self.curl_as(BANK, BANK_PASSWORD, "--list-only", self.url("/"))
        self.assertEqual(listing.returncode, 0, listing.stderr)
        self.assertEqual(sorted(listing.stdout.splitlines()), [b"inbox", b"outbox"])
        source = os.path.abspath(self.mktemp())
        with open(source, "wb") as f:
            f.write(b"<payment/>")
        upload = await self.curl_as(BANK, BANK_PASSWORD, "-T", source, self.url("/inbox/pay.xml"))
        self.assertEqual(upload.returncode, 0, upload.stderr)
        self.assertEqual(self.object_bytes("partners/bank/inbox/pay.xml"), b"<payment/>")
        again = await self.curl_as(BANK, BANK_PASSWORD, "-T", source, self.url("/inbox/pay.xml"))
        self.assertNotEqual(again.returncode, 0)
        inbox = await self.curl_as(BANK, BANK_PASSWORD, "--list-only", self.url("/inbox/"))
        self.assertNotEqual(inbox.returncode, 0)
        outbox = await self.curl_as(BANK, BANK_PASSWORD, "--list-only", self.url("/outbox/"))
        self.assertEqual(outbox.stdout.splitlines(), [b"statement.csv"])
        target = os.path.abspath(self.mktemp())
        download = await self.curl_as(
            BANK, BANK_PASSWORD, "-o", target, self.url("/outbox/statement.csv")
        )
        self.assertEqual(download.returncode, 0, download.stderr)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), b"date,amount\n2026-12-01,100\n")
        sneak = await self.curl_as(BANK, BANK_PASSWORD, "-T", source, self.url("/outbox/x.xml"))
        self.assertNotEqual(sneak.returncode, 0)
        top = await self.curl_as(BANK, BANK_PASSWORD, "-T", source, self.url("/top.xml"))
        self.assertNotEqual(top.returncode, 0)

    def test_curl(self) -> Any:
        """
        curl sees inbox and outbox at /, uploads to the inbox once (no
        overwrite), cannot list it, downloads from the outbox, and cannot
        upload to the outbox or the root; the inbox needed no marker.
        """
        return ensureDeferred(self._curl())

    async def _lftp(self) -> None:
        source = os.path.abspath(self.mktemp())
        with open(source, "wb") as f:
            f.write(b"<lftp/>")
        back = os.path.abspath(self.mktemp())
        os.makedirs(back)
        result = await self.lftp_as(
            BANK,
            BANK_PASSWORD,
            [
                "cd inbox",
                f"put {lftp_quote(source)} -o lftp.xml",
                "cd ../outbox",
                "cls -1",
                f"get statement.csv -o {lftp_quote(os.path.join(back, 'statement.csv'))}",
            ],
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(b"statement.csv", result.stdout)
        self.assertEqual(self.object_bytes("partners/bank/inbox/lftp.xml"), b"<lftp/>")
        with open(os.path.join(back, "statement.csv"), "rb") as f:
            self.assertEqual(f.read(), b"date,amount\n2026-12-01,100\n")
        refused = await self.lftp_as(BANK, BANK_PASSWORD, ["cls -1 inbox"])
        self.assertNotEqual(refused.returncode, 0)

    def test_lftp(self) -> Any:
        """lftp changes into the inbox and uploads, then lists and fetches the outbox."""
        return ensureDeferred(self._lftp())

    def _mlsd(self, ftp: ftplib.FTP_TLS) -> dict[str, str]:
        return {name: facts["perm"] for name, facts in ftp.mlsd("/")}

    async def _facts(self) -> None:
        perms = await self.session(self._mlsd, BANK, BANK_PASSWORD)
        # The inbox may be entered and filled, not listed; the outbox
        # entered and listed; neither created, removed or renamed.
        self.assertEqual(set(perms["inbox"]), set("ec"))
        self.assertEqual(set(perms["outbox"]), set("el"))

    def test_mlsd_perm_facts(self) -> Any:
        """MLSD's perm facts say what the bank may do in each directory."""
        return ensureDeferred(self._facts())
