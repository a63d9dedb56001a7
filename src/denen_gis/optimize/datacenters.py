"""Regional data-centre siting with OR-Tools CP-SAT.

The core, :func:`solve_dc_siting`, is pure on arrays: demand weights
(population), an RTT matrix demand x sites [ms] and site attributes. It solves

- ``objective="median"`` (p-median): minimise population-weighted RTT;
- ``objective="center"`` (p-center): minimise the worst RTT of any demand with
  population, then (second solve, worst RTT held) the weighted RTT;

choosing ``k`` new sites on top of the always-open sites (existing capacity),
with optional capacities (single-sourcing: each demand is served by one DC),
fixed and excluded sites, at most ``max_per_block`` new sites per block, a
minimum distance between new sites, a budget, and a backup assignment (every
demand also keeps a second, distinct DC within ``backup_max_rtt_ms``).

The wrapper :func:`plan_datacenters` builds those arrays from the embedded
layers, applies the subsidy rule (subsidised sites lie outside the Tokyo area),
fixes the funded sites, and reports before/after RTT (urban vs rural) and
capacity concentration.

CP-SAT needs integer coefficients: RTT is scaled to 0.01 ms and population to
thousands of persons (at least 1 for any populated demand). Site costs are
rounded *up* and the budget *down* to thousand yen (0.001 million yen), so the
integer model never admits a plan above the budget (beyond 1e-9 million yen of
float noise, which the rounding absorbs). The reported objective is
the model's objective (with the backup term) recomputed in floating point from
the chosen assignment; the gap is that of the scaled model, and the best bound
is reported on the same footing, ``objective x (1 - gap)``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from ortools.sat.python import cp_model
from scipy.spatial import cKDTree

from denen_gis.errors import InfeasibleError, InputError
from denen_gis.geodesy import chord_from_km, unit_vectors
from denen_gis.layers.network import LatencyModel, rtt_matrix_ms, summarize_rtt
from denen_gis.layers.resilience import TOKYO_AREA, capacity_concentration
from denen_gis.optimize._validate import check_budget, check_solver_settings

__all__ = [
    "DatacenterPlan",
    "SitingResult",
    "plan_datacenters",
    "solve_dc_siting",
]

log = logging.getLogger(__name__)

_RTT_SCALE = 100.0  # 0.01 ms units
_POP_SCALE = 1000.0  # thousands of persons
_COST_SCALE = 1000.0  # thousand yen per million yen
_STATUS = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
    cp_model.UNKNOWN: "UNKNOWN",
}


@dataclass(frozen=True)
class SitingResult:
    """Result of :func:`solve_dc_siting`.

    Attributes
    ----------
    chosen
        Indices of the chosen new sites (fixed ones included), sorted.
    open_sites
        Indices of every open site: always-open plus chosen, sorted.
    assignment
        Site index serving each demand.
    backup
        Backup site index per demand (``None`` without a backup rule).
    objective
        The model's objective [ms], recomputed in floating point: median, the
        population-weighted mean RTT plus ``backup_weight`` x the mean backup
        RTT (just the mean RTT without a backup rule); center, the worst RTT.
    best_bound
        Best proven bound on ``objective`` [ms]: ``objective x (1 - gap)``,
        never above ``objective``.
    gap
        Relative gap of the scaled model (0 when proven optimal).
    status
        CP-SAT status name (OPTIMAL or FEASIBLE).
    wall_time_s
        Solver wall time [s].
    objective_name
        ``median`` or ``center``.
    mean_rtt_ms, max_rtt_ms
        Population-weighted mean and worst RTT of the assignment [ms].
    backup_rtt_ms
        Population-weighted mean RTT to the backup sites [ms] (NaN without a
        backup rule).
    """

    chosen: np.ndarray
    open_sites: np.ndarray
    assignment: np.ndarray
    backup: np.ndarray | None
    objective: float
    best_bound: float
    gap: float
    status: str
    wall_time_s: float
    objective_name: str
    mean_rtt_ms: float
    max_rtt_ms: float
    backup_rtt_ms: float


def _as_index(values: Iterable[int] | None, n: int, name: str) -> np.ndarray:
    idx = np.unique(np.asarray(list(values) if values is not None else [], dtype=np.int64))
    if len(idx) and (idx.min() < 0 or idx.max() >= n):
        msg = f"{name}: site index out of range 0..{n - 1}"
        raise InputError(msg)
    return idx


def _check_inputs(weights: np.ndarray, rtt: np.ndarray) -> None:
    if rtt.ndim != 2 or rtt.shape[0] != len(weights):
        msg = f"rtt_ms must have shape (demands, sites) = ({len(weights)}, n), got {rtt.shape}"
        raise InputError(msg)
    if rtt.shape[1] == 0:
        msg = "rtt_ms has no site columns; give at least one candidate site"
        raise InputError(msg)
    if (weights < 0).any() or not np.isfinite(weights).all():
        row = int(np.flatnonzero(~(weights >= 0))[0])
        msg = f"weights row {row} is {weights[row]}; population must be finite and >= 0"
        raise InputError(msg)
    if np.isnan(rtt).any() or (rtt < 0).any():
        msg = "rtt_ms has NaN or negative entries; use inf for unreachable pairs"
        raise InputError(msg)


def solve_dc_siting(
    weights: npt.ArrayLike,
    rtt_ms: npt.ArrayLike,
    *,
    k: int,
    objective: str = "median",
    always_open: Iterable[int] | None = None,
    fixed: Iterable[int] | None = None,
    excluded: Iterable[int] | None = None,
    capacity_mw: npt.ArrayLike | None = None,
    load_mw: npt.ArrayLike | None = None,
    block: Sequence[str] | None = None,
    max_per_block: int | None = None,
    lonlat: npt.ArrayLike | None = None,
    min_separation_km: float | None = None,
    cost_myen: npt.ArrayLike | None = None,
    budget_myen: float | None = None,
    backup_max_rtt_ms: float | None = None,
    backup_weight: float = 0.25,
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 2,
) -> SitingResult:
    """Choose ``k`` new DC sites (p-median or p-center) with CP-SAT.

    Parameters
    ----------
    weights
        Population of each demand [persons], shape ``(m,)``.
    rtt_ms
        RTT from each demand to each site [ms], shape ``(m, n)``; ``inf`` where
        unreachable.
    k
        Number of new sites to open (fixed ones count); always-open sites do not.
    objective
        ``median`` (population-weighted RTT) or ``center`` (worst RTT).
    always_open
        Sites open at no cost and not counted in ``k`` (existing capacity).
    fixed, excluded
        Sites that must / must not be chosen.
    capacity_mw, load_mw
        Site capacities [MW] and demand loads [MW]: with both, each demand is
        served whole by one site whose total load stays within its capacity.
    block, max_per_block
        Block label of each site and the most new sites per block.
    lonlat, min_separation_km
        Site coordinates [degrees], shape ``(n, 2)``, and the least distance
        between two new sites [km].
    cost_myen, budget_myen
        Site costs and the most the new sites may cost [million yen].
    backup_max_rtt_ms
        Each demand keeps a second, distinct open site within this RTT [ms].
    backup_weight
        Weight of the backup RTT in the objective (median only).
    time_limit_s, seed, workers
        CP-SAT limits and determinism.

    Raises
    ------
    InputError
        Bad shapes or values, ``k`` larger than the candidates, conflicting
        fixed/excluded sites, missing companions of paired parameters, fixed
        sites costing more than the budget, ``time_limit_s <= 0`` or
        ``workers < 1``.
    InfeasibleError
        No plan meets the rules (e.g. a demand has no backup site within the
        bound, or the ``k`` cheapest sites cost more than the budget).

    Examples
    --------
    >>> w = [100, 100, 100]
    >>> d = [[0, 5, 9], [5, 0, 5], [9, 5, 0]]
    >>> r = solve_dc_siting(w, d, k=1)
    >>> r.chosen.tolist(), round(r.objective, 3)
    ([1], 3.333)
    """
    t0 = time.perf_counter()
    check_solver_settings(time_limit_s, workers)
    w = np.asarray(weights, dtype=float)
    d = np.asarray(rtt_ms, dtype=float)
    _check_inputs(w, d)
    m, n = d.shape
    if objective not in ("median", "center"):
        msg = f"objective must be 'median' or 'center', got {objective!r}"
        raise InputError(msg)
    opened = _as_index(always_open, n, "always_open")
    fix = _as_index(fixed, n, "fixed")
    exc = _as_index(excluded, n, "excluded")
    if np.intersect1d(fix, exc).size:
        msg = f"site(s) {np.intersect1d(fix, exc).tolist()} are both fixed and excluded"
        raise InputError(msg)
    if np.intersect1d(fix, opened).size:
        msg = f"site(s) {np.intersect1d(fix, opened).tolist()} are already open; do not fix them"
        raise InputError(msg)
    new_ok = np.ones(n, dtype=bool)
    new_ok[opened] = False
    new_ok[exc] = False
    n_cand = int(new_ok.sum())
    if not isinstance(k, int | np.integer) or k < 0:
        msg = f"k must be a whole number >= 0, got {k!r}"
        raise InputError(msg)
    if k > n_cand:
        msg = f"k = {k} is larger than the {n_cand} eligible candidate sites; lower k"
        raise InputError(msg)
    if k < len(fix):
        msg = f"k = {k} is smaller than the {len(fix)} fixed sites; raise k or fix fewer"
        raise InputError(msg)
    if k == 0 and len(opened) == 0:
        msg = "k = 0 with no always-open site: nothing can serve the demand"
        raise InputError(msg)
    if (capacity_mw is None) != (load_mw is None):
        msg = "capacity_mw and load_mw go together: give both for the capacitated model"
        raise InputError(msg)
    if (max_per_block is not None) and block is None:
        msg = "max_per_block needs block (one block label per site)"
        raise InputError(msg)
    if (min_separation_km is not None) and lonlat is None:
        msg = "min_separation_km needs lonlat (site coordinates)"
        raise InputError(msg)
    if (budget_myen is not None) and cost_myen is None:
        msg = "budget_myen needs cost_myen (one cost per site)"
        raise InputError(msg)
    cost = None
    if budget_myen is not None:
        cost = np.asarray(cost_myen, dtype=float)
        if cost.shape != (n,):
            msg = f"cost_myen needs one cost per site, shape ({n},), got {cost.shape}"
            raise InputError(msg)
        bad = np.flatnonzero(~np.isfinite(cost) | (cost < 0))
        if bad.size:
            msg = f"cost_myen: site {int(bad[0])} costs {cost[bad[0]]!r}; costs must be >= 0"
            raise InputError(msg)
        budget_myen = check_budget("budget_myen", budget_myen, float(cost[fix].sum()))
    if backup_max_rtt_ms is not None and k + len(opened) < 2:
        msg = "backup_max_rtt_ms needs at least two open sites (k + always-open >= 2)"
        raise InputError(msg)

    reach = np.isfinite(d)
    unreachable = np.flatnonzero(~reach.any(axis=1) & (w > 0))
    if unreachable.size:
        msg = f"demand row(s) {unreachable[:5].tolist()} reach no site; check the backbone"
        raise InputError(msg)
    usable = new_ok.copy()
    usable[opened] = True
    allow = reach & usable[None, :]
    capacitated = capacity_mw is not None
    if not capacitated and len(opened):
        # Without capacities a demand never uses a site farther than its nearest
        # always-open one: dropping those pairs leaves the optimum unchanged and
        # shrinks the model several-fold.
        near_open = d[:, opened].min(axis=1)
        allow &= d <= near_open[:, None] + 1e-9
    backup_allow = None
    if backup_max_rtt_ms is not None:
        backup_allow = reach & usable[None, :] & (d <= backup_max_rtt_ms)
        short = np.flatnonzero((backup_allow.sum(axis=1) < 2) & (w > 0))
        if short.size:
            table = pd.DataFrame(
                {"demand": short, "sites_within_bound": backup_allow[short].sum(axis=1)}
            )
            msg = (
                f"{short.size} demand(s) have fewer than two sites within "
                f"backup_max_rtt_ms = {backup_max_rtt_ms:g} ms; raise the bound"
            )
            raise InfeasibleError(msg, shortfall=table)

    wi = np.where(w > 0, np.maximum(np.rint(w / _POP_SCALE), 1), 0).astype(np.int64)
    di = np.where(np.isfinite(d), np.rint(d * _RTT_SCALE), 0).astype(np.int64)

    model = cp_model.CpModel()
    y = {}
    for j in range(n):
        if j in set(opened.tolist()):
            continue
        if new_ok[j]:
            y[j] = model.new_bool_var(f"y{j}")
    open_set = set(opened.tolist())
    model.add(sum(y.values()) == k)
    for j in fix:
        model.add(y[int(j)] == 1)

    def is_open(j: int) -> cp_model.LinearExprT:
        return 1 if j in open_set else y[j]

    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for i in range(m):
        cols = np.flatnonzero(allow[i])
        if cols.size == 0:
            msg = f"demand row {i} has no eligible site; un-exclude a site it can reach"
            raise InputError(msg)
        for j in cols:
            x[i, int(j)] = model.new_bool_var(f"x{i}_{j}")
        model.add_exactly_one(x[i, int(j)] for j in cols)
        for j in cols:
            if int(j) not in open_set:
                model.add_implication(x[i, int(j)], y[int(j)])
    if capacitated:
        cap = np.asarray(capacity_mw, dtype=float)
        load = np.asarray(load_mw, dtype=float)
        if cap.shape != (n,) or load.shape != (m,):
            msg = f"capacity_mw needs shape ({n},) and load_mw ({m},)"
            raise InputError(msg)
        if load.sum() > cap[usable].sum():
            msg = (
                f"total load {load.sum():.1f} MW exceeds the capacity of every usable site "
                f"({cap[usable].sum():.1f} MW)"
            )
            raise InfeasibleError(msg)
        li = np.rint(load * 100).astype(np.int64)
        ci = np.rint(cap * 100).astype(np.int64)
        for j in range(n):
            terms = [li[i] * x[i, j] for i in range(m) if (i, j) in x]
            if terms:
                model.add(sum(terms) <= int(ci[j]) * is_open(j))
    if max_per_block is not None:
        labels = np.asarray(list(block), dtype=object)
        if len(labels) != n:
            msg = f"block needs one label per site ({n}), got {len(labels)}"
            raise InputError(msg)
        if max_per_block < 0:
            msg = f"max_per_block must be >= 0, got {max_per_block}"
            raise InputError(msg)
        for b in np.unique(labels.astype(str)):
            members = [j for j in y if str(labels[j]) == b]
            nfix = int(np.isin(members, fix).sum())
            if nfix > max_per_block:
                msg = (
                    f"{nfix} fixed sites lie in block {b!r}, above max_per_block = {max_per_block}"
                )
                raise InputError(msg)
            if members:
                model.add(sum(y[j] for j in members) <= max_per_block)
    if min_separation_km is not None:
        xy = np.asarray(lonlat, dtype=float)
        tree = cKDTree(unit_vectors(xy[:, 0], xy[:, 1]))
        for a, b in sorted(tree.query_pairs(float(chord_from_km(min_separation_km)))):
            if a in y and b in y:
                if a in set(fix.tolist()) and b in set(fix.tolist()):
                    msg = (
                        f"fixed sites {a} and {b} are closer than min_separation_km = "
                        f"{min_separation_km:g}"
                    )
                    raise InputError(msg)
                model.add(y[a] + y[b] <= 1)
    if cost is not None and budget_myen is not None:
        # Costs up, budget down (to thousand yen): every plan the integer model
        # admits fits the budget. Rounding to 1e-6 first keeps float noise such
        # as 516.864 x 1000 = 516864.00000000006 from costing an extra thousand yen.
        ci = np.ceil(np.round(cost * _COST_SCALE, 6)).astype(np.int64)
        bi = math.floor(round(float(budget_myen) * _COST_SCALE, 6))
        free = np.array([j for j in y if j not in set(fix.tolist())], dtype=np.int64)
        cheapest = int(ci[fix].sum() + np.sort(ci[free])[: k - len(fix)].sum())
        if cheapest > bi:
            msg = (
                f"the {k} cheapest eligible sites (fixed ones included) cost "
                f"{cheapest / _COST_SCALE:,.3f} million yen, above budget_myen = "
                f"{budget_myen:,.3f}; raise the budget or lower k"
            )
            raise InfeasibleError(msg)
        model.add(sum(int(ci[j]) * y[j] for j in y) <= bi)
    bx: dict[tuple[int, int], cp_model.IntVar] = {}
    if backup_allow is not None:
        for i in range(m):
            if w[i] <= 0:
                continue  # nobody to back up; such a row may have no site in range
            cols = np.flatnonzero(backup_allow[i])
            for j in cols:
                bx[i, int(j)] = model.new_bool_var(f"b{i}_{j}")
                if int(j) not in open_set:
                    model.add_implication(bx[i, int(j)], y[int(j)])
                if (i, int(j)) in x:
                    model.add(x[i, int(j)] + bx[i, int(j)] <= 1)
            model.add_exactly_one(bx[i, int(j)] for j in cols)

    median_expr = sum(int(wi[i] * di[i, j]) * v for (i, j), v in x.items())
    backup_expr = (
        sum(round(backup_weight * wi[i] * di[i, j]) * v for (i, j), v in bx.items()) if bx else 0
    )
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = int(seed)
    solver.parameters.max_time_in_seconds = float(time_limit_s)

    def run() -> int:
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            name = _STATUS.get(status, str(status))
            msg = (
                f"no data-centre plan meets the rules (CP-SAT {name}); relax max_per_block, "
                "min_separation_km, the budget or the backup bound, or raise time_limit_s"
            )
            raise InfeasibleError(msg)
        return status

    if objective == "center":
        z = model.new_int_var(0, int(di[np.isfinite(d)].max()), "z")
        for i in range(m):
            if wi[i] == 0:
                continue
            model.add(z >= sum(int(di[i, j]) * x[i, j] for j in np.flatnonzero(allow[i])))
        model.minimize(z)
        status = run()
        z_best = int(solver.value(z))
        bound = float(solver.best_objective_bound) / _RTT_SCALE
        first_status = status
        model.add(z <= z_best)
        model.minimize(median_expr + backup_expr)
        solver.parameters.max_time_in_seconds = max(float(time_limit_s) / 2, 1.0)
        run()
        status = first_status
        obj_int = float(z_best)
        bound_int = bound * _RTT_SCALE
    else:
        model.minimize(median_expr + backup_expr)
        status = run()
        obj_int = float(solver.objective_value)
        bound_int = float(solver.best_objective_bound)
    wall = time.perf_counter() - t0

    assignment = np.full(m, -1, dtype=np.int64)
    for (i, j), v in x.items():
        if solver.value(v):
            assignment[i] = j
    backup = None
    if bx:
        backup = np.full(m, -1, dtype=np.int64)
        for (i, j), v in bx.items():
            if solver.value(v):
                backup[i] = j
    chosen = np.array(sorted(j for j, v in y.items() if solver.value(v)), dtype=np.int64)
    open_all = np.union1d(opened, chosen)
    served = d[np.arange(m), assignment]
    mean = float(np.average(served, weights=w)) if w.sum() > 0 else 0.0
    worst = float(served[w > 0].max()) if (w > 0).any() else 0.0
    backup_mean = float("nan")
    if backup is not None:
        has = backup >= 0
        bw = np.where(has, w, 0.0)
        backup_mean = (
            float(np.average(d[np.flatnonzero(has), backup[has]], weights=bw[has]))
            if bw.sum() > 0
            else 0.0
        )
    if objective == "median":
        # The model minimises the weighted RTT plus the weighted backup RTT:
        # report that same quantity, so objective and bound measure one thing.
        objective_value = mean + (backup_weight * backup_mean if backup is not None else 0.0)
    else:
        objective_value = worst
    gap = 0.0 if obj_int <= 0 else min(1.0, max(0.0, (obj_int - bound_int) / obj_int))
    best_bound = objective_value * (1.0 - gap)
    log.info(
        "DC siting (%s, k=%d): %s objective %.3f ms, gap %.4f, %.2f s",
        objective,
        k,
        _STATUS.get(status),
        objective_value,
        gap,
        wall,
    )
    return SitingResult(
        chosen=chosen,
        open_sites=open_all,
        assignment=assignment,
        backup=backup,
        objective=objective_value,
        best_bound=best_bound,
        gap=gap,
        status=_STATUS.get(status, str(status)),
        wall_time_s=wall,
        objective_name=objective,
        mean_rtt_ms=mean,
        max_rtt_ms=worst,
        backup_rtt_ms=backup_mean,
    )


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


def plan_datacenters(
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
    latency: LatencyModel | None = None,
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 2,
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
    latency, time_limit_s, seed, workers
        Latency model and solver settings.

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
    if regions is not None:
        _check_on_land(sites, regions)
    block = _site_blocks(sites, regions) if max_per_block is not None else None
    status = sites["status"].astype(str).to_numpy()
    pref = sites["pref_code"].astype(str).to_numpy()
    existing = np.flatnonzero(status == "existing")
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
    nodes = [f"dc:{s}" for s in ids]
    hub_nodes = list(dict.fromkeys(demand["node"].astype(str)))
    hub_rtt = rtt_matrix_ms(graph, hub_nodes, nodes, latency=latency)
    row = pd.Index(hub_nodes).get_indexer(demand["node"].astype(str))
    local_col = "local_max_ms" if objective == "center" else "local_ms"
    local = demand[local_col].to_numpy(dtype=float) if local_col in demand else 0.0
    rtt = hub_rtt[row] + np.asarray(local, dtype=float).reshape(-1, 1)
    weights = demand["population"].to_numpy(dtype=float)
    pos = {s: i for i, s in enumerate(ids)}
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
        time_limit_s=time_limit_s,
        seed=seed,
        workers=workers,
    )
    chosen = tuple(ids[j] for j in result.chosen)
    local_mean = demand["local_ms"].to_numpy(dtype=float)
    mean_rtt = hub_rtt[row] + local_mean.reshape(-1, 1)
    before = mean_rtt[:, existing].min(axis=1)
    after = mean_rtt[:, result.open_sites].min(axis=1)
    # The worst cell of a group is its farthest populated cell: same DC, farther
    # from the hub by local_max_ms - local_ms.
    extra = (
        np.maximum(demand["local_max_ms"].to_numpy(dtype=float) - local_mean, 0.0)
        if "local_max_ms" in demand
        else np.zeros(len(demand))
    )
    urban = demand["urban"].to_numpy(dtype=bool) if "urban" in demand else None
    table = demand.copy()
    table["rtt_before_ms"] = before
    table["rtt_after_ms"] = after
    table["site_id"] = [ids[j] for j in result.assignment]
    table["assigned_rtt_ms"] = mean_rtt[np.arange(len(table)), result.assignment]
    table["backup_site_id"] = (
        [ids[j] if j >= 0 else "" for j in result.backup] if result.backup is not None else ""
    )
    out_sites = pd.DataFrame(sites.drop(columns=sites.geometry.name))
    out_sites["lon"], out_sites["lat"] = lonlat[:, 0], lonlat[:, 1]
    out_sites["chosen"] = out_sites["site_id"].isin(chosen)
    out_sites["open"] = out_sites["chosen"] | (out_sites["status"] == "existing")
    served = table.groupby("site_id")["population"].sum()
    out_sites["population_served"] = out_sites["site_id"].map(served).fillna(0).astype(np.int64)
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
