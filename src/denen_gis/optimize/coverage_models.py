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

import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from denen_gis.errors import InfeasibleError, InputError
from denen_gis.optimize._lp import MIP_SITES_CAP, CoveringProblem, solve_covering
from denen_gis.optimize._mip import MipSolution
from denen_gis.optimize._validate import Inputs, check_budget, check_inputs, check_sites
from denen_gis.optimize.greedy import (
    greedy_max_coverage,
    greedy_min_cost,
    local_search_max_coverage,
    local_search_min_cost,
)
from denen_gis.optimize.reduce import ReducedProblem, reduce_coverage
from denen_gis.optimize.result import SiteSelectionResult, group_table, relative_gap

__all__ = [
    "DEFAULT_ENGINE",
    "Targets",
    "solve_max_coverage",
    "solve_min_cost",
]

log = logging.getLogger(__name__)

#: Engine used when ``engine="auto"``; chosen by measurement (docs/optimization.md).
DEFAULT_ENGINE = "SCIP"
#: Below this time limit [s] the models return the greedy answer at once.
GREEDY_ONLY_BELOW_S = 0.5
# Targets are met up to this share of the group's population (float round-off).
_TARGET_TOL = 1e-9


@dataclass(frozen=True)
class Targets:
    """Coverage targets as shares (0-1) of total population, already covered included.

    Parameters
    ----------
    national
        Share of the whole population to cover.
    per_prefecture
        Floor for every prefecture (a float), or per prefecture code (a dict).
    rural
        Share of the rural population to cover.

    Examples
    --------
    >>> Targets(national=0.95, per_prefecture={"01": 0.9}, rural=0.8).rural
    0.8
    """

    national: float | None = None
    per_prefecture: float | Mapping[str, float] | None = None
    rural: float | None = None

    def __post_init__(self) -> None:
        def check(name: str, value: object) -> None:
            try:
                share = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                msg = f"targets.{name}: expected a share in [0, 1], got {value!r}"
                raise InputError(msg) from None
            if not math.isfinite(share) or share < 0:
                msg = f"targets.{name}: {value!r} is not a share; pass a value in [0, 1]"
                raise InputError(msg)
            if share > 1:
                msg = (
                    f"targets.{name}: {share:g} is a target above 100%; shares run from "
                    "0 to 1 (0.95 = 95%)"
                )
                raise InputError(msg)

        if self.national is not None:
            check("national", self.national)
        if self.rural is not None:
            check("rural", self.rural)
        if isinstance(self.per_prefecture, Mapping):
            frozen = dict(self.per_prefecture)
            for code, share in frozen.items():
                check(f"per_prefecture[{code!r}]", share)
            object.__setattr__(self, "per_prefecture", frozen)
        elif self.per_prefecture is not None:
            check("per_prefecture", self.per_prefecture)

    def is_empty(self) -> bool:
        """True when no target is set."""
        return self.national is None and self.per_prefecture is None and self.rural is None


@dataclass
class _Prepared:
    """Checked inputs, included-site coverage and the reduced model."""

    inputs: Inputs
    include: np.ndarray
    exclude: np.ndarray
    covered0: np.ndarray
    reduced: ReducedProblem
    group_names: np.ndarray
    group_codes: np.ndarray
    started: float
    budget_left: float = math.inf


