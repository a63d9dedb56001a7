"""Local search on covering plans: add moves and 1-swaps (budgeted), drops and swaps (least cost).

:func:`local_search_max_coverage` improves a budgeted covering plan: add moves
while budget is left, and 1-swaps (drop one chosen site, add the unchosen site
with the best exact gain that fits the freed budget) while one strictly
improves the covered weight. :func:`local_search_min_cost` drops or swaps for a
cheaper site while every target still holds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from denen_gis.optimize import effort

__all__ = ["local_search_max_coverage", "local_search_min_cost"]


@effort.measured("search")
def local_search_max_coverage(
    matrix: sp.csr_matrix,
    weight: np.ndarray,
    costs_myen: np.ndarray,
    budget_myen: float,
    chosen: np.ndarray,
    *,
    covered: np.ndarray | None = None,
    time_limit_s: float = 1.0,
    csc: sp.csc_matrix | None = None,
    accept: Callable[[np.ndarray], bool] | None = None,
) -> tuple[np.ndarray, float]:
    """Improve a budgeted covering plan by add moves and 1-swaps.

    Repeats, while a move strictly raises the covered weight and time is left:
    add the unchosen site with the largest gain that fits the unspent budget;
    else, for each chosen site a (smallest loss first), drop a and add the
    unchosen site b that fits the freed budget and has the largest exact gain
    w.r.t. the plan without a (``gain_b + weight only a covers among b's``).

    Parameters
    ----------
    matrix
        Bool CSR (demands x sites).
    weight
        Weight of each demand (for example population [persons]).
    costs_myen
        Cost per site [million yen]; ``inf`` for a site that must not be added.
    budget_myen
        Budget [million yen].
    chosen
        Starting plan (site indices) within the budget.
    covered
        Demands already covered (they add nothing); default none.
    time_limit_s
        Limit on the model clock (:mod:`denen_gis.optimize.effort`): seconds,
        or work units counted by the matrix entries each move touches.
    csc
        ``matrix`` as CSC, when the caller has it.
    accept
        Extra condition on a swap: called with the bool mask of the plan after
        the swap, a swap is made only when it returns True (for example share
        floors; adding a site never breaks a floor).

    Returns
    -------
    tuple of numpy.ndarray and float
        The improved plan (sorted site indices, within the budget) and the
        weight it newly covers (``covered`` not counted).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=bool))
    >>> local_search_max_coverage(m, np.array([1.0, 5.0, 2.0]), np.ones(3), 1.0, np.array([0]))
    (array([1]), 5.0)
    """
    started = effort.now()
    csr = sp.csr_matrix(matrix)
    csc = sp.csc_matrix(matrix) if csc is None else csc
    costs = np.asarray(costs_myen, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64).copy()
    if covered is not None:
        w[np.asarray(covered, dtype=bool)] = 0.0
    state = _CoverState(csr, csc, w, costs, chosen)
    budget = float(budget_myen)
    fits_tol = 1e-12 * max(abs(budget), 1.0) + 1e-9

    def time_left() -> bool:
        return not effort.out_of_time(started, time_limit_s)

    while time_left():
        tol = 1e-12 * max(float(w[state.count > 0].sum()), 1.0)
        # add: the best gain that fits what is left of the budget
        fits = ~state.is_chosen & (costs <= budget - state.spent + fits_tol) & (state.gain > tol)
        if fits.any():
            cand = np.flatnonzero(fits)
            state.toggle(int(cand[np.argmax(state.gain[cand])]), on=True)
            continue
        # one sweep of 1-swaps over the chosen sites, smallest loss first
        if not state.swap_sweep(budget, fits_tol, tol, time_left, accept):
            break
    plan = np.flatnonzero(state.is_chosen).astype(np.int64)
    return plan, float(w[state.count > 0].sum())


class _CoverState:
    """A budgeted covering plan under improvement: chosen sites, cover counts, spending.

    ``gain[j]`` is the weight that adding site j newly covers, ``loss[j]`` the
    weight that only site j covers; both are kept current by :meth:`toggle`.
    """

    def __init__(
        self,
        csr: sp.csr_matrix,
        csc: sp.csc_matrix,
        w: np.ndarray,
        costs: np.ndarray,
        chosen: np.ndarray,
    ) -> None:
        n_dem, n_sites = csr.shape
        self.csr, self.csc, self.w, self.costs = csr, csc, w, costs
        self.lengths = np.diff(csr.indptr)
        self.is_chosen = np.zeros(n_sites, dtype=bool)
        self.is_chosen[np.asarray(chosen, dtype=np.int64)] = True
        self.count = np.zeros(n_dem, dtype=np.int64)
        np.add.at(
            self.count, csc.indices[_column_positions(csc, np.flatnonzero(self.is_chosen))], 1
        )
        self.spent = float(costs[self.is_chosen].sum())
        self.rescore()

    def rescore(self) -> None:
        effort.charge_nnz(2 * self.csc.nnz)
        self.gain = np.asarray(self.csc.T @ (self.w * (self.count == 0))).ravel()
        self.loss = np.asarray(self.csc.T @ (self.w * (self.count == 1))).ravel()

    def toggle(self, j: int, *, on: bool, rescore: bool = True) -> None:
        csc = self.csc
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        self.count[rows] += 1 if on else -1
        self.is_chosen[j] = on
        self.spent += self.costs[j] if on else -self.costs[j]
        if rescore:
            self.rescore()

    def swap_gain(self, a: int, room: float) -> np.ndarray:
        """Exact gain of adding each site that fits ``room`` to the plan without a."""
        csc, csr = self.csc, self.csr
        rows = csc.indices[csc.indptr[a] : csc.indptr[a + 1]]
        only = rows[self.count[rows] == 1]
        delta = np.where(~self.is_chosen & (self.costs <= room), self.gain, -np.inf)
        if only.size:
            pos = _column_positions(csr, only)
            sizes = self.lengths[only]
            extra = np.bincount(
                csr.indices[pos], weights=np.repeat(self.w[only], sizes), minlength=csr.shape[1]
            )
            delta += extra
        delta[a] = -np.inf
        effort.charge_nnz(self.costs.size + (int(self.lengths[only].sum()) if only.size else 0))
        return delta

    def swap_sweep(
        self,
        budget: float,
        fits_tol: float,
        tol: float,
        time_left: Callable[[], bool],
        accept: Callable[[np.ndarray], bool] | None,
    ) -> bool:
        """One sweep of 1-swaps over the chosen sites, smallest loss first; True if one moved."""
        moved = False
        order = np.flatnonzero(self.is_chosen)
        order = order[np.argsort(self.loss[order], kind="stable")]
        for a in order:
            if not time_left():
                break
            if not self.is_chosen[a]:
                continue
            delta = self.swap_gain(int(a), budget - self.spent + self.costs[a] + fits_tol)
            b = int(np.argmax(delta))
            if delta[b] - self.loss[a] <= tol:
                continue
            if accept is not None:
                trial = self.is_chosen.copy()
                trial[a], trial[b] = False, True
                if not accept(trial):
                    continue
            self.toggle(int(a), on=False, rescore=False)
            self.toggle(b, on=True)
            moved = True
        return moved


def _column_positions(compressed: sp.spmatrix, cols: np.ndarray) -> np.ndarray:
    """Positions in ``indices`` of the entries of the compressed columns (CSC) or rows (CSR)."""
    starts = compressed.indptr[cols]
    sizes = compressed.indptr[cols + 1] - starts
    return np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))


@effort.measured("search")
def local_search_min_cost(
    matrix: sp.csr_matrix,
    target_weight: sp.spmatrix,
    need: np.ndarray,
    costs_myen: np.ndarray,
    chosen: np.ndarray,
    *,
    time_limit_s: float = 1.0,
) -> np.ndarray:
    """Make a plan that meets coverage targets cheaper by drops and 1-swaps.

    Sweeps the chosen sites, dearest first: a site whose removal keeps every
    target met is dropped; else it is swapped for the cheapest cheaper unchosen
    site that restores every target its removal breaks. Repeats while a sweep
    saves money and time is left.

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
    chosen
        A plan that meets every target (site indices).
    time_limit_s
        Limit on the model clock (:mod:`denen_gis.optimize.effort`): seconds,
        or work units counted by the matrix entries each step touches.

    Returns
    -------
    numpy.ndarray
        Sorted site indices, meeting every target, costing at most ``chosen``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1]], dtype=bool))
    >>> local_search_min_cost(m, sp.csr_matrix([[1.0, 1.0]]), np.array([1.0]),
    ...                       np.array([1.0, 5.0, 2.0]), np.array([1]))
    array([0])
    """
    started = effort.now()
    csr = sp.csr_matrix(matrix)
    csc = sp.csc_matrix(matrix)
    a_f = csr.astype(np.float64)
    tw = sp.csr_matrix(target_weight, dtype=np.float64)
    tw_c = tw.tocsc()
    need = np.asarray(need, dtype=np.float64)
    costs = np.asarray(costs_myen, dtype=np.float64)
    n_sites = csr.shape[1]
    tol = 1e-9 * (1 + np.abs(need))
    is_chosen = np.zeros(n_sites, dtype=bool)
    is_chosen[np.asarray(chosen, dtype=np.int64)] = True
    count = np.asarray(a_f @ is_chosen.astype(np.float64)).ravel().astype(np.int64)
    got = np.asarray(tw @ (count > 0).astype(np.float64)).ravel()
    if np.any(got < need - tol):
        return np.flatnonzero(is_chosen).astype(np.int64)

    def gains() -> sp.csr_matrix:
        # targets x sites: weight each site would add to each target
        effort.charge_nnz(a_f.nnz + tw.nnz)
        return (tw @ sp.diags((count == 0).astype(np.float64)) @ a_f).tocsr()

    def toggle(j: int, on: bool) -> None:
        nonlocal got
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        before = count[rows] > 0
        count[rows] += 1 if on else -1
        changed = rows[before != (count[rows] > 0)]
        if changed.size:
            delta = np.asarray(tw_c[:, changed].sum(axis=1)).ravel()
            got = got + delta if on else got - delta
        is_chosen[j] = on

    gain = gains()
    improved = True
    while improved and not effort.out_of_time(started, time_limit_s):
        improved = False
        order = np.flatnonzero(is_chosen)
        order = order[np.argsort(-costs[order], kind="stable")]
        for a in order:
            if effort.out_of_time(started, time_limit_s):
                break
            effort.charge_nnz(n_sites)
            rows = csc.indices[csc.indptr[a] : csc.indptr[a + 1]]
            only = rows[count[rows] == 1]
            loss = (
                np.asarray(tw_c[:, only].sum(axis=1)).ravel() if only.size else np.zeros(need.size)
            )
            short = np.flatnonzero(got - loss < need - tol)
            if short.size == 0:
                toggle(int(a), False)
                gain = gains()
                improved = True
                continue
            # b must restore every short target once a is gone
            back = gain[short].toarray()
            if only.size:
                back += (tw[short][:, only] @ a_f[only]).toarray()
            ok = np.all(back >= (need - got + loss)[short][:, None] - tol[short][:, None], axis=0)
            ok &= ~is_chosen & (costs < costs[a] - 1e-9)
            if not ok.any():
                continue
            cand = np.flatnonzero(ok)
            b = int(cand[np.argmin(costs[cand])])
            toggle(int(a), False)
            toggle(b, True)
            gain = gains()
            improved = True
    return np.flatnonzero(is_chosen).astype(np.int64)
