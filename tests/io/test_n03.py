"""N03 administrative boundaries: dissolve parts, encodings, CRS, bad files."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Geod

from denen_gis.errors import InputError
from denen_gis.io.n03 import N03_EXTENSIONS, read_n03

from .conftest import N03_TINY_TOPOJSON, n03_frame, topojson_of

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


# --- TopoJSON, prefecture files and every accepted format -----------------------------------


def test_tiny_topojson_shared_arc(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="denen_gis.io.n03"):
        regions = read_n03(N03_TINY_TOPOJSON)
    assert regions["code"].tolist() == ["32201", "32203", "32528"]
    assert regions["name_ja"].tolist() == ["松江市", "出雲市", "隠岐郡隠岐の島町"]
    assert regions["pref_code"].tolist() == ["32"] * 3
    assert regions["pref_name_ja"].tolist() == ["島根県"] * 3
    assert regions.crs.to_epsg() == 6668
    assert "taken as JGD2011 lon/lat (EPSG:6668)" in caplog.text
    assert "dropped 1 feature(s) with no N03_007 code (所属未定地" in caplog.text
    matsue, izumo, oki = regions.geometry
    # the arcs are dequantised: 松江市 is 133.0-133.1 E, 35.0-35.1 N
    assert matsue.bounds == pytest.approx((133.0, 35.0, 133.1, 35.1), abs=1e-9)
    assert oki.bounds == pytest.approx((133.05, 35.2, 133.08, 35.23), abs=1e-9)
    # the shared arc is one edge of both: they touch along it, without overlap
    shared = matsue.intersection(izumo)
    assert shared.geom_type == "LineString"
    assert shared.length == pytest.approx(0.1, abs=1e-9)
    assert matsue.intersection(izumo).area == 0
    for geom, area in zip(regions.geometry, regions["area_km2"], strict=True):
        assert area == pytest.approx(abs(_GEOD.geometry_area_perimeter(geom)[0]) / 1e6, rel=1e-9)


def test_topojson_as_json_extension(tmp_path: Path) -> None:
    path = tmp_path / "N03.json"
    path.write_bytes(N03_TINY_TOPOJSON.read_bytes())
    assert read_n03(path)["code"].tolist() == ["32201", "32203", "32528"]


def _prefecture_topology() -> dict[str, object]:
    topo = json.loads(N03_TINY_TOPOJSON.read_text(encoding="utf-8"))
    topo["objects"] = {
        "prefectures": {
            "type": "GeometryCollection",
            "geometries": [
                {
                    "type": "MultiPolygon",
                    "arcs": [[[1, 2]], [[3]]],
                    "properties": {"N03_001": "島根県"},
                },
                {"type": "Polygon", "arcs": [[4]], "properties": {"N03_001": "鳥取県"}},
            ],
        }
    }
    return topo


def test_prefecture_file(tmp_path: Path) -> None:
    path = tmp_path / "prefectures.topojson"
    path.write_text(json.dumps(_prefecture_topology(), ensure_ascii=False), encoding="utf-8")
    prefs = read_n03(path)
    assert prefs["code"].tolist() == ["31", "32"]
    assert prefs["name_ja"].tolist() == ["鳥取県", "島根県"]
    assert prefs["name_en"].tolist() == ["Tottori", "Shimane"]
    assert prefs["pref_code"].tolist() == ["31", "32"]
    # the outline of the two mainland municipalities (arcs 1 and 2) plus the island
    assert prefs.geometry.iloc[1].bounds == pytest.approx((133.0, 35.0, 133.2, 35.23), abs=1e-9)


def test_prefecture_level_of_a_municipal_file_keeps_uncoded_land() -> None:
    munis = read_n03(N03_TINY_TOPOJSON)
    prefs = read_n03(N03_TINY_TOPOJSON, level="prefecture")
    assert prefs["code"].tolist() == ["32"]
    assert prefs["name_ja"].tolist() == ["島根県"]
    lake = 20 * 20 * 1e-6  # deg^2 of the uncoded square
    munis_deg2 = float(shapely.area(munis.geometry.to_numpy()).sum())
    assert shapely.area(prefs.geometry.iloc[0]) == pytest.approx(munis_deg2 + lake, rel=1e-9)
    assert prefs["area_km2"].iloc[0] > munis["area_km2"].sum()


def test_unknown_prefecture_name(tmp_path: Path) -> None:
    topo = _prefecture_topology()
    topo["objects"]["prefectures"]["geometries"][1]["properties"]["N03_001"] = "鳥取"  # type: ignore[index]
    path = tmp_path / "p.topojson"
    path.write_text(json.dumps(topo, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(
        InputError, match=r"p\.topojson: column 'N03_001' row 1 is '鳥取', not the name"
    ):
        read_n03(path)


def test_topojson_not_lonlat(tmp_path: Path) -> None:
    topo = json.loads(N03_TINY_TOPOJSON.read_text(encoding="utf-8"))
    topo["transform"] = {"scale": [10.0, 10.0], "translate": [500000.0, 3900000.0]}  # metres
    path = tmp_path / "utm.topojson"
    path.write_text(json.dumps(topo, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(
        InputError, match=r"utm\.topojson: TopoJSON coordinates span .* not longitude"
    ):
        read_n03(path)


def test_topojson_with_two_objects(tmp_path: Path) -> None:
    topo = json.loads(N03_TINY_TOPOJSON.read_text(encoding="utf-8"))
    topo["objects"]["prefectures"] = _prefecture_topology()["objects"]["prefectures"]  # type: ignore[index]
    path = tmp_path / "two.topojson"
    path.write_text(json.dumps(topo, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError, match=r"two\.topojson: the TopoJSON holds 2 objects"):
        read_n03(path)
    assert read_n03(path, layer="prefectures")["code"].tolist() == ["31", "32"]
    assert len(read_n03(path, layer="N03-21_210101")) == 3
    with pytest.raises(InputError, match=r"no TopoJSON object 'x'"):
        read_n03(path, layer="x")


def test_broken_topojson_and_unknown_type(tmp_path: Path) -> None:
    path = tmp_path / "cut.topojson"
    path.write_bytes(N03_TINY_TOPOJSON.read_bytes()[:200])
    with pytest.raises(InputError, match=r"cut\.topojson: cannot read it as TopoJSON"):
        read_n03(path)
    with pytest.raises(InputError, match=r"n03\.kml: unknown N03 file type '\.kml'"):
        read_n03(tmp_path / "n03.kml")
    with pytest.raises(InputError, match="level must be"):
        read_n03(N03_TINY_TOPOJSON, level="ward")  # type: ignore[arg-type]


def _write(frame: gpd.GeoDataFrame, path: Path) -> None:
    if path.suffix == ".topojson":
        path.write_text(json.dumps(topojson_of(frame), ensure_ascii=False), encoding="utf-8")
    elif path.suffix in (".parquet", ".geoparquet"):
        frame.to_parquet(path)
    else:
        driver = "GeoJSON" if path.suffix == ".json" else None
        pyogrio.write_dataframe(frame, path, driver=driver)


@pytest.mark.parametrize("suffix", N03_EXTENSIONS)
def test_round_trip_every_format(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"N03-21_210101{suffix}"
    _write(n03_frame(), path)
    regions = read_n03(path)
    _check(regions)
    # the same regions from every format as from GeoJSON
    reference_path = tmp_path / "reference.geojson"
    pyogrio.write_dataframe(n03_frame(), reference_path)
    reference = read_n03(reference_path)
    pd.testing.assert_frame_equal(
        pd.DataFrame(regions.drop(columns="geometry")),
        pd.DataFrame(reference.drop(columns="geometry")),
    )
    assert shapely.equals(regions.geometry.to_numpy(), reference.geometry.to_numpy()).all()
    prefs = read_n03(path, level="prefecture")
    assert prefs["code"].tolist() == ["01"]
    assert prefs["name_en"].tolist() == ["Hokkaido"]
