# -*- test-case-name: tests.test_shell_permissions -*-
"""
What one user may do where: the checks the shell makes before it asks the
bucket for a change, and what listings say about each entry.

The rules (the names are L{twisted_ftps3.permissions}'): an action on an
entry asks the directory that holds it; listing a directory asks that
directory. RMD and a directory's rename move or remove a whole tree, so
they ask, for every entry of the tree, what removing or moving that entry
alone would. A directory the permissions name (or one that holds such a
directory) always exists for the user, so it cannot be removed or renamed.

Every refusal is a L{NotPermitted} whose text names the FTP path and the
permission missing, never a key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from twisted.python import filepath

from ..permissions import (
    DELETE,
    DOWNLOAD,
    LIST,
    MKDIR,
    OVERWRITE,
    RENAME,
    RMDIR,
    UPLOAD,
    Permissions,
)
from ..replies import NotPermitted, display_path

Segments = Sequence[str]
#: An entry of a tree: its path, and whether it is a directory.
Entry = tuple[Segments, bool]


@dataclass(frozen=True)
class Access:
    """
    What a listing says the user may do with one entry.

    @ivar mode: the C{ls -l} mode bits of LIST.
    @ivar perm: the RFC 3659 C{perm} fact of MLSD and MLST.
    """

    mode: filepath.Permissions
    perm: str


#: What a user who may do everything everywhere sees: the same as before
#: there were permissions, so unrestricted listings have not changed.
FULL_FILE = Access(filepath.Permissions(0o644), "rwfd")
FULL_DIRECTORY = Access(filepath.Permissions(0o755), "elcmfdp")
_READ_BITS = 0o444
_SEARCH_BITS = 0o111
_OWNER_WRITE = 0o200


def _letters(flags: Iterable[tuple[str, bool]]) -> str:
    return "".join(letter for letter, granted in flags if granted)


def tree_directories(top: Segments, entries: Iterable[Entry]) -> set[tuple[str, ...]]:
    """
    Every directory strictly inside C{top} that C{entries} (paths inside
    C{top}) show: each directory entry, and each directory on the way to
    an entry, marker or not.
    """
    depth = len(top)
    found: set[tuple[str, ...]] = set()
    for path, is_directory in entries:
        end = len(path) if is_directory else len(path) - 1
        found.update(tuple(path[:k]) for k in range(depth + 1, end + 1))
    return found


class Policy:
    """One user's L{Permissions}, as the checks and the listings of their shell."""

    def __init__(self, permissions: Permissions) -> None:
        self.permissions = permissions
        # Named directories can never be removed or renamed, even by a user
        # granted everything, so only without them is nothing to check.
        self._unrestricted = permissions.unrestricted and not permissions.named_directories

    # -- the primitives -------------------------------------------------------

    def _may(self, permission: str, directory: Segments) -> bool:
        return self._unrestricted or self.permissions.allows(permission, directory)

    def _require(self, action: str, path: Segments, permission: str, directory: Segments) -> None:
        if not self._may(permission, directory):
            raise NotPermitted(
                f"{display_path(path)}: {action} is not permitted: "
                f"the {permission!r} permission is missing in {display_path(directory)}."
            )

    def protected(self, path: Segments) -> bool:
        """Whether C{path} exists because the permissions name it or a directory below it."""
        return bool(path) and self.permissions.implies_directory(path)

    def _refuse_protected(self, action: str, path: Segments) -> None:
        if self.protected(path):
            raise NotPermitted(
                f"{display_path(path)}: {action} is not permitted: this directory is named "
                "in the user's permissions, or holds one that is, so it always exists."
            )

    # -- reading ----------------------------------------------------------------

    def listing(self, path: Segments) -> None:
        """LIST, NLST, MLSD of the directory C{path}: C{list} in it."""
        self._require("listing", path, LIST, path)

    def looking(self, path: Segments) -> None:
        """
        SIZE, MDTM, MLST, STAT (and LIST of a file) of C{path}: C{list} or
        C{download} where it is, or, for a directory, C{list} in it. The
        root may always be looked at.
        """
        parent = path[:-1]
        if not path or self._may(LIST, parent) or self._may(DOWNLOAD, parent):
            return
        if self._may(LIST, path):
            return
        raise NotPermitted(
            f"{display_path(path)}: looking at it is not permitted: "
            f"the 'list' or 'download' permission is missing in {display_path(parent)}."
        )

    def may_look(self, path: Segments) -> bool:
        """Whether L{looking} or L{listing} could allow C{path}, before it is known which it is."""
        try:
            self.looking(path)
        except NotPermitted:
            return False
        return True

    def reading(self, path: Segments) -> None:
        """RETR of C{path}: C{download} where it is."""
        self._require("downloading", path, DOWNLOAD, path[:-1])

    # -- uploads ------------------------------------------------------------------

    def creating(self, path: Segments) -> None:
        """STOR, APPE of C{path}: C{upload} where it is."""
        self._require("uploading", path, UPLOAD, path[:-1])

    def may_replace(self, path: Segments) -> bool:
        """Whether the file at C{path} may be replaced or added to: C{overwrite} where it is."""
        return self._may(OVERWRITE, path[:-1])

    def replacing(self, path: Segments) -> None:
        """An upload onto the existing file C{path}: C{overwrite} too."""
        self._require("replacing an existing file", path, OVERWRITE, path[:-1])

    # -- changes --------------------------------------------------------------------

    def making_directory(self, path: Segments) -> None:
        """MKD of C{path}: C{mkdir} in its parent."""
        self._require("making a directory", path, MKDIR, path[:-1])

    def removing_file(self, path: Segments) -> None:
        """DELE of C{path}: C{delete} where it is."""
        self._require("deleting", path, DELETE, path[:-1])

    def removing_directory(self, path: Segments) -> None:
        """RMD of C{path}, before its contents are known: C{rmdir} in its parent."""
        self._refuse_protected("removing", path)
        self._require("removing a directory", path, RMDIR, path[:-1])

    def removing_tree(self, top: Segments, entries: Iterable[Entry]) -> None:
        """
        RMD of C{top} holding C{entries}: C{delete} where each file is,
        C{rmdir} in the parent of each directory inside.
        """
        entries = list(entries)
        for path, is_directory in entries:
            if not is_directory:
                self._require("deleting", path, DELETE, path[:-1])
        for directory in sorted(tree_directories(top, entries)):
            self._require("removing a directory", directory, RMDIR, directory[:-1])

    def renaming(self, source: Segments, target: Segments) -> None:
        """
        RNFR C{source} then RNTO C{target}: C{rename} and C{delete} where
        the source is, C{upload} where the target goes.
        """
        self._refuse_protected("renaming", source)
        self._require("renaming", source, RENAME, source[:-1])
        self._require("renaming (moving away)", source, DELETE, source[:-1])
        self._require("renaming (moving in)", target, UPLOAD, target[:-1])

    def moving_tree(self, source: Segments, target: Segments, entries: Iterable[Entry]) -> None:
        """The directory C{source}'s rename to C{target}: L{renaming} for each of its C{entries}."""
        entries = list(entries)
        moved = [path for path, is_directory in entries if not is_directory]
        moved += sorted(tree_directories(source, entries))
        for path in moved:
            self.renaming(path, [*target, *path[len(source) :]])

    # -- what listings show ---------------------------------------------------------

    def file_access(self, directory: Segments) -> Access:
        """What the user may do with a file in C{directory}."""
        if self._unrestricted:
            return FULL_FILE
        granted = self.permissions.at(directory)
        read = DOWNLOAD in granted
        write = UPLOAD in granted and OVERWRITE in granted
        mode = (_READ_BITS if read else 0) | (_OWNER_WRITE if write else 0)
        perm = _letters(
            (
                ("r", read),
                ("w", write),
                ("f", RENAME in granted and DELETE in granted),
                ("d", DELETE in granted),
            )
        )
        return Access(filepath.Permissions(mode), perm)

    def directory_access(self, path: Segments) -> Access:
        """What the user may do with the directory C{path}, and in it."""
        if self._unrestricted:
            return FULL_DIRECTORY
        inside = self.permissions.at(path)
        parent = self.permissions.at(path[:-1])
        movable = not self.permissions.implies_directory(path)
        listed = LIST in inside
        filled = UPLOAD in inside or MKDIR in inside
        mode = (_READ_BITS | _SEARCH_BITS if listed else 0) | (_OWNER_WRITE if filled else 0)
        perm = _letters(
            (
                ("e", True),
                ("l", listed),
                ("c", UPLOAD in inside),
                ("m", MKDIR in inside),
                ("f", movable and RENAME in parent and DELETE in parent),
                ("d", movable and RMDIR in parent),
                ("p", DELETE in inside),
            )
        )
        return Access(filepath.Permissions(mode), perm)
