"""``denen-gis coverage``: who has 5G today, per prefecture and urban vs rural."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import typer
from rich.table import Table

from denen_gis.cli._checks import option_error
from denen_gis.cli._common import (
    FORCE,
    MUNICIPALITY_HELP,
    check_out,
    console,
    err_console,
    print_json,
    split_values,
    to_jsonable,
)
from denen_gis.errors import InputError
from denen_gis.scenario_checks import MAX_INDOOR_DB

#: Largest building entry loss ``--indoor-penetration-db`` takes [dB] (the
#: scenario's ``radio.indoor_penetration_db`` cap).
INDOOR_DB_MAX = MAX_INDOOR_DB

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
        "(mesh_code,population[,pref_code,muni_code,urban]) or a layer file. "
        "Default: the embedded 2020 census 500 m grid.",
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
    force: bool = FORCE,
    municipality: list[str] | None = typer.Option(None, "--municipality", help=MUNICIPALITY_HELP),
    baseline: str = typer.Option(
        "fy2023",
        "--baseline",
        help="Modelled network at the end of fiscal year fy2021, fy2022 or fy2023 "
        "(calibrated to MIC's 93.2 / 96.6 / 98.1%); also filters a --stations file with since_fy.",
    ),
) -> None:
    """Compute 5G coverage of every mesh cell and the urban-rural gap."""
    from denen_gis.io.baselines import MIC_NATIONAL_PCT, baseline_year
    from denen_gis.io.japan import municipality_table
    from denen_gis.io.sources import prefectures_input, stations_input, stations_near
    from denen_gis.layers.coverage import compute_coverage
    from denen_gis.layers.radio import LinkBudget, check_station_frame
    from denen_gis.plan_tables import municipality_coverage

    if not 0 <= indoor_db < INDOOR_DB_MAX:
        raise option_error(
            "--indoor-penetration-db", indoor_db, f">= 0 and below {INDOOR_DB_MAX} dB"
        )
    kept = [population, stations]
    check_out(out, force=force, extra=kept)
    t0 = time.perf_counter()
    prefs = prefectures_input()
    grid, munis = _grid(population, prefs, split_values(municipality))
    year = baseline_year(baseline)
    st = stations_input(stations, baseline=baseline)
    if munis:  # stations just across the border still cover its border cells
        st = stations_near(st, _with_bounds(grid))
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
    by_muni = municipality_coverage(grid, result.cells["covered"].to_numpy(), municipality_table())
    seconds = round(time.perf_counter() - t0, 2)
    summary = {
        "population_source": str(population) if population else "embedded (2020 census 500 m)",
        "stations_source": str(stations)
        if stations
        else f"embedded (modelled, end of FY{year}, calibrated to MIC)",
        "baseline": f"fy{year}",
        "mic_national_pct": MIC_NATIONAL_PCT.get(f"fy{year}") if stations is None else None,
        "basis": link_budget.basis,
        "rule": "a 500 m mesh is covered when more than half of its area is served (MIC)",
        "municipalities": munis,
        "cells": len(result.cells),
        "stations": len(result.site_ids),
        "seconds": seconds,
        **m.to_dict(),
        "by_municipality": by_muni.to_dict(orient="records"),
    }
    if out is not None:
        _write(out, result, grid, summary, force=force, protect=kept)
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
    console.print(_lowest_municipalities(by_muni))


def _lowest_municipalities(by_muni: pd.DataFrame) -> str:
    from denen_gis.render.report import LOWEST_MIN_POPULATION, lowest_municipalities

    low = lowest_municipalities(by_muni)
    if low is None:
        return f"No municipality of {LOWEST_MIN_POPULATION:,} people or more."
    items = ", ".join(f"{r.name_ja} {r.muni_code} {r.coverage_pct:.1f}%" for r in low.itertuples())
    return f"Lowest municipalities (population >= {LOWEST_MIN_POPULATION:,}): {items}."


def _grid(
    population: Path | None, prefs: gpd.GeoDataFrame, selectors: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """The grid to cover (embedded: a plain table, no polygons) and the municipalities chosen."""
    from denen_gis.io.japan import load_population_table
    from denen_gis.io.municipalities import (
        filter_municipalities,
        municipalities_input,
        municipality_codes,
    )
    from denen_gis.io.sources import population_input

    munis = municipality_codes(municipalities_input(), selectors) if selectors else []
    grid = (
        load_population_table()
        if population is None
        else population_input(population, prefectures=prefs)
    )
    if munis:
        grid = filter_municipalities(grid, munis)
    if grid.empty:
        msg = f"no population cell lies in the municipalities {munis}"
        raise InputError(msg)
    return grid, munis


def _with_bounds(grid: pd.DataFrame) -> gpd.GeoDataFrame:
    """The grid as points at the cell centres (for its bounding box)."""
    from denen_gis.mesh import mesh_centroids

    lon, lat = mesh_centroids(grid["mesh_code"].to_numpy())
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=6668)


def _write(
    out: Path,
    result: Any,
    grid: pd.DataFrame,
    summary: dict[str, Any],
    *,
    force: bool,
    protect: list[Path | None],
) -> None:
    from denen_gis.io.files import write_layer, write_text_atomic
    from denen_gis.io.outdir import atomic_directory
    from denen_gis.mesh import mesh_polygons

    geometry = (
        grid.geometry.to_numpy()
        if isinstance(grid, gpd.GeoDataFrame)
        else mesh_polygons(grid["mesh_code"].to_numpy())
    )
    cells = gpd.GeoDataFrame(
        result.cells.assign(best_site_id=result.cells["best_site_id"].astype(object).fillna("")),
        geometry=geometry,
        crs=6668,
    )
    with atomic_directory(out, force=force, protect=protect) as tmp:
        write_layer(cells, Path(tmp) / "coverage_cells.gpkg", layer="coverage_cells")
        write_text_atomic(
            Path(tmp) / "coverage_summary.json",
            json.dumps(to_jsonable(summary), ensure_ascii=False, indent=2),
        )
    err_console.print(f"wrote {out}/coverage_cells.gpkg and coverage_summary.json")


def _name(prefs: pd.DataFrame, code: str | None) -> str:
    names = dict(zip(prefs["code"], prefs["name_en"], strict=True))
    return f"{names.get(code, '')} ({code})".strip() if code else "none"


def register(app: typer.Typer) -> None:
    """Add ``coverage`` to the main app."""
    app.command("coverage")(coverage)
