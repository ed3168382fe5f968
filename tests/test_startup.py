# -*- test-case-name: tests.test_startup -*-
"""
The server as an operator starts it: the twistd options, C{makeService},
C{twistd ftps3} in its own process, and the quick start.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
from typing import Any

from twisted.internet import defer
from twisted.internet.testing import MemoryReactorClock
from twisted.internet.threads import deferToThread
from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.python import usage
from twisted.trial.unittest import SkipTest, SynchronousTestCase, TestCase
from twisted.web.server import Site

from twisted_ftps3.config import FAMILIES, SETTINGS, load_settings
from twisted_ftps3.lifetime import ABORT_WAIT
from twisted_ftps3.listen import host_has_ipv6
from twisted_ftps3.s3.bounded import STOP_WAIT
from twisted_ftps3.tap import FTPS3Service, Options, build_service, makeService

from .support.clients import ImplicitFTPS, tls_certificate
from .support.environment import MINIMAL, SOURCE_ROOT, child_process, environment
from .support.s3server import s3_server
from .support.server import certified_environment, free_port, free_port_range, loopback_environment
from .support.signals import FakeSignals
from .support.twistd import TWISTD, serving, wait_for_health


def _twistd(environ: dict[str, str], *args: str, timeout: float = 60) -> Any:
    return subprocess.run(
        [*TWISTD, *args], env=environ, capture_output=True, timeout=timeout, text=True
    )


class OptionsTests(SynchronousTestCase):
    """The twistd options, generated from the declared settings."""

    def parse(self, *args: str) -> Options:
        options = Options()
        options.parseOptions(list(args))
        return options

    def test_every_setting_an_option(self) -> None:
        """Every declared setting has an option, documented with its help and its variable."""
        parameters = {option: help for option, _, _, help in Options.optParameters}
        self.assertEqual(set(parameters), {setting.option for setting in SETTINGS})
        for setting in SETTINGS:
            self.assertEqual(parameters[setting.option], f"{setting.help_text} [{setting.name}]")

    def test_option_overrides(self) -> None:
        """A setting's option overrides its variable; unset options leave the rest alone."""
        base = {"FTP_COMMAND_PORT": "21", "HEALTHCHECK_PORT": "80"}
        merged = self.parse("--ftp-command-port", "2121").environ(base)
        self.assertEqual(merged, {"FTP_COMMAND_PORT": "2121", "HEALTHCHECK_PORT": "80"})

    def test_users_replace_family(self) -> None:
        """
        --ftp-user, repeated, replaces every FTP_USERS__i__ variable; the
        password runs from the first colon to the end.
        """
        base = {"FTP_USERS__7__LOGIN": "old", "FTP_USERS__7__PASSWORD": "p", "PATH": "/bin"}
        merged = self.parse("--ftp-user", "alice:a:b", "--ftp-user=bob:").environ(base)
        self.assertEqual(
            merged,
            {
                "PATH": "/bin",
                "FTP_USERS__1__LOGIN": "alice",
                "FTP_USERS__1__PASSWORD": "a:b",
                "FTP_USERS__2__LOGIN": "bob",
                "FTP_USERS__2__PASSWORD": "",
            },
        )

    def test_cidr_to_domains_replace_family(self) -> None:
        """--ftp-data-cidr-to-domain replaces every FTP_DATA_CIDR_TO_DOMAINS__i__ variable."""
        base = {"FTP_DATA_CIDR_TO_DOMAINS__1__CIDR": "0.0.0.0/0"}
        merged = self.parse("--ftp-data-cidr-to-domain", "10.0.0.0/8=ftp.internal").environ(base)
        self.assertEqual(
            merged,
            {
                "FTP_DATA_CIDR_TO_DOMAINS__1__CIDR": "10.0.0.0/8",
                "FTP_DATA_CIDR_TO_DOMAINS__1__DOMAIN": "ftp.internal",
            },
        )

    def test_families_kept_without_options(self) -> None:
        """Without a family's option, its variables stay as they are."""
        base = {"FTP_USERS__7__LOGIN": "old", "FTP_USERS__7__PASSWORD": "p"}
        self.assertEqual(self.parse().environ(base), base)

    def test_family_option_malformed(self) -> None:
        """A family option without its separator is a usage error showing the pattern."""
        for args, message in (
            (("--ftp-user", "alice"), "--ftp-user takes LOGIN:PASSWORD"),
            (
                ("--ftp-data-cidr-to-domain", "10.0.0.0/8"),
                "--ftp-data-cidr-to-domain takes CIDR=DOMAIN",
            ),
        ):
            error = self.assertRaises(usage.UsageError, self.parse, *args)
            self.assertEqual(str(error), message)

    def test_usage_documents_everything(self) -> None:
        """The usage text names every variable, every family's variables and their options."""
        text = " ".join(str(Options()).split())
        for setting in SETTINGS:
            self.assertIn(f"[{setting.name}]", text)
        for family in FAMILIES:
            for pattern in family.patterns:
                self.assertIn(pattern, text)
        self.assertIn(
            "--ftp-user= LOGIN:PASSWORD of a user; repeat for more. Replaces every"
            " FTP_USERS__i__ variable.",
            text,
        )


