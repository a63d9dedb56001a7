"""Lazy greedy for budgeted maximal covering, with an a-posteriori bound.

The classical rule (Khuller, Moss & Naor 1999): add the site with the most newly
covered weight per million yen while the budget lasts, then compare with the
best single affordable site and keep the better; this is within (1 - 1/e)/2 of
the optimum. Coverage is submodular, so a site's gain can only fall as sites
are added: a heap of stale gains is re-evaluated lazily, and a site is taken
only when its fresh ratio still beats every stale one (Minoux 1978).

The bound uses submodularity again: for the greedy set S, every solution T
within the budget has f(T) <= f(S) + sum of the marginal gains of T's sites
w.r.t. S, which is at most the fractional knapsack of those gains.

The greedy answer is then improved by a local search
(:func:`~denen_gis.optimize.local_search.local_search_max_coverage`, re-exported
here with :func:`local_search_min_cost`).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from denen_gis.optimize.local_search import local_search_max_coverage, local_search_min_cost

__all__ = [
    "GreedySolution",
    "greedy_bound",
    "greedy_max_coverage",
    "greedy_min_cost",
    "local_search_max_coverage",
    "local_search_min_cost",
]


@dataclass(frozen=True)
class GreedySolution:
    """Greedy answer on a (reduced) model: chosen columns, value and upper bound."""

    chosen: np.ndarray
    value: float
    bound: float
    cost_myen: float


def _ratio(gain: float, cost: float) -> float:
    if cost <= 0:
        return np.inf if gain > 0 else 0.0
    return gain / cost


#: Cost exponents of the extra greedy starts of the local search (ratio gain / cost**alpha).
COST_EXPONENTS: tuple[float, ...] = (0.75,)


def _lazy_greedy(
    csc: sp.csc_matrix,
    weight: np.ndarray,
    costs: np.ndarray,
    budget: float,
    start_cov: np.ndarray,
    gains0: np.ndarray,
    alpha: float,
) -> tuple[list[int], np.ndarray, float]:
    """Lazy greedy on the ratio ``gain / cost**alpha``: chosen sites, covered mask, spent."""
    cov = start_cov.copy()
    scaled = costs**alpha if alpha != 1.0 else costs
    heap = [(-_ratio(gains0[j], scaled[j]), int(j)) for j in np.flatnonzero(gains0 > 0)]
    heapq.heapify(heap)
    chosen: list[int] = []
    spent = 0.0
    eps = 1e-12
    while heap:
        _, j = heapq.heappop(heap)
        if costs[j] > budget - spent + eps:
            continue  # the budget only shrinks, so this site never fits again
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        gain = float(weight[rows][~cov[rows]].sum())
        if gain <= 0:
            continue
        ratio = _ratio(gain, scaled[j])
        if heap and ratio < -heap[0][0] * (1 - 1e-12):
            heapq.heappush(heap, (-ratio, j))
            continue
        chosen.append(j)
        spent += costs[j]
        cov[rows] = True
    return chosen, cov, spent


def greedy_bound(
    matrix_csc: sp.csc_matrix,
    weight: np.ndarray,
    costs_myen: np.ndarray,
    budget_myen: float,
    covered: np.ndarray,
) -> float:
    """Upper bound on the best value within ``budget_myen`` given the cells ``covered`` now."""
    left = weight * ~covered
    value = float(weight[covered].sum())
    gains = np.asarray(matrix_csc.T @ left).ravel()
    free = (costs_myen <= 0) & (gains > 0)
    extra = float(gains[free].sum())
    paid = np.flatnonzero(~free & (gains > 0))
    order = paid[np.argsort(-gains[paid] / costs_myen[paid], kind="stable")]
    cum = np.cumsum(costs_myen[order])
    full = cum <= budget_myen
    extra += float(gains[order[full]].sum())
    n_full = int(full.sum())
    if n_full < order.size:
        j = order[n_full]
        room = budget_myen - (cum[n_full - 1] if n_full else 0.0)
        extra += float(gains[j]) * max(room, 0.0) / float(costs_myen[j])
    return min(value + extra, float(weight.sum()))


def greedy_max_coverage(
    matrix: sp.csr_matrix,
    weight: np.ndarray,
    costs_myen: np.ndarray,
    budget_myen: float,
    *,
    covered: np.ndarray | None = None,
    local_search: bool = True,
    time_limit_s: float = 1.0,
) -> GreedySolution:
    """Budgeted maximal covering by lazy greedy, then a swap local search.

    Parameters
    ----------
    matrix
        Bool CSR (demands x sites).
    weight
        Weight of each demand (for example population [persons]).
    costs_myen
        Cost per site [million yen].
    budget_myen
        Budget [million yen].
    covered
        Demands already covered (they add nothing); default none.
    local_search
        Improve the greedy answer with :func:`local_search_max_coverage`.
    time_limit_s
        Wall-clock limit of the local search [s].

    Returns
    -------
    GreedySolution
        Chosen columns (sorted), covered weight (including ``covered``), and an
        upper bound on the optimum.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]], dtype=bool))
    >>> greedy_max_coverage(m, np.array([5.0, 1.0, 2.0]), np.array([1.0, 1.0]), 1.0).chosen
    array([0])
    """
    n_dem = matrix.shape[0]
    csc = sp.csc_matrix(matrix)
    weight = np.asarray(weight, dtype=np.float64)
    costs = np.asarray(costs_myen, dtype=np.float64)
    cov = np.zeros(n_dem, dtype=bool) if covered is None else np.array(covered, dtype=bool)
    start_cov = cov.copy()
    gains0 = np.asarray(csc.T @ (weight * ~cov)).ravel()
    eps = 1e-12
    chosen, cov, spent = _lazy_greedy(csc, weight, costs, budget_myen, start_cov, gains0, 1.0)
    value = float(weight[cov].sum())
    base = float(weight[start_cov].sum())
    affordable = np.flatnonzero(costs <= budget_myen + eps)
    if affordable.size:
        best = affordable[np.argmax(gains0[affordable])]
        if base + gains0[best] > value:
            chosen = [int(best)]
            cov = start_cov.copy()
            cov[csc.indices[csc.indptr[best] : csc.indptr[best + 1]]] = True
            value = float(weight[cov].sum())
            spent = float(costs[best])
    if local_search and chosen:
        # swaps from the classic greedy and from greedies whose ratio divides by
        # cost ** alpha (alpha < 1 favours larger sites); keep the best
        starts = [np.asarray(chosen, dtype=np.int64)]
        for alpha in COST_EXPONENTS:
            starts.append(
                np.asarray(
                    _lazy_greedy(csc, weight, costs, budget_myen, start_cov, gains0, alpha)[0],
                    dtype=np.int64,
                )
            )
        value_ls, chosen_ls = -np.inf, starts[0]
        for plan in starts:
            plan_ls, plan_value = local_search_max_coverage(
                matrix,
                weight,
                costs,
                budget_myen,
                plan,
                covered=start_cov,
                time_limit_s=time_limit_s / len(starts),
                csc=csc,
            )
            if plan_value > value_ls:
                value_ls, chosen_ls = plan_value, plan_ls
        value_ls += float(weight[start_cov].sum())
        if value_ls > value:
            chosen = chosen_ls.tolist()
            cov = start_cov.copy()
            x = np.zeros(costs.size)
            x[chosen_ls] = 1.0
            cov |= (matrix @ x) > 0
            value = float(weight[cov].sum())
            spent = float(costs[chosen_ls].sum())
    bound = min(
        greedy_bound(csc, weight, costs, budget_myen, start_cov),
        greedy_bound(csc, weight, costs, budget_myen, cov),
    )
    chosen_arr = np.array(sorted(chosen), dtype=np.int64)
    return GreedySolution(chosen_arr, value, max(bound, value), spent)


def greedy_min_cost(
    matrix: sp.csr_matrix,
    target_weight: sp.spmatrix,
    need: np.ndarray,
    costs_myen: np.ndarray,
    *,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Cheap sites that meet coverage targets: ratio greedy, then reverse delete.

    Adds the site with the most not-yet-covered target weight (summed over the
    targets still unmet) per million yen until every target is met (lazy, as
    the gains only fall), then drops chosen sites, dearest first, whose removal
    keeps every target met.

    Parameters
    ----------
    matrix
        Bool CSR (demands x sites).
    target_weight
        (targets x demands): weight [persons] a covered demand adds to each target.
    need
        Weight each target needs [persons].
    costs_myen
        Cost per site [million yen].
    start
        Sites taken first (for example an LP solution rounded); the greedy
        completes them and the reverse delete may drop them again.

    Returns
    -------
    numpy.ndarray
        Sorted site indices meeting every target (all useful sites when the
        targets cannot be met).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[1, 0], [0, 1]], dtype=bool))
    >>> greedy_min_cost(m, sp.csr_matrix([[6.0, 4.0]]), np.array([4.0]), np.array([3.0, 1.0]))
    array([1])
    """
    csc = sp.csc_matrix(matrix)
    tw_t = sp.csr_matrix(target_weight, dtype=np.float64).T.tocsr()  # demands x targets
    tw = tw_t.T.tocsr()
    need = np.asarray(need, dtype=np.float64)
    costs = np.asarray(costs_myen, dtype=np.float64)
    n_dem, n_sites = matrix.shape
    got = np.zeros(need.size)
    tol = 1e-9 * (1 + np.abs(need))
    unmet = got < need - tol
    wd = np.asarray(tw_t @ unmet.astype(np.float64)).ravel()
    cov = np.zeros(n_dem, dtype=bool)
    chosen: list[int] = []
    if start is not None and len(start):
        chosen = sorted({int(j) for j in np.asarray(start, dtype=np.int64)})
        x = np.zeros(n_sites)
        x[chosen] = 1.0
        cov = np.asarray(matrix.astype(np.float64) @ x).ravel() > 0
        got = np.asarray(tw @ cov.astype(np.float64)).ravel()
        unmet = got < need - tol
        wd = np.asarray(tw_t @ unmet.astype(np.float64)).ravel()
    gains0 = np.asarray(csc.T @ (wd * ~cov)).ravel()
    heap = [(-_ratio(gains0[j], costs[j]), int(j)) for j in np.flatnonzero(gains0 > 0)]
    heapq.heapify(heap)
    while heap and unmet.any():
        _, j = heapq.heappop(heap)
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        new = rows[~cov[rows]]
        gain = float(wd[new].sum())
        if gain <= 0:
            continue
        ratio = _ratio(gain, costs[j])
        if heap and ratio < -heap[0][0] * (1 - 1e-12):
            heapq.heappush(heap, (-ratio, j))
            continue
        chosen.append(j)
        cov[new] = True
        got += np.asarray(tw_t[new].sum(axis=0)).ravel()
        now = got < need - tol
        if not np.array_equal(now, unmet):
            unmet = now
            wd = np.asarray(tw_t @ unmet.astype(np.float64)).ravel()
    if unmet.any():
        return np.flatnonzero(np.diff(csc.indptr) > 0).astype(np.int64)
    # reverse delete: dearest first, keep the targets met
    x = np.zeros(n_sites)
    x[chosen] = 1.0
    count = np.asarray(matrix.astype(np.float64) @ x).ravel()
    keep = set(chosen)
    for j in sorted(chosen, key=lambda s: (-costs[s], s)):
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        lost = rows[count[rows] == 1]
        loss = np.asarray(tw_t[lost].sum(axis=0)).ravel() if lost.size else np.zeros(need.size)
        if np.all(got - loss >= need - tol):
            got -= loss
            count[rows] -= 1
            keep.discard(j)
    return np.array(sorted(keep), dtype=np.int64)
