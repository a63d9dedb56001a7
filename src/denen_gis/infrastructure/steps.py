"""The infrastructure steps of a planning run, each returning a frozen typed result.

Inputs -> backbone -> landings -> demand -> DC siting -> access -> resilience;
:func:`run` wires them for ``denen-gis plan``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from denen_gis.geodesy import CRS_EPSG
from denen_gis.infrastructure.figures import (
    CapacityShares,
    DatacenterOptions,
    LandingOptions,
    RttFigures,
    SolverFigures,
    SolverLimits,
)
from denen_gis.io import japan
from denen_gis.layers.hazards import builtin_hazards
from denen_gis.layers.network import AccessResult, build_backbone, demand_groups, rtt_to_nearest_dc
from denen_gis.layers.resilience import (
    ResilienceReport,
    capacity_concentration,
    compare_cuts,
    n_minus_1,
    relief_statements,
)
from denen_gis.optimize.datacenters import DatacenterPlan, plan_datacenters
from denen_gis.optimize.landings import DEFAULT_FIXED_LANDINGS, LandingPlan, plan_landings
from denen_gis.scenario import ResolvedInputs, Scenario

__all__ = [
    "DatacenterSiting",
    "DcAccess",
    "InfrastructureInputs",
    "InfrastructureOutcome",
    "LandingChoice",
    "PlanResilience",
    "active_landings",
    "backbone",
    "choose_landings",
    "dc_access",
    "embedded_inputs",
    "plan_resilience",
    "run",
    "scenario_inputs",
    "site_datacenters",
]

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# inputs


@dataclass(frozen=True)
class InfrastructureInputs:
    """Every layer the infrastructure steps read.

    ``user_cables`` says the cables and landings come from the user's
    (TeleGeography-style) files: every landing in them is in service and none
    of the embedded landing ids applies.
    """

    hubs: pd.DataFrame
    links: pd.DataFrame
    datacenters: gpd.GeoDataFrame
    cables: gpd.GeoDataFrame
    landings: gpd.GeoDataFrame
    prefectures: gpd.GeoDataFrame
    grid: pd.DataFrame
    user_cables: bool = False

    def site_ids(self, status: str) -> list[str]:
        """Ids of the DC sites with ``status`` (existing, funded, candidate)."""
        dcs = self.datacenters
        return list(dcs.loc[dcs["status"] == status, "site_id"])


def embedded_inputs() -> InfrastructureInputs:
    """The embedded national dataset (hubs, links, DCs, cables, landings, 1 km grid)."""
    return InfrastructureInputs(
        hubs=japan.load_hubs(),
        links=japan.load_backbone_links(),
        datacenters=japan.load_datacenters(),
        cables=japan.load_cables(),
        landings=japan.load_landings(),
        prefectures=japan.load_prefectures(),
        grid=japan.load_population_grid(),
    )


def scenario_inputs(
    s: Scenario, *, paths: ResolvedInputs, prefectures: gpd.GeoDataFrame, grid: pd.DataFrame
) -> InfrastructureInputs:
    """The embedded layers with the scenario's own DC and cable files in their place.

    Raises
    ------
    InputError
        Only one of ``inputs.cables`` and ``inputs.landing_points`` set, or a
        bad user file.
    """
    datacenters = japan.load_datacenters()
    if paths.datacenters is not None:
        from denen_gis.io.files import read_layer

        datacenters = read_layer(paths.datacenters, "datacenters")
    cables, landings = japan.load_cables(), japan.load_landings()
    user_cables = paths.cables is not None or paths.landing_points is not None
    if user_cables:
        cables, landings = _user_cables(s, paths, prefectures)
    return InfrastructureInputs(
        hubs=japan.load_hubs(),
        links=japan.load_backbone_links(),
        datacenters=datacenters,
        cables=cables,
        landings=landings,
        prefectures=prefectures,
        grid=grid,
        user_cables=user_cables,
    )


def _user_cables(
    s: Scenario, paths: ResolvedInputs, prefectures: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    from denen_gis.errors import InputError
    from denen_gis.io.telegeography import check_landings_touch, read_submarine_cables

    if paths.cables is None or paths.landing_points is None:
        msg = f"{s.source}: inputs.cables and inputs.landing_points go together; set both"
        raise InputError(msg)
    landing_path = paths.landing_points
    cables, landings = read_submarine_cables(paths.cables, landing_path)
    check_landings_touch(cables, landings, source=str(landing_path))
    return cables, _with_prefecture(landings, prefectures, source=str(landing_path))


def _with_prefecture(
    landings: gpd.GeoDataFrame, prefectures: gpd.GeoDataFrame, *, source: str
) -> gpd.GeoDataFrame:
    """Give user landings (TeleGeography has no prefecture) the nearest prefecture's code.

    Landings more than about 30 km (0.3 degrees) from every prefecture are
    dropped with a log message: they belong to other countries' ends of the cables.
    """
    from denen_gis.errors import InputError
    from denen_gis.io.sources import region_of_points

    codes = region_of_points(
        landings.geometry.x.to_numpy(),
        landings.geometry.y.to_numpy(),
        prefectures,
        max_distance_deg=0.3,
    )
    out = landings.assign(pref_code=codes)[codes != ""].reset_index(drop=True)
    dropped = len(landings) - len(out)
    if dropped:
        logger.info("%s: %d landings outside Japan left out", source, dropped)
    if out.empty:
        msg = f"{source}: no landing point lies within 30 km of a Japanese prefecture"
        raise InputError(msg)
    return out


# ---------------------------------------------------------------------------
# steps


def backbone(
    inputs: InfrastructureInputs,
    *,
    include_planned: bool = True,
    active: Sequence[str] | None = None,
) -> nx.Graph:
    """The backbone graph of ``inputs`` with every DC site on it.

    ``include_planned`` keeps the planned cables (Sea of Japan); ``active`` are
    the landing ids with a station (default: every landing not a candidate).
    """
    return build_backbone(
        inputs.hubs,
        inputs.links,
        inputs.cables,
        inputs.landings,
        datacenters=inputs.datacenters,
        include_planned=include_planned,
        active_landings=active,
    )


@dataclass(frozen=True)
class LandingChoice:
    """The chosen landing stations of the Sea of Japan cable, with their cost."""

    plan: LandingPlan = field(repr=False)
    count: int
    station_cost_myen: float
    backhaul_mperson_km: float
    mean_backhaul_km: float
    total_cost_myen: float
    solver: SolverFigures

    @property
    def chosen(self) -> tuple[str, ...]:
        """Landing ids of the chosen stations."""
        return self.plan.chosen

    def to_dict(self) -> dict[str, Any]:
        """The ``landings`` section of ``plan.json``."""
        return {**self.plan.summary, "chosen": list(self.plan.chosen)}


def choose_landings(
    inputs: InfrastructureInputs, options: LandingOptions, solver: SolverLimits
) -> LandingChoice:
    """Choose the Sea of Japan cable's landing stations (backhaul vs station cost)."""
    lp = plan_landings(
        inputs.landings,
        inputs.hubs,
        inputs.links,
        count=options.count,
        fixed=options.fixed,
        excluded=options.excluded,
        cost_per_landing_myen=options.cost_per_landing_myen,
        backhaul_myen_per_mperson_km=options.backhaul_myen_per_mperson_km,
        time_limit_s=solver.time_limit_s,
        seed=solver.seed,
        workers=solver.workers,
        work_limit=solver.work_limit,
    )
    s: dict[str, Any] = lp.summary
    return LandingChoice(
        plan=lp,
        count=int(s["count"]),
        station_cost_myen=float(s["station_cost_myen"]),
        backhaul_mperson_km=float(s["backhaul_mperson_km"]),
        mean_backhaul_km=float(s["mean_backhaul_km"]),
        total_cost_myen=float(s["total_cost_myen"]),
        solver=SolverFigures.from_dict(s["solver"]),
    )


