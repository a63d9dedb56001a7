"""Regional data-centre siting from the layers: arrays in, subsidy rule, before/after RTT.

:func:`plan_datacenters` builds the arrays of
:func:`~denen_gis.optimize.dc_siting.solve_dc_siting` (the CP-SAT model, pure on
arrays; re-exported here) from the embedded layers, applies the subsidy rule
(subsidised sites lie outside the Tokyo area), fixes the funded sites, and
reports before/after RTT (urban vs rural) and capacity concentration.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd
import shapely

from denen_gis.errors import InputError
from denen_gis.layers.network import LatencyModel, rtt_matrix_ms, summarize_rtt
from denen_gis.layers.resilience import TOKYO_AREA, capacity_concentration
from denen_gis.optimize._validate import check_solver_settings
from denen_gis.optimize.dc_criteria import site_penalty_ms, site_reasons
from denen_gis.optimize.dc_hazard_rule import hazard_cover_sets
from denen_gis.optimize.dc_siting import SitingResult, solve_dc_siting

__all__ = [
    "DatacenterPlan",
    "SitingResult",
    "plan_datacenters",
    "solve_dc_siting",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatacenterPlan:
    """A regional DC plan on the backbone, with before/after figures.

    Attributes
    ----------
    result
        The solver result (indices into ``sites``).
    chosen
        Site ids of the chosen new sites.
    sites
        Every site with ``chosen`` and ``open`` flags.
    demand
        Demand groups with ``rtt_before_ms``, ``rtt_after_ms``, ``site_id`` and
        ``backup_site_id``.
    summary
        ``before``/``after``: :func:`~denen_gis.layers.network.summarize_rtt`;
        ``capacity_before``/``capacity_after``: capacity concentration; solver
        figures.
    """

    result: SitingResult
    chosen: tuple[str, ...]
    sites: pd.DataFrame = field(repr=False)
    demand: pd.DataFrame = field(repr=False)
    summary: dict[str, object] = field(repr=False)


def _check_on_land(sites: pd.DataFrame, regions: pd.DataFrame) -> None:
    land = shapely.union_all(regions.geometry.to_numpy())
    geom = sites.geometry.to_numpy()
    inside = shapely.contains_xy(land, shapely.get_x(geom), shapely.get_y(geom))
    if not inside.all():
        row = int(np.flatnonzero(~inside)[0])
        msg = (
            f"datacenters: site {sites['site_id'].iloc[row]!r} (row {row}) lies in the sea, "
            "outside every prefecture polygon; fix its coordinates"
        )
        raise InputError(msg)


def _site_blocks(sites: pd.DataFrame, regions: pd.DataFrame | None) -> list[str]:
    """Block label of each site: its own ``block`` column, else its prefecture's."""
    if "block" in sites.columns:
        return sites["block"].astype(str).tolist()
    if regions is None or "block" not in regions.columns or "code" not in regions.columns:
        msg = (
            "datacenters layer has no 'block' column; add one or set "
            "datacenters.max_per_block (to none) to drop the per-block rule"
        )
        raise InputError(msg)
    lookup = dict(zip(regions["code"].astype(str), regions["block"].astype(str), strict=True))
    pref = sites["pref_code"].astype(str)
    missing = sorted(set(pref) - set(lookup))
    if missing:
        msg = (
            f"datacenters layer has no 'block' column and pref_code {missing[0]!r} is not a "
            "prefecture code of regions; add a block column or fix pref_code"
        )
        raise InputError(msg)
    return [lookup[p] for p in pref]


