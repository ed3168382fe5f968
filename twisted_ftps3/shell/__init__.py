# -*- test-case-name: tests.test_shell,tests.test_shell_contract,tests.test_shell_errors -*-
"""
The FTP user's file system over an object store, and the one place where
the store's failures become FTP replies.

  - L{ftpshell}: L{S3Shell}, Twisted's C{IFTPShell} over an L{IObjectStore};
  - L{transfers}: L{S3ReadFile} and L{S3WriteFile}, the L{IDownload} and
    L{IUpload} the protocol drives a transfer through;
  - L{tree}: what is in a user's tree (files, and directories marked,
    implied by their contents, or named in the user's permissions);
  - L{policy}: what the user's permissions allow, checked before every
    change and shown in listings;
  - L{errors}: S3 errors and refused names as C{ftp.FTPCmdError}s;
  - L{attributes}: what C{stat} and C{list} report;
  - L{factory}: L{ShellFactory}, a user's shell at their home, at login.

Nothing above this package sees an S3 error.
"""

from .factory import ShellFactory
from .ftpshell import S3Shell
from .transfers import S3ReadFile, S3WriteFile

__all__ = ["S3ReadFile", "S3Shell", "S3WriteFile", "ShellFactory"]