class MakeServiceTests(SynchronousTestCase):
    """C{makeService}, in this process, over a memory reactor."""

    def setUp(self) -> None:
        certificate, key = tls_certificate(os.path.abspath(self.mktemp()))
        self.environ = environment(
            MINIMAL, FTP_TLS_CERTIFICATE_FILE=certificate, FTP_TLS_KEY_FILE=key
        )
        self.events: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.events.append)

    def warnings(self) -> list[str]:
        return [formatEvent(e) for e in self.events if e.get("log_level") == LogLevel.warn]

    def test_builds(self) -> None:
        """A good environment gives the server, with no warning."""
        service = makeService(Options(), MemoryReactorClock(), self.environ)
        self.assertIsInstance(service, FTPS3Service)
        self.assertEqual(self.warnings(), [])

    def test_retry_patience(self) -> None:
        """The S3 client retries for AWS_S3_RETRY_SECONDS."""
        environ = environment(self.environ, AWS_S3_RETRY_SECONDS="7")
        service = makeService(Options(), MemoryReactorClock(), environ)
        self.assertEqual(service.client._http._retry.patience, 7)

    def test_warns_of_unknown_variables(self) -> None:
        """
        Each variable that looks like a setting but is none is logged as a
        warning naming it and the closest known name, but not its value.
        """
        environ = environment(self.environ, FTP_USER__1__LOGIN="bob", FTP_PASWORD="hunter2")
        makeService(Options(), MemoryReactorClock(), environ)
        warnings = self.warnings()
        self.assertEqual(len(warnings), 2, warnings)
        self.assertIn("FTP_PASWORD", warnings[0])
        self.assertEqual(
            warnings[1],
            "FTP_USER__1__LOGIN is not a setting of this server and is ignored;"
            " the closest known name is FTP_USERS__1__LOGIN",
        )
        self.assertNotIn("hunter2", " ".join(warnings))

    def test_warns_before_refusing(self) -> None:
        """
        The warnings are logged before a bad setting ends the process, which
        it does with one line on stderr and exit status 1.
        """
        stderr = io.StringIO()
        self.patch(sys, "stderr", stderr)
        environ = environment(self.environ, FTP_USERS__1__LOGIN=None, FTP_USERS__1__PASSWORD=None)
        environ["FTP_USER__1__LOGIN"] = "bob"
        error = self.assertRaises(SystemExit, makeService, Options(), MemoryReactorClock(), environ)
        self.assertEqual(error.code, 1)
        self.assertEqual(
            stderr.getvalue().splitlines(),
            [
                "twistd ftps3: configuration error: FTP_USERS__1__LOGIN: at least one FTP user"
                " is required; set FTP_USERS__1__LOGIN and FTP_USERS__1__PASSWORD"
            ],
        )
        self.assertEqual(len(self.warnings()), 1)


class StopTests(SynchronousTestCase):
    """Stopping the service tree drains first, over a memory reactor."""

    def setUp(self) -> None:
        environ = certified_environment(
            os.path.abspath(self.mktemp()), FTP_SHUTDOWN_GRACE_SECONDS="25"
        )
        self.reactor = MemoryReactorClock()
        self.signals = FakeSignals()
        self.service = build_service(
            load_settings(environ), self.reactor, environ, install_signals=self.signals
        )
        self.service.startService()
        self.health = [
            child for child in self.service if isinstance(getattr(child, "factory", None), Site)
        ]
        self.transfer: defer.Deferred[None] = defer.Deferred()
        self.service.drain.track(self.transfer)

    def test_drains_first(self) -> None:
        """
        The command ports stop listening at once, while the health check
        (which now says 503) and the rest of the tree still run; once the
        transfer ends the whole tree stops.
        """
        stopped = self.service.stopService()
        self.assertTrue(self.service.drain.draining)
        self.assertFalse(self.service.listeners.running)
        self.assertEqual(len(self.health), 1)
        self.assertTrue(self.health[0].running)
        self.assertNoResult(stopped)
        self.transfer.callback(None)
        self.reactor.advance(0)
        # The clean-up services' S3 calls never finish over a memory reactor:
        # each waits its bound, then the tree is stopped.
        self.reactor.advance(STOP_WAIT)
        self.successResultOf(stopped)
        self.assertFalse(self.health[0].running)
        self.assertFalse(self.service.running)
        self.assertTrue(self.signals.restored)

    def test_grace_over(self) -> None:
        """A transfer still running after the grace holds the stop back ABORT_WAIT more seconds."""
        stopped = self.service.stopService()
        self.reactor.advance(24.9)
        self.assertNoResult(stopped)
        self.reactor.advance(0.1)
        self.assertNoResult(stopped)
        self.reactor.advance(ABORT_WAIT)
        self.reactor.advance(STOP_WAIT)
        self.successResultOf(stopped)
        self.assertFalse(self.service.running)

    def test_second_signal(self) -> None:
        """A second signal ends the drain at once."""
        stopped = self.service.stopService()
        assert self.signals.handler is not None
        self.signals.handler()
        self.reactor.advance(ABORT_WAIT)
        self.reactor.advance(STOP_WAIT)
        self.successResultOf(stopped)


