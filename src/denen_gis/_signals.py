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

__all__ = ["SIGNALS", "exit_stopped", "install", "stop_cleanup"]

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
