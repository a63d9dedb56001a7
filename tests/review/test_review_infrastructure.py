"""Review findings in the data-centre, landing, resilience and sweep code paths."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from denen_gis.errors import InputError
from denen_gis.layers.network import build_backbone
from denen_gis.layers.resilience import compare_cuts, n_minus_1
from denen_gis.optimize.datacenters import solve_dc_siting


def _tg_files(folder):
    """A Sea of Japan cable (Niigata-Akita) and a Kyushu-Okinawa cable, TeleGeography layout."""

    def cable(cid, coords):
        return {
            "type": "Feature",
            "properties": {"id": cid, "name": cid, "feature_id": f"{cid}-0"},
            "geometry": {"type": "MultiLineString", "coordinates": [coords]},
        }

    def landing(lid, xy):
        return {
            "type": "Feature",
            "properties": {"id": lid, "name": lid, "is_tbd": False},
            "geometry": {"type": "Point", "coordinates": xy},
        }

    cables = {
        "type": "FeatureCollection",
        "features": [
            cable("soj-x", [[139.0, 37.95], [139.5, 38.6], [140.0, 39.7]]),
            cable("oki-x", [[130.2, 31.4], [129.0, 29.0], [127.65, 26.2]]),
        ],
    }
    lands = {
        "type": "FeatureCollection",
        "features": [
            landing("tg-niigata", [139.0, 37.95]),
            landing("tg-akita", [140.0, 39.7]),
            landing("tg-satsuma", [130.2, 31.4]),
            landing("tg-naha", [127.65, 26.2]),
        ],
    }
    (folder / "cable-geo.json").write_text(json.dumps(cables), encoding="utf-8")
    (folder / "landing-point-geo.json").write_text(json.dumps(lands), encoding="utf-8")


@pytest.mark.xfail(
    strict=True,
    reason="outputs.plan_infrastructure_map always draws the embedded landings "
    "(japan.load_landings()), not the user's TeleGeography landings the plan used",
)
def test_infrastructure_map_shows_the_users_landings(tmp_path):
    from denen_gis.outputs import plan_infrastructure_map
    from denen_gis.pipeline import plan
    from denen_gis.scenario import scenario_from_dict

    _tg_files(tmp_path)
    s = scenario_from_dict(
        {
            "scenario": {"time_limit_s": 5},
            "inputs": {"cables": "cable-geo.json", "landing_points": "landing-point-geo.json"},
            "region": {"prefectures": ["Tottori"]},
            "fiveg": {"enabled": False},
            "datacenters": {"enabled": False},
            "landings": {"count": 2},
            "resilience": False,
        },
        base_dir=str(tmp_path),
    )
    html = plan_infrastructure_map(plan(s)).get_root().render()
    assert "tg-niigata" in html
    assert "SOJ-ISHIKARI" not in html


@pytest.mark.xfail(
    strict=True,
    reason="segments of one cable share the edge id, so compare_cuts merges them as a "
    "cartesian product and reports relief where nothing changed",
)
def test_compare_cuts_of_a_report_with_itself_relieves_nobody():
    hubs = pd.DataFrame(
        {
            "code": ["a", "b", "c"],
            "lon": [135.0, 136.0, 137.0],
            "lat": [35.0, 35.0, 35.0],
            "population": [100, 100, 100],
        }
    )
    links = pd.DataFrame({"from_code": ["a"], "to_code": ["b"], "length_km": [100.0]})
    cables = gpd.GeoDataFrame(
        {"cable_id": ["X"], "status": ["existing"]},
        geometry=[LineString([(135, 34.9), (136, 34.9), (137, 34.9)])],
        crs=6668,
    )
    landings = gpd.GeoDataFrame(
        {"landing_id": ["la", "lb", "lc"], "cable_id": ["X"] * 3, "pref_code": ["a", "b", "c"]},
        geometry=[Point(135, 34.9), Point(136, 34.9), Point(137, 34.9)],
        crs=6668,
    )
    dcs = pd.DataFrame({"site_id": ["d"], "pref_code": ["a"], "lon": [135.0], "lat": [35.0]})
    report = n_minus_1(build_backbone(hubs, links, cables, landings, datacenters=dcs), sites=["d"])
    table = compare_cuts(report, report)
    assert len(table) == len(report.cuts)
    assert (table["relieved_population"] == 0).all()


_W = [1000, 1000, 1000, 1000]
_D = np.array([[0, 5, 9, 9], [5, 0, 5, 9], [9, 5, 0, 5], [9, 9, 5, 0]], dtype=float)


@pytest.mark.xfail(
    strict=True,
    reason="the DC budget constraint rounds costs and budget to whole million yen: two "
    "sites of 1.4 fit a budget of 2.5",
)
def test_dc_budget_is_never_exceeded():
    cost = np.full(4, 1.4)
    r = solve_dc_siting(_W, _D, k=2, cost_myen=cost, budget_myen=2.5, workers=1)
    assert cost[r.chosen].sum() <= 2.5


@pytest.mark.xfail(
    strict=True,
    reason="with a backup rule the p-median bound includes the weighted backup RTT, so the "
    "reported best_bound (4.25 ms) exceeds the objective (2.5 ms) of an OPTIMAL solve",
)
def test_dc_bound_with_backup_does_not_exceed_the_objective():
    r = solve_dc_siting(_W, _D, k=2, backup_max_rtt_ms=20.0, workers=1)
    assert r.best_bound <= r.objective + 1e-9


@pytest.mark.xfail(
    strict=True,
    reason="a negative time limit reaches CP-SAT (MODEL_INVALID) and comes back as "
    "InfeasibleError (exit 3, 'target cannot be met') instead of an InputError",
)
def test_dc_negative_time_limit_is_an_input_error():
    with pytest.raises(InputError):
        solve_dc_siting(_W, _D, k=1, time_limit_s=-1.0, workers=1)


@pytest.mark.xfail(
    strict=True,
    reason="sweep --dask with an unreachable scheduler lets distributed's OSError through: "
    "traceback and exit 1 (after 30 s) instead of one line and exit 2",
)
def test_unreachable_dask_scheduler_is_an_input_error(monkeypatch):
    distributed = pytest.importorskip("distributed")
    from denen_gis.budget_sweep import sweep
    from denen_gis.scenario import scenario_from_dict

    def refuse(*args, **kwargs):
        msg = "Timed out trying to connect to tcp://127.0.0.1:9 after 30 s"
        raise OSError(msg)

    monkeypatch.setattr(distributed, "Client", refuse)
    s = scenario_from_dict(
        {
            "region": {"prefectures": ["Tottori"]},
            "fiveg": {"objective": "coverage", "budget_myen": 100},
            "scenario": {"time_limit_s": 5},
        }
    )
    with pytest.raises(InputError):
        sweep(s, [100.0], scheduler="tcp://127.0.0.1:9")
