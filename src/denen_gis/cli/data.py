"""``denen-gis data``: inspect the embedded dataset and import official files."""

from __future__ import annotations

import typer
from rich.table import Table

from denen_gis.cli._common import console, print_json

__all__ = ["register"]

data_app = typer.Typer(help="Inspect the embedded Japan dataset and import official files.",
                       no_args_is_help=True)


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
    prefs["urban_population"] = prefs["code"].map(
        grid[grid["urban"]].groupby("pref_code")["population"].sum()
    ).fillna(0).astype(int)
    summary = {
        "layers": layers.to_dict(orient="records"),
        "national_population": total,
        "census_population": int(prefs["population"].sum()),
        "urban_population": urban_pop,
        "urban_share": urban_pop / total if total else 0.0,
        "urban_area_km2": float(grid.loc[grid["urban"], "area_km2"].sum()),
        "land_area_km2": float(grid["area_km2"].sum()),
        "prefectures": prefs[["code", "name_en", "name_ja", "block", "population",
                              "grid_population", "urban_population"]].to_dict(orient="records"),
    }
    if json_out:
        print_json(summary)
        return
    table = Table(title="Embedded dataset (EPSG:6668; see data/SOURCES.md)")
    for col in ("layer", "file", "rows", "crs", "geometry", "population", "size_kb"):
        table.add_column(col, justify="right" if col in ("rows", "population", "size_kb") else "left")
    for row in layers.itertuples():
        pop = "" if row.population is None or row.population != row.population else f"{row.population:,}"
        table.add_row(row.layer, row.file, f"{row.rows:,}", row.crs, row.geometry, pop,
                      f"{row.size_kb:,}")
    console.print(table)
    ptable = Table(title="Population by prefecture (2020 Census; grid is modelled)")
    for col in ("code", "prefecture", "block", "census", "grid", "urban %"):
        ptable.add_column(col, justify="left" if col in ("prefecture", "block") else "right")
    for row in prefs.itertuples():
        urban = 100 * row.urban_population / row.grid_population if row.grid_population else 0
        ptable.add_row(row.code, f"{row.name_en} {row.name_ja}", str(row.block),
                       f"{row.population:,}", f"{row.grid_population:,}", f"{urban:.1f}")
    console.print(ptable)
    console.print(
        f"National population {total:,} (census {summary['census_population']:,}); "
        f"urban (DID rule) {urban_pop:,} = {100 * summary['urban_share']:.1f}% on "
        f"{summary['urban_area_km2']:,.0f} km² of {summary['land_area_km2']:,.0f} km² "
        f"({100 * summary['urban_area_km2'] / summary['land_area_km2']:.1f}% of land)"
    )


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group to the main app."""
    app.add_typer(data_app, name="data")