class ConfigurationErrorTests(TestCase):
    """A bad setting stops start-up with one line naming it."""

    def setUp(self) -> None:
        self.good = loopback_environment(s3_server(), "bucket-name", os.path.abspath(self.mktemp()))

    def _fails_on(self, variable: str, **changes: str) -> Any:
        environ = environment(child_process(), self.good, changes)

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
        environ = environment(child_process(), self.good)

        def check() -> None:
            result = _twistd(environ, "-n", "--pidfile=", "ftps3", "--ftp-command-port=0")
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn("FTP_COMMAND_PORT", result.stderr)

        return deferToThread(check)

    def test_help_documents_every_setting(self) -> Any:
        """C{twistd ftps3 --help} names every variable."""

        def check() -> None:
            result = _twistd(child_process(), "ftps3", "--help")
            self.assertEqual(result.returncode, 0, result.stderr)
            text = re.sub(r"\s+", " ", result.stdout)
            for setting in SETTINGS:
                self.assertIn(setting.name, text)
            for family in FAMILIES:
                for pattern in family.patterns:
                    self.assertIn(pattern, text)
            self.assertIn("--ftp-user", text)
            self.assertIn("--ftp-data-cidr-to-domain", text)

        return deferToThread(check)


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
        environ = environment(
            child_process(), loopback_environment(s3, bucket, directory), FTP_BIND_ADDRESS=None
        )
        health = environ["HEALTHCHECK_PORT"]

        def run() -> None:
            process = serving(environ)
            try:
                wait_for_health(f"http://127.0.0.1:{health}/health", process)
                wait_for_health(f"http://[::1]:{health}/health", process)
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
        environ = environment(
            child_process(),
            loopback_environment(s3, bucket, os.path.abspath(self.mktemp())),
            # A typo, which the server warns about in its log and otherwise ignores.
            FTP_USER__1__LOGIN="bob",
        )
        url = f"http://127.0.0.1:{environ['HEALTHCHECK_PORT']}/health"

        def run() -> None:
            process = serving(environ)
            try:
                wait_for_health(url, process)
                process.send_signal(signal.SIGTERM)
                output, _ = process.communicate(timeout=30)
                # twistd re-raises the signal it stopped for, to exit as killed by it.
                self.assertIn(process.returncode, (0, -signal.SIGTERM), output)
                self.assertIn(b"Server Shut Down.", output)
                self.assertIn(
                    b"FTP_USER__1__LOGIN is not a setting of this server and is ignored;"
                    b" the closest known name is FTP_USERS__1__LOGIN",
                    output,
                )
                self.assertNotIn(environ["FTP_USERS__1__PASSWORD"].encode(), output)
                self.assertNotIn(environ["AWS_SECRET_ACCESS_KEY"].encode(), output)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()

        return deferToThread(run)


