"""The planning pipeline: from a scenario to coverage, chosen sites and outputs.

:func:`plan` runs every step of a scenario (load and filter the layers,
coverage today, the 5G site-selection model, the data-centre and landing models
and the resilience check) and returns a frozen :class:`Plan`, plain data.
:func:`denen_gis.outputs.write_plan` writes it (maps, report, GeoPackage, CSV
tables and ``plan.json``). :func:`prepare_inputs` loads and checks a run's
layers once for :func:`plan`, :func:`plan_rollout` and budget sweeps.

Examples
--------
>>> from denen_gis.scenario import scenario_from_dict
>>> s = scenario_from_dict({"region": {"prefectures": ["Tottori"]},
...                         "fiveg": {"objective": "coverage", "budget_myen": 500},
...                         "datacenters": {"enabled": False}, "landings": {"enabled": False},
...                         "resilience": False})
>>> p = plan(s)
>>> p.fiveg.cost_myen <= 500 and p.headline.new_sites == len(p.new_sites)
True
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from denen_gis import __version__
from denen_gis.headline import Headline
from denen_gis.io.japan import municipality_table
from denen_gis.optimize import SiteSelectionResult, Targets, solve_rollout
from denen_gis.plan_fiveg import backtest, cost_context, exact_after
from denen_gis.plan_tables import (
    municipality_before_after,
    prefecture_before_after,
    site_contributions,
    urban_rural_table,
)
from denen_gis.prepare import PreparedRun, as_scenario, prepare_inputs
from denen_gis.scenario import (
    Scenario,
)

__all__ = [
    "Plan",
    "PreparedRun",
    "ProgressCallback",
    "as_scenario",
    "plan",
    "plan_rollout",
    "prepare_inputs",
]

logger = logging.getLogger(__name__)

#: Called as ``progress(step_name, fraction_done)`` at each step of a run.
ProgressCallback = Callable[[str, float], None]

_STEPS = (
    "load layers",
    "coverage today",
    "candidate coverage",
    "5G site selection",
    "data centres and cable",
    "summary",
)


@dataclass(frozen=True)
class Plan:
    """Everything a run produced, as plain data (written by :func:`denen_gis.write_plan`).

    Attributes
    ----------
    scenario
        The scenario that was run.
    headline
        Headline figures: coverage, urban-rural gap, cost, people added.
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
    by_prefecture, urban_rural, by_municipality
        Before/after tables (``by_municipality``: one row per municipality of
        the region, see :func:`~denen_gis.plan_tables.municipality_before_after`).
    fiveg
        The 5G solver result (``None`` when the 5G model is disabled).
    infrastructure
        Data-centre, landing and resilience results, keyed by name.
    """

    scenario: Scenario
    headline: Headline
    summary: dict[str, Any]
    prefectures: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    new_sites: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    by_prefecture: pd.DataFrame
    urban_rural: pd.DataFrame
    fiveg: SiteSelectionResult | None
    infrastructure: dict[str, Any] = field(default_factory=dict)
    by_municipality: pd.DataFrame = field(default_factory=pd.DataFrame)


def plan(
    scenario: Scenario | Mapping[str, Any] | str | Path | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> Plan:
    """Run a scenario (a :class:`Scenario`, a mapping laid out as the TOML file, a TOML
    path, or ``None`` for the FY2030 run of ``denen-gis plan``); a Scenario is checked again first.

    Raises
    ------
    InputError
        Bad input files or parameters, before any solving.
    InfeasibleError
        A 5G target that cannot be met even with every candidate built.
    """
    s = as_scenario(scenario)
    report = progress or (lambda step, frac: None)
    t_start = time.perf_counter()

    def step(i: int) -> None:
        report(_STEPS[i], i / len(_STEPS))

    step(0)
    inputs = prepare_inputs(s)
    timings = dict(inputs.timings)
    candidates = inputs.candidates
    result: SiteSelectionResult | None = None
    covered_after = inputs.covered_before
    new_sites = _empty_sites(candidates)
    area_rule: dict[str, Any] = {}
    if s.fiveg.enabled and len(candidates):
        step(2)
        t = time.perf_counter()
        matrix = inputs.candidate_matrix()
        timings["candidate_coverage_s"] = time.perf_counter() - t
        step(3)
        t = time.perf_counter()
        result = inputs.select(matrix)
        timings["solve_s"] = time.perf_counter() - t
        covered_after = np.asarray(result.covered_after, dtype=bool)
        new_sites = _chosen_sites(inputs, matrix, result)
        covered_after, area_rule = exact_after(inputs, new_sites, covered_after)
        timings["area_rule_check_s"] = area_rule.pop("seconds")

    step(4)
    t = time.perf_counter()
    from denen_gis import infrastructure

    infra = infrastructure.run(
        s, paths=inputs.paths, prefectures=inputs.prefectures_all, grid=inputs.grid
    )
    timings["infrastructure_s"] = time.perf_counter() - t
    step(5)
    extra = {**infra.to_dict(), **({"area_rule": area_rule} if area_rule else {})}
    out = _assemble(inputs, result, covered_after, new_sites, extra, infra.layers, timings, t_start)
    report("done", 1.0)
    return out


def plan_rollout(
    scenario: Scenario | str | Path | None = None,
    *,
    yearly_budgets_myen: dict[int, float],
    yearly_targets: dict[int, Targets] | None = None,
    carry_over: bool = False,
    progress: ProgressCallback | None = None,
) -> Plan:
    """A year-by-year 5G rollout: which candidate to build in which fiscal year.

    The scenario gives the inputs, region, fixed/excluded sites and solver
    limits; the yearly budgets [million yen] and targets replace its 5G
    objective. ``new_sites`` gets a ``year`` column.
    """
    s = as_scenario(scenario)
    report = progress or (lambda step, frac: None)
    t_start = time.perf_counter()
    report(_STEPS[0], 0.0)
    inputs = prepare_inputs(s)
    timings = dict(inputs.timings)
    report(_STEPS[2], 2 / len(_STEPS))
    matrix = inputs.candidate_matrix()
    ids = inputs.candidates["site_id"].tolist()
    index = {str(v): i for i, v in enumerate(ids)}
    # prepare_inputs has checked the include / exclude ids (check_site_ids).
    report(_STEPS[3], 3 / len(_STEPS))
    t = time.perf_counter()
    result = solve_rollout(
        matrix,
        inputs.population,
        inputs.candidates["cost_myen"].to_numpy(),
        yearly_budgets_myen=yearly_budgets_myen,
        yearly_targets=yearly_targets,
        carry_over=carry_over,
        covered_before=inputs.covered_before,
        rural_weight=s.fiveg.rural_weight,
        urban=inputs.urban,
        groups=inputs.pref_code,
        include=[index[w] for w in s.fiveg.include_sites],
        exclude=[index[w] for w in s.fiveg.exclude_sites],
        time_limit_s=s.run.time_limit_s,
        work_limit=s.run.work_limit,
        seed=s.run.seed,
        workers=s.run.workers,
    )
    timings["solve_s"] = time.perf_counter() - t
    new_sites = _chosen_sites(inputs, matrix, result)
    summary_extra = {
        "rollout": {
            "yearly_budgets_myen": {str(k): v for k, v in yearly_budgets_myen.items()},
            "carry_over": carry_over,
            "by_year": _rollout_by_year(inputs, matrix, result, yearly_budgets_myen),
        }
    }
    out = _assemble(
        inputs,
        result,
        np.asarray(result.covered_after, dtype=bool),
        new_sites,
        summary_extra,
        {},
        timings,
        t_start,
    )
    report("done", 1.0)
    return out


def _rollout_by_year(
    inputs: PreparedRun, matrix: Any, result: SiteSelectionResult, budgets: dict[int, float]
) -> list[dict[str, Any]]:
    rows = []
    years = np.asarray(result.year)
    costs = inputs.candidates["cost_myen"].to_numpy()
    for year in sorted(budgets):
        built = result.chosen[years <= year]
        reach = (
            np.asarray(matrix[:, built].sum(axis=1)).ravel() > 0
            if len(built)
            else (np.zeros(matrix.shape[0], dtype=bool))
        )
        m = inputs.metrics(inputs.covered_before | reach)
        rows.append(
            {
                "year": int(year),
                "budget_myen": float(budgets[year]),
                "sites_built": int((years == year).sum()),
                "spent_myen": float(costs[result.chosen[years == year]].sum()),
                "coverage_pct": m.coverage_pct,
                "rural_pct": m.rural_pct,
                "urban_rural_gap_pp": m.urban_rural_gap_pp,
                "lowest_pref": m.lowest_pref,
                "lowest_pref_pct": m.lowest_pref_pct,
            }
        )
    return rows


def _empty_sites(candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    sites = candidates.iloc[0:0].copy()
    sites["people_added"] = pd.Series(dtype=float)
    return sites


def _chosen_sites(
    inputs: PreparedRun, matrix: Any, result: SiteSelectionResult
) -> gpd.GeoDataFrame:
    covered_after = np.asarray(result.covered_after, dtype=bool)
    sites = inputs.candidates.iloc[result.chosen].reset_index(drop=True)
    sites["people_added"] = np.round(
        site_contributions(
            matrix, result.chosen, inputs.population, covered_after & ~inputs.covered_before
        ),
        1,
    )
    if result.year is not None:
        sites["year"] = np.asarray(result.year, dtype=int)
    return sites


def _assemble(
    inputs: PreparedRun,
    result: SiteSelectionResult | None,
    covered_after: np.ndarray,
    new_sites: gpd.GeoDataFrame,
    extra: dict[str, Any],
    layers: dict[str, Any],
    timings: dict[str, float],
    t_start: float,
) -> Plan:
    s = inputs.scenario
    before = inputs.before
    after = inputs.metrics(covered_after)
    by_pref = prefecture_before_after(
        before,
        after,
        inputs.prefectures,
        target_prefecture=s.fiveg.target_prefecture if s.fiveg.objective == "min-cost" else None,
    )
    ur = urban_rural_table(before, after)
    by_muni = municipality_before_after(
        inputs.grid, inputs.covered_before, covered_after, municipality_table()
    )
    cells = inputs.grid.assign(covered_before=inputs.covered_before, covered_after=covered_after)
    prefs_out = inputs.prefectures.merge(
        by_pref.drop(columns=["name_en", "name_ja", "population"]),
        left_on="code",
        right_on="pref_code",
        how="left",
    )
    fiveg = None
    if result is not None:
        fiveg = {
            **result.to_dict(),
            "chosen_site_ids": new_sites["site_id"].tolist(),
            "baseline": s.fiveg.baseline,
            "basis": inputs.link_budget.basis,
            **cost_context(new_sites),
        }
        fiveg.pop("chosen", None)
    headline = Headline.from_metrics(
        before,
        after,
        new_sites=len(new_sites),
        cost_myen=float(new_sites["cost_myen"].sum()) if len(new_sites) else 0.0,
    )
    summary = {
        "tool": {"name": "denen-gis", "version": __version__, **_solver_versions()},
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scenario": s.to_dict(),
        "region": inputs.region,
        "municipalities": list(inputs.municipalities),
        "modelled_layers": _modelled_layers(s),
        "headline": headline.to_dict(),
        "coverage_before": before.to_dict(),
        "coverage_after": after.to_dict(),
        "by_prefecture": by_pref.to_dict(orient="records"),
        "urban_rural": ur.to_dict(orient="records"),
        "by_municipality": by_muni.to_dict(orient="records"),
        "fiveg": fiveg,
        **extra,
        "timings": {**timings, "total_s": time.perf_counter() - t_start},
    }
    if s.fiveg.backtest_against and result is not None:
        summary["backtest"] = backtest(by_pref, s.fiveg.baseline, s.fiveg.backtest_against)
    return Plan(
        scenario=s,
        headline=headline,
        summary=summary,
        prefectures=prefs_out,
        cells=cells,
        new_sites=new_sites,
        stations=inputs.stations,
        by_prefecture=by_pref,
        urban_rural=ur,
        fiveg=result,
        infrastructure=layers,
        by_municipality=by_muni,
    )


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
    # The embedded population (2020 census 500 m mesh) is official, so it is not listed.
    modelled = []
    if not s.inputs.stations:
        modelled.append(
            f"existing 5G stations (modelled, end of {s.fiveg.baseline.upper()}, "
            "calibrated to MIC's coverage by prefecture)"
        )
    if not s.inputs.candidates:
        modelled.append(
            "candidate 5G sites and costs (modelled: NR upgrades of 4G sites and new towers)"
        )
    if not s.inputs.datacenters and (s.datacenters.enabled or s.resilience):
        modelled.append("data-centre capacity and candidates (modelled)")
    if not s.inputs.cables and (s.landings.enabled or s.resilience):
        modelled.append("backbone and cable routes (modelled)")
    return modelled
