"""The embedded Japan dataset: 2020 census 500 m grid, N03 boundaries, DID rule."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from denen_gis.cli import main
from denen_gis.io.japan import (
    load_municipalities,
    load_population_grid,
    load_population_table,
    load_prefectures,
    municipality_table,
)
from denen_gis.mesh import mesh_centroids, mesh_parent
from denen_gis.urban import DID_MIN_DENSITY_500M, classify_urban

#: The 20 designated cities (政令指定都市) of 2021, parents of the wards.
DESIGNATED_CITIES = {
    "01100", "04100", "11100", "12100", "14100", "14130", "14150", "15100", "22100", "22130",
    "23100", "26100", "27100", "27140", "28100", "33100", "34100", "40100", "40130", "43100",
}  # fmt: skip


@pytest.fixture(scope="module")
def prefectures():
    return load_prefectures()


@pytest.fixture(scope="module")
def table():
    return load_population_table()


@pytest.fixture(scope="module")
def municipalities():
    return load_municipalities()


def test_prefectures_carry_the_2020_census(prefectures):
    assert len(prefectures) == 47
    assert prefectures["code"].tolist() == [f"{i:02d}" for i in range(1, 48)]
    assert int(prefectures["population"].sum()) == 126_146_099
    by_name = prefectures.set_index("name_en")["population"]
    assert by_name["Tokyo"] == 14_047_594
    assert by_name["Tottori"] == 553_407
    assert prefectures.crs.to_epsg() == 6668
    assert set(prefectures["block"]) == {
        "Hokkaido",
        "Tohoku",
        "Kanto",
        "Chubu",
        "Kinki",
        "Chugoku",
        "Shikoku",
        "Kyushu-Okinawa",
    }


def test_prefectures_hold_their_remote_islands(prefectures):
    geoms = prefectures.set_index("code").geometry
    islands = {
        "47": (123.00, 24.46),  # Yonaguni
        "13": (142.19, 27.09),  # Chichijima (Ogasawara)
        "15": (138.40, 38.05),  # Sado
        "42": (129.30, 34.40),  # Tsushima
        "46": (129.49, 28.38),  # Amami Oshima
    }
    for code, (lon, lat) in islands.items():
        assert shapely.contains_xy(geoms[code].buffer(0.02), lon, lat), code
    assert prefectures.total_bounds[2] > 153.9  # Minamitorishima


def test_sea_of_japan_flag_and_adjacency(prefectures):
    p = prefectures.set_index("name_en")
    assert p.loc["Niigata", "sea_of_japan_coast"]
    assert p.loc["Shimane", "sea_of_japan_coast"]
    assert not p.loc["Tokyo", "sea_of_japan_coast"]
    neighbours = dict(
        zip(prefectures["code"], prefectures["neighbors"].str.split(","), strict=True)
    )
    assert "11" in neighbours["13"] and "14" in neighbours["13"]  # Tokyo: Saitama, Kanagawa
    assert neighbours["01"] == [""]  # Hokkaido touches no prefecture by land
    for code, ns in neighbours.items():  # adjacency is symmetric
        for n in filter(None, ns):
            assert code in neighbours[n]


def test_grid_totals_are_the_census(table):
    assert len(table) == 466_145
    assert int(table["population"].sum()) == 126_146_099
    assert int(table["households"].sum()) == 55_830_154
    assert table["mesh_code"].str.len().eq(9).all()
    assert table["mesh_code"].is_unique
    assert (table["population"] >= 0).all()
    assert len(np.unique(mesh_parent(table["mesh_code"].to_numpy(), 3))) == 176_964


def test_prefecture_sums_within_0_2_percent(table, prefectures):
    by_pref = table.groupby("pref_code")["population"].sum()
    census = prefectures.set_index("code")["population"]
    rel = (by_pref.reindex(census.index) - census).abs() / census
    assert rel.max() <= 0.002


def test_every_cell_has_a_known_municipality(table, municipalities):
    assert table["muni_code"].isin(set(municipalities["muni_code"])).all()
    assert (table["pref_code"] == table["muni_code"].str[:2]).all()
    nearest = table["muni_by_nearest"].to_numpy()
    assert 0 < nearest.sum() < 0.05 * len(table)


def test_cell_centres_lie_in_their_municipality(table, municipalities):
    geoms = municipalities.set_index("muni_code").geometry
    for code in ("13101", "32201", "01101", "47382"):
        sel = table[(table["muni_code"] == code) & ~table["muni_by_nearest"]]
        lon, lat = mesh_centroids(sel["mesh_code"].to_numpy())
        assert len(sel) > 0
        assert shapely.contains_xy(geoms[code], lon, lat).all()


def test_municipalities_are_the_coded_n03_units(municipalities, table):
    assert len(municipalities) == 1902
    assert municipalities["muni_code"].is_unique
    assert municipalities["muni_code"].str.fullmatch(r"\d{5}").all()
    assert int(municipalities["population"].sum()) == 126_146_099
    assert int(municipalities["cells"].sum()) == len(table)
    parents = set(municipalities["parent_code"]) - {""}
    assert parents == DESIGNATED_CITIES
    ward = municipalities.set_index("muni_code").loc["01101"]
    assert ward["parent_code"] == "01100" and ward["name_ja"] == "札幌市中央区"
    assert municipalities.set_index("muni_code").at["13101", "parent_code"] == ""
    ambiguous = municipalities[municipalities["name_ja"] == "府中市"]
    assert sorted(ambiguous["pref_code"]) == ["13", "34"]


def test_islands_have_their_people_in_their_own_municipality(table, municipalities):
    m = municipalities.set_index("muni_code")
    for code in ("47382", "13421", "15224", "42209", "42211", "42411"):  # Yonaguni .. Goto
        got, pre = int(m.at[code, "population"]), int(m.at[code, "population_preliminary"])
        assert pre > 0 and abs(got - pre) <= 0.03 * pre, (code, got, pre)
    first = table["mesh_code"].str[:4]
    assert (table.loc[first == "3622", "muni_code"] == "47382").all()  # Yonaguni
    assert (first == "3622").any()
    ogasawara = first.isin(["3942", "4042", "3653"])
    assert ogasawara.any() and (table.loc[ogasawara, "muni_code"] == "13421").all()


def test_municipal_sums_are_close_to_the_preliminary_counts(municipalities):
    known = municipalities[municipalities["population_preliminary"] > 0]
    rel = (known["population"] - known["population_preliminary"]).abs()
    rel = rel / known["population_preliminary"]
    assert rel.median() < 0.01
    assert (rel < 0.05).mean() > 0.9


def test_urban_share_is_the_census_did_share(table):
    pop = table["population"].to_numpy()
    urban = table["urban"].to_numpy()
    assert abs(pop[urban].sum() / pop.sum() - 0.700) <= 0.005


def test_urban_flag_is_the_did_rule_at_the_calibrated_threshold(table):
    again = classify_urban(
        table["mesh_code"].to_numpy(),
        table["population"].to_numpy(),
        min_density=DID_MIN_DENSITY_500M,
    )
    assert (again == table["urban"].to_numpy()).all()


def test_grid_layer_has_500m_cells():
    grid = load_population_grid()
    assert grid.crs.to_epsg() == 6668
    area = grid["area_km2"].to_numpy()
    assert np.all((area > 0.22) & (area < 0.30))
    top = grid.nlargest(200, "population")
    assert (
        top["pref_code"].isin(["11", "12", "13", "14", "23", "27", "28", "40", "01"]).mean() > 0.8
    )


def test_data_info_json(capsys):
    assert main(["data", "info", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["population"] == 126_146_099
    assert out["households"] == 55_830_154
    assert out["cells"] == 466_145
    assert out["cell_size_m"] == 500
    assert out["municipalities"] == 1902
    assert len(out["prefectures"]) == 47
    assert sum(p["population"] for p in out["prefectures"]) == out["population"]
    assert sum(p["cells"] for p in out["prefectures"]) == out["cells"]
    tokyo = next(p for p in out["prefectures"] if p["pref_code"] == "13")
    assert 0.9 < tokyo["urban_population"] / tokyo["population"] <= 1.0
    assert out["nearest_municipality_cells"] > 0
    assert out["urban_threshold_per_km2"] == DID_MIN_DENSITY_500M


def test_data_info_municipalities(capsys):
    assert main(["data", "info", "--municipalities", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["municipalities"]
    assert len(rows) == 1902
    matsue = next(r for r in rows if r["muni_code"] == "32201")
    assert matsue["name_ja"] == "松江市" and matsue["pref_code"] == "32"
    assert 0 < matsue["urban_share"] < 1
    assert len(municipality_table()) == 1902
