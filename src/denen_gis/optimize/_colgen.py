"""LP bound by column generation, then a MIP on the sites that can matter.

Every covering model here has the form (written as a minimisation)

    min  c_x . x + c_y . y   s.t.  y_k <= sum_{j covers k} x_j,   S [x; y] >= h,
         0 <= x, y <= 1, x integer

(budgeted coverage: ``c_y = -w`` and the budget row ``-c . x >= -B``; least
cost: ``c_x = cost`` and one target row per group). Dualising the covering rows
with ``u >= 0`` and the side rows with ``lam >= 0`` gives, for *any* such
multipliers, the proven lower bound

    L(u, lam) = h . lam + sum_j min(0, rc_x_j) + sum_k min(0, rc_y_k),
    rc_x = c_x - A^T u - (S^T lam)_x,   rc_y = c_y + u - (S^T lam)_y,

which equals the LP optimum at the LP's duals. The LP is solved on a few
columns (sites) at a time with HiGHS (``scipy.optimize.linprog``); the duals
price all other sites (one sparse product), the most negative reduced costs
join, until none is negative. The bound is always computed by the formula
above, so it is valid whatever the LP engine returns.

A feasible solution ``v`` that builds a site ``j`` costs at least
``L + rc_x_j`` (its Lagrangian value), so a site with ``rc_x_j >= UB - L`` can
be left out without losing any solution better than the incumbent ``UB``.
The MIP is solved on the sites with the smallest reduced costs (and the
incumbent's and the LP's support); when every left-out site passes that test,
the MIP's own bound is valid for the whole model, else the LP bound is used.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from denen_gis.optimize._mip import solve_mip

__all__ = ["CoveringProblem", "CoveringSolution", "LPBound", "lagrangian_bound", "lp_bound"]

log = logging.getLogger(__name__)

#: Largest number of sites handed to the restricted MIP.
MIP_SITES_CAP = 6000


@dataclass(frozen=True)
class CoveringProblem:
    """A covering model in minimisation form over variables ``[x (sites), y (demands)]``."""

    matrix: sp.csr_matrix
    cost_x: np.ndarray
    cost_y: np.ndarray
    side: sp.csr_matrix
    side_rhs: np.ndarray

    @property
    def n_sites(self) -> int:
        return int(self.matrix.shape[1])

    @property
    def n_demands(self) -> int:
        return int(self.matrix.shape[0])

    def value(self, chosen: np.ndarray) -> float:
        """Objective of building ``chosen`` (each covered demand takes its best y)."""
        x = np.zeros(self.n_sites)
        x[np.asarray(chosen, dtype=np.int64)] = 1.0
        covered = (self.matrix @ x) > 0
        return float(self.cost_x @ x + np.minimum(self.cost_y, 0.0)[covered].sum())

    def feasible(self, chosen: np.ndarray) -> bool:
        """Whether building ``chosen`` (all covered demands at y = 1) meets the side rows."""
        x = np.zeros(self.n_sites)
        x[np.asarray(chosen, dtype=np.int64)] = 1.0
        y = ((self.matrix @ x) > 0).astype(np.float64)
        lhs = self.side @ np.concatenate([x, y])
        return bool(np.all(lhs >= self.side_rhs - 1e-9 * (1 + np.abs(self.side_rhs))))


def lagrangian_bound(
    prob: CoveringProblem, u: np.ndarray, lam: np.ndarray
) -> tuple[float, np.ndarray]:
    """Lower bound ``L(u, lam)`` (multipliers clipped at 0) and the sites' reduced costs."""
    u = np.maximum(np.asarray(u, dtype=np.float64), 0.0)
    lam = np.maximum(np.asarray(lam, dtype=np.float64), 0.0)
    n_s = prob.n_sites
    g = np.asarray(prob.side.T @ lam).ravel() if lam.size else np.zeros(n_s + prob.n_demands)
    rc_x = prob.cost_x - np.asarray(prob.matrix.T @ u).ravel() - g[:n_s]
    rc_y = prob.cost_y + u - g[n_s:]
    bound = float(prob.side_rhs @ lam) + float(np.minimum(rc_x, 0).sum())
    return bound + float(np.minimum(rc_y, 0).sum()), rc_x


