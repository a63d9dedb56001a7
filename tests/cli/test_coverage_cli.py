"""``denen-gis coverage`` on the embedded dataset and on user files."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from denen_gis.cli import main


@pytest.fixture(scope="module")
def baseline_json(tmp_path_factory):
    out = tmp_path_factory.mktemp("cov") / "result"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["coverage", "--baseline", "fy2021", "--json", "--out", str(out)])
    assert code == 0
    return json.loads(buf.getvalue()), out


def test_fy2021_baseline_reproduces_mic_fy2021(baseline_json):
    # MIC: 93.2% at the end of FY2021 (March 2022); Shimane 72.3%.
    summary, _ = baseline_json
    assert summary["baseline"] == "fy2021"
    assert summary["basis"] == "outdoor, median"
    assert abs(summary["coverage_pct"] - 93.2) <= 0.3
    by_pref = {r["pref_code"]: r["coverage_pct"] for r in summary["by_pref"]}
    for metro in ("11", "13", "14", "27"):  # Saitama, Tokyo, Kanagawa, Osaka above 99%
        assert by_pref[metro] > 99.0
    lowest_five = sorted(by_pref, key=by_pref.get)[:5]
    assert set(lowest_five) == {"03", "32", "39", "44", "46"}  # Iwate Shimane Kochi Oita Kagoshima
    assert abs(by_pref["32"] - 72.3) < 1.0
    assert summary["urban_rural_gap_pp"] > 0


def test_out_folder_holds_the_cell_layer(baseline_json):
    summary, out = baseline_json
    info = pyogrio.read_info(out / "coverage_cells.gpkg")
    assert info["features"] == summary["cells"]
    assert {"mesh_code", "covered", "best_site_id", "rsrp_dbm"} <= set(info["fields"])
    assert json.loads((out / "coverage_summary.json").read_text())["cells"] == summary["cells"]


def test_user_files(tmp_path, capsys):
    grid = tmp_path / "grid.csv"
    grid.write_text("mesh_code,population\n53394611,9000\n53394621,8000\n53390000,40\n")
    st = gpd.GeoDataFrame(
        {"site_id": ["s1"], "station_type": ["nr3700_macro"]},
        geometry=[Point(139.77, 35.68)],
        crs=4326,
    )
    st.to_file(tmp_path / "st.gpkg")
    code = main(
        ["coverage", "--population", str(grid), "--stations", str(tmp_path / "st.gpkg"), "--json"]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    # MIC's area rule: the station serves all of its own cell, but less than half of
    # the cell to the north (centre 0.83 km away, radius 0.93 km), so that one is out.
    assert summary["covered_population"] == 9000
    assert summary["by_pref"][0]["pref_code"] == "13"


def test_unknown_station_type_is_a_clear_error(tmp_path, capsys):
    st = gpd.GeoDataFrame(
        {"site_id": ["s1"], "station_type": ["warp_drive"]},
        geometry=[Point(139.77, 35.68)],
        crs=6668,
    )
    path = tmp_path / "st.gpkg"
    st.to_file(path)
    code = main(["coverage", "--stations", str(path), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "warp_drive" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_by_municipality_sums_equal_by_pref_sums(baseline_json):
    summary, _ = baseline_json
    munis = pd.DataFrame(summary["by_municipality"])
    assert len(munis) > 1800
    assert set(munis.columns) == {
        "muni_code",
        "name_ja",
        "pref_code",
        "population",
        "covered_population",
        "coverage_pct",
    }
    by_pref = pd.DataFrame(summary["by_pref"]).set_index("pref_code")
    sums = munis.groupby("pref_code")[["population", "covered_population"]].sum()
    pd.testing.assert_frame_equal(
        sums.sort_index(),
        by_pref[["population", "covered_population"]].sort_index(),
        check_dtype=False,
        check_names=False,
    )
