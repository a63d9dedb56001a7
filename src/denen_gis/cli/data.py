"""``denen-gis data``: inspect the embedded dataset and import official files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from denen_gis.cli._common import console, print_json

__all__ = ["register"]

data_app = typer.Typer(
    help="Inspect the embedded Japan dataset and import official files.", no_args_is_help=True
)


@data_app.command("info")
def info(
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Table of the embedded layers: rows, CRS, national and per-prefecture population."""
    from denen_gis.io.japan import dataset_summary, load_population_grid, load_prefectures

    layers = dataset_summary()
    prefs = load_prefectures()
    grid = load_population_grid()
    by_pref = grid.groupby("pref_code")["population"].sum()
    urban_pop = int(grid.loc[grid["urban"], "population"].sum())
    total = int(grid["population"].sum())
    prefs = prefs.assign(grid_population=prefs["code"].map(by_pref).fillna(0).astype(int))
    prefs["urban_population"] = (
        prefs["code"]
        .map(grid[grid["urban"]].groupby("pref_code")["population"].sum())
        .fillna(0)
        .astype(int)
    )
    summary = {
        "layers": layers.to_dict(orient="records"),
        "national_population": total,
        "census_population": int(prefs["population"].sum()),
        "urban_population": urban_pop,
        "urban_share": urban_pop / total if total else 0.0,
        "urban_area_km2": float(grid.loc[grid["urban"], "area_km2"].sum()),
        "land_area_km2": float(grid["area_km2"].sum()),
        "prefectures": prefs[
            [
                "code",
                "name_en",
                "name_ja",
                "block",
                "population",
                "grid_population",
                "urban_population",
            ]
        ].to_dict(orient="records"),
    }
    if json_out:
        print_json(summary)
        return
    table = Table(title="Embedded dataset in data/ (EPSG:6668; sources: data/SOURCES.md)")
    for col in ("file", "rows", "geometry", "population", "kB"):
        table.add_column(
            col,
            justify="right" if col in ("rows", "population", "kB") else "left",
            no_wrap=True,
        )
    for row in layers.itertuples():
        pop = (
            ""
            if row.population is None or row.population != row.population
            else f"{int(row.population):,}"
        )
        table.add_row(row.file, f"{row.rows:,}", row.geometry or row.kind, pop, f"{row.size_kb:,}")
    console.print(table)
    ptable = Table(title="Population by prefecture (2020 Census; grid is modelled)")
    for col in ("code", "prefecture", "block", "census", "grid", "urban %"):
        ptable.add_column(col, justify="left" if col in ("prefecture", "block") else "right")
    for row in prefs.itertuples():
        urban = 100 * row.urban_population / row.grid_population if row.grid_population else 0
        ptable.add_row(
            row.code,
            f"{row.name_en} {row.name_ja}",
            str(row.block),
            f"{row.population:,}",
            f"{row.grid_population:,}",
            f"{urban:.1f}",
        )
    console.print(ptable)
    console.print(
        f"National population {total:,} (census {summary['census_population']:,}); "
        f"urban (DID rule) {urban_pop:,} = {100 * summary['urban_share']:.1f}% on "
        f"{summary['urban_area_km2']:,.0f} km² of {summary['land_area_km2']:,.0f} km² "
        f"({100 * summary['urban_area_km2'] / summary['land_area_km2']:.1f}% of land)"
    )


import_app = typer.Typer(
    help="Import official files (e-Stat mesh census, N03 boundaries, TeleGeography cables).",
    no_args_is_help=True,
)
data_app.add_typer(import_app, name="import")


@import_app.command("estat")
def import_estat(
    files: list[Path] = typer.Argument(
        ..., help="e-Stat grid-square population files (tblT001140H5339.txt, or .zip of them)."
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output layer (.gpkg, .geojson, .parquet or .shp)."
    ),
) -> None:
    """Read e-Stat mesh census files into one population-grid layer."""
    from denen_gis.io.estat import read_estat_mesh
    from denen_gis.io.files import write_layer

    grid = read_estat_mesh(files)
    write_layer(grid, out, kind="population")
    console.print(
        f"{out}: {len(grid):,} cells, population {int(grid['population'].sum()):,}, "
        f"{float(grid['area_km2'].sum()):,.1f} km² (from {len(files)} file(s))",
        markup=False,
        soft_wrap=True,
    )


@import_app.command("n03")
def import_n03(
    file: Path = typer.Argument(..., help="N03 boundaries (.topojson, .geojson, .shp, .gpkg)."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output layer (.gpkg, .geojson, .parquet or .shp)."
    ),
) -> None:
    """Read N03 boundaries into one row per municipality (regions layer)."""
    from denen_gis.io.files import write_layer
    from denen_gis.io.n03 import read_n03

    regions = read_n03(file)
    write_layer(regions, out, kind="regions")
    console.print(
        f"{out}: {len(regions):,} municipalities in {regions['pref_code'].nunique()} "
        f"prefecture(s), {float(regions['area_km2'].sum()):,.1f} km²",
        markup=False,
        soft_wrap=True,
    )


def _parse_bbox(text: str | None) -> tuple[float, ...] | None:
    from denen_gis.errors import InputError

    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4:
        msg = f"--bbox {text!r}: give west,south,east,north in degrees, e.g. 122,20,154,46"
        raise InputError(msg)
    return values


@import_app.command("cables")
def import_cables(
    cables: Path = typer.Argument(..., help="TeleGeography cable-geo.json."),
    landings: Path = typer.Argument(..., help="TeleGeography landing-point-geo.json."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output GeoPackage with layers 'cables' and 'landings'."
    ),
    bbox: str | None = typer.Option(
        None, "--bbox", help="Keep only west,south,east,north [degrees], e.g. 122,20,154,46."
    ),
    check: bool = typer.Option(
        True, "--check/--no-check", help="Require every landing to lie near some cable."
    ),
    tolerance_km: float = typer.Option(
        5.0, "--tolerance-km", help="Largest landing-to-cable distance for --check [km]."
    ),
) -> None:
    """Read TeleGeography cable routes and landing points (CC BY-NC-SA: never redistribute)."""
    from denen_gis.errors import InputError
    from denen_gis.io.files import write_layers
    from denen_gis.io.telegeography import check_landings_touch, read_submarine_cables

    if out.suffix.lower() != ".gpkg":
        msg = f"--out {out}: cables and landings are two layers; give a .gpkg file"
        raise InputError(msg)
    cable_layer, landing_layer = read_submarine_cables(cables, landings, bbox=_parse_bbox(bbox))
    if check:
        check_landings_touch(
            cable_layer, landing_layer, tolerance_km=tolerance_km, source=str(landings)
        )
    write_layers(
        {"cables": cable_layer, "landings": landing_layer},
        out,
        kinds={"cables": "cables", "landings": "landings"},
    )
    console.print(
        f"{out}: {len(cable_layer):,} cables, {float(cable_layer['length_km'].sum()):,.0f} km; "
        f"{len(landing_layer):,} landing points",
        markup=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group to the main app."""
    app.add_typer(data_app, name="data")
