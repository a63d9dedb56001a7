"""Reading user hazard zones."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from denen_gis.errors import InputError
from denen_gis.io.hazards import read_hazards

ZONE = shapely.box(139.0, 35.0, 140.0, 36.0)


@pytest.mark.parametrize("ext", [".gpkg", ".geojson"])
def test_round_trip_every_format(tmp_path, ext):
    path = tmp_path / f"zones{ext}"
    gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[ZONE, ZONE.buffer(0.1)], crs=4326).to_file(path)
    zones = read_hazards(path)
    assert zones["id"].tolist() == ["a", "b"]
    assert zones["name"].tolist() == ["a", "b"]
    assert zones.crs.to_epsg() == 6668


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (gpd.GeoDataFrame({"zone": ["a"]}, geometry=[ZONE], crs=4326), "missing column 'id'"),
        (gpd.GeoDataFrame({"id": ["a", "a"]}, geometry=[ZONE, ZONE], crs=4326), "unique"),
        (gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(139, 35)], crs=4326), "polygons"),
    ],
)
def test_bad_layers_are_refused(tmp_path, frame, match):
    path = tmp_path / "zones.geojson"
    frame.to_file(path)
    with pytest.raises(InputError, match=match):
        read_hazards(path)


def test_wrong_format_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="GeoPackage or GeoJSON"):
        read_hazards(tmp_path / "zones.csv")
    with pytest.raises(InputError, match="not found"):
        read_hazards(tmp_path / "zones.gpkg")
