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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from denen_gis.errors import InfeasibleError, InputError
from denen_gis.optimize import effort
from denen_gis.optimize._lp import CoveringProblem, lp_bound
from denen_gis.optimize._mip import solve_mip
from denen_gis.optimize._validate import check_budget
from denen_gis.optimize.covering import (
    PreparedCovering,
    RunSettings,
    check_run,
    check_rural_weight,
    covering_rows,
    finish_result,
    prepare_covering,
)
from denen_gis.optimize.greedy import greedy_max_coverage, greedy_min_cost
from denen_gis.optimize.result import SiteSelectionResult
from denen_gis.optimize.targets import (
    TargetRow,
    Targets,
    check_reachable,
    target_constraints,
    target_rows,
)

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


@effort.clocked
def solve_rollout(  # noqa: PLR0913 -- solver API: the model's options are keyword-only parameters
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
    work_limit: float | None = None,
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
    exclude, time_limit_s, seed, workers, engine, rel_gap, work_limit
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
    years, budgets, targets = _check_years(yearly_budgets_myen, yearly_targets)
    weight_rural = check_rural_weight(rural_weight)
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
        budget_myen=None,
        site_cost_cap=math.inf,
    )
    limits = _spend_limits(years, budgets, prep.included_cost_myen, carry_over)
    rows_by_year = {y: target_rows(prep, t) for y, t in targets.items()}
    for y, rows in rows_by_year.items():
        check_reachable(prep, rows, when=f" for {y}")
    red, inputs = prep.reduced, prep.inputs
    w = red.weight * np.where(red.demand_urban, 1.0, weight_rural)
    model = _rollout_model(prep, limits, years, rows_by_year, carry_over=carry_over)
    cell_w = inputs.population * np.where(inputs.urban, 1.0, weight_rural)
    base = float(cell_w[prep.covered0 & ~inputs.covered_before].sum())
    plan = None
    if red.n_sites * len(years) > ROLLOUT_MIP_SITES:
        # large: year by year (greedy + swaps, targets first) and the bound of
        # the relaxation that drops the nesting of the years' plans
        plan = _plan_year_by_year(
            prep,
            w,
            limits,
            years=years,
            rows_by_year=rows_by_year,
            run=run,
            base=base,
            carry_over=carry_over,
        )
    if plan is None:
        try:
            plan = _solve_whole(prep, model, w, limits, run, base=base, carry_over=carry_over)
        except InfeasibleError as exc:
            table = _shortfall(prep, w, limits, years, rows_by_year, carry_over=carry_over)
            raise InfeasibleError(str(exc), shortfall=table) from None
    ever = np.flatnonzero(plan.built[-1])
    first_year = np.argmax(plan.built[:, ever], axis=0)
    years_arr = np.asarray(years)
    year = np.concatenate([np.full(prep.include.size, years[0]), years_arr[first_year]]).astype(
        np.int64
    )
    return finish_result(
        prep,
        ever,
        objective=plan.objective,
        best_bound=plan.bound,
        status=plan.status,
        engine=plan.engine,
        objective_name="sum over years of people newly covered",
        year=year,
        details={"covered_by_year": dict(zip(years, plan.by_year, strict=True)), **plan.extra},
    )


def _check_years(
    yearly_budgets_myen: Mapping[int, float], yearly_targets: Mapping[int, Targets] | None
) -> tuple[list[int], dict[int, float], dict[int, Targets]]:
    """Planning years (sorted), budget and targets per year, checked."""
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
    return years, budgets, targets


@dataclass(frozen=True)
class _RolloutModel:
    """Rows of the multi-year model over ``[x[:, 0..T), z[:, 0..T)]`` and their bounds."""

    matrix: sp.csr_matrix
    row_lb: np.ndarray
    row_ub: np.ndarray
    n_var: int


@dataclass(frozen=True)
class _RolloutPlan:
    """Sites built by the end of each year (n_years x n_sites, bool) and how good that is."""

    built: np.ndarray
    by_year: list[float]
    objective: float
    bound: float
    status: str
    engine: str
    extra: dict[str, object]


