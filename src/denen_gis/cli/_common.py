"""Helpers shared by the CLI commands: consoles, output and JSON."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

from denen_gis._json import to_jsonable

__all__ = [
    "MUNICIPALITY_HELP",
    "console",
    "err_console",
    "print_json",
    "split_values",
    "to_jsonable",
    "with_municipalities",
]

#: Help text of every command's ``--municipality`` option.
MUNICIPALITY_HELP = (
    "Municipalities by code or Japanese name (e.g. 32203, 松江市, 東京都府中市; "
    "a designated city such as 札幌市 selects its wards); repeat or comma-separate."
)

#: Normal output (tables, summaries).
console = Console(highlight=False)
#: Errors and progress, so that ``--json`` output on stdout stays clean.
err_console = Console(stderr=True, highlight=False)


def print_json(value: Any) -> None:
    """Print a value as JSON on stdout (no colour, no wrapping)."""
    print(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2))


def split_values(values: list[str] | None) -> list[str]:
    """Values of a repeatable option, each possibly comma-separated, as one flat list."""
    out: list[str] = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def with_municipalities(scenario: Any, values: list[str] | None) -> Any:
    """The scenario with ``--municipality`` values added to its ``[region]`` (a union)."""
    from dataclasses import replace

    extra = split_values(values)
    if not extra:
        return scenario
    region = scenario.region
    merged = tuple(dict.fromkeys([*region.municipalities, *extra]))
    return replace(scenario, region=replace(region, municipalities=merged))
