"""Layers of the infrastructure map: data centres, cables, landings, backbone, latency."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from denen_gis.errors import InputError
from denen_gis.render._elements import (
    GeoJsonLayer,
    HtmlControl,
    PointLayer,
    bin_labels,
    esc,
    fmt_num,
    js_json,
    legend_section,
    table_html,
)
from denen_gis.render._prefs import choropleth_layer
from denen_gis.render.basemap import rounded_features
from denen_gis.render.i18n import tr

__all__ = ["RTT_BINS", "STATUS_COLOURS", "add_infrastructure_layers"]

STATUS_COLOURS = {"existing": "#3182bd", "funded": "#31a354", "candidate": "#bdbdbd"}
CHOSEN_FILL = "#fd8d3c"
#: Round-trip time classes [ms].
RTT_BINS = (2.0, 4.0, 6.0, 8.0, 12.0)
RTT_COLOURS = ["#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027"]
CABLE_STYLE = {"existing": ("#08306b", None), "planned": ("#e6550d", "8 6")}
BACKBONE_STYLE = {"land": ("#8c510a", None), "submarine": ("#2166ac", "4 5")}


def _truthy(series: pd.Series) -> np.ndarray:
    if series.dtype == bool:
        return series.to_numpy()
    return series.astype(str).str.strip().str.lower().isin(["true", "1", "yes", "1.0"]).to_numpy()


def _lines(
    frame: gpd.GeoDataFrame, required: Sequence[str], source: str, tolerance_deg: float
) -> tuple[gpd.GeoDataFrame, str]:
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"{source}: expected a GeoDataFrame of lines"
        raise InputError(msg)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        msg = f"{source}: missing column(s) {missing}; columns present: {list(frame.columns)}"
        raise InputError(msg)
    if frame.crs is None:
        msg = f"{source}: the layer has no CRS; set one (e.g. EPSG:6668)"
        raise InputError(msg)
    out = (frame.to_crs(6668) if frame.crs.to_epsg() != 6668 else frame).reset_index(drop=True)
    kinds = set(out.geom_type.unique())
    if not kinds <= {"LineString", "MultiLineString"}:
        msg = f"{source}: geometry must be lines, found {sorted(kinds)}"
        raise InputError(msg)
    geom = shapely.simplify(out.geometry.to_numpy(), tolerance_deg)
    features = [
        {"type": "Feature", "properties": {"k": str(i)}, "geometry": shapely.geometry.mapping(g)}
        for i, g in enumerate(geom)
    ]
    payload = js_json({"type": "FeatureCollection", "features": rounded_features(features)})
    return out, payload


def _line_layer(
    m: folium.Map,
    frame: gpd.GeoDataFrame,
    payload: str,
    *,
    name: str,
    colours: list[str],
    dashes: list[str | None],
    tips: list[str],
) -> None:
    styles = {}
    for i, (c, d) in enumerate(zip(colours, dashes, strict=True)):
        style: dict[str, object] = {"color": c}
        if d:
            style["dashArray"] = d
        styles[str(i)] = style
    layer = GeoJsonLayer(
        "",
        payload,
        name=name,
        pane="denen-lines",
        key="k",
        base_style={"weight": 3, "opacity": 0.9},
        styles=styles,
        tips={str(i): t for i, t in enumerate(tips)},
    )
    layer.data_var = f"denen_{layer.get_name()}"
    layer.add_to(m)


def _add_datacenters(
    m: folium.Map, dcs: gpd.GeoDataFrame, names: Mapping[str, tuple[str, str]], lang: str
) -> str:
    cap = pd.to_numeric(dcs["capacity_mw"], errors="coerce").fillna(0.0).to_numpy()
    radius = np.clip(4.0 + 1.3 * np.sqrt(np.maximum(cap, 0.0)), 4.0, 18.0)
    chosen = _truthy(dcs["chosen"]) if "chosen" in dcs.columns else np.zeros(len(dcs), bool)
    order = np.argsort(-radius, kind="stable")  # big circles first, small ones stay clickable
    rows = []
    for i in order:
        rec = dcs.iloc[i]
        status = str(rec["status"])
        fill = CHOSEN_FILL if chosen[i] else STATUS_COLOURS.get(status, "#969696")
        ja = str(rec["name_ja"]) if "name_ja" in dcs.columns else ""
        pref = " / ".join(x for x in names.get(str(rec["pref_code"]).zfill(2), ()) if x)
        status_text = tr(status, lang) if status in STATUS_COLOURS else status
        table = [
            (tr("prefecture", lang), pref or str(rec["pref_code"])),
            (tr("status", lang), status_text + (f" · {tr('chosen', lang)}" if chosen[i] else "")),
            (tr("capacity", lang), fmt_num(cap[i], 1)),
        ]
        head = " / ".join(x for x in (str(rec["name"]), ja) if x)
        popup = (
            f'<div class="denen-popup"><b>{esc(head)}</b> ({esc(rec["site_id"])})'
            + table_html(table)
            + "</div>"
        )
        pt = rec.geometry
        rows.append(
            [
                round(pt.y, 5),
                round(pt.x, 5),
                round(float(radius[i]), 1),
                fill,
                "#000000" if chosen[i] else "#333333",
                3.0 if chosen[i] else 1.0,
                popup,
                esc(head),
            ]
        )
    PointLayer(rows, name=tr("datacenters", lang), fill_opacity=0.8).add_to(m)
    entries = [("dot", c, tr(s, lang)) for s, c in STATUS_COLOURS.items()]
    entries.append(("dot", CHOSEN_FILL, tr("dc_chosen", lang)))
    return legend_section(f"{tr('datacenters', lang)} ({tr('size_by_capacity', lang)})", entries)


def _add_landings(m: folium.Map, lands: gpd.GeoDataFrame, lang: str) -> str:
    chosen = _truthy(lands["chosen"]) if "chosen" in lands.columns else np.zeros(len(lands), bool)
    rows = []
    for i, rec in lands.iterrows():
        label = f"{esc(rec['name'])} ({esc(rec['landing_id'])})"
        status = f" · {esc(tr('chosen', lang))}" if chosen[i] else ""
        popup = f'<div class="denen-popup"><b>{label}</b>{status}</div>'
        rows.append(
            [
                round(rec.geometry.y, 5),
                round(rec.geometry.x, 5),
                6 if chosen[i] else 4.5,
                CHOSEN_FILL if chosen[i] else "#ffffff",
                "#08306b",
                2.0,
                popup,
                label,
            ]
        )
    PointLayer(rows, name=tr("landings", lang), fill_opacity=1.0).add_to(m)
    return legend_section(
        tr("landings", lang),
        [("dot", "#ffffff", tr("landings", lang)), ("dot", CHOSEN_FILL, tr("chosen", lang))],
    )


def _resilience_panel(table: pd.DataFrame, lang: str, top: int = 10) -> str:
    for col in ("element", "population_cut", "rtt_increase_ms"):
        if col not in table.columns:
            msg = (
                f"resilience: missing column {col!r}; need element, population_cut, rtt_increase_ms"
            )
            raise InputError(msg)
    ranked = table.assign(
        _p=pd.to_numeric(table["population_cut"], errors="coerce").fillna(0.0),
        _r=pd.to_numeric(table["rtt_increase_ms"], errors="coerce").fillna(0.0),
    ).sort_values(["_p", "_r"], ascending=False, kind="stable")
    rows = [
        (str(k + 1), rec["element"], fmt_num(rec["_p"]), fmt_num(rec["_r"], 1))
        for k, (_, rec) in enumerate(ranked.head(top).iterrows())
    ]
    header = ["#", tr("element", lang), tr("population_cut", lang), tr("rtt_increase", lang)]
    return (
        f"<details open><summary><b>{esc(tr('resilience', lang))}</b></summary>"
        f'<div class="denen-scroll">{table_html(rows, header)}</div></details>'
    )


HAZARD_COLOUR = "#cb181d"


def _add_hazards(m: folium.Map, zones: gpd.GeoDataFrame, routes: gpd.GeoDataFrame | None) -> str:
    """One toggle layer per hazard zone: the zone, the links it fails, who is cut off."""
    for col in ("id", "name", "without_cable", "with_cable"):
        if col not in zones.columns:
            msg = f"hazards: missing column {col!r}; build the layers with hazard_layers"
            raise InputError(msg)
    zones = zones.to_crs(6668) if zones.crs is not None and zones.crs.to_epsg() != 6668 else zones
    for row in zones.itertuples(index=False):
        group = folium.FeatureGroup(name=f"hazard: {row.id}", show=False)
        tip = (
            f"<b>{esc(row.name)}</b><br>without the cable: {esc(row.without_cable)}"
            f"<br>with the cable: {esc(row.with_cable)}"
        )
        folium.GeoJson(
            shapely.geometry.mapping(shapely.simplify(row.geometry, 0.01)),
            style_function=lambda _f: {
                "color": HAZARD_COLOUR,
                "weight": 1,
                "fillColor": HAZARD_COLOUR,
                "fillOpacity": 0.15,
            },
            tooltip=folium.Tooltip(tip),
        ).add_to(group)
        if routes is not None and len(routes):
            hit = routes[routes["hazard"] == row.id]
            if len(hit):
                folium.GeoJson(
                    shapely.geometry.mapping(shapely.MultiLineString(list(hit.geometry))),
                    style_function=lambda _f: {"color": HAZARD_COLOUR, "weight": 4},
                    tooltip=folium.Tooltip(
                        f"failed by {esc(row.id)}: " + esc(", ".join(hit["link_id"]))
                    ),
                ).add_to(group)
        group.add_to(m)
    return legend_section(
        "hazard zones (modelled)",
        [
            ("swatch", HAZARD_COLOUR, "zone (toggle per scenario)"),
            ("line", HAZARD_COLOUR, "links it fails"),
        ],
    )


def add_infrastructure_layers(  # noqa: PLR0913 -- one keyword-only argument per optional layer
    m: folium.Map,
    *,
    simplified: gpd.GeoDataFrame,
    payload: str,
    names: Mapping[str, tuple[str, str]],
    datacenters: gpd.GeoDataFrame | None,
    cables: gpd.GeoDataFrame | None,
    landings: gpd.GeoDataFrame | None,
    backbone: gpd.GeoDataFrame | None,
    rtt: pd.DataFrame | None,
    resilience: pd.DataFrame | None,
    lang: str,
    tolerance_deg: float,
    hazards: gpd.GeoDataFrame | None = None,
    hazard_routes: gpd.GeoDataFrame | None = None,
) -> list[str]:
    """Add every infrastructure layer that is given; returns legend sections."""
    legend: list[str] = []
    if rtt is not None:
        for col in ("pref_code", "rtt_ms"):
            if col not in rtt.columns:
                msg = f"rtt: missing column {col!r}; need pref_code and rtt_ms"
                raise InputError(msg)
        codes = rtt["pref_code"].astype(str).str.zfill(2)
        values = dict(zip(codes, pd.to_numeric(rtt["rtt_ms"], errors="coerce"), strict=True))
        tips = {}
        for code, v in values.items():
            head = " / ".join(x for x in names.get(code, ()) if x) or code
            tips[code] = f"<b>{esc(head)}</b><br>{esc(tr('rtt_ms', lang))}: {fmt_num(v, 1)}"
        choropleth_layer(
            m, payload, values, bins=RTT_BINS, colours=RTT_COLOURS, tips=tips, name=tr("rtt", lang)
        )
        labels = bin_labels(RTT_BINS)
        legend.append(
            legend_section(
                tr("rtt", lang) + f" [{tr('rtt_ms', lang)}]",
                [("swatch", c, f"{lab} ms") for c, lab in zip(RTT_COLOURS, labels, strict=True)],
            )
        )
    if backbone is not None and len(backbone):
        bb, bb_payload = _lines(
            backbone, ("kind", "from_code", "to_code", "length_km"), "backbone", tolerance_deg
        )
        kinds = bb["kind"].astype(str).tolist()
        tips = [
            f"{esc(names.get(str(a).zfill(2), (str(a),))[0])} – "
            f"{esc(names.get(str(b).zfill(2), (str(b),))[0])}: {fmt_num(km)} km "
            f"({esc(tr(k, lang) if k in BACKBONE_STYLE else k)})"
            for a, b, km, k in zip(
                bb["from_code"], bb["to_code"], bb["length_km"], kinds, strict=True
            )
        ]
        _line_layer(
            m,
            bb,
            bb_payload,
            name=tr("backbone", lang),
            colours=[BACKBONE_STYLE.get(k, ("#666666", None))[0] for k in kinds],
            dashes=[BACKBONE_STYLE.get(k, ("", None))[1] for k in kinds],
            tips=tips,
        )
        legend.append(
            legend_section(
                tr("backbone", lang),
                [
                    ("line", BACKBONE_STYLE["land"][0], tr("land", lang)),
                    ("dash", BACKBONE_STYLE["submarine"][0], tr("submarine", lang)),
                ],
            )
        )
    if cables is not None and len(cables):
        cb, cb_payload = _lines(cables, ("cable_id", "name"), "cables", tolerance_deg)
        status = (
            cb["status"].astype(str)
            if "status" in cb.columns
            else pd.Series("existing", index=cb.index)
        ).tolist()
        length = cb["length_km"] if "length_km" in cb.columns else pd.Series(np.nan, cb.index)
        tips = [
            f"<b>{esc(nm)}</b> ({esc(cid)})<br>{esc(tr('status', lang))}: "
            f"{esc(tr(st, lang) if st in CABLE_STYLE else st)}"
            + (f"<br>{esc(tr('length', lang))}: {fmt_num(km)}" if pd.notna(km) else "")
            for nm, cid, st, km in zip(cb["name"], cb["cable_id"], status, length, strict=True)
        ]
        _line_layer(
            m,
            cb,
            cb_payload,
            name=tr("cables", lang),
            colours=[CABLE_STYLE.get(s, ("#444444", None))[0] for s in status],
            dashes=[CABLE_STYLE.get(s, ("", None))[1] for s in status],
            tips=tips,
        )
        legend.append(
            legend_section(
                tr("cables", lang),
                [
                    ("line", CABLE_STYLE["existing"][0], tr("existing", lang)),
                    ("dash", CABLE_STYLE["planned"][0], tr("planned", lang)),
                ],
            )
        )
    if landings is not None:
        legend.append(_add_landings(m, landings, lang))
    if datacenters is not None:
        legend.append(_add_datacenters(m, datacenters, names, lang))
    if resilience is not None and len(resilience):
        HtmlControl(_resilience_panel(resilience, lang), position="bottomleft").add_to(m)
    if hazards is not None and len(hazards):
        legend.append(_add_hazards(m, hazards, hazard_routes))
    return legend
