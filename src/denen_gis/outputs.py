"""Writing a planning run: ``plan.json``, tables, GeoPackage, maps and reports.

:func:`write_plan` puts every output of a :class:`~denen_gis.pipeline.Plan`
into a folder atomically: a failed or interrupted run never leaves a
half-written folder where a good one stood. ``denen-gis compare`` uses
:func:`write_comparison`. Wires the plan's layers and tables to
:mod:`denen_gis.render`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from denen_gis._json import to_jsonable
from denen_gis.errors import InputError
from denen_gis.geodesy import CRS_EPSG
from denen_gis.io.files import write_csv_atomic, write_layers, write_text_atomic
from denen_gis.io.outdir import atomic_directory
from denen_gis.io.sources import prefectures_input
from denen_gis.pipeline import Plan
from denen_gis.render import (
    CoverageView,
    comparison_map,
    coverage_map,
    infrastructure_map,
    save_map,
    write_report,
)

__all__ = [
    "backbone_lines",
    "comparison_table",
    "gpkg_layers",
    "headline_comparison",
    "plan_infrastructure_map",
    "plan_json",
    "stable_summary",
    "write_comparison",
    "write_plan",
    "write_plan_outputs",
]


#: Sections of plan.json that echo settings: their ``*_s`` keys are limits, not clock readings.
_SETTINGS_SECTIONS = ("scenario", "tool")


def _is_clock_reading(key: str, value: Any) -> bool:
    return (
        key.endswith("_s")
        and "limit" not in key
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    )


def _move_clock_readings(node: Any, path: str, out: dict[str, float]) -> Any:
    """``node`` without its clock readings (``wall_time_s``, ``lp_s``, ...), which go to ``out``."""
    if isinstance(node, dict):
        kept = {}
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if _is_clock_reading(str(key), value):
                out[where] = float(value)
            else:
                kept[key] = _move_clock_readings(value, where, out)
        return kept
    if isinstance(node, list):
        return [_move_clock_readings(v, f"{path}[{i}]", out) for i, v in enumerate(node)]
    return node


def plan_json(plan: Plan) -> str:
    """``plan.json`` as text: the plan's summary, JSON-ready (NaN as ``null``).

    Everything that varies between two identical runs sits in ``created`` and
    ``timings``: the solvers' wall times (``fiveg.wall_time_s``,
    ``fiveg.details.lp_s``, ...) move under ``timings.solvers`` by their path,
    so that two runs of one scenario with a deterministic limit give equal
    files apart from those two keys (docs/cli.md).
    """
    return json.dumps(stable_summary(plan.summary), ensure_ascii=False, indent=2)


def stable_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A run's summary, JSON-ready, with every clock reading under ``timings.solvers``.

    What ``plan.json`` and every ``--json`` that carries solver results print:
    ``*_s`` numbers other than limits (``fiveg.wall_time_s``,
    ``fiveg.details.lp_s``, ...) move to ``timings.solvers`` by their path, so
    that two identical work-limited runs differ only in ``created`` and
    ``timings`` (docs/cli.md, "Which fields of plan.json vary").
    """
    summary = dict(summary)
    timings = dict(summary.pop("timings", {}))
    solvers: dict[str, float] = {}
    out: dict[str, Any] = {}
    for key, value in summary.items():
        out[key] = value if key in _SETTINGS_SECTIONS else _move_clock_readings(value, key, solvers)
    out["timings"] = {**timings, "solvers": {**timings.get("solvers", {}), **solvers}}
    return to_jsonable(out)


def gpkg_layers(plan: Plan) -> dict[str, gpd.GeoDataFrame]:
    """The layers that go into ``plan.gpkg``, by layer name."""
    layers = {
        "prefectures": plan.prefectures,
        "cells": plan.cells[plan.cells["population"] > 0].reset_index(drop=True),
        "stations_existing": plan.stations,
    }
    if len(plan.new_sites):
        layers["sites_new"] = plan.new_sites
    for name, value in plan.infrastructure.items():
        if isinstance(value, gpd.GeoDataFrame) and len(value):
            layers[name] = value
    return layers


