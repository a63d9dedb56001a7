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
import time
from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp

from denen_gis.errors import InputError
from denen_gis.optimize._lp import CoveringProblem, lp_bound, solve_covering
from denen_gis.optimize._mip import solve_mip
from denen_gis.optimize.coverage_models import (
    _check_time,
    _covered_weight,
    _covering_rows,
    _finish,
    _hint,
    _pick,
    _prepare,
    _resolve_mip_engine,
    _status,
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


def solve_max_min_fairness(
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
    include, exclude, time_limit_s, seed, workers, engine, rel_gap
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
    time_limit_s = _check_time(time_limit_s)
    name = _resolve_mip_engine(engine)
    prep = _prepare(
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
    inputs, red = prep.inputs, prep.reduced
    pop = inputs.population
    if fairness_on == "prefecture":
        labels = [f"prefecture {code}" for code in prep.group_names]
        masks = [prep.group_codes == g for g in range(prep.group_names.size)]
    else:
        if not (~inputs.urban & (pop > 0)).any():
            msg = (
                "fairness_on='rural': no rural cell has population; pass urban or use 'prefecture'"
            )
            raise InputError(msg)
        labels, masks = ["rural"], [~inputs.urban]
    n_s, n_d = red.n_sites, red.n_demands
    n_var = n_s + n_d + 1  # x, y, t
    costs = inputs.costs_myen[red.site_index]
    # share rows: sum_{k in g} (p_k / P_g) y_k - t >= -covered0_g / P_g
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
    cover = sp.hstack([_covering_rows(red.matrix), sp.csr_matrix((n_d, 1))], format="csr")
    budget_row = sp.csr_matrix(np.concatenate([costs, np.zeros(n_d + 1)])[None, :])
    matrix = sp.vstack([cover, budget_row, share_rows], format="csr")
    row_lb = np.concatenate([np.full(n_d + 1, -np.inf), lows])
    row_ub = np.concatenate([np.zeros(n_d), [prep.budget_left], np.full(len(lows), np.inf)])

    def min_share(chosen: np.ndarray) -> float:
        x = np.zeros(n_s)
        x[chosen] = 1.0
        y = (red.matrix @ x) > 0
        return min((c + float(w[y].sum()) for c, w in consts), default=1.0)

    budget = prep.budget_left

    def remaining() -> float:
        return time_limit_s - (time.perf_counter() - prep.started)

    def fill(plan: np.ndarray, seconds: float = 0.5) -> np.ndarray:
        """Spend what the plan leaves of the budget on the most people (greedy + swaps)."""
        plan = np.asarray(plan, dtype=np.int64)
        left = budget - float(costs[plan].sum())
        covered = np.asarray(red.matrix[:, plan].sum(axis=1)).ravel() > 0
        rest = costs.copy()
        rest[plan] = np.inf
        more = greedy_max_coverage(
            red.matrix, red.weight, rest, max(left, 0.0), covered=covered, time_limit_s=seconds
        )
        return np.union1d(plan, more.chosen).astype(np.int64)

    # ---- stage 1: max t. Bisection on t with the least-cost greedy (is there a
    # plan within the budget that brings every group to share t?), then SCIP on a
    # small model or the LP bound (PDLP) of the max-t relaxation on a large one.
    greedy = greedy_max_coverage(red.matrix, red.weight, costs, budget, time_limit_s=0.5)
    share_w = sp.csr_matrix(np.vstack([w for _, w in consts])) if consts else None
    share_c = np.array([c for c, _ in consts])
    first, t_lo = greedy.chosen, min_share(greedy.chosen)
    t_hi = min((c + float(w.sum()) for c, w in consts), default=1.0)
    steps = 0
    bisect_until = 0.35 * time_limit_s
    while share_w is not None and t_hi - t_lo > 1e-5 and steps < 40:
        if time.perf_counter() - prep.started > bisect_until:
            break
        mid = t_hi if steps == 0 else 0.5 * (t_lo + t_hi)
        steps += 1
        plan = greedy_min_cost(red.matrix, share_w, mid - share_c, costs)
        if float(costs[plan].sum()) <= budget * (1 + 1e-12) + 1e-9:
            share = min_share(plan)
            if share >= t_lo:
                first, t_lo = plan, share
            if steps == 1:
                break
        else:
            t_hi = mid
    bisect_s = time.perf_counter() - prep.started
    t_bound = math.inf
    status1 = "FEASIBLE"
    if n_s <= STAGE1_MIP_SITES:
        hint = np.concatenate([_hint(red.matrix, first, n_s), [t_lo]])
        integer = np.arange(n_var) < n_s
        stage1 = solve_mip(
            matrix,
            var_lb=np.zeros(n_var),
            objective=np.eye(1, n_var, n_var - 1).ravel(),
            hint=hint,
            time_limit_s=max(0.3 * remaining(), 0.05),
            row_lb=row_lb,
            row_ub=row_ub,
            var_ub=np.ones(n_var),
            integer=integer,
            maximize=True,
            engine=name,
            seed=seed,
            workers=workers,
            rel_gap=rel_gap,
        )
        first, _, t_bound, status1, _ = _pick(stage1, first, t_lo, n_s, maximize=True)
    elif consts:
        # max t as a covering model: t is one more column (cost -1) in the share rows
        t_col = sp.csr_matrix((n_d, 1))
        s1_side = sp.vstack(
            [
                sp.hstack([sp.csr_matrix(-costs[None, :]), sp.csr_matrix((1, 1 + n_d))]),
                sp.hstack([sp.csr_matrix((len(consts), n_s)), -np.ones((len(consts), 1)), share_w]),
            ],
            format="csr",
        )
        prob1 = CoveringProblem(
            sp.hstack([red.matrix, t_col], format="csr"),
            np.concatenate([np.zeros(n_s), [-1.0]]),
            np.zeros(n_d),
            s1_side,
            np.concatenate([[-budget], -share_c]),
        )
        lp1 = lp_bound(prob1, time_limit_s=max(0.2 * time_limit_s, 0.1))
        t_bound = -lp1.bound if math.isfinite(lp1.bound) else math.inf
    stage1_s = time.perf_counter() - prep.started
    t_star = min_share(first)
    if _status(t_star, min(t_bound, 1.0), rel_gap) == "OPTIMAL":
        status1 = "OPTIMAL"
    # stage 2 is a covering model with share floors: LP bound (PDLP) + restricted MIP
    floor = max(t_star - float(tolerance), 0.0)
    s_data, s_cols, s_rows = [-costs], [np.arange(n_s)], [np.zeros(n_s)]
    s_rhs = [-budget]
    floor_rows = []
    for const, w in consts:
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
    start = fill(first)
    if not prob.feasible(start):
        start = first
    # swaps that keep every share floor (adds never break one)
    improved, _ = local_search_max_coverage(
        red.matrix,
        red.weight,
        costs,
        budget,
        start,
        time_limit_s=max(min(2.0, 0.1 * remaining()), 0.0),
        accept=lambda mask: prob.feasible(np.flatnonzero(mask)),
    )
    if prob.feasible(improved) and prob.value(improved) < prob.value(start):
        start = improved
    floors_w = side[floor_rows][:, n_s:]
    floors_need = np.asarray(s_rhs)[floor_rows]

    def rounding(x: np.ndarray) -> np.ndarray:
        # the LP's large values first while they fit, then the floors, then the budget
        order = np.flatnonzero(x >= 0.5)
        order = order[np.argsort(-x[order], kind="stable")]
        seed_sites = order[np.cumsum(costs[order]) <= budget * (1 + 1e-12) + 1e-9]
        if floor_rows:
            plan = greedy_min_cost(red.matrix, floors_w, floors_need, costs, start=seed_sites)
        else:
            plan = seed_sites
        if float(costs[plan].sum()) > budget * (1 + 1e-12) + 1e-9:
            return start
        return fill(plan)

    stage2 = solve_covering(
        prob,
        start,
        rounding=rounding,
        time_limit_s=max(remaining(), 0.05),
        engine=name,
        seed=seed,
        workers=workers,
        rel_gap=rel_gap,
    )
    chosen = stage2.chosen
    bound = -stage2.bound
    status2 = "OPTIMAL" if _status(-stage2.value, bound, rel_gap) == "OPTIMAL" else "FEASIBLE"
    used = stage2.engine
    value = _covered_weight(red.matrix, red.weight, chosen)
    base = float(pop[prep.covered0 & ~inputs.covered_before].sum())
    status = "OPTIMAL" if status1 == status2 == "OPTIMAL" else "FEASIBLE"
    bound = bound if math.isfinite(bound) else float(red.weight.sum())
    bound = min(bound, float(red.weight.sum()))
    details = {
        "fairness_on": fairness_on,
        "min_share": min_share(chosen),
        "min_share_bound": max(min(t_bound, 1.0), t_star) if math.isfinite(t_bound) else 1.0,
        "stage1_bisection_steps": steps,
        "stage1_bisection_share": t_lo,
        "stage1_bisection_s": round(bisect_s, 3),
        "stage1_s": round(stage1_s, 3),
        "stage2": {k: v for k, v in stage2.details.items()},
        "groups": labels,
    }
    return _finish(
        prep,
        chosen,
        objective=base + value,
        best_bound=base + max(bound, value),
        status=status,
        engine=used,
        objective_name="people newly covered (after max-min share)",
        details=details,
    )
