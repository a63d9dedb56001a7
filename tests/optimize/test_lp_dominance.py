"""Brute-force checks of dominance reduction, the Lagrangian/LP bound and the min-cost greedy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from denen_gis.optimize._lp import CoveringProblem, lagrangian_bound, lp_bound, solve_covering
from denen_gis.optimize.coverage_models import solve_max_coverage, solve_min_cost
from denen_gis.optimize.greedy import greedy_min_cost
from denen_gis.optimize.reduce import dominated_sites
from denen_gis.optimize.targets import Targets

TOL = 1e-6


def random_case(seed: int, n_cells: int = 9, n_sites: int = 7, density: float = 0.35):
    rng = np.random.default_rng(seed)
    dense = rng.random((n_cells, n_sites)) < density
    # duplicate and shrink some columns so that dominance actually occurs
    dense[:, 1] = dense[:, 0]
    dense[:, 2] = dense[:, 3] & (rng.random(n_cells) < 0.6)
    pop = rng.integers(0, 30, n_cells).astype(float)
    costs = rng.choice([1.0, 2.0, 3.0], n_sites)
    groups = np.array(["01", "02", "03"])[rng.integers(0, 3, n_cells)]
    return sp.csr_matrix(dense), pop, costs, groups


def brute_min_cost(cov, costs, feasible) -> float:
    n = cov.shape[1]
    best = np.inf
    for r in range(n + 1):
        for combo in itertools.combinations(range(n), r):
            c = float(costs[list(combo)].sum())
            if c < best and feasible(np.array(combo, dtype=np.int64)):
                best = c
    return best


def brute_max(cov, pop, costs, budget) -> float:
    dense = cov.toarray()
    n = cov.shape[1]
    best = 0.0
    for r in range(n + 1):
        for combo in itertools.combinations(range(n), r):
            if costs[list(combo)].sum() <= budget + 1e-9:
                best = max(best, float(pop[dense[:, list(combo)].any(axis=1)].sum()))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_dominated_sites_match_pairwise_definition(seed):
    cov, _, costs, _ = random_case(seed)
    dense = cov.toarray()
    flagged = dominated_sites(cov, costs)
    n = dense.shape[1]
    for a in range(n):
        size_a = dense[:, a].sum()
        expect = False
        for b in range(n):
            if b == a or size_a == 0:
                continue
            subset = not (dense[:, a] & ~dense[:, b]).any()
            if not subset:
                continue
            tie = costs[b] == costs[a] and (dense[:, b].sum() > size_a or b < a)
            expect |= costs[b] < costs[a] or tie
        assert flagged[a] == expect, a


@pytest.mark.parametrize("seed", range(6))
def test_dominance_keeps_the_max_coverage_optimum(seed):
    cov, pop, costs, groups = random_case(seed)
    res = solve_max_coverage(cov, pop, costs, budget_myen=4.0, groups=groups, time_limit_s=5)
    assert res.objective == pytest.approx(brute_max(cov, pop, costs, 4.0))
    assert res.best_bound >= res.objective - TOL
    assert res.size_after.sites <= res.size_before.sites


def _min_cost_problem(cov, pop, costs, share):
    """Least cost to cover ``share`` of the population (no reduction)."""
    n_d, n_s = cov.shape
    need = share * pop.sum()
    side = sp.csr_matrix(np.concatenate([np.zeros(n_s), pop])[None, :])
    return CoveringProblem(cov, costs, np.zeros(n_d), side, np.array([need]))


@pytest.mark.parametrize("seed", range(8))
def test_lagrangian_bound_is_below_the_min_cost_optimum_for_any_multipliers(seed):
    cov, pop, costs, _ = random_case(seed)
    prob = _min_cost_problem(cov, pop, costs, 0.6)
    opt = brute_min_cost(cov, costs, prob.feasible)
    rng = np.random.default_rng(seed)
    for _ in range(20):
        u = rng.exponential(1.0, cov.shape[0]) * rng.random()
        lam = rng.exponential(0.2, 1)
        bound, rc = lagrangian_bound(prob, u, lam)
        assert bound <= opt + TOL
        assert rc.shape == (cov.shape[1],)


@pytest.mark.parametrize("seed", range(8))
def test_lagrangian_bound_is_above_the_max_coverage_optimum(seed):
    cov, pop, costs, _ = random_case(seed)
    budget = 3.0
    n_d, n_s = cov.shape
    side = sp.csr_matrix(np.concatenate([-costs, np.zeros(n_d)])[None, :])
    prob = CoveringProblem(cov, np.zeros(n_s), -pop, side, np.array([-budget]))
    opt = brute_max(cov, pop, costs, budget)
    rng = np.random.default_rng(100 + seed)
    for _ in range(20):
        u = rng.uniform(0, 30, n_d)
        lam = rng.uniform(0, 10, 1)
        bound, _ = lagrangian_bound(prob, u, lam)
        assert -bound >= opt - TOL


@pytest.mark.parametrize("seed", range(5))
def test_lp_bound_equals_the_lp_relaxation(seed):
    cov, pop, costs, _ = random_case(seed, n_cells=30, n_sites=12)
    prob = _min_cost_problem(cov, pop, costs, 0.7)
    n_d = cov.shape[0]
    a_ub = sp.vstack([sp.hstack([-cov.astype(float), sp.identity(n_d)]), -prob.side], format="csr")
    ref = linprog(
        np.concatenate([costs, np.zeros(n_d)]),
        A_ub=a_ub,
        b_ub=np.concatenate([np.zeros(n_d), -prob.side_rhs]),
        bounds=(0, 1),
        method="highs",
    )
    lp = lp_bound(prob, time_limit_s=10, eps=1e-6)
    assert lp.bound <= ref.fun + TOL
    assert lp.bound == pytest.approx(ref.fun, rel=1e-3, abs=1e-3)


@pytest.mark.parametrize("seed", range(8))
def test_greedy_min_cost_meets_targets_and_solve_covering_is_exact(seed):
    cov, pop, costs, _ = random_case(seed)
    prob = _min_cost_problem(cov, pop, costs, 0.5)
    opt = brute_min_cost(cov, costs, prob.feasible)
    chosen = greedy_min_cost(cov, prob.side[:, cov.shape[1] :], prob.side_rhs, costs)
    assert prob.feasible(chosen)
    assert prob.value(chosen) >= opt - TOL
    sol = solve_covering(prob, chosen, time_limit_s=5)
    assert prob.feasible(sol.chosen)
    assert sol.value == pytest.approx(opt)
    assert sol.bound <= opt + TOL


@pytest.mark.parametrize("seed", range(6))
def test_min_cost_with_prefecture_floors_matches_brute_force(seed):
    cov, pop, costs, groups = random_case(seed, n_cells=10, n_sites=8)
    targets = Targets(national=0.5, per_prefecture=0.3)
    dense = cov.toarray()

    def ok(chosen: np.ndarray) -> bool:
        cov_after = dense[:, chosen].any(axis=1) if chosen.size else np.zeros(len(pop), bool)
        if pop[cov_after].sum() < 0.5 * pop.sum() - 1e-9:
            return False
        for g in np.unique(groups):
            m = groups == g
            if pop[m & cov_after].sum() < 0.3 * pop[m].sum() - 1e-9:
                return False
        return True

    if not ok(np.arange(dense.shape[1])):
        pytest.skip("targets out of reach for this draw")
    res = solve_min_cost(cov, pop, costs, targets=targets, groups=groups, time_limit_s=5)
    opt = brute_min_cost(cov, costs, ok)
    assert res.objective == pytest.approx(opt)
    assert res.best_bound <= opt + TOL
    assert ok(res.chosen)
