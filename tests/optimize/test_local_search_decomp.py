"""Swap local search, fairness by bisection and the year-by-year rollout, against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from denen_gis.optimize import Targets, solve_max_min_fairness, solve_rollout
from denen_gis.optimize import fairness as fairness_module
from denen_gis.optimize import rollout as rollout_module
from denen_gis.optimize.greedy import (
    greedy_max_coverage,
    local_search_max_coverage,
    local_search_min_cost,
)


def random_case(seed: int, n_cells: int = 40, n_sites: int = 9) -> dict:
    rng = np.random.default_rng(seed)
    dense = rng.random((n_cells, n_sites)) < 0.2
    return {
        "dense": dense,
        "coverage": sp.csr_matrix(dense),
        "population": rng.integers(0, 40, n_cells).astype(float),
        "costs_myen": rng.integers(1, 8, n_sites).astype(float),
        "covered_before": rng.random(n_cells) < 0.1,
        "urban": rng.random(n_cells) < 0.5,
        "groups": rng.choice(np.array(["01", "02", "03"]), n_cells),
    }


def covered_weight(case: dict, plan, weight=None) -> float:
    w = case["population"] if weight is None else weight
    cov = case["dense"][:, list(plan)].any(axis=1) & ~case["covered_before"]
    return float(w[cov].sum())


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), budget=st.floats(2, 20))
def test_local_search_is_swap_optimal_and_never_worse(seed, budget):
    case = random_case(seed)
    costs, dense = case["costs_myen"], case["dense"]
    start = greedy_max_coverage(
        case["coverage"],
        case["population"],
        costs,
        budget,
        covered=case["covered_before"],
        local_search=False,
    )
    plan, value = local_search_max_coverage(
        case["coverage"],
        case["population"],
        costs,
        budget,
        start.chosen,
        covered=case["covered_before"],
        time_limit_s=10.0,
    )
    assert costs[plan].sum() <= budget + 1e-9
    assert value == pytest.approx(covered_weight(case, plan))
    assert value >= covered_weight(case, start.chosen) - 1e-9
    # no single add and no 1-swap improves the answer
    inside = set(plan.tolist())
    spent = costs[plan].sum()
    for b in range(dense.shape[1]):
        if b in inside:
            continue
        if spent + costs[b] <= budget + 1e-9:
            assert covered_weight(case, inside | {b}) <= value + 1e-9
        for a in inside:
            if spent - costs[a] + costs[b] <= budget + 1e-9:
                assert covered_weight(case, (inside - {a}) | {b}) <= value + 1e-9


def test_local_search_accept_can_veto_every_swap():
    # site 0 (covering 1) is chosen; the swap to site 1 (covering 5) is vetoed
    m = sp.csr_matrix(np.array([[1, 0], [0, 1]], dtype=bool))
    w = np.array([1.0, 5.0])
    plan, value = local_search_max_coverage(
        m, w, np.ones(2), 1.0, np.array([0]), accept=lambda mask: False
    )
    assert plan.tolist() == [0] and value == 1.0
    plan, value = local_search_max_coverage(m, w, np.ones(2), 1.0, np.array([0]))
    assert plan.tolist() == [1] and value == 5.0


@pytest.mark.parametrize("seed", range(8))
def test_greedy_with_local_search_is_never_worse(seed):
    case = random_case(seed, n_cells=80, n_sites=20)
    args = (case["coverage"], case["population"], case["costs_myen"], 15.0)
    plain = greedy_max_coverage(*args, local_search=False)
    better = greedy_max_coverage(*args)
    assert better.value >= plain.value
    assert case["costs_myen"][better.chosen].sum() <= 15.0 + 1e-9
    assert better.bound >= better.value


# ---- max-min fairness without the stage-1 MIP (bisection + PDLP bound) -------


def all_subsets(n: int) -> np.ndarray:
    codes = np.arange(2**n)
    return ((codes[:, None] >> np.arange(n)) & 1).astype(bool)


@pytest.mark.parametrize("seed", range(4))
def test_fairness_by_bisection_is_feasible_and_bounds_hold(seed, monkeypatch):
    monkeypatch.setattr(fairness_module, "STAGE1_MIP_SITES", 0)
    case = random_case(seed)
    budget = float(case["costs_myen"].sum() * 0.3)
    res = solve_max_min_fairness(
        case["coverage"],
        case["population"],
        case["costs_myen"],
        budget_myen=budget,
        covered_before=case["covered_before"],
        urban=case["urban"],
        groups=case["groups"],
        time_limit_s=10,
        rel_gap=0.0,
    )
    subsets = all_subsets(case["dense"].shape[1])
    cov = ((subsets.astype(int) @ case["dense"].T.astype(int)) > 0) | case["covered_before"]
    pop = case["population"]
    masks = [
        case["groups"] == g for g in np.unique(case["groups"]) if pop[case["groups"] == g].sum()
    ]
    worst = np.column_stack([cov[:, m] @ pop[m] / pop[m].sum() for m in masks]).min(axis=1)
    ok = subsets @ case["costs_myen"] <= budget + 1e-9
    t_star = worst[ok].max()
    assert res.cost_myen <= budget + 1e-9
    assert res.details["min_share"] <= t_star + 1e-9
    assert res.details["min_share_bound"] >= t_star - 1e-9
    # stage 2's bound holds for the floor the answer keeps
    value = (cov & ~case["covered_before"]) @ pop
    best = value[ok & (worst >= res.details["min_share"] - 1e-6)].max()
    assert res.objective <= best + 1e-9
    assert res.best_bound >= best - 1e-6


# ---- rollout year by year (the path of large models) ------------------------


def brute_rollout(case, budgets, carry_over, targets):
    years = sorted(budgets)
    n_t, n_s = len(years), case["dense"].shape[1]
    pop, before = case["population"], case["covered_before"]
    best = None
    for plan in itertools.product(range(n_t + 1), repeat=n_s):
        plan = np.asarray(plan)
        spend = np.array([case["costs_myen"][plan == t].sum() for t in range(n_t)])
        limits = np.array([budgets[y] for y in years], dtype=float)
        over = np.cumsum(spend) > np.cumsum(limits) + 1e-9 if carry_over else spend > limits + 1e-9
        if over.any():
            continue
        total, ok = 0.0, True
        for t, y in enumerate(years):
            cov = case["dense"][:, plan <= t].any(axis=1) | before
            total += float(pop[cov & ~before].sum())
            if y in targets:
                ok &= pop[cov].sum() >= targets[y].national * pop.sum() * (1 - 1e-9)
        if ok and (best is None or total > best):
            best = total
    return best


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("carry_over", [False, True])
def test_rollout_year_by_year_is_feasible_and_bounded(seed, carry_over, monkeypatch):
    monkeypatch.setattr(rollout_module, "ROLLOUT_MIP_SITES", 0)
    case = random_case(seed, n_cells=30, n_sites=6)
    budgets = {2026: 4.0, 2027: 3.0}
    targets = {2027: Targets(national=0.3)}
    best = brute_rollout(case, budgets, carry_over, targets)
    res = solve_rollout(
        case["coverage"],
        case["population"],
        case["costs_myen"],
        yearly_budgets_myen=budgets,
        yearly_targets=targets,
        carry_over=carry_over,
        covered_before=case["covered_before"],
        urban=case["urban"],
        groups=case["groups"],
        time_limit_s=10,
    )
    spend = np.array([case["costs_myen"][res.chosen[res.year == y]].sum() for y in budgets])
    limits = np.array(list(budgets.values()))
    if carry_over:
        assert (np.cumsum(spend) <= np.cumsum(limits) + 1e-9).all()
    else:
        assert (spend <= limits + 1e-9).all()
    pop = case["population"]
    assert pop[res.covered_after].sum() >= 0.3 * pop.sum() * (1 - 1e-9)
    by_year = [covered_weight(case, res.chosen[res.year <= y]) for y in budgets]
    assert res.objective == pytest.approx(sum(by_year))
    assert res.objective <= best + 1e-9
    assert res.best_bound >= best - 1e-6
    assert res.engine == "year-by-year greedy"


# ---- least-cost drops and swaps ----------------------------------------------


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), share=st.floats(0.2, 0.8))
def test_min_cost_local_search_keeps_targets_and_is_swap_optimal(seed, share):
    case = random_case(seed, n_cells=40, n_sites=10)
    dense, costs, pop = case["dense"], case["costs_myen"], case["population"]
    groups = case["groups"]
    codes = np.unique(groups)
    # targets: national share and the same floor per group, on newly covered weight
    tw = np.vstack([pop] + [pop * (groups == g) for g in codes])
    need = share * tw.sum(axis=1)
    reach = dense.any(axis=1)
    if np.any(tw[:, reach].sum(axis=1) < need):
        return
    start = np.arange(dense.shape[1])
    plan = local_search_min_cost(
        case["coverage"], sp.csr_matrix(tw), need, costs, start, time_limit_s=10.0
    )

    def meets(p) -> bool:
        cov = dense[:, list(p)].any(axis=1)
        return bool(np.all(tw[:, cov].sum(axis=1) >= need * (1 - 1e-9) - 1e-9))

    assert meets(plan)
    assert costs[plan].sum() <= costs[start].sum()
    inside = set(plan.tolist())
    for a in inside:
        assert not meets(inside - {a})
        for b in set(range(dense.shape[1])) - inside:
            if costs[b] < costs[a] - 1e-9:
                assert not meets((inside - {a}) | {b})
