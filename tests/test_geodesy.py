"""Geodesy: closed-form box areas, sphere distances and chords against pyproj."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from denen_gis.geodesy import (
    EARTH_RADIUS_KM,
    box_area_km2,
    chord_from_km,
    geodesic_area_km2,
    haversine_km,
    km_from_chord,
    unit_vectors,
)
from denen_gis.mesh import LEVEL_SIZE_DEG

_GEOD = Geod(ellps="GRS80")
lons = st.floats(122.0, 154.0, allow_nan=False)
lats = st.floats(20.0, 46.0, allow_nan=False)


def _pyproj_box_km2(w: float, s: float, e: float, n: float) -> float:
    # Densify so that the geodesic edges follow the parallels of the box.
    ring = shapely.segmentize(shapely.box(w, s, e, n), max_segment_length=(e - w) / 400)
    return abs(_GEOD.geometry_area_perimeter(ring)[0]) / 1e6


@settings(max_examples=60, deadline=None)
@given(lon=lons, lat=lats, level=st.integers(1, 5))
def test_box_area_matches_pyproj(lon: float, lat: float, level: int) -> None:
    dlat, dlon = LEVEL_SIZE_DEG[level]
    got = float(box_area_km2(lon, lat, lon + dlon, lat + dlat))
    assert got == pytest.approx(_pyproj_box_km2(lon, lat, lon + dlon, lat + dlat), rel=1e-6)


def test_box_area_large_and_vectorised() -> None:
    w = np.array([130.0, 139.0])
    s = np.array([30.0, 35.0])
    got = box_area_km2(w, s, w + 1.0, s + 1.0)
    want = [_pyproj_box_km2(a, b, a + 1.0, b + 1.0) for a, b in zip(w, s, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    # orientation does not matter
    assert box_area_km2(140.0, 36.0, 139.0, 35.0) == pytest.approx(got[1])


def test_geodesic_area_of_polygon() -> None:
    poly = shapely.box(139.0, 35.0, 139.5, 35.5)
    assert geodesic_area_km2(poly) == pytest.approx(
        _pyproj_box_km2(139.0, 35.0, 139.5, 35.5), rel=1e-4
    )
    assert geodesic_area_km2(shapely.Polygon(list(poly.exterior.coords)[::-1])) > 0


@settings(max_examples=200, deadline=None)
@given(lon1=lons, lat1=lats, lon2=lons, lat2=lats)
def test_haversine_within_half_percent(lon1: float, lat1: float, lon2: float, lat2: float) -> None:
    _, _, d_m = _GEOD.inv(lon1, lat1, lon2, lat2)
    if d_m < 1.0:
        return
    got = float(haversine_km(lon1, lat1, lon2, lat2))
    assert got == pytest.approx(d_m / 1000, rel=0.005)


def test_haversine_broadcasts() -> None:
    d = haversine_km(139.69, 35.69, np.array([139.69, 135.50]), np.array([35.69, 34.69]))
    assert d.shape == (2,)
    assert d[0] == 0.0
    assert d[1] == pytest.approx(397, abs=1)


@settings(max_examples=200, deadline=None)
@given(d=st.floats(0.0, np.pi * EARTH_RADIUS_KM * 0.999, allow_nan=False))
def test_chord_round_trip(d: float) -> None:
    assert float(km_from_chord(chord_from_km(d))) == pytest.approx(d, rel=1e-9, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(lon1=lons, lat1=lats, lon2=lons, lat2=lats)
def test_chord_of_unit_vectors_is_haversine(
    lon1: float, lat1: float, lon2: float, lat2: float
) -> None:
    v = unit_vectors([lon1, lon2], [lat1, lat2])
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0)
    chord = float(np.linalg.norm(v[0] - v[1]))
    assert float(km_from_chord(chord)) == pytest.approx(
        float(haversine_km(lon1, lat1, lon2, lat2)), rel=1e-6, abs=1e-6
    )


def test_chord_limits() -> None:
    assert float(chord_from_km(0.0)) == 0.0
    assert float(chord_from_km(np.pi * EARTH_RADIUS_KM)) == pytest.approx(2.0)
    assert float(chord_from_km(10 * EARTH_RADIUS_KM)) == pytest.approx(2.0)  # clamped
    assert float(km_from_chord(3.0)) == pytest.approx(np.pi * EARTH_RADIUS_KM)
