"""Per-prefecture tables and choropleths drawn on the shared prefecture outlines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from denen_gis.errors import InputError
from denen_gis.render._elements import (
    GeoJsonLayer,
    bin_labels,
    esc,
    fmt_num,
    legend_section,
    table_html,
)
from denen_gis.render.basemap import PREF_DATA_VAR
from denen_gis.render.i18n import tr

__all__ = [
    "COVERAGE_BINS",
    "COVERAGE_COLOURS",
    "add_prefecture_choropleth",
    "bin_colours",
    "choropleth_layer",
    "pref_names",
    "prefecture_map_table",
]

#: Coverage classes [%] of the prefecture choropleth.
COVERAGE_BINS = (50.0, 80.0, 90.0, 95.0, 99.0)
COVERAGE_COLOURS = ["#d73027", "#fc8d59", "#fee08b", "#d9ef8b", "#91cf60", "#1a9850"]


def pref_names(simplified: gpd.GeoDataFrame) -> dict[str, tuple[str, str]]:
    """``code -> (name_ja, name_en)`` (raw text; escape before use)."""
    return {
        str(c): (str(j), str(e))
        for c, j, e in zip(
            simplified["code"], simplified["name_ja"], simplified["name_en"], strict=True
        )
    }


def _pct(num: pd.Series, den: pd.Series) -> pd.Series:
    return (100.0 * num / den.where(den > 0)).astype(float)


def prefecture_map_table(cells: pd.DataFrame, by_prefecture: pd.DataFrame | None) -> pd.DataFrame:
    """Population and coverage per prefecture, indexed by ``pref_code``.

    Columns: ``population`` [persons], ``coverage_before_pct``,
    ``coverage_after_pct``, ``target_pct`` [%], ``gap_pp`` [pp]. Values from
    ``by_prefecture`` win over those computed from the grid.
    """
    sums = cells.groupby("pref_code")[
        ["population", "covered_before_pop", "covered_after_pop"]
    ].sum()
    table = pd.DataFrame(index=sums.index)
    table["population"] = sums["population"]
    table["coverage_before_pct"] = _pct(sums["covered_before_pop"], sums["population"])
    has_after = bool(cells.attrs.get("has_after", False))
    table["coverage_after_pct"] = (
        _pct(sums["covered_after_pop"], sums["population"]) if has_after else np.nan
    )
    table["target_pct"] = np.nan
    table["gap_pp"] = np.nan
    if by_prefecture is not None:
        if "pref_code" not in by_prefecture.columns:
            msg = "by_prefecture: missing column 'pref_code'; add the JIS prefecture code '01'-'47'"
            raise InputError(msg)
        given = by_prefecture.copy()
        given["pref_code"] = given["pref_code"].astype(str).str.zfill(2)
        if given["pref_code"].duplicated().any():
            dup = given["pref_code"][given["pref_code"].duplicated()].iloc[0]
            msg = f"by_prefecture: pref_code {dup!r} appears more than once"
            raise InputError(msg)
        given = given.set_index("pref_code")
        table = table.reindex(table.index.union(given.index))
        for col in ("coverage_before_pct", "coverage_after_pct", "target_pct", "gap_pp"):
            if col in given.columns:
                values = pd.to_numeric(given[col], errors="coerce")
                table.loc[values.index, col] = values.to_numpy(dtype=float)
    table.index.name = "pref_code"
    return table


def bin_colours(values: np.ndarray, bins: Sequence[float], colours: Sequence[str]) -> list[str]:
    """Colour of each value's class (``len(colours) == len(bins) + 1``)."""
    idx = np.digitize(np.asarray(values, dtype=float), bins)
    return [colours[i] for i in idx]


def choropleth_layer(
    m: folium.Map,
    payload: str,
    values: Mapping[str, float],
    *,
    bins: Sequence[float],
    colours: Sequence[str],
    tips: Mapping[str, str],
    name: str,
    show: bool = True,
) -> None:
    """Fill the prefectures in ``values`` (code -> value) by class; others are not drawn."""
    codes = [c for c, v in values.items() if np.isfinite(v)]
    fills = bin_colours(np.array([values[c] for c in codes]), bins, colours)
    styles = {c: {"fillColor": f} for c, f in zip(codes, fills, strict=True)}
    GeoJsonLayer(
        PREF_DATA_VAR,
        payload,
        name=name,
        pane="denen-choro",
        key="code",
        base_style={"color": "#555555", "weight": 0.8, "fillOpacity": 0.6, "opacity": 0.9},
        styles=styles,
        tips=tips,
        only_keyed=True,
        highlight=True,
        show=show,
    ).add_to(m)


def add_prefecture_choropleth(
    m: folium.Map,
    simplified: gpd.GeoDataFrame,
    payload: str,
    table: pd.DataFrame,
    *,
    lang: str,
) -> str:
    """Coverage choropleth (after if known, else before) with a tooltip table per prefecture."""
    names = pref_names(simplified)
    use_after = table["coverage_after_pct"].notna().any()
    col = "coverage_after_pct" if use_after else "coverage_before_pct"
    tips = {}
    for code, rec in table.iterrows():
        ja, en = names.get(str(code), ("", ""))
        head = " / ".join(x for x in (ja, en) if x) or str(code)
        rows = [
            (tr("population", lang), fmt_num(rec["population"])),
            (tr("coverage_before", lang), fmt_num(rec["coverage_before_pct"], 1)),
            (tr("coverage_after", lang), fmt_num(rec["coverage_after_pct"], 1)),
            (tr("target", lang), fmt_num(rec["target_pct"], 1)),
            (tr("gap", lang), fmt_num(rec["gap_pp"], 1)),
        ]
        tips[str(code)] = f"<b>{esc(head)}</b>" + table_html(
            [(esc(a), b) for a, b in rows if b != "–"], escape=False
        )
    values = {str(c): float(v) for c, v in table[col].items()}
    choropleth_layer(
        m,
        payload,
        values,
        bins=COVERAGE_BINS,
        colours=COVERAGE_COLOURS,
        tips=tips,
        name=tr("coverage_by_pref", lang),
    )
    labels = bin_labels(COVERAGE_BINS, " %")
    title = tr("coverage_after" if use_after else "coverage_before", lang)
    return legend_section(
        title, [("swatch", c, lab) for c, lab in zip(COVERAGE_COLOURS, labels, strict=True)]
    )
