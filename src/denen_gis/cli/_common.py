"""Helpers shared by the CLI commands: consoles, output and JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

__all__ = ["console", "err_console", "print_json", "split_values", "to_jsonable"]

#: Normal output (tables, summaries).
console = Console(highlight=False)
#: Errors and progress, so that ``--json`` output on stdout stays clean.
err_console = Console(stderr=True, highlight=False)


def to_jsonable(value: Any) -> Any:
    """Turn numpy scalars, arrays, paths and dataclasses into JSON-ready values."""
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return to_jsonable(value.to_dict())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, Path):
        return str(value)
    return value


def print_json(value: Any) -> None:
    """Print a value as JSON on stdout (no colour, no wrapping)."""
    print(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2))


def split_values(values: list[str] | None) -> list[str]:
    """Values of a repeatable option, each possibly comma-separated, as one flat list."""
    out: list[str] = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out
