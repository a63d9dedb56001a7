"""Maps and reports of a planning run, written into its output folder.

Called by :meth:`denen_gis.pipeline.Plan.write` (inside its atomic folder) and by
``denen-gis compare`` / ``denen-gis sweep``. Wires the plan's layers and
tables to :mod:`denen_gis.render`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from denen_gis.geodesy import CRS_EPSG
from denen_gis.io.sources import prefectures_input
from denen_gis.render import (
    CoverageView,
    comparison_map,
    coverage_map,
    infrastructure_map,
    save_map,
    write_report,
)

if TYPE_CHECKING:
    from denen_gis.pipeline import Plan

__all__ = [
    "backbone_lines",
    "comparison_table",
    "headline_comparison",
    "plan_infrastructure_map",
    "write_comparison",
    "write_plan_outputs",
]


def backbone_lines() -> gpd.GeoDataFrame:
    """The embedded backbone links as lines between prefecture hubs."""
    from denen_gis.io import japan

    hubs = japan.load_hubs().set_index("code")
    links = japan.load_backbone_links()
    a = hubs.loc[links["from_code"].astype(str)]
    b = hubs.loc[links["to_code"].astype(str)]
    geom = shapely.linestrings(
        [
            [(x1, y1), (x2, y2)]
            for x1, y1, x2, y2 in zip(a["lon"], a["lat"], b["lon"], b["lat"], strict=True)
        ]
    )
    kind = links["kind"].where(links["kind"] == "land", "submarine")
    return gpd.GeoDataFrame(
        {
            "kind": kind.to_numpy(),
            "from_code": links["from_code"].to_numpy(),
            "to_code": links["to_code"].to_numpy(),
            "length_km": links["length_km"].to_numpy(),
        },
        geometry=geom,
        crs=CRS_EPSG,
    )


def _solver_report(summary: dict[str, Any]) -> dict[str, Any] | None:
    f = summary.get("fiveg")
    if not f:
        return None
    keys = (
        "objective_name",
        "objective",
        "best_bound",
        "gap",
        "status",
        "engine",
        "wall_time_s",
        "cost_myen",
    )
    out = {k: f.get(k) for k in keys}
    out["model_before"] = "{cells} cells x {sites} sites".format(**f["size_before"])
    out["model_after"] = "{cells} cells x {sites} sites".format(**f["size_after"])
    return out


def _headline(summary: dict[str, Any], lang: str) -> dict[str, Any]:
    h = summary["headline"]
    ja = lang == "ja"
    rows = {
        ("人口" if ja else "Population"): f"{h['population']:,}",
        (
            "5Gカバー率(前→後)" if ja else "5G coverage before → after"
        ): f"{h['coverage_before_pct']:.2f}% → {h['coverage_after_pct']:.2f}%",
        ("新たにカバーされる人口" if ja else "People newly covered"): f"{h['people_added']:,}",
        ("新設局" if ja else "New sites"): f"{h['new_sites']:,}",
        ("費用(百万円)" if ja else "Cost [million yen]"): f"{h['cost_myen']:,.0f}",
        (
            "都市部−農村部の差(ポイント)" if ja else "Urban–rural gap [points]"
        ): f"{h['urban_rural_gap_before_pp']:.1f} → {h['urban_rural_gap_after_pp']:.1f}",
        (
            "最低の都道府県" if ja else "Lowest prefecture"
        ): f"{h['lowest_pref_before']} {h['lowest_pref_before_pct']:.1f}% → "
        f"{h['lowest_pref_after']} {h['lowest_pref_after_pct']:.1f}%",
    }
    access = summary.get("access")
    if access:
        rtt = access["rtt"]
        rows[
            "最寄りDCまでのRTT(都市/農村)[ms]" if ja else "RTT to nearest DC (urban / rural) [ms]"
        ] = f"{rtt['mean_rtt_ms']:.2f} ({rtt['urban_rtt_ms']:.2f} / {rtt['rural_rtt_ms']:.2f})"
    res = summary.get("resilience")
    if res:
        w = res["with_plan"]["worst_cut"]
        rows["最悪の単一断(計画後)" if ja else "Worst single cut (with plan)"] = (
            f"{w['kind']} {w['id']}: {w['population_cut_off']:,.0f} people cut off, "
            f"RTT {w['rtt_increase_ms']:+.3f} ms"
        )
        rows["東京圏のDC容量シェア" if ja else "Tokyo-area share of DC capacity"] = (
            f"{100 * res['capacity_before']['tokyo_area_share']:.1f}% → "
            f"{100 * res['capacity_after']['tokyo_area_share']:.1f}%"
        )
    return rows


def plan_infrastructure_map(p: Plan) -> Any:
    """The infrastructure map of a plan that ran the DC/landing/resilience steps."""
    layers = p.infrastructure
    landings = layers["landings"]
    resilience = None
    if "resilience_cuts" in layers:
        cuts = layers["resilience_cuts"]
        resilience = pd.DataFrame(
            {
                "element": cuts["kind"].astype(str)
                + " "
                + cuts["id"].astype(str)
                + np.where(
                    cuts["element"].astype(str) != "dc",
                    " (" + cuts["a"].astype(str) + "–" + cuts["b"].astype(str) + ")",
                    "",
                ),
                "population_cut": cuts["population_cut_off"],
                "rtt_increase_ms": cuts["rtt_increase_ms"],
            }
        )
    return infrastructure_map(
        prefectures_input(p.scenario.resolve(p.scenario.inputs.prefectures)),
        datacenters=layers["datacenters"],
        cables=layers["cables"],
        landings=landings,
        backbone=backbone_lines(),
        rtt=layers.get("rtt_by_prefecture"),
        resilience=resilience,
        scenario_name=p.scenario.scenario.name,
        lang=p.scenario.scenario.lang,
        modelled_layers=[m for m in p.summary["modelled_layers"] if "5G" not in m],
    )


def write_plan_outputs(p: Plan, folder: Path, *, maps: bool = True) -> list[Path]:
    """Write the maps and the summary report of a plan into ``folder``."""
    lang = p.scenario.scenario.lang
    written = []
    if maps:
        m = coverage_map(
            p.cells,
            p.prefectures,
            by_prefecture=p.by_prefecture,
            new_sites=p.new_sites if len(p.new_sites) else None,
            stations=p.stations,
            scenario_name=p.scenario.scenario.name,
            lang=lang,
            modelled_layers=p.summary["modelled_layers"],
        )
        written.append(save_map(m, folder / "coverage_map.html"))
        if "datacenters" in p.infrastructure:
            written.append(save_map(plan_infrastructure_map(p), folder / "infrastructure_map.html"))
    report_by_pref = p.by_prefecture.drop(
        columns=["covered_before", "covered_after"], errors="ignore"
    )
    files = write_report(
        folder,
        headline=_headline(p.summary, lang),
        by_prefecture=report_by_pref,
        urban_rural=p.urban_rural,
        solver=_solver_report(p.summary),
        scenario_name=p.scenario.scenario.name,
        lang=lang,
    )
    written += [files.html, files.markdown, *files.plots]
    return written


def comparison_table(a: Plan, b: Plan) -> pd.DataFrame:
    """Per prefecture and nationally: coverage after each plan and the difference."""
    ta = a.by_prefecture.set_index("pref_code")
    tb = b.by_prefecture.set_index("pref_code")
    codes = ta.index.union(tb.index)
    table = pd.DataFrame(
        {
            "pref_code": codes,
            "name_en": ta["name_en"].reindex(codes).fillna(tb["name_en"].reindex(codes)).to_numpy(),
            "coverage_a_pct": ta["coverage_after_pct"].reindex(codes).to_numpy(),
            "coverage_b_pct": tb["coverage_after_pct"].reindex(codes).to_numpy(),
        }
    )
    table["difference_pp"] = table["coverage_b_pct"] - table["coverage_a_pct"]
    ha, hb = a.summary["headline"], b.summary["headline"]
    national = {
        "pref_code": "all",
        "name_en": "Japan (region)",
        "coverage_a_pct": ha["coverage_after_pct"],
        "coverage_b_pct": hb["coverage_after_pct"],
        "difference_pp": hb["coverage_after_pct"] - ha["coverage_after_pct"],
    }
    return pd.concat([pd.DataFrame([national]), table], ignore_index=True)


def headline_comparison(a: Plan, b: Plan) -> pd.DataFrame:
    """Headline figures of two plans side by side: coverage, cost, gap, RTT."""
    rows = []
    for key, label in (
        ("coverage_after_pct", "coverage after [%]"),
        ("cost_myen", "cost [million yen]"),
        ("new_sites", "new sites"),
        ("people_added", "people newly covered"),
        ("urban_rural_gap_after_pp", "urban-rural gap after [points]"),
        ("rural_pct_after", "rural coverage after [%]"),
        ("lowest_pref_after_pct", "lowest prefecture after [%]"),
    ):
        va, vb = a.summary["headline"][key], b.summary["headline"][key]
        rows.append({"figure": label, "a": va, "b": vb, "difference": vb - va})
    ra = (a.summary.get("access") or {}).get("rtt")
    rb = (b.summary.get("access") or {}).get("rtt")
    if ra and rb:
        for key in ("mean_rtt_ms", "urban_rtt_ms", "rural_rtt_ms"):
            rows.append(
                {
                    "figure": f"{key.replace('_', ' ')}",
                    "a": ra[key],
                    "b": rb[key],
                    "difference": rb[key] - ra[key],
                }
            )
    return pd.DataFrame(rows)


def write_comparison(a: Plan, b: Plan, folder: Path) -> dict[str, Path]:
    """Write the side-by-side map and the difference tables of two plans into ``folder``."""
    diff = comparison_table(a, b)
    heads = headline_comparison(a, b)
    views = [
        CoverageView(
            grid=p.cells,
            scenario_name=p.scenario.scenario.name,
            by_prefecture=p.by_prefecture,
            new_sites=p.new_sites if len(p.new_sites) else None,
        )
        for p in (a, b)
    ]
    prefs = a.prefectures if len(a.prefectures) >= len(b.prefectures) else b.prefectures
    m = comparison_map(
        views[0],
        views[1],
        prefectures=prefs[["code", "name_ja", "name_en", "geometry"]],
        diff_table=diff,
        lang=a.scenario.scenario.lang,
    )
    paths = {"map": save_map(m, folder / "comparison_map.html")}
    diff.to_csv(folder / "comparison_by_prefecture.csv", index=False)
    heads.to_csv(folder / "comparison_headline.csv", index=False)
    paths["by_prefecture"] = folder / "comparison_by_prefecture.csv"
    paths["headline"] = folder / "comparison_headline.csv"
    return paths
