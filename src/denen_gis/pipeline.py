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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from denen_gis import __version__
from denen_gis.errors import InputError
from denen_gis.headline import Headline
from denen_gis.io.sources import (
    candidates_input,
    filter_region,
    population_input,
    prefectures_input,
    region_codes,
    region_of_points,
    stations_input,
    stations_near,
)
from denen_gis.layers.coverage import compute_coverage, site_coverage_matrix
from denen_gis.layers.metrics import CoverageMetrics, coverage_metrics
from denen_gis.layers.radio import LinkBudget, check_station_frame
from denen_gis.mesh import mesh_centroids
from denen_gis.optimize import SiteSelectionResult, Targets, select_sites, solve_rollout
from denen_gis.plan_fiveg import backtest, cost_context, exact_after
from denen_gis.plan_tables import prefecture_before_after, site_contributions, urban_rural_table
from denen_gis.scenario import ResolvedInputs, Scenario, load_scenario

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
    by_prefecture, urban_rural
        Before/after tables.
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


def _targets(s: Scenario) -> Targets | None:
    f = s.fiveg
    if all(t is None for t in (f.target_national, f.target_prefecture, f.target_rural)):
        return None
    return Targets(
        national=f.target_national, per_prefecture=f.target_prefecture, rural=f.target_rural
    )


@dataclass(frozen=True)
class PreparedRun:
    """The prepared arrays and layers of a run, before any solving.

    Built once by :func:`prepare_inputs` and shared by :func:`plan` and
    :func:`plan_rollout`, so that every command loads and checks the same way.
    """

    scenario: Scenario
    paths: ResolvedInputs
    prefectures_all: gpd.GeoDataFrame
    prefectures: gpd.GeoDataFrame
    region: list[str]
    grid: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    covered_before: np.ndarray
    before: CoverageMetrics
    block: np.ndarray
    link_budget: LinkBudget
    timings: dict[str, float]

    @property
    def population(self) -> np.ndarray:
        """Population per cell [persons]."""
        return self.grid["population"].to_numpy()

    @property
    def pref_code(self) -> np.ndarray:
        """Prefecture code per cell."""
        return self.grid["pref_code"].astype(str).to_numpy()

    @property
    def urban(self) -> np.ndarray:
        """Urban flag per cell."""
        return self.grid["urban"].to_numpy().astype(bool)

    def metrics(self, covered: np.ndarray) -> CoverageMetrics:
        """Coverage metrics of the region for a per-cell covered flag."""
        return _grid_metrics(self.grid, self.block, covered)

    def select(self, matrix: Any, *, budget_myen: float | None = None) -> SiteSelectionResult:
        """Solve the scenario's 5G model on ``matrix`` (a budget overrides the scenario's)."""
        s = self.scenario
        return select_sites(
            matrix,
            population=self.population,
            costs_myen=self.candidates["cost_myen"].to_numpy(),
            site_ids=self.candidates["site_id"].tolist(),
            pref_code=self.pref_code,
            urban=self.urban,
            covered_before=self.covered_before,
            objective=s.fiveg.objective,
            budget_myen=s.fiveg.budget_myen if budget_myen is None else budget_myen,
            targets=_targets(s),
            include_ids=s.fiveg.include_sites,
            exclude_ids=s.fiveg.exclude_sites,
            rural_weight=s.fiveg.rural_weight,
            fairness_on=s.fiveg.fairness_on,
            time_limit_s=s.run.time_limit_s,
            seed=s.run.seed,
            workers=s.run.workers,
        )

    def candidate_matrix(self) -> Any:
        """The cells x candidates coverage matrix (CSR)."""
        return site_coverage_matrix(self.grid, self.candidates, link_budget=self.link_budget)


def _grid_metrics(grid: pd.DataFrame, block: np.ndarray, covered: np.ndarray) -> CoverageMetrics:
    return coverage_metrics(
        grid["population"].to_numpy(),
        covered,
        pref_code=grid["pref_code"].astype(str).to_numpy(),
        urban=grid["urban"].to_numpy().astype(bool),
        area_km2=grid["area_km2"].to_numpy(),
        block=block,
    )


def as_scenario(scenario: Scenario | str | Path | None) -> Scenario:
    """A scenario as given, loaded from a TOML path, or the defaults for ``None``."""
    if isinstance(scenario, Scenario):
        return scenario
    return Scenario() if scenario is None else load_scenario(scenario)


