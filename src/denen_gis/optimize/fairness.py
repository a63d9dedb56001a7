"""Max-min fairness: raise the worst-covered prefecture (or the rural share) first.

Lexicographic: stage 1 maximises the worst group's coverage share t within the
budget; stage 2 holds ``t >= t* - tolerance`` and maximises the people newly
covered with what is left.

Stage 1 bisects on t with the least-cost greedy (a plan that brings every group
to share t within the budget proves t reachable), bounds t from above with the
LP relaxation of "max t" (PDLP, proven through its Lagrangian dual) and, on
small models, lets SCIP finish it. Stage 2 is a covering model with share
floors, so it runs through :func:`~denen_gis.optimize._lp.solve_covering` (PDLP
bound, LP rounding, a MIP on the sites that matter), started from stage 1's plan
with the rest of the budget spent greedily and improved by floor-keeping swaps.
See ``docs/optimization.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from denen_gis.errors import InputError
from denen_gis.optimize import effort
from denen_gis.optimize._lp import CoveringProblem, CoveringSolution, lp_bound, solve_covering
from denen_gis.optimize._mip import solve_mip
from denen_gis.optimize.covering import (
    PreparedCovering,
    RunSettings,
    check_run,
    covered_weight,
    covering_rows,
    finish_result,
    gap_status,
    mip_hint,
    pick_better,
    prepare_covering,
)
from denen_gis.optimize.greedy import (
    greedy_max_coverage,
    greedy_min_cost,
    local_search_max_coverage,
)
from denen_gis.optimize.result import SiteSelectionResult

__all__ = ["solve_max_min_fairness"]

#: Up to this many (reduced) sites SCIP solves stage 1 after the bisection; on
#: larger models the bisection's plan stands and PDLP bounds t (at 20k x 2k SCIP
#: spent 9 of 30 s on stage 1 without raising the bisection's t).
STAGE1_MIP_SITES = 300


@effort.clocked
def solve_max_min_fairness(  # noqa: PLR0913 -- solver API: the model's options are keyword-only parameters
    coverage: sp.spmatrix | np.ndarray,
    population: np.ndarray,
    costs_myen: np.ndarray,
    *,
    budget_myen: float,
    fairness_on: str = "prefecture",
    covered_before: np.ndarray | None = None,
    urban: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    include: Iterable[int] = (),
    exclude: Iterable[int] = (),
    time_limit_s: float = 60.0,
    seed: int = 0,
    workers: int = 1,
    engine: str = "auto",
    rel_gap: float = 1e-4,
    work_limit: float | None = None,
    tolerance: float = 1e-6,
) -> SiteSelectionResult:
    """Raise the worst-covered group's share first, then cover the most people.

    Lexicographic: stage 1 maximises ``t`` with ``share_g >= t`` for every
    prefecture g (``fairness_on="prefecture"``) or for the rural population
    (``fairness_on="rural"``) within the budget; stage 2 fixes
    ``t >= t* - tolerance`` and maximises the people newly covered.

    Parameters
    ----------
    coverage, population, costs_myen, budget_myen, covered_before, urban, groups
        As in :func:`solve_max_coverage`.
    fairness_on
        ``"prefecture"`` or ``"rural"``.
    include, exclude, time_limit_s, seed, workers, engine, rel_gap, work_limit
        As in :func:`solve_max_coverage`; each stage gets half the time.
    tolerance
        Share [0-1] that stage 2 may give up of stage 1's ``t``.

    Returns
    -------
    SiteSelectionResult
        ``objective`` is people newly covered (stage 2); ``details["min_share"]``
        is the worst group's share after, ``details["min_share_bound"]`` its bound.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> cov = sp.csr_matrix(np.array([[1, 0], [0, 1]], dtype=bool))
    >>> res = solve_max_min_fairness(cov, np.array([9.0, 1.0]), np.array([1.0, 1.0]),
    ...                              budget_myen=1.0, groups=np.array(["01", "02"]))
    >>> res.chosen.tolist()
    [0]
    """
    if fairness_on not in ("prefecture", "rural"):
        msg = f"fairness_on: {fairness_on!r} is unknown; use 'prefecture' or 'rural'"
        raise InputError(msg)
    run = check_run(time_limit_s, engine, seed=seed, workers=workers, rel_gap=rel_gap)
    prep = prepare_covering(
        coverage,
        population,
        costs_myen,
        covered_before=covered_before,
        groups=groups,
        urban=urban,
        include=include,
        exclude=exclude,
        budget_myen=budget_myen,
    )
    labels, masks = _fairness_groups(prep, fairness_on)
    model = _share_model(prep, masks)
    stage1 = _stage1(prep, model, run)
    stage2 = _stage2(prep, model, stage1.plan, run, floor=max(stage1.t - float(tolerance), 0.0))
    return _read_result(prep, model, stage1, stage2, run, fairness_on=fairness_on, labels=labels)


@dataclass(frozen=True)
class _ShareModel:
    """The max-t model over ``[x, y, t]``: covering, budget and share rows.

    ``consts[g]`` is group g's share covered before the model and the weight of
    each demand in its share (population / group population).
    """

    consts: list[tuple[float, np.ndarray]]
    matrix: sp.csr_matrix
    row_lb: np.ndarray
    row_ub: np.ndarray
    n_var: int

    def min_share(self, demand_matrix: sp.csr_matrix, chosen: np.ndarray) -> float:
        """The worst group's share [0-1] when ``chosen`` (reduced sites) are built."""
        x = np.zeros(demand_matrix.shape[1])
        x[chosen] = 1.0
        y = (demand_matrix @ x) > 0
        return min((c + float(w[y].sum()) for c, w in self.consts), default=1.0)