def plan_datacenters(  # noqa: PLR0913 -- solver API: the model's options are keyword-only parameters
    datacenters: pd.DataFrame,
    graph: nx.Graph,
    demand: pd.DataFrame,
    *,
    k: int = 13,
    objective: str = "median",
    regions: pd.DataFrame | None = None,
    allow_tokyo_area: bool = False,
    fix_funded: bool = True,
    include_sites: Iterable[str] = (),
    exclude_sites: Iterable[str] = (),
    max_per_block: int | None = None,
    min_separation_km: float | None = None,
    capacitated: bool = False,
    load_mw_per_million: float = 15.0,
    budget_myen: float | None = None,
    backup_max_rtt_ms: float | None = None,
    criteria: Mapping[str, float] | None = None,
    hazard_zones: pd.DataFrame | None = None,
    latency: LatencyModel | None = None,
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 2,
    work_limit: float | None = None,
) -> DatacenterPlan:
    """Choose ``k`` regional DC sites on the backbone and compare before/after.

    Parameters
    ----------
    datacenters
        ``datacenters`` layer: ``site_id``, ``pref_code``, ``status``
        (existing|funded|candidate), ``capacity_mw``, ``cost_myen``, point
        geometry; ``block`` when ``max_per_block`` is used (taken from the
        prefectures in ``regions`` when the layer has none).
    graph
        Backbone with every site as a DC node.
    demand
        Demand groups from :func:`~denen_gis.layers.network.demand_groups`.
    k
        New sites to open (funded ones count when ``fix_funded``); existing
        sites are always open.
    objective
        ``median`` or ``center``.
    regions
        Prefecture polygons (``code``, optional ``block``): every site must
        lie on land.
    allow_tokyo_area
        Let new sites lie in the Tokyo area (off by the subsidy rule).
    fix_funded, include_sites, exclude_sites
        Fixed and excluded site ids.
    max_per_block, min_separation_km, budget_myen, backup_max_rtt_ms
        See :func:`solve_dc_siting`.
    capacitated, load_mw_per_million
        Capacitated variant with a load of ``load_mw_per_million`` MW per
        million persons.
    criteria
        Weights of the policy's criteria [ms of mean RTT per unit badness]
        (:data:`~denen_gis.optimize.dc_criteria.DEFAULT_CRITERIA_MS`); ``None``:
        latency alone. Every site gets ``penalty_ms`` and ``reasons``.
    hazard_zones
        Zones (``id``, polygon ``geometry``): under each, every region with a
        hub left standing must keep a reachable open DC
        (:mod:`~denen_gis.optimize.dc_hazard_rule`); ``summary["hazard_rule"]``
        says how many (zone, region) pairs were required and which no site
        can serve.
    latency, time_limit_s, seed, workers, work_limit
        Latency model and solver settings; ``work_limit`` is CP-SAT's
        deterministic time (machine-independent), ``time_limit_s`` then a safety ceiling.

    Returns
    -------
    DatacenterPlan
        ``summary["before"]``/``["after"]`` hold the population-weighted RTT
        (``mean_rtt_ms``, ``urban_rtt_ms``, ``rural_rtt_ms``) and the RTT of
        the worst populated 1 km cell (``max_rtt_ms``) [ms].

    Raises
    ------
    InputError
        Unknown site ids, a fixed site in the Tokyo area under the subsidy
        rule, a site in the sea, no ``block`` for ``max_per_block``, bad
        ``k``, ``time_limit_s`` or ``workers``, ...
    """
    check_solver_settings(time_limit_s, workers)
    latency = latency or LatencyModel()
    sites, ids, include, exclude = _check_site_ids(datacenters, include_sites, exclude_sites)
    if regions is not None:
        _check_on_land(sites, regions)
    block = _site_blocks(sites, regions) if max_per_block is not None else None
    status = sites["status"].astype(str).to_numpy()
    existing = np.flatnonzero(status == "existing")
    fixed_ids, excluded_ids = _fixed_and_excluded(
        sites,
        ids,
        include,
        exclude,
        fix_funded=fix_funded,
        allow_tokyo_area=allow_tokyo_area,
    )
    hub_rtt, row = _hub_rtt(graph, demand, ids, latency)
    local_col = "local_max_ms" if objective == "center" else "local_ms"
    local = demand[local_col].to_numpy(dtype=float) if local_col in demand else 0.0
    rtt = hub_rtt[row] + np.asarray(local, dtype=float).reshape(-1, 1)
    weights = demand["population"].to_numpy(dtype=float)
    pos = {s: i for i, s in enumerate(ids)}
    penalty = site_penalty_ms(sites, criteria) if criteria else None
    rule = hazard_cover_sets(graph, ids, hazard_zones) if hazard_zones is not None else None
    geom = sites.geometry.to_numpy()
    lonlat = np.column_stack([shapely.get_x(geom), shapely.get_y(geom)])
    result = solve_dc_siting(
        weights,
        rtt,
        k=k,
        objective=objective,
        always_open=existing,
        fixed=[pos[s] for s in fixed_ids],
        excluded=[pos[s] for s in sorted(excluded_ids)],
        capacity_mw=sites["capacity_mw"].to_numpy(dtype=float) if capacitated else None,
        load_mw=weights / 1e6 * load_mw_per_million if capacitated else None,
        block=block,
        max_per_block=max_per_block,
        lonlat=lonlat,
        min_separation_km=min_separation_km,
        cost_myen=sites["cost_myen"].to_numpy(dtype=float) if "cost_myen" in sites else None,
        budget_myen=budget_myen,
        backup_max_rtt_ms=backup_max_rtt_ms,
        site_penalty_ms=penalty,
        cover_sets=rule.covers if rule is not None else (),
        time_limit_s=time_limit_s,
        seed=seed,
        workers=workers,
        work_limit=work_limit,
    )
    chosen = tuple(ids[j] for j in result.chosen)
    local_mean = demand["local_ms"].to_numpy(dtype=float)
    mean_rtt = hub_rtt[row] + local_mean.reshape(-1, 1)
    before = mean_rtt[:, existing].min(axis=1)
    after = mean_rtt[:, result.open_sites].min(axis=1)
    table = _demand_table(demand, ids, result, mean_rtt=mean_rtt, before=before, after=after)
    out_sites = _site_table(sites, lonlat, chosen, table)
    out_sites = _with_reasons(out_sites, sites, penalty, criteria or {})
    # The worst cell of a group is its farthest populated cell: same DC, farther
    # from the hub by local_max_ms - local_ms.
    extra = (
        np.maximum(demand["local_max_ms"].to_numpy(dtype=float) - local_mean, 0.0)
        if "local_max_ms" in demand
        else np.zeros(len(demand))
    )
    urban = demand["urban"].to_numpy(dtype=bool) if "urban" in demand else None
    summary: dict[str, object] = {
        "k": k,
        "objective": objective,
        "chosen": list(chosen),
        "before": summarize_rtt(before, weights, urban, worst_ms=before + extra),
        "after": summarize_rtt(after, weights, urban, worst_ms=after + extra),
        "capacity_before": capacity_concentration(sites),
        "capacity_after": capacity_concentration(sites, sites=chosen),
        "new_capacity_mw": float(sites.loc[out_sites["chosen"], "capacity_mw"].sum()),
        "new_cost_myen": float(sites.loc[out_sites["chosen"], "cost_myen"].sum())
        if "cost_myen" in sites
        else 0.0,
        "hazard_rule": {
            "pairs": len(rule.covers) if rule else 0,
            "unmet": list(rule.unmet) if rule else [],
        },
        "solver": {
            "status": result.status,
            "objective_name": result.objective_name,
            "objective": result.objective,
            "best_bound": result.best_bound,
            "gap": result.gap,
            "wall_time_s": result.wall_time_s,
        },
    }
    return DatacenterPlan(
        result=result, chosen=chosen, sites=out_sites, demand=table, summary=summary
    )


