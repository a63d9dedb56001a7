"""The planning pipeline: plan, write, rollout, sweep, compare (small regions)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import denen_gis
from denen_gis.budget_sweep import sweep
from denen_gis.errors import InputError
from denen_gis.outputs import write_plan
from denen_gis.pipeline import plan, plan_rollout
from denen_gis.plan_tables import site_contributions
from denen_gis.scenario import scenario_from_dict

FAST = {"datacenters": {"enabled": False}, "landings": {"enabled": False}, "resilience": False}


def _scenario(**fiveg):
    return scenario_from_dict(
        {
            "scenario": {"name": "Tottori test", "time_limit_s": 20},
            "region": {"prefectures": ["Tottori"]},
            "fiveg": {"objective": "coverage", "budget_myen": 600, **fiveg},
            **FAST,
        }
    )


@pytest.fixture(scope="module")
def tottori():
    return plan(_scenario())


def test_plan_respects_budget_and_improves_coverage(tottori):
    h = tottori.summary["headline"]
    assert h["cost_myen"] <= 600
    assert h["coverage_after_pct"] > h["coverage_before_pct"]
    assert set(tottori.cells["pref_code"]) == {"31"}
    assert tottori.new_sites["site_id"].str.match(r"^[CUN]31-").all()
    # People each site adds (per-site form) plus those that only the union of
    # several discs covers (MIC's exact area rule) sum to the people newly covered.
    union_only = tottori.summary["area_rule"]["people_added_by_exact_rule"]
    assert tottori.new_sites["people_added"].sum() + union_only == pytest.approx(
        h["people_added"], abs=1
    )
    assert tottori.summary["fiveg"]["status"] in ("OPTIMAL", "FEASIBLE", "HEURISTIC")
    assert tottori.summary["tool"]["ortools"]


def test_headline_is_typed_and_plan_json_keeps_its_keys(tottori):
    h = tottori.headline
    assert tottori.summary["headline"] == h.to_dict()
    assert list(h.to_dict()) == [
        "population",
        "coverage_before_pct",
        "coverage_after_pct",
        "urban_pct_before",
        "urban_pct_after",
        "rural_pct_before",
        "rural_pct_after",
        "urban_rural_gap_before_pp",
        "urban_rural_gap_after_pp",
        "lowest_pref_before",
        "lowest_pref_before_pct",
        "lowest_pref_after",
        "lowest_pref_after_pct",
        "gini_before",
        "gini_after",
        "new_sites",
        "cost_myen",
        "people_added",
    ]
    assert h.new_sites == len(tottori.new_sites)
    assert h.cost_myen == pytest.approx(tottori.new_sites["cost_myen"].sum())


def test_public_api_is_the_same_function():
    assert denen_gis.plan is plan


def test_plan_is_deterministic(tottori):
    again = plan(_scenario())
    assert again.new_sites["site_id"].tolist() == tottori.new_sites["site_id"].tolist()


def test_write_produces_every_output(tottori, tmp_path):
    out = write_plan(tottori, tmp_path / "run")
    names = {p.name for p in out.iterdir()}
    assert {
        "plan.json",
        "by_prefecture.csv",
        "urban_rural.csv",
        "by_municipality.csv",
        "new_sites.csv",
        "plan.gpkg",
        "summary.html",
        "summary.md",
        "coverage_map.html",
    } <= names
    data = json.loads((out / "plan.json").read_text())
    assert data["scenario"]["scenario"]["name"] == "Tottori test"
    assert data["headline"]["new_sites"] == len(tottori.new_sites)
    import pyogrio

    layers = {name for name, _ in pyogrio.list_layers(out / "plan.gpkg")}
    assert {"prefectures", "cells", "stations_existing", "sites_new"} <= layers


def test_failed_write_keeps_the_previous_folder(tottori, tmp_path, monkeypatch):
    out = write_plan(tottori, tmp_path / "run", maps=False)
    before = sorted(p.name for p in out.iterdir())
    from denen_gis import outputs

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(outputs, "write_plan_outputs", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_plan(tottori, tmp_path / "run")
    assert sorted(p.name for p in out.iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary folder left


def test_site_contributions_share_overlaps():
    import scipy.sparse as sp

    m = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=bool))
    got = site_contributions(
        m, np.array([0, 1]), np.array([10, 6, 100]), np.array([True, True, False])
    )
    assert got.tolist() == [5.0, 11.0]


def test_rollout_spends_each_year_within_its_budget():
    p = plan_rollout(_scenario(), yearly_budgets_myen={2027: 300.0, 2028: 300.0})
    years = p.new_sites["year"].to_numpy()
    assert set(years) <= {2027, 2028}
    for year in (2027, 2028):
        assert p.new_sites.loc[years == year, "cost_myen"].sum() <= 300.0 + 1e-6
    rows = p.summary["rollout"]["by_year"]
    assert rows[0]["coverage_pct"] <= rows[1]["coverage_pct"]


def test_sweep_coverage_grows_with_budget():
    table = sweep(_scenario(), [200, 400, 800], parallel=2)
    assert table["budget_myen"].tolist() == [0.0, 200.0, 400.0, 800.0]
    assert (np.diff(table["coverage_pct"].to_numpy()) >= -1e-9).all()
    assert (table["cost_myen"] <= table["budget_myen"] + 1e-6).all()
    assert table["pareto"].iloc[-1]


def test_sweep_needs_a_budget_objective():
    s = scenario_from_dict({"region": {"prefectures": ["Tottori"]}, **FAST})
    with pytest.raises(InputError, match="budget sweep needs"):
        sweep(s, [100])


def test_region_without_cells_is_an_error():
    s = scenario_from_dict({"region": {"prefectures": ["Atlantis"]}, **FAST})
    with pytest.raises(InputError, match="unknown prefecture 'Atlantis'"):
        plan(s)


def test_sweep_on_a_local_dask_cluster_matches_threads():
    pytest.importorskip("distributed")
    threads = sweep(_scenario(), [300], parallel=1)
    dask = sweep(_scenario(), [300], scheduler="local")
    # The same plan: people and cost equal; the percentage may differ in its last bits,
    # as numpy's float sums depend on the memory alignment of the arrays in each process.
    assert dask["cost_myen"].tolist() == threads["cost_myen"].tolist()
    assert dask["coverage_pct"].tolist() == pytest.approx(
        threads["coverage_pct"].tolist(), rel=1e-12
    )


def _telegeography_files(folder):
    cables = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "id": "sea-link",
                    "name": "Sea Link",
                    "color": "#f00",
                    "feature_id": "sea-link-0",
                },
                "geometry": {
                    "type": "MultiLineString",
                    "coordinates": [
                        [[140.04, 39.76], [139.6, 39.5], [139.2, 38.5], [139.05, 37.95]]
                    ],
                },
            },
            {
                "type": "Feature",
                "properties": {
                    "id": "okinawa-link",
                    "name": "Okinawa Link",
                    "color": "#00f",
                    "feature_id": "ok-0",
                },
                "geometry": {
                    "type": "MultiLineString",
                    "coordinates": [[[130.55, 31.55], [129.5, 29.5], [127.68, 26.21]]],
                },
            },
        ],
    }
    points = [
        ("akita", 140.04, 39.76),
        ("niigata", 139.05, 37.95),
        ("kagoshima", 130.55, 31.55),
        ("naha", 127.68, 26.21),
    ]
    landings = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": i, "name": f"{i.title()}, Japan", "is_tbd": False},
                "geometry": {"type": "Point", "coordinates": [x, y]},
            }
            for i, x, y in points
        ],
    }
    (folder / "cable-geo.json").write_text(json.dumps(cables))
    (folder / "landing-point-geo.json").write_text(json.dumps(landings))


def test_user_cable_files_replace_the_embedded_cables(tmp_path):
    _telegeography_files(tmp_path)
    s = scenario_from_dict(
        {
            "scenario": {"time_limit_s": 10},
            "inputs": {"cables": "cable-geo.json", "landing_points": "landing-point-geo.json"},
            "region": {"prefectures": ["Akita"]},
            "fiveg": {"enabled": False},
            "datacenters": {"enabled": False},
            "landings": {"count": 1},
        },
        base_dir=str(tmp_path),
    )
    p = plan(s)
    assert set(p.infrastructure["cables"]["cable_id"]) == {"sea-link", "okinawa-link"}
    assert len(p.summary["landings"]["chosen"]) == 1
    assert p.summary["landings"]["chosen"][0] in {"akita", "niigata", "kagoshima", "naha"}
    assert p.summary["access"]["rtt"]["population_cut_off"] == 0


@pytest.fixture(scope="module")
def tottori_full():
    s = scenario_from_dict(
        {
            "scenario": {"name": "Tottori full", "time_limit_s": 10},
            "region": {"prefectures": ["Tottori"]},
            "fiveg": {"objective": "coverage", "budget_myen": 300},
            "datacenters": {"k": 9},
            "landings": {"count": 4},
        }
    )
    return plan(s)


def test_full_plan_runs_every_step(tottori_full):
    summary = tottori_full.summary
    assert len(summary["datacenters"]["chosen"]) == 9
    assert len(summary["landings"]["chosen"]) == 4
    assert {"today", "with_plan", "capacity_before", "capacity_after"} <= set(summary["resilience"])
    rtt = summary["access"]["rtt"]
    assert rtt["urban_rtt_ms"] > 0 and rtt["rural_rtt_ms"] > 0
    assert (
        summary["resilience"]["capacity_after"]["tokyo_area_share"]
        < (summary["resilience"]["capacity_before"]["tokyo_area_share"])
    )


def test_full_plan_writes_the_infrastructure_outputs(tottori_full, tmp_path):
    out = write_plan(tottori_full, tmp_path / "full")
    html = (out / "infrastructure_map.html").read_text(encoding="utf-8")
    for landing in tottori_full.summary["landings"]["chosen"]:
        assert landing in html
    import pyogrio

    layers = {name for name, _ in pyogrio.list_layers(out / "plan.gpkg")}
    assert {"datacenters", "cables", "landings"} <= layers
    chosen = tottori_full.infrastructure["landings"]
    assert chosen["chosen"].sum() == 4


def test_work_limit_reaches_every_solver(monkeypatch):
    from denen_gis.infrastructure import steps

    seen: dict[str, object] = {}

    def spy(name, real):
        def wrapper(*args, **kwargs):
            seen[name] = kwargs.get("work_limit")
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(steps, "plan_datacenters", spy("dc", steps.plan_datacenters))
    monkeypatch.setattr(steps, "plan_landings", spy("landings", steps.plan_landings))
    s = scenario_from_dict(
        {
            "scenario": {"name": "Tottori work", "time_limit_s": 60, "work_limit": 0.5},
            "region": {"prefectures": ["Tottori"]},
            "fiveg": {"objective": "coverage", "budget_myen": 300},
            "datacenters": {"k": 9},
            "landings": {"count": 4},
        }
    )
    p = plan(s)
    assert seen == {"dc": 0.5, "landings": 0.5}
    assert p.fiveg.details["work"]["limit"] == 0.5