def _prepare(
    coverage: object,
    population: object,
    costs_myen: object,
    *,
    covered_before: object,
    groups: object,
    urban: object,
    include: Iterable[int],
    exclude: Iterable[int],
    budget_myen: float | None,
    budget_name: str = "budget_myen",
    site_cost_cap: float | None = None,
) -> _Prepared:
    started = time.perf_counter()
    inputs = check_inputs(
        coverage,
        population,
        costs_myen,
        covered_before=covered_before,
        groups=groups,
        urban=urban,
    )
    inc, exc = check_sites(include, exclude, inputs.n_sites)
    inc_cost = float(inputs.costs_myen[inc].sum())
    left = math.inf
    if budget_myen is not None:
        budget = check_budget(budget_name, budget_myen, inc_cost)
        left = budget - inc_cost
    covered0 = inputs.covered_before.copy()
    if inc.size:
        covered0 |= np.asarray(inputs.coverage[:, inc].sum(axis=1)).ravel() > 0
    allowed = np.ones(inputs.n_sites, dtype=bool)
    allowed[inc] = False
    allowed[exc] = False
    # a site dearer than what is left of the budget can never be built
    cap = left if site_cost_cap is None else site_cost_cap
    allowed &= inputs.costs_myen <= cap * (1 + 1e-12) + 1e-9
    group_names, group_codes = np.unique(inputs.groups.astype(str), return_inverse=True)
    reduced = reduce_coverage(
        inputs.coverage,
        inputs.population,
        covered_before=covered0,
        allowed_sites=allowed,
        group_codes=group_codes.ravel(),
        urban=inputs.urban,
        costs_myen=inputs.costs_myen,
    )
    log.info(
        "model reduced from %d cells x %d sites (%d pairs) to %d demands x %d sites (%d pairs)",
        reduced.size_before.cells,
        reduced.size_before.sites,
        reduced.size_before.nonzeros,
        reduced.size_after.cells,
        reduced.size_after.sites,
        reduced.size_after.nonzeros,
    )
    return _Prepared(
        inputs, inc, exc, covered0, reduced, group_names, group_codes.ravel(), started, left
    )


