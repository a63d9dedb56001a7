"""Multi-year rollout against brute force over every (site -> year or never) plan."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from denen_gis.errors import InfeasibleError, InputError
from denen_gis.optimize import Targets, solve_rollout


def make_case(seed: int, n_cells: int = 36, n_sites: int = 7) -> dict:
    rng = np.random.default_rng(100 + seed)
    dense = rng.random((n_cells, n_sites)) < 0.2
    return {
        "dense": dense,
        "coverage": sp.csr_matrix(dense),
        "population": rng.integers(1, 50, n_cells).astype(float),
        "costs_myen": rng.integers(1, 6, n_sites).astype(float),
        "covered_before": rng.random(n_cells) < 0.1,
        "urban": rng.random(n_cells) < 0.5,
        "groups": rng.choice(np.array(["01", "02"]), n_cells),
    }


def brute_rollout(case, budgets, *, carry_over=False, targets=None, rural_weight=1.0):
    """Best sum over years of newly covered (weighted) people, or None if infeasible."""
    years = sorted(budgets)
    n_t, n_s = len(years), case["dense"].shape[1]
    w = case["population"] * np.where(case["urban"], 1.0, rural_weight)
    pop = case["population"]
    before = case["covered_before"]
    best = None
    # plan[j] = year index in which site j is built, n_t = never
    for plan in itertools.product(range(n_t + 1), repeat=n_s):
        plan = np.asarray(plan)
        spend = np.array([case["costs_myen"][plan == t].sum() for t in range(n_t)])
        limits = np.array([budgets[y] for y in years], dtype=float)
        if carry_over:
            if (np.cumsum(spend) > np.cumsum(limits) + 1e-9).any():
                continue
        elif (spend > limits + 1e-9).any():
            continue
        total, ok = 0.0, True
        for t, y in enumerate(years):
            cov = case["dense"][:, plan <= t].any(axis=1) | before
            total += float(w[cov & ~before].sum())
            tg = (targets or {}).get(y)
            if tg is not None and tg.national is not None:
                ok &= pop[cov].sum() >= tg.national * pop.sum() - 1e-9 * pop.sum()
            if tg is not None and tg.rural is not None:
                rural = ~case["urban"]
                ok &= pop[cov & rural].sum() >= tg.rural * pop[rural].sum() * (1 - 1e-9)
        if ok and (best is None or total > best):
            best = total
    return best


def run(case, budgets, **extra):
    return solve_rollout(
        case["coverage"],
        case["population"],
        case["costs_myen"],
        yearly_budgets_myen=budgets,
        covered_before=case["covered_before"],
        urban=case["urban"],
        groups=case["groups"],
        rel_gap=0.0,
        time_limit_s=20,
        **extra,
    )


def check_spending(case, res, budgets, carry_over=False):
    years = sorted(budgets)
    spend = np.array([case["costs_myen"][res.chosen[res.year == y]].sum() for y in years])
    limits = np.array([budgets[y] for y in years])
    if carry_over:
        assert (np.cumsum(spend) <= np.cumsum(limits) + 1e-9).all()
    else:
        assert (spend <= limits + 1e-9).all()


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("carry_over", [False, True])
def test_two_years_equals_brute_force(seed, carry_over):
    case = make_case(seed)
    budgets = {2026: 4.0, 2027: 5.0}
    res = run(case, budgets, carry_over=carry_over)
    assert res.objective == pytest.approx(brute_rollout(case, budgets, carry_over=carry_over))
    check_spending(case, res, budgets, carry_over)
    assert set(res.year.tolist()) <= set(budgets)


def test_three_years_with_rural_weight():
    case = make_case(5, n_sites=6)
    budgets = {2026: 3.0, 2027: 2.0, 2028: 4.0}
    res = run(case, budgets, rural_weight=2.0)
    expected = brute_rollout(case, budgets, rural_weight=2.0)
    assert res.objective == pytest.approx(expected)
    check_spending(case, res, budgets)
    by_year = res.details["covered_by_year"]
    assert list(by_year) == [2026, 2027, 2028]
    assert by_year[2026] <= by_year[2027] <= by_year[2028]


@pytest.mark.parametrize("seed", range(3))
def test_yearly_targets_equal_brute_force(seed):
    case = make_case(seed)
    budgets = {2026: 4.0, 2027: 4.0}
    pop = case["population"]
    share_before = pop[case["covered_before"]].sum() / pop.sum()
    targets = {2026: Targets(national=share_before + 0.25), 2027: Targets(rural=0.5)}
    expected = brute_rollout(case, budgets, targets=targets)
    if expected is None:
        with pytest.raises(InfeasibleError):
            run(case, budgets, yearly_targets=targets)
        return
    res = run(case, budgets, yearly_targets=targets)
    assert res.objective == pytest.approx(expected)


def test_carry_over_matters():
    # one site costs 6: affordable only by saving year 1's budget
    dense = np.zeros((4, 2), dtype=bool)
    dense[:3, 0] = True
    dense[3, 1] = True
    case = {
        "dense": dense,
        "coverage": sp.csr_matrix(dense),
        "population": np.array([10.0, 10.0, 10.0, 1.0]),
        "costs_myen": np.array([6.0, 1.0]),
        "covered_before": np.zeros(4, dtype=bool),
        "urban": np.ones(4, dtype=bool),
        "groups": np.array(["01"] * 4),
    }
    budgets = {2026: 3.0, 2027: 3.0}
    strict = run(case, budgets)
    assert strict.chosen.tolist() == [1]
    saved = run(case, budgets, carry_over=True)
    assert 0 in saved.chosen
    assert saved.year[saved.chosen.tolist().index(0)] == 2027


def test_include_built_in_first_year():
    case = make_case(1)
    budgets = {2026: 6.0, 2027: 3.0}
    res = run(case, budgets, include=[2], exclude=[0])
    pos = res.chosen.tolist().index(2)
    assert res.year[pos] == 2026
    assert 0 not in res.chosen
    check_spending(case, res, budgets)


def test_bad_rollout_parameters():
    case = make_case(0)
    with pytest.raises(InputError, match="yearly_budgets_myen"):
        run(case, {})
    with pytest.raises(InputError, match=r"yearly_budgets_myen\[2027\]"):
        run(case, {2026: 1.0, 2027: -1.0})
    with pytest.raises(InputError, match="year 2030 has no budget"):
        run(case, {2026: 1.0}, yearly_targets={2030: Targets(national=0.1)})
    with pytest.raises(InputError, match="included sites cost"):
        run(case, {2026: 0.5, 2027: 10.0}, include=[0])


def test_infeasible_year_named():
    case = make_case(0)
    with pytest.raises(InfeasibleError, match="for 2027") as info:
        run(case, {2026: 1.0, 2027: 1.0}, yearly_targets={2027: Targets(national=1.0)}, exclude=[0])
    assert info.value.shortfall.iloc[0]["group"] == "national"
