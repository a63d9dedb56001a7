"""Temporaries of writes in progress, output swaps, and where an output really goes.

Standard library only: the CLI's signal handler (:mod:`denen_gis._signals`)
calls :func:`stop_writes` and :func:`remove_temporaries` from the main thread
while a command's worker thread may be writing, so

- a temporary is registered under a lock that also checks whether the run is
  stopping (no write starts after the cleanup);
- an output swap (old output moved aside, new one moved in, old one removed)
  is recorded, and each rename happens under the same lock, so the cleanup
  never runs in the middle of a rename: it finishes the swap when every new
  item is already in place and rolls it back otherwise (the old output
  restored). Either the complete old or the complete new output is left, and
  no ``.old-*`` or temporary item.

:func:`output_target` is the one place that says which file or folder an
output path names: symbolic links and ``..`` are resolved the way
:func:`os.path.realpath` does, so a link's target is what is checked,
protected and replaced (the link itself stays) and ``sub/../x`` is ``x``
(no folder ``sub`` is created).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

__all__ = [
    "output_target",
    "remove_temporaries",
    "stop_writes",
    "swap_into_place",
    "track_temporary",
]

# Held for each registration and rename, and by the cleanup (reentrant: a signal
# handler may run in the thread that holds it; the cleanup then looks at the files).
_LOCK = threading.RLock()

#: Temporary files and folders of writes in progress, so that an interrupted
#: run (Ctrl-C in the CLI) can remove them before it exits.
_IN_PROGRESS: set[Path] = set()

#: Set once the run is stopping (Ctrl-C, SIGTERM): no new write may start.
_STOPPING = threading.Event()


def output_target(path: str | os.PathLike[str]) -> Path:
    """The file or folder that writing to ``path`` replaces: ``~``, links and ``..`` resolved.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     output_target(Path(d) / "missing" / ".." / "x") == output_target(Path(d) / "x")
    True
    """
    return Path(os.path.realpath(os.path.expanduser(os.fspath(path))))


#: How long the cleanup waits before it looks again for a removed temporary [s].
_SETTLE_S = 0.05

#: Numbers the doomed names of folders being removed (see :func:`_remove`).
_DOOMED = itertools.count()


def _exists(path: Path) -> bool:
    return os.path.lexists(path)


def _remove(path: Path) -> None:
    """Remove a file or a whole folder, even while another thread writes into the folder.

    A folder is first renamed to a doomed name, so that a writer still at work
    in another thread (GDAL does not stop for a signal) can no longer create
    files under its old path; then it is removed, looking again a few times in
    case a file appeared while ``rmtree`` listed it.
    """
    if path.is_dir() and not path.is_symlink():
        doomed = path.with_name(f"{path.name}.rm-{os.getpid()}-{next(_DOOMED)}")
        try:
            os.rename(path, doomed)
        except OSError:
            doomed = path
        for _ in range(20):
            shutil.rmtree(doomed, ignore_errors=True)
            if not _exists(doomed):
                break
            time.sleep(0.005)
    else:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
            path.unlink()


class _Swap:
    """Items ``new -> path`` replacing the ``path -> old`` items moved aside."""

    def __init__(self, pairs: Iterable[tuple[Path, Path]], olds: Mapping[Path, Path]) -> None:
        self.pairs = list(pairs)
        self.olds = dict(olds)
        # Whether each target existed before the swap: then only once it was
        # moved aside can what stands at its name be the new item.
        self.existed = {path: _exists(path) for _, path in self.pairs}
        self.resolved = False

    def _new_in_place(self, new: Path, path: Path) -> bool:
        if _exists(new) or not _exists(path):
            return False
        old = self.olds.get(path)
        return not self.existed[path] or (old is not None and _exists(old))

    def resolve(self) -> None:
        """Finish the swap if every new item is in place, else roll it back (under _LOCK)."""
        if self.resolved:
            return
        self.resolved = True
        moved_in = not any(_exists(new) for new, _ in self.pairs)
        if moved_in and all(_exists(path) for _, path in self.pairs):
            for old in self.olds.values():
                _remove(old)
            return
        for new, path in self.pairs:
            if self._new_in_place(new, path):
                _remove(path)
        for path, old in self.olds.items():
            if _exists(old) and not _exists(path):
                os.replace(old, path)
        for new, _ in self.pairs:
            _remove(new)


_SWAPS: set[_Swap] = set()


def stop_writes() -> None:
    """Refuse every atomic write from now on (called before :func:`remove_temporaries`)."""
    with _LOCK:
        _STOPPING.set()


def remove_temporaries() -> None:
    """Finish or roll back every swap in progress, then remove every temporary."""
    with _LOCK:
        for swap in list(_SWAPS):
            with contextlib.suppress(OSError):
                swap.resolve()
            _SWAPS.discard(swap)
        removed = list(_IN_PROGRESS)
        for tmp in removed:
            _remove(tmp)
            _IN_PROGRESS.discard(tmp)
    if removed:
        # A writer inside a C library may create a file under a removed name a
        # moment later (it does not stop for the signal): look once more.
        time.sleep(_SETTLE_S)
        for tmp in removed:
            if _exists(tmp):
                _remove(tmp)


def _check_running() -> None:
    if _STOPPING.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def track_temporary(tmp: Path) -> Iterator[Path]:
    """Register ``tmp`` while the block runs, so :func:`remove_temporaries` can delete it.

    Raises
    ------
    KeyboardInterrupt
        When the run is stopping (``tmp`` is removed first).
    """
    with _LOCK:
        if _STOPPING.is_set():
            _remove(tmp)
            raise KeyboardInterrupt
        _IN_PROGRESS.add(tmp)
    try:
        yield tmp
    finally:
        with _LOCK:
            _IN_PROGRESS.discard(tmp)


def swap_into_place(pairs: Iterable[tuple[Path, Path]], olds: Mapping[Path, Path]) -> None:
    """Move each existing ``path`` of ``olds`` aside, each ``new`` of ``pairs`` in, drop the old.

    Parameters
    ----------
    pairs
        ``(new, path)``: the new file or folder and where it goes.
    olds
        ``path -> old``: where an existing item is moved aside (any path that
        exists is moved, also one with no new counterpart, e.g. a stale
        shapefile index). All names on the same file system.

    On any exception (or a stop, see :func:`stop_writes`) the swap is rolled
    back unless every new item is already in place, in which case it is
    finished; the exception is re-raised.
    """
    swap = _Swap(pairs, olds)
    with _LOCK:
        if _STOPPING.is_set():
            swap.resolve()
            raise KeyboardInterrupt
        _SWAPS.add(swap)
    try:
        for path, old in swap.olds.items():
            with _LOCK:
                _check_running()
                if _exists(path):
                    os.replace(path, old)
        for new, path in swap.pairs:
            with _LOCK:
                _check_running()
                os.replace(new, path)
    finally:
        with _LOCK:
            if swap in _SWAPS:
                _SWAPS.discard(swap)
                swap.resolve()
