"""Per-municipality coverage choropleth on simplified N03 municipal outlines."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from denen_gis.errors import InputError
from denen_gis.geodesy import CRS_EPSG
from denen_gis.render._elements import GeoJsonLayer, esc, fmt_num, js_json
from denen_gis.render._prefs import COVERAGE_BINS, COVERAGE_COLOURS, bin_colours
from denen_gis.render.basemap import rounded_features
from denen_gis.render.i18n import tr

__all__ = ["MUNI_DATA_VAR", "add_municipal_choropleth", "municipal_payload"]

#: Name of the page-global JS variable holding the municipal outlines.
MUNI_DATA_VAR = "denen_municipalities"


def municipal_payload(
    municipalities: gpd.GeoDataFrame, codes: set[str], *, tolerance_deg: float
) -> str:
    """GeoJSON text (script-safe) of the ``codes`` municipalities, simplified for display.

    Only ``muni_code`` is kept as a property; tooltips carry the names.
    """
    frame = municipalities[municipalities["muni_code"].astype(str).isin(codes)]
    if frame.crs is not None and frame.crs.to_epsg() != CRS_EPSG:
        frame = frame.to_crs(CRS_EPSG)
    geom = shapely.simplify(frame.geometry.to_numpy(), tolerance_deg, preserve_topology=True)
    geom = shapely.set_precision(geom, tolerance_deg / 4.0)
    features = [
        {
            "type": "Feature",
            "properties": {"muni_code": str(code)},
            "geometry": shapely.geometry.mapping(g),
        }
        for code, g in zip(frame["muni_code"], geom, strict=True)
        if not (shapely.is_empty(g) or shapely.is_missing(g))
    ]
    return js_json({"type": "FeatureCollection", "features": rounded_features(features)})


def _tip(rec: pd.Series, lang: str) -> str:
    """A one-line tooltip (kept short: a national map carries 1,902 of them)."""
    before = fmt_num(rec.get("coverage_before_pct", np.nan), 1)
    after = fmt_num(rec.get("coverage_after_pct", np.nan), 1)
    change = f"{before}%" if after == "–" else f"{before}% → {after}%"
    return (
        f"<b>{esc(rec.get('name_ja', ''))} ({esc(rec['muni_code'])})</b><br>"
        f"{fmt_num(rec['population'])} {esc(tr('people_unit', lang))} · "
        f"{esc(tr('coverage_short', lang))} {change}"
    )


def add_municipal_choropleth(
    m: folium.Map,
    municipalities: gpd.GeoDataFrame,
    by_municipality: pd.DataFrame,
    *,
    lang: str,
    tolerance_deg: float | None = None,
    show: bool = False,
) -> None:
    """Coverage [%] by municipality (after if known, else before), toggled in the layer control.

    Parameters
    ----------
    municipalities
        N03 polygons with ``muni_code``.
    by_municipality
        ``muni_code``, ``name_ja``, ``population`` and ``coverage_before_pct``
        (or ``coverage_pct``), optional ``coverage_after_pct``; only these
        municipalities are drawn.
    tolerance_deg
        Simplification [degrees]; default 0.02 (about 2 km) past 200
        municipalities, else 0.002, so a national page stays small.
    show
        Whether the layer is on when the map opens.
    """
    if "muni_code" not in by_municipality.columns or by_municipality.empty:
        return
    table = by_municipality.copy()
    if "coverage_before_pct" not in table.columns:
        if "coverage_pct" not in table.columns:
            msg = "by_municipality: needs coverage_before_pct or coverage_pct"
            raise InputError(msg)
        table["coverage_before_pct"] = table["coverage_pct"]
    table["muni_code"] = table["muni_code"].astype(str)
    col = (
        "coverage_after_pct"
        if "coverage_after_pct" in table.columns and table["coverage_after_pct"].notna().any()
        else "coverage_before_pct"
    )
    tol = tolerance_deg if tolerance_deg is not None else (0.02 if len(table) > 200 else 0.002)
    payload = municipal_payload(municipalities, set(table["muni_code"]), tolerance_deg=tol)
    values = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float)
    good = np.isfinite(values)
    fills = bin_colours(values[good], COVERAGE_BINS, COVERAGE_COLOURS)
    codes = table["muni_code"].to_numpy()[good]
    GeoJsonLayer(
        MUNI_DATA_VAR,
        payload,
        name=tr("coverage_by_muni", lang),
        pane="denen-choro",
        key="muni_code",
        base_style={"color": "#777777", "weight": 0.4, "fillOpacity": 0.65, "opacity": 0.8},
        styles={c: {"fillColor": f} for c, f in zip(codes, fills, strict=True)},
        tips={r["muni_code"]: _tip(r, lang) for _, r in table.iterrows()},
        only_keyed=True,
        highlight=True,
        show=show,
    ).add_to(m)
