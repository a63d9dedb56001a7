"""SIGINT and SIGTERM: exit 130/143 with one line, from the CLI's first moment.

Standard library only, so that the entry function (:func:`denen_gis.__main__.main`)
installs the handlers before typer, rich and the command modules load: a
signal while they load exits like one during a run. The handler stops new
writes, removes the temporaries of writes in progress and finishes or rolls
back an output folder swap (:mod:`denen_gis.io.temporaries`, if it is loaded:
before that no write can have started), prints ``denen-gis: interrupted`` or
``denen-gis: terminated`` on stderr and exits at once with :func:`os._exit`,
without waiting for the command's worker thread.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from typing import NoReturn

__all__ = ["SIGNALS", "exit_now", "exit_stopped", "install", "stop_cleanup"]

#: Exit code and message for each signal that stops a run.
SIGNALS: dict[str, tuple[int, str]] = {
    "SIGINT": (130, "interrupted"),
    "SIGTERM": (143, "terminated"),
}

# Set by the first signal: a second one while the first is handled is ignored.
_FIRST = threading.Lock()


def stop_cleanup() -> None:
    """Stop new writes and remove the temporaries of writes in progress.

    Does nothing when :mod:`denen_gis.io.temporaries` was never imported (no
    write can have started); never imports anything itself, so it is safe in
    a signal handler during startup.
    """
    temporaries = sys.modules.get("denen_gis.io.temporaries")
    # getattr: the signal may come while that module is still being imported.
    for step in ("stop_writes", "remove_temporaries"):
        function = getattr(temporaries, step, None)
        if function is not None:
            function()


def exit_stopped(name: str) -> None:
    """Clean up, print the one line for signal ``name`` and exit with its code (never returns)."""
    code, message = SIGNALS[name]
    try:
        stop_cleanup()
    finally:
        try:
            os.write(2, f"denen-gis: {message}\n".encode())
        finally:
            os._exit(code)


def _handle(signum: int, _frame: object) -> None:
    if not _FIRST.acquire(blocking=False):
        return  # already stopping
    for name in SIGNALS:
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    exit_stopped(signal.Signals(signum).name)


def install() -> None:
    """Make SIGINT and SIGTERM end the process through :func:`exit_stopped`.

    Call it from the main thread, first thing; the CLI calls it again while a
    command runs, because a C library (OR-Tools' CP-SAT when
    ``catch_sigint_signal`` is on) may reset the disposition behind Python's
    back, after which Ctrl-C would kill the process without cleanup.
    """
    if _FIRST.locked():
        return
    for name in SIGNALS:
        signal.signal(getattr(signal, name), _handle)


def exit_now(code: int) -> NoReturn:
    """Flush stdout and stderr and end the process with ``code``, skipping finalization.

    Python's finalization first puts SIGINT and SIGTERM back to their default
    (death by signal, no message) and then frees every object of the run,
    which takes a noticeable while after a large one; a signal then would kill
    the process silently. The command's files are all written and closed by
    now, so nothing is lost by not finalizing. A flush that fails (``> /dev/full``)
    is one line and exit 2; a closed pipe (``| head``) is not an error.
    """
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            pass
        except (OSError, ValueError) as exc:
            with contextlib.suppress(OSError):
                reason = getattr(exc, "strerror", None) or exc
                os.write(2, f"denen-gis: error: cannot write the output ({reason})\n".encode())
            code = code or 2
    os._exit(code)