def _check_site_ids(
    datacenters: pd.DataFrame, include_sites: Iterable[str], exclude_sites: Iterable[str]
) -> tuple[pd.DataFrame, list[str], list[str], list[str]]:
    """The sites (re-indexed), their ids and the included / excluded ids, checked."""
    for col in ("site_id", "pref_code", "status", "capacity_mw"):
        if col not in datacenters.columns:
            msg = f"datacenters: missing column {col!r}"
            raise InputError(msg)
    sites = datacenters.reset_index(drop=True)
    ids = sites["site_id"].astype(str).tolist()
    known = set(ids)
    include = list(dict.fromkeys(include_sites))
    exclude = list(dict.fromkeys(exclude_sites))
    for name, given in (("include_sites", include), ("exclude_sites", exclude)):
        bad = [s for s in given if s not in known]
        if bad:
            msg = (
                f"{name}: unknown site id(s) {bad[:5]}; "
                "see the site_id column of the datacenters layer"
            )
            raise InputError(msg)
    both = [s for s in include if s in set(exclude)]
    if both:
        msg = f"exclude_sites: {both[:5]} are both included and excluded; drop them from one list"
        raise InputError(msg)
    return sites, ids, include, exclude


def _fixed_and_excluded(
    sites: pd.DataFrame,
    ids: list[str],
    include: list[str],
    exclude: list[str],
    *,
    fix_funded: bool,
    allow_tokyo_area: bool,
) -> tuple[list[str], set[str]]:
    """Fixed site ids (included, and funded ones) and excluded ids (the subsidy rule's too)."""
    status = sites["status"].astype(str).to_numpy()
    pref = sites["pref_code"].astype(str).to_numpy()
    bad_inc = [s for s in include if status[ids.index(s)] == "existing"]
    if bad_inc:
        msg = f"include_sites: {bad_inc[:5]} already exist and are always open; drop them"
        raise InputError(msg)
    tokyo = np.isin(pref, TOKYO_AREA) & (status != "existing")
    if not allow_tokyo_area:
        bad = [s for s in include if tokyo[ids.index(s)]]
        if bad:
            msg = (
                f"include_sites: {bad[:5]} lie in the Tokyo area, where subsidised sites are "
                "not allowed; drop them or pass allow_tokyo_area=True"
            )
            raise InputError(msg)
    fixed_ids = list(include)
    if fix_funded:
        fixed_ids += [
            s
            for s, st in zip(ids, status, strict=True)
            if st == "funded" and s not in exclude and s not in fixed_ids
        ]
    excluded_ids = set(exclude)
    if not allow_tokyo_area:
        excluded_ids |= {s for s, t in zip(ids, tokyo, strict=True) if t}
    return fixed_ids, excluded_ids