def _covering_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Rows ``y_k - sum_j a_kj x_j <= 0`` over variables ``[x, y]``."""
    n_dem = matrix.shape[0]
    return sp.hstack([-matrix.astype(np.float64), sp.identity(n_dem, format="csr")], format="csr")


def _finish(
    prep: _Prepared,
    model_chosen: np.ndarray,
    *,
    objective: float,
    best_bound: float,
    status: str,
    engine: str,
    objective_name: str,
    year: np.ndarray | None = None,
    details: Mapping[str, object] | None = None,
) -> SiteSelectionResult:
    inputs = prep.inputs
    chosen_model = prep.reduced.site_index[np.asarray(model_chosen, dtype=np.int64)]
    chosen = np.concatenate([prep.include, chosen_model]).astype(np.int64)
    order = np.argsort(chosen, kind="stable")
    chosen = chosen[order]
    if year is not None:
        year = np.asarray(year, dtype=np.int64)[order]
    covered_after = prep.covered0.copy()
    if chosen_model.size:
        covered_after |= np.asarray(inputs.coverage[:, chosen_model].sum(axis=1)).ravel() > 0
    table = group_table(
        inputs.population, inputs.covered_before, covered_after, inputs.groups, inputs.urban
    )
    gap = relative_gap(objective, best_bound)
    return SiteSelectionResult(
        chosen=chosen,
        objective=float(objective),
        best_bound=float(best_bound),
        gap=gap,
        status=status,
        wall_time_s=time.perf_counter() - prep.started,
        engine=engine,
        size_before=prep.reduced.size_before,
        size_after=prep.reduced.size_after,
        cost_myen=float(inputs.costs_myen[chosen].sum()),
        covered_after=covered_after,
        groups=table,
        objective_name=objective_name,
        year=year,
        details=dict(details or {}),
    )


def _resolve_engine(engine: str) -> str:
    name = engine.upper()
    if name == "AUTO":
        return DEFAULT_ENGINE
    if name not in ("SCIP", "HIGHS", "CBC", "GREEDY"):
        msg = f"engine={engine!r} is unknown; use 'auto', 'SCIP', 'HIGHS', 'CBC' or 'greedy'"
        raise InputError(msg)
    return name


def _resolve_mip_engine(engine: str) -> str:
    """The engine of a model that has no greedy-only mode (all but max coverage)."""
    name = _resolve_engine(engine)
    if name == "GREEDY":
        msg = "engine='greedy' solves only solve_max_coverage; use 'auto' here"
        raise InputError(msg)
    return name


def _check_time(time_limit_s: float) -> float:
    value = float(time_limit_s)
    if not value > 0:
        msg = f"time_limit_s: {time_limit_s!r} is not a time limit; pass seconds > 0"
        raise InputError(msg)
    return value


def solve_max_coverage(
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
        Wall-clock limit of the solver [s]; below 0.5 s the greedy answer is returned.
    seed, workers
        Random seed and thread count; with one worker a seed gives the same answer.
    groups
        Prefecture code per cell (for the per-group table).
    engine
        ``"auto"`` (SCIP), ``"SCIP"``, ``"HIGHS"``, ``"CBC"`` or ``"greedy"``.
    rel_gap
        Relative optimality gap at which the solver stops.

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
    weight_rural = float(rural_weight)
    if not (math.isfinite(weight_rural) and weight_rural >= 0):
        msg = f"rural_weight: {rural_weight!r} is not a weight; pass a finite value >= 0"
        raise InputError(msg)
    time_limit_s = _check_time(time_limit_s)
    name = _resolve_engine(engine)
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
    cell_w = inputs.population * np.where(inputs.urban, 1.0, weight_rural)
    base = float(cell_w[prep.covered0 & ~inputs.covered_before].sum())
    w = red.weight * np.where(red.demand_urban, 1.0, weight_rural)
    costs = inputs.costs_myen[red.site_index]
    greedy = greedy_max_coverage(red.matrix, w, costs, prep.budget_left)
    objective_name = "people newly covered" + ("" if weight_rural == 1.0 else " (weighted)")
    if name == "GREEDY" or time_limit_s < GREEDY_ONLY_BELOW_S or red.n_demands == 0:
        done = red.n_demands == 0 or greedy.value >= greedy.bound * (1 - 1e-12)
        return _finish(
            prep,
            greedy.chosen,
            objective=base + greedy.value,
            best_bound=base + greedy.bound,
            status="OPTIMAL" if done else "HEURISTIC",
            engine="greedy",
            objective_name=objective_name,
        )
    n_s, n_d = red.n_sites, red.n_demands
    budget_row = sp.csr_matrix(np.concatenate([-costs, np.zeros(n_d)])[None, :])
    prob = CoveringProblem(red.matrix, np.zeros(n_s), -w, budget_row, np.array([-prep.budget_left]))

    other_starts: list[np.ndarray] = []

    def rounding(x: np.ndarray) -> np.ndarray:
        # two roundings, the better kept. Where the LP splits overlapping sites
        # half and half, taking every x >= 0.5 builds both halves (Tohoku, rural
        # weight 2: 6.3% below the LP, below the greedy); the LP's ones and then
        # the greedy among its support avoid that (0.7% below). On the national
        # 100,000 M yen case the x >= 0.5 rounding is the better one.
        plans = [
            round_lp(red.matrix, w, costs, prep.budget_left, x, 0.5),
            round_lp(red.matrix, w, costs, prep.budget_left, x, 1 - 1e-3, support_first=True),
        ]
        plans.sort(key=prob.value)
        plan = plans[0]
        # the other one is a second start of the final swaps: from the worse
        # rounding they reached the better plan on the national 100,000 M yen case
        other_starts[:] = plans[1:]
        if n_s > MIP_SITES_CAP:
            # SCIP's dive improves the plain rounding more often than a swapped
            # one (Tohoku: 0.22% against 0.49%); the swaps run at the end instead
            return plan
        # the whole model goes to SCIP without a dive: start it from the swapped
        # rounding (20k x 2k: 0.35% against 0.48%)
        return local_search_max_coverage(
            red.matrix, w, costs, prep.budget_left, plan, time_limit_s=min(5.0, 0.1 * time_limit_s)
        )[0]

    # time held back for the final swaps (they converge in ~0.1 s at 20k x 2k)
    swap_s = min(5.0, 0.1 * time_limit_s) if n_s > MIP_SITES_CAP else min(1.0, 0.03 * time_limit_s)
    sol = solve_covering(
        prob,
        greedy.chosen,
        rounding=rounding,
        time_limit_s=time_limit_s - swap_s - (time.perf_counter() - prep.started),
        engine=name,
        seed=seed,
        workers=workers,
        rel_gap=rel_gap,
    )
    chosen, used = sol.chosen, sol.engine
    left = time_limit_s - (time.perf_counter() - prep.started)
    if left > 0.05:
        # swaps on the final answer (the MIP may stop on a plan a 1-swap improves),
        # and on the rounding not taken when there is one
        best = _covered_weight(red.matrix, w, chosen)
        starts = [chosen, *(o for o in other_starts if not np.array_equal(o, chosen))]
        for start in starts:
            plan, _ = local_search_max_coverage(
                red.matrix,
                w,
                costs,
                prep.budget_left,
                start,
                time_limit_s=(left - 0.05) / len(starts),
            )
            value_ls = _covered_weight(red.matrix, w, plan)
            if value_ls > best:
                best, chosen, used = value_ls, plan, f"{sol.engine}+swaps"
    # report the exact coverage of the chosen sites, not the solver's float sum
    value = _covered_weight(red.matrix, w, chosen)
    bound = max(min(-sol.bound, greedy.bound), value)
    return _finish(
        prep,
        chosen,
        objective=base + value,
        best_bound=base + bound,
        status=_status(value, bound, rel_gap),
        engine=used,
        objective_name=objective_name,
        details=sol.details,
    )


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


def _hint(matrix: sp.csr_matrix, chosen: np.ndarray, n_sites: int) -> np.ndarray:
    x = np.zeros(n_sites)
    x[chosen] = 1.0
    y = (matrix @ x) > 0
    return np.concatenate([x, y.astype(np.float64)])


def _covered_weight(matrix: sp.csr_matrix, weight: np.ndarray, chosen: np.ndarray) -> float:
    x = np.zeros(matrix.shape[1])
    x[chosen] = 1.0
    return float(weight[(matrix @ x) > 0].sum())


def _pick(
    sol: MipSolution,
    fallback: np.ndarray,
    fallback_value: float,
    n_sites: int,
    *,
    maximize: bool,
) -> tuple[np.ndarray, float, float, str, str]:
    """MIP answer, or the fallback when the MIP found nothing or something worse."""
    if sol.values is None:
        return fallback, fallback_value, math.nan, "FEASIBLE", "greedy"
    chosen = np.flatnonzero(sol.values[:n_sites] > 0.5)
    better = sol.objective >= fallback_value if maximize else sol.objective <= fallback_value
    if not better:
        return fallback, fallback_value, sol.best_bound, "FEASIBLE", f"{sol.engine}+greedy"
    return chosen, sol.objective, sol.best_bound, sol.status, sol.engine


def _status(value: float, bound: float, rel_gap: float) -> str:
    """``OPTIMAL`` when the proven gap is within ``rel_gap``, else ``FEASIBLE``."""
    if math.isfinite(bound) and abs(value - bound) <= rel_gap * max(abs(value), 1e-9) + 1e-9:
        return "OPTIMAL"
    return "FEASIBLE"


def _resolve_targets(targets: Targets, group_names: np.ndarray) -> dict[str, float]:
    """Per-prefecture floors keyed by code (only those set)."""
    floors: dict[str, float] = {}
    per = targets.per_prefecture
    if isinstance(per, Mapping):
        known = set(group_names.tolist())
        for code, share in per.items():
            if str(code) not in known:
                msg = (
                    f"targets.per_prefecture: prefecture {code!r} has no cell in groups; "
                    f"use one of {', '.join(sorted(known)[:5])}..."
                )
                raise InputError(msg)
            floors[str(code)] = float(share)
    elif per is not None:
        floors = {str(code): float(per) for code in group_names}
    return floors


@dataclass(frozen=True)
class _TargetRow:
    """One target: cells it counts, its population, required and reachable people."""

    label: str
    cells: np.ndarray
    population: float
    share: float


def _target_rows(prep: _Prepared, targets: Targets) -> list[_TargetRow]:
    inputs = prep.inputs
    rows: list[_TargetRow] = []
    pop = inputs.population
    if targets.national is not None:
        cells = np.ones(inputs.n_cells, dtype=bool)
        rows.append(_TargetRow("national", cells, float(pop.sum()), float(targets.national)))
    for code, share in _resolve_targets(targets, prep.group_names).items():
        cells = inputs.groups.astype(str) == code
        rows.append(_TargetRow(f"prefecture {code}", cells, float(pop[cells].sum()), share))
    if targets.rural is not None:
        cells = ~inputs.urban
        rows.append(_TargetRow("rural", cells, float(pop[cells].sum()), float(targets.rural)))
    return rows


def check_reachable(prep: _Prepared, rows: list[_TargetRow], *, when: str = "") -> None:
    """Raise :class:`InfeasibleError` when a target is out of reach with every allowed site."""
    inputs = prep.inputs
    # cells with no population left the model, but they count nothing either way
    reach = prep.covered0 | (prep.reduced.cell_demand >= 0)
    records = []
    for row in rows:
        if row.population <= 0:
            continue
        best = float(inputs.population[row.cells & reach].sum()) / row.population
        if best < row.share - _TARGET_TOL:
            records.append(
                {
                    "group": row.label,
                    "target": row.share,
                    "best_share": best,
                    "gap": row.share - best,
                }
            )
    if records:
        table = pd.DataFrame.from_records(records)
        worst = table.iloc[int(np.argmax(table["gap"].to_numpy()))]
        msg = (
            f"{len(records)} target(s){when} cannot be met even with every allowed site built; "
            f"worst: {worst['group']} target {worst['target']:.4g}, best {worst['best_share']:.4g}"
        )
        best_table = group_table(
            inputs.population, inputs.covered_before, reach, inputs.groups, inputs.urban
        )
        raise InfeasibleError(msg, shortfall=table, best=best_table)


def _target_constraints(
    prep: _Prepared, rows: list[_TargetRow], n_var: int, y_offset: int
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Rows ``sum_{k in G} w_k y_k >= need_G`` over ``n_var`` variables (y at ``y_offset``)."""
    red, pop = prep.reduced, prep.inputs.population
    data, cols, row_idx, need = [], [], [], []
    demand_of_cell = red.cell_demand
    for row in rows:
        required = row.share * row.population - float(pop[row.cells & prep.covered0].sum())
        required -= _TARGET_TOL * row.population
        if required <= 0:
            continue
        cells = row.cells & (demand_of_cell >= 0)
        w = np.bincount(demand_of_cell[cells], weights=pop[cells], minlength=red.n_demands)
        nz = np.flatnonzero(w)
        data.append(w[nz])
        cols.append(nz + y_offset)
        row_idx.append(np.full(nz.size, len(need)))
        need.append(required)
    if not need:
        return sp.csr_matrix((0, n_var)), np.zeros(0)
    matrix = sp.csr_matrix(
        (np.concatenate(data), (np.concatenate(row_idx), np.concatenate(cols))),
        shape=(len(need), n_var),
    )
    return matrix, np.asarray(need)


