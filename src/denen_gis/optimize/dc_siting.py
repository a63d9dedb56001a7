"""Regional data-centre siting on arrays with OR-Tools CP-SAT: check, build, solve, read.

:func:`solve_dc_siting` is pure on arrays: demand weights (population), an RTT
matrix demand x sites [ms] and site attributes. It solves

- ``objective="median"`` (p-median): minimise population-weighted RTT;
- ``objective="center"`` (p-center): minimise the worst RTT of any demand with
  population, then (second solve, worst RTT held) the weighted RTT;

choosing ``k`` new sites on top of the always-open sites (existing capacity),
with optional capacities (single-sourcing: each demand is served by one DC),
fixed and excluded sites, at most ``max_per_block`` new sites per block, a
minimum distance between new sites, a budget, and a backup assignment (every
demand also keeps a second, distinct DC within ``backup_max_rtt_ms``).
:func:`~denen_gis.optimize.datacenters.plan_datacenters` builds the arrays from
the layers.

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
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model
from scipy.spatial import cKDTree

from denen_gis.errors import InfeasibleError, InputError
from denen_gis.geodesy import chord_from_km, unit_vectors
from denen_gis.optimize._validate import check_seed, check_solver_settings, check_work_limit
from denen_gis.optimize.dc_siting_inputs import SitingInputs, check_siting_inputs

__all__ = ["SitingResult", "solve_dc_siting"]

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


def solve_dc_siting(  # noqa: PLR0913 -- solver API: the model's options are keyword-only parameters
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
    site_penalty_ms: npt.ArrayLike | None = None,
    cover_sets: Sequence[Iterable[int]] = (),
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 2,
    work_limit: float | None = None,
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
    site_penalty_ms
        Cost of opening each site, in milliseconds of population-weighted
        mean RTT (median only): the multi-criteria terms of
        :mod:`denen_gis.optimize.dc_criteria`. Always-open sites pay none.
    cover_sets
        Sets of site indices of which at least one must be open (always-open
        sites count): the hazard rule, one set per (hazard zone, region).
    backup_weight
        Weight of the backup RTT in the objective (median only).
    time_limit_s, seed, workers
        CP-SAT limits and determinism.
    work_limit
        CP-SAT's deterministic time limit (``max_deterministic_time``, work
        units of roughly a second): with it and ``workers=1`` the answer does
        not depend on the machine's speed or load, as long as ``time_limit_s``
        (then a safety cap) is not reached first.

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
    check_seed(seed)
    inp = check_siting_inputs(
        weights,
        rtt_ms,
        k=k,
        objective=objective,
        always_open=always_open,
        fixed=fixed,
        excluded=excluded,
        capacity_mw=capacity_mw,
        load_mw=load_mw,
        block=block,
        max_per_block=max_per_block,
        lonlat=lonlat,
        min_separation_km=min_separation_km,
        cost_myen=cost_myen,
        budget_myen=budget_myen,
        backup_max_rtt_ms=backup_max_rtt_ms,
        backup_weight=backup_weight,
        site_penalty_ms=site_penalty_ms,
        cover_sets=cover_sets,
    )
    sm = _build_model(inp)
    solver = cp_model.CpSolver()
    # Leave SIGINT to the caller: CP-SAT's own handler resets it when the solve ends,
    # after which Ctrl-C would kill the process without cleaning up.
    solver.parameters.catch_sigint_signal = False
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = int(seed)
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    if work_limit is not None:
        solver.parameters.max_deterministic_time = check_work_limit(work_limit)
    status, obj_int, bound_int = _solve(inp, sm, solver, time_limit_s=float(time_limit_s))
    return _read_result(
        inp, sm, solver, status=status, obj_int=obj_int, bound_int=bound_int, started=t0
    )


@dataclass(frozen=True)
class _SitingModel:
    """The CP-SAT model, its variables and the scaled weights and RTTs."""

    model: cp_model.CpModel
    y: dict[int, cp_model.IntVar]  # new site j open
    x: dict[tuple[int, int], cp_model.IntVar]  # demand i served by site j
    bx: dict[tuple[int, int], cp_model.IntVar]  # demand i backed up by site j
    wi: np.ndarray
    di: np.ndarray

    def is_open(self, j: int) -> cp_model.LinearExprT:
        return self.y.get(j, 1)


def _build_model(inp: SitingInputs) -> _SitingModel:
    """The CP-SAT model: open sites, assignment and every optional rule."""
    w, d = inp.w, inp.d
    wi = np.where(w > 0, np.maximum(np.rint(w / _POP_SCALE), 1), 0).astype(np.int64)
    di = np.where(np.isfinite(d), np.rint(d * _RTT_SCALE), 0).astype(np.int64)
    model = cp_model.CpModel()
    open_set = set(inp.opened.tolist())
    y = {
        j: model.new_bool_var(f"y{j}")
        for j in range(d.shape[1])
        if j not in open_set and inp.new_ok[j]
    }
    model.add(sum(y.values()) == inp.k)
    for j in inp.fix:
        model.add(y[int(j)] == 1)
    sm = _SitingModel(model, y, _add_assignment(model, y, inp.allow), {}, wi, di)
    if inp.capacity_mw is not None:
        _add_capacity(sm, inp)
    if inp.max_per_block is not None:
        _add_block_limits(sm, inp)
    if inp.min_separation_km is not None:
        _add_separation(sm, inp)
    if inp.cost is not None and inp.budget_myen is not None:
        _add_budget(sm, inp)
    if inp.backup_allow is not None:
        _add_backup(sm, inp)
    for cover in inp.cover_sets:
        if open_set.intersection(cover.tolist()):
            continue
        usable = [y[int(j)] for j in cover if int(j) in y]
        if not usable:
            msg = "a hazard rule cannot be met: no site a region can reach may be opened"
            raise InfeasibleError(msg)
        model.add_bool_or(usable)
    return sm


def _add_assignment(
    model: cp_model.CpModel, y: dict[int, cp_model.IntVar], allow: np.ndarray
) -> dict[tuple[int, int], cp_model.IntVar]:
    """Each demand served by exactly one open site it may use."""
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for i in range(allow.shape[0]):
        cols = np.flatnonzero(allow[i])
        if cols.size == 0:
            msg = f"demand row {i} has no eligible site; un-exclude a site it can reach"
            raise InputError(msg)
        for j in cols:
            x[i, int(j)] = model.new_bool_var(f"x{i}_{j}")
        model.add_exactly_one(x[i, int(j)] for j in cols)
        for j in cols:
            if int(j) in y:
                model.add_implication(x[i, int(j)], y[int(j)])
    return x


def _add_capacity(sm: _SitingModel, inp: SitingInputs) -> None:
    """Single-sourcing: the load served by a site stays within its capacity."""
    m, n = inp.d.shape
    cap = np.asarray(inp.capacity_mw, dtype=float)
    load = np.asarray(inp.load_mw, dtype=float)
    if cap.shape != (n,) or load.shape != (m,):
        msg = f"capacity_mw needs shape ({n},) and load_mw ({m},)"
        raise InputError(msg)
    usable = inp.usable
    if load.sum() > cap[usable].sum():
        msg = (
            f"total load {load.sum():.1f} MW exceeds the capacity of every usable site "
            f"({cap[usable].sum():.1f} MW)"
        )
        raise InfeasibleError(msg)
    li = np.rint(load * 100).astype(np.int64)
    ci = np.rint(cap * 100).astype(np.int64)
    for j in range(n):
        terms = [li[i] * sm.x[i, j] for i in range(m) if (i, j) in sm.x]
        if terms:
            sm.model.add(sum(terms) <= int(ci[j]) * sm.is_open(j))


def _add_block_limits(sm: _SitingModel, inp: SitingInputs) -> None:
    """At most ``max_per_block`` new sites in each block."""
    n, max_per_block = inp.d.shape[1], inp.max_per_block
    labels = np.asarray(list(inp.block), dtype=object)
    if len(labels) != n:
        msg = f"block needs one label per site ({n}), got {len(labels)}"
        raise InputError(msg)
    if max_per_block < 0:
        msg = f"max_per_block must be >= 0, got {max_per_block}"
        raise InputError(msg)
    for b in np.unique(labels.astype(str)):
        members = [j for j in sm.y if str(labels[j]) == b]
        nfix = int(np.isin(members, inp.fix).sum())
        if nfix > max_per_block:
            msg = f"{nfix} fixed sites lie in block {b!r}, above max_per_block = {max_per_block}"
            raise InputError(msg)
        if members:
            sm.model.add(sum(sm.y[j] for j in members) <= max_per_block)


def _add_separation(sm: _SitingModel, inp: SitingInputs) -> None:
    """No two new sites closer than ``min_separation_km``."""
    xy = np.asarray(inp.lonlat, dtype=float)
    tree = cKDTree(unit_vectors(xy[:, 0], xy[:, 1]))
    fixed = set(inp.fix.tolist())
    for a, b in sorted(tree.query_pairs(float(chord_from_km(inp.min_separation_km)))):
        if a in sm.y and b in sm.y:
            if a in fixed and b in fixed:
                msg = (
                    f"fixed sites {a} and {b} are closer than min_separation_km = "
                    f"{inp.min_separation_km:g}"
                )
                raise InputError(msg)
            sm.model.add(sm.y[a] + sm.y[b] <= 1)


def _add_budget(sm: _SitingModel, inp: SitingInputs) -> None:
    """The new sites' cost within the budget, in thousand yen."""
    # Costs up, budget down (to thousand yen): every plan the integer model
    # admits fits the budget. Rounding to 1e-6 first keeps float noise such
    # as 516.864 x 1000 = 516864.00000000006 from costing an extra thousand yen.
    k, fix = inp.k, inp.fix
    ci = np.ceil(np.round(inp.cost * _COST_SCALE, 6)).astype(np.int64)
    bi = math.floor(round(float(inp.budget_myen) * _COST_SCALE, 6))
    free = np.array([j for j in sm.y if j not in set(fix.tolist())], dtype=np.int64)
    cheapest = int(ci[fix].sum() + np.sort(ci[free])[: k - len(fix)].sum())
    if cheapest > bi:
        msg = (
            f"the {k} cheapest eligible sites (fixed ones included) cost "
            f"{cheapest / _COST_SCALE:,.3f} million yen, above budget_myen = "
            f"{inp.budget_myen:,.3f}; raise the budget or lower k"
        )
        raise InfeasibleError(msg)
    sm.model.add(sum(int(ci[j]) * sm.y[j] for j in sm.y) <= bi)


