"""
Tests for L{twisted_ftps3.hashpassword}, the C{ftps3-hash-password} command:
run as a program with a pipe and with a terminal, and in process.
"""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import argon2
from twisted.trial.unittest import SkipTest, SynchronousTestCase

from twisted_ftps3.hashes import NEW_SCHEMES, parse_hash
from twisted_ftps3.hashpassword import main

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "twisted_ftps3.hashpassword"]

# Run in a new session (start_new_session), the command takes the terminal on
# its standard input as its controlling one, as programs run from a login
# shell have it, so that getpass takes the path it takes for an operator:
# prompting on /dev/tty and turning its echo off.
IN_TERMINAL = [
    sys.executable,
    "-c",
    "import fcntl, runpy, sys, termios;"
    " fcntl.ioctl(0, termios.TIOCSCTTY, 0);"
    " sys.argv = ['ftps3-hash-password'] + sys.argv[1:];"
    " runpy.run_module('twisted_ftps3.hashpassword', run_name='__main__')",
]


def piped(text: str, *arguments: str, command: list[str] = COMMAND) -> subprocess.CompletedProcess:
    """Run the command with C{text} on a pipe as its standard input."""
    return subprocess.run(
        [*command, *arguments], input=text, capture_output=True, text=True, cwd=ROOT, timeout=60
    )


class PipeTests(SynchronousTestCase):
    """The command reading one line from a pipe."""

    def assertHashOf(self, password: bytes, result: subprocess.CompletedProcess) -> str:
        """The command printed one line, a hash of C{password}, and nothing else."""
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        hashed, newline, rest = result.stdout.partition("\n")
        self.assertEqual((newline, rest), ("\n", ""))
        parsed = parse_hash(hashed)
        self.assertTrue(parsed.verify(password))
        self.assertFalse(parsed.verify(password + b"\n"))
        return hashed

    def test_defaultArgon2id(self) -> None:
        """By default the hash is argon2id, with argon2-cffi's parameters."""
        hashed = self.assertHashOf(b"correct horse", piped("correct horse\n"))
        defaults = argon2.PasswordHasher()
        parameters = argon2.extract_parameters(hashed)
        self.assertEqual(parameters.type, argon2.Type.ID)
        self.assertEqual(
            (parameters.time_cost, parameters.memory_cost, parameters.parallelism),
            (defaults.time_cost, defaults.memory_cost, defaults.parallelism),
        )

    def test_everyScheme(self) -> None:
        """Each scheme's output is a hash that the server's own verifier accepts."""
        prefixes = {
            "argon2id": "$argon2id$v=19$",
            "bcrypt": "$2b$12$",
            "scrypt": "$scrypt$ln=16,r=8,p=1$",
            "pbkdf2-sha256": "$pbkdf2-sha256$600000$",
        }
        self.assertEqual(set(prefixes), set(NEW_SCHEMES))
        for scheme, prefix in prefixes.items():
            hashed = self.assertHashOf(
                "p\N{LATIN SMALL LETTER A WITH DIAERESIS}ss".encode(),
                piped("p\N{LATIN SMALL LETTER A WITH DIAERESIS}ss\n", "--scheme", scheme),
            )
            self.assertTrue(hashed.startswith(prefix), scheme)

    def test_onlyTheLineEnd(self) -> None:
        """Spaces stay part of the password; only the line's end is taken off."""
        self.assertHashOf(b"  two words ", piped("  two words \n"))
        self.assertHashOf(b"windows", piped("windows\r\n"))
        self.assertHashOf(b"no end", piped("no end"))
        self.assertHashOf(b"first", piped("first\nsecond\n"))

    def test_emptyRefused(self) -> None:
        """An empty line, or nothing at all, is refused, and nothing is printed."""
        for text in ("\n", ""):
            result = piped(text)
            self.assertEqual((result.returncode, result.stdout), (1, ""))
            self.assertEqual(result.stderr, "ftps3-hash-password: the password is empty\n")

    def test_consoleScript(self) -> None:
        """The installed C{ftps3-hash-password} script is the same command."""
        script = Path(sys.executable).parent / "ftps3-hash-password"
        if not script.exists():
            raise SkipTest(f"{script} is missing: pip install -e . writes it (setup.py)")
        self.assertHashOf(b"via script", piped("via script\n", command=[str(script)]))