@dataclass(frozen=True)
class _Stage1:
    """Stage 1's plan (reduced sites), its worst share, bound and timings."""

    plan: np.ndarray
    t: float
    t_bound: float
    status: str
    steps: int
    bisection_share: float
    bisection_s: float
    seconds: float


def _fairness_groups(
    prep: PreparedCovering, fairness_on: str
) -> tuple[list[str], list[np.ndarray]]:
    """Labels and cell masks of the groups whose worst share is raised."""
    inputs = prep.inputs
    if fairness_on == "prefecture":
        labels = [f"prefecture {code}" for code in prep.group_names]
        masks = [prep.group_codes == g for g in range(prep.group_names.size)]
        return labels, masks
    if not (~inputs.urban & (inputs.population > 0)).any():
        msg = "fairness_on='rural': no rural cell has population; pass urban or use 'prefecture'"
        raise InputError(msg)
    return ["rural"], [~inputs.urban]


def _share_model(prep: PreparedCovering, masks: list[np.ndarray]) -> _ShareModel:
    """Build the max-t model; share rows ``sum_{k in g} (p_k / P_g) y_k - t >= -c0_g / P_g``."""
    red, pop = prep.reduced, prep.inputs.population
    n_s, n_d = red.n_sites, red.n_demands
    n_var = n_s + n_d + 1  # x, y, t
    data, cols, rid, lows, consts = [], [], [], [], []
    for mask in masks:
        total = float(pop[mask].sum())
        if total <= 0:
            continue
        const = float(pop[mask & prep.covered0].sum()) / total
        cells = mask & (red.cell_demand >= 0)
        w = np.bincount(red.cell_demand[cells], weights=pop[cells], minlength=n_d) / total
        nz = np.flatnonzero(w)
        r = len(lows)
        data += [w[nz], [-1.0]]
        cols += [nz + n_s, [n_var - 1]]
        rid += [np.full(nz.size, r), [r]]
        lows.append(-const)
        consts.append((const, w))
    share_rows = sp.csr_matrix(
        (np.concatenate(data), (np.concatenate(rid), np.concatenate(cols))),
        shape=(len(lows), n_var),
    )
    cover = sp.hstack([covering_rows(red.matrix), sp.csr_matrix((n_d, 1))], format="csr")
    budget_row = sp.csr_matrix(np.concatenate([prep.site_costs_myen, np.zeros(n_d + 1)])[None, :])
    return _ShareModel(
        consts=consts,
        matrix=sp.vstack([cover, budget_row, share_rows], format="csr"),
        row_lb=np.concatenate([np.full(n_d + 1, -np.inf), lows]),
        row_ub=np.concatenate([np.zeros(n_d), [prep.budget_left], np.full(len(lows), np.inf)]),
        n_var=n_var,
    )


