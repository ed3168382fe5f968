"""
The server as an operator starts it: C{twistd ftps3} in its own process,
and the quick start.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from typing import Any

from twisted.internet.threads import deferToThread
from twisted.trial.unittest import SkipTest, TestCase

import twisted_ftps3
from twisted_ftps3.config import VARIABLES
from twisted_ftps3.listen import host_has_ipv6

from .support.clients import ImplicitFTPS
from .support.s3server import s3_server
from .support.server import environment, free_port, free_port_range

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(twisted_ftps3.__file__)))
TWISTD = [sys.executable, "-c", "from twisted.scripts.twistd import run; run()"]


def _env(**settings: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": SOURCE_ROOT,
        "HOME": os.environ.get("HOME", "/tmp"),
    }
    env.update(settings)
    return env


def _twistd(environ: dict[str, str], *args: str, timeout: float = 60) -> Any:
    return subprocess.run(
        [*TWISTD, *args], env=environ, capture_output=True, timeout=timeout, text=True
    )


class ConfigurationErrorTests(TestCase):
    """A bad setting stops start-up with one line naming it."""

    def setUp(self) -> None:
        self.good = environment(s3_server(), "bucket-name", os.path.abspath(self.mktemp()))

    def _fails_on(self, variable: str, **changes: str) -> Any:
        environ = _env(**{**self.good, **changes})

        def check() -> None:
            result = _twistd(environ, "-n", "--pidfile=", "ftps3")
            self.assertEqual(result.returncode, 1, result.stderr)
            lines = result.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, result.stderr)
            self.assertIn(variable, lines[0])
            self.assertNotIn("Traceback", result.stderr + result.stdout)

        return deferToThread(check)

    def test_bad_cidr(self) -> Any:
        """A CIDR that does not parse is named."""
        return self._fails_on(
            "FTP_DATA_CIDR_TO_DOMAINS__1__CIDR",
            FTP_DATA_CIDR_TO_DOMAINS__1__CIDR="10.0.0/33",
            FTP_DATA_CIDR_TO_DOMAINS__1__DOMAIN="ftp.example.com",
        )

    def test_port_out_of_range(self) -> Any:
        """A port above 65535 is named."""
        return self._fails_on("FTP_COMMAND_PORT", FTP_COMMAND_PORT="70000")

    def test_range_overlaps_command_port(self) -> Any:
        """A passive range holding the command port is refused."""
        return self._fails_on(
            "FTP_DATA_PORTS_FIRST",
            FTP_COMMAND_PORT="5000",
            FTP_DATA_PORTS_FIRST="4990",
            FTP_DATA_PORTS_COUNT="20",
        )

    def test_missing_bucket(self) -> Any:
        """A missing required setting is named."""
        return self._fails_on("AWS_S3_BUCKET_NAME", AWS_S3_BUCKET_NAME="")

    def test_missing_certificate(self) -> Any:
        """A certificate file that is not there is named."""
        return self._fails_on(
            "FTP_TLS_CERTIFICATE_FILE", FTP_TLS_CERTIFICATE_FILE="/nonexistent.crt"
        )

    def test_container_role_without_endpoint(self) -> Any:
        """ecs_role outside a container names the variables it needs, in one line."""
        return self._fails_on(
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", AWS_AUTH_MECHANISM="ecs_role"
        )

    def test_option_overrides_environment(self) -> Any:
        """A twistd option overrides its variable, and is checked like it."""
        environ = _env(**self.good)

        def check() -> None:
            result = _twistd(environ, "-n", "--pidfile=", "ftps3", "--ftp-command-port=0")
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn("FTP_COMMAND_PORT", result.stderr)

        return deferToThread(check)

    def test_help_documents_every_setting(self) -> Any:
        """C{twistd ftps3 --help} names every variable."""

        def check() -> None:
            result = _twistd(_env(), "ftps3", "--help")
            self.assertEqual(result.returncode, 0, result.stderr)
            text = re.sub(r"\s+", " ", result.stdout)
            for variable in VARIABLES:
                self.assertIn(variable.name, text)
            self.assertIn("--ftp-user", text)

        return deferToThread(check)


def _serving(environ: dict[str, str]) -> subprocess.Popen[bytes]:
    """C{twistd -n ftps3} started in its own process, its output in one pipe."""
    return subprocess.Popen(
        [*TWISTD, "-n", "--pidfile=", "ftps3"],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_for_health(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read() == b"OK\n":
                    return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise
        time.sleep(0.2)


class TwistdTests(TestCase):
    """C{twistd -n ftps3} serves, and stops on SIGTERM."""

    def test_every_address_of_both_families(self) -> Any:
        """
        Without FTP_BIND_ADDRESS the server listens on every IPv4 and every
        IPv6 address: the health check and the FTP port answer on 127.0.0.1
        and on ::1 alike. (It listens on every interface for the length of
        the test; the test itself connects over loopback only.)
        """
        if not host_has_ipv6():
            raise SkipTest("this host has no IPv6, so the server listens on IPv4 alone")
        s3 = s3_server()
        bucket = s3.create_bucket("families")
        directory = os.path.abspath(self.mktemp())
        environ = _env(**environment(s3, bucket, directory))
        del environ["FTP_BIND_ADDRESS"]
        health = environ["HEALTHCHECK_PORT"]

        def run() -> None:
            process = _serving(environ)
            try:
                _wait_for_health(f"http://127.0.0.1:{health}/health", process)
                _wait_for_health(f"http://[::1]:{health}/health", process)
                for host in ("127.0.0.1", "::1"):
                    ftp = ImplicitFTPS(cafile=environ["FTP_TLS_CERTIFICATE_FILE"], timeout=10)
                    greeting = ftp.connect(host, int(environ["FTP_COMMAND_PORT"]))
                    ftp.close()
                    self.assertTrue(greeting.startswith("220"), greeting)
            finally:
                process.terminate()
                process.communicate(timeout=30)

        return deferToThread(run)

    def test_serves_health_and_stops(self) -> Any:
        """The dropin starts the server; SIGTERM stops it cleanly; no secret is logged."""
        s3 = s3_server()
        bucket = s3.create_bucket("twistd")
        environ = _env(**environment(s3, bucket, os.path.abspath(self.mktemp())))
        url = f"http://127.0.0.1:{environ['HEALTHCHECK_PORT']}/health"

        def run() -> None:
            process = _serving(environ)
            try:
                _wait_for_health(url, process)
                process.send_signal(signal.SIGTERM)
                output, _ = process.communicate(timeout=30)
                # twistd re-raises the signal it stopped for, to exit as killed by it.
                self.assertIn(process.returncode, (0, -signal.SIGTERM), output)
                self.assertIn(b"Server Shut Down.", output)
                self.assertNotIn(environ["FTP_USERS__1__PASSWORD"].encode(), output)
                self.assertNotIn(environ["AWS_SECRET_ACCESS_KEY"].encode(), output)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()

        return deferToThread(run)


class QuickStartTests(TestCase):
    """The quick start's printed curl commands work as printed, over both TLS modes."""

    def test_printed_commands_work(self) -> Any:
        """The upload, listing and download it prints succeed, and the file comes back."""
        directory = os.path.abspath(self.mktemp())
        os.makedirs(directory)
        environ = _env(
            FTPS3_QUICKSTART_DIR=directory,
            FTP_COMMAND_PORT=str(free_port()),
            FTP_EXPLICIT_COMMAND_PORT=str(free_port()),
            HEALTHCHECK_PORT=str(free_port()),
            FTP_DATA_PORTS_FIRST=str(free_port_range(30)),
        )

        def run() -> None:
            process = subprocess.Popen(
                [sys.executable, "-m", "twisted_ftps3.quickstart"],
                env=environ,
                cwd=directory,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            try:
                printed = []
                for line in process.stdout:
                    printed.append(line)
                    if "Stop with Ctrl-C" in line:
                        break
                text = "".join(printed)
                self.assertIn("in memory", text)
                commands = [
                    line.strip() for line in printed if line.strip().startswith(("echo", "curl"))
                ]
                self.assertEqual(len(commands), 5, text)
                outputs = [
                    subprocess.run(
                        command, shell=True, cwd=directory, capture_output=True, timeout=60
                    )
                    for command in commands
                ]
                for command, output in zip(commands, outputs, strict=True):
                    self.assertEqual(output.returncode, 0, (command, output.stderr))
                self.assertTrue(
                    outputs[2].stdout.rstrip().endswith(b" hello.txt"), outputs[2].stdout
                )
                self.assertEqual(outputs[3].stdout, b"hello\n")
                self.assertEqual(outputs[4].stdout, outputs[2].stdout)
            finally:
                process.send_signal(signal.SIGINT)
                try:
                    process.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.communicate()
            self.assertEqual(process.returncode, 0)

        return deferToThread(run)
