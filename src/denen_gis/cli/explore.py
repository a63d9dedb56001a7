"""``denen-gis explore``: the offline site explorer page for a region."""

from __future__ import annotations

from pathlib import Path

import typer

from denen_gis.cli._common import err_console, split_values

__all__ = ["register"]


def explore_cmd(
    prefecture: list[str] | None = typer.Option(
        None,
        "--prefecture",
        help="Prefecture code or name (repeatable or comma-separated); replaces the "
        "scenario's region.",
    ),
    scenario: Path | None = typer.Option(
        None, "--scenario", help="Scenario TOML: inputs, radio, 5G objective and region."
    ),
    out: Path = typer.Option(Path("maps/explorer.html"), "--out", help="HTML file to write."),
    lang: str = typer.Option("en", "--lang", help="Labels: en or ja."),
    force: bool = typer.Option(
        False,
        "--force",
        help="Replace an existing --out file even if it is not an explorer page "
        "(never the scenario or an input).",
    ),
) -> None:
    """Write one offline page where a region toggles candidate 5G sites and sees the effect."""
    from denen_gis.explorer import build_explorer, check_explorer_target, write_explorer
    from denen_gis.render.i18n import check_lang
    from denen_gis.scenario import Scenario, load_scenario

    check_lang(lang)
    s = Scenario() if scenario is None else load_scenario(scenario)
    # The scenario file and its inputs are never replaced, with or without --force.
    check_explorer_target(out, force=force, protect=s.input_files())
    data = build_explorer(s, prefectures=tuple(split_values(prefecture)))
    path = write_explorer(data, out, lang=lang, force=force, protect=s.input_files())
    err_console.print(
        f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB): {len(data.site_ids):,} candidate "
        f"sites, the optimizer's plan has {len(data.plan_site_ids):,}",
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add ``explore``."""
    app.command("explore")(explore_cmd)
