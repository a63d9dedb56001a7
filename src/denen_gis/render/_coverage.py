"""The 5G coverage layers: the population grid as rasters, new sites and existing stations.

:func:`populate_coverage` draws one :class:`CoverageView` on a map (used by
:func:`~denen_gis.render.maps.coverage_map` and both sides of
:func:`~denen_gis.render.maps.comparison_map`). Large layers never become one
feature per 1 km cell: the population grid is drawn as palette PNG overlays
(one pixel per mesh cell) and existing stations are counted per 10 km cell.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from denen_gis.errors import InputError
from denen_gis.geodesy import box_area_km2
from denen_gis.mesh import mesh_bounds, mesh_centroids, mesh_from_points, mesh_indices, mesh_parent
from denen_gis.render._elements import (
    ImageLayer,
    PointLayer,
    bin_labels,
    checked_points,
    esc,
    fmt_num,
    legend_section,
    table_html,
)
from denen_gis.render._prefs import add_prefecture_choropleth, prefecture_map_table
from denen_gis.render._raster import MeshRaster, palette_png
from denen_gis.render.basemap import add_base_layers
from denen_gis.render.i18n import tr

__all__ = [
    "DENSITY_BINS",
    "MAX_PIXELS",
    "UNCOVERED_BINS",
    "CoverageView",
    "add_grid_layers",
    "add_new_sites",
    "add_stations",
    "grid_bounds",
    "populate_coverage",
    "prepare_grid",
]

logger = logging.getLogger(__name__)

#: Population density classes [people/km^2] (4,000 is the census DID threshold).
DENSITY_BINS = (50, 200, 1000, 4000, 10000)
DENSITY_COLOURS = ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"]
#: Uncovered people per 1 km cell [persons].
UNCOVERED_BINS = (10, 100, 1000)
UNCOVERED_COLOURS = ["#fcc5c0", "#f768a1", "#c51b8a", "#7a0177"]
NEWLY_COLOUR = "#1b9e77"
URBAN_COLOUR, RURAL_COLOUR = "#7b3294", "#a6dba0"
TYPE_COLOURS = ["#e41a1c", "#377eb8", "#ff7f00", "#984ea3", "#a65628", "#f781bf", "#4daf4a"]
#: Pixel budget of one raster layer; past it the grid is drawn at 10 km.
MAX_PIXELS = 16_000_000


@dataclass(frozen=True, eq=False)
class CoverageView:
    """One scenario for :func:`comparison_map` (the same inputs as :func:`coverage_map`)."""

    grid: pd.DataFrame
    scenario_name: str
    by_prefecture: pd.DataFrame | None = None
    new_sites: gpd.GeoDataFrame | None = None
    stations: gpd.GeoDataFrame | None = None


def _bool_column(frame: pd.DataFrame, col: str, source: str) -> np.ndarray:
    values = frame[col]
    if values.dtype == bool:
        return values.to_numpy()
    text = values.astype(str).str.strip().str.lower()
    mapping = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}
    bad = ~text.isin(list(mapping))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        msg = f"{source}: column {col!r} row {row} has {values.iloc[row]!r}; use true/false"
        raise InputError(msg)
    return text.map(mapping).to_numpy(dtype=bool)


def prepare_grid(grid: pd.DataFrame) -> pd.DataFrame:
    """Per-cell numbers at 1 km (finer grids are summed to their 1 km parent)."""
    source = "grid"
    for col in ("mesh_code", "population", "covered_before"):
        if col not in grid.columns:
            msg = (
                f"{source}: missing column {col!r}; "
                "coverage maps need mesh_code, population, covered_before"
            )
            raise InputError(msg)
    if len(grid) == 0:
        msg = f"{source}: the grid is empty"
        raise InputError(msg)
    codes = grid["mesh_code"].astype(str).to_numpy()
    pop = pd.to_numeric(grid["population"], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(pop).all() or (pop < 0).any():
        row = int(np.flatnonzero(~np.isfinite(pop) | (pop < 0))[0])
        msg = f"{source}: column 'population' row {row} is not a count >= 0"
        raise InputError(msg)
    before = _bool_column(grid, "covered_before", source)
    has_after = "covered_after" in grid.columns
    after = _bool_column(grid, "covered_after", source) if has_after else before
    urban = (
        _bool_column(grid, "urban", source)
        if "urban" in grid.columns
        else np.zeros(len(grid), bool)
    )
    out = pd.DataFrame(
        {
            "mesh_code": codes,
            "pref_code": grid["pref_code"].astype(str).str.zfill(2).to_numpy()
            if "pref_code" in grid.columns
            else "",
            "population": pop,
            "covered_before_pop": pop * before,
            "covered_after_pop": pop * after,
            "urban_pop": pop * urban,
        }
    )
    _, _, level = mesh_indices(codes)
    if level > 3:
        out["mesh_code"] = mesh_parent(codes, 3)
        out = out.groupby("mesh_code", as_index=False, sort=False).agg(
            {
                "pref_code": "first",
                "population": "sum",
                "covered_before_pop": "sum",
                "covered_after_pop": "sum",
                "urban_pop": "sum",
            }
        )
    out.attrs["has_after"] = has_after
    return out


def _digitize(values: np.ndarray, bins: Sequence[float], present: np.ndarray) -> np.ndarray:
    return np.where(present, 1 + np.digitize(values, bins), 0).astype(np.uint8)


def add_grid_layers(m: folium.Map, cells: pd.DataFrame, lang: str) -> list[str]:
    """Raster layers of the grid; returns legend sections (HTML)."""
    has_after = bool(cells.attrs.get("has_after", False))
    codes = cells["mesh_code"].to_numpy()
    row, col, level = mesh_indices(codes)
    raster = MeshRaster(row, col, level)
    h, w = raster.shape
    if h * w > MAX_PIXELS:
        logger.info("grid raster %dx%d too large; drawing 10 km cells", w, h)
        parent = mesh_parent(codes, 2)
        cells = (
            cells.assign(mesh_code=parent)
            .groupby("mesh_code", as_index=False)
            .sum(numeric_only=True)
        )
        codes = cells["mesh_code"].to_numpy()
        raster = MeshRaster(*mesh_indices(codes))
    w_, s_, e_, n_ = raster.bounds
    bounds = [[s_, w_], [n_, e_]]
    pop = cells["population"].to_numpy(dtype=float)
    present = pop > 0
    area = box_area_km2(*mesh_bounds(codes))
    unc_before = pop - cells["covered_before_pop"].to_numpy(dtype=float)
    unc_after = pop - cells["covered_after_pop"].to_numpy(dtype=float)
    newly = unc_before - unc_after

    density = _digitize(pop / area, DENSITY_BINS, present)
    ImageLayer(
        palette_png(raster, density, DENSITY_COLOURS, alpha=210),
        bounds,
        name=tr("density", lang),
        z_index=1,
        show=False,
    ).add_to(m)
    urban_cls = np.where(present, np.where(cells["urban_pop"].to_numpy() * 2 >= pop, 1, 2), 0)
    ImageLayer(
        palette_png(raster, urban_cls, [URBAN_COLOUR, RURAL_COLOUR], alpha=200),
        bounds,
        name=tr("urban_rural", lang),
        z_index=2,
        show=False,
    ).add_to(m)
    ImageLayer(
        palette_png(
            raster, _digitize(unc_before, UNCOVERED_BINS, unc_before > 0.5), UNCOVERED_COLOURS
        ),
        bounds,
        name=tr("uncovered_before", lang),
        z_index=3,
        show=not has_after,
    ).add_to(m)
    if has_after:
        ImageLayer(
            palette_png(raster, (newly > 0.5).astype(np.uint8), [NEWLY_COLOUR]),
            bounds,
            name=tr("newly_covered", lang),
            z_index=4,
            show=False,
        ).add_to(m)
        ImageLayer(
            palette_png(
                raster, _digitize(unc_after, UNCOVERED_BINS, unc_after > 0.5), UNCOVERED_COLOURS
            ),
            bounds,
            name=tr("uncovered_after", lang),
            z_index=5,
            show=True,
        ).add_to(m)
    sections = [
        legend_section(
            tr("uncovered_people", lang),
            [
                ("swatch", c, lab)
                for c, lab in zip(UNCOVERED_COLOURS, bin_labels(UNCOVERED_BINS), strict=True)
            ],
        ),
        legend_section(
            tr("density", lang) + f" [{tr('people_km2', lang)}]",
            [
                ("swatch", c, lab)
                for c, lab in zip(DENSITY_COLOURS, bin_labels(DENSITY_BINS), strict=True)
            ],
        ),
        legend_section(
            tr("urban_rural", lang),
            [
                ("swatch", URBAN_COLOUR, tr("urban", lang)),
                ("swatch", RURAL_COLOUR, tr("rural", lang)),
            ],
        ),
    ]
    if has_after:
        sections.append(
            legend_section(
                tr("newly_covered", lang), [("swatch", NEWLY_COLOUR, tr("newly_covered", lang))]
            )
        )
    return sections


def _type_colours(types: Sequence[str]) -> dict[str, str]:
    return {t: TYPE_COLOURS[i % len(TYPE_COLOURS)] for i, t in enumerate(sorted(set(types)))}


def _site_popup(rec: pd.Series, lang: str) -> str:
    people = float(rec["people_added"])
    cost = float(rec["cost_myen"])
    per = cost * 1e6 / people if people > 0 else float("nan")
    rows = [
        (tr("station_type", lang), esc(rec["station_type"])),
        (tr("cost", lang), fmt_num(cost, 1)),
    ]
    if "year" in rec.index and pd.notna(rec["year"]):
        rows.append((tr("fiscal_year", lang), esc(rec["year"])))
    rows.append((tr("people_added", lang), fmt_num(people)))
    explain = tr("site_explain", lang).format(
        people=fmt_num(people), cost=fmt_num(cost, 1), per=fmt_num(per)
    )
    return (
        f'<div class="denen-popup"><b>{esc(tr("site", lang))} {esc(rec["site_id"])}</b>'
        + table_html([(esc(a), b) for a, b in rows], escape=False)
        + f"<div>{esc(explain)}</div></div>"
    )


def add_new_sites(m: folium.Map, sites: gpd.GeoDataFrame, lang: str, cluster_over: int) -> str:
    colours = _type_colours(sites["station_type"].astype(str).tolist())
    people = pd.to_numeric(sites["people_added"], errors="coerce").fillna(0.0).to_numpy()
    radius = np.clip(4.0 + 1.2 * np.sqrt(np.maximum(people, 0) / 100.0), 4.0, 16.0)
    rows = []
    for i, rec in sites.iterrows():
        pt = rec.geometry
        colour = colours[str(rec["station_type"])]
        tip = f"{esc(rec['site_id'])} · {esc(rec['station_type'])}"
        rows.append(
            [
                round(pt.y, 5),
                round(pt.x, 5),
                round(float(radius[i]), 1),
                colour,
                "#222222",
                1.2,
                _site_popup(rec, lang),
                tip,
            ]
        )
    PointLayer(rows, name=tr("new_sites", lang), cluster=len(rows) > cluster_over).add_to(m)
    return legend_section(tr("new_sites", lang), [("dot", c, t) for t, c in colours.items()])


def add_stations(m: folium.Map, stations: gpd.GeoDataFrame, lang: str) -> str:
    """Existing stations counted per 2nd-order (10 km) mesh cell, off by default."""
    lon, lat = stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy()
    cell = mesh_from_points(lon, lat, level=2)
    table = pd.DataFrame({"cell": cell, "type": stations["station_type"].astype(str).to_numpy()})
    counts = table.groupby(["cell", "type"]).size().unstack(fill_value=0)
    total = counts.sum(axis=1)
    clon, clat = mesh_centroids(counts.index.to_numpy())
    rows = []
    for j, code in enumerate(counts.index):
        n = int(total.iloc[j])
        detail = "".join(
            f"<tr><td>{esc(t)}</td><td>{int(k)}</td></tr>" for t, k in counts.iloc[j].items() if k
        )
        popup = (
            f'<div class="denen-popup"><b>{n} {esc(tr("stations_in_cell", lang))}</b>'
            f" ({esc(code)})<table>{detail}</table></div>"
        )
        rows.append(
            [
                round(float(clat[j]), 4),
                round(float(clon[j]), 4),
                round(2.5 + 1.6 * float(np.log2(1 + n)), 1),
                "#636363",
                "#252525",
                0.6,
                popup,
                f"{n} {esc(tr('stations_in_cell', lang))}",
            ]
        )
    PointLayer(rows, name=tr("stations", lang), show=False, fill_opacity=0.55).add_to(m)
    return legend_section(tr("stations", lang), [("dot", "#636363", tr("stations", lang))])


def grid_bounds(cells: pd.DataFrame) -> tuple[float, float, float, float]:
    w, s, e, n = mesh_bounds(cells["mesh_code"].to_numpy())
    return float(w.min()), float(s.min()), float(e.max()), float(n.max())


def populate_coverage(
    m: folium.Map,
    view: CoverageView,
    *,
    simplified: gpd.GeoDataFrame,
    payload: str,
    lang: str,
    offline_only: bool,
    cluster_over: int,
) -> list[str]:
    cells = prepare_grid(view.grid)
    add_base_layers(m, payload, lang=lang, offline_only=offline_only)
    table = prefecture_map_table(cells, view.by_prefecture)
    legend = [add_prefecture_choropleth(m, simplified, payload, table, lang=lang)]
    legend += add_grid_layers(m, cells, lang)
    sites = checked_points(
        view.new_sites, ("site_id", "station_type", "cost_myen", "people_added"), "new_sites"
    )
    if sites is not None:
        legend.append(add_new_sites(m, sites, lang, cluster_over))
    stations = checked_points(view.stations, ("site_id", "station_type"), "stations")
    if stations is not None:
        legend.append(add_stations(m, stations, lang))
    return legend
