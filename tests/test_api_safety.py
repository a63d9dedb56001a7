"""The Python API checks what it is given (issue 16, item 7) and the scenario bounds (item 6)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from denen_gis.errors import InputError
from denen_gis.pipeline import as_scenario, plan
from denen_gis.scenario import Scenario, load_scenario, validate_scenario

S = Scenario()


@pytest.mark.parametrize(
    ("edited", "key"),
    [
        (replace(S, fiveg=replace(S.fiveg, budget_myen="100")), "fiveg.budget_myen"),
        (replace(S, run=replace(S.run, workers=0)), "scenario.workers"),
        (replace(S, region=replace(S.region, prefectures="Tottori")), "region.prefectures"),
        (replace(S, run=replace(S.run, seed=2**31)), "scenario.seed"),
        (replace(S, fiveg=replace(S.fiveg, rural_weight=1e300)), "fiveg.rural_weight"),
        (
            replace(S, landings=replace(S.landings, cost_per_landing_myen=float("inf"))),
            "landings.cost_per_landing_myen",
        ),
        (replace(S, run=replace(S.run, time_limit_s=float("inf"))), "scenario.time_limit_s"),
        (replace(S, run=replace(S.run, name="a\x00b")), "scenario.name"),
    ],
)
def test_plan_checks_an_edited_scenario_again(edited, key):
    with pytest.raises(InputError, match=key.replace(".", r"\.")):
        plan(edited)


def test_validate_scenario_keeps_a_good_one():
    assert validate_scenario(S) == S
    listed = replace(S, region=replace(S.region, prefectures=["Tottori"]))
    assert validate_scenario(listed).region.prefectures == ("Tottori",)


def test_a_mapping_is_a_scenario():
    s = as_scenario({"region": {"prefectures": ["Tottori"]}, "landings": {"enabled": False}})
    assert s.region.prefectures == ("Tottori",) and not s.landings.enabled
    with pytest.raises(InputError, match=r"fiveg\.budget_myen"):
        as_scenario({"fiveg": {"budget_myen": "lots"}})


def test_another_type_is_an_input_error():
    with pytest.raises(InputError, match="not int"):
        as_scenario(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("seed = 2147483648", "seed"),
        ('name = "a\\u0000b"', "name"),
        ('name = "a\\u001b[31mred"', "name"),
    ],
)
def test_scenario_file_refuses_extreme_values(tmp_path: Path, line, key):
    path = tmp_path / "s.toml"
    path.write_text(f"[scenario]\n{line}\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"scenario.{key}"):
        load_scenario(path)


def test_a_utf8_bom_parses(tmp_path: Path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b'\xef\xbb\xbf[scenario]\nname = "BOM"\n')
    assert load_scenario(path).run.name == "BOM"


def test_deeply_nested_toml_is_an_input_error(tmp_path: Path):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_scenario(path)
