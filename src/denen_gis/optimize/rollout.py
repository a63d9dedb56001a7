"""Multi-year rollout: which 5G sites to build in which fiscal year.

Variables ``x[j, t]`` say that site j is built by the end of year t (so
``x[j, t-1] <= x[j, t]``), ``z[k, t]`` that demand k is covered in year t.
The objective adds up the people covered in every year, so earlier coverage
counts more often; each year's spending stays within its budget (leftovers
carry over only with ``carry_over=True``) and each year's targets hold.

Small models (at most ``ROLLOUT_MIP_SITES`` site-year variables) go to SCIP
whole. Larger ones are planned year by year (each year's targets with the
least-cost greedy, then its money with the greedy and swaps) and bounded by the
relaxation that drops the nesting of the years: the sum over years of the best
coverage within the cumulative budget, each term bounded by the greedy bound
and the LP (PDLP) Lagrangian bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping

import numpy as np
import scipy.sparse as sp

from denen_gis.errors import InfeasibleError, InputError
from denen_gis.optimize._lp import CoveringProblem, lp_bound
from denen_gis.optimize._mip import solve_mip
from denen_gis.optimize._validate import check_budget
from denen_gis.optimize.coverage_models import (
    Targets,
    _check_time,
    _covering_rows,
    _finish,
    _prepare,
    _Prepared,
    _resolve_mip_engine,
    _target_constraints,
    _target_rows,
    check_reachable,
)
from denen_gis.optimize.greedy import greedy_max_coverage, greedy_min_cost
from denen_gis.optimize.result import SiteSelectionResult

__all__ = ["solve_rollout"]

#: Up to this many site-year variables SCIP solves the whole multi-year model;
#: above it the plan is built year by year and bounded by the yearly relaxation.
ROLLOUT_MIP_SITES = 2500


def _spend_limits(
    years: list[int], budgets: Mapping[int, float], inc_cost: float, carry_over: bool
) -> np.ndarray:
    """Right-hand sides of the budget rows (per year, or cumulative with carry-over)."""
    values = []
    for y in years:
        name = f"yearly_budgets_myen[{y}]"
        values.append(check_budget(name, budgets[y], inc_cost if y == years[0] else 0.0))
    arr = np.asarray(values, dtype=np.float64)
    if carry_over:
        # included sites are paid in the first year, so every cumulative limit shrinks
        return np.cumsum(arr) - inc_cost
    arr[0] -= inc_cost
    return arr


def solve_rollout(
    coverage: sp.spmatrix | np.ndarray,
    population: np.ndarray,
    costs_myen: np.ndarray,
    *,
    yearly_budgets_myen: Mapping[int, float],
    yearly_targets: Mapping[int, Targets] | None = None,
    carry_over: bool = False,
    covered_before: np.ndarray | None = None,
    rural_weight: float = 1.0,
    urban: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    include: Iterable[int] = (),
    exclude: Iterable[int] = (),
    time_limit_s: float = 60.0,
    seed: int = 0,
    workers: int = 1,
    engine: str = "auto",
    rel_gap: float = 1e-4,
) -> SiteSelectionResult:
    """Plan which sites to build in which fiscal year.

    Maximise ``sum_t sum_k w_k z[k, t]`` subject to ``z[k, t] <= sum_{j covers k}
    x[j, t]``, ``x[j, t-1] <= x[j, t]``, the spending of year t
    ``sum_j c_j (x[j, t] - x[j, t-1]) <= budget_t`` (or, with ``carry_over``, the
    cumulative spending within the cumulative budget) and each year's targets.

    Parameters
    ----------
    coverage, population, costs_myen, covered_before, urban, groups, rural_weight
        As in :func:`~denen_gis.optimize.solve_max_coverage`.
    yearly_budgets_myen
        Budget per fiscal year [million yen]; its keys are the planning years.
    yearly_targets
        Targets to hold at the end of given years (keys must be planning years).
    carry_over
        Whether a year's unspent budget may be spent later.
    include
        Sites built in the first year (their cost counts against it).
    exclude, time_limit_s, seed, workers, engine, rel_gap
        As in :func:`~denen_gis.optimize.solve_max_coverage`.

    Returns
    -------
    SiteSelectionResult
        ``year`` gives each chosen site's fiscal year; ``objective`` is the sum
        over years of (weighted) people newly covered; ``details["covered_by_year"]``
        the people newly covered at the end of each year.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> cov = sp.csr_matrix(np.array([[1, 0], [0, 1]], dtype=bool))
    >>> res = solve_rollout(cov, np.array([5.0, 3.0]), np.array([1.0, 1.0]),
    ...                     yearly_budgets_myen={2026: 1.0, 2027: 1.0})
    >>> res.chosen.tolist(), res.year.tolist()
    ([0, 1], [2026, 2027])
    """
    if not isinstance(yearly_budgets_myen, Mapping) or not yearly_budgets_myen:
        msg = "yearly_budgets_myen: pass a non-empty dict {fiscal year: budget [million yen]}"
        raise InputError(msg)
    years = sorted(int(y) for y in yearly_budgets_myen)
    budgets = {int(y): b for y, b in yearly_budgets_myen.items()}
    targets = {int(y): t for y, t in (yearly_targets or {}).items()}
    for y, t in targets.items():
        if y not in budgets:
            msg = f"yearly_targets: year {y} has no budget; use one of {years}"
            raise InputError(msg)
        if not isinstance(t, Targets):
            msg = f"yearly_targets[{y}]: expected a Targets, got {type(t).__name__}"
            raise InputError(msg)
    weight_rural = float(rural_weight)
    if not (math.isfinite(weight_rural) and weight_rural >= 0):
        msg = f"rural_weight: {rural_weight!r} is not a weight; pass a finite value >= 0"
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
        budget_myen=None,
        site_cost_cap=math.inf,
    )
    inputs = prep.inputs
    inc_cost = float(inputs.costs_myen[prep.include].sum())
    limits = _spend_limits(years, budgets, inc_cost, carry_over)
    target_rows = {y: _target_rows(prep, t) for y, t in targets.items()}
    for y, rows in target_rows.items():
        check_reachable(prep, rows, when=f" for {y}")
    red = prep.reduced
    n_s, n_d, n_t = red.n_sites, red.n_demands, len(years)
    costs = inputs.costs_myen[red.site_index]
    w = red.weight * np.where(red.demand_urban, 1.0, weight_rural)
    x_at = n_s * np.arange(n_t)  # x[:, t] starts at x_at[t]
    z_off = n_s * n_t
    n_var = n_s * n_t + n_d * n_t

    blocks = []
    lows, highs = [], []
    # covering: z[k, t] - sum_j a_kj x[j, t] <= 0
    cover = _covering_rows(red.matrix)
    a_part = cover[:, :n_s]
    z_part = cover[:, n_s:]
    blocks.append(
        sp.hstack(
            [sp.kron(sp.identity(n_t), a_part), sp.kron(sp.identity(n_t), z_part)], format="csr"
        )
    )
    lows.append(np.full(n_d * n_t, -np.inf))
    highs.append(np.zeros(n_d * n_t))
    # monotone: x[j, t-1] - x[j, t] <= 0
    if n_t > 1:
        m = n_s * (n_t - 1)
        diff = sp.diags([np.ones(m), -np.ones(m)], [0, n_s], shape=(m, n_s * n_t), format="csr")
        blocks.append(sp.hstack([diff, sp.csr_matrix((diff.shape[0], n_d * n_t))], format="csr"))
        lows.append(np.full(diff.shape[0], -np.inf))
        highs.append(np.zeros(diff.shape[0]))
    # budget: per-year spending, or cumulative spending with carry-over
    spend = sp.lil_matrix((n_t, n_var))
    for t in range(n_t):
        spend[t, x_at[t] : x_at[t] + n_s] = costs
        if t > 0 and not carry_over:
            spend[t, x_at[t - 1] : x_at[t - 1] + n_s] = -costs
    blocks.append(spend.tocsr())
    lows.append(np.full(n_t, -np.inf))
    highs.append(limits)
    # targets of each year on z[:, t]
    for t, y in enumerate(years):
        if y not in target_rows:
            continue
        tmat, need = _target_constraints(prep, target_rows[y], n_var, z_off + t * n_d)
        if need.size:
            blocks.append(tmat)
            lows.append(need)
            highs.append(np.full(need.size, np.inf))
    matrix = sp.vstack(blocks, format="csr")

    base_cells = prep.covered0 & ~inputs.covered_before
    cell_w = inputs.population * np.where(inputs.urban, 1.0, weight_rural)
    base = float(cell_w[base_cells].sum())
    built_plan = None
    if n_s * n_t > ROLLOUT_MIP_SITES:
        # large: year by year (greedy + swaps, targets first) and the bound of
        # the relaxation that drops the nesting of the years' plans
        built_plan = _year_by_year(
            prep, red.matrix, w, costs, limits, carry_over, years, target_rows
        )
    if built_plan is not None:
        built = built_plan
        bound_sum, bound_details = _yearly_bounds(
            red.matrix,
            w,
            costs,
            np.cumsum(limits) if not carry_over else limits,
            time_limit_s=max(time_limit_s - (time.perf_counter() - prep.started) - 0.5, 0.1),
        )
        by_year = [
            base + float(w[(red.matrix @ built[t].astype(float)) > 0].sum()) for t in range(n_t)
        ]
        objective = float(sum(by_year))
        bound = max(bound_sum + base * n_t, objective)
        status = (
            "OPTIMAL" if bound - objective <= rel_gap * max(abs(objective), 1e-9) else "FEASIBLE"
        )
        engine_used = "year-by-year greedy"
        extra = {"bound_by_year": bound_details}
    else:
        hint_x = _greedy_plan(red.matrix, w, costs, limits, carry_over)
        hint_z = [((red.matrix @ hint_x[t]) > 0).astype(np.float64) for t in range(n_t)]
        sol = solve_mip(
            matrix,
            row_lb=np.concatenate(lows),
            row_ub=np.concatenate(highs),
            var_lb=np.zeros(n_var),
            var_ub=np.ones(n_var),
            objective=np.concatenate([np.zeros(n_s * n_t), np.tile(w, n_t)]),
            integer=np.arange(n_var) < n_s * n_t,
            maximize=True,
            hint=np.concatenate([*hint_x, *hint_z]),
            engine=name,
            time_limit_s=max(time_limit_s - (time.perf_counter() - prep.started), 0.05),
            seed=seed,
            workers=workers,
            rel_gap=rel_gap,
        )
        if sol.values is None:
            msg = (
                f"no rollout plan found ({sol.status}) within time_limit_s={time_limit_s:g}; "
                "raise the time limit or relax the yearly targets"
            )
            raise InfeasibleError(msg)
        built = sol.values[: n_s * n_t].reshape(n_t, n_s) > 0.5
        built = np.maximum.accumulate(built, axis=0)
        by_year = [
            base + float(w[(red.matrix @ built[t].astype(float)) > 0].sum()) for t in range(n_t)
        ]
        objective = float(sum(by_year))
        bound = max(sol.best_bound + base * n_t, objective)
        status, engine_used, extra = sol.status, sol.engine, {}
    ever = np.flatnonzero(built[-1])
    first_year = np.argmax(built[:, ever], axis=0)
    years_arr = np.asarray(years)
    year = np.concatenate([np.full(prep.include.size, years[0]), years_arr[first_year]]).astype(
        np.int64
    )
    return _finish(
        prep,
        ever,
        objective=objective,
        best_bound=bound,
        status=status,
        engine=engine_used,
        objective_name="sum over years of people newly covered",
        year=year,
        details={"covered_by_year": dict(zip(years, by_year, strict=True)), **extra},
    )


def _greedy_plan(
    matrix: sp.csr_matrix,
    weight: np.ndarray,
    costs: np.ndarray,
    limits: np.ndarray,
    carry_over: bool,
) -> list[np.ndarray]:
    """Year-by-year greedy start: each year spends its budget on the best ratios."""
    n_s = matrix.shape[1]
    x = np.zeros(n_s)
    plan = []
    spent = 0.0
    for t in range(limits.size):
        room = limits[t] - spent if carry_over else limits[t]
        cost_left = np.where(x > 0, np.inf, costs)
        covered = (matrix @ x) > 0
        step = greedy_max_coverage(matrix, weight, cost_left, max(room, 0.0), covered=covered)
        x = x.copy()
        x[step.chosen] = 1.0
        spent += step.cost_myen
        plan.append(x)
    return plan


def _year_by_year(
    prep: _Prepared,
    matrix: sp.csr_matrix,
    weight: np.ndarray,
    costs: np.ndarray,
    limits: np.ndarray,
    carry_over: bool,
    years: list[int],
    target_rows: Mapping[int, list],
) -> np.ndarray | None:
    """Year-by-year plan (n_years x n_sites, bool): each year's targets first, then coverage.

    Each year first meets its targets with the least-cost greedy (on top of the
    sites already built), then spends what is left on the most weight (lazy
    greedy and swaps). ``None`` when a year's targets do not fit its budget.
    """
    n_s = matrix.shape[1]
    built = np.zeros(n_s, dtype=bool)
    plan = []
    spent = 0.0
    for t, y in enumerate(years):
        room = limits[t] - spent if carry_over else limits[t]
        before = np.flatnonzero(built)
        if y in target_rows:
            tmat, need = _target_constraints(prep, target_rows[y], matrix.shape[0], 0)
            if need.size:
                free = costs.copy()
                free[before] = 0.0
                met = greedy_min_cost(matrix, tmat, need, free, start=before)
                new = np.setdiff1d(met, before)
                if float(costs[new].sum()) > room * (1 + 1e-12) + 1e-9:
                    return None
                built[new] = True
                room -= float(costs[new].sum())
                spent += float(costs[new].sum())
        covered = np.asarray(matrix[:, np.flatnonzero(built)].sum(axis=1)).ravel() > 0
        rest = np.where(built, np.inf, costs)
        step = greedy_max_coverage(
            matrix, weight, rest, max(room, 0.0), covered=covered, time_limit_s=1.0
        )
        built[step.chosen] = True
        spent += step.cost_myen
        plan.append(built.copy())
    return np.vstack(plan)


def _yearly_bounds(
    matrix: sp.csr_matrix,
    weight: np.ndarray,
    costs: np.ndarray,
    cumulative: np.ndarray,
    *,
    time_limit_s: float,
) -> tuple[float, list[float]]:
    """Sum over years of an upper bound on the best coverage within the cumulative budget.

    Every plan's year-t sites cost at most the budgets up to t, so dropping the
    nesting of the years gives independent budgeted coverage problems; each is
    bounded by the smaller of the greedy bound and the LP (PDLP) Lagrangian bound.
    """
    n_s, n_d = matrix.shape[1], matrix.shape[0]
    bounds = []
    started = time.perf_counter()
    cache: dict[float, float] = {}
    for t, cap in enumerate(cumulative):
        cap = float(cap)
        if cap in cache:
            bounds.append(cache[cap])
            continue
        ub = greedy_max_coverage(matrix, weight, costs, max(cap, 0.0), local_search=False).bound
        left = time_limit_s - (time.perf_counter() - started)
        if left > 0.2 and n_d:
            row = sp.csr_matrix(np.concatenate([-costs, np.zeros(n_d)])[None, :])
            prob = CoveringProblem(matrix, np.zeros(n_s), -weight, row, np.array([-max(cap, 0.0)]))
            lp = lp_bound(prob, time_limit_s=left / (cumulative.size - t))
            if math.isfinite(lp.bound):
                ub = min(ub, -lp.bound)
        cache[cap] = ub
        bounds.append(ub)
    return float(sum(bounds)), bounds
