"""TeleGeography submarine-cable files and the landing-touch check."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import LineString, Point

from denen_gis.errors import InputError
from denen_gis.io.telegeography import (
    JAPAN_BBOX,
    check_landings_touch,
    landing_distances_km,
    read_submarine_cables,
)

from .conftest import CABLES_GEOJSON, LANDINGS_GEOJSON

_GEOD = Geod(ellps="GRS80")


def test_reads_layout(telegeography: tuple[Path, Path]) -> None:
    cables, landings = read_submarine_cables(*telegeography)
    assert cables["cable_id"].tolist() == ["sea-of-japan", "far-away"]
    assert cables["status"].tolist() == ["existing", "existing"]
    soj = cables.geometry.iloc[0]
    assert soj.geom_type == "MultiLineString" and len(soj.geoms) == 2  # two features merged
    coords = [c for f in CABLES_GEOJSON["features"][:2] for c in f["geometry"]["coordinates"][0]]
    lons, lats = zip(*coords, strict=True)
    expected = sum(_GEOD.line_length(lons[i : i + 3], lats[i : i + 3]) for i in (0, 3)) / 1000
    assert cables["length_km"].iloc[0] == pytest.approx(expected, rel=1e-9)
    assert cables["color"].iloc[0] == "#939597"
    assert landings["landing_id"].tolist() == [
        f["properties"]["id"] for f in LANDINGS_GEOJSON["features"]
    ]
    assert landings["is_tbd"].tolist() == [False, False, True, False]
    assert (landings["cable_id"] == "").all() and (landings["pref_code"] == "").all()
    assert cables.crs.to_epsg() == 6668 and landings.crs.to_epsg() == 6668


def test_bbox_japan(telegeography: tuple[Path, Path]) -> None:
    cables, landings = read_submarine_cables(*telegeography, bbox=JAPAN_BBOX)
    assert cables["cable_id"].tolist() == ["sea-of-japan"]
    assert "lisbon-portugal" not in landings["landing_id"].tolist()
    assert len(landings) == 3
    check_landings_touch(cables, landings)


@pytest.mark.parametrize("bbox", [(154, 20, 122, 46), (1, 2, 3)])
def test_bad_bbox(telegeography: tuple[Path, Path], bbox: tuple[float, ...]) -> None:
    with pytest.raises(InputError, match="bbox"):
        read_submarine_cables(*telegeography, bbox=bbox)


def test_empty_bbox(telegeography: tuple[Path, Path]) -> None:
    with pytest.raises(InputError, match=r"cable-geo\.json: no feature lies in bbox"):
        read_submarine_cables(*telegeography, bbox=(0.0, -60.0, 1.0, -59.0))


def test_missing_property_named(tmp_path: Path, telegeography: tuple[Path, Path]) -> None:
    data = json.loads(json.dumps(LANDINGS_GEOJSON))
    for f in data["features"]:
        del f["properties"]["name"]
    bad = tmp_path / "lp.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"lp\.json: missing property \['name'\]"):
        read_submarine_cables(telegeography[0], bad)


def test_empty_id_named(tmp_path: Path, telegeography: tuple[Path, Path]) -> None:
    data = json.loads(json.dumps(CABLES_GEOJSON))
    data["features"][1]["properties"]["id"] = ""
    bad = tmp_path / "c.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"c\.json: feature 1 has an empty 'id'"):
        read_submarine_cables(bad, telegeography[1])


def test_wrong_geometry_named(tmp_path: Path, telegeography: tuple[Path, Path]) -> None:
    data = json.loads(json.dumps(LANDINGS_GEOJSON))
    data["features"][2]["geometry"] = {"type": "LineString", "coordinates": [[130, 33], [131, 34]]}
    bad = tmp_path / "lp.geojson"
    bad.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"lp\.geojson: row 2 is a LineString"):
        read_submarine_cables(telegeography[0], bad)


def test_not_geojson(tmp_path: Path, telegeography: tuple[Path, Path]) -> None:
    with pytest.raises(InputError, match=r"cables\.gpkg: the TeleGeography"):
        read_submarine_cables(tmp_path / "cables.gpkg", telegeography[1])
    with pytest.raises(InputError, match=r"nothing\.json: file not found"):
        read_submarine_cables(tmp_path / "nothing.json", telegeography[1])


def test_landing_far_from_cables_named(telegeography: tuple[Path, Path]) -> None:
    cables, landings = read_submarine_cables(*telegeography, bbox=JAPAN_BBOX)
    moved = landings.copy()
    moved.loc[1, "geometry"] = Point(138.25, 37.30)  # 13 km north of the route
    with pytest.raises(InputError) as err:
        check_landings_touch(cables, moved, source="landing-point-geo.json")
    msg = str(err.value)
    assert msg.startswith("landing-point-geo.json: 1 landing point(s) farther than 5 km")
    assert "'naoetsu-japan' (Naoetsu, Japan)" in msg
    check_landings_touch(cables, moved, tolerance_km=15)


def _frames(lon: np.ndarray, lat: np.ndarray) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    cables = gpd.GeoDataFrame(
        {"cable_id": ["a", "b"], "name": ["a", "b"]},
        geometry=[LineString([(130, 30), (145, 44)]), LineString([(128, 40), (146, 32)])],
        crs=6668,
    )
    landings = gpd.GeoDataFrame(
        {"landing_id": [str(i) for i in range(len(lon))], "name": ["x"] * len(lon)},
        geometry=gpd.points_from_xy(lon, lat),
        crs=6668,
    )
    return cables, landings


def test_distances_match_brute_force() -> None:
    rng = np.random.default_rng(7)
    lon = rng.uniform(128, 146, 150)
    lat = rng.uniform(30, 44, 150)
    cables, landings = _frames(lon, lat)
    tol = 60.0
    got = landing_distances_km(cables, landings, within_km=tol)
    # brute force: densify each route and take the geodesic distance to the closest vertex
    best = np.full(len(lon), np.inf)
    for line in cables.geometry:
        dense = line.segmentize(0.004)
        xs, ys = np.asarray(dense.coords).T
        for i in range(len(lon)):
            _, _, d = _GEOD.inv(np.full(xs.size, lon[i]), np.full(xs.size, lat[i]), xs, ys)
            best[i] = min(best[i], d.min() / 1000)
    near = best < tol * 0.98
    far = best > tol * 1.02
    assert near.sum() > 20 and far.sum() > 20
    assert np.isinf(got[far]).all()
    np.testing.assert_allclose(got[near], best[near], rtol=0.01, atol=0.3)


def test_tolerance_must_be_positive() -> None:
    cables, landings = _frames(np.array([130.0]), np.array([30.0]))
    with pytest.raises(InputError, match="tolerance_km must be positive"):
        check_landings_touch(cables, landings, tolerance_km=0)