def _add_backup(sm: _SitingModel, inp: SitingInputs) -> None:
    """Every populated demand keeps a second, distinct open site within the bound."""
    model, bx = sm.model, sm.bx
    for i in range(inp.d.shape[0]):
        if inp.w[i] <= 0:
            continue  # nobody to back up; such a row may have no site in range
        cols = np.flatnonzero(inp.backup_allow[i])
        for j in cols:
            bx[i, int(j)] = model.new_bool_var(f"b{i}_{j}")
            if int(j) in sm.y:
                model.add_implication(bx[i, int(j)], sm.y[int(j)])
            if (i, int(j)) in sm.x:
                model.add(sm.x[i, int(j)] + bx[i, int(j)] <= 1)
        model.add_exactly_one(bx[i, int(j)] for j in cols)


def _run(solver: cp_model.CpSolver, model: cp_model.CpModel) -> int:
    """Solve; raise :class:`InfeasibleError` when CP-SAT finds no plan.

    ``MODEL_INVALID`` is not an answer about the plan: the inputs are checked
    so that the model is always valid, and an invalid one is a bug
    (:class:`RuntimeError`, exit 1), never "cannot be met".
    """
    status = solver.solve(model)
    if status == cp_model.MODEL_INVALID:
        msg = "CP-SAT rejected the data-centre model (MODEL_INVALID): a bug, please report it"
        raise RuntimeError(msg)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        name = _STATUS.get(status, str(status))
        msg = (
            f"no data-centre plan meets the rules (CP-SAT {name}); relax max_per_block, "
            "min_separation_km, the budget or the backup bound, or raise time_limit_s"
        )
        raise InfeasibleError(msg)
    return status


