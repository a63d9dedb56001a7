"""Helpers shared by the CLI commands: consoles, output and JSON."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

from denen_gis._json import to_jsonable

__all__ = ["console", "err_console", "print_json", "split_values", "to_jsonable"]

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