def prepare_inputs(scenario: Scenario | str | Path | None = None) -> PreparedRun:
    """Load, check and filter the layers of a scenario and compute coverage today."""
    s = as_scenario(scenario)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    paths = s.resolved_inputs()
    prefs_all = prefectures_input(paths.prefectures)
    try:
        codes = region_codes(
            prefs_all,
            blocks=s.region.blocks,
            codes=s.region.prefectures,
            sea_of_japan_coast=s.region.sea_of_japan_coast,
        )
    except InputError as exc:
        msg = f"{s.source}: [region] {exc}"
        raise InputError(msg) from None
    prefs = prefs_all[prefs_all["code"].isin(codes)].reset_index(drop=True)
    grid = population_input(paths.population, prefectures=prefs_all)
    candidates = candidates_input(paths.candidates, baseline=s.fiveg.baseline)
    if paths.prefectures is not None:
        # The user's own regions (e.g. N03 municipalities): key cells and candidate
        # sites by the region that contains them, whatever codes their files carry.
        grid = grid.assign(
            pref_code=region_of_points(*mesh_centroids(grid["mesh_code"].to_numpy()), prefs_all)
        )
        candidates = candidates.assign(
            pref_code=region_of_points(
                candidates.geometry.x.to_numpy(), candidates.geometry.y.to_numpy(), prefs_all
            )
        )
    grid = filter_region(grid, codes)
    if grid.empty:
        msg = f"{s.source}: the region {codes} has no population cells"
        raise InputError(msg)
    if "pref_code" in candidates.columns:
        candidates = filter_region(candidates, codes)
    # Existing stations just across the region's border cover its border cells too.
    stations = stations_near(stations_input(paths.stations, baseline=s.fiveg.baseline), grid)
    check_station_frame(stations, source=str(paths.stations or "embedded stations"))
    check_station_frame(candidates, source=str(paths.candidates or "embedded candidates"))
    timings["load_s"] = time.perf_counter() - t

    t = time.perf_counter()
    link_budget = LinkBudget(
        ue_height_m=s.radio.ue_height_m,
        indoor_penetration_db=s.radio.indoor_penetration_db,
        shadowing_margin_db=s.radio.shadowing_margin_db,
    )
    blocks = (
        dict(zip(prefs_all["code"], prefs_all["block"], strict=True))
        if "block" in prefs_all.columns
        else {}
    )
    if len(stations):
        covered_before = (
            compute_coverage(grid, stations, link_budget=link_budget).cells["covered"].to_numpy()
        )
    else:
        covered_before = np.zeros(len(grid), dtype=bool)
    block = np.array([blocks.get(p, "") for p in grid["pref_code"].astype(str)], dtype=object)
    before = _grid_metrics(grid, block, covered_before)
    timings["coverage_s"] = time.perf_counter() - t
    return PreparedRun(
        scenario=s,
        paths=paths,
        prefectures_all=prefs_all,
        prefectures=prefs,
        region=codes,
        grid=grid,
        stations=stations,
        candidates=candidates,
        covered_before=covered_before,
        before=before,
        block=block,
        link_budget=link_budget,
        timings=timings,
    )


def plan(
    scenario: Scenario | str | Path | None = None, *, progress: ProgressCallback | None = None
) -> Plan:
    """Run a scenario (a :class:`Scenario`, a TOML path, or ``None`` for the defaults).

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
    for name, wanted in (
        ("include_sites", s.fiveg.include_sites),
        ("exclude_sites", s.fiveg.exclude_sites),
    ):
        unknown = [w for w in wanted if w not in index]
        if unknown:
            msg = f"fiveg.{name}: unknown candidate site id {unknown[0]!r}"
            raise InputError(msg)
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
        "modelled_layers": _modelled_layers(s),
        "headline": headline.to_dict(),
        "coverage_before": before.to_dict(),
        "coverage_after": after.to_dict(),
        "by_prefecture": by_pref.to_dict(orient="records"),
        "urban_rural": ur.to_dict(orient="records"),
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
    modelled = []
    if not s.inputs.population:
        modelled.append("population grid (modelled, calibrated to the 2020 Census)")
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
