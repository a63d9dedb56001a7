"""Tests of the landing-station model against brute force over all subsets."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from denen_gis.errors import InputError
from denen_gis.optimize.landings import plan_landings, solve_landings


def _instance(seed: int, m: int = 7, n: int = 6):
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, 400, (m, n)).round(1)
    w = rng.integers(100_000, 5_000_000, m).astype(float)
    return w, d


def _cost(w, d, subset, station, per):
    return len(subset) * station + per * float((w * d[:, list(subset)].min(axis=1)).sum()) / 1e6


def _brute(w, d, *, count=None, station=3000.0, per=1.0, fixed=()):
    n = d.shape[1]
    sizes = [count] if count else range(1, n + 1)
    best = np.inf
    for size in sizes:
        for subset in itertools.combinations(range(n), size):
            if set(fixed) <= set(subset):
                best = min(best, _cost(w, d, subset, station, per))
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("count", [None, 1, 2, 3])
def test_matches_brute_force(seed, count):
    w, d = _instance(seed)
    res = solve_landings(w, d, count=count, cost_per_landing_myen=300.0)
    want = _brute(w, d, count=count, station=300.0)
    assert res.objective == pytest.approx(want, rel=1e-6, abs=1e-3)
    if count:
        assert len(res.chosen) == count
    assert set(res.assignment) <= set(res.chosen)


@pytest.mark.parametrize("seed", range(3))
def test_fixed_landings_match_brute_force(seed):
    w, d = _instance(seed)
    res = solve_landings(w, d, count=3, fixed=[0, 5])
    assert {0, 5} <= set(res.chosen)
    assert res.objective == pytest.approx(_brute(w, d, count=3, fixed=(0, 5)), rel=1e-6)


def test_bad_parameters():
    w, d = _instance(0)
    with pytest.raises(InputError, match="count"):
        solve_landings(w, d, count=99)
    with pytest.raises(InputError, match="both fixed and excluded"):
        solve_landings(w, d, fixed=[1], excluded=[1])
    with pytest.raises(InputError, match="shape"):
        solve_landings(w[:3], d)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"time_limit_s": -1.0}, "time_limit_s"),
        ({"time_limit_s": 0.0}, "time_limit_s"),
        ({"time_limit_s": float("nan")}, "time_limit_s"),
        ({"workers": 0}, "workers"),
        ({"workers": -2}, "workers"),
    ],
)
def test_bad_solver_settings_are_input_errors(kwargs, match):
    # CP-SAT would answer MODEL_INVALID, which used to surface as InfeasibleError
    from denen_gis.io.japan import load_backbone_links, load_hubs, load_landings

    w, d = _instance(0)
    with pytest.raises(InputError, match=match):
        solve_landings(w, d, count=2, **kwargs)
    with pytest.raises(InputError, match=match):
        plan_landings(load_landings(), load_hubs(), load_backbone_links(), **kwargs)


def test_embedded_plan_is_no_worse_than_the_reported_landings():
    from denen_gis.io.japan import load_backbone_links, load_hubs, load_landings

    landings, hubs, links = load_landings(), load_hubs(), load_backbone_links()
    plan = plan_landings(landings, hubs, links, count=5)
    assert {"SOJ-ISHIKARI", "SOJ-AKITA", "SOJ-FUKUOKA"} <= set(plan.chosen)
    coast = set(hubs.loc[hubs["sea_of_japan_coast"], "code"])
    assert set(plan.demand["code"]) == coast
    # the reported set (Ishikari, Akita, Niigata, Kyoto, Fukuoka) is one feasible answer
    assert plan.summary["mean_backhaul_km"] <= plan.summary["reported_mean_backhaul_km"] + 1e-9
    with pytest.raises(InputError, match="unknown landing"):
        plan_landings(landings, hubs, links, fixed=["NOPE"])
