"""Scenario TOML: defaults, validation with key and line, no code execution."""

from __future__ import annotations

import re

import pytest

from denen_gis.errors import InputError
from denen_gis.scenario import Scenario, load_scenario, scenario_from_dict


def _write(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_are_the_fy2025_targets():
    s = Scenario()
    assert s.fiveg.objective == "min-cost"
    assert s.fiveg.target_national == 0.97
    assert s.fiveg.target_prefecture == 0.90
    assert s.region.is_national


def test_full_file_loads_and_resolves_paths(tmp_path):
    p = _write(
        tmp_path,
        """
[scenario]
name = "Tohoku"
seed = 3
[inputs]
population = "grid.csv"
[region]
blocks = ["Tohoku"]
[fiveg]
objective = "coverage"
budget_myen = 20000
include_sites = ["c1", "c2"]
[datacenters]
k = 5
""",
    )
    s = load_scenario(p)
    assert s.run.name == "Tohoku" and s.run.seed == 3
    assert s.region.blocks == ("Tohoku",)
    assert s.fiveg.include_sites == ("c1", "c2")
    assert s.resolve(s.inputs.population) == tmp_path.resolve() / "grid.csv"
    assert s.resolve(s.inputs.stations) is None
    assert s.with_budget(5).fiveg.budget_myen == 5.0
    assert s.to_dict()["fiveg"]["include_sites"] == ["c1", "c2"]


def test_resolved_inputs_are_checked_once_against_the_scenario_folder(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "grid.csv").write_text("mesh_code,population\n", encoding="utf-8")
    p = _write(tmp_path, '[inputs]\npopulation = "data/grid.csv"\n')
    paths = load_scenario(p).resolved_inputs()
    assert paths.population == tmp_path.resolve() / "data" / "grid.csv"
    assert paths.stations is None and paths.cables is None
    missing = _write(tmp_path, '[inputs]\nstations = "data/none.gpkg"\n')
    with pytest.raises(InputError, match=r"inputs\.stations: .*none\.gpkg: file not found"):
        load_scenario(missing).resolved_inputs()


def test_the_scenario_section_is_run_in_python_and_scenario_in_json():
    s = scenario_from_dict({"scenario": {"name": "x", "lang": "ja"}})
    assert s.run.name == "x" and s.run.lang == "ja"
    assert s.to_dict()["scenario"]["lang"] == "ja"
    assert "run" not in s.to_dict()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[fiveg]\nbudgett_myen = 5\n", "line 2: fiveg.budgett_myen: unknown key"),
        (
            "[fiveg]\nobjective = 'coverage'\nbudget_myen = 'lots'\n",
            "line 3: fiveg.budget_myen: must be a number",
        ),
        ("[fiveg]\ntarget_national = 1.2\n", "line 2: fiveg.target_national"),
        (
            "[fiveg]\nobjective = 'coverage'\nbudget_myen = -1\n",
            "line 3: fiveg.budget_myen: must not be negative",
        ),
        ("[scenario]\nworkers = 0\n", "line 2: scenario.workers"),
        ("[region]\nblocks = ['Atlantis']\n", "unknown block 'Atlantis'"),
        ("[fiveg]\nobjective = 'coverage'\n", "needs a budget"),
        ("[fiveg]\ninclude_sites = ['a']\nexclude_sites = ['a']\n", "both included and excluded"),
        ("[nonsense]\nx = 1\n", "nonsense: unknown section"),
        ("[fiveg\nx = 1\n", "not valid TOML"),
        ("[datacenters]\nk = 2.5\n", "datacenters.k: must be a whole number"),
    ],
)
def test_bad_scenarios_name_key_and_line(tmp_path, text, expected):
    p = _write(tmp_path, text)
    with pytest.raises(InputError, match=expected.replace("(", r"\(").replace(")", r"\)")) as info:
        load_scenario(p)
    assert str(p) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="scenario file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_toml_cannot_execute_code(tmp_path):
    p = _write(tmp_path, "[scenario]\nname = \"__import__('os').system('touch pwned')\"\n")
    s = load_scenario(p)
    assert s.run.name.startswith("__import__")
    assert not (tmp_path / "pwned").exists()


def test_dict_api_rejects_wrong_section_type():
    with pytest.raises(InputError, match="must be a table"):
        scenario_from_dict({"fiveg": 3})


