"""The embedded Japan dataset: census totals, grid calibration, DID shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from denen_gis.io.japan import load_population_grid, load_prefectures
from denen_gis.mesh import mesh_centroids


@pytest.fixture(scope="module")
def prefectures():
    return load_prefectures()


@pytest.fixture(scope="module")
def grid():
    return load_population_grid()


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


def test_sea_of_japan_flag_and_adjacency(prefectures):
    p = prefectures.set_index("name_en")
    assert p.loc["Niigata", "sea_of_japan_coast"]
    assert p.loc["Shimane", "sea_of_japan_coast"]
    assert not p.loc["Tokyo", "sea_of_japan_coast"]
    neighbours = dict(
        zip(prefectures["code"], prefectures["neighbors"].str.split(","), strict=True)
    )
    assert "11" in neighbours["13"] and "14" in neighbours["13"]  # Tokyo: Saitama, Kanagawa
    for code, ns in neighbours.items():  # adjacency is symmetric
        for n in filter(None, ns):
            assert code in neighbours[n]


def test_grid_sums_to_each_prefecture_census(grid, prefectures):
    assert int(grid["population"].sum()) == 126_146_099
    by_pref = grid.groupby("pref_code")["population"].sum()
    expected = prefectures.set_index("code")["population"]
    pd.testing.assert_series_equal(
        by_pref.sort_index(), expected.sort_index(), check_names=False, check_dtype=False
    )
    assert (grid["population"] >= 0).all()
    assert grid["mesh_code"].str.len().eq(8).all()
    assert grid["mesh_code"].is_unique


def test_no_cell_lies_in_the_sea(grid, prefectures):
    lon, lat = mesh_centroids(grid["mesh_code"].to_numpy())
    geoms = prefectures.set_index("code").geometry
    for code in ("01", "13", "32", "47"):
        m = grid["pref_code"].to_numpy() == code
        assert shapely.contains_xy(geoms[code], lon[m], lat[m]).all()


def test_did_share_and_urban_land_match_the_census_scale(grid):
    urban = grid["urban"].to_numpy()
    share = grid.loc[urban, "population"].sum() / grid["population"].sum()
    land_share = grid.loc[urban, "area_km2"].sum() / grid["area_km2"].sum()
    assert 0.65 <= share <= 0.75  # census 2020 DID share: 70.0%
    assert land_share < 0.04  # census DID area: 3.4% of land
    density = grid["population"] / grid["area_km2"]
    assert (density[urban] >= 4000).all()


def test_largest_cities_stand_out(grid):
    top = grid.nlargest(200, "population")
    # The densest cells are in the big metropolitan prefectures.
    assert set(top["pref_code"]) & {"13", "27", "14", "23"}
    assert (
        top["pref_code"]
        .isin(["11", "12", "13", "14", "23", "26", "27", "28", "40", "01", "04", "34"])
        .mean()
        > 0.8
    )
    cell_area = grid["area_km2"].to_numpy()
    assert np.all((cell_area > 0.9) & (cell_area < 1.2))
