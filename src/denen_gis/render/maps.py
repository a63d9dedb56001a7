"""Offline Folium maps: 5G coverage, infrastructure, and two scenarios side by side.

Every map is a self-contained HTML page (see :mod:`denen_gis.render.assets`)
with the offline prefecture base (:mod:`denen_gis.render.basemap`), a layer
control, a legend, a metric scale bar and a title block that names the
scenario, the date and the modelled layers. Large layers never become one
feature per 1 km cell: the population grid is drawn as palette PNG overlays
(one pixel per mesh cell) and existing stations are counted per 10 km cell.
All text from the inputs is HTML-escaped.

Input frames (columns by name; extra columns are ignored):

- ``grid``: ``mesh_code`` (JIS X 0410, 8 digits for 1 km), ``population``
  [persons], ``pref_code``, ``urban`` (bool), ``covered_before`` (bool) and
  optionally ``covered_after`` (bool).
- ``prefectures``: the ``regions`` layer (``code``, ``name_ja``, ``name_en``).
- ``by_prefecture``: ``pref_code``, ``coverage_before_pct``, and optionally
  ``coverage_after_pct``, ``target_pct``, ``gap_pp``.
- ``new_sites``: points with ``site_id``, ``station_type``, ``cost_myen``,
  ``people_added`` and optionally ``year`` (fiscal year).
- ``stations``: points with ``site_id``, ``station_type``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import branca.element as be
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.plugins import DualMap

from denen_gis.errors import InputError
from denen_gis.geodesy import box_area_km2
from denen_gis.io.files import write_text_atomic
from denen_gis.mesh import mesh_bounds, mesh_centroids, mesh_from_points, mesh_indices, mesh_parent
from denen_gis.render._elements import (
    FitBounds,
    HtmlControl,
    ImageLayer,
    PointLayer,
    ScaleBar,
    bin_labels,
    esc,
    fmt_num,
    frame_table_html,
    legend_section,
    table_html,
)
from denen_gis.render._infra import add_infrastructure_layers
from denen_gis.render._prefs import add_prefecture_choropleth, pref_names, prefecture_table
from denen_gis.render._raster import MeshRaster, palette_png
from denen_gis.render.assets import make_offline
from denen_gis.render.basemap import (
    add_base_layers,
    new_map,
    prefecture_payload,
    simplify_prefectures,
)
from denen_gis.render.i18n import LABELS, check_lang, tr

__all__ = [
    "DENSITY_BINS",
    "UNCOVERED_BINS",
    "CoverageView",
    "comparison_map",
    "coverage_map",
    "infrastructure_map",
    "save_map",
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

COVERAGE_MODELLED = ("m_population", "m_stations", "m_coverage")
INFRA_MODELLED = ("m_capacity", "m_latency")


@dataclass(frozen=True, eq=False)
class CoverageView:
    """One scenario for :func:`comparison_map` (the same inputs as :func:`coverage_map`)."""

    grid: pd.DataFrame
    scenario_name: str
    by_prefecture: pd.DataFrame | None = None
    new_sites: gpd.GeoDataFrame | None = None
    stations: gpd.GeoDataFrame | None = None


# ---------------------------------------------------------------------------
# inputs


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


def _prepare_grid(grid: pd.DataFrame) -> pd.DataFrame:
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


def _points(
    frame: gpd.GeoDataFrame | None, required: Sequence[str], source: str
) -> gpd.GeoDataFrame | None:
    if frame is None:
        return None
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"{source}: expected a GeoDataFrame of points"
        raise InputError(msg)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        msg = f"{source}: missing column(s) {missing}; columns present: {list(frame.columns)}"
        raise InputError(msg)
    if len(frame) == 0:
        return None
    if frame.crs is None:
        msg = f"{source}: the layer has no CRS; set one (e.g. EPSG:6668)"
        raise InputError(msg)
    out = frame.to_crs(6668) if frame.crs.to_epsg() != 6668 else frame
    kinds = set(out.geom_type.unique())
    if kinds != {"Point"}:
        msg = f"{source}: geometry must be points, found {sorted(kinds)}"
        raise InputError(msg)
    return out.reset_index(drop=True)


def _modelled(labels: Sequence[str], lang: str) -> str:
    names = [LABELS[k][lang] if k in LABELS else str(k) for k in labels]
    return ", ".join(names) if names else tr("none", lang)


# ---------------------------------------------------------------------------
# layers


def _digitize(values: np.ndarray, bins: Sequence[float], present: np.ndarray) -> np.ndarray:
    return np.where(present, 1 + np.digitize(values, bins), 0).astype(np.uint8)


def _add_grid_layers(m: folium.Map, cells: pd.DataFrame, lang: str) -> list[str]:
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


def _add_new_sites(m: folium.Map, sites: gpd.GeoDataFrame, lang: str, cluster_over: int) -> str:
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


def _add_stations(m: folium.Map, stations: gpd.GeoDataFrame, lang: str) -> str:
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


# ---------------------------------------------------------------------------
# map furniture


def _title_html(title: str, scenario: str, date: str, modelled: Sequence[str], lang: str) -> str:
    return (
        f"<h4>{esc(title)}</h4>"
        f"<div>{esc(tr('scenario', lang))}: <b>{esc(scenario or '–')}</b> · "
        f"{esc(tr('date', lang))}: {esc(date)}</div>"
        f"<div>{esc(tr('modelled', lang))}: {esc(_modelled(modelled, lang))} "
        f"({esc(tr('calibrated', lang))})</div>"
    )


def _finish(
    m: folium.Map, *, title_html: str, legend: Sequence[str], lang: str, narrow: bool = False
) -> None:
    # Half-width maps (DualMap) get a collapsed layer control and a narrow title.
    folium.LayerControl(collapsed=narrow, position="topright").add_to(m)
    css = "denen-title denen-narrow" if narrow else "denen-title"
    HtmlControl(title_html, position="topcenter", css_class=css).add_to(m)
    legend_html = f"<h4>{esc(tr('legend', lang))}</h4>" + "".join(legend)
    HtmlControl(legend_html, position="bottomright", css_class="denen-legend").add_to(m)
    ScaleBar().add_to(m)


def _today(date: str | dt.date | None) -> str:
    if date is None:
        return dt.date.today().isoformat()
    return date.isoformat() if isinstance(date, dt.date) else str(date)


def _grid_bounds(cells: pd.DataFrame) -> tuple[float, float, float, float]:
    w, s, e, n = mesh_bounds(cells["mesh_code"].to_numpy())
    return float(w.min()), float(s.min()), float(e.max()), float(n.max())


def _populate_coverage(
    m: folium.Map,
    view: CoverageView,
    *,
    simplified: gpd.GeoDataFrame,
    payload: str,
    lang: str,
    offline_only: bool,
    cluster_over: int,
) -> list[str]:
    cells = _prepare_grid(view.grid)
    add_base_layers(m, payload, lang=lang, offline_only=offline_only)
    table = prefecture_table(cells, view.by_prefecture)
    legend = [add_prefecture_choropleth(m, simplified, payload, table, lang=lang)]
    legend += _add_grid_layers(m, cells, lang)
    sites = _points(
        view.new_sites, ("site_id", "station_type", "cost_myen", "people_added"), "new_sites"
    )
    if sites is not None:
        legend.append(_add_new_sites(m, sites, lang, cluster_over))
    stations = _points(view.stations, ("site_id", "station_type"), "stations")
    if stations is not None:
        legend.append(_add_stations(m, stations, lang))
    return legend


# ---------------------------------------------------------------------------
# public maps


def coverage_map(
    grid: pd.DataFrame,
    prefectures: gpd.GeoDataFrame,
    *,
    by_prefecture: pd.DataFrame | None = None,
    new_sites: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    scenario_name: str = "",
    lang: str = "en",
    modelled_layers: Sequence[str] = COVERAGE_MODELLED,
    date: str | dt.date | None = None,
    offline_only: bool = False,
    cluster_over: int = 100,
    tolerance_deg: float = 0.01,
) -> folium.Map:
    """A self-contained 5G coverage map.

    Parameters
    ----------
    grid
        Population grid with ``mesh_code``, ``population`` [persons],
        ``pref_code``, ``urban``, ``covered_before`` and optionally
        ``covered_after``; drawn as 1 km raster layers (density, uncovered
        people before/after, newly covered, urban/rural).
    prefectures
        ``regions`` layer; the offline base and the per-prefecture choropleth.
    by_prefecture
        ``pref_code``, ``coverage_before_pct``, ``coverage_after_pct``,
        ``target_pct``, ``gap_pp`` [%/pp]; computed from ``grid`` when omitted.
    new_sites
        Chosen sites: ``site_id``, ``station_type``, ``cost_myen`` [million yen],
        ``people_added`` [persons], optional ``year``; circle markers with
        popups, clustered past ``cluster_over`` sites.
    stations
        Existing stations (``site_id``, ``station_type``), counted per 10 km
        cell in a layer that is off by default.
    title, scenario_name, date, modelled_layers
        Title block; ``modelled_layers`` items that are keys of
        :data:`denen_gis.render.i18n.LABELS` are translated.
    lang
        ``"en"`` or ``"ja"``.
    offline_only
        Leave out the optional online tile layers.
    tolerance_deg
        Simplification of the prefecture outlines [degrees].

    Returns
    -------
    folium.Map
        Save it with :func:`save_map`.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> prefs = gpd.GeoDataFrame({"code": ["05"], "name_ja": ["秋田県"], "name_en": ["Akita"]},
    ...                          geometry=[box(139.7, 38.9, 141.0, 40.5)], crs=6668)
    >>> grid = pd.DataFrame({"mesh_code": ["59403700"], "population": [900], "pref_code": ["05"],
    ...                      "urban": [False], "covered_before": [False]})
    >>> m = coverage_map(grid, prefs, scenario_name="demo", date="2025-04-01")
    >>> "Uncovered people, before" in m.get_root().render()
    True
    """
    check_lang(lang)
    simplified = simplify_prefectures(prefectures, tolerance_deg=tolerance_deg)
    payload = prefecture_payload(simplified)
    view = CoverageView(grid, scenario_name, by_prefecture, new_sites, stations)
    m = new_map(bounds=_grid_bounds(_prepare_grid(grid)))
    legend = _populate_coverage(
        m,
        view,
        simplified=simplified,
        payload=payload,
        lang=lang,
        offline_only=offline_only,
        cluster_over=cluster_over,
    )
    title_text = title or tr("coverage_by_pref", lang)
    _finish(
        m,
        title_html=_title_html(title_text, scenario_name, _today(date), modelled_layers, lang),
        legend=legend,
        lang=lang,
    )
    make_offline(m)
    return m


def infrastructure_map(
    prefectures: gpd.GeoDataFrame,
    *,
    datacenters: gpd.GeoDataFrame,
    cables: gpd.GeoDataFrame,
    landings: gpd.GeoDataFrame,
    backbone: gpd.GeoDataFrame | None = None,
    rtt: pd.DataFrame | None = None,
    resilience: pd.DataFrame | None = None,
    title: str | None = None,
    scenario_name: str = "",
    lang: str = "en",
    modelled_layers: Sequence[str] = INFRA_MODELLED,
    date: str | dt.date | None = None,
    offline_only: bool = False,
    tolerance_deg: float = 0.01,
) -> folium.Map:
    """A self-contained map of data centres, cables, landings and latency.

    Parameters
    ----------
    prefectures
        ``regions`` layer.
    datacenters
        Points: ``site_id``, ``name``, ``name_ja``, ``pref_code``, ``status``
        (existing | funded | candidate), ``capacity_mw`` [MW] (marker size),
        ``chosen`` (bool, optional; outlined).
    cables
        Lines: ``cable_id``, ``name``, ``status`` (existing | planned; planned dashed).
    landings
        Points: ``landing_id``, ``name``, ``chosen`` (bool, optional).
    backbone
        Lines: ``kind`` (land | submarine), ``from_code``, ``to_code``, ``length_km``.
    rtt
        ``pref_code``, ``rtt_ms`` [ms]: round-trip time, drawn as a choropleth.
    resilience
        ``element``, ``population_cut`` [persons], ``rtt_increase_ms`` [ms]:
        ranked in a panel ("which cut hurts most").
    title, scenario_name, lang, modelled_layers, date, offline_only, tolerance_deg
        As in :func:`coverage_map`.
    """
    check_lang(lang)
    simplified = simplify_prefectures(prefectures, tolerance_deg=tolerance_deg)
    payload = prefecture_payload(simplified)
    w, s, e, n = simplified.total_bounds
    m = new_map(bounds=(w, s, e, n))
    add_base_layers(m, payload, lang=lang, offline_only=offline_only)
    dcs = _points(
        datacenters, ("site_id", "name", "pref_code", "status", "capacity_mw"), "datacenters"
    )
    lands = _points(landings, ("landing_id", "name"), "landings")
    legend = add_infrastructure_layers(
        m,
        simplified=simplified,
        payload=payload,
        names=pref_names(simplified),
        datacenters=dcs,
        cables=cables,
        landings=lands,
        backbone=backbone,
        rtt=rtt,
        resilience=resilience,
        lang=lang,
        tolerance_deg=tolerance_deg / 2.0,
    )
    title_text = title or tr("datacenters", lang)
    _finish(
        m,
        title_html=_title_html(title_text, scenario_name, _today(date), modelled_layers, lang),
        legend=legend,
        lang=lang,
    )
    make_offline(m)
    return m


def comparison_map(
    left: CoverageView,
    right: CoverageView,
    *,
    prefectures: gpd.GeoDataFrame,
    diff_table: pd.DataFrame,
    title: str | None = None,
    lang: str = "en",
    modelled_layers: Sequence[str] = COVERAGE_MODELLED,
    date: str | dt.date | None = None,
    offline_only: bool = False,
    cluster_over: int = 100,
    tolerance_deg: float = 0.01,
) -> DualMap:
    """Two coverage maps side by side (pan and zoom together) and a difference table.

    Parameters
    ----------
    left, right
        The two scenarios (:class:`CoverageView`).
    prefectures
        ``regions`` layer shared by both sides.
    diff_table
        Any table (for example per prefecture: coverage left, right and the
        difference [pp]); shown escaped in a scrollable panel on the left map.
    title, lang, modelled_layers, date, offline_only, cluster_over, tolerance_deg
        As in :func:`coverage_map`.
    """
    check_lang(lang)
    if not isinstance(diff_table, pd.DataFrame):
        msg = "diff_table: expected a pandas DataFrame"
        raise InputError(msg)
    simplified = simplify_prefectures(prefectures, tolerance_deg=tolerance_deg)
    payload = prefecture_payload(simplified)
    dual = DualMap(location=(37.0, 137.5), zoom_start=5, tiles=None, minZoom=4, maxZoom=18)
    bounds = [_grid_bounds(_prepare_grid(v.grid)) for v in (left, right)]
    w = min(b[0] for b in bounds)
    s = min(b[1] for b in bounds)
    e = max(b[2] for b in bounds)
    n = max(b[3] for b in bounds)
    date_text = _today(date)
    for side, view in ((dual.m1, left), (dual.m2, right)):
        legend = _populate_coverage(
            side,
            view,
            simplified=simplified,
            payload=payload,
            lang=lang,
            offline_only=offline_only,
            cluster_over=cluster_over,
        )
        title_text = title or tr("coverage_by_pref", lang)
        _finish(
            side,
            title_html=_title_html(
                title_text, view.scenario_name, date_text, modelled_layers, lang
            ),
            legend=legend,
            narrow=True,
            lang=lang,
        )
    panel = (
        f"<details open><summary><b>{esc(tr('difference', lang))}</b></summary>"
        f'<div class="denen-scroll">{frame_table_html(diff_table)}</div></details>'
    )
    HtmlControl(panel, position="bottomleft").add_to(dual.m1)
    for side in (dual.m1, dual.m2):
        FitBounds([[s, w], [n, e]]).add_to(side)
    make_offline(dual)
    return dual


def save_map(
    m: folium.Map | DualMap | be.Figure, path: str | os.PathLike[str], *, offline: bool = True
) -> Path:
    """Write a map page atomically (temporary file, then ``os.replace``).

    Parameters
    ----------
    m
        A map from this module (or any folium map, DualMap or Figure).
    path
        Output ``.html`` file; its folder is created if needed.
    offline
        Inline every script and style sheet (:func:`~denen_gis.render.assets.make_offline`).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    root = make_offline(m) if offline else m.get_root()
    text = root.render()
    write_text_atomic(out, text)
    logger.info("map written to %s (%.1f MB)", out, out.stat().st_size / 1e6)
    return out