def _solve(
    inp: SitingInputs, sm: _SitingModel, solver: cp_model.CpSolver, *, time_limit_s: float
) -> tuple[int, float, float]:
    """Solve the model: status, objective and bound of the scaled model."""
    model, x, bx, wi, di = sm.model, sm.x, sm.bx, sm.wi, sm.di
    median_expr = sum(int(wi[i] * di[i, j]) * v for (i, j), v in x.items())
    backup_expr = (
        sum(round(inp.backup_weight * wi[i] * di[i, j]) * v for (i, j), v in bx.items())
        if bx
        else 0
    )
    penalty_expr = 0
    if inp.site_penalty_ms is not None:
        # Penalty in mean-RTT ms, scaled like the weighted RTT: x total weight.
        total = int(wi.sum())
        penalty_expr = sum(
            round(total * float(inp.site_penalty_ms[j]) * _RTT_SCALE) * v for j, v in sm.y.items()
        )
    if inp.objective != "center":
        model.minimize(median_expr + backup_expr + penalty_expr)
        status = _run(solver, model)
        return status, float(solver.objective_value), float(solver.best_objective_bound)
    # center: the worst RTT first, then (worst RTT held) the weighted RTT
    z = model.new_int_var(0, int(di[np.isfinite(inp.d)].max()), "z")
    for i in range(inp.d.shape[0]):
        if wi[i] == 0:
            continue
        model.add(z >= sum(int(di[i, j]) * x[i, j] for j in np.flatnonzero(inp.allow[i])))
    model.minimize(z)
    status = _run(solver, model)
    z_best = int(solver.value(z))
    bound = float(solver.best_objective_bound) / _RTT_SCALE
    model.add(z <= z_best)
    model.minimize(median_expr + backup_expr)
    solver.parameters.max_time_in_seconds = max(time_limit_s / 2, 1.0)
    _run(solver, model)
    return status, float(z_best), bound * _RTT_SCALE


