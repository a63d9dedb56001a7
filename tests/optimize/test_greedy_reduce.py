"""Lazy greedy guarantee and bound; reduction is exact and preserves the optimum."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from denen_gis.optimize import greedy_max_coverage, reduce_coverage, solve_max_coverage
from denen_gis.optimize.covering import prepare_covering


def random_case(seed: int, n_cells: int = 40, n_sites: int = 9, density: float = 0.2):
    rng = np.random.default_rng(seed)
    dense = rng.random((n_cells, n_sites)) < density
    dense[: n_cells // 3] = dense[n_cells // 3 : 2 * (n_cells // 3)]
    weight = rng.integers(0, 30, n_cells).astype(float)
    costs = rng.integers(1, 8, n_sites).astype(float)
    return dense, weight, costs


def brute(dense, weight, costs, budget):
    n = dense.shape[1]
    best = 0.0
    for r in range(n + 1):
        for combo in itertools.combinations(range(n), r):
            if costs[list(combo)].sum() <= budget + 1e-9:
                best = max(best, float(weight[dense[:, list(combo)].any(axis=1)].sum()))
    return best


GUARANTEE = (1 - 1 / math.e) / 2


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), budget=st.floats(1, 25))
def test_greedy_within_guarantee_and_bound_valid(seed, budget):
    dense, weight, costs = random_case(seed)
    res = greedy_max_coverage(sp.csr_matrix(dense), weight, costs, budget)
    opt = brute(dense, weight, costs, budget)
    assert costs[res.chosen].sum() <= budget + 1e-9
    assert res.value == pytest.approx(weight[dense[:, res.chosen].any(axis=1)].sum())
    assert res.value >= GUARANTEE * opt - 1e-9
    assert res.bound >= opt - 1e-9


def test_greedy_takes_best_single_site_when_ratio_misleads():
    # site 0: ratio 2 but small; site 1: ratio 1 and worth 10 with the budget of 10
    dense = np.array([[1, 0], [0, 1]], dtype=bool)
    weight = np.array([2.0, 10.0])
    costs = np.array([1.0, 10.0])
    res = greedy_max_coverage(sp.csr_matrix(dense), weight, costs, 10.0)
    assert res.chosen.tolist() == [1]
    assert res.value == 10.0


def test_greedy_respects_already_covered():
    dense = np.array([[1, 0], [1, 0], [0, 1]], dtype=bool)
    weight = np.array([5.0, 5.0, 3.0])
    res = greedy_max_coverage(
        sp.csr_matrix(dense),
        weight,
        np.ones(2),
        1.0,
        covered=np.array([True, True, False]),
    )
    assert res.chosen.tolist() == [1]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_reduce_merges_only_identical_sets_in_same_group(seed):
    rng = np.random.default_rng(seed)
    dense, weight, _ = random_case(seed, n_cells=50, n_sites=6, density=0.3)
    groups = rng.integers(0, 2, dense.shape[0])
    urban = rng.random(dense.shape[0]) < 0.5
    before = rng.random(dense.shape[0]) < 0.2
    allowed = rng.random(dense.shape[1]) < 0.8
    red = reduce_coverage(
        sp.csr_matrix(dense),
        weight,
        covered_before=before,
        allowed_sites=allowed,
        group_codes=groups,
        urban=urban,
    )
    kept = red.cell_demand >= 0
    sub = dense[:, red.site_index]
    # dropped cells: already covered, empty, or covered by no allowed site
    expected_kept = ~before & (weight > 0) & dense[:, allowed].any(axis=1)
    np.testing.assert_array_equal(kept, expected_kept)
    demand_rows = red.matrix.toarray()
    for i in np.flatnonzero(kept):
        k = red.cell_demand[i]
        np.testing.assert_array_equal(demand_rows[k], sub[i])
        assert red.demand_group[k] == groups[i] and red.demand_urban[k] == urban[i]
    np.testing.assert_allclose(red.weight.sum(), weight[kept].sum())
    # no two demands share a set and a group
    keys = {
        (tuple(r), g, u)
        for r, g, u in zip(demand_rows, red.demand_group, red.demand_urban, strict=True)
    }
    assert len(keys) == red.n_demands
    assert red.size_after.cells == red.n_demands <= red.size_before.cells
    assert set(red.site_index.tolist()) <= set(np.flatnonzero(allowed).tolist())


@pytest.mark.parametrize("seed", range(5))
def test_reduction_preserves_optimum(seed):
    dense, weight, costs = random_case(seed, n_cells=60, n_sites=10)
    before = np.random.default_rng(seed).random(60) < 0.15
    budget = float(costs.sum() * 0.3)
    res = solve_max_coverage(
        sp.csr_matrix(dense),
        weight,
        costs,
        budget_myen=budget,
        covered_before=before,
        rel_gap=0.0,
    )
    # the same model solved without any reduction: every cell its own demand
    unreduced = brute(dense[~before], weight[~before], costs, budget)
    assert res.objective == pytest.approx(unreduced)
    assert res.size_after.cells < res.size_before.cells


def test_prepare_drops_unaffordable_and_useless_sites():
    dense = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=bool)
    prep = prepare_covering(
        sp.csr_matrix(dense),
        np.array([1.0, 2.0, 3.0]),
        np.array([1.0, 50.0, 1.0]),
        covered_before=None,
        groups=None,
        urban=None,
        include=(),
        exclude=(),
        budget_myen=10.0,
    )
    # site 1 is dearer than the budget, site 2 covers nothing
    assert prep.reduced.site_index.tolist() == [0]
    assert prep.reduced.n_demands == 1
    assert prep.reduced.weight.tolist() == [3.0]