@dataclass(frozen=True)
class LPBound:
    """Outcome of the column generation."""

    bound: float
    lp_value: float
    x: np.ndarray
    rc_x: np.ndarray
    rounds: int
    columns: int
    converged: bool
    seconds: float


def _restricted_lp(
    prob: CoveringProblem, sites: np.ndarray, time_limit_s: float
) -> tuple[object, np.ndarray]:
    a = prob.matrix[:, sites]
    dem = np.flatnonzero(np.diff(a.indptr) > 0)
    a = a[dem].astype(np.float64)
    n_r, n_dr = sites.size, dem.size
    cover = sp.hstack([-a, sp.identity(n_dr, format="csr")], format="csr")
    cols = np.concatenate([sites, prob.n_sites + dem])
    side = -prob.side[:, cols]
    a_ub = sp.vstack([cover, side], format="csr")
    b_ub = np.concatenate([np.zeros(n_dr), -prob.side_rhs])
    c = np.concatenate([prob.cost_x[sites], prob.cost_y[dem]])
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub,
        bounds=(0, 1),
        method="highs",
        options={"time_limit": max(time_limit_s, 0.1)},
    )
    del n_r
    return res, dem


def lp_bound(
    prob: CoveringProblem, start: np.ndarray, *, time_limit_s: float, tol: float = 1e-9
) -> LPBound:
    """LP bound of ``prob`` by column generation from the sites ``start``.

    Parameters
    ----------
    prob
        The model.
    start
        Site indices of the first restricted LP; for models with ``>=`` target
        rows they must admit a feasible LP (a feasible incumbent's sites do).
    time_limit_s
        Wall-clock limit [s]; the best bound so far is returned when it runs out.
    tol
        Reduced cost below ``-tol * max|c_x|`` prices a site in.
    """
    started = time.perf_counter()
    n_s = prob.n_sites
    in_lp = np.zeros(n_s, dtype=bool)
    in_lp[np.asarray(start, dtype=np.int64)] = True
    scale = max(float(np.abs(prob.cost_x).max(initial=0.0)), 1e-12)
    best = -math.inf
    best_rc = prob.cost_x.astype(np.float64).copy()
    x_full = np.zeros(n_s)
    lp_value = math.inf
    rounds, converged = 0, False
    while True:
        left = time_limit_s - (time.perf_counter() - started)
        if left <= 0.05:
            break
        sites = np.flatnonzero(in_lp)
        res, dem = _restricted_lp(prob, sites, left)
        rounds += 1
        if res.status != 0 or res.x is None:
            if res.status == 2 and not in_lp.all():  # infeasible: use every site
                in_lp[:] = True
                continue
            log.debug("restricted LP stopped: %s", res.message)
            break
        n_dr = dem.size
        marg = -np.asarray(res.ineqlin.marginals)
        lam = np.maximum(marg[n_dr:], 0.0)
        g = np.asarray(prob.side.T @ lam).ravel() if lam.size else np.zeros(n_s + prob.n_demands)
        # demands outside the restricted LP: the smallest u that keeps rc_y >= 0
        u = np.maximum(g[n_s:] - prob.cost_y, 0.0)
        u[dem] = np.maximum(marg[:n_dr], 0.0)
        bound, rc_x = lagrangian_bound(prob, u, lam)
        if bound > best:
            best, best_rc = bound, rc_x
        x_full = np.zeros(n_s)
        x_full[sites] = res.x[: sites.size]
        lp_value = float(res.fun)
        price = np.flatnonzero(~in_lp & (rc_x < -tol * scale))
        log.debug(
            "column generation round %d: %d columns, LP %.6g, bound %.6g, %d priced in",
            rounds,
            sites.size,
            lp_value,
            bound,
            price.size,
        )
        if price.size == 0:
            converged = True
            break
        take = price[np.argsort(rc_x[price], kind="stable")[: max(500, sites.size)]]
        in_lp[take] = True
    return LPBound(
        best,
        lp_value,
        x_full,
        best_rc,
        rounds,
        int(in_lp.sum()),
        converged,
        time.perf_counter() - started,
    )


@dataclass(frozen=True)
class CoveringSolution:
    """Chosen sites, their objective and a proven lower bound (minimisation form)."""

    chosen: np.ndarray
    value: float
    bound: float
    engine: str
    details: dict


