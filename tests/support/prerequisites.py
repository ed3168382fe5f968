"""
Make sure the programs the integration tests drive are installed.

tox runs this before the suite. curl, lftp and htpasswd (which makes bcrypt
hashes the way operators do) come from Debian packages, not Python ones, so
pip cannot bring them: as root on a Debian or Ubuntu machine this installs
them with apt-get; anywhere else it names what to install and fails, rather
than letting dozens of tests fail one by one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

PROGRAMS = {"curl": "curl", "lftp": "lftp", "htpasswd": "apache2-utils"}


def missing() -> list[str]:
    return [package for program, package in PROGRAMS.items() if shutil.which(program) is None]


def main() -> int:
    packages = missing()
    if not packages:
        return 0
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"installing {' '.join(packages)} with apt-get for the integration tests")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
            check=True,
            env=env,
        )
        packages = missing()
    if packages:
        print(
            "the integration tests need these programs on PATH: "
            + " ".join(packages)
            + f" (for example: sudo apt-get install {' '.join(packages)})",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
