"""Checks of input paths shared by every reader (the lowest layer: stdlib only).

Opening a named pipe (FIFO) for reading blocks until another process writes
to it, and a device or socket is no data file at all; a reader that opens one
would hang or fail obscurely. Each reader refuses them first, in one line, and
so do the checks of an output file (which read an existing file's head).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from denen_gis.errors import InputError

__all__ = ["refuse_special_file"]

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def refuse_special_file(
    path: str | os.PathLike[str], *, key: str = "", hint: str = "give a data file"
) -> None:
    """Raise :class:`InputError` if ``path`` is a pipe, socket or device.

    A path that does not exist, a regular file and a folder pass: the caller
    reports those in its own words.

    Parameters
    ----------
    path
        The input path, as the user gave it (symlinks are followed).
    key
        Where the path was given (``"inputs.population: "``), put before the path.
    hint
        What to do instead, the end of the message.

    Examples
    --------
    >>> refuse_special_file("/dev/null")
    Traceback (most recent call last):
    ...
    denen_gis.errors.InputError: /dev/null: is a character device, not a file; give a data file
    """
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return
    for test, kind in _KINDS:
        if test(mode):
            msg = f"{key}{Path(path)}: is {kind}, not a file; {hint}"
            raise InputError(msg)
