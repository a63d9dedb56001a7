"""N03 administrative boundaries: dissolve parts, encodings, CRS, bad files."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from pyproj import Geod

from denen_gis.errors import InputError
from denen_gis.io.n03 import read_n03

from .conftest import n03_frame

_GEOD = Geod(ellps="GRS80")


def _check(regions: gpd.GeoDataFrame) -> None:
    assert regions["code"].tolist() == ["01101", "01235", "01303"]
    assert regions["pref_code"].tolist() == ["01", "01", "01"]
    assert regions["name_ja"].tolist() == ["札幌市中央区", "石狩市", "石狩郡当別町"]
    assert regions["pref_name_ja"].tolist() == ["北海道"] * 3
    assert regions["name_en"].tolist() == regions["code"].tolist()
    assert regions.crs.to_epsg() == 6668
    # the two parts of 石狩市 touch: one polygon
    assert regions.geometry.iloc[1].geom_type == "Polygon"
    for geom, area in zip(regions.geometry, regions["area_km2"], strict=True):
        expected = abs(_GEOD.geometry_area_perimeter(geom)[0]) / 1e6
        assert area == pytest.approx(expected, rel=1e-9)
    assert regions["area_km2"].iloc[2] == pytest.approx(8.1 * 11.1, rel=0.05)


def test_geojson(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "N03-20240101.geojson"
    pyogrio.write_dataframe(n03_frame(), path)
    with caplog.at_level(logging.WARNING, logger="denen_gis.io.n03"):
        regions = read_n03(path)
    _check(regions)
    assert "dropped 1 feature(s) with no N03_007" in caplog.text


@pytest.mark.parametrize("encoding", ["cp932", "utf-8"])
def test_old_shapefile_without_cpg(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "N03-15_01_150101.shp"
    pyogrio.write_dataframe(n03_frame(), path, encoding=encoding)
    path.with_suffix(".cpg").unlink()
    _check(read_n03(path))


def test_shapefile_with_cpg(tmp_path: Path) -> None:
    path = tmp_path / "n03.shp"
    pyogrio.write_dataframe(n03_frame(), path, encoding="cp932")
    assert path.with_suffix(".cpg").read_text().strip().upper() == "CP932"
    _check(read_n03(path))


def test_jgd2000_is_transformed(tmp_path: Path) -> None:
    path = tmp_path / "old.geojson"
    pyogrio.write_dataframe(n03_frame().set_crs(4612, allow_override=True), path)
    regions = read_n03(path)
    assert regions.crs.to_epsg() == 6668
    assert regions["code"].tolist() == ["01101", "01235", "01303"]


def test_ward_column_n03_005(tmp_path: Path) -> None:
    frame = n03_frame()
    frame["N03_003"] = [None, "石狩郡", None, None, None]
    frame["N03_004"] = ["札幌市", "当別町", "石狩市", "石狩市", None]
    frame["N03_005"] = ["中央区", None, None, None, None]
    path = tmp_path / "new.geojson"
    pyogrio.write_dataframe(frame, path)
    assert read_n03(path)["name_ja"].tolist() == ["札幌市中央区", "石狩市", "石狩郡当別町"]


def test_missing_crs(tmp_path: Path) -> None:
    path = tmp_path / "nocrs.shp"
    pyogrio.write_dataframe(n03_frame(), path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(InputError, match=r"nocrs\.shp: the layer has no CRS"):
        read_n03(path)


def test_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.geojson"
    pyogrio.write_dataframe(n03_frame().drop(columns="N03_007"), path)
    with pytest.raises(InputError, match=r"x\.geojson: missing N03 column\(s\) \['N03_007'\]"):
        read_n03(path)


def test_bad_code_names_row(tmp_path: Path) -> None:
    frame = n03_frame()
    frame.loc[2, "N03_007"] = "1235"
    path = tmp_path / "x.geojson"
    pyogrio.write_dataframe(frame, path)
    with pytest.raises(InputError, match=r"x\.geojson: column 'N03_007' row 2 is '1235'"):
        read_n03(path)


def test_conflicting_names(tmp_path: Path) -> None:
    frame = n03_frame()
    frame.loc[3, "N03_004"] = "石狩町"
    path = tmp_path / "x.geojson"
    pyogrio.write_dataframe(frame, path)
    with pytest.raises(
        InputError,
        match=r"x\.geojson: code '01235' is named '石狩市' in row 2 "
        r"and '石狩町' in row 3",
    ):
        read_n03(path)


def test_all_codes_empty(tmp_path: Path) -> None:
    frame = n03_frame().assign(N03_007=None)
    path = tmp_path / "x.geojson"
    pyogrio.write_dataframe(frame, path)
    with pytest.raises(InputError, match=r"x\.geojson: every feature has an empty N03_007"):
        read_n03(path)


def test_invalid_part_is_repaired(tmp_path: Path) -> None:
    from shapely.geometry import Polygon

    frame = n03_frame()
    bowtie = Polygon([(141.5, 43.2), (141.6, 43.3), (141.6, 43.2), (141.5, 43.3)])
    frame.loc[1, "geometry"] = bowtie
    path = tmp_path / "x.geojson"
    pyogrio.write_dataframe(frame, path)
    regions = read_n03(path)
    assert regions.is_valid.all()
    assert regions.loc[regions["code"] == "01303", "area_km2"].iloc[0] > 0


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"N03\.geojson: file not found"):
        read_n03(tmp_path / "N03.geojson")
