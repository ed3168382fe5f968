#!/usr/bin/env python3
"""
Peak memory and time of one large upload, then its download, through twisted-ftps3.

Starts moto's S3 server and ``twistd -n ftps3`` (default settings unless
given in the environment) on 127.0.0.1, uploads a random file of the given
size with curl over implicit FTPS, checks the object's size in S3, and
reports the server process's resident memory before the upload and its peak
(VmHWM from /proc) after. It then downloads the object to /dev/null and reports
the peak again: a download streams, so it should add next to nothing. Several
runs give a median.

    python benchmarks/upload_memory.py --size-mib 1024 --runs 3

Needs: moto[server], boto3, curl; Linux (/proc).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from twisted_ftps3.quickstart import free_port, write_certificate  # noqa: E402

HOST = "127.0.0.1"


def curl(certificate: str, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """curl over implicit FTPS as the benchmark user; fails loudly."""
    return subprocess.run(
        ["curl", "-sS", "--cacert", certificate, "--user", "bench:bench-password", *args, url],
        check=True,
        capture_output=True,
        text=True,
    )


def wait_for(url: str, process: subprocess.Popen[bytes], limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{url} did not come up") from None
            time.sleep(0.2)


def memory_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def make_file(path: str, size: int) -> None:
    block = os.urandom(4 * 1024 * 1024)
    with open(path, "wb") as f:
        written = 0
        while written < size:
            chunk = block[: size - written]
            f.write(chunk)
            written += len(chunk)


def run_once(size: int, directory: str, source: str) -> dict[str, float]:
    s3_port = free_port()
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(s3_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = None
    try:
        endpoint = f"http://{HOST}:{s3_port}"
        wait_for(endpoint + "/moto-api/", moto)
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench-secret",
        )
        s3.create_bucket(Bucket="bench")
        certificate, key = write_certificate(directory)
        env = dict(
            os.environ,
            PYTHONPATH=ROOT,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench-secret",
            AWS_S3_BUCKET_REGION="us-east-1",
            AWS_S3_BUCKET_NAME="bench",
            AWS_ENDPOINT_URL_S3=endpoint,
            FTP_USERS__1__LOGIN="bench",
            FTP_USERS__1__PASSWORD="bench-password",
            FTP_BIND_ADDRESS=HOST,
            FTP_COMMAND_PORT=str(free_port()),
            HEALTHCHECK_PORT=str(free_port()),
            FTP_DATA_PORTS_FIRST=os.environ.get("FTP_DATA_PORTS_FIRST", "47001"),
            FTP_TLS_CERTIFICATE_FILE=certificate,
            FTP_TLS_KEY_FILE=key,
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from twisted.scripts.twistd import run; run()",
                "-n",
                "--pidfile=",
                "--logfile",
                os.path.join(directory, "server.log"),
                "ftps3",
            ],
            env=env,
        )
        wait_for(f"http://{HOST}:{env['HEALTHCHECK_PORT']}/health", server)
        url = f"ftps://{HOST}:{env['FTP_COMMAND_PORT']}/big.bin"
        before = memory_kib(server.pid, "VmRSS")
        started = time.monotonic()
        curl(certificate, url, "-T", source)
        elapsed = time.monotonic() - started
        peak = memory_kib(server.pid, "VmHWM")
        stored = s3.head_object(Bucket="bench", Key="big.bin")["ContentLength"]
        if stored != size:
            raise SystemExit(f"S3 holds {stored} bytes, expected {size}")
        started = time.monotonic()
        download = curl(certificate, url, "-o", "/dev/null", "-w", "%{size_download}")
        download_seconds = time.monotonic() - started
        if int(download.stdout) != size:
            raise SystemExit(f"downloaded {download.stdout} bytes, expected {size}")
        return {
            "before_mib": before / 1024,
            "peak_mib": peak / 1024,
            "seconds": elapsed,
            "download_peak_mib": memory_kib(server.pid, "VmHWM") / 1024,
            "download_seconds": download_seconds,
        }
    finally:
        for process in (server, moto):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mib * 1024 * 1024
    with tempfile.TemporaryDirectory() as directory:
        source = os.path.join(directory, "source.bin")
        make_file(source, size)
        results = []
        for run in range(1, args.runs + 1):
            result = run_once(size, directory, source)
            results.append(result)
            print(
                f"run {run}: RSS before {result['before_mib']:.1f} MiB, "
                f"peak {result['peak_mib']:.1f} MiB, {result['seconds']:.2f} s "
                f"({args.size_mib / result['seconds']:.0f} MiB/s); download "
                f"{result['download_seconds']:.2f} s, peak after it "
                f"{result['download_peak_mib']:.1f} MiB",
                flush=True,
            )
    print(
        f"median of {args.runs}: peak RSS "
        f"{statistics.median(r['peak_mib'] for r in results):.1f} MiB, upload "
        f"{statistics.median(r['seconds'] for r in results):.2f} s for {args.size_mib} MiB; "
        f"peak after download {statistics.median(r['download_peak_mib'] for r in results):.1f}"
        f" MiB, download {statistics.median(r['download_seconds'] for r in results):.2f} s"
    )


if __name__ == "__main__":
    main()
