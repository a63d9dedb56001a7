"""A run's inputs, prepared once: load, check and filter the layers, coverage today.

:func:`prepare_inputs` turns a scenario into a frozen :class:`PreparedRun`:
the region's grid, stations and candidates, the link budget and who is
covered today. :func:`denen_gis.pipeline.plan`, :func:`~denen_gis.pipeline.plan_rollout`,
budget sweeps and the site explorer all start from it, so every command loads
and checks the same way.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from denen_gis.errors import InputError
from denen_gis.io.municipalities import filter_region_units, filter_sites_by_region, region_units
from denen_gis.io.sources import (
    candidates_input,
    population_input,
    prefectures_input,
    region_of_points,
    stations_input,
    stations_near,
)
from denen_gis.layers.coverage import compute_coverage, site_coverage_matrix
from denen_gis.layers.metrics import CoverageMetrics, coverage_metrics
from denen_gis.layers.radio import LinkBudget, check_station_frame
from denen_gis.mesh import mesh_centroids
from denen_gis.optimize import SiteSelectionResult, Targets, select_sites
from denen_gis.scenario import (
    ResolvedInputs,
    Scenario,
    fy2030_scenario,
    load_scenario,
    scenario_from_mapping,
    validate_scenario,
)
from denen_gis.scenario_checks import check_site_ids

__all__ = ["PreparedRun", "as_scenario", "prepare_inputs"]

logger = logging.getLogger(__name__)


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
    municipalities: tuple[str, ...] = ()

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
            work_limit=s.run.work_limit,
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


def as_scenario(scenario: Scenario | Mapping[str, Any] | str | Path | None) -> Scenario:
    """A checked scenario: as given, from a mapping or a TOML path, or the defaults for ``None``.

    A :class:`Scenario` is checked again (:func:`denen_gis.scenario.validate_scenario`),
    since ``dataclasses.replace`` skips the checks of the TOML loader.

    Raises
    ------
    InputError
        A bad scenario (naming the key), or an argument of another type.
    """
    if isinstance(scenario, Scenario):
        return validate_scenario(scenario)
    if isinstance(scenario, Mapping):
        return scenario_from_mapping(scenario)
    if scenario is None:
        return fy2030_scenario()
    if isinstance(scenario, str | os.PathLike):
        return load_scenario(scenario)
    msg = f"a scenario is a Scenario, a mapping, a TOML path or None, not {type(scenario).__name__}"
    raise InputError(msg)


def _region_units(s: Scenario, prefs_all: gpd.GeoDataFrame) -> tuple[list[str], list[str]]:
    """Prefectures selected whole and municipalities selected, by the scenario's [region]."""
    r = s.region
    try:
        return region_units(
            prefs_all,
            blocks=r.blocks,
            codes=r.prefectures,
            sea_of_japan_coast=r.sea_of_japan_coast,
            municipalities=r.municipalities,
        )
    except InputError as exc:
        msg = f"{s.source}: [region] {exc}"
        raise InputError(msg) from None


def prepare_inputs(scenario: Scenario | str | Path | None = None) -> PreparedRun:
    """Load, check and filter the layers of a scenario and compute coverage today."""
    s = as_scenario(scenario)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    paths = s.resolved_inputs()
    prefs_all = prefectures_input(paths.prefectures)
    whole, munis = _region_units(s, prefs_all)
    codes = sorted(set(whole) | {m[:2] for m in munis})
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
    grid = filter_region_units(grid, prefectures=whole, municipalities=munis)
    if grid.empty:
        msg = f"{s.source}: the region {[*whole, *munis]} has no population cells"
        raise InputError(msg)
    if "pref_code" in candidates.columns:
        candidates = filter_sites_by_region(candidates, prefectures=whole, municipalities=munis)
    # Existing stations just across the region's border cover its border cells too.
    stations = stations_near(stations_input(paths.stations, baseline=s.fiveg.baseline), grid)
    check_station_frame(stations, source=str(paths.stations or "embedded stations"))
    check_station_frame(candidates, source=str(paths.candidates or "embedded candidates"))
    check_site_ids(
        s.fiveg.include_sites,
        s.fiveg.exclude_sites,
        known=candidates["site_id"].astype(str),
        source="" if s.source == "command line" else s.source,
        command_line=s.source == "command line",
    )
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
        municipalities=tuple(munis),
        grid=grid,
        stations=stations,
        candidates=candidates,
        covered_before=covered_before,
        before=before,
        block=block,
        link_budget=link_budget,
        timings=timings,
    )
