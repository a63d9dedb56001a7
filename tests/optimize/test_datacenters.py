"""Tests of the DC siting models against brute force, and of the embedded plan."""

from __future__ import annotations

import itertools
import time

import geopandas as gpd
import numpy as np
import pytest
import shapely

from denen_gis.errors import InfeasibleError, InputError
from denen_gis.optimize.datacenters import plan_datacenters, solve_dc_siting


def _instance(seed: int, m: int = 9, n: int = 7):
    rng = np.random.default_rng(seed)
    dem = rng.uniform(0, 10, (m, 2))
    site = rng.uniform(0, 10, (n, 2))
    rtt = np.linalg.norm(dem[:, None, :] - site[None, :, :], axis=2) + 0.5
    w = rng.integers(1_000, 500_000, m).astype(float)
    return w, np.round(rtt, 2), site


def _brute(w, d, k, *, opened=(), candidates=None, center=False, ok=lambda s: True):
    n = d.shape[1]
    cands = [j for j in (candidates if candidates is not None else range(n)) if j not in opened]
    best = np.inf
    for subset in itertools.combinations(cands, k):
        if not ok(subset):
            continue
        cols = list(opened) + list(subset)
        served = d[:, cols].min(axis=1)
        val = served.max() if center else np.average(served, weights=w)
        best = min(best, val)
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 2, 3])
def test_p_median_matches_brute_force(seed, k):
    w, d, _ = _instance(seed)
    res = solve_dc_siting(w, d, k=k, always_open=[0], time_limit_s=20)
    assert res.status == "OPTIMAL"
    # scaled model (0.01 ms, thousands of persons) may pick a tie within rounding
    assert res.objective == pytest.approx(_brute(w, d, k, opened=[0]), abs=0.01)
    assert len(res.chosen) == k and 0 not in res.chosen
    assert set(res.assignment) <= set(res.open_sites)


@pytest.mark.parametrize("seed", range(5))
def test_p_center_matches_brute_force(seed):
    w, d, _ = _instance(seed)
    res = solve_dc_siting(w, d, k=2, objective="center")
    assert res.objective == pytest.approx(_brute(w, d, 2, center=True), abs=0.011)
    assert res.max_rtt_ms == pytest.approx(res.objective)


@pytest.mark.parametrize("seed", range(4))
def test_block_and_separation_rules_match_brute_force(seed):
    w, d, xy = _instance(seed)
    lonlat = np.column_stack([135 + xy[:, 0] / 10, 35 + xy[:, 1] / 10])  # ~1 deg box
    block = ["east" if x > 135.5 else "west" for x in lonlat[:, 0]]
    sep_km = 30.0
    from denen_gis.geodesy import haversine_km

    def ok(subset):
        if (
            sum(block[j] == "east" for j in subset) > 1
            or sum(block[j] == "west" for j in subset) > 1
        ):
            return False
        return all(
            haversine_km(*lonlat[a], *lonlat[b]) >= sep_km
            for a, b in itertools.combinations(subset, 2)
        )

    want = _brute(w, d, 2, ok=ok)
    if not np.isfinite(want):
        with pytest.raises(InfeasibleError):
            solve_dc_siting(
                w, d, k=2, block=block, max_per_block=1, lonlat=lonlat, min_separation_km=sep_km
            )
        return
    res = solve_dc_siting(
        w, d, k=2, block=block, max_per_block=1, lonlat=lonlat, min_separation_km=sep_km
    )
    assert ok(tuple(res.chosen))
    assert res.objective == pytest.approx(want, abs=0.01)


def test_fixed_and_excluded_sites_are_honoured():
    w, d, _ = _instance(11)
    res = solve_dc_siting(w, d, k=3, fixed=[5], excluded=[1, 2])
    assert 5 in res.chosen and not {1, 2} & set(res.chosen)
    assert res.objective == pytest.approx(
        _brute(w, d, 2, opened=[5], candidates=[0, 3, 4, 6]), abs=0.01
    )


def test_capacitated_assignment_respects_capacity_and_costs_more():
    w, d, _ = _instance(3)
    load = w / 1e5
    cap = np.full(d.shape[1], load.sum() / 2.5)
    free = solve_dc_siting(w, d, k=3)
    res = solve_dc_siting(w, d, k=3, capacity_mw=cap, load_mw=load)
    used = np.bincount(res.assignment, weights=load, minlength=d.shape[1])
    assert (used <= cap + 1e-6).all()
    assert res.objective >= free.objective - 1e-9
    with pytest.raises(InfeasibleError, match="exceeds"):
        solve_dc_siting(w, d, k=3, capacity_mw=cap / 10, load_mw=load)


