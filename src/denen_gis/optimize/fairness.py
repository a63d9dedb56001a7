"""Max-min fairness: raise the worst-covered prefecture (or the rural share) first.

Lexicographic, in two MIPs over the same constraints: stage 1 maximises the
worst group's coverage share t within the budget; stage 2 holds
``t >= t* - tolerance`` and maximises the people newly covered with what is
left. Stage 2 is a covering model with share floors, so it runs through
:func:`~denen_gis.optimize._lp.solve_covering` (PDLP bound, then a MIP on the
sites that matter), started from stage 1's answer. See ``docs/optimization.md``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp

from denen_gis.errors import InputError
from denen_gis.optimize._lp import CoveringProblem, solve_covering
from denen_gis.optimize._mip import solve_mip
from denen_gis.optimize.coverage_models import (
    _check_time,
    _covered_weight,
    _covering_rows,
    _finish,
    _hint,
    _pick,
    _prepare,
    _resolve_engine,
    _status,
)
from denen_gis.optimize.greedy import greedy_max_coverage
from denen_gis.optimize.result import SiteSelectionResult

__all__ = ["solve_max_min_fairness"]


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
    name = _resolve_engine(engine)
    if name == "GREEDY":
        msg = "engine='greedy' solves only solve_max_coverage; use 'auto' here"
        raise InputError(msg)
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

    greedy = greedy_max_coverage(red.matrix, red.weight, costs, prep.budget_left)
    hint = np.concatenate([_hint(red.matrix, greedy.chosen, n_s), [min_share(greedy.chosen)]])
    integer = np.arange(n_var) < n_s
    common = dict(
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
    stage1 = solve_mip(
        matrix,
        var_lb=np.zeros(n_var),
        objective=np.eye(1, n_var, n_var - 1).ravel(),
        hint=hint,
        time_limit_s=max(time_limit_s / 2, 0.05),
        **common,
    )
    first, t_star, t_bound, status1, _ = _pick(
        stage1, greedy.chosen, min_share(greedy.chosen), n_s, maximize=True
    )
    t_star = min_share(first)
    # stage 2 is a covering model with share floors: LP bound (PDLP) + restricted MIP
    floor = max(t_star - float(tolerance), 0.0)
    s_data, s_cols, s_rows = [-costs], [np.arange(n_s)], [np.zeros(n_s)]
    s_rhs = [-prep.budget_left]
    for const, w in consts:
        if floor - const <= 0:
            continue
        nz = np.flatnonzero(w)
        s_data.append(w[nz])
        s_cols.append(n_s + nz)
        s_rows.append(np.full(nz.size, len(s_rhs)))
        s_rhs.append(floor - const)
    side = sp.csr_matrix(
        (np.concatenate(s_data), (np.concatenate(s_rows), np.concatenate(s_cols))),
        shape=(len(s_rhs), n_s + n_d),
    )
    prob = CoveringProblem(red.matrix, np.zeros(n_s), -red.weight, side, np.asarray(s_rhs))
    stage2 = solve_covering(
        prob,
        first,
        time_limit_s=max(time_limit_s - (time.perf_counter() - prep.started), 0.05),
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
        "min_share_bound": t_bound if math.isfinite(t_bound) else 1.0,
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