def solve_covering(
    prob: CoveringProblem,
    incumbent: np.ndarray,
    *,
    time_limit_s: float,
    engine: str = "SCIP",
    seed: int = 0,
    workers: int = 1,
    rel_gap: float = 1e-4,
    lp_share: float = 0.5,
) -> CoveringSolution:
    """Column-generation LP bound, then a MIP on the sites with small reduced cost.

    Parameters
    ----------
    prob
        The model (minimisation form).
    incumbent
        A feasible solution (site indices); it is the MIP's hint and the answer
        when nothing better is found.
    time_limit_s
        Wall-clock limit of the whole call [s].
    engine, seed, workers, rel_gap
        Passed to :func:`~denen_gis.optimize._mip.solve_mip`.
    lp_share
        Share of the time the column generation may use.
    """
    started = time.perf_counter()
    incumbent = np.asarray(incumbent, dtype=np.int64)
    ub = prob.value(incumbent)
    lp = lp_bound(prob, incumbent, time_limit_s=lp_share * time_limit_s)
    lb = lp.bound
    details = {
        "lp_bound": lb,
        "lp_rounds": lp.rounds,
        "lp_columns": lp.columns,
        "lp_converged": lp.converged,
        "lp_s": round(lp.seconds, 3),
        "incumbent_start": ub,
    }

    def close(value: float, bound: float) -> bool:
        return value - bound <= rel_gap * max(abs(value), 1e-9)

    if not math.isfinite(lb) or close(ub, lb):
        return CoveringSolution(incumbent, ub, lb, "greedy", details)
    rc = lp.rc_x
    order = np.argsort(rc, kind="stable")
    keep = np.zeros(prob.n_sites, dtype=bool)
    keep[incumbent] = True
    keep[lp.x > 1e-6] = True
    room = max(MIP_SITES_CAP - int(keep.sum()), 0)
    cand = order[~keep[order]]
    keep[cand[:room]] = True
    left_out = ~keep
    whole = not left_out.any() or float(rc[left_out].min()) >= ub - lb
    sites = np.flatnonzero(keep)
    a = prob.matrix[:, sites]
    dem = np.flatnonzero(np.diff(a.indptr) > 0)
    a = a[dem].astype(np.float64)
    n_r, n_dr = sites.size, dem.size
    cover = sp.hstack([-a, sp.identity(n_dr, format="csr")], format="csr")
    cols = np.concatenate([sites, prob.n_sites + dem])
    matrix = sp.vstack([cover, prob.side[:, cols]], format="csr")
    n_side = prob.side_rhs.size
    x0 = np.isin(sites, incumbent).astype(np.float64)
    y0 = ((a @ x0) > 0).astype(np.float64)
    left = time_limit_s - (time.perf_counter() - started)
    details.update({"mip_sites": int(n_r), "mip_demands": int(n_dr), "mip_bound_global": whole})
    if left < 0.5:
        return CoveringSolution(incumbent, ub, lb, "greedy", details)
    sol = solve_mip(
        matrix,
        row_lb=np.concatenate([np.full(n_dr, -np.inf), prob.side_rhs]),
        row_ub=np.concatenate([np.zeros(n_dr), np.full(n_side, np.inf)]),
        var_lb=np.zeros(n_r + n_dr),
        var_ub=np.ones(n_r + n_dr),
        objective=np.concatenate([prob.cost_x[sites], prob.cost_y[dem]]),
        integer=np.arange(n_r + n_dr) < n_r,
        maximize=False,
        hint=np.concatenate([x0, y0]),
        engine=engine,
        time_limit_s=left,
        seed=seed,
        workers=workers,
        rel_gap=rel_gap,
    )
    chosen, value, used = incumbent, ub, "greedy"
    if sol.values is not None:
        cand_chosen = sites[sol.values[:n_r] > 0.5]
        cand_value = prob.value(cand_chosen)
        if cand_value < value and prob.feasible(cand_chosen):
            chosen, value, used = cand_chosen, cand_value, sol.engine
    bound = lb
    if whole and math.isfinite(sol.best_bound):
        bound = max(lb, min(sol.best_bound, value))
    details["mip_status"] = sol.status
    return CoveringSolution(np.sort(chosen), value, min(bound, value), used, details)
