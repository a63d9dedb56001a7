"""Helpers shared by the CLI commands: consoles, output and JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from denen_gis._json import to_jsonable

if TYPE_CHECKING:
    from denen_gis.scenario import Scenario

__all__ = [
    "FORCE",
    "FORCE_FILE",
    "MUNICIPALITY_HELP",
    "WORK_LIMIT",
    "OutputClosed",
    "check_out",
    "check_out_file",
    "console",
    "err_console",
    "print_json",
    "print_text",
    "require_command",
    "split_values",
    "to_jsonable",
    "with_municipalities",
]


class OutputClosed(Exception):  # noqa: N818 - an event, not an error of the run
    """The reader of stdout went away (``| head``): the run ends quietly with exit 0.

    Not an OSError on purpose: click turns a broken-pipe OSError into exit 1.
    """


class _Console(Console):
    """A rich console that lets a broken pipe (``| head``) end the run quietly."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise OutputClosed


#: Help text of every command's ``--municipality`` option.
MUNICIPALITY_HELP = (
    "Municipalities by code or Japanese name (e.g. 32203, 松江市, 東京都府中市; "
    "a designated city such as 札幌市 selects its wards); repeat or comma-separate."
)

# Both consoles are literal by construction: user text (a scenario name, a file
# name, a site id) is printed as it is, never read as rich markup (``[bold]``,
# ``[/]``), emoji codes (``:smile:``) or highlighted. Style, where wanted, is
# given as rich Style/Text objects, never as markup in a string.

#: Normal output (tables, summaries).
console = _Console(markup=False, emoji=False, highlight=False)
#: Errors and progress, so that ``--json`` output on stdout stays clean.
err_console = Console(stderr=True, markup=False, emoji=False, highlight=False)


def print_text(text: str) -> None:
    """Print plain text and a newline on stdout, flushed at once.

    A reader that went away (``| head``) raises :class:`OutputClosed`, which
    ends the run quietly with exit 0; any other write error (a full disk) is
    an OSError that the CLI reports in one line with exit 2.
    """
    try:
        print(text, flush=True)
    except BrokenPipeError:
        raise OutputClosed from None


def print_json(value: Any) -> None:
    """Print a value as JSON on stdout (no colour, no wrapping)."""
    print_text(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2))


def require_command(ctx: typer.Context) -> None:
    """Callback of a command group: called without its sub-command, a one-line usage error.

    ``denen-gis optimize`` prints ``denen-gis: error: missing command; one of:
    5g, datacenters, landings (see denen-gis optimize --help)`` with exit 2.
    """
    if ctx.invoked_subcommand is not None or ctx.resilient_parsing:
        return
    group = ctx.command
    names = [
        name
        for name in group.list_commands(ctx)  # type: ignore[attr-defined]
        if not getattr(group.get_command(ctx, name), "hidden", False)  # type: ignore[attr-defined]
    ]
    ctx.fail(f"missing command; one of: {', '.join(names)}")


def split_values(values: list[str] | None) -> list[str]:
    """Values of a repeatable option, each possibly comma-separated, as one flat list."""
    out: list[str] = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


#: ``--force``: replace an output folder that denen-gis did not write.
FORCE = typer.Option(
    False,
    "--force",
    help="Replace a non-empty output folder that denen-gis did not write "
    "(never one holding the scenario or an input).",
)

#: ``--force`` of the commands whose ``--out`` is one file (the maps).
FORCE_FILE = typer.Option(
    False,
    "--force",
    help="Replace an existing --out file that denen-gis did not write (never an input).",
)

#: ``--work-limit`` of the commands that solve the 5G model.
WORK_LIMIT = typer.Option(
    None,
    "--work-limit",
    help="Stop the solvers on work units instead of seconds (about a second each on the "
    "reference machine): the same units, seed and 1 worker give the same plan on any machine. "
    "The time limit stays a safety ceiling.",
)


def check_out(
    out: Path | None,
    *,
    force: bool,
    scenarios: Iterable[Scenario] = (),
    extra: Iterable[Path | None] = (),
) -> None:
    """Check an output folder before any loading or solving (one-line InputError, exit 2).

    The scenario files and every input they name, and ``extra`` files, are
    protected: an output folder that holds one is refused even with ``--force``.
    """
    if out is None:
        return
    from denen_gis.io.outdir import check_output_folder

    protect: list[Path | None] = list(extra)
    for s in scenarios:
        protect.extend(s.input_files())
    check_output_folder(out, force=force, protect=protect)


def check_out_file(
    out: Path, *, force: bool, scenarios: Iterable[Scenario] = (), marker: str = "denen-gis"
) -> None:
    """Check an output *file* (a map page) before any loading or solving.

    Refused: a name that is not a file name, an existing folder, a file that is
    an input of the run, and (unless ``force``) an existing file that does not
    hold ``marker`` in its first 64 kB (so it was not written by denen-gis).
    Checked is the file that the write replaces
    (:func:`denen_gis.io.temporaries.output_target`: a link's target).
    """
    from denen_gis.errors import InputError
    from denen_gis.io.outdir import check_output_folder
    from denen_gis.io.temporaries import output_target
    from denen_gis.paths import refuse_special_file

    # The file that writing replaces: through a link its target, `sub/../x` is x.
    target = output_target(out)
    refuse_special_file(out, hint="choose another output file")  # reading a FIFO's head hangs
    if out.expanduser().name in ("", ".", "..") or target.is_dir():
        msg = f"{out}: is a folder; name the output file (e.g. maps/coverage_map.html)"
        raise InputError(msg)
    for s in scenarios:
        if any(output_target(f) == target for f in s.input_files()):
            msg = f"{out}: is an input of this run; choose another output file"
            raise InputError(msg)
    if target.exists() and not force:
        with target.open("rb") as fh:
            head = fh.read(65536)
        if marker.encode() not in head:
            msg = (
                f"{out}: exists and was not written by denen-gis; "
                "choose another file or pass --force to replace it"
            )
            raise InputError(msg)
    # The parent folder itself is not replaced: check only that a file can go there,
    # through a probe name that the message must not show (the user wrote ``out``).
    probe = target.parent / f".{target.name}.check"
    try:
        check_output_folder(probe, force=True)
    except InputError as exc:
        raise InputError(str(exc).replace(str(probe), str(out))) from None


def with_municipalities(scenario: Any, values: list[str] | None) -> Any:
    """The scenario with ``--municipality`` values added to its ``[region]`` (a union)."""
    from dataclasses import replace

    extra = split_values(values)
    if not extra:
        return scenario
    region = scenario.region
    merged = tuple(dict.fromkeys([*region.municipalities, *extra]))
    return replace(scenario, region=replace(region, municipalities=merged))