def test_default_run_is_the_fy2030_scenario_file():
    from pathlib import Path

    from denen_gis.scenario import fy2030_scenario, load_scenario

    path = Path(__file__).resolve().parents[1] / "scenarios" / "fy2030_national.toml"
    from_file = load_scenario(path).to_dict()
    built_in = fy2030_scenario().to_dict()
    for d in (from_file, built_in):
        d["scenario"].pop("output")
        d.pop("source")
        d.pop("base_dir")
    assert from_file == built_in
    assert built_in["scenario"]["work_limit"] == 60.0


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[radio]\nindoor_penetration_db = inf\n", "radio.indoor_penetration_db"),
        ("[radio]\nshadowing_margin_db = inf\n", "radio.shadowing_margin_db"),
        ("[radio]\nue_height_m = nan\n", "radio.ue_height_m"),
        ("[fiveg]\nobjective = 'coverage'\nbudget_myen = nan\n", "fiveg.budget_myen"),
        ("[fiveg]\nrural_weight = inf\n", "fiveg.rural_weight"),
        ("[fiveg]\ntarget_rural = nan\n", "fiveg.target_rural"),
        ("[landings]\ncost_per_landing_myen = nan\n", "landings.cost_per_landing_myen"),
        ("[datacenters]\nweight_land_ms = -inf\n", "datacenters.weight_land_ms"),
        ("[scenario]\ntime_limit_s = nan\n", "scenario.time_limit_s"),
    ],
)
def test_inf_and_nan_are_refused_naming_the_key(tmp_path, text, key):
    """Issue 16: TOML allows inf and nan; no float key of a scenario takes them."""
    p = _write(tmp_path, text)
    with pytest.raises(InputError, match=rf"line \d: {key}: must be a finite number"):
        load_scenario(p)


def test_control_characters_in_the_description_blame_the_description(tmp_path):
    p = _write(tmp_path, '[scenario]\nname = "ok"\ndescription = "a\\u0000b"\n')
    with pytest.raises(InputError, match=r"line 3: scenario\.description: must not hold"):
        load_scenario(p)


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        ("[scenario]\nwork_limit = 1e9\n", "scenario.work_limit", "at most 1e+06"),
        ("[scenario]\nwork_limit = 1e300\n", "scenario.work_limit", "at most 1e+06"),
        ("[datacenters]\nweight_hazard_ms = 1e300\n", "datacenters.weight_hazard_ms", "at most"),
        ("[datacenters]\nweight_land_ms = 1e7\n", "datacenters.weight_land_ms", "at most"),
        ("[fiveg]\ntarget_national = -0.1\n", "fiveg.target_national", "between 0 and 1"),
        ("[radio]\nindoor_penetration_db = 1e300\n", "radio.indoor_penetration_db", "below 100"),
    ],
)
def test_huge_and_out_of_range_values_name_the_key_and_the_range(tmp_path, text, key, says):
    """Issue 16: a value the solvers cannot take is refused up front, naming the key."""
    p = _write(tmp_path, text)
    with pytest.raises(InputError, match=rf"line \d: {key}: .*{re.escape(says)}") as info:
        load_scenario(p)
    msg = str(info.value)
    assert "\n" not in msg and "LinkBudget" not in msg and "above 100%" not in msg


def test_the_largest_allowed_values_load(tmp_path):
    from denen_gis.optimize.effort import MAX_WORK_LIMIT
    from denen_gis.scenario_checks import MAX_WEIGHT_MS
    from denen_gis.scenario_checks import MAX_WORK_LIMIT as SCENARIO_MAX

    assert SCENARIO_MAX == MAX_WORK_LIMIT
    p = _write(
        tmp_path,
        f"[scenario]\nwork_limit = {MAX_WORK_LIMIT}\n"
        f"[datacenters]\nweight_hazard_ms = {MAX_WEIGHT_MS}\n",
    )
    s = load_scenario(p)
    assert s.run.work_limit == MAX_WORK_LIMIT
    assert s.datacenters.weight_hazard_ms == MAX_WEIGHT_MS


def test_python_plan_checks_the_work_limit_again():
    from dataclasses import replace

    from denen_gis.pipeline import plan

    s = Scenario()
    with pytest.raises(InputError, match=r"scenario\.work_limit"):
        plan(replace(s, run=replace(s.run, work_limit=1e9)))
