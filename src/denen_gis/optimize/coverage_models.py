"""5G site selection as covering models: budgeted coverage, least cost, max-min fairness.

Every model (here and in :mod:`~denen_gis.optimize.fairness`,
:mod:`~denen_gis.optimize.rollout`) takes the same arrays, so any coverage source can feed it:

- ``coverage``: sparse (n_cells x n_sites) bool matrix, True where candidate
  site j covers cell i;
- ``population`` per cell [persons], ``costs_myen`` per site [million yen];
- ``covered_before``: cells that existing stations already cover;
- ``groups`` (prefecture code per cell) and ``urban`` (bool per cell).

Each checks its inputs, reduces the model (:mod:`denen_gis.optimize.reduce`,
dominated sites included), starts from a greedy (:mod:`denen_gis.optimize.greedy`),
bounds it with the LP relaxation (PDLP, proven through its Lagrangian dual),
rounds the LP and runs SCIP on the sites that can matter
(:mod:`denen_gis.optimize._lp`), and returns a frozen
:class:`~denen_gis.optimize.result.SiteSelectionResult`. Formulations and the
engine measurements are in ``docs/optimization.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
import scipy.sparse as sp

from denen_gis.errors import InputError
from denen_gis.optimize import effort
from denen_gis.optimize._lp import (
    FIRST_MIP_SITES,
    MIP_SITES_CAP,
    CoveringProblem,
    CoveringSolution,
    solve_covering,
)
from denen_gis.optimize.covering import (
    DEFAULT_ENGINE,
    GREEDY_ONLY_BELOW_S,
    PreparedCovering,
    check_run,
    check_rural_weight,
    covered_weight,
    finish_result,
    gap_status,
    prepare_covering,
)
from denen_gis.optimize.greedy import (
    greedy_max_coverage,
    greedy_min_cost,
    local_search_max_coverage,
    local_search_min_cost,
)
from denen_gis.optimize.result import SiteSelectionResult
from denen_gis.optimize.targets import Targets, check_reachable, target_constraints, target_rows

__all__ = [
    "DEFAULT_ENGINE",
    "round_lp",
    "solve_max_coverage",
    "solve_min_cost",
]


@effort.clocked
def solve_max_coverage(  # noqa: PLR0913 -- solver API: the model's options are keyword-only parameters
    coverage: sp.spmatrix | np.ndarray,
    population: np.ndarray,
    costs_myen: np.ndarray,
    *,
    budget_myen: float,
    covered_before: np.ndarray | None = None,
    rural_weight: float = 1.0,
    urban: np.ndarray | None = None,
    include: Iterable[int] = (),
    exclude: Iterable[int] = (),
    time_limit_s: float = 60.0,
    seed: int = 0,
    workers: int = 1,
    groups: np.ndarray | None = None,
    engine: str = "auto",
    rel_gap: float = 1e-4,
    work_limit: float | None = None,
) -> SiteSelectionResult:
    """Budgeted maximal covering: the most (weighted) people newly covered for the money.

    Maximise ``sum_k w_k y_k`` subject to ``y_k <= sum_{j covers k} x_j``,
    ``sum_j c_j x_j <= budget``, ``x`` binary, ``0 <= y <= 1``; ``w_k`` is the
    demand's population times ``rural_weight`` when it is rural.

    Parameters
    ----------
    coverage
        (n_cells x n_sites) bool matrix: candidate site j covers cell i.
    population
        Population per cell [persons].
    costs_myen
        Cost per candidate site [million yen].
    budget_myen
        Budget [million yen], included sites count against it.
    covered_before
        Cells already covered by existing stations.
    rural_weight
        Weight of a rural person relative to an urban one (>= 0).
    urban
        Urban flag per cell (default all urban).
    include, exclude
        Site indices that must / must not be built.
    time_limit_s
        Wall-clock limit of the solver [s]; below 0.5 s the greedy answer is
        returned. With ``work_limit`` it is only a safety ceiling.
    seed, workers
        Random seed and thread count; with one worker a seed gives the same answer.
    groups
        Prefecture code per cell (for the per-group table).
    engine
        ``"auto"`` (SCIP), ``"SCIP"``, ``"HIGHS"``, ``"CBC"`` or ``"greedy"``.
    rel_gap
        Relative optimality gap at which the solver stops.
    work_limit
        Work units instead of seconds (about a second each on the reference
        machine, :mod:`denen_gis.optimize.effort`): with one worker and a seed
        the same units give the same answer on any machine, unless
        ``time_limit_s`` stops it first (``details["work"]`` says so).

    Returns
    -------
    SiteSelectionResult
        ``objective`` is the weighted number of people newly covered (included
        sites' coverage counted).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> cov = sp.csr_matrix(np.array([[1, 0], [0, 1], [0, 1]], dtype=bool))
    >>> res = solve_max_coverage(cov, np.array([5.0, 3.0, 3.0]), np.array([1.0, 1.0]),
    ...                          budget_myen=1.0)
    >>> res.chosen.tolist(), res.objective
    ([1], 6.0)
    """
    weight_rural = check_rural_weight(rural_weight)
    run = check_run(
        time_limit_s, engine, seed=seed, workers=workers, rel_gap=rel_gap, greedy_allowed=True
    )
    time_limit_s, name = run.time_limit_s, run.engine
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
    inputs, red = prep.inputs, prep.reduced
    cell_w = inputs.population * np.where(inputs.urban, 1.0, weight_rural)
    base = float(cell_w[prep.covered0 & ~inputs.covered_before].sum())
    w = red.weight * np.where(red.demand_urban, 1.0, weight_rural)
    greedy = greedy_max_coverage(red.matrix, w, prep.site_costs_myen, prep.budget_left)
    objective_name = "people newly covered" + ("" if weight_rural == 1.0 else " (weighted)")
    if name == "GREEDY" or time_limit_s < GREEDY_ONLY_BELOW_S or red.n_demands == 0:
        done = red.n_demands == 0 or greedy.value >= greedy.bound * (1 - 1e-12)
        return finish_result(
            prep,
            greedy.chosen,
            objective=base + greedy.value,
            best_bound=base + greedy.bound,
            status="OPTIMAL" if done else "HEURISTIC",
            engine="greedy",
            objective_name=objective_name,
        )
    prob = _budgeted_problem(prep, w)
    rounding, other_starts = _max_coverage_rounding(prep, w, prob, time_limit_s=time_limit_s)
    name = _small_model_engine(engine, name, red.n_sites, prep.site_costs_myen)
    # time held back for the final swaps (they converge in ~0.1 s at 20k x 2k)
    large = red.n_sites > MIP_SITES_CAP
    swap_s = min(5.0, 0.1 * time_limit_s) if large else min(1.0, 0.03 * time_limit_s)
    sol = solve_covering(
        prob,
        greedy.chosen,
        rounding=rounding,
        time_limit_s=time_limit_s - swap_s - prep.elapsed_s(),
        engine=name,
        seed=seed,
        workers=workers,
        rel_gap=rel_gap,
    )
    chosen, used = _final_swaps(
        prep, w, sol, other_starts, time_left_s=time_limit_s - prep.elapsed_s()
    )
    # report the exact coverage of the chosen sites, not the solver's float sum
    value = covered_weight(red.matrix, w, chosen)
    bound = max(min(-sol.bound, greedy.bound), value)
    return finish_result(
        prep,
        chosen,
        objective=base + value,
        best_bound=base + bound,
        status=gap_status(value, bound, rel_gap),
        engine=used,
        objective_name=objective_name,
        details=sol.details,
    )


def _small_model_engine(requested: str, resolved: str, n_sites: int, costs: np.ndarray) -> str:
    """The MIP engine for ``engine="auto"``: HiGHS for a small budget knapsack, else ``resolved``.

    When the reduced model fits one MIP (at most ``FIRST_MIP_SITES`` sites) and
    the site costs differ, HiGHS proves it faster than SCIP (5k x 500 random
    instances, varied costs, mean coverage degree 5 and 10: 24 s and 19 s
    against 57 s and 58 s, where SCIP stopped at its limit; degree 2 and 20 on
    a par). With equal costs (a cardinality constraint) SCIP stays: at degree
    20 HiGHS took 58 s against SCIP's 20 s (docs/optimization.md).
    """
    if requested.upper() != "AUTO" or n_sites > FIRST_MIP_SITES or costs.size == 0:
        return resolved
    if float(costs.max() - costs.min()) <= 1e-9 * max(float(costs.max()), 1.0):
        return resolved
    return "HIGHS"


def _budgeted_problem(prep: PreparedCovering, weight: np.ndarray) -> CoveringProblem:
    """Budgeted covering over ``[x, y]``: the most covered weight (cost ``-w``) within budget."""
    red = prep.reduced
    costs = prep.site_costs_myen
    budget_row = sp.csr_matrix(np.concatenate([-costs, np.zeros(red.n_demands)])[None, :])
    return CoveringProblem(
        red.matrix, np.zeros(red.n_sites), -weight, budget_row, np.array([-prep.budget_left])
    )


def _max_coverage_rounding(
    prep: PreparedCovering, weight: np.ndarray, prob: CoveringProblem, *, time_limit_s: float
) -> tuple[Callable[[np.ndarray], np.ndarray], list[np.ndarray]]:
    """The LP rounding of budgeted covering, and the list where it leaves the rounding not taken."""
    red, costs, budget = prep.reduced, prep.site_costs_myen, prep.budget_left
    other_starts: list[np.ndarray] = []

    def rounding(x: np.ndarray) -> np.ndarray:
        # two roundings, the better kept. Where the LP splits overlapping sites
        # half and half, taking every x >= 0.5 builds both halves (Tohoku, rural
        # weight 2: 6.3% below the LP, below the greedy); the LP's ones and then
        # the greedy among its support avoid that (0.7% below). On the national
        # 100,000 M yen case the x >= 0.5 rounding is the better one.
        plans = [
            round_lp(red.matrix, weight, costs, budget, x, 0.5),
            round_lp(red.matrix, weight, costs, budget, x, 1 - 1e-3, support_first=True),
        ]
        plans.sort(key=prob.value)
        plan = plans[0]
        # the other one is a second start of the final swaps: from the worse
        # rounding they reached the better plan on the national 100,000 M yen case
        other_starts[:] = plans[1:]
        if red.n_sites > MIP_SITES_CAP:
            # SCIP's dive improves the plain rounding more often than a swapped
            # one (Tohoku: 0.22% against 0.49%); the swaps run at the end instead
            return plan
        # the whole model goes to SCIP without a dive: start it from the swapped
        # rounding (20k x 2k: 0.35% against 0.48%)
        return local_search_max_coverage(
            red.matrix, weight, costs, budget, plan, time_limit_s=min(5.0, 0.1 * time_limit_s)
        )[0]

    return rounding, other_starts


def _final_swaps(
    prep: PreparedCovering,
    weight: np.ndarray,
    sol: CoveringSolution,
    other_starts: list[np.ndarray],
    *,
    time_left_s: float,
) -> tuple[np.ndarray, str]:
    """Swaps on the final answer and on the rounding not taken; the best plan and its engine."""
    chosen, used = sol.chosen, sol.engine
    if time_left_s <= 0.05:
        return chosen, used
    # the MIP may stop on a plan a 1-swap improves
    matrix = prep.reduced.matrix
    best = covered_weight(matrix, weight, chosen)
    starts = [chosen, *(o for o in other_starts if not np.array_equal(o, chosen))]
    for start in starts:
        plan, _ = local_search_max_coverage(
            matrix,
            weight,
            prep.site_costs_myen,
            prep.budget_left,
            start,
            time_limit_s=(time_left_s - 0.05) / len(starts),
        )
        value_ls = covered_weight(matrix, weight, plan)
        if value_ls > best:
            best, chosen, used = value_ls, plan, f"{sol.engine}+swaps"
    return chosen, used


def round_lp(
    matrix: sp.csr_matrix,
    weight: np.ndarray,
    costs_myen: np.ndarray,
    budget_myen: float,
    x: np.ndarray,
    at: float,
    *,
    support_first: bool = False,
) -> np.ndarray:
    """Round an LP solution of budgeted covering to a plan within the budget.

    Takes the sites with LP value ``x >= at``, largest first while they fit;
    then, when ``support_first``, the greedy among the LP's other positive
    sites (``x > 0.01``); then the greedy over all sites fills the budget.

    Parameters
    ----------
    matrix
        Bool CSR (demands x sites).
    weight
        Weight of each demand.
    costs_myen
        Cost per site [million yen].
    budget_myen
        Budget [million yen].
    x
        LP value per site.
    at
        Threshold of the LP values taken first.
    support_first
        Complete from the LP's support before all sites.

    Returns
    -------
    numpy.ndarray
        Sorted site indices.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[1, 1, 0], [0, 0, 1]], dtype=bool))
    >>> x = np.array([0.6, 0.6, 0.5])  # sites 0 and 1 cover the same demand
    >>> round_lp(m, np.array([4.0, 3.0]), np.ones(3), 2.0, x, 0.5).tolist()
    [0, 1]
    >>> round_lp(m, np.array([4.0, 3.0]), np.ones(3), 2.0, x, 0.999, support_first=True).tolist()
    [0, 2]
    """
    n_s = matrix.shape[1]
    start = np.flatnonzero(x >= at)
    start = start[np.argsort(-x[start], kind="stable")]
    start = start[np.cumsum(costs_myen[start]) <= budget_myen * (1 + 1e-12) + 1e-9]
    pools = [x > 0.01] if support_first else []
    for pool in [*pools, np.ones(n_s, dtype=bool)]:
        covered = np.asarray(matrix[:, start].sum(axis=1)).ravel() > 0
        rest = np.where(pool & ~np.isin(np.arange(n_s), start), costs_myen, np.inf)
        more = greedy_max_coverage(
            matrix,
            weight,
            rest,
            budget_myen - float(costs_myen[start].sum()),
            covered=covered,
            local_search=False,
        )
        start = np.union1d(start, more.chosen)
    return np.sort(start).astype(np.int64)


@effort.clocked
def solve_min_cost(  # noqa: PLR0913 -- solver API: the model's options are keyword-only parameters
    coverage: sp.spmatrix | np.ndarray,
    population: np.ndarray,
    costs_myen: np.ndarray,
    *,
    targets: Targets,
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
) -> SiteSelectionResult:
    """Least cost that reaches the coverage targets.

    Minimise ``sum_j c_j x_j`` subject to ``y_k <= sum_{j covers k} x_j`` and, per
    target group G, ``covered_before(G) + sum_{k in G} p_k y_k >= share * population(G)``.

    Parameters
    ----------
    coverage, population, costs_myen, covered_before, urban, groups
        As in :func:`solve_max_coverage`.
    targets
        National share, prefecture floors and/or rural share (0-1, of the total
        population including people already covered).
    include, exclude, time_limit_s, seed, workers, engine, rel_gap, work_limit
        As in :func:`solve_max_coverage`.

    Returns
    -------
    SiteSelectionResult
        ``objective`` is the total cost [million yen] including included sites.

    Raises
    ------
    InfeasibleError
        When a target is out of reach with every allowed site built; its
        ``shortfall`` table lists group, target, best reachable share and gap.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> cov = sp.csr_matrix(np.array([[1, 0], [0, 1]], dtype=bool))
    >>> res = solve_min_cost(cov, np.array([6.0, 4.0]), np.array([3.0, 1.0]),
    ...                      targets=Targets(national=0.5))
    >>> res.chosen.tolist(), res.objective
    ([0], 3.0)
    """
    if not isinstance(targets, Targets) or targets.is_empty():
        msg = "targets: pass a Targets with at least one of national, per_prefecture, rural"
        raise InputError(msg)
    run = check_run(time_limit_s, engine)
    time_limit_s, name = run.time_limit_s, run.engine
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
    )
    rows = target_rows(prep, targets)
    check_reachable(prep, rows)
    red = prep.reduced
    inc_cost = prep.included_cost_myen
    n_s = red.n_sites
    tmat, need = target_constraints(prep, rows, n_s + red.n_demands, n_s)
    if need.size == 0:
        return finish_result(
            prep,
            np.zeros(0, dtype=np.int64),
            objective=inc_cost,
            best_bound=inc_cost,
            status="OPTIMAL",
            engine="none",
            objective_name="cost [million yen]",
        )
    costs = prep.site_costs_myen
    target_w = tmat[:, n_s:]
    ls_s = min(5.0, 0.1 * time_limit_s)
    incumbent = greedy_min_cost(red.matrix, target_w, need, costs)
    incumbent = local_search_min_cost(
        red.matrix, target_w, need, costs, incumbent, time_limit_s=0.5 * ls_s
    )

    def rounding(x: np.ndarray) -> np.ndarray:
        plan = greedy_min_cost(red.matrix, target_w, need, costs, start=np.flatnonzero(x >= 0.5))
        return local_search_min_cost(red.matrix, target_w, need, costs, plan, time_limit_s=ls_s)

    sol = solve_covering(
        CoveringProblem(red.matrix, costs, np.zeros(red.n_demands), tmat, need),
        incumbent,
        rounding=rounding,
        time_limit_s=max(time_limit_s - prep.elapsed_s(), 0.05),
        engine=name,
        seed=seed,
        workers=workers,
        rel_gap=rel_gap,
    )
    chosen, used = sol.chosen, sol.engine
    left = time_limit_s - prep.elapsed_s()
    if left > 0.05:
        # drops and swaps on the final answer
        plan = local_search_min_cost(
            red.matrix, target_w, need, costs, chosen, time_limit_s=min(left - 0.05, 2.0)
        )
        if float(costs[plan].sum()) < float(costs[chosen].sum()) - 1e-9:
            chosen, used = plan, f"{used}+swaps"
    value = float(costs[chosen].sum())
    # costs are >= 0, so 0 is a bound when no engine proved one
    bound = min(sol.bound, value) if math.isfinite(sol.bound) else 0.0
    return finish_result(
        prep,
        chosen,
        objective=inc_cost + value,
        best_bound=inc_cost + bound,
        status=gap_status(value, bound, rel_gap),
        engine=used,
        objective_name="cost [million yen]",
        details=sol.details,
    )
