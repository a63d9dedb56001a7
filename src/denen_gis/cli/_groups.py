"""Command groups that several command modules add to."""

from __future__ import annotations

import typer

from denen_gis.cli._common import require_command

__all__ = ["optimize_app"]

#: ``denen-gis optimize ...``: 5G sites, data centres, landing stations.
optimize_app = typer.Typer(
    help="Choose sites with OR-Tools: 5G stations, data centres, cable landings.",
    callback=require_command,
    invoke_without_command=True,
)