class QuickStartTests(TestCase):
    """
    The quick start's printed curl commands work as printed, over both TLS
    modes; and the README's bank layout works with it as the README says.
    """

    def quickstart_environment(self, **settings: str) -> tuple[str, dict[str, str]]:
        """
        A directory of its own for a quick start, and its environment: ports
        of its own, then C{settings}.
        """
        directory = os.path.abspath(self.mktemp())
        os.makedirs(directory)
        own = {
            "FTPS3_QUICKSTART_DIR": directory,
            "FTP_COMMAND_PORT": str(free_port()),
            "FTP_EXPLICIT_COMMAND_PORT": str(free_port()),
            "HEALTHCHECK_PORT": str(free_port()),
            "FTP_DATA_PORTS_FIRST": str(free_port_range(30)),
        }
        return directory, environment(child_process(), own, **settings)

    def quickstart(self, **settings: str) -> tuple[subprocess.Popen[str], str, str]:
        """
        Start the quick start in a directory of its own, with ports of its own
        and C{settings}; return it, what it printed up to its last line, and
        the directory. It is stopped with SIGINT at the end of the test.
        """
        directory, environ = self.quickstart_environment(**settings)
        process = subprocess.Popen(
            [sys.executable, "-m", "twisted_ftps3.quickstart"],
            env=environ,
            cwd=directory,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.addCleanup(self._stop, process)
        printed = []
        assert process.stdout is not None
        for line in process.stdout:
            printed.append(line)
            if "Stop with Ctrl-C" in line:
                break
        return process, "".join(printed), directory

    def _stop(self, process: subprocess.Popen[str]) -> None:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
        self.assertEqual(process.returncode, 0)

    def test_printed_commands_work(self) -> Any:
        """The upload, listing and download it prints succeed, and the file comes back."""

        def run() -> None:
            _, text, directory = self.quickstart()
            self.assertIn("in memory", text)
            commands = [
                line.strip()
                for line in text.splitlines()
                if line.strip().startswith(("echo", "curl"))
            ]
            self.assertEqual(len(commands), 5, text)
            outputs = [
                subprocess.run(command, shell=True, cwd=directory, capture_output=True, timeout=60)
                for command in commands
            ]
            for command, output in zip(commands, outputs, strict=True):
                self.assertEqual(output.returncode, 0, (command, output.stderr))
            self.assertTrue(outputs[2].stdout.rstrip().endswith(b" hello.txt"), outputs[2].stdout)
            self.assertEqual(outputs[3].stdout, b"hello\n")
            self.assertEqual(outputs[4].stdout, outputs[2].stdout)

        return deferToThread(run)

    def test_refuses_taken_port(self) -> Any:
        """
        With its health port already held, the quick start says which port
        and which setting moves it, and exits without printing how to
        connect.
        """

        def run() -> None:
            holder = socket.socket()
            self.addCleanup(holder.close)
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            port = holder.getsockname()[1]
            directory, environ = self.quickstart_environment(HEALTHCHECK_PORT=str(port))
            done = subprocess.run(
                [sys.executable, "-m", "twisted_ftps3.quickstart"],
                env=environ,
                cwd=directory,
                capture_output=True,
                text=True,
                timeout=120,
            )
            self.assertEqual(
                (done.returncode, f"{port} (HEALTHCHECK_PORT)" in done.stderr, done.stdout),
                (1, True, ""),
                done.stderr,
            )

        return deferToThread(run)

    def test_readme_bank_layout(self) -> Any:
        """
        As the README's "Trying it" says: its users file, with 127.0.0.1
        added to acme's networks, given to the quick start; then its curl
        and lftp commands, run as printed but for the port and the CA file,
        each do what its comment says.
        """
        readme = _readme()
        layout = json.loads(_block(readme, "The usual bank layout", "json"))
        layout["users"][0]["allowed_cidrs"].append("127.0.0.1")
        users_file = os.path.abspath(self.mktemp())
        with open(users_file, "w", encoding="utf-8") as f:
            json.dump(layout, f)
        commands = _block(readme, "Then, with the CA file", "bash").splitlines()

        def run() -> None:
            _, text, directory = self.quickstart(FTP_USERS_FILE=users_file)
            self.assertIn(f"The users of {users_file} may log in too", text)
            port = re.search(r"ftps://127\.0\.0\.1:(\d+)", text)
            assert port is not None
            certificate = os.path.join(directory, "ssl.crt")
            setup, *lines = [
                line.replace(":8021", f":{port.group(1)}").replace(
                    ".quickstart/ssl.crt", certificate
                )
                for line in commands
            ]
            outputs = [
                subprocess.run(
                    ["bash", "-c", f"{setup}\n{line}"],
                    cwd=directory,
                    capture_output=True,
                    timeout=60,
                )
                for line in lines
            ]
            listing, _, upload, again, inbox, operator, lftp = outputs
            self.assertEqual(listing.stdout.split(), [b"inbox", b"outbox"])
            self.assertEqual(upload.returncode, 0, upload.stderr)
            self.assertIn(b"550", again.stderr)
            self.assertIn(b"550", inbox.stderr)
            self.assertTrue(operator.stdout.rstrip().endswith(b" pay.xml"), operator.stdout)
            self.assertEqual(lftp.returncode, 0, lftp.stderr)
            self.assertEqual(lftp.stdout.split(), [b"/inbox/", b"/outbox/"])

        return deferToThread(run)


def _readme() -> str:
    with open(os.path.join(SOURCE_ROOT, "README.md"), encoding="utf-8") as f:
        return f.read()


def _block(text: str, after: str, language: str) -> str:
    """The first fenced block of C{language} after the words C{after}."""
    start = text.index("```" + language + "\n", text.index(after)) + len(language) + 4
    return text[start : text.index("```", start)]
