"""A user's population grid is checked where it enters (issue 16, item 6)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from denen_gis.errors import InputError
from denen_gis.io.japan import load_population_grid
from denen_gis.io.sources import population_input


@pytest.fixture(scope="module")
def tottori():
    grid = load_population_grid()
    return grid[grid["pref_code"] == "31"].head(60).reset_index(drop=True)


def _layer(frame, path: Path) -> Path:
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def test_a_layer_without_area_gets_it_from_the_mesh_codes(tottori, tmp_path):
    path = _layer(tottori.drop(columns="area_km2"), tmp_path / "p.gpkg")
    grid = population_input(path)
    np.testing.assert_allclose(grid["area_km2"], tottori["area_km2"], rtol=1e-6)


def test_an_unknown_pref_code_names_the_value_and_file(tottori, tmp_path):
    frame = tottori.assign(pref_code=["31"] * 59 + ["99"])
    path = _layer(frame, tmp_path / "p.gpkg")
    with pytest.raises(InputError, match=r"p\.gpkg: unknown pref_code '99'"):
        population_input(path)


def test_web_mercator_numbers_read_as_degrees_are_refused(tottori, tmp_path):
    metres = tottori.to_crs(3857).set_crs(6668, allow_override=True)
    path = _layer(metres, tmp_path / "p.gpkg")
    with pytest.raises(InputError, match="EPSG:3857"):
        population_input(path)


def test_polygons_away_from_their_mesh_codes_are_refused(tottori, tmp_path):
    moved = tottori.copy()
    moved["geometry"] = moved.geometry.translate(xoff=1.0)
    with pytest.raises(InputError, match="from the cell its code names"):
        population_input(_layer(moved, tmp_path / "p.gpkg"))


def test_populations_that_would_overflow_are_refused(tottori, tmp_path):
    path = tmp_path / "p.csv"
    rows = [f"{c},{9e18:.0f}" for c in tottori["mesh_code"]]
    path.write_text("mesh_code,population\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="people"):
        population_input(path)


@pytest.mark.parametrize("name", ["grid.csv", "grid.txt", "grid.zip"])
def test_a_folder_named_like_a_file_is_one_line(tmp_path, name):
    (tmp_path / name).mkdir()
    with pytest.raises(InputError, match="is a folder"):
        population_input(tmp_path / name)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_one_line(tmp_path):
    path = tmp_path / "grid.csv"
    path.write_text("mesh_code,population\n", encoding="utf-8")
    path.chmod(0)
    with pytest.raises(InputError, match="cannot read"):
        population_input(path)


@pytest.mark.parametrize("value", ["1e19", "9.3e18", "9223372036854775808", "1" + "0" * 30])
def test_huge_csv_populations_are_refused_before_any_cast(tottori, tmp_path, value):
    """Issue 16: values at or past 2**63 used to wrap to a negative int64 and pass."""
    path = tmp_path / "p.csv"
    codes = tottori["mesh_code"].tolist()
    rows = [f"{c},10" for c in codes[:3]] + [f"{codes[3]},{value}"]
    path.write_text("mesh_code,population\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"p\.csv: column 'population' row 3 .*10,000,000") as e:
        population_input(path)
    assert "\n" not in str(e.value)


def test_huge_layer_populations_are_refused(tottori, tmp_path):
    frame = tottori.assign(population=[10.0] * 59 + [1e19])
    path = _layer(frame, tmp_path / "p.gpkg")
    with pytest.raises(InputError, match=r"p\.gpkg: column 'population' row 59"):
        population_input(path)


def test_schema_int_columns_refuse_values_past_int64():
    import geopandas as gpd
    from shapely.geometry import box

    from denen_gis.schema import validate_layer

    frame = gpd.GeoDataFrame(
        {"code": ["31", "32"], "name_ja": ["a", "b"], "name_en": ["a", "b"],
         "population": [1.0, 2.0**63]},
        geometry=[box(133, 35, 134, 35.5), box(132, 35, 133, 35.5)],
        crs=6668,
    )  # fmt: skip
    with pytest.raises(InputError, match=r"f\.gpkg: column 'population' row 1 .*whole number"):
        validate_layer(frame, "regions", source="f.gpkg")


def test_a_header_only_csv_says_so(tmp_path):
    path = tmp_path / "grid.csv"
    path.write_text("mesh_code,population\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"grid\.csv has a header but no rows"):
        population_input(path)


@pytest.mark.parametrize("header", ["urban\0", "Urban", "URBAN ", "pref_code\x1b"])
def test_a_known_column_under_a_near_name_is_refused(tmp_path, header):
    """Else it was dropped as an extra column, and the modelled value took its place."""
    path = tmp_path / "grid.csv"
    path.write_text(f"mesh_code,population,{header}\n533946392,1200,true\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"grid\.csv: column .* is not spelled '(urban|pref_code)'"
    ):
        population_input(path)