def _rollout_model(
    prep: PreparedCovering,
    limits: np.ndarray,
    years: list[int],
    rows_by_year: Mapping[int, list[TargetRow]],
    *,
    carry_over: bool,
) -> _RolloutModel:
    """Covering, nesting, budget and target rows of every year."""
    red, costs = prep.reduced, prep.site_costs_myen
    n_s, n_d, n_t = red.n_sites, red.n_demands, len(years)
    x_at = n_s * np.arange(n_t)  # x[:, t] starts at x_at[t]
    z_off = n_s * n_t
    n_var = n_s * n_t + n_d * n_t

    blocks = []
    lows, highs = [], []
    # covering: z[k, t] - sum_j a_kj x[j, t] <= 0
    cover = covering_rows(red.matrix)
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
        if y not in rows_by_year:
            continue
        tmat, need = target_constraints(prep, rows_by_year[y], n_var, z_off + t * n_d)
        if need.size:
            blocks.append(tmat)
            lows.append(need)
            highs.append(np.full(need.size, np.inf))
    matrix = sp.vstack(blocks, format="csr")
    return _RolloutModel(matrix, np.concatenate(lows), np.concatenate(highs), n_var)


def _covered_by_year(
    matrix: sp.csr_matrix, weight: np.ndarray, built: np.ndarray, base: float
) -> list[float]:
    """People (weighted) newly covered at the end of each year."""
    return [base + float(weight[(matrix @ row.astype(float)) > 0].sum()) for row in built]


def _plan_year_by_year(
    prep: PreparedCovering,
    weight: np.ndarray,
    limits: np.ndarray,
    *,
    years: list[int],
    rows_by_year: Mapping[int, list[TargetRow]],
    run: RunSettings,
    base: float,
    carry_over: bool,
) -> _RolloutPlan | None:
    """The year-by-year plan bounded by the yearly relaxation; ``None`` when it misses a target."""
    red = prep.reduced
    costs = prep.site_costs_myen
    built = _year_by_year(prep, red.matrix, weight, costs, limits, carry_over, years, rows_by_year)
    if built is None:
        return None
    bound_sum, bound_details = _yearly_bounds(
        red.matrix,
        weight,
        costs,
        np.cumsum(limits) if not carry_over else limits,
        time_limit_s=max(run.time_limit_s - prep.elapsed_s() - 0.5, 0.1),
    )
    by_year = _covered_by_year(red.matrix, weight, built, base)
    objective = float(sum(by_year))
    bound = max(bound_sum + base * len(years), objective)
    close = bound - objective <= run.rel_gap * max(abs(objective), 1e-9)
    return _RolloutPlan(
        built=built,
        by_year=by_year,
        objective=objective,
        bound=bound,
        status="OPTIMAL" if close else "FEASIBLE",
        engine="year-by-year greedy",
        extra={"bound_by_year": bound_details},
    )


def _shortfall(
    prep: PreparedCovering,
    weight: np.ndarray,
    limits: np.ndarray,
    years: list[int],
    rows_by_year: Mapping[int, list[TargetRow]],
    *,
    carry_over: bool,
) -> pd.DataFrame:
    """Each yearly target next to what the year-by-year greedy plan reaches by then."""
    red, pop = prep.reduced, prep.inputs.population
    built = _greedy_plan(red.matrix, weight, prep.site_costs_myen, limits, carry_over)
    spent = np.cumsum(limits) if not carry_over else limits
    rows = []
    for t, y in enumerate(years):
        covered = (red.matrix @ built[t].astype(float)) > 0
        for row in rows_by_year.get(y, []):
            cells = row.cells & (red.cell_demand >= 0)
            reached = float(pop[row.cells & prep.covered0].sum())
            reached += float(pop[cells][covered[red.cell_demand[cells]]].sum())
            share = reached / row.population if row.population else 1.0
            rows.append(
                {
                    "year": y,
                    "target": row.label,
                    "budget_to_date_myen": round(float(spent[t]), 1),
                    "target_pct": round(100 * row.share, 2),
                    "greedy_reaches_pct": round(100 * share, 2),
                    "gap_pp": round(max(100 * (row.share - share), 0.0), 2),
                }
            )
    return pd.DataFrame(rows)