def active_landings(inputs: InfrastructureInputs, choice: LandingChoice) -> list[str] | None:
    """Landings with a station once ``choice`` is built: the chosen ones and every other
    landing in service. ``None`` (every landing) for a user's cable file, whose landings
    are all in service already.
    """
    if inputs.user_cables:
        return None
    lands = inputs.landings
    others = lands.loc[
        ~lands["landing_id"].isin(choice.plan.candidates["landing_id"])
        & (lands["status"] != "candidate"),
        "landing_id",
    ].tolist()
    return [*others, *choice.chosen]


@dataclass(frozen=True)
class DatacenterSiting:
    """Chosen regional DC sites with RTT [ms] and capacity shares before and after."""

    plan: DatacenterPlan = field(repr=False)
    before: RttFigures
    after: RttFigures
    capacity_before: CapacityShares
    capacity_after: CapacityShares
    new_capacity_mw: float
    new_cost_myen: float
    solver: SolverFigures

    @property
    def chosen(self) -> tuple[str, ...]:
        """Site ids of the chosen new sites."""
        return self.plan.chosen

    @property
    def chosen_sites(self) -> pd.DataFrame:
        """Rows of the chosen sites (``plan.sites`` where ``chosen``)."""
        return self.plan.sites[self.plan.sites["chosen"]]

    def to_dict(self) -> dict[str, Any]:
        """The ``datacenters`` section of ``plan.json`` (and ``--json`` of the command)."""
        return {**self.plan.summary, "chosen": list(self.plan.chosen)}