def write_plan(
    plan: Plan,
    out_dir: str | Path | None = None,
    *,
    maps: bool = True,
    force: bool = False,
    protect: Iterable[str | os.PathLike[str] | None] = (),
) -> Path:
    """Write every output of a plan into ``out_dir`` atomically and return the folder.

    ``out_dir`` defaults to the scenario's ``output`` (relative to the scenario
    file). Files: ``plan.json``, ``by_prefecture.csv``, ``urban_rural.csv``,
    ``by_municipality.csv``,
    ``new_sites.csv``, ``plan.gpkg`` (all layers), ``summary.html``/``summary.md``
    and the maps (``coverage_map.html``, ``infrastructure_map.html`` when
    DC/cable results exist; none with ``maps=False``).

    The folder is checked first (:func:`denen_gis.io.outdir.check_output_folder`):
    a non-empty folder that denen-gis did not write is replaced only with
    ``force``; one holding the scenario file, an input or a ``protect`` file
    never.

    Raises
    ------
    InputError
        No ``out_dir`` and no output folder in the scenario; a refused folder.
    """
    target = (
        Path(out_dir) if out_dir is not None else plan.scenario.resolve(plan.scenario.run.output)
    )
    if target is None:
        msg = "no output folder: pass out_dir or set scenario.output"
        raise InputError(msg)
    kept = [*plan.scenario.input_files(), *protect]
    with atomic_directory(target, force=force, protect=kept) as tmp:
        folder = Path(tmp)
        write_text_atomic(folder / "plan.json", plan_json(plan))
        write_csv_atomic(plan.by_prefecture, folder / "by_prefecture.csv")
        write_csv_atomic(plan.urban_rural, folder / "urban_rural.csv")
        write_csv_atomic(plan.by_municipality, folder / "by_municipality.csv")
        write_csv_atomic(plan.new_sites.drop(columns="geometry"), folder / "new_sites.csv")
        write_layers(gpkg_layers(plan), folder / "plan.gpkg")
        write_plan_outputs(plan, folder, maps=maps)
    return target


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


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _solver_report(p: Plan) -> dict[str, Any] | None:
    r = p.fiveg
    if r is None:
        return None
    return {
        "objective_name": r.objective_name,
        "objective": _finite(r.objective),
        "best_bound": _finite(r.best_bound),
        "gap": _finite(r.gap),
        "status": r.status,
        "engine": r.engine,
        "wall_time_s": float(r.wall_time_s),
        "cost_myen": float(r.cost_myen),
        "model_before": f"{r.size_before.cells} cells x {r.size_before.sites} sites",
        "model_after": f"{r.size_after.cells} cells x {r.size_after.sites} sites",
    }


def _headline_rows(p: Plan, lang: str) -> dict[str, Any]:
    h, summary = p.headline, p.summary
    ja = lang == "ja"
    rows = {
        ("人口" if ja else "Population"): f"{h.population:,}",
        (
            "5Gカバー率(前→後)" if ja else "5G coverage before → after"
        ): f"{h.coverage_before_pct:.2f}% → {h.coverage_after_pct:.2f}%",
        ("新たにカバーされる人口" if ja else "People newly covered"): f"{h.people_added:,}",
        ("新設局" if ja else "New sites"): f"{h.new_sites:,}",
        ("費用(百万円)" if ja else "Cost [million yen]"): f"{h.cost_myen:,.0f}",
        (
            "都市部−農村部の差(ポイント)" if ja else "Urban–rural gap [points]"
        ): f"{h.urban_rural_gap_before_pp:.1f} → {h.urban_rural_gap_after_pp:.1f}",
        (
            "最低の都道府県" if ja else "Lowest prefecture"
        ): f"{h.lowest_pref_before} {h.lowest_pref_before_pct:.1f}% → "
        f"{h.lowest_pref_after} {h.lowest_pref_after_pct:.1f}%",
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
        prefectures_input(p.scenario.resolved_inputs().prefectures),
        datacenters=layers["datacenters"],
        cables=layers["cables"],
        landings=landings,
        backbone=backbone_lines(),
        rtt=layers.get("rtt_by_prefecture"),
        resilience=resilience,
        scenario_name=p.scenario.run.name,
        lang=p.scenario.run.lang,
        modelled_layers=[m for m in p.summary["modelled_layers"] if "5G" not in m],
    )


