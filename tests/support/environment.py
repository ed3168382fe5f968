"""
The one builder of server environments for the tests, and the layers it stacks.

Every test that needs a server's environment, whether to load settings from
a dictionary, to start a server in the test's reactor or to run C{twistd} in
a child process, builds it with L{environment} from these layers, so that a
change to what a server needs is made once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import twisted_ftps3

__all__ = [
    "ACCESS_KEY_ID",
    "MINIMAL",
    "PASSWORD",
    "SECRET_KEY",
    "SESSION_TOKEN",
    "SOURCE_ROOT",
    "USER",
    "child_process",
    "environment",
]

USER = "alice"
PASSWORD = "correct horse battery staple"
ACCESS_KEY_ID = "AKIAEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI-secret-key-value"
SESSION_TOKEN = "FwoGZXIvYXdzE-session-token-value"

#: The checkout (or installation) the package is imported from.
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(twisted_ftps3.__file__)))

#: The smallest environment that loads: no file, no network.
MINIMAL: Mapping[str, str] = {
    "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
    "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    "AWS_S3_BUCKET_REGION": "eu-west-2",
    "AWS_S3_BUCKET_HOST": "s3.eu-west-2.amazonaws.com",
    "AWS_S3_BUCKET_NAME": "my-bucket",
    "FTP_USERS__1__LOGIN": USER,
    "FTP_USERS__1__PASSWORD": PASSWORD,
    "HOME": "/home/ftp",
}


def environment(*layers: Mapping[str, str | None], **overrides: str | None) -> dict[str, str]:
    """
    The C{layers}, then C{overrides}, laid over each other: a later value
    wins, and C{None} removes the variable.
    """
    result: dict[str, str] = {}
    for layer in (*layers, overrides):
        for name, value in layer.items():
            if value is None:
                result.pop(name, None)
            else:
                result[name] = value
    return result


def child_process() -> dict[str, str]:
    """
    What a child process (C{twistd}, the quick start) needs beside its
    settings: a C{PATH}, this package on C{PYTHONPATH}, and a C{HOME}.
    """
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": SOURCE_ROOT,
        "HOME": os.environ.get("HOME", "/tmp"),
    }
