"""Coverage models against brute force over every subset of sites."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from denen_gis.errors import InfeasibleError, InputError
from denen_gis.optimize import (
    Targets,
    select_sites,
    solve_max_coverage,
    solve_max_min_fairness,
    solve_min_cost,
)

SEEDS = range(6)
TOL = 1e-6


def make_case(seed: int, n_cells: int | None = None, n_sites: int | None = None) -> dict:
    """Small random instance: 30-60 cells, 8-11 sites, three prefectures."""
    rng = np.random.default_rng(seed)
    n_cells = n_cells or int(rng.integers(30, 61))
    n_sites = n_sites or int(rng.integers(8, 12))
    dense = rng.random((n_cells, n_sites)) < 0.18
    # some duplicated rows so that merging has something to do
    dense[: n_cells // 4] = dense[n_cells // 4 : 2 * (n_cells // 4)]
    pop = rng.integers(0, 100, n_cells).astype(float)
    costs = rng.integers(1, 10, n_sites).astype(float)
    return {
        "coverage": sp.csr_matrix(dense),
        "dense": dense,
        "population": pop,
        "costs_myen": costs,
        "covered_before": rng.random(n_cells) < 0.1,
        "groups": rng.choice(np.array(["01", "02", "03"]), n_cells),
        "urban": rng.random(n_cells) < 0.5,
    }


def all_subsets(n_sites: int) -> np.ndarray:
    codes = np.arange(2**n_sites)
    return ((codes[:, None] >> np.arange(n_sites)) & 1).astype(bool)


def subset_coverage(case: dict, subsets: np.ndarray) -> np.ndarray:
    """Covered cells (subsets x cells) including existing coverage."""
    hit = (subsets.astype(int) @ case["dense"].T.astype(int)) > 0
    return hit | case["covered_before"][None, :]


def allowed_mask(subsets: np.ndarray, include=(), exclude=()) -> np.ndarray:
    ok = np.ones(subsets.shape[0], dtype=bool)
    for j in include:
        ok &= subsets[:, j]
    for j in exclude:
        ok &= ~subsets[:, j]
    return ok


def brute_max_coverage(case, budget, *, rural_weight=1.0, include=(), exclude=()):
    subsets = all_subsets(case["dense"].shape[1])
    cov = subset_coverage(case, subsets)
    w = case["population"] * np.where(case["urban"], 1.0, rural_weight)
    value = (cov & ~case["covered_before"]) @ w
    ok = allowed_mask(subsets, include, exclude) & (subsets @ case["costs_myen"] <= budget + 1e-9)
    return float(value[ok].max())


def group_shares(case, cov, targets: Targets) -> list[tuple[np.ndarray, float]]:
    pop = case["population"]
    out = []
    if targets.national is not None:
        out.append((cov @ pop / pop.sum(), targets.national))
    if targets.per_prefecture is not None:
        for code in np.unique(case["groups"]):
            mask = case["groups"] == code
            share = (
                targets.per_prefecture.get(code)
                if isinstance(targets.per_prefecture, dict)
                else targets.per_prefecture
            )
            if share is not None and pop[mask].sum() > 0:
                out.append((cov[:, mask] @ pop[mask] / pop[mask].sum(), share))
    if targets.rural is not None:
        mask = ~case["urban"]
        if pop[mask].sum() > 0:
            out.append((cov[:, mask] @ pop[mask] / pop[mask].sum(), targets.rural))
    return out


def brute_min_cost(case, targets, *, include=(), exclude=()):
    subsets = all_subsets(case["dense"].shape[1])
    cov = subset_coverage(case, subsets)
    ok = allowed_mask(subsets, include, exclude)
    for share, target in group_shares(case, cov, targets):
        ok &= share >= target - 1e-9
    if not ok.any():
        return None
    return float((subsets @ case["costs_myen"])[ok].min())


def brute_fairness(case, budget, fairness_on="prefecture"):
    subsets = all_subsets(case["dense"].shape[1])
    cov = subset_coverage(case, subsets)
    pop = case["population"]
    if fairness_on == "prefecture":
        masks = [case["groups"] == code for code in np.unique(case["groups"])]
    else:
        masks = [~case["urban"]]
    shares = np.column_stack([cov[:, m] @ pop[m] / pop[m].sum() for m in masks if pop[m].sum()])
    worst = shares.min(axis=1)
    ok = subsets @ case["costs_myen"] <= budget + 1e-9
    t_star = worst[ok].max()
    value = (cov & ~case["covered_before"]) @ pop
    best = value[ok & (worst >= t_star - 1e-6)].max()
    return float(t_star), float(best)


def kwargs(case: dict) -> dict:
    return {
        "covered_before": case["covered_before"],
        "urban": case["urban"],
        "groups": case["groups"],
        "rel_gap": 0.0,
        "time_limit_s": 20,
    }


def run_max(case, budget, **extra):
    return solve_max_coverage(
        case["coverage"],
        case["population"],
        case["costs_myen"],
        budget_myen=budget,
        **{**kwargs(case), **extra},
    )


# ---- maximal covering ------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("rural_weight", [1.0, 3.0])
def test_max_coverage_equals_brute_force(seed, rural_weight):
    case = make_case(seed)
    budget = float(case["costs_myen"].sum() * 0.3)
    res = run_max(case, budget, rural_weight=rural_weight)
    expected = brute_max_coverage(case, budget, rural_weight=rural_weight)
    assert res.objective == pytest.approx(expected, abs=TOL)
    assert res.cost_myen <= budget + 1e-9
    assert res.best_bound >= res.objective - TOL
    assert res.status == "OPTIMAL"


@pytest.mark.parametrize("engine", ["SCIP", "HIGHS", "CBC"])
def test_every_engine_reaches_the_optimum(engine):
    case = make_case(11)
    budget = float(case["costs_myen"].sum() * 0.25)
    res = run_max(case, budget, engine=engine)
    assert res.objective == pytest.approx(brute_max_coverage(case, budget), abs=TOL)
    assert res.engine.startswith(engine) or res.engine in ("greedy", "LP+greedy")


@pytest.mark.parametrize("seed", SEEDS)
def test_include_exclude_respected_and_optimal(seed):
    case = make_case(seed)
    n = case["dense"].shape[1]
    include, exclude = [0], [1, n - 1]
    budget = float(case["costs_myen"][0] + case["costs_myen"].sum() * 0.2)
    res = run_max(case, budget, include=include, exclude=exclude)
    assert 0 in res.chosen
    assert not set(exclude) & set(res.chosen.tolist())
    assert res.cost_myen <= budget + 1e-9
    expected = brute_max_coverage(case, budget, include=include, exclude=exclude)
    assert res.objective == pytest.approx(expected, abs=TOL)


def test_covered_after_and_group_table_agree():
    case = make_case(3)
    res = run_max(case, 12.0)
    cov = case["dense"][:, res.chosen].any(axis=1) | case["covered_before"]
    np.testing.assert_array_equal(res.covered_after, cov)
    total = res.groups.query("kind == 'total'").iloc[0]
    assert total["covered_after"] == pytest.approx(case["population"][cov].sum())
    assert total["share_before"] == pytest.approx(
        case["population"][case["covered_before"]].sum() / case["population"].sum()
    )
    pref = res.groups.query("kind == 'prefecture'")
    assert pref["population"].sum() == pytest.approx(case["population"].sum())
    assert set(res.groups.query("kind == 'urban_rural'")["group"]) == {"urban", "rural"}


def test_to_dict_is_json_ready():
    case = make_case(4)
    res = run_max(case, 10.0)
    data = json.loads(json.dumps(res.to_dict()))
    assert data["chosen"] == res.chosen.tolist()
    assert data["size_before"]["cells"] == case["dense"].shape[0]
    assert data["size_after"]["cells"] <= data["size_before"]["cells"]
    assert len(data["groups"]) == len(res.groups)


def test_deterministic_with_seed_and_one_worker():
    case = make_case(5, n_cells=60, n_sites=11)
    a = run_max(case, 15.0, seed=7, workers=1)
    b = run_max(case, 15.0, seed=7, workers=1)
    np.testing.assert_array_equal(a.chosen, b.chosen)
    assert a.objective == b.objective


def test_tiny_time_limit_returns_greedy_at_once():
    case = make_case(6)
    res = run_max(case, 10.0, time_limit_s=0.1)
    assert res.engine == "greedy"
    assert res.status in ("HEURISTIC", "OPTIMAL")
    assert res.best_bound >= brute_max_coverage(case, 10.0) - TOL
    assert res.cost_myen <= 10.0 + 1e-9


def test_reduction_is_reported():
    case = make_case(7)
    res = run_max(case, 10.0)
    assert res.size_before.cells == case["dense"].shape[0]
    assert res.size_before.nonzeros == int(case["dense"].sum())
    assert res.size_after.cells < res.size_before.cells


# ---- minimum cost ----------------------------------------------------------

TARGETS = [
    Targets(national=0.6),
    Targets(per_prefecture=0.5),
    Targets(per_prefecture={"02": 0.7}),
    Targets(rural=0.55),
    Targets(national=0.5, per_prefecture=0.4, rural=0.45),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("targets", TARGETS, ids=lambda t: repr(t)[8:40])
def test_min_cost_equals_brute_force(seed, targets):
    case = make_case(seed)
    expected = brute_min_cost(case, targets)
    call = dict(targets=targets, **kwargs(case))
    if expected is None:
        with pytest.raises(InfeasibleError):
            solve_min_cost(case["coverage"], case["population"], case["costs_myen"], **call)
        return
    res = solve_min_cost(case["coverage"], case["population"], case["costs_myen"], **call)
    assert res.objective == pytest.approx(expected, abs=TOL)
    cov = res.covered_after[None, :]
    for share, target in group_shares(case, cov, targets):
        assert share[0] >= target - 1e-9


def test_min_cost_with_include_exclude():
    case = make_case(8)
    targets = Targets(national=0.55)
    res = solve_min_cost(
        case["coverage"],
        case["population"],
        case["costs_myen"],
        targets=targets,
        include=[2],
        exclude=[0],
        **kwargs(case),
    )
    assert 2 in res.chosen and 0 not in res.chosen
    expected = brute_min_cost(case, targets, include=[2], exclude=[0])
    assert res.objective == pytest.approx(expected, abs=TOL)


def test_infeasible_target_reports_shortfall():
    case = make_case(9)
    dense = case["dense"].copy()
    dense[:, :] = False
    dense[:5, 0] = True  # only five cells can ever be covered
    case["coverage"] = sp.csr_matrix(dense)
    case["covered_before"][:] = False
    pop = case["population"]
    best = pop[:5].sum() / pop.sum()
    with pytest.raises(InfeasibleError) as info:
        solve_min_cost(
            case["coverage"],
            pop,
            case["costs_myen"],
            targets=Targets(national=0.9, rural=0.0),
            **kwargs(case),
        )
    table = info.value.shortfall
    assert isinstance(table, pd.DataFrame)
    assert table["group"].tolist() == ["national"]
    row = table.iloc[0]
    assert row["target"] == 0.9
    assert row["best_share"] == pytest.approx(best)
    assert row["gap"] == pytest.approx(0.9 - best)
    assert "national" in str(info.value)


def test_infeasible_shortfall_ignores_excluded_sites():
    case = make_case(10)
    n = case["dense"].shape[1]
    with pytest.raises(InfeasibleError) as info:
        solve_min_cost(
            case["coverage"],
            case["population"],
            case["costs_myen"],
            targets=Targets(per_prefecture=0.2),
            exclude=list(range(n)),
            **kwargs(case),
        )
    groups = set(info.value.shortfall["group"])
    assert groups <= {"prefecture 01", "prefecture 02", "prefecture 03"}
    assert groups


# ---- fairness --------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fairness_on", ["prefecture", "rural"])
def test_fairness_equals_brute_force(seed, fairness_on):
    case = make_case(seed)
    budget = float(case["costs_myen"].sum() * 0.3)
    t_star, best = brute_fairness(case, budget, fairness_on)
    res = solve_max_min_fairness(
        case["coverage"],
        case["population"],
        case["costs_myen"],
        budget_myen=budget,
        fairness_on=fairness_on,
        **kwargs(case),
    )
    assert res.details["min_share"] == pytest.approx(t_star, abs=1e-6)
    assert res.objective == pytest.approx(best, abs=TOL)
    assert res.cost_myen <= budget + 1e-9


# ---- geo wrapper -----------------------------------------------------------


def test_select_sites_maps_ids():
    case = make_case(12)
    n = case["dense"].shape[1]
    ids = [f"S{j:03d}" for j in range(n)]
    res = select_sites(
        case["coverage"],
        population=case["population"],
        costs_myen=case["costs_myen"],
        site_ids=ids,
        pref_code=case["groups"],
        urban=case["urban"],
        covered_before=case["covered_before"],
        budget_myen=12.0,
        include_ids=["S001"],
        exclude_ids=["S000"],
    )
    assert 1 in res.chosen and 0 not in res.chosen
    for objective, extra in [
        ("fairness", {"budget_myen": 12.0}),
        ("min-cost", {"targets": Targets(national=0.3)}),
    ]:
        out = select_sites(
            case["coverage"],
            population=case["population"],
            costs_myen=case["costs_myen"],
            site_ids=ids,
            pref_code=case["groups"],
            objective=objective,
            **extra,
        )
        assert out.chosen.size >= 0 and out.status == "OPTIMAL"


def test_select_sites_unknown_id():
    case = make_case(12)
    ids = [f"S{j:03d}" for j in range(case["dense"].shape[1])]
    with pytest.raises(InputError, match="'nope'"):
        select_sites(
            case["coverage"],
            population=case["population"],
            costs_myen=case["costs_myen"],
            site_ids=ids,
            budget_myen=5.0,
            exclude_ids=["nope"],
        )


# ---- validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"budget_myen": -1.0}, "budget_myen"),
        ({"include": [99]}, "include: site index 99"),
        ({"exclude": [-1]}, "exclude: site index -1"),
        ({"include": [1], "exclude": [1]}, "both included and excluded"),
        ({"include": [0], "budget_myen": 0.5}, "included sites cost"),
        ({"population": np.ones(3)}, "population: expected one value per cell"),
        ({"costs_myen": -np.ones(10)}, "costs_myen: entry 0"),
        ({"population_negative": True}, "population: entry"),
        ({"covered_before": np.ones(2, dtype=bool)}, "covered_before"),
        ({"rural_weight": -2.0}, "rural_weight"),
        ({"time_limit_s": 0}, "time_limit_s"),
        ({"engine": "gurobi"}, "engine"),
    ],
)
def test_bad_parameters(change, match):
    case = make_case(0, n_cells=40, n_sites=10)
    call = {
        "budget_myen": 10.0,
        "population": case["population"],
        "costs_myen": case["costs_myen"],
    }
    if change.pop("population_negative", False):
        call["population"] = case["population"] - 200
    call.update(change)
    case["costs_myen"][0] = 2.0
    with pytest.raises(InputError, match=match):
        solve_max_coverage(case["coverage"], **call)


@pytest.mark.parametrize(
    ("targets", "match"),
    [
        (dict(national=1.2), "target above 100%"),
        (dict(rural=-0.1), "targets.rural"),
        (dict(per_prefecture={"01": 1.5}), "target above 100%"),
        (dict(national="lots"), "targets.national"),
    ],
)
def test_bad_targets(targets, match):
    with pytest.raises(InputError, match=match):
        Targets(**targets)


def test_unknown_prefecture_in_targets():
    case = make_case(1)
    with pytest.raises(InputError, match="'99'"):
        solve_min_cost(
            case["coverage"],
            case["population"],
            case["costs_myen"],
            targets=Targets(per_prefecture={"99": 0.5}),
            groups=case["groups"],
        )


def test_fairness_bad_option():
    case = make_case(1)
    with pytest.raises(InputError, match="fairness_on"):
        solve_max_min_fairness(
            case["coverage"],
            case["population"],
            case["costs_myen"],
            budget_myen=5.0,
            fairness_on="income",
        )


def test_round_lp_support_first_avoids_building_both_halves_of_a_split() -> None:
    # the LP splits two sites that cover the same demands half and half: taking
    # every x >= 0.5 builds both, the support-first rounding builds one and
    # spends the rest on the next best demand
    from denen_gis.optimize.coverage_models import round_lp

    m = sp.csr_matrix(
        np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=bool)
    )
    w = np.array([5.0, 5.0, 4.0, 1.0])
    x = np.array([0.5, 0.5, 0.5, 0.0])
    costs = np.ones(4)
    half = round_lp(m, w, costs, 2.0, x, 0.5)
    support = round_lp(m, w, costs, 2.0, x, 0.999, support_first=True)
    assert half.tolist() == [0, 1]
    assert support.tolist() == [0, 2]
    assert costs[support].sum() <= 2.0


def test_max_coverage_on_a_random_instance_keeps_budget_and_bound() -> None:
    rng = np.random.default_rng(7)
    cov = sp.random(400, 60, density=0.06, random_state=rng, format="csr").astype(bool)
    pop = rng.integers(1, 100, 400).astype(float)
    costs = rng.uniform(1.0, 3.0, 60)
    res = solve_max_coverage(cov, pop, costs, budget_myen=12.0, time_limit_s=5.0)
    assert res.cost_myen <= 12.0 + 1e-9
    assert res.objective <= res.best_bound + 1e-6
