# -*- test-case-name: tests.test_hashpassword -*-
"""
C{ftps3-hash-password}: print a hash of a password for C{FTP_USERS__i__PASSWORD_HASH}.

From a terminal it asks twice, without echo, and refuses two that differ;
from a pipe it reads one line, so that a script can run
C{printf '%s\\n' "$pw" | ftps3-hash-password}. It prints the hash alone, so
that its output can be put in a variable or a users file as it stands.
argon2id is the default, with argon2-cffi's parameters; C{--scheme} picks
bcrypt, scrypt or PBKDF2-SHA256 for an operator whose other tools need one
of those.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO

from .hashes import NEW_SCHEMES, new_hash

_PROGRAM = "ftps3-hash-password"


class _Refused(Exception):
    """The password read cannot be hashed; the message says why."""


def _read_password(stdin: TextIO) -> str:
    if stdin.isatty():
        try:
            first = getpass.getpass("Password: ")
            second = getpass.getpass("Password again: ")
        except EOFError:
            raise _Refused("no password given") from None
        if first != second:
            raise _Refused("the two passwords differ")
        password = first
    else:
        # Only the line's end goes: spaces may be part of a password.
        password = stdin.readline().removesuffix("\n").removesuffix("\r")
    if not password:
        raise _Refused("the password is empty")
    return password


def main(
    argv: list[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """
    Run the command; return its exit status (0, or 1 for a refused password).
    """
    parser = argparse.ArgumentParser(
        prog=_PROGRAM,
        description="Print a hash of a password, read from the terminal without echo"
        " or as one line from standard input.",
    )
    parser.add_argument(
        "--scheme", choices=NEW_SCHEMES, default="argon2id", help="the hash (default: argon2id)"
    )
    arguments = parser.parse_args(argv)
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    try:
        password = _read_password(stdin)
        hashed = new_hash(arguments.scheme, password.encode("utf-8"))
    except (_Refused, ValueError) as error:
        print(f"{_PROGRAM}: {error}", file=stderr)
        return 1
    print(hashed, file=stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
