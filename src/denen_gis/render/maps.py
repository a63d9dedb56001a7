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
from pathlib import Path

import branca.element as be
import folium
import geopandas as gpd
import pandas as pd
from folium.plugins import DualMap

from denen_gis.errors import InputError
from denen_gis.io.files import write_text_atomic
from denen_gis.io.temporaries import output_target
from denen_gis.render._coverage import (
    DENSITY_BINS,
    UNCOVERED_BINS,
    CoverageView,
    grid_bounds,
    populate_coverage,
    prepare_grid,
)
from denen_gis.render._elements import (
    FitBounds,
    HtmlControl,
    ScaleBar,
    checked_points,
    esc,
    frame_table_html,
)
from denen_gis.render._infra import add_infrastructure_layers
from denen_gis.render._munis import add_municipal_choropleth
from denen_gis.render._prefs import pref_names
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

COVERAGE_MODELLED = ("m_population", "m_stations", "m_coverage")
INFRA_MODELLED = ("m_capacity", "m_latency")


def _modelled(labels: Sequence[str], lang: str) -> str:
    names = [LABELS[k][lang] if k in LABELS else str(k) for k in labels]
    return ", ".join(names) if names else tr("none", lang)


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


# ---------------------------------------------------------------------------
# public maps


def coverage_map(  # noqa: PLR0913 -- map options are keyword-only parameters
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
    municipalities: gpd.GeoDataFrame | None = None,
    by_municipality: pd.DataFrame | None = None,
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
    municipalities, by_municipality
        N03 municipal polygons (``muni_code``) and the per-municipality table
        (``muni_code``, ``name_ja``, ``population``, ``coverage_before_pct`` or
        ``coverage_pct``, optional ``coverage_after_pct``): a municipal
        choropleth of the table's municipalities, off until toggled on.

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
    m = new_map(bounds=grid_bounds(prepare_grid(grid)))
    legend = populate_coverage(
        m,
        view,
        simplified=simplified,
        payload=payload,
        lang=lang,
        offline_only=offline_only,
        cluster_over=cluster_over,
    )
    if municipalities is not None and by_municipality is not None:
        add_municipal_choropleth(m, municipalities, by_municipality, lang=lang)
    title_text = title or tr("coverage_by_pref", lang)
    _finish(
        m,
        title_html=_title_html(title_text, scenario_name, _today(date), modelled_layers, lang),
        legend=legend,
        lang=lang,
    )
    make_offline(m)
    return m


def infrastructure_map(  # noqa: PLR0913 -- map options are keyword-only parameters
    prefectures: gpd.GeoDataFrame,
    *,
    datacenters: gpd.GeoDataFrame,
    cables: gpd.GeoDataFrame,
    landings: gpd.GeoDataFrame,
    backbone: gpd.GeoDataFrame | None = None,
    rtt: pd.DataFrame | None = None,
    resilience: pd.DataFrame | None = None,
    hazards: gpd.GeoDataFrame | None = None,
    hazard_routes: gpd.GeoDataFrame | None = None,
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
    hazards, hazard_routes
        Hazard zones (``id``, ``name``, ``without_cable``, ``with_cable``: who is
        cut off) and the links each fails (``hazard``, ``link_id``), from
        :func:`denen_gis.infrastructure.studies.hazard_layers`: one toggle layer
        per zone.
    title, scenario_name, lang, modelled_layers, date, offline_only, tolerance_deg
        As in :func:`coverage_map`.
    """
    check_lang(lang)
    simplified = simplify_prefectures(prefectures, tolerance_deg=tolerance_deg)
    payload = prefecture_payload(simplified)
    w, s, e, n = simplified.total_bounds
    m = new_map(bounds=(w, s, e, n))
    add_base_layers(m, payload, lang=lang, offline_only=offline_only)
    dcs = checked_points(
        datacenters, ("site_id", "name", "pref_code", "status", "capacity_mw"), "datacenters"
    )
    lands = checked_points(landings, ("landing_id", "name"), "landings")
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
        hazards=hazards,
        hazard_routes=hazard_routes,
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
    bounds = [grid_bounds(prepare_grid(v.grid)) for v in (left, right)]
    w = min(b[0] for b in bounds)
    s = min(b[1] for b in bounds)
    e = max(b[2] for b in bounds)
    n = max(b[3] for b in bounds)
    date_text = _today(date)
    for side, view in ((dual.m1, left), (dual.m2, right)):
        legend = populate_coverage(
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
        The written file (``path`` resolved, see
        :func:`denen_gis.io.temporaries.output_target`).
    """
    out = output_target(path)  # through a link its target (the link stays); `sub/../x` is x
    out.parent.mkdir(parents=True, exist_ok=True)
    root = make_offline(m) if offline else m.get_root()
    # The generator tag marks the page as denen-gis output (the CLI replaces such a
    # file without --force).
    text = root.render().replace(
        "<head>", '<head>\n    <meta name="generator" content="denen-gis">', 1
    )
    write_text_atomic(out, text)
    logger.info("map written to %s (%.1f MB)", out, out.stat().st_size / 1e6)
    return out