def site_datacenters(
    inputs: InfrastructureInputs,
    graph: nx.Graph,
    demand: pd.DataFrame,
    options: DatacenterOptions,
    solver: SolverLimits,
) -> DatacenterSiting:
    """Choose regional DC sites on ``graph`` for the ``demand`` groups."""
    dp = plan_datacenters(
        inputs.datacenters,
        graph,
        demand,
        k=options.k,
        objective=options.objective,
        regions=inputs.prefectures,
        allow_tokyo_area=options.allow_tokyo_area,
        fix_funded=options.fix_funded,
        include_sites=options.include_sites,
        exclude_sites=options.exclude_sites,
        max_per_block=options.max_per_block,
        min_separation_km=options.min_separation_km,
        capacitated=options.capacitated,
        budget_myen=options.budget_myen,
        criteria=options.criteria,
        hazard_zones=builtin_hazards() if options.hazard_rule else None,
        backup_max_rtt_ms=options.backup_max_rtt_ms,
        time_limit_s=solver.time_limit_s,
        seed=solver.seed,
        workers=solver.workers,
        work_limit=solver.work_limit,
    )
    s: dict[str, Any] = dp.summary
    return DatacenterSiting(
        plan=dp,
        before=RttFigures.from_dict(s["before"]),
        after=RttFigures.from_dict(s["after"]),
        capacity_before=CapacityShares.from_dict(s["capacity_before"]),
        capacity_after=CapacityShares.from_dict(s["capacity_after"]),
        new_capacity_mw=float(s["new_capacity_mw"]),
        new_cost_myen=float(s["new_cost_myen"]),
        solver=SolverFigures.from_dict(s["solver"]),
    )


@dataclass(frozen=True)
class DcAccess:
    """RTT [ms] from the grid's people to the nearest open DC."""

    result: AccessResult = field(repr=False)
    rtt: RttFigures

    def to_dict(self) -> dict[str, Any]:
        """The ``access`` section of ``plan.json``."""
        return {
            "rtt": self.rtt.to_dict(),
            "by_prefecture": self.result.by_prefecture.to_dict(orient="records"),
        }


def dc_access(graph: nx.Graph, *, sites: Sequence[str], grid: pd.DataFrame) -> DcAccess:
    """RTT from every grid cell to its nearest site of ``sites``."""
    access = rtt_to_nearest_dc(graph, sites=sites, grid=grid)
    return DcAccess(result=access, rtt=RttFigures.from_dict(access.summary))


@dataclass(frozen=True)
class PlanResilience:
    """N-1 today (existing backbone and DCs) and with the plan, and what the plan relieves."""

    today: ResilienceReport = field(repr=False)
    with_plan: ResilienceReport = field(repr=False)
    comparison: pd.DataFrame = field(repr=False)
    relief: tuple[str, ...]
    capacity_before: CapacityShares
    capacity_after: CapacityShares

    def to_dict(self) -> dict[str, Any]:
        """The ``resilience`` section of ``plan.json``."""
        return {
            "today": {"baseline": self.today.baseline, "worst_cut": self.today.worst},
            "with_plan": {"baseline": self.with_plan.baseline, "worst_cut": self.with_plan.worst},
            "relief": list(self.relief),
            "capacity_before": self.capacity_before.to_dict(),
            "capacity_after": self.capacity_after.to_dict(),
        }


def plan_resilience(
    inputs: InfrastructureInputs,
    graph: nx.Graph,
    demand: pd.DataFrame,
    *,
    plan_sites: Sequence[str],
) -> PlanResilience:
    """N-1 of today's backbone with the existing DCs against ``graph`` with ``plan_sites``."""
    existing = inputs.site_ids("existing")
    g0 = backbone(inputs, include_planned=False)
    today = n_minus_1(g0, demand_groups(inputs.grid, g0), sites=existing)
    after = n_minus_1(graph, demand, sites=plan_sites)
    comparison = compare_cuts(today, after)
    dcs = inputs.datacenters
    return PlanResilience(
        today=today,
        with_plan=after,
        comparison=comparison,
        relief=tuple(relief_statements(comparison)),
        capacity_before=CapacityShares.from_dict(capacity_concentration(dcs)),
        capacity_after=CapacityShares.from_dict(capacity_concentration(dcs, sites=plan_sites)),
    )


