"""The data-centre, landing-station and resilience part of a planning run.

:func:`run` takes a scenario's ``[datacenters]``, ``[landings]`` and
``resilience`` settings, builds the backbone from the embedded hubs, links,
cables and landings (or the user's TeleGeography files), chooses the regional
DC sites and the Sea of Japan landings with OR-Tools, and runs the N-1
resilience check before and after. It returns the ``plan.json`` sections and
the layers for the GeoPackage and the infrastructure map.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from denen_gis.geodesy import CRS_EPSG
from denen_gis.io import japan
from denen_gis.scenario import Scenario

__all__ = ["InfrastructureOutcome", "run"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InfrastructureOutcome:
    """``plan.json`` sections (``datacenters``, ``landings``, ``resilience``) and layers."""

    summary: dict[str, Any] = field(default_factory=dict)
    layers: dict[str, Any] = field(default_factory=dict)


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    if "geometry" in frame.columns:
        return gpd.GeoDataFrame(frame.copy(), geometry="geometry", crs=CRS_EPSG)
    return gpd.GeoDataFrame(
        frame.copy(), geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=CRS_EPSG
    )


def _inputs(s: Scenario, prefectures: gpd.GeoDataFrame) -> tuple[Any, Any, Any, Any, Any]:
    hubs = japan.load_hubs()
    links = japan.load_backbone_links()
    datacenters = japan.load_datacenters()
    if s.inputs.datacenters:
        from denen_gis.io.files import read_layer

        datacenters = read_layer(s.resolve(s.inputs.datacenters), "datacenters")
    cables, landings = japan.load_cables(), japan.load_landings()
    if s.inputs.cables or s.inputs.landing_points:
        from denen_gis.errors import InputError
        from denen_gis.io.telegeography import check_landings_touch, read_submarine_cables

        if not (s.inputs.cables and s.inputs.landing_points):
            msg = f"{s.source}: inputs.cables and inputs.landing_points go together; set both"
            raise InputError(msg)
        cables, landings = read_submarine_cables(
            s.resolve(s.inputs.cables), s.resolve(s.inputs.landing_points)
        )
        check_landings_touch(cables, landings, source=str(s.resolve(s.inputs.landing_points)))
        landings = _with_prefecture(
            landings, prefectures, source=str(s.resolve(s.inputs.landing_points))
        )
    return hubs, links, datacenters, cables, landings


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


def run(
    s: Scenario, *, prefectures: gpd.GeoDataFrame, region: list[str], grid: gpd.GeoDataFrame
) -> InfrastructureOutcome:
    """Run the DC, landing and resilience steps a scenario enables.

    DC access is national by nature (a region's people reach DCs anywhere on
    the backbone), so the models use the whole backbone; ``grid`` gives the
    demand of the region being planned.
    """
    if not (s.datacenters.enabled or s.landings.enabled or s.resilience):
        return InfrastructureOutcome()
    from denen_gis.layers.network import build_backbone, demand_groups, rtt_to_nearest_dc
    from denen_gis.layers.resilience import (
        capacity_concentration,
        compare_cuts,
        n_minus_1,
        relief_statements,
    )
    from denen_gis.optimize.datacenters import plan_datacenters
    from denen_gis.optimize.landings import DEFAULT_FIXED_LANDINGS, plan_landings

    hubs, links, dcs, cables, landings = _inputs(s, prefectures)
    summary: dict[str, Any] = {}
    layers: dict[str, Any] = {}
    limit, seed, workers = s.scenario.time_limit_s, s.scenario.seed, s.scenario.workers

    chosen_landings: list[str] | None = None
    if s.landings.enabled:
        lp = plan_landings(
            landings,
            hubs,
            links,
            count=s.landings.count,
            # The reported landing areas are ids of the embedded layer; a user's cable
            # file has its own ids, so nothing is fixed there.
            fixed=() if s.inputs.cables else DEFAULT_FIXED_LANDINGS,
            cost_per_landing_myen=s.landings.cost_per_landing_myen,
            time_limit_s=limit,
            seed=seed,
            workers=workers,
        )
        chosen_landings = list(lp.chosen)
        summary["landings"] = {**lp.summary, "chosen": chosen_landings}
        layers["landings_candidates"] = _points(lp.candidates)
    active = None
    # A user's cable file has no planned/candidate landings: every landing in it is
    # in service, and the landing model only ranks them.
    if chosen_landings is not None and not s.inputs.cables:
        others = landings.loc[
            ~landings["landing_id"].isin(lp.candidates["landing_id"]), "landing_id"
        ].tolist()
        active = [*others, *chosen_landings]
    graph = build_backbone(
        hubs, links, cables, landings, datacenters=dcs, include_planned=True, active_landings=active
    )
    demand = demand_groups(grid, graph)

    existing = dcs.loc[dcs["status"] == "existing", "site_id"].tolist()
    plan_sites = existing
    if s.datacenters.enabled:
        dp = plan_datacenters(
            dcs,
            graph,
            demand,
            k=s.datacenters.k,
            objective=s.datacenters.objective,
            regions=prefectures,
            include_sites=s.datacenters.include_sites,
            exclude_sites=s.datacenters.exclude_sites,
            max_per_block=s.datacenters.max_per_block,
            time_limit_s=limit,
            seed=seed,
            workers=workers,
        )
        plan_sites = list(dict.fromkeys([*existing, *dp.chosen]))
        summary["datacenters"] = {**dp.summary, "chosen": list(dp.chosen)}
        layers["datacenters"] = _points(dp.sites)
    else:
        layers["datacenters"] = _points(dcs.assign(chosen=False))
    access = rtt_to_nearest_dc(graph, sites=plan_sites, grid=grid)
    summary["access"] = {
        "rtt": access.summary,
        "by_prefecture": access.by_prefecture.to_dict(orient="records"),
    }
    layers["rtt_by_prefecture"] = access.by_prefecture
    layers["cables"] = gpd.GeoDataFrame(cables, geometry="geometry", crs=CRS_EPSG)
    chosen_ids = set(chosen_landings or ())
    layers["landings"] = gpd.GeoDataFrame(
        landings.assign(chosen=landings["landing_id"].isin(chosen_ids)),
        geometry="geometry",
        crs=CRS_EPSG,
    )

    if s.resilience:
        g0 = build_backbone(hubs, links, cables, landings, datacenters=dcs, include_planned=False)
        d0 = demand_groups(grid, g0)
        today = n_minus_1(g0, d0, sites=existing)
        after = n_minus_1(graph, demand, sites=plan_sites)
        comparison = compare_cuts(today, after)
        summary["resilience"] = {
            "today": {"baseline": today.baseline, "worst_cut": today.worst},
            "with_plan": {"baseline": after.baseline, "worst_cut": after.worst},
            "relief": relief_statements(comparison),
            "capacity_before": capacity_concentration(dcs),
            "capacity_after": capacity_concentration(dcs, sites=plan_sites),
        }
        layers["resilience_cuts"] = after.cuts
        layers["resilience_comparison"] = comparison
    return InfrastructureOutcome(summary=summary, layers=layers)
