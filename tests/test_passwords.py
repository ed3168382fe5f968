"""
Tests for L{twisted_ftps3.hashes} and L{twisted_ftps3.passwords}: every
stored-hash format, right and wrong, with vectors from the tools that write
them; malformed hashes refused without being quoted; verification in a
thread pool; the decoy for unknown logins.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable

import argon2
import bcrypt
from twisted.application.service import IService
from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.python.failure import Failure
from twisted.trial.unittest import SkipTest, SynchronousTestCase, TestCase
from zope.interface.verify import verifyObject

from twisted_ftps3 import hashes, passwords
from twisted_ftps3.config import User
from twisted_ftps3.hashes import _kdf, check_hash, parse_hash
from twisted_ftps3.passwords import PasswordVerifier, VerifierPool, default_threads

# Published vectors, each with the password it was made from and where it was published.
VECTORS = [
    # Openwall crypt_blowfish's test vectors (also OpenBSD's and John the Ripper's).
    ("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
    # passlib's documentation of pbkdf2_sha256 (its adapted base64, no "." in it) ...
    (
        "password",
        "$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M",
    ),
    # ... and its test suite (passlib/tests/test_handlers_pbkdf2.py), with "." for "+".
    (
        "password",
        "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ",
    ),
    # The @phc/format README: passlib's documented hash above in the PHC form.
    (
        "password",
        "$pbkdf2-sha256$i=6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M",
    ),
    # RustCrypto pbkdf2's PHC test: "password", salt "salt" (B64 "c2FsdA"), 4096 rounds,
    # hash c5e478d5...98134a, the well-known PBKDF2-HMAC-SHA256 vector.
    ("password", "$pbkdf2-sha256$i=4096,l=32$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o"),
    # Django's tests/auth_tests/test_hashers.py, test_pbkdf2, as of Django 1.6 and 1.11.
    ("l\xe8tmein", "pbkdf2_sha256$12000$seasalt$Ybw8zsFxqja97tY/o6G+Fy1ksY4U/Hw3DRrGED6Up4s="),
    ("l\xe8tmein", "pbkdf2_sha256$36000$seasalt$mEUPPFJkT/xtwDU8rB7Q+puHRZnR07WRjerTkt/3HI0="),
    # passlib's scrypt tests (passlib/tests/test_handlers_scrypt.py): the first two are
    # RFC 7914's vectors (empty password and salt; "password" with salt "NaCl").
    ("", "$scrypt$ln=4,r=1,p=1$$d9ZXYjhleyA7GcpCwYoEl/FrSETjB0ro39/6P+3iFEI"),
    ("password", "$scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI"),
    (
        "test",
        "$scrypt$ln=8,r=8,p=1$wlhLyXmP8b53bm1NKYVQqg$mTpvG8lzuuDk+DWz8HZIB6Vum6erDuUm0As5yU+VxWA",
    ),
]


def pieces(text: str) -> list[str]:
    """
    The parts of a hash that seeing in a message would be a leak: the long
    ones (salts, digests) other than the formats' public names.
    """
    parts = re.split(r"[$:,=]", text)
    return [part for part in parts if len(part) >= 8 and part not in hashes.ACCEPTED]


def htpasswd(password: str) -> str:
    """A bcrypt hash made by Apache's own C{htpasswd -nbB}."""
    if shutil.which("htpasswd") is None:
        raise SkipTest("htpasswd is missing: .ci/run installs it (Debian's apache2-utils)")
    line = subprocess.run(
        ["htpasswd", "-nbB", "someone", password], capture_output=True, text=True, check=True
    ).stdout.strip()
    return line.split(":", 1)[1]