def _hub_rtt(
    graph: nx.Graph, demand: pd.DataFrame, ids: list[str], latency: LatencyModel
) -> tuple[np.ndarray, np.ndarray]:
    """RTT from each demand hub to each site [ms], and each demand's hub row."""
    nodes = [f"dc:{s}" for s in ids]
    hub_nodes = list(dict.fromkeys(demand["node"].astype(str)))
    hub_rtt = rtt_matrix_ms(graph, hub_nodes, nodes, latency=latency)
    row = pd.Index(hub_nodes).get_indexer(demand["node"].astype(str))
    return hub_rtt, row


def _demand_table(
    demand: pd.DataFrame,
    ids: list[str],
    result: SitingResult,
    *,
    mean_rtt: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
) -> pd.DataFrame:
    """The demand groups with RTT before/after, their site and backup site."""
    table = demand.copy()
    table["rtt_before_ms"] = before
    table["rtt_after_ms"] = after
    table["site_id"] = [ids[j] for j in result.assignment]
    table["assigned_rtt_ms"] = mean_rtt[np.arange(len(table)), result.assignment]
    table["backup_site_id"] = (
        [ids[j] if j >= 0 else "" for j in result.backup] if result.backup is not None else ""
    )
    return table


def _with_reasons(
    out_sites: pd.DataFrame,
    sites: pd.DataFrame,
    penalty: np.ndarray | None,
    criteria: Mapping[str, float],
) -> pd.DataFrame:
    """``penalty_ms`` and ``reasons`` (people served, then the criteria) for every site."""
    out = out_sites.assign(penalty_ms=penalty if penalty is not None else 0.0)
    served = out["population_served"].map("serves {:,} people".format)
    if not {"hazard_index", "cooling_index", "renewable_index", "landing_km"} <= set(sites):
        return out.assign(reasons=served)
    pool = sites["status"].astype(str).isin(["funded", "candidate"])
    why = site_reasons(sites, candidates=pool, weights=criteria)
    return out.assign(reasons=(served + "; " + why).to_numpy())


def _site_table(
    sites: pd.DataFrame, lonlat: np.ndarray, chosen: tuple[str, ...], table: pd.DataFrame
) -> pd.DataFrame:
    """The sites without geometry: coordinates, chosen / open and population served."""
    out_sites = pd.DataFrame(sites.drop(columns=sites.geometry.name))
    out_sites["lon"], out_sites["lat"] = lonlat[:, 0], lonlat[:, 1]
    out_sites["chosen"] = out_sites["site_id"].isin(chosen)
    out_sites["open"] = out_sites["chosen"] | (out_sites["status"] == "existing")
    served = table.groupby("site_id")["population"].sum()
    out_sites["population_served"] = out_sites["site_id"].map(served).fillna(0).astype(np.int64)
    return out_sites