def _solve_whole(
    prep: PreparedCovering,
    model: _RolloutModel,
    weight: np.ndarray,
    limits: np.ndarray,
    run: RunSettings,
    *,
    base: float,
    carry_over: bool,
) -> _RolloutPlan:
    """The whole multi-year model in one MIP, started from the year-by-year greedy."""
    red = prep.reduced
    n_s, n_t, n_var = red.n_sites, limits.size, model.n_var
    hint_x = _greedy_plan(red.matrix, weight, prep.site_costs_myen, limits, carry_over)
    hint_z = [((red.matrix @ hint_x[t]) > 0).astype(np.float64) for t in range(n_t)]
    sol = solve_mip(
        model.matrix,
        row_lb=model.row_lb,
        row_ub=model.row_ub,
        var_lb=np.zeros(n_var),
        var_ub=np.ones(n_var),
        objective=np.concatenate([np.zeros(n_s * n_t), np.tile(weight, n_t)]),
        integer=np.arange(n_var) < n_s * n_t,
        maximize=True,
        hint=np.concatenate([*hint_x, *hint_z]),
        engine=run.engine,
        time_limit_s=max(run.time_limit_s - prep.elapsed_s(), 0.05),
        seed=run.seed,
        workers=run.workers,
        rel_gap=run.rel_gap,
    )
    if sol.values is None:
        if sol.status == "INFEASIBLE":
            msg = (
                f"the yearly targets cannot be met within the yearly budgets ({sol.engine} "
                "proved it); relax the targets or raise the budgets"
            )
        else:
            msg = (
                f"no rollout plan found ({sol.status}) within time_limit_s={run.time_limit_s:g}; "
                "raise the time limit or relax the yearly targets"
            )
        raise InfeasibleError(msg)
    built = sol.values[: n_s * n_t].reshape(n_t, n_s) > 0.5
    built = np.maximum.accumulate(built, axis=0)
    by_year = _covered_by_year(red.matrix, weight, built, base)
    objective = float(sum(by_year))
    return _RolloutPlan(
        built=built,
        by_year=by_year,
        objective=objective,
        bound=max(sol.best_bound + base * n_t, objective),
        status=sol.status,
        engine=sol.engine,
        extra={},
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
    prep: PreparedCovering,
    matrix: sp.csr_matrix,
    weight: np.ndarray,
    costs: np.ndarray,
    limits: np.ndarray,
    carry_over: bool,
    years: list[int],
    rows_by_year: Mapping[int, list[TargetRow]],
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
        if y in rows_by_year:
            tmat, need = target_constraints(prep, rows_by_year[y], matrix.shape[0], 0)
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
    started = effort.now()
    cache: dict[float, float] = {}
    for t, cap in enumerate(cumulative):
        cap = float(cap)
        if cap in cache:
            bounds.append(cache[cap])
            continue
        ub = greedy_max_coverage(matrix, weight, costs, max(cap, 0.0), local_search=False).bound
        left = time_limit_s - (effort.now() - started)
        if left > 0.2 and n_d:
            row = sp.csr_matrix(np.concatenate([-costs, np.zeros(n_d)])[None, :])
            prob = CoveringProblem(matrix, np.zeros(n_s), -weight, row, np.array([-max(cap, 0.0)]))
            lp = lp_bound(prob, time_limit_s=left / (cumulative.size - t))
            if math.isfinite(lp.bound):
                ub = min(ub, -lp.bound)
        cache[cap] = ub
        bounds.append(ub)
    return float(sum(bounds)), bounds