class FormatTests(SynchronousTestCase):
    """Each accepted format verifies its password and refuses another."""

    def assertVerifies(self, password: str | bytes, stored: str) -> None:
        raw = password.encode("utf-8") if isinstance(password, str) else password
        parsed = parse_hash(stored)
        self.assertTrue(parsed.verify(raw), f"{parsed!r} refused its password")
        self.assertFalse(parsed.verify(raw + b"x"), f"{parsed!r} took a wrong password")
        self.assertFalse(parsed.verify(b"x" + raw), f"{parsed!r} took a wrong password")

    def test_publishedVectors(self) -> None:
        """The vectors published by passlib, Django, PHC libraries and Openwall verify."""
        for password, stored in VECTORS:
            check_hash(stored)
            self.assertVerifies(password, stored)

    def test_htpasswd(self) -> None:
        """A C{$2y$} hash made by C{htpasswd -nbB} verifies."""
        stored = htpasswd("Tr0ub4dor&3")
        self.assertTrue(stored.startswith("$2y$"))
        self.assertVerifies("Tr0ub4dor&3", stored)

    def test_htpasswdLongPassword(self) -> None:
        """
        htpasswd hashed only the first 72 bytes of a longer password; the
        verifier reads the same 72 bytes, rather than refusing the attempt.
        """
        password = "a" * 72 + "tail"
        parsed = parse_hash(htpasswd(password))
        self.assertTrue(parsed.verify(password.encode()))
        self.assertTrue(parsed.verify(b"a" * 72))
        self.assertFalse(parsed.verify(b"a" * 71))

    def test_bcryptPrefixes(self) -> None:
        """The bcrypt package's C{$2a$} and C{$2b$} hashes verify."""
        for prefix in (b"2a", b"2b"):
            stored = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4, prefix=prefix)).decode()
            self.assertTrue(stored.startswith(f"${prefix.decode()}$"))
            self.assertVerifies("s3cret", stored)

    def test_argon2(self) -> None:
        """argon2-cffi's argon2id (its defaults and others) and argon2i hashes verify."""
        self.assertVerifies("s3cret", argon2.PasswordHasher().hash("s3cret"))
        small = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=2)
        self.assertVerifies("s\N{SNOWMAN}", small.hash("s\N{SNOWMAN}"))
        argon2i = argon2.PasswordHasher(time_cost=1, memory_cost=1024, type=argon2.Type.I)
        self.assertVerifies("s3cret", argon2i.hash("s3cret"))

    def test_hashlibRoundTrips(self) -> None:
        """Hashes computed here with C{hashlib}, written in each form, verify."""
        password, salt = b"pass word", bytes(range(250, 256)) + b"\xfb\xef\xbe"
        digest = hashlib.pbkdf2_hmac("sha256", password, salt, 1000)
        b64 = base64.b64encode(salt).decode().rstrip("="), base64.b64encode(digest).decode()
        ab64 = b64[0].replace("+", "."), b64[1].rstrip("=").replace("+", ".")
        self.assertIn(".", ab64[0])
        self.assertVerifies(password, f"$pbkdf2-sha256$1000${ab64[0]}${ab64[1]}")
        self.assertVerifies(password, f"$pbkdf2-sha256$i=1000${b64[0]}${b64[1].rstrip('=')}")
        text_digest = hashlib.pbkdf2_hmac("sha256", password, b"NaCl", 1000)
        django = base64.b64encode(text_digest).decode()
        self.assertVerifies(password, f"pbkdf2_sha256$1000$NaCl${django}")
        self.assertVerifies(password, f"pbkdf2:sha256:1000$NaCl${text_digest.hex()}")
        scrypted = hashlib.scrypt(password, salt=salt, n=1024, r=8, p=2, dklen=32)
        scrypt_b64 = base64.b64encode(scrypted).decode().rstrip("=")
        self.assertVerifies(password, f"$scrypt$ln=10,r=8,p=2${b64[0]}${scrypt_b64}")
        werkzeug = hashlib.scrypt(password, salt=b"NaCl", n=1024, r=8, p=1).hex()
        self.assertVerifies(password, f"scrypt:1024:8:1$NaCl${werkzeug}")

    def test_werkzeug(self) -> None:
        """Werkzeug's own C{generate_password_hash} output verifies, in both its methods."""
        try:
            from werkzeug.security import generate_password_hash
        except ImportError:
            raise SkipTest("werkzeug is missing: the test extra's moto[server] brings it") from None
        for method in ("pbkdf2:sha256:1000", "scrypt:1024:8:1"):
            self.assertVerifies("s3cret", generate_password_hash("s3cret", method))

    def test_reprQuotesNothing(self) -> None:
        """A parsed hash and its decoy show their scheme and cost, not salt or digest."""
        stored = [stored for _, stored in VECTORS] + [htpasswd("pw")]
        stored.append(argon2.PasswordHasher().hash("pw"))
        for text in stored:
            parsed = parse_hash(text)
            for shown in (repr(parsed), str(parsed), repr(parsed.decoy())):
                for piece in pieces(text):
                    self.assertNotIn(piece, shown)