def _fill(prep: PreparedCovering, plan: np.ndarray, seconds: float = 0.5) -> np.ndarray:
    """Spend what the plan leaves of the budget on the most people (greedy + swaps)."""
    red, costs = prep.reduced, prep.site_costs_myen
    plan = np.asarray(plan, dtype=np.int64)
    left = prep.budget_left - float(costs[plan].sum())
    covered = np.asarray(red.matrix[:, plan].sum(axis=1)).ravel() > 0
    rest = costs.copy()
    rest[plan] = np.inf
    more = greedy_max_coverage(
        red.matrix, red.weight, rest, max(left, 0.0), covered=covered, time_limit_s=seconds
    )
    return np.union1d(plan, more.chosen).astype(np.int64)


def _bisect_share(
    prep: PreparedCovering, model: _ShareModel, start: np.ndarray, *, time_limit_s: float
) -> tuple[np.ndarray, float, int]:
    """Bisection on t with the least-cost greedy: the best plan found, its t and the steps.

    A plan within the budget that brings every group to share t proves t reachable.
    """
    red, costs, budget = prep.reduced, prep.site_costs_myen, prep.budget_left
    consts = model.consts
    share_w = sp.csr_matrix(np.vstack([w for _, w in consts])) if consts else None
    share_c = np.array([c for c, _ in consts])
    first, t_lo = start, model.min_share(red.matrix, start)
    t_hi = min((c + float(w.sum()) for c, w in consts), default=1.0)
    steps = 0
    bisect_until = 0.35 * time_limit_s
    while share_w is not None and t_hi - t_lo > 1e-5 and steps < 40:
        if prep.elapsed_s() > bisect_until:
            break
        mid = t_hi if steps == 0 else 0.5 * (t_lo + t_hi)
        steps += 1
        plan = greedy_min_cost(red.matrix, share_w, mid - share_c, costs)
        if float(costs[plan].sum()) <= budget * (1 + 1e-12) + 1e-9:
            share = model.min_share(red.matrix, plan)
            if share >= t_lo:
                first, t_lo = plan, share
            if steps == 1:
                break
        else:
            t_hi = mid
    return first, t_lo, steps


def _stage1_mip(
    prep: PreparedCovering, model: _ShareModel, first: np.ndarray, t_lo: float, run: RunSettings
) -> tuple[np.ndarray, float, str]:
    """SCIP on the whole max-t model from the bisection's plan: plan, bound on t, status."""
    red, n_var = prep.reduced, model.n_var
    n_s = red.n_sites
    sol = solve_mip(
        model.matrix,
        var_lb=np.zeros(n_var),
        objective=np.eye(1, n_var, n_var - 1).ravel(),
        hint=np.concatenate([mip_hint(red.matrix, first, n_s), [t_lo]]),
        time_limit_s=max(0.3 * prep.remaining_s(run.time_limit_s), 0.05),
        row_lb=model.row_lb,
        row_ub=model.row_ub,
        var_ub=np.ones(n_var),
        integer=np.arange(n_var) < n_s,
        maximize=True,
        engine=run.engine,
        seed=run.seed,
        workers=run.workers,
        rel_gap=run.rel_gap,
    )
    plan, _, t_bound, status, _ = pick_better(sol, first, t_lo, n_s, maximize=True)
    return plan, t_bound, status