# ---------------------------------------------------------------------------
# a planning run


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    if "geometry" in frame.columns:
        return gpd.GeoDataFrame(frame.copy(), geometry="geometry", crs=CRS_EPSG)
    return gpd.GeoDataFrame(
        frame.copy(), geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=CRS_EPSG
    )


@dataclass(frozen=True)
class InfrastructureOutcome:
    """The infrastructure part of a plan: typed sections and the layers they draw on.

    A section is ``None`` when the scenario disables its step; with every step
    disabled the outcome is empty (no sections, no layers).
    """

    landings: LandingChoice | None = None
    datacenters: DatacenterSiting | None = None
    access: DcAccess | None = None
    resilience: PlanResilience | None = None
    datacenter_points: gpd.GeoDataFrame | None = field(default=None, repr=False)
    cables: gpd.GeoDataFrame | None = field(default=None, repr=False)
    landing_points: gpd.GeoDataFrame | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The ``landings``, ``datacenters``, ``access`` and ``resilience`` sections."""
        sections = {
            "landings": self.landings,
            "datacenters": self.datacenters,
            "access": self.access,
            "resilience": self.resilience,
        }
        return {name: s.to_dict() for name, s in sections.items() if s is not None}

    @property
    def layers(self) -> dict[str, Any]:
        """Layers for ``plan.gpkg`` and the infrastructure map, by layer name."""
        out: dict[str, Any] = {}
        if self.landings is not None:
            out["landings_candidates"] = _points(self.landings.plan.candidates)
        named = {
            "datacenters": self.datacenter_points,
            "rtt_by_prefecture": self.access.result.by_prefecture if self.access else None,
            "cables": self.cables,
            "landings": self.landing_points,
        }
        out.update({k: v for k, v in named.items() if v is not None})
        if self.resilience is not None:
            out["resilience_cuts"] = self.resilience.with_plan.cuts
            out["resilience_comparison"] = self.resilience.comparison
        return out


def run(
    s: Scenario,
    *,
    paths: ResolvedInputs,
    prefectures: gpd.GeoDataFrame,
    grid: gpd.GeoDataFrame,
) -> InfrastructureOutcome:
    """Run the landing, DC and resilience steps a scenario enables.

    ``paths`` are the scenario's inputs resolved once for the run;
    ``prefectures`` are all of Japan's (DC access is national); ``grid`` is
    the demand of the region being planned.
    """
    if not (s.datacenters.enabled or s.landings.enabled or s.resilience):
        return InfrastructureOutcome()
    inputs = scenario_inputs(s, paths=paths, prefectures=prefectures, grid=grid)
    solver = SolverLimits(s.run.time_limit_s, s.run.seed, s.run.workers, s.run.work_limit)
    landings = None
    active = None
    if s.landings.enabled:
        options = LandingOptions(
            count=s.landings.count,
            # The reported landing areas are ids of the embedded layer; a user's cable
            # file has its own ids, so nothing is fixed there.
            fixed=() if inputs.user_cables else DEFAULT_FIXED_LANDINGS,
            cost_per_landing_myen=s.landings.cost_per_landing_myen,
        )
        landings = choose_landings(inputs, options, solver)
        active = active_landings(inputs, landings)
    graph = backbone(inputs, include_planned=True, active=active)
    demand = demand_groups(grid, graph)
    existing = inputs.site_ids("existing")
    siting = None
    plan_sites = existing
    if s.datacenters.enabled:
        dc = s.datacenters
        options_dc = DatacenterOptions(
            k=dc.k,
            objective=dc.objective,
            include_sites=tuple(dc.include_sites),
            exclude_sites=tuple(dc.exclude_sites),
            max_per_block=dc.max_per_block,
            criteria=dc.criteria(),
        )
        siting = site_datacenters(inputs, graph, demand, options_dc, solver)
        plan_sites = list(dict.fromkeys([*existing, *siting.chosen]))
    chosen_landings = set(landings.chosen if landings else ())
    return InfrastructureOutcome(
        landings=landings,
        datacenters=siting,
        access=dc_access(graph, sites=plan_sites, grid=grid),
        resilience=plan_resilience(inputs, graph, demand, plan_sites=plan_sites)
        if s.resilience
        else None,
        datacenter_points=_points(siting.plan.sites)
        if siting
        else _points(inputs.datacenters.assign(chosen=False)),
        cables=gpd.GeoDataFrame(inputs.cables, geometry="geometry", crs=CRS_EPSG),
        landing_points=gpd.GeoDataFrame(
            inputs.landings.assign(chosen=inputs.landings["landing_id"].isin(chosen_landings)),
            geometry="geometry",
            crs=CRS_EPSG,
        ),
    )