class MalformedTests(SynchronousTestCase):
    """L{check_hash} refuses what no login could match, and quotes none of it."""

    ARGON2 = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$" + "A" * 43
    MALFORMED = [
        "",
        "correct horse battery staple",
        "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
        "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",
        "$2b$12$tooshort",
        "$2b$03$" + "C" * 53,
        "$2b$32$" + "C" * 53,
        "$2x$05$" + "C" * 53,
        ARGON2.replace("v=19", "v=16"),
        ARGON2.replace("$argon2id$", "$argon2d$"),
        ARGON2.replace("c29tZXNhbHRzb21lc2FsdA", "c2FsdA"),
        ARGON2.replace("m=65536", "m=4194304"),
        ARGON2.replace("m=65536", "m=1"),
        ARGON2.replace("m=65536", "m=16"),
        ARGON2.replace("A" * 43, "A!" * 20),
        "$scrypt$ln=10,r=8$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI",
        "$scrypt$ln=0,r=8,p=1$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI",
        "$scrypt$ln=20,r=1024,p=1$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI",
        "$scrypt$ln=10,r=8,p=1$TmFDbA$c2hvcnQ",
        "scrypt:1000:8:1$NaCl$" + "ab" * 64,
        "scrypt:1024:8:1$NaCl$" + "AB" * 64,
        "$pbkdf2-sha256$0$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M",
        "$pbkdf2-sha256$06400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M",
        "$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0s+isdZd0Xr97KWoymNE0LNNrnEgY4H9M",
        "$pbkdf2-sha256$i=6400,l=64$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M",
        "$pbkdf2-sha256$i=6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9.",
        "pbkdf2_sha256$12000$seasalt$Ybw8zsFxqja97tY/o6G+Fy1ksY4U/Hw3DRrGED6Up4s",
        "pbkdf2_sha256$12000$$Ybw8zsFxqja97tY/o6G+Fy1ksY4U/Hw3DRrGED6Up4s=",
        "pbkdf2:sha256:1000$NaCl$" + "zz" * 32,
        "pbkdf2:sha1:1000$NaCl$" + "ab" * 20,
        "pbkdf2:sha256$NaCl$" + "ab" * 32,
    ]

    def assertRefused(self, text: str) -> ValueError:
        error = self.assertRaises(ValueError, check_hash, text)
        message = str(error)
        self.assertIn("accepted formats: bcrypt", message, text)
        if text:
            self.assertNotIn(text, message)
        for piece in pieces(text):
            self.assertNotIn(piece, message)
        return error

    def test_malformed(self) -> None:
        """Each malformed or unknown hash is refused with the formats accepted."""
        for text in self.MALFORMED:
            self.assertRefused(text)

    def test_whitespace(self) -> None:
        """A published vector with a line's end or a space around it is refused."""
        for _, stored in VECTORS:
            for spoilt in (stored + "\n", stored + " ", " " + stored, stored + "\r\n"):
                self.assertRefused(spoilt)

    def test_knownFormatNamed(self) -> None:
        """A malformed hash of a known format says which format and what is wrong."""
        message = str(self.assertRefused("$2b$03$" + "C" * 53))
        self.assertTrue(message.startswith("malformed bcrypt hash: the cost must be"), message)
        message = str(self.assertRefused("rot13$whatever"))
        self.assertTrue(message.startswith("not a password hash this server can verify"))

    def test_causeHidden(self) -> None:
        """No library error (which might quote the text) rides along as the cause."""
        error = self.assertRefused("$pbkdf2-sha256$1000$a$" + "Y11AchqV4b0sUisdZd0Xr97K=")
        self.assertIsNone(error.__cause__)
        self.assertTrue(error.__suppress_context__ or error.__context__ is None)


class _Reactor:
    """Just enough of a reactor for C{deferToThreadPool}, run in this thread."""

    def callFromThread(self, f: Callable[..., object], *args: object, **kwargs: object) -> None:
        f(*args, **kwargs)


class _Pool:
    """A thread pool that runs its work at once, in this thread, and counts it."""

    def __init__(self) -> None:
        self.calls = 0

    def callInThreadWithCallback(
        self, onResult: Callable[[bool, object], None], f: Callable[..., object], *args: object
    ) -> None:
        self.calls += 1
        try:
            result = f(*args)
        except BaseException:
            onResult(False, Failure())
        else:
            onResult(True, result)


def pbkdf2_hash(password: bytes, iterations: int, salt: bytes = b"NaCl") -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password, salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.decode()}${base64.b64encode(digest).decode()}"