def _stage1_lp_bound(prep: PreparedCovering, model: _ShareModel, *, time_limit_s: float) -> float:
    """PDLP bound on t: max t as a covering model, t one more column (cost -1) in the share rows."""
    red, costs, consts = prep.reduced, prep.site_costs_myen, model.consts
    n_s, n_d = red.n_sites, red.n_demands
    share_w = sp.csr_matrix(np.vstack([w for _, w in consts]))
    share_c = np.array([c for c, _ in consts])
    s1_side = sp.vstack(
        [
            sp.hstack([sp.csr_matrix(-costs[None, :]), sp.csr_matrix((1, 1 + n_d))]),
            sp.hstack([sp.csr_matrix((len(consts), n_s)), -np.ones((len(consts), 1)), share_w]),
        ],
        format="csr",
    )
    prob1 = CoveringProblem(
        sp.hstack([red.matrix, sp.csr_matrix((n_d, 1))], format="csr"),
        np.concatenate([np.zeros(n_s), [-1.0]]),
        np.zeros(n_d),
        s1_side,
        np.concatenate([[-prep.budget_left], -share_c]),
    )
    lp1 = lp_bound(prob1, time_limit_s=max(0.2 * time_limit_s, 0.1))
    return -lp1.bound if math.isfinite(lp1.bound) else math.inf


def _stage1(prep: PreparedCovering, model: _ShareModel, run: RunSettings) -> _Stage1:
    """Max t: the bisection, then SCIP on a small model or the LP bound (PDLP) on a large one."""
    red = prep.reduced
    greedy = greedy_max_coverage(
        red.matrix, red.weight, prep.site_costs_myen, prep.budget_left, time_limit_s=0.5
    )
    first, t_lo, steps = _bisect_share(prep, model, greedy.chosen, time_limit_s=run.time_limit_s)
    bisect_s = prep.elapsed_s()
    t_bound = math.inf
    status = "FEASIBLE"
    if red.n_sites <= STAGE1_MIP_SITES:
        first, t_bound, status = _stage1_mip(prep, model, first, t_lo, run)
    elif model.consts:
        t_bound = _stage1_lp_bound(prep, model, time_limit_s=run.time_limit_s)
    stage1_s = prep.elapsed_s()
    t_star = model.min_share(red.matrix, first)
    if gap_status(t_star, min(t_bound, 1.0), run.rel_gap) == "OPTIMAL":
        status = "OPTIMAL"
    return _Stage1(first, t_star, t_bound, status, steps, t_lo, bisect_s, stage1_s)


def _floor_problem(
    prep: PreparedCovering, model: _ShareModel, floor: float
) -> tuple[CoveringProblem, sp.csr_matrix, np.ndarray]:
    """Stage 2's covering model (budget and share floors) and the floor rows on y alone."""
    red, costs = prep.reduced, prep.site_costs_myen
    n_s, n_d = red.n_sites, red.n_demands
    s_data, s_cols, s_rows = [-costs], [np.arange(n_s)], [np.zeros(n_s)]
    s_rhs = [-prep.budget_left]
    floor_rows = []
    for const, w in model.consts:
        if floor - const <= 0:
            continue
        nz = np.flatnonzero(w)
        s_data.append(w[nz])
        s_cols.append(n_s + nz)
        s_rows.append(np.full(nz.size, len(s_rhs)))
        s_rhs.append(floor - const)
        floor_rows.append(len(s_rhs) - 1)
    side = sp.csr_matrix(
        (np.concatenate(s_data), (np.concatenate(s_rows), np.concatenate(s_cols))),
        shape=(len(s_rhs), n_s + n_d),
    )
    prob = CoveringProblem(red.matrix, np.zeros(n_s), -red.weight, side, np.asarray(s_rhs))
    return prob, side[floor_rows][:, n_s:], np.asarray(s_rhs)[floor_rows]


