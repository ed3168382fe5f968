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
import statistics
import subprocess
import tempfile
import time

from harness import BUCKET, ftps3_server, memory_kib, moto_server


def curl(certificate: str, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """curl over implicit FTPS as the benchmark user; fails loudly."""
    return subprocess.run(
        ["curl", "-sS", "--cacert", certificate, "--user", "bench:bench-password", *args, url],
        check=True,
        capture_output=True,
        text=True,
    )


def make_file(path: str, size: int) -> None:
    block = os.urandom(4 * 1024 * 1024)
    with open(path, "wb") as f:
        written = 0
        while written < size:
            chunk = block[: size - written]
            f.write(chunk)
            written += len(chunk)


def run_once(size: int, directory: str, source: str) -> dict[str, float]:
    with (
        moto_server() as s3,
        ftps3_server(
            s3, directory, FTP_USERS__1__LOGIN="bench", FTP_USERS__1__PASSWORD="bench-password"
        ) as server,
    ):
        url = server.url("/big.bin")
        pid = server.process.pid
        before = memory_kib(pid, "VmRSS")
        started = time.monotonic()
        curl(server.certificate, url, "-T", source)
        elapsed = time.monotonic() - started
        peak = memory_kib(pid, "VmHWM")
        stored = s3.client().head_object(Bucket=BUCKET, Key="big.bin")["ContentLength"]
        if stored != size:
            raise SystemExit(f"S3 holds {stored} bytes, expected {size}")
        started = time.monotonic()
        download = curl(server.certificate, url, "-o", "/dev/null", "-w", "%{size_download}")
        download_seconds = time.monotonic() - started
        if int(download.stdout) != size:
            raise SystemExit(f"downloaded {download.stdout} bytes, expected {size}")
        return {
            "before_mib": before / 1024,
            "peak_mib": peak / 1024,
            "seconds": elapsed,
            "download_peak_mib": memory_kib(pid, "VmHWM") / 1024,
            "download_seconds": download_seconds,
        }


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