def test_backup_is_a_distinct_open_site_within_the_bound():
    w, d, _ = _instance(5)
    bound = float(np.sort(d, axis=1)[:, 2].max())  # every demand has 3 sites within it
    res = solve_dc_siting(w, d, k=3, backup_max_rtt_ms=bound)
    assert res.backup is not None
    assert (res.backup != res.assignment).all()
    assert set(res.backup) <= set(res.open_sites)
    assert (d[np.arange(len(w)), res.backup] <= bound).all()
    with pytest.raises(InfeasibleError, match="fewer than two"):
        solve_dc_siting(w, d, k=3, backup_max_rtt_ms=float(d.min()) + 1e-3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": 99}, "larger than"),
        ({"k": 1, "fixed": [0, 1]}, "smaller than the 2 fixed"),
        ({"k": 2, "fixed": [1], "excluded": [1]}, "both fixed and excluded"),
        ({"k": 2, "objective": "mean"}, "objective"),
        ({"k": 2, "max_per_block": 1}, "needs block"),
        ({"k": 2, "min_separation_km": 5.0}, "needs lonlat"),
        ({"k": 2, "capacity_mw": np.ones(7)}, "go together"),
    ],
)
def test_bad_parameters_raise_before_solving(kwargs, match):
    w, d, _ = _instance(0)
    with pytest.raises(InputError, match=match):
        solve_dc_siting(w, d, **kwargs)


def test_bad_arrays_raise():
    with pytest.raises(InputError, match="shape"):
        solve_dc_siting([1.0, 2.0], np.ones((3, 2)), k=1)
    with pytest.raises(InputError, match="population must be"):
        solve_dc_siting([-1.0], np.ones((1, 2)), k=1)


# --- embedded dataset -----------------------------------------------------------------


@pytest.fixture(scope="module")
def embedded():
    from denen_gis.io.japan import (
        load_backbone_links,
        load_cables,
        load_datacenters,
        load_hubs,
        load_landings,
        load_population_grid,
        load_prefectures,
    )
    from denen_gis.layers.network import build_backbone, demand_groups

    dcs = load_datacenters()
    g = build_backbone(
        load_hubs(), load_backbone_links(), load_cables(), load_landings(), datacenters=dcs
    )
    return dcs, g, demand_groups(load_population_grid(), g), load_prefectures()


def test_default_plan_runs_in_seconds_and_follows_the_rules(embedded):
    dcs, g, demand, prefs = embedded
    t0 = time.perf_counter()
    plan = plan_datacenters(dcs, g, demand, regions=prefs)
    assert time.perf_counter() - t0 < 10
    assert len(plan.chosen) == 13
    funded = set(dcs.loc[dcs["status"] == "funded", "site_id"])
    assert funded <= set(plan.chosen)
    chosen = dcs[dcs["site_id"].isin(plan.chosen)]
    assert not chosen["pref_code"].isin(["11", "12", "13", "14"]).any()
    s = plan.summary
    assert s["after"]["mean_rtt_ms"] < s["before"]["mean_rtt_ms"]
    assert s["after"]["rural_rtt_ms"] < s["before"]["rural_rtt_ms"]
    assert s["capacity_after"]["tokyo_area_share"] < s["capacity_before"]["tokyo_area_share"]
    assert plan.result.gap < 1e-6


def test_plan_input_errors(embedded):
    dcs, g, demand, prefs = embedded
    with pytest.raises(InputError, match="unknown site id"):
        plan_datacenters(dcs, g, demand, include_sites=["NOPE"])
    with pytest.raises(InputError, match="Tokyo area"):
        plan_datacenters(dcs, g, demand, include_sites=["C-INZAI-2"])
    with pytest.raises(InputError, match="larger than"):
        plan_datacenters(dcs, g, demand, k=200)
    wet = dcs.copy()
    wet.loc[wet["site_id"] == "C-KUSHIRO", "geometry"] = shapely.Point(146.5, 41.0)
    wet = gpd.GeoDataFrame(wet, geometry="geometry", crs=6668)
    with pytest.raises(InputError, match=r"C-KUSHIRO.*sea"):
        plan_datacenters(wet, g, demand, regions=prefs)


def test_max_per_block_spreads_the_plan(embedded):
    dcs, g, demand, _ = embedded
    plan = plan_datacenters(dcs, g, demand, k=10, fix_funded=False, max_per_block=2)
    blocks = dcs.set_index("site_id").loc[list(plan.chosen), "block"]
    assert blocks.value_counts().max() <= 2
