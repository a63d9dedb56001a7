"""The ``denen-gis`` command line: a thin layer over the Python API.

Exit codes: 0 success; 1 internal error; 2 bad input or usage (one line on
stderr, no traceback); 3 a target that cannot be met (with the shortfall
table); 130 interrupted (Ctrl-C); 143 terminated (SIGTERM).
See docs/cli.md for the whole contract.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import logging
import os
import re
import sys
import threading
import traceback
from collections.abc import Sequence

import typer

from denen_gis._signals import SIGNALS, exit_stopped, install, stop_cleanup
from denen_gis.cli._common import OutputClosed, err_console, print_text
from denen_gis.cli._groups import optimize_app
from denen_gis.errors import DenenError, InfeasibleError

__all__ = ["app", "main"]

app = typer.Typer(
    name="denen-gis",
    help=(
        "Plan Japan's regional digital infrastructure: 5G coverage, data centres and the "
        "Sea of Japan cable, on the embedded national dataset or your own files."
    ),
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Each command module defines register(app); listed here so the app stays thin.
_COMMAND_MODULES = ("data", "coverage", "fiveg", "infra", "plan", "explore")


def _version(value: bool) -> None:
    if value:
        from denen_gis import __version__

        print_text(f"denen-gis {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if ctx.invoked_subcommand is None and not ctx.resilient_parsing:  # `denen-gis` alone
        print_text(ctx.get_help())
        raise typer.Exit


for _name in _COMMAND_MODULES:
    importlib.import_module(f"denen_gis.cli.{_name}").register(app)
app.add_typer(optimize_app, name="optimize")


def _show_infeasible(exc: InfeasibleError) -> None:
    err_console.print(f"denen-gis: target cannot be met: {exc}")
    table = exc.shortfall
    if table is not None:
        try:
            err_console.print(table.to_string())
        except AttributeError:
            err_console.print(str(table))


def _invoke(args: list[str]) -> object:
    return app(args=args, prog_name="denen-gis", standalone_mode=False)


def _stopped(exc: BaseException) -> int:
    """Stop new writes, remove temporaries, say why in one line; the exit code.

    For a KeyboardInterrupt in a command run without the signal handlers
    (``main(argv)`` from Python, or a C library that reset the disposition).
    """
    stop_cleanup()
    code, message = SIGNALS["SIGINT"]
    with contextlib.suppress(OSError):
        err_console.print(f"denen-gis: {message}")
        sys.stderr.flush()
    return code


def _run_interruptibly(args: list[str]) -> object:
    """Run the command in a worker thread so that Ctrl-C or SIGTERM stops it at once.

    A solver inside OR-Tools does not return to Python until it finishes, so
    a KeyboardInterrupt would wait for it; here the main thread only waits and
    gets the signal at once and :mod:`denen_gis._signals` stops new writes,
    removes the temporary files of writes in progress (outputs are written
    atomically, so nothing half-written is left) and exits with 130 (SIGINT) or
    143 (SIGTERM) without waiting for the worker.
    """
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = _invoke(args)
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="denen-gis-command", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            install()
            worker.join(0.1)
    except KeyboardInterrupt:
        exit_stopped("SIGINT")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome.get("value")


def _is(exc: BaseException, name: str) -> bool:
    """Whether ``exc`` is click's ``name`` exception (typer may vendor its own click)."""
    return any(cls.__name__ == name and "click" in cls.__module__ for cls in type(exc).__mro__)


def _interrupted() -> int:
    err_console.print("denen-gis: interrupted")
    return 130


#: numpy scalar reprs (``np.str_('Hokkaido')``, ``np.int64(3)``) in a message.
_NUMPY_REPR = re.compile(r"np\.(?:str_|bytes_|bool_?|u?int\d*|float\d*|complex\d*)\((.*?)\)")


def _error(message: str) -> int:
    """Print ``denen-gis: error: ...`` as one line on stderr; exit code 2.

    Whitespace (newlines, tabs) becomes single spaces, and numpy scalar reprs
    show as the plain value (``'Hokkaido'``, not ``np.str_('Hokkaido')``).
    """
    line = _NUMPY_REPR.sub(r"\1", " ".join(message.split()))
    line = line.replace("np.True_", "True").replace("np.False_", "False")
    with contextlib.suppress(OSError):
        err_console.print(f"denen-gis: error: {line}", soft_wrap=True)
    return 2


def _usage_error(exc: Exception) -> int:
    ctx = getattr(exc, "ctx", None)
    where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
    text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    return _error(f"{text}{where}")


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so that exit does not complain."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _os_error(exc: OSError) -> int:
    if isinstance(exc, BrokenPipeError):
        _quiet_stdout()
        return 0
    where = exc.filename if exc.filename is not None else "output"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO) and exc.filename is None:
        _quiet_stdout()
    return _error(f"{where}: {exc.strerror or exc}")


def _other_error(exc: Exception) -> int:
    """click's exits and usage errors, else an internal error with its traceback."""
    if _is(exc, "Exit"):
        return int(getattr(exc, "exit_code", 0))
    if _is(exc, "Abort"):
        return _interrupted()
    if _is(exc, "UsageError"):
        return _usage_error(exc)
    if _is(exc, "ClickException"):
        return _error(exc.format_message())  # type: ignore[attr-defined]
    traceback.print_exc()
    err_console.print(
        "denen-gis: internal error (a bug): please report it with the traceback above",
    )
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    interactive = argv is None and threading.current_thread() is threading.main_thread()
    if interactive:
        install()
    try:
        value = _run_interruptibly(args) if interactive else _invoke(args)
    except InfeasibleError as exc:
        _show_infeasible(exc)
        return 3
    except DenenError as exc:
        return _error(str(exc))
    except KeyboardInterrupt as exc:
        return _stopped(exc)
    except OutputClosed:
        _quiet_stdout()
        return 0
    except SystemExit as exc:
        # click prints help and usage text itself; on a closed pipe it exits with 1
        if isinstance(exc.__context__, BrokenPipeError):
            _quiet_stdout()
            return 0
        raise
    except OSError as exc:
        return _os_error(exc)
    except RecursionError:
        return _error("the input is nested too deeply to read")
    except Exception as exc:
        return _other_error(exc)
    if isinstance(value, int) and not isinstance(value, bool) and value != 0:
        return _interrupted() if value == 130 else value
    return 0
