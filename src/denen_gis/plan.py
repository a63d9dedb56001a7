"""The planning pipeline: from a scenario to coverage, chosen sites and outputs.

:func:`plan` runs every step of a scenario (load and filter the layers,
coverage today, the 5G site-selection model, the data-centre and landing models
and the resilience check) and returns a frozen :class:`Plan`. ``Plan.write``
puts the maps, the summary report, the GeoPackage, the CSV tables and
``plan.json`` into a folder atomically: a failed or interrupted run never
leaves a half-written folder where a good one stood.

Examples
--------
>>> from denen_gis.scenario import scenario_from_dict
>>> s = scenario_from_dict({"region": {"prefectures": ["Tottori"]},
...                         "fiveg": {"objective": "coverage", "budget_myen": 500},
...                         "datacenters": {"enabled": False}, "landings": {"enabled": False},
...                         "resilience": False})
>>> p = plan(s)
>>> p.summary["fiveg"]["cost_myen"] <= 500
True
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from denen_gis import __version__
from denen_gis.errors import InputError
from denen_gis.io.files import atomic_directory, write_layers, write_text_atomic
from denen_gis.io.sources import (
    candidates_input,
    filter_region,
    population_input,
    prefectures_input,
    region_codes,
    stations_input,
)
from denen_gis.layers.coverage import compute_coverage, site_coverage_matrix
from denen_gis.layers.metrics import CoverageMetrics, coverage_metrics
from denen_gis.layers.radio import LinkBudget, check_station_frame
from denen_gis.optimize import SiteSelectionResult, Targets, select_sites
from denen_gis.scenario import Scenario, load_scenario

__all__ = ["Plan", "ProgressCallback", "plan", "prefecture_table", "site_contributions"]

logger = logging.getLogger(__name__)

#: Called as ``progress(step_name, fraction_done)`` at each step of a run.
ProgressCallback = Callable[[str, float], None]

_STEPS = ("load layers", "coverage today", "candidate coverage", "5G site selection",
          "data centres and cable", "summary")


@dataclass(frozen=True)
class Plan:
    """Everything a run produced.

    Attributes
    ----------
    scenario
        The scenario that was run.
    summary
        The content of ``plan.json``: headline figures, per-prefecture and
        urban/rural tables, solver reports, scenario echo and versions.
    prefectures
        Prefecture polygons of the region with before/after coverage columns.
    cells
        Population grid of the region with ``covered_before`` and ``covered_after``.
    new_sites
        Chosen candidate sites with ``cost_myen`` and ``people_added``.
    stations
        Existing stations of the region.
    by_prefecture, urban_rural
        Before/after tables.
    fiveg
        The 5G solver result (``None`` when the 5G model is disabled).
    infrastructure
        Data-centre, landing and resilience results, keyed by name.
    """

    scenario: Scenario
    summary: dict[str, Any]
    prefectures: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    new_sites: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    by_prefecture: pd.DataFrame
    urban_rural: pd.DataFrame
    fiveg: SiteSelectionResult | None
    infrastructure: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """``plan.json`` as text."""
        return json.dumps(_jsonable(self.summary), ensure_ascii=False, indent=2)

    def write(self, out_dir: str | Path | None = None, *, maps: bool = True) -> Path:
        """Write every output into ``out_dir`` (default: the scenario's output) atomically.

        Returns the folder. Files: ``plan.json``, ``by_prefecture.csv``,
        ``urban_rural.csv``, ``new_sites.csv``, ``plan.gpkg`` (all layers),
        ``summary.html``/``summary.md`` and the maps (``coverage_map.html``,
        ``infrastructure_map.html`` when DC/cable results exist).
        """
        target = Path(out_dir) if out_dir is not None else self.scenario.resolve(
            self.scenario.scenario.output)
        if target is None:
            msg = "no output folder: pass out_dir or set scenario.output"
            raise InputError(msg)
        from denen_gis import outputs

        with atomic_directory(target) as tmp:
            folder = Path(tmp)
            write_text_atomic(folder / "plan.json", self.to_json())
            self.by_prefecture.to_csv(folder / "by_prefecture.csv", index=False)
            self.urban_rural.to_csv(folder / "urban_rural.csv", index=False)
            self.new_sites.drop(columns="geometry").to_csv(folder / "new_sites.csv", index=False)
            write_layers(self.gpkg_layers(), folder / "plan.gpkg")
            outputs.write_plan_outputs(self, folder, maps=maps)
        return target

    def gpkg_layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The layers that go into ``plan.gpkg``, by layer name."""
        layers = {
            "prefectures": self.prefectures,
            "cells": self.cells[self.cells["population"] > 0].reset_index(drop=True),
            "stations_existing": self.stations,
        }
        if len(self.new_sites):
            layers["sites_new"] = self.new_sites
        for name, value in self.infrastructure.items():
            if isinstance(value, gpd.GeoDataFrame) and len(value):
                layers[name] = value
        return layers


def _jsonable(value: Any) -> Any:
    if hasattr(value, "to_dict") and callable(value.to_dict) and not isinstance(value, dict):
        return _jsonable(value.to_dict())
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if not np.isfinite(f) else f
    if isinstance(value, Path):
        return str(value)
    return value


def site_contributions(
    coverage: Any, chosen: np.ndarray, population: np.ndarray, newly_covered: np.ndarray
) -> np.ndarray:
    """People each chosen site adds [persons], shared equally where chosen sites overlap.

    The contributions sum to the population of the newly covered cells.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[1, 1], [0, 1]], dtype=bool))
    >>> site_contributions(m, np.array([0, 1]), np.array([10, 6]), np.array([True, True]))
    array([ 5., 11.])
    """
    sub = coverage.tocsc()[:, chosen].tocsr().astype(np.float64)
    sub = sub.multiply(newly_covered[:, None].astype(np.float64)).tocsr()
    n_sites = np.asarray(sub.sum(axis=1)).ravel()
    share = np.divide(population.astype(np.float64), n_sites, out=np.zeros(len(n_sites)),
                      where=n_sites > 0)
    return np.asarray(sub.T @ share).ravel()


def prefecture_table(
    before: CoverageMetrics, after: CoverageMetrics, prefectures: pd.DataFrame,
    *, target_prefecture: float | None,
) -> pd.DataFrame:
    """Per-prefecture before/after coverage [%] with names and the gap to the target."""
    b = before.by_pref.set_index("pref_code")
    a = after.by_pref.set_index("pref_code")
    names = prefectures.set_index("code")
    table = pd.DataFrame({
        "pref_code": b.index,
        "name_en": names["name_en"].reindex(b.index).to_numpy(),
        "name_ja": names["name_ja"].reindex(b.index).to_numpy(),
        "population": b["population"].to_numpy(),
        "covered_before": b["covered_population"].to_numpy(),
        "covered_after": a["covered_population"].reindex(b.index).to_numpy(),
        "coverage_before_pct": b["coverage_pct"].to_numpy(),
        "coverage_after_pct": a["coverage_pct"].reindex(b.index).to_numpy(),
    })
    table["gain_pp"] = table["coverage_after_pct"] - table["coverage_before_pct"]
    if target_prefecture is not None:
        table["target_pct"] = 100.0 * target_prefecture
        table["gap_pp"] = np.maximum(table["target_pct"] - table["coverage_after_pct"], 0.0)
    return table.reset_index(drop=True)


def _urban_rural_table(before: CoverageMetrics, after: CoverageMetrics) -> pd.DataFrame:
    return pd.DataFrame({
        "group": ["urban", "rural", "all"],
        "coverage_before_pct": [before.urban_pct, before.rural_pct, before.coverage_pct],
        "coverage_after_pct": [after.urban_pct, after.rural_pct, after.coverage_pct],
    })


def _targets(s: Scenario) -> Targets | None:
    f = s.fiveg
    if all(t is None for t in (f.target_national, f.target_prefecture, f.target_rural)):
        return None
    return Targets(national=f.target_national, per_prefecture=f.target_prefecture,
                   rural=f.target_rural)


def plan(scenario: Scenario | str | Path | None = None, *,
         progress: ProgressCallback | None = None) -> Plan:
    """Run a scenario (a :class:`Scenario`, a TOML path, or ``None`` for the defaults).

    Raises
    ------
    InputError
        Bad input files or parameters, before any solving.
    InfeasibleError
        A 5G target that cannot be met even with every candidate built.
    """
    s = scenario if isinstance(scenario, Scenario) else (
        Scenario() if scenario is None else load_scenario(scenario))
    report = progress or (lambda step, frac: None)
    t_start = time.perf_counter()
    timings: dict[str, float] = {}

    def step(i: int) -> None:
        report(_STEPS[i], i / len(_STEPS))

    step(0)
    t = time.perf_counter()
    prefs_all = prefectures_input(s.resolve(s.inputs.prefectures))
    codes = region_codes(prefs_all, blocks=s.region.blocks, codes=s.region.prefectures,
                         sea_of_japan_coast=s.region.sea_of_japan_coast)
    prefs = prefs_all[prefs_all["code"].isin(codes)].reset_index(drop=True)
    grid = filter_region(population_input(s.resolve(s.inputs.population), prefectures=prefs_all),
                         codes)
    if grid.empty:
        msg = f"{s.source}: the region {codes} has no population cells"
        raise InputError(msg)
    stations_path = s.resolve(s.inputs.stations)
    stations = filter_region(stations_input(stations_path), codes) if "pref_code" in (
        stations_input(stations_path).columns) else stations_input(stations_path)
    candidates_path = s.resolve(s.inputs.candidates)
    candidates = candidates_input(candidates_path)
    if "pref_code" in candidates.columns:
        candidates = filter_region(candidates, codes)
    check_station_frame(stations, source=str(stations_path or "embedded stations"))
    check_station_frame(candidates, source=str(candidates_path or "embedded candidates"))
    timings["load_s"] = time.perf_counter() - t

    step(1)
    t = time.perf_counter()
    budget = LinkBudget(ue_height_m=s.radio.ue_height_m,
                        indoor_penetration_db=s.radio.indoor_penetration_db,
                        shadowing_margin_db=s.radio.shadowing_margin_db)
    blocks = dict(zip(prefs_all["code"], prefs_all.get("block", prefs_all["code"]), strict=True))
    if len(stations):
        before_cov = compute_coverage(grid, stations, budget=budget, pref_blocks=blocks)
        covered_before = before_cov.cells["covered"].to_numpy()
    else:
        covered_before = np.zeros(len(grid), dtype=bool)
    population = grid["population"].to_numpy()
    pref_code = grid["pref_code"].astype(str).to_numpy()
    urban = grid["urban"].to_numpy().astype(bool)
    area = grid["area_km2"].to_numpy()
    block = np.array([blocks.get(p, "") for p in pref_code], dtype=object)
    before = coverage_metrics(population, covered_before, pref_code=pref_code, urban=urban,
                              area_km2=area, block=block)
    timings["coverage_s"] = time.perf_counter() - t

    result: SiteSelectionResult | None = None
    covered_after = covered_before
    new_sites = candidates.iloc[0:0].copy()
    new_sites["people_added"] = pd.Series(dtype=float)
    if s.fiveg.enabled and len(candidates):
        step(2)
        t = time.perf_counter()
        matrix = site_coverage_matrix(grid, candidates, budget=budget)
        timings["candidate_coverage_s"] = time.perf_counter() - t
        step(3)
        t = time.perf_counter()
        result = select_sites(
            matrix, population=population, costs_myen=candidates["cost_myen"].to_numpy(),
            site_ids=candidates["site_id"].tolist(), pref_code=pref_code, urban=urban,
            covered_before=covered_before, objective=s.fiveg.objective,
            budget_myen=s.fiveg.budget_myen, targets=_targets(s),
            include_ids=s.fiveg.include_sites, exclude_ids=s.fiveg.exclude_sites,
            rural_weight=s.fiveg.rural_weight, fairness_on=s.fiveg.fairness_on,
            time_limit_s=s.scenario.time_limit_s, seed=s.scenario.seed,
            workers=s.scenario.workers,
        )
        timings["solve_s"] = time.perf_counter() - t
        covered_after = np.asarray(result.covered_after, dtype=bool)
        new_sites = candidates.iloc[result.chosen].reset_index(drop=True)
        new_sites["people_added"] = np.round(site_contributions(
            matrix, result.chosen, population, covered_after & ~covered_before), 1)
    after = coverage_metrics(population, covered_after, pref_code=pref_code, urban=urban,
                             area_km2=area, block=block)

    step(4)
    t = time.perf_counter()
    from denen_gis import infrastructure_step

    infra = infrastructure_step.run(s, prefectures=prefs_all, region=codes, grid=grid)
    timings["infrastructure_s"] = time.perf_counter() - t

    step(5)
    by_pref = prefecture_table(before, after, prefs, target_prefecture=s.fiveg.target_prefecture
                               if s.fiveg.objective == "min-cost" else None)
    ur = _urban_rural_table(before, after)
    cells = grid.assign(covered_before=covered_before, covered_after=covered_after)
    prefs_out = prefs.merge(by_pref.drop(columns=["name_en", "name_ja", "population"]),
                            left_on="code", right_on="pref_code", how="left")
    summary = {
        "tool": {"name": "denen-gis", "version": __version__, **_solver_versions()},
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scenario": s.to_dict(),
        "region": codes,
        "modelled_layers": _modelled_layers(s),
        "headline": {
            "population": before.population,
            "coverage_before_pct": before.coverage_pct,
            "coverage_after_pct": after.coverage_pct,
            "urban_rural_gap_before_pp": before.urban_rural_gap_pp,
            "urban_rural_gap_after_pp": after.urban_rural_gap_pp,
            "lowest_pref_before": before.lowest_pref,
            "lowest_pref_before_pct": before.lowest_pref_pct,
            "lowest_pref_after": after.lowest_pref,
            "lowest_pref_after_pct": after.lowest_pref_pct,
            "gini_before": before.gini,
            "gini_after": after.gini,
            "new_sites": len(new_sites),
            "cost_myen": float(new_sites["cost_myen"].sum()) if len(new_sites) else 0.0,
            "people_added": int(after.covered_population - before.covered_population),
        },
        "coverage_before": before.to_dict(),
        "coverage_after": after.to_dict(),
        "by_prefecture": by_pref.to_dict(orient="records"),
        "urban_rural": ur.to_dict(orient="records"),
        "fiveg": None if result is None else {
            **result.to_dict(), "chosen_site_ids": new_sites["site_id"].tolist()},
        **infra.summary,
        "timings": {**timings, "total_s": time.perf_counter() - t_start},
    }
    summary["fiveg"] and summary["fiveg"].pop("chosen", None)
    report("done", 1.0)
    return Plan(scenario=s, summary=summary, prefectures=prefs_out, cells=cells,
                new_sites=new_sites, stations=stations, by_prefecture=by_pref, urban_rural=ur,
                fiveg=result, infrastructure=infra.layers)


def _solver_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("ortools", "geopandas", "shapely", "pyproj", "folium"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _modelled_layers(s: Scenario) -> list[str]:
    modelled = []
    if not s.inputs.population:
        modelled.append("population grid (modelled, calibrated to the 2020 Census)")
    if not s.inputs.stations:
        modelled.append("existing 5G stations (modelled, calibrated to FY2022 coverage)")
    if not s.inputs.candidates:
        modelled.append("candidate 5G sites and costs (modelled)")
    if not s.inputs.datacenters and (s.datacenters.enabled or s.resilience):
        modelled.append("data-centre capacity and candidates (modelled)")
    if not s.inputs.cables and (s.landings.enabled or s.resilience):
        modelled.append("backbone and cable routes (modelled)")
    return modelled