class VerifierTests(SynchronousTestCase):
    """L{PasswordVerifier} with a pool that runs its work at once."""

    def setUp(self) -> None:
        self.pool = _Pool()
        self.alice = User("alice", password_hash=pbkdf2_hash(b"alice's", 1000))
        self.bob = User("bob", password_hash=pbkdf2_hash(b"bob's", 1000, b"pepper"))
        self.carol = User(
            "carol", password_hash=bcrypt.hashpw(b"carol's", bcrypt.gensalt(4)).decode()
        )
        self.dave = User("dave", password="dave's")
        self.verifier = PasswordVerifier(
            _Reactor(), self.pool, [self.alice, self.bob, self.carol, self.dave]
        )

    def verify(self, user: User | None, attempt: bytes, pooled: bool = True) -> bool:
        calls = self.pool.calls
        result = self.successResultOf(self.verifier.verify(user, attempt))
        if pooled:
            self.assertEqual(self.pool.calls, calls + 1, "not verified in the pool")
        else:
            self.assertEqual(self.pool.calls, calls, "verified in the pool")
        return result

    def test_rightAndWrong(self) -> None:
        """Hashed and plain passwords verify, and a wrong one is refused."""
        for user, password in [
            (self.alice, b"alice's"),
            (self.bob, b"bob's"),
            (self.carol, b"carol's"),
            (self.dave, b"dave's"),
        ]:
            self.assertTrue(self.verify(user, password), user.login)
            self.assertFalse(self.verify(user, password + b"!"), user.login)
            self.assertFalse(self.verify(user, b""), user.login)

    def test_unknownLogin(self) -> None:
        """An unknown login is refused, whatever its password."""
        for attempt in (b"alice's", b"dave's", b""):
            self.assertFalse(self.verify(None, attempt))

    def test_decoyIsTheMajority(self) -> None:
        """
        The decoy has the scheme and parameters most users' hashes have,
        with a salt of its own.
        """
        decoy = self.verifier.decoy
        self.assertIsInstance(decoy, _kdf.Pbkdf2Sha256)
        self.assertEqual(decoy.cost(), parse_hash(self.alice.password_hash).cost())
        self.assertEqual(decoy.cost(), ("pbkdf2-sha256", 1000, 32))
        self.assertNotIn(decoy.salt, (b"NaCl", b"pepper"))

    def test_decoyDoesTheWork(self) -> None:
        """
        An unknown login, and a user with a plain password, each run one
        PBKDF2 of the majority's iterations and length, as a known user does.
        """
        calls: list[tuple[int, int | None]] = []
        real = hashlib.pbkdf2_hmac

        def recording(
            name: str, password: bytes, salt: bytes, n: int, dklen: int | None = None
        ) -> bytes:
            calls.append((n, dklen))
            return real(name, password, salt, n, dklen)

        self.patch(hashlib, "pbkdf2_hmac", recording)
        for user in (self.alice, None, self.dave):
            del calls[:]
            self.verify(user, b"guess")
            self.assertEqual(calls, [(1000, 32)], user)

    def test_timing(self) -> None:
        """
        An unknown login costs about the CPU time that a wrong password for a
        known one does (the least of several tries of each, within a factor
        of two). CPU time, not the wall clock, so that other processes on a
        busy machine do not decide the result.
        """
        slow = User("slow", password_hash=pbkdf2_hash(b"slow's", 100_000))
        self.verifier.update([slow])

        def least(user: User | None) -> float:
            times = []
            for _ in range(5):
                start = time.thread_time()
                self.verify(user, b"guess")
                times.append(time.thread_time() - start)
            return min(times)

        known, unknown = least(slow), least(None)
        self.assertTrue(0.5 < unknown / known < 2, (known, unknown))

    def test_allPlain(self) -> None:
        """
        With plain passwords only, the decoy is a plain comparison too, and
        every login, known or not, is compared at once, without the pool.
        """
        self.verifier.update([self.dave])
        self.assertEqual(self.verifier.decoy.cost(), ("plain",))
        self.assertEqual(repr(self.verifier.decoy), "<plain password>")
        self.assertFalse(self.verify(None, b"dave's", pooled=False))
        self.assertTrue(self.verify(self.dave, b"dave's", pooled=False))
        self.assertFalse(self.verify(self.dave, b"dave", pooled=False))
        self.assertFalse(self.verify(User("nobody"), b"", pooled=False))

    def test_plainBesideHashes(self) -> None:
        """
        Beside hashed users, a plain password is padded with a hash's work,
        and so is verified in the pool, as an unknown login is.
        """
        self.assertTrue(self.verify(self.dave, b"dave's", pooled=True))
        self.assertFalse(self.verify(None, b"dave's", pooled=True))

    def test_hashNotYetUpdated(self) -> None:
        """
        A hashed user the verifier has not been given yet goes to the pool,
        even while no user it knows has a hash.
        """
        self.verifier.update([self.dave])
        grace = User("grace", password_hash=pbkdf2_hash(b"grace's", 10))
        self.assertTrue(self.verify(grace, b"grace's", pooled=True))

    def test_update(self) -> None:
        """After an update, the new users' hashes count, and the decoy follows the majority."""
        erin = User("erin", password_hash=bcrypt.hashpw(b"erin's", bcrypt.gensalt(5)).decode())
        frank = User("frank", password_hash=bcrypt.hashpw(b"frank's", bcrypt.gensalt(5)).decode())
        self.verifier.update([self.alice, erin, frank])
        self.assertEqual(self.verifier.decoy.cost(), ("bcrypt", 5))
        self.assertTrue(self.verify(erin, b"erin's"))
        self.assertFalse(self.verify(None, b"erin's"))

    def test_userNotYetUpdated(self) -> None:
        """A user the verifier has not been given yet is still verified, from its hash."""
        grace = User("grace", password_hash=pbkdf2_hash(b"grace's", 10))
        self.assertTrue(self.verify(grace, b"grace's"))
        self.assertFalse(self.verify(grace, b"grace"))

    def test_badHashFails(self) -> None:
        """A hash that cannot be read fails the Deferred, quoting nothing, and raises nothing."""
        broken = "$pbkdf2-sha256$1000$c2FsdHNhbHQ$broken!hash!text"
        failure = self.failureResultOf(self.verifier.verify(User("h", password_hash=broken), b""))
        failure.trap(ValueError)
        self.assertNotIn("broken!hash", str(failure.value))

    def test_noPassword(self) -> None:
        """A user with neither password nor hash is refused as an unknown login is."""
        self.assertFalse(self.verify(User("nobody"), b""))

    def test_checkHashExported(self) -> None:
        """The configuration's parser is where the agreed interface says."""
        self.assertIs(passwords.check_hash, hashes.check_hash)


