"""Municipalities as a region: selection by code or name, the scenario key, tables and maps."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from denen_gis.cli import main
from denen_gis.errors import InputError
from denen_gis.io.japan import load_municipalities, load_population_table
from denen_gis.io.municipalities import (
    filter_region_units,
    filter_sites_by_region,
    municipality_codes,
    region_units,
)
from denen_gis.io.sources import urban_threshold_per_km2
from denen_gis.plan_tables import municipality_before_after, municipality_coverage
from denen_gis.scenario import scenario_from_dict
from denen_gis.urban import DID_MIN_DENSITY, DID_MIN_DENSITY_500M


@pytest.fixture(scope="module")
def munis():
    return load_municipalities()


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("32203", ["32203"]),
        ("322032", ["32203"]),  # with the JIS check digit
        ("出雲市", ["32203"]),
        ("鳥取県鳥取市", ["31201"]),
        ("東京都府中市", ["13206"]),
        ("広島県府中市", ["34208"]),
    ],
)
def test_select_by_code_or_name(munis, selector, expected):
    assert municipality_codes(munis, [selector]) == expected


def test_several_selectors_add_up(munis):
    assert municipality_codes(munis, ["松江市", "32203", "松江市"]) == ["32201", "32203"]


@pytest.mark.parametrize("selector", ["札幌市", "01100"])
def test_designated_city_selects_its_wards(munis, selector):
    codes = municipality_codes(munis, [selector])
    wards = munis.loc[munis["parent_code"] == "01100", "muni_code"].tolist()
    assert codes == sorted(wards)
    assert len(codes) == 10 and all(c.startswith("011") for c in codes)


@pytest.mark.parametrize(
    ("name", "candidates"),
    [
        ("府中市", ["13206 (東京都)", "34208 (広島県)"]),
        ("伊達市", ["01233 (北海道)", "07213 (福島県)"]),
    ],
)
def test_ambiguous_name_lists_the_candidates(munis, name, candidates):
    with pytest.raises(InputError) as err:
        municipality_codes(munis, [name])
    msg = str(err.value)
    assert "ambiguous" in msg and "\n" not in msg
    for c in candidates:
        assert c in msg


def test_unknown_name_suggests_close_matches(munis):
    with pytest.raises(InputError, match=r"unknown municipality '松絵市'.*松江市"):
        municipality_codes(munis, ["松絵市"])
    with pytest.raises(InputError, match="unknown municipality code '99999'"):
        municipality_codes(munis, ["99999"])


def test_region_units_union_of_prefectures_and_municipalities():
    from denen_gis.io.japan import load_prefectures

    prefs = load_prefectures()
    assert region_units(prefs, municipalities=["出雲市"]) == ([], ["32203"])
    assert region_units(prefs, codes=["Tottori"], municipalities=["出雲市"]) == (
        ["31"],
        ["32203"],
    )
    table = load_population_table()
    part = filter_region_units(table, prefectures=["31"], municipalities=["32203"])
    assert set(part["pref_code"]) == {"31", "32"}
    assert set(part.loc[part["pref_code"] == "32", "muni_code"]) == {"32203"}
    assert part["population"].sum() == (
        table.loc[
            (table["pref_code"] == "31") | (table["muni_code"] == "32203"), "population"
        ].sum()
    )


def test_candidates_kept_by_polygon(munis):
    from denen_gis.io.japan import load_candidates

    cands = load_candidates()
    kept = filter_sites_by_region(cands, municipalities=["32203"])
    assert 0 < len(kept) < (cands["pref_code"] == "32").sum()
    izumo = munis[munis["muni_code"] == "32203"].geometry.iloc[0]
    inside = kept.geometry.within(izumo.buffer(0.011))
    assert inside.all()


def test_scenario_key_and_filtered_run():
    from denen_gis.pipeline import prepare_inputs

    s = scenario_from_dict({"region": {"municipalities": ["出雲市", "31201"]}})
    assert s.region.municipalities == ("出雲市", "31201")
    assert not s.region.is_national
    assert s.to_dict()["region"]["municipalities"] == ["出雲市", "31201"]
    run_ = prepare_inputs(s)
    assert set(run_.grid["muni_code"]) == {"32203", "31201"}
    assert run_.region == ["31", "32"] and run_.municipalities == ("31201", "32203")
    table = load_population_table()
    want = table.loc[table["muni_code"].isin(["32203", "31201"]), "population"].sum()
    assert run_.before.population == want
    # stations just across the border are kept for the border cells
    assert len(run_.stations) > 0


def test_scenario_ambiguous_name_names_the_file():
    from denen_gis.pipeline import prepare_inputs

    s = scenario_from_dict({"region": {"municipalities": ["府中市"]}}, source="my.toml")
    with pytest.raises(InputError, match=r"my.toml: \[region\] municipality name '府中市'"):
        prepare_inputs(s)


def test_municipality_tables_sum_to_the_totals():
    grid = pd.DataFrame(
        {
            "muni_code": ["31201", "31201", "31202", "31203"],
            "pref_code": ["31"] * 4,
            "population": [100, 50, 30, 20],
        }
    )
    before = np.array([True, False, False, True])
    after = np.array([True, True, False, True])
    t = municipality_before_after(grid, before, after, load_municipalities())
    assert t["muni_code"].tolist() == ["31201", "31202", "31203"]
    assert t["name_ja"].tolist()[0] == "鳥取市"
    assert t["covered_before"].sum() == 120 and t["covered_after"].sum() == 170
    assert t["coverage_after_pct"].tolist() == [100.0, 0.0, 100.0]
    cov = municipality_coverage(grid, before, None)
    assert cov["population"].sum() == 200 and cov["covered_population"].sum() == 120


def test_coverage_cli_municipality_restricts_every_figure():
    code, out, err = run(["coverage", "--json", "--municipality", "出雲市,31201"])
    assert code == 0, err
    s = json.loads(out)
    table = load_population_table()
    sel = table[table["muni_code"].isin(["32203", "31201"])]
    assert s["population"] == sel["population"].sum()
    assert s["cells"] == len(sel)
    assert {r["pref_code"] for r in s["by_pref"]} == {"31", "32"}
    assert [r["muni_code"] for r in s["by_municipality"]] == ["31201", "32203"]
    assert sum(r["population"] for r in s["by_municipality"]) == s["population"]
    assert sum(r["covered_population"] for r in s["by_municipality"]) == s["covered_population"]
    assert set(s["by_municipality"][0]) == {
        "muni_code",
        "name_ja",
        "pref_code",
        "population",
        "covered_population",
        "coverage_pct",
    }
    urban = sel["urban"].astype(bool)
    assert (s["urban_pct"] > 0) == bool(urban.any())


def test_coverage_cli_ambiguous_name_is_one_line():
    code, _, err = run(["coverage", "--municipality", "府中市"])
    assert code == 2
    assert "13206" in err and "34208" in err and "Traceback" not in err


def test_plan_outputs_by_municipality_and_map_layer(tmp_path):
    scen = tmp_path / "s.toml"
    scen.write_text(
        '[scenario]\nname = "izumo"\n\n[region]\nmunicipalities = ["出雲市"]\n\n'
        '[fiveg]\nobjective = "coverage"\nbudget_myen = 300\n\n'
        "[datacenters]\nenabled = false\n\n[landings]\nenabled = false\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code, _, err = run(["plan", str(scen), "--out", str(out), "-q"])
    assert code == 0, err
    table = pd.read_csv(out / "by_municipality.csv", dtype={"muni_code": str, "pref_code": str})
    assert table["muni_code"].tolist() == ["32203"]
    assert {"covered_before", "covered_after", "coverage_after_pct"} <= set(table.columns)
    plan_json = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan_json["by_municipality"][0]["name_ja"] == "出雲市"
    assert (
        plan_json["by_municipality"][0]["population"] == plan_json["coverage_before"]["population"]
    )
    html = (out / "coverage_map.html").read_text(encoding="utf-8")
    assert "denen_municipalities" in html and "5G coverage by municipality" in html
    assert "出雲市" in html or json.dumps("出雲市")[1:-1] in html  # tooltips are JSON-escaped
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert "Lowest municipalities" in md and "32203" in md


def test_plan_cli_option_adds_municipalities(tmp_path):
    code, out, err = run(
        [
            "optimize",
            "5g",
            "--municipality",
            "江津市",
            "--objective",
            "coverage",
            "--budget-myen",
            "100",
            "--json",
            "-q",
        ]
    )
    assert code == 0, err
    s = json.loads(out)
    assert s["municipalities"] == ["32207"]
    assert [r["muni_code"] for r in s["by_municipality"]] == ["32207"]


def test_user_grid_urban_threshold_follows_the_cell_size():
    assert urban_threshold_per_km2(np.array(["533946111"])) == DID_MIN_DENSITY_500M
    assert urban_threshold_per_km2(np.array(["53394611"])) == DID_MIN_DENSITY_500M  # 1 km
    assert urban_threshold_per_km2(np.array(["5339461111"])) == DID_MIN_DENSITY  # 250 m