def solve_min_cost(
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
    include, exclude, time_limit_s, seed, workers, engine, rel_gap
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
    )
    rows = _target_rows(prep, targets)
    check_reachable(prep, rows)
    red = prep.reduced
    inc_cost = float(prep.inputs.costs_myen[prep.include].sum())
    n_s, n_d = red.n_sites, red.n_demands
    n_var = n_s + n_d
    tmat, need = _target_constraints(prep, rows, n_var, n_s)
    if need.size == 0:
        return _finish(
            prep,
            np.zeros(0, dtype=np.int64),
            objective=inc_cost,
            best_bound=inc_cost,
            status="OPTIMAL",
            engine="none",
            objective_name="cost [million yen]",
        )
    costs = prep.inputs.costs_myen[red.site_index]
    prob = CoveringProblem(red.matrix, costs, np.zeros(n_d), tmat, need)
    target_w = tmat[:, n_s:]
    incumbent = greedy_min_cost(red.matrix, target_w, need, costs)
    ls_s = min(5.0, 0.1 * time_limit_s)
    incumbent = local_search_min_cost(
        red.matrix, target_w, need, costs, incumbent, time_limit_s=0.5 * ls_s
    )

    def rounding(x: np.ndarray) -> np.ndarray:
        plan = greedy_min_cost(red.matrix, target_w, need, costs, start=np.flatnonzero(x >= 0.5))
        return local_search_min_cost(red.matrix, target_w, need, costs, plan, time_limit_s=ls_s)

    sol = solve_covering(
        prob,
        incumbent,
        rounding=rounding,
        time_limit_s=max(time_limit_s - (time.perf_counter() - prep.started), 0.05),
        engine=name,
        seed=seed,
        workers=workers,
        rel_gap=rel_gap,
    )
    chosen, used = sol.chosen, sol.engine
    left = time_limit_s - (time.perf_counter() - prep.started)
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
    return _finish(
        prep,
        chosen,
        objective=inc_cost + value,
        best_bound=inc_cost + bound,
        status=_status(value, bound, rel_gap),
        engine=used,
        objective_name="cost [million yen]",
        details=sol.details,
    )