def _stage2_start(
    prep: PreparedCovering, prob: CoveringProblem, first: np.ndarray, run: RunSettings
) -> np.ndarray:
    """Stage 1's plan with the rest of the budget spent, improved by floor-keeping swaps."""
    red = prep.reduced
    start = _fill(prep, first)
    if not prob.feasible(start):
        start = first
    # swaps that keep every share floor (adds never break one)
    improved, _ = local_search_max_coverage(
        red.matrix,
        red.weight,
        prep.site_costs_myen,
        prep.budget_left,
        start,
        time_limit_s=max(min(2.0, 0.1 * prep.remaining_s(run.time_limit_s)), 0.0),
        accept=lambda mask: prob.feasible(np.flatnonzero(mask)),
    )
    if prob.feasible(improved) and prob.value(improved) < prob.value(start):
        start = improved
    return start


def _stage2(
    prep: PreparedCovering, model: _ShareModel, first: np.ndarray, run: RunSettings, *, floor: float
) -> CoveringSolution:
    """Most people newly covered with every share held at ``floor`` (LP bound + restricted MIP)."""
    red, costs, budget = prep.reduced, prep.site_costs_myen, prep.budget_left
    prob, floors_w, floors_need = _floor_problem(prep, model, floor)
    start = _stage2_start(prep, prob, first, run)

    def rounding(x: np.ndarray) -> np.ndarray:
        # the LP's large values first while they fit, then the floors, then the budget
        order = np.flatnonzero(x >= 0.5)
        order = order[np.argsort(-x[order], kind="stable")]
        seed_sites = order[np.cumsum(costs[order]) <= budget * (1 + 1e-12) + 1e-9]
        if floors_need.size:
            plan = greedy_min_cost(red.matrix, floors_w, floors_need, costs, start=seed_sites)
        else:
            plan = seed_sites
        if float(costs[plan].sum()) > budget * (1 + 1e-12) + 1e-9:
            return start
        return _fill(prep, plan)

    return solve_covering(
        prob,
        start,
        rounding=rounding,
        time_limit_s=max(prep.remaining_s(run.time_limit_s), 0.05),
        engine=run.engine,
        seed=run.seed,
        workers=run.workers,
        rel_gap=run.rel_gap,
    )


def _read_result(
    prep: PreparedCovering,
    model: _ShareModel,
    stage1: _Stage1,
    stage2: CoveringSolution,
    run: RunSettings,
    *,
    fairness_on: str,
    labels: list[str],
) -> SiteSelectionResult:
    """Stage 2's plan as a result: people newly covered, both stages' status and shares."""
    red, inputs = prep.reduced, prep.inputs
    chosen = stage2.chosen
    bound = -stage2.bound
    status2 = (
        "OPTIMAL" if gap_status(-stage2.value, bound, run.rel_gap) == "OPTIMAL" else "FEASIBLE"
    )
    value = covered_weight(red.matrix, red.weight, chosen)
    base = float(inputs.population[prep.covered0 & ~inputs.covered_before].sum())
    status = "OPTIMAL" if stage1.status == status2 == "OPTIMAL" else "FEASIBLE"
    bound = bound if math.isfinite(bound) else float(red.weight.sum())
    bound = min(bound, float(red.weight.sum()))
    t_bound, t_star = stage1.t_bound, stage1.t
    details = {
        "fairness_on": fairness_on,
        "min_share": model.min_share(red.matrix, chosen),
        "min_share_bound": max(min(t_bound, 1.0), t_star) if math.isfinite(t_bound) else 1.0,
        "stage1_bisection_steps": stage1.steps,
        "stage1_bisection_share": stage1.bisection_share,
        "stage1_bisection_s": round(stage1.bisection_s, 3),
        "stage1_s": round(stage1.seconds, 3),
        "stage2": {k: v for k, v in stage2.details.items()},
        "groups": labels,
    }
    return finish_result(
        prep,
        chosen,
        objective=base + value,
        best_bound=base + max(bound, value),
        status=status,
        engine=stage2.engine,
        objective_name="people newly covered (after max-min share)",
        details=details,
    )
