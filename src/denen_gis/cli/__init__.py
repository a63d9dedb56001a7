"""The ``denen-gis`` command line: a thin layer over the Python API.

Exit codes: 0 success; 1 internal error; 2 bad input or usage (one line on
stderr, no traceback); 3 a target that cannot be met (with the shortfall
table); 130 interrupted.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import traceback
from collections.abc import Sequence

import typer

from denen_gis import __version__
from denen_gis.cli._common import err_console
from denen_gis.cli._groups import optimize_app
from denen_gis.errors import DenenError, InfeasibleError

__all__ = ["app", "main"]

app = typer.Typer(
    name="denen-gis",
    help=(
        "Plan Japan's regional digital infrastructure: 5G coverage, data centres and the "
        "Sea of Japan cable, on the embedded national dataset or your own files."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Each command module defines register(app); listed here so the app stays thin.
_COMMAND_MODULES = ("data", "coverage", "fiveg", "infra", "plan", "explore")


def _version(value: bool) -> None:
    if value:
        print(f"denen-gis {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


for _name in _COMMAND_MODULES:
    importlib.import_module(f"denen_gis.cli.{_name}").register(app)
app.add_typer(optimize_app, name="optimize")


def _show_infeasible(exc: InfeasibleError) -> None:
    err_console.print(f"denen-gis: target cannot be met: {exc}", markup=False)
    table = exc.shortfall
    if table is not None:
        try:
            err_console.print(table.to_string(), markup=False)
        except AttributeError:
            err_console.print(str(table), markup=False)


def _invoke(args: list[str]) -> object:
    return app(args=args, prog_name="denen-gis", standalone_mode=False)


def _run_interruptibly(args: list[str]) -> object:
    """Run the command in a worker thread so that Ctrl-C stops it at once.

    A solver inside OR-Tools does not return to Python until it finishes, so
    a KeyboardInterrupt would wait for it; here the main thread only waits and
    gets the interrupt at once, removes the temporary files of writes in
    progress (outputs are written atomically, so nothing half-written is left)
    and exits with 130.
    """
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = _invoke(args)
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="denen-gis-command", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        from denen_gis.io.files import remove_temporaries

        remove_temporaries()
        err_console.print("denen-gis: interrupted", markup=False)
        sys.stderr.flush()
        os._exit(130)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome.get("value")


def _is(exc: BaseException, name: str) -> bool:
    """Whether ``exc`` is click's ``name`` exception (typer may vendor its own click)."""
    return any(cls.__name__ == name and "click" in cls.__module__ for cls in type(exc).__mro__)


def _interrupted() -> int:
    err_console.print("denen-gis: interrupted", markup=False)
    return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    interactive = argv is None and threading.current_thread() is threading.main_thread()
    try:
        value = _run_interruptibly(args) if interactive else _invoke(args)
    except InfeasibleError as exc:
        _show_infeasible(exc)
        return 3
    except DenenError as exc:
        err_console.print(f"denen-gis: error: {exc}", markup=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as exc:
        if _is(exc, "Exit"):
            return int(getattr(exc, "exit_code", 0))
        if _is(exc, "Abort"):
            return _interrupted()
        if _is(exc, "ClickException"):
            exc.show()  # type: ignore[attr-defined]
            return int(getattr(exc, "exit_code", 2))
        traceback.print_exc()
        err_console.print(
            "denen-gis: internal error (a bug): please report it with the traceback above",
            markup=False,
        )
        return 1
    if isinstance(value, int) and not isinstance(value, bool) and value != 0:
        return _interrupted() if value == 130 else value
    return 0