class ThreadTests(TestCase):
    """L{PasswordVerifier} with a real thread pool and the real reactor."""

    @inlineCallbacks
    def test_offTheReactorThread(self) -> Deferred[None]:
        """Hashing runs in the pool's threads; the result arrives on the reactor thread."""
        service = VerifierPool(maxthreads=2)
        service.startService()
        self.addCleanup(service.stopService)
        threads: list[threading.Thread] = []
        real = _kdf.Pbkdf2Sha256.verify

        def recording(stored: _kdf.Pbkdf2Sha256, attempt: bytes) -> bool:
            threads.append(threading.current_thread())
            return real(stored, attempt)

        self.patch(_kdf.Pbkdf2Sha256, "verify", recording)
        user = User("alice", password_hash=pbkdf2_hash(b"alice's", 1000))
        verifier = PasswordVerifier(reactor, service.threadpool, [user])
        results = []
        for attempt in (b"alice's", b"wrong"):
            results.append((yield verifier.verify(user, attempt)))
            self.assertIs(threading.current_thread(), threading.main_thread())
        self.assertEqual(results, [True, False])
        self.assertEqual(len(threads), 2)
        for thread in threads:
            self.assertIsNot(thread, threading.main_thread())
            self.assertIn("ftps3-passwords", thread.name)


class VerifierPoolTests(SynchronousTestCase):
    """L{VerifierPool} starts and stops its bounded pool with the service tree."""

    def test_interface(self) -> None:
        """It is an L{IService}."""
        self.assertTrue(verifyObject(IService, VerifierPool()))

    def test_bounded(self) -> None:
        """By default it has at most four threads, and no more than the cores."""
        pool = VerifierPool().threadpool
        self.assertEqual(pool.max, default_threads())
        self.assertTrue(1 <= pool.max <= 4)
        self.assertEqual(pool.min, 0)
        self.assertEqual(VerifierPool(maxthreads=7).threadpool.max, 7)

    def test_startStop(self) -> None:
        """Starting the service starts the pool; stopping it joins the threads."""
        service = VerifierPool(maxthreads=1)
        self.assertFalse(service.threadpool.started)
        service.startService()
        self.assertTrue(service.threadpool.started)
        done = threading.Event()
        service.threadpool.callInThread(done.set)
        service.stopService()
        self.assertTrue(done.is_set())
        self.assertFalse(service.threadpool.started)
        self.assertFalse(service.running)

    def test_stopTwice(self) -> None:
        """
        Stopping it again does nothing: a MultiService stops every child
        each time it is stopped, and a thread pool can stop only once.
        """
        service = VerifierPool(maxthreads=1)
        service.startService()
        service.stopService()
        service.stopService()
        self.assertFalse(service.running)
