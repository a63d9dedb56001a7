"""Output folders that never swallow a user's files.

Every command that writes a folder of results (``plan``, ``coverage``,
``compare``, ``sweep``, ...) checks the folder here *before* any loading or
solving, and replaces it only through :func:`atomic_directory`:

- a folder that denen-gis wrote holds the marker file :data:`MARKER`, and only
  such a folder (or an empty one, or a new one) may be replaced;
  anything else needs ``force=True`` (``--force`` on the command line);
- a folder that holds the scenario file or one of its inputs is never
  replaced, even with ``force``; nor is ``/``, the home folder (or a folder
  that holds it), or a folder that holds the current working folder;
- the name must be a real folder name (not ``.``, ``..`` or empty), outside
  the kernel's virtual file systems, with a writable parent and some free
  space, so that a run fails in a second rather than after a long solve.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from denen_gis.errors import InputError
from denen_gis.io.files import write_error
from denen_gis.io.temporaries import output_target, swap_into_place, track_temporary

__all__ = [
    "MARKER",
    "MIN_FREE_BYTES",
    "atomic_directory",
    "check_output_folder",
    "folder_lock",
]

#: File that marks a folder as a denen-gis output (safe to replace as a whole).
MARKER = ".denen-gis-output"
#: Free space [bytes] an output folder's file system must have before a run starts.
MIN_FREE_BYTES = 20 * 1024 * 1024
# Kernel file systems that never hold user output.
_VIRTUAL_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor or ".")


def _inside(child: Path, folder: Path) -> bool:
    return child == folder or folder in child.parents


def check_output_folder(
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    protect: Iterable[str | os.PathLike[str] | None] = (),
    min_free_bytes: int = MIN_FREE_BYTES,
) -> Path:
    """Check that ``path`` may be (re)written as an output folder; return it resolved.

    Parameters
    ----------
    path
        The output folder.
    force
        Replace a non-empty folder that denen-gis did not write.
    protect
        Files that must survive the run (the scenario file, its inputs): a
        folder that holds any of them is refused, with or without ``force``.
        ``None`` entries are skipped.
    min_free_bytes
        Free space [bytes] needed on the folder's file system.

    Raises
    ------
    InputError
        With one line that names the folder, what is wrong and what to do.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     check_output_folder(Path(d) / "new").name
    'new'
    """
    raw = Path(path)
    if raw.name in ("", ".", ".."):
        msg = f"{str(path)!r}: name the output folder (e.g. maps/plan), not '.', '..' or ''"
        raise InputError(msg)
    target = output_target(raw)
    if any(_inside(target, root) for root in _VIRTUAL_ROOTS):
        msg = f"{path}: is on a kernel file system; choose an output folder on disk"
        raise InputError(msg)
    _check_never_replaced(path, target)
    _check_protected(path, target, protect)
    if target.exists():
        _check_replaceable(path, target, force=force)
    _check_parent(path, target, min_free_bytes)
    return target


def _check_never_replaced(path: str | os.PathLike[str], target: Path) -> None:
    """Refuse ``/``, the home folder and the working folder (or a folder holding one)."""
    hint = "never replaced, even with --force; name an output folder of its own (e.g. maps/plan)"
    if target == Path(target.anchor or "/"):
        msg = f"{path}: is the root folder {target.anchor}, which is {hint}"
        raise InputError(msg)
    home = output_target("~")
    if _inside(home, target):
        what = "is your home folder" if home == target else f"holds your home folder {home}"
        msg = f"{path}: {what}, which is {hint}"
        raise InputError(msg)
    try:
        cwd = output_target(Path.cwd())
    except OSError:  # the working folder was removed: nothing to keep
        return
    if _inside(cwd, target):
        what = "is" if cwd == target else "holds"
        msg = f"{path}: {what} the working folder {cwd}, which is {hint}"
        raise InputError(msg)


def _check_protected(
    path: str | os.PathLike[str], target: Path, protect: Iterable[str | os.PathLike[str] | None]
) -> None:
    for item in protect:
        if item is None:
            continue
        kept = output_target(item)
        if _inside(kept, target):
            msg = (
                f"{path}: holds {kept.name}, an input of this run; "
                "choose an output folder that holds no scenario or input file"
            )
            raise InputError(msg)


def _check_replaceable(path: str | os.PathLike[str], target: Path, *, force: bool) -> None:
    if not target.is_dir():
        msg = f"{path}: exists and is not a folder; remove it or choose another output"
        raise InputError(msg)
    try:
        entries = {p.name for p in target.iterdir()}
    except OSError as exc:
        msg = f"{path}: cannot list the folder ({exc.strerror}); choose another output"
        raise InputError(msg) from None
    if entries and MARKER not in entries and not force:
        msg = (
            f"{path}: holds {len(entries)} file(s) that denen-gis did not write; "
            "choose a new or empty folder, or pass --force to replace it"
        )
        raise InputError(msg)


def _check_parent(path: str | os.PathLike[str], target: Path, min_free_bytes: int) -> None:
    base = _existing_ancestor(target.parent)
    if not base.is_dir():
        msg = f"{path}: {base} is not a folder; choose another output"
        raise InputError(msg)
    if not os.access(base, os.W_OK | os.X_OK):
        msg = f"{path}: the folder {base} is not writable; choose another output"
        raise InputError(msg)
    free = shutil.disk_usage(base).free
    if free < min_free_bytes:
        msg = (
            f"{path}: only {free / 1e6:.1f} MB free on its disk "
            f"(at least {min_free_bytes / 1e6:.0f} MB needed); free some space or choose another"
        )
        raise InputError(msg)


def _renamed(exc: InputError | OSError, tmp: Path, out: Path) -> InputError | OSError:
    """``exc`` with the temporary folder ``tmp`` named as the output folder ``out``.

    The user never sees ``.NAME.tmp-*``: a full disk while writing
    ``TMP/cells.gpkg`` is reported for ``OUT/cells.gpkg``.
    """

    def swap(text: object) -> object:
        return text.replace(str(tmp), str(out)) if isinstance(text, str) else text

    if isinstance(exc, OSError) and exc.errno is not None:
        names = [swap(exc.filename), swap(exc.filename2)]
        if names == [exc.filename, exc.filename2]:
            return exc
        args: list[object] = [exc.errno, exc.strerror, names[0]]
        if names[1] is not None:
            args += [None, names[1]]
        return OSError(*args)  # the errno picks the subclass (FileNotFoundError, ...)
    text = str(exc)
    if str(tmp) not in text:
        return exc
    new = swap(text)
    return InputError(new) if isinstance(exc, InputError) else OSError(new)


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (a directory) while the block runs.

    Concurrent runs that replace outputs in the same parent folder take turns
    for the short rename step, so none sees another's half-done swap.
    """
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextlib.contextmanager
def atomic_directory(
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    protect: Iterable[str | os.PathLike[str] | None] = (),
) -> Iterator[Path]:
    """Yield a fresh empty folder beside ``path``; on success it becomes ``path``.

    ``path`` is first checked with :func:`denen_gis.io.outdir.check_output_folder`
    (a non-empty folder that denen-gis did not write is refused unless
    ``force``; one that holds a ``protect`` file is always refused). The new
    folder gets the :data:`~denen_gis.io.outdir.MARKER` file. On success an
    existing ``path`` is first moved aside, the new folder renamed into place,
    then the old one removed, so readers never see a mixture of old and new
    files; concurrent runs take turns for that step. On an exception the old
    folder stays as it was and the new one is removed. A stop (Ctrl-C,
    SIGTERM) during the swap finishes or rolls it back
    (:func:`denen_gis.io.temporaries.swap_into_place`). ``path`` is resolved
    first (:func:`~denen_gis.io.temporaries.output_target`): through a
    symbolic link the link's target is checked and replaced, and the link stays.
    """
    shown = Path(path)  # what the user wrote, for messages
    path = check_output_folder(path, force=force, protect=protect)  # links and '..' resolved
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"{path}: cannot create the folder {path.parent} ({exc.strerror})"
        raise InputError(msg) from None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    except OSError as exc:
        raise write_error(path, exc) from None
    # mkdtemp makes the folder private (0700); an output folder gets the usual mode.
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    with track_temporary(tmp):
        try:
            (tmp / MARKER).write_text("written by denen-gis; the folder is replaced as a whole\n")
            yield tmp
        except (InputError, OSError) as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            renamed = _renamed(exc, tmp, shown)
            if renamed is exc:
                raise
            raise renamed from exc
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        with folder_lock(path.parent):
            try:
                # Checked again: another program may have filled the folder during the run.
                check_output_folder(path, force=force, protect=protect, min_free_bytes=0)
            except InputError:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            old = path.with_name(f".{path.name}.old-{uuid.uuid4().hex[:8]}")
            swap_into_place([(tmp, path)], {path: old})
