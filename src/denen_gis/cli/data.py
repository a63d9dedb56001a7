"""``denen-gis data``: inspect the embedded dataset and import official files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from denen_gis.cli._common import console, print_json, print_text, require_command

__all__ = ["register"]

data_app = typer.Typer(
    help="Inspect the embedded Japan dataset and import official files.",
    callback=require_command,
    invoke_without_command=True,
)


def _check_not_input(out: Path, *inputs: Path) -> None:
    """Refuse an ``--out`` that is one of the command's input files (exit 2, before reading).

    Checked is the file that the write replaces (a link's target, ``sub/../x`` is ``x``).
    """
    from denen_gis.errors import InputError
    from denen_gis.io.temporaries import output_target

    target = output_target(out)
    if any(output_target(f) == target for f in inputs):
        msg = f"--out {out}: is an input of this run; choose another output file"
        raise InputError(msg)


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (CJK characters count as two)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 1)


@data_app.command("info")
def info(
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    municipalities: bool = typer.Option(
        False,
        "--municipalities",
        help="List the municipalities (code, name, prefecture, population, urban share).",
    ),
) -> None:
    """The embedded dataset: layers, census totals, prefectures (or municipalities)."""
    from denen_gis.io.japan import dataset_facts, dataset_summary, municipality_table

    if municipalities:
        table = municipality_table()
        if json_out:
            print_json({"municipalities": table.to_dict(orient="records")})
            return
        # Plain aligned text: a rich Table of 1,900 rows takes seconds to lay out.
        head = f"{len(table):,} municipalities and wards (N03 2021; 2020 census 500 m cells)"
        lines = [head, _pad("code", 6) + _pad("name", 22) + _pad("prefecture", 14)]
        lines[-1] += _pad("parent", 7) + "population".rjust(11) + "urban %".rjust(9)
        for row in table.itertuples():
            lines.append(
                _pad(row.muni_code, 6)
                + _pad(row.name_ja, 22)
                + _pad(f"{row.pref_code} {row.pref_name_ja}", 14)
                + _pad(row.parent_code, 7)
                + f"{row.population:,}".rjust(11)
                + f"{100 * row.urban_share:.1f}".rjust(9)
            )
        print_text("\n".join(lines))
        return
    from denen_gis.io.baselines import calibration_errors
    from denen_gis.io.japan import load_fiveg_calibration

    facts = dataset_facts()
    layers = dataset_summary()
    calibration = calibration_errors(load_fiveg_calibration())
    summary = {"layers": layers.to_dict(orient="records"), **facts, "fiveg_baselines": calibration}
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
    ptable = Table(title="Population by prefecture (2020 Census: final figure and 500 m cells)")
    for col in ("code", "prefecture", "block", "census", "cells sum", "cells", "urban %"):
        ptable.add_column(col, justify="left" if col in ("prefecture", "block") else "right")
    for p in facts["prefectures"]:
        urban = 100 * p["urban_population"] / p["population"] if p["population"] else 0.0
        ptable.add_row(
            p["pref_code"],
            f"{p['name_en']} {p['name_ja']}",
            str(p["block"]),
            f"{p['census_population']:,}",
            f"{p['population']:,}",
            f"{p['cells']:,}",
            f"{urban:.1f}",
        )
    console.print(ptable)
    console.print(
        f"{facts['population']:,} people and {facts['households']:,} households in "
        f"{facts['cells']:,} inhabited {facts['cell_size_m']} m cells; "
        f"{facts['municipalities']:,} municipalities. Urban (DID rule, "
        f"{facts['urban_threshold_per_km2']:,.0f}/km² calibrated to the census 70.0%): "
        f"{100 * facts['urban_share']:.1f}%. Cells given the nearest municipality "
        f"(centre in the sea or outside every polygon): {facts['nearest_municipality_cells']:,} "
        f"with {facts['nearest_municipality_population']:,} people.",
        soft_wrap=True,
    )
    for c in calibration:
        console.print(
            f"5G baseline {c['baseline']} (modelled, outdoor, median, MIC area rule): "
            f"{c['national_pct']:.2f}% national (MIC {c['mic_national_pct']:.1f}%); against "
            f"MIC's {c['prefectures_known']} known prefectures MAE {c['mae_pp']:.2f} pp, worst "
            f"{c['worst_pref']} ({c['worst_error_pp']:+.2f} pp).",
            soft_wrap=True,
        )


import_app = typer.Typer(
    help="Import official files (e-Stat mesh census, N03 boundaries, TeleGeography cables).",
    callback=require_command,
    invoke_without_command=True,
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

    _check_not_input(out, *files)
    grid = read_estat_mesh(files)
    write_layer(grid, out, kind="population")
    console.print(
        f"{out}: {len(grid):,} cells, population {int(grid['population'].sum()):,}, "
        f"{float(grid['area_km2'].sum()):,.1f} km² (from {len(files)} file(s))",
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

    _check_not_input(out, file)
    regions = read_n03(file)
    write_layer(regions, out, kind="regions")
    console.print(
        f"{out}: {len(regions):,} municipalities in {regions['pref_code'].nunique()} "
        f"prefecture(s), {float(regions['area_km2'].sum()):,.1f} km²",
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
    from denen_gis.cli._checks import check_positive
    from denen_gis.errors import InputError
    from denen_gis.io.files import write_layers
    from denen_gis.io.telegeography import check_landings_touch, read_submarine_cables

    _check_not_input(out, cables, landings)
    if out.suffix.lower() != ".gpkg":
        msg = f"--out {out}: cables and landings are two layers; give a .gpkg file"
        raise InputError(msg)
    check_positive("--tolerance-km", tolerance_km, unit=" [km]")
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
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group to the main app."""
    app.add_typer(data_app, name="data")
