"""``denen-gis coverage``: who has 5G today, per prefecture and urban vs rural."""

from __future__ import annotations

import json
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import typer
from rich.table import Table

from denen_gis.cli._common import console, err_console, print_json, to_jsonable

__all__ = ["coverage_table", "register"]


def coverage_table(by_pref: pd.DataFrame, prefectures: pd.DataFrame, *, title: str) -> Table:
    """A rich table of per-prefecture coverage (columns of ``CoverageMetrics.by_pref``)."""
    names = prefectures.set_index("code")
    table = Table(title=title)
    for col, justify in (
        ("code", "right"),
        ("prefecture", "left"),
        ("population", "right"),
        ("covered", "right"),
        ("coverage %", "right"),
    ):
        table.add_column(col, justify=justify)
    for row in by_pref.itertuples():
        name = (
            f"{names.loc[row.pref_code, 'name_en']} {names.loc[row.pref_code, 'name_ja']}"
            if row.pref_code in names.index
            else ""
        )
        table.add_row(
            row.pref_code,
            name,
            f"{row.population:,}",
            f"{row.covered_population:,}",
            f"{row.coverage_pct:.1f}",
        )
    return table


def coverage(
    population: Path | None = typer.Option(
        None,
        "--population",
        help="Population grid: e-Stat mesh .txt/.zip, CSV "
        "(mesh_code,population[,pref_code,urban]) or a layer file. Default: embedded 1 km grid.",
    ),
    stations: Path | None = typer.Option(
        None,
        "--stations",
        help="Existing stations layer (GeoPackage/GeoJSON/GeoParquet/"
        "Shapefile with site_id, station_type[, height_m, radius_km]). Default: embedded.",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for coverage_cells.gpkg and coverage_summary.json."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
    indoor_db: float = typer.Option(
        0.0, "--indoor-penetration-db", min=0.0, help="Building entry loss [dB] (10-15 indoor)."
    ),
    baseline: str = typer.Option(
        "fy2023",
        "--baseline",
        help="Modelled network at the end of fiscal year fy2021, fy2022 or fy2023 "
        "(calibrated to MIC's 93.2 / 96.6 / 98.1%); also filters a --stations file with since_fy.",
    ),
) -> None:
    """Compute 5G coverage of every mesh cell and the urban-rural gap."""
    from denen_gis.io.baselines import MIC_NATIONAL_PCT, baseline_year
    from denen_gis.io.files import write_layer, write_text_atomic
    from denen_gis.io.outdir import atomic_directory
    from denen_gis.io.sources import population_input, prefectures_input, stations_input
    from denen_gis.layers.coverage import compute_coverage
    from denen_gis.layers.radio import LinkBudget, check_station_frame

    t0 = time.perf_counter()
    prefs = prefectures_input()
    grid = population_input(population, prefectures=prefs)
    year = baseline_year(baseline)
    st = stations_input(stations, baseline=baseline)
    check_station_frame(st, source=str(stations) if stations else "embedded stations")
    link_budget = LinkBudget(indoor_penetration_db=indoor_db)
    result = compute_coverage(
        grid,
        st,
        link_budget=link_budget,
        pref_blocks=dict(zip(prefs["code"], prefs["block"], strict=True)),
        grid_source=str(population) if population else "embedded population grid",
        stations_source=str(stations) if stations else "embedded stations",
    )
    m = result.summary
    seconds = round(time.perf_counter() - t0, 2)
    summary = {
        "population_source": str(population) if population else "embedded (modelled)",
        "stations_source": str(stations)
        if stations
        else f"embedded (modelled, end of FY{year}, calibrated to MIC)",
        "baseline": f"fy{year}",
        "mic_national_pct": MIC_NATIONAL_PCT.get(f"fy{year}") if stations is None else None,
        "basis": link_budget.basis,
        "rule": "a 500 m mesh is covered when more than half of its area is served (MIC)",
        "cells": len(result.cells),
        "stations": len(result.site_ids),
        "seconds": seconds,
        **m.to_dict(),
    }
    if out is not None:
        cells = gpd.GeoDataFrame(
            result.cells.assign(
                best_site_id=result.cells["best_site_id"].astype(object).fillna("")
            ),
            geometry=grid.geometry.to_numpy(),
            crs=grid.crs,
        )
        with atomic_directory(out) as tmp:
            write_layer(cells, Path(tmp) / "coverage_cells.gpkg", layer="coverage_cells")
            write_text_atomic(
                Path(tmp) / "coverage_summary.json",
                json.dumps(to_jsonable(summary), ensure_ascii=False, indent=2),
            )
        err_console.print(
            f"wrote {out}/coverage_cells.gpkg and coverage_summary.json", markup=False
        )
    if json_out:
        print_json(summary)
        return
    title = f"5G population coverage by prefecture, end of FY{year} ({link_budget.basis})"
    console.print(coverage_table(m.by_pref, prefs, title=title))
    console.print(
        f"National {m.coverage_pct:.1f}% ({link_budget.basis}) of {m.population:,} people; "
        f"urban {m.urban_pct:.1f}%, "
        f"rural {m.rural_pct:.1f}% (gap {m.urban_rural_gap_pp:.1f} points); lowest "
        f"{_name(prefs, m.lowest_pref)} at {m.lowest_pref_pct:.1f}%; Gini {m.gini:.3f}. "
        f"{len(result.cells):,} cells x {len(result.site_ids):,} stations in "
        f"{seconds:.1f} s."
    )


def _name(prefs: pd.DataFrame, code: str | None) -> str:
    names = dict(zip(prefs["code"], prefs["name_en"], strict=True))
    return f"{names.get(code, '')} ({code})".strip() if code else "none"


def register(app: typer.Typer) -> None:
    """Add ``coverage`` to the main app."""
    app.command("coverage")(coverage)