def _municipal_polygons(p: Plan) -> gpd.GeoDataFrame | None:
    """The embedded N03 municipalities when the plan has a by-municipality table."""
    if p.by_municipality.empty:
        return None
    from denen_gis.io.japan import load_municipalities

    return load_municipalities()


def write_plan_outputs(p: Plan, folder: Path, *, maps: bool = True) -> list[Path]:
    """Write the maps and the summary report of a plan into ``folder``."""
    lang = p.scenario.run.lang
    written = []
    if maps:
        m = coverage_map(
            p.cells,
            p.prefectures,
            by_prefecture=p.by_prefecture,
            new_sites=p.new_sites if len(p.new_sites) else None,
            stations=p.stations,
            scenario_name=p.scenario.run.name,
            lang=lang,
            modelled_layers=p.summary["modelled_layers"],
            municipalities=_municipal_polygons(p),
            by_municipality=p.by_municipality,
        )
        written.append(save_map(m, folder / "coverage_map.html"))
        if "datacenters" in p.infrastructure:
            written.append(save_map(plan_infrastructure_map(p), folder / "infrastructure_map.html"))
    report_by_pref = p.by_prefecture.drop(
        columns=["covered_before", "covered_after"], errors="ignore"
    )
    files = write_report(
        folder,
        headline=_headline_rows(p, lang),
        by_prefecture=report_by_pref,
        urban_rural=p.urban_rural,
        by_municipality=p.by_municipality,
        solver=_solver_report(p),
        scenario_name=p.scenario.run.name,
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
    ha, hb = a.headline, b.headline
    national = {
        "pref_code": "all",
        "name_en": "Japan (region)",
        "coverage_a_pct": ha.coverage_after_pct,
        "coverage_b_pct": hb.coverage_after_pct,
        "difference_pp": hb.coverage_after_pct - ha.coverage_after_pct,
    }
    return pd.concat([pd.DataFrame([national]), table], ignore_index=True)


def headline_comparison(a: Plan, b: Plan) -> pd.DataFrame:
    """Headline figures of two plans side by side: coverage, cost, gap, RTT."""
    rows = []
    ha, hb = a.headline, b.headline
    for label, va, vb in (
        ("coverage after [%]", ha.coverage_after_pct, hb.coverage_after_pct),
        ("cost [million yen]", ha.cost_myen, hb.cost_myen),
        ("new sites", ha.new_sites, hb.new_sites),
        ("people newly covered", ha.people_added, hb.people_added),
        (
            "urban-rural gap after [points]",
            ha.urban_rural_gap_after_pp,
            hb.urban_rural_gap_after_pp,
        ),
        ("rural coverage after [%]", ha.rural_pct_after, hb.rural_pct_after),
        ("lowest prefecture after [%]", ha.lowest_pref_after_pct, hb.lowest_pref_after_pct),
    ):
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
            scenario_name=p.scenario.run.name,
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
        lang=a.scenario.run.lang,
    )
    paths = {"map": save_map(m, folder / "comparison_map.html")}
    write_csv_atomic(diff, folder / "comparison_by_prefecture.csv")
    write_csv_atomic(heads, folder / "comparison_headline.csv")
    paths["by_prefecture"] = folder / "comparison_by_prefecture.csv"
    paths["headline"] = folder / "comparison_headline.csv"
    return paths