class TerminalTests(SynchronousTestCase):
    """The command asking twice on a terminal (a pseudo-terminal here)."""

    def run_in_terminal(self, *typed: str) -> tuple[int, str, str, list[bool]]:
        """
        Answer each prompt with a line of C{typed}; return the exit status,
        the standard output (a pipe), what the terminal showed, and whether
        echo was on at each prompt.
        """
        leader, follower = pty.openpty()
        process = subprocess.Popen(
            IN_TERMINAL,
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=follower,
            cwd=ROOT,
            start_new_session=True,
        )
        os.close(follower)
        shown, echoes = b"", []
        try:
            for line in typed:
                shown += self.read_until(leader, b": ")
                echoes.append(bool(termios.tcgetattr(leader)[3] & termios.ECHO))
                os.write(leader, line.encode() + b"\n")
            stdout, _ = process.communicate(timeout=60)
            shown += self.read_until(leader, None)
        finally:
            os.close(leader)
            if process.poll() is None:
                process.kill()
                process.wait()
        return process.returncode, stdout.decode(), shown.decode(), echoes

    def read_until(self, fd: int, end: bytes | None) -> bytes:
        """What the terminal shows until it shows C{end}, or until it closes."""
        seen, deadline = b"", time.monotonic() + 30
        while end is None or not seen.endswith(end):
            ready, _, _ = select.select([fd], [], [], max(0, deadline - time.monotonic()))
            if not ready:
                self.fail(f"the terminal showed only {seen!r}")
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # EIO: the command has exited and closed the terminal
                chunk = b""
            if not chunk:
                if end is None:
                    return seen
                self.fail(f"the terminal closed after {seen!r}")
            seen += chunk
        return seen

    def test_askedTwiceWithoutEcho(self) -> None:
        """Two prompts, echo off at both, the password never shown, the hash printed."""
        status, stdout, shown, echoes = self.run_in_terminal("hunter2 hunter2", "hunter2 hunter2")
        self.assertEqual(status, 0, shown)
        self.assertEqual(echoes, [False, False])
        self.assertIn("Password: ", shown)
        self.assertIn("Password again: ", shown)
        self.assertNotIn("hunter2", shown)
        hashed, _, rest = stdout.partition("\n")
        self.assertEqual(rest, "")
        self.assertTrue(hashed.startswith("$argon2id$"))
        self.assertTrue(parse_hash(hashed).verify(b"hunter2 hunter2"))

    def test_mismatchRefused(self) -> None:
        """Two different answers: refused, and nothing printed on standard output."""
        status, stdout, shown, _ = self.run_in_terminal("hunter2", "hunter3")
        self.assertEqual((status, stdout), (1, ""))
        self.assertIn("the two passwords differ", shown)
        self.assertNotIn("hunter", shown)


class MainTests(SynchronousTestCase):
    """L{main} called in process, with its streams given."""

    def run_main(self, text: str, *argv: str) -> tuple[int, str, str]:
        stdout, stderr = io.StringIO(), io.StringIO()
        status = main(list(argv), stdin=io.StringIO(text), stdout=stdout, stderr=stderr)
        return status, stdout.getvalue(), stderr.getvalue()

    def test_hash(self) -> None:
        """A line in gives its hash out."""
        status, stdout, stderr = self.run_main("pw\n", "--scheme", "pbkdf2-sha256")
        self.assertEqual((status, stderr), (0, ""))
        self.assertTrue(parse_hash(stdout.strip()).verify(b"pw"))

    def test_bcryptTooLong(self) -> None:
        """A password bcrypt would cut is refused rather than hashed in part."""
        status, stdout, stderr = self.run_main("x" * 73 + "\n", "--scheme", "bcrypt")
        self.assertEqual((status, stdout), (1, ""))
        self.assertIn("bcrypt reads only the first 72 bytes", stderr)
        self.assertNotIn("x" * 10, stderr)
        self.assertEqual(self.run_main("x" * 72 + "\n", "--scheme", "bcrypt")[0], 0)

    def test_unknownScheme(self) -> None:
        """An unknown scheme is a usage error, naming the schemes."""
        stderr = io.StringIO()
        self.patch(sys, "stderr", stderr)
        error = self.assertRaises(SystemExit, self.run_main, "pw\n", "--scheme", "md5")
        self.assertEqual(error.code, 2)
        self.assertIn("argon2id", stderr.getvalue())