def _read_result(
    inp: SitingInputs,
    sm: _SitingModel,
    solver: cp_model.CpSolver,
    *,
    status: int,
    obj_int: float,
    bound_int: float,
    started: float,
) -> SitingResult:
    """The chosen sites and assignment, with the objective recomputed in floating point."""
    wall = time.perf_counter() - started
    w, d = inp.w, inp.d
    m = d.shape[0]
    assignment = _chosen_per_demand(solver, sm.x, m)
    backup = _chosen_per_demand(solver, sm.bx, m) if sm.bx else None
    chosen = np.array(sorted(j for j, v in sm.y.items() if solver.value(v)), dtype=np.int64)
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
    if inp.objective == "median":
        # The model minimises the weighted RTT plus the weighted backup RTT:
        # report that same quantity, so objective and bound measure one thing.
        objective_value = mean + (inp.backup_weight * backup_mean if backup is not None else 0.0)
        if inp.site_penalty_ms is not None:
            objective_value += float(inp.site_penalty_ms[chosen].sum())
    else:
        objective_value = worst
    gap = 0.0 if obj_int <= 0 else min(1.0, max(0.0, (obj_int - bound_int) / obj_int))
    log.info(
        "DC siting (%s, k=%d): %s objective %.3f ms, gap %.4f, %.2f s",
        inp.objective,
        inp.k,
        _STATUS.get(status),
        objective_value,
        gap,
        wall,
    )
    return SitingResult(
        chosen=chosen,
        open_sites=np.union1d(inp.opened, chosen),
        assignment=assignment,
        backup=backup,
        objective=objective_value,
        best_bound=objective_value * (1.0 - gap),
        gap=gap,
        status=_STATUS.get(status, str(status)),
        wall_time_s=wall,
        objective_name=inp.objective,
        mean_rtt_ms=mean,
        max_rtt_ms=worst,
        backup_rtt_ms=backup_mean,
    )


def _chosen_per_demand(
    solver: cp_model.CpSolver, pairs: dict[tuple[int, int], cp_model.IntVar], m: int
) -> np.ndarray:
    """The site of each demand's chosen pair (-1 where none)."""
    out = np.full(m, -1, dtype=np.int64)
    for (i, j), v in pairs.items():
        if solver.value(v):
            out[i] = j
    return out
