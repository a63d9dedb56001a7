"""5G baselines by fiscal year: nesting, calibration to MIC, candidate kinds, ``--baseline``."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from denen_gis.cli import main
from denen_gis.errors import InputError
from denen_gis.io.baselines import baseline_year, calibration_errors
from denen_gis.io.japan import load_fiveg_calibration, load_population_grid
from denen_gis.io.sources import candidates_input, stations_input
from denen_gis.scenario import scenario_from_dict


def test_baselines_nest_and_later_sites_become_upgrades() -> None:
    ids = {b: set(stations_input(baseline=b)["site_id"]) for b in ("fy2021", "fy2022", "fy2023")}
    assert ids["fy2021"] < ids["fy2022"] < ids["fy2023"]
    assert ids["fy2023"] == set(stations_input()["site_id"])
    c21, c23 = candidates_input(baseline="fy2021"), candidates_input(baseline="fy2023")
    later = ids["fy2023"] - ids["fy2021"]
    added = set(c21["site_id"]) - set(c23["site_id"])
    assert added == {i.replace("S", "N", 1) for i in later}
    assert (c21.loc[c21["site_id"].isin(added), "kind"] == "upgrade").all()
    assert c21["site_id"].is_unique
    with pytest.raises(InputError, match="fy2021"):
        baseline_year("fy2020")


def test_calibration_within_the_stated_tolerances() -> None:
    cal = load_fiveg_calibration()
    errors = {e["baseline"]: e for e in calibration_errors(cal)}
    for name, mic in (("fy2021", 93.2), ("fy2022", 96.6), ("fy2023", 98.1)):
        e = errors[name]
        assert e["mic_national_pct"] == mic
        assert abs(e["national_pct"] - mic) <= 0.3
        assert e["mae_pp"] <= 1.0
        assert e["prefectures_known"] >= 13
    # nested years never lose coverage in any prefecture
    wide = cal[cal["pref_code"] != "00"].pivot(index="pref_code", columns="fy", values="model_pct")
    assert (wide[2022] >= wide[2021] - 1e-9).all() and (wide[2023] >= wide[2022] - 1e-9).all()


def test_candidate_kinds_and_costs() -> None:
    cand = candidates_input()
    assert set(cand["kind"]) == {"upgrade", "new_tower"}
    assert len(cand) <= 50_000
    up = cand[cand["kind"] == "upgrade"]
    new = cand[cand["kind"] == "new_tower"]
    assert np.allclose(up["cost_myen"], 7.0)
    assert up["cost_note"].str.contains("4.9-8.8").all()
    assert (new["cost_myen"] >= 13.0).all()
    island = new["cost_note"].str.contains("island link")
    assert island.any() and (new.loc[island, "cost_myen"] >= 33.0).all()


def test_scenario_baseline_key_and_validation() -> None:
    s = scenario_from_dict({"scenario": {"name": "x"}, "fiveg": {"baseline": "fy2021"}})
    assert s.fiveg.baseline == "fy2021"
    assert scenario_from_dict({"scenario": {"name": "x"}}).fiveg.baseline == "fy2023"
    with pytest.raises(InputError, match="baseline"):
        scenario_from_dict({"scenario": {"name": "x"}, "fiveg": {"baseline": "fy2019"}})


def test_coverage_baseline_json_keys(tmp_path) -> None:
    grid = load_population_grid()
    tottori = grid.loc[grid["pref_code"] == "31", ["mesh_code", "population", "pref_code", "urban"]]
    path = tmp_path / "tottori.csv"
    pd.DataFrame(tottori).to_csv(path, index=False)
    out = {}
    for b in ("fy2021", "fy2023"):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main(["coverage", "--population", str(path), "--baseline", b, "--json"]) == 0
        out[b] = json.loads(buf.getvalue())
    d = out["fy2021"]
    assert d["baseline"] == "fy2021"
    assert {"coverage_pct", "by_pref"} <= set(d)
    assert d["by_pref"][0]["pref_code"] == "31" and "coverage_pct" in d["by_pref"][0]
    # MIC: Tottori 85.9% (FY2021) and 94.2% (FY2023)
    assert abs(d["coverage_pct"] - 85.9) < 1.5
    assert abs(out["fy2023"]["coverage_pct"] - 94.2) < 1.5
