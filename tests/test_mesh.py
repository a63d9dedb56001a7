"""JIS X 0410 mesh codes: property tests and known codes."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from denen_gis.errors import InputError
from denen_gis.mesh import (
    LEVEL_DIGITS,
    LEVEL_SIZE_DEG,
    mesh_bounds,
    mesh_centroids,
    mesh_from_indices,
    mesh_from_points,
    mesh_indices,
    mesh_level,
    mesh_parent,
    mesh_polygons,
)

_SUBDIV = {1: 1, 2: 8, 3: 80, 4: 160, 5: 320}
levels = st.integers(min_value=1, max_value=5)
# The grid covers 1st-order rows 30-68 (lat 20-46 N) and columns 22-53 (lon 122-154 E).
lons = st.floats(min_value=122.0, max_value=154.0, exclude_max=True, allow_nan=False)
lats = st.floats(min_value=20.0, max_value=46.0, exclude_max=True, allow_nan=False)


@st.composite
def cells(draw: st.DrawFn, level: int | None = None) -> tuple[int, int, int]:
    lv = draw(levels) if level is None else level
    n = _SUBDIV[lv]
    row = draw(st.integers(30 * n, 69 * n - 1))
    col = draw(st.integers(22 * n, 54 * n - 1))
    return row, col, lv


@settings(max_examples=300, deadline=None)
@given(lon=lons, lat=lats, level=levels)
def test_point_code_polygon_covers_point(lon: float, lat: float, level: int) -> None:
    code = mesh_from_points([lon], [lat], level)
    assert len(code[0]) == LEVEL_DIGITS[level]
    poly = mesh_polygons(code)[0]
    assert poly.covers(shapely.Point(lon, lat))
    w, s, e, n = (float(v[0]) for v in mesh_bounds(code))
    # half-open: the point is never on the north or east edge of its own cell
    assert s <= lat < n and w <= lon < e


@settings(max_examples=300, deadline=None)
@given(cell=cells())
def test_indices_code_round_trip(cell: tuple[int, int, int]) -> None:
    row, col, level = cell
    code = mesh_from_indices([row], [col], level)
    assert len(code[0]) == LEVEL_DIGITS[level]
    r2, c2, lv2 = mesh_indices(code)
    assert (int(r2[0]), int(c2[0]), lv2) == (row, col, level)
    assert mesh_from_indices(r2, c2, lv2).tolist() == code.tolist()
    assert mesh_level(code) == level


@settings(max_examples=200, deadline=None)
@given(cell=cells(), data=st.data())
def test_parent_contains_child(cell: tuple[int, int, int], data: st.DataObject) -> None:
    row, col, level = cell
    code = mesh_from_indices([row], [col], level)
    parent_level = data.draw(st.integers(1, level))
    parent = mesh_parent(code, parent_level)
    assert mesh_level(parent) == parent_level
    assert mesh_polygons(parent)[0].covers(mesh_polygons(code)[0])
    # the parent's code is a prefix of the child's (quadrant digits are appended)
    assert code[0].startswith(parent[0])


@settings(max_examples=200, deadline=None)
@given(cell=cells())
def test_sw_corner_belongs_to_the_cell(cell: tuple[int, int, int]) -> None:
    row, col, level = cell
    code = mesh_from_indices([row], [col], level)
    w, s, _, _ = mesh_bounds(code)
    assert mesh_from_points(w, s, level).tolist() == code.tolist()
    lon, lat = mesh_centroids(code)
    assert mesh_from_points(lon, lat, level).tolist() == code.tolist()


@pytest.mark.parametrize(
    ("lon", "lat", "level", "code"),
    [
        (139.7671, 35.6812, 3, "53394611"),  # Tokyo Station
        (139.7671, 35.6812, 1, "5339"),
        (139.7671, 35.6812, 2, "533946"),
        (135.4959, 34.7025, 3, "52350349"),  # Osaka Station
    ],
)
def test_known_codes(lon: float, lat: float, level: int, code: str) -> None:
    assert mesh_from_points([lon], [lat], level).tolist() == [code]


def test_known_bounds_and_sizes() -> None:
    w, s, e, n = (float(v[0]) for v in mesh_bounds(["5339"]))
    assert (w, s, e, n) == pytest.approx((139.0, 35 + 1 / 3, 140.0, 36.0))
    w, s, e, n = (float(v[0]) for v in mesh_bounds(["53394611"]))
    assert (s, w) == pytest.approx((35.675, 139.7625))
    assert (n - s, e - w) == pytest.approx(LEVEL_SIZE_DEG[3])
    assert LEVEL_SIZE_DEG[3] == pytest.approx((30 / 3600, 45 / 3600))
    # 9- and 10-digit: quadrants 1=SW, 2=SE, 3=NW, 4=NE
    quads = mesh_bounds(["533946111", "533946112", "533946113", "533946114"])
    west, south = quads[0], quads[1]
    assert west[1] > west[0] and south[1] == south[0]
    assert south[2] > south[0] and west[2] == west[0]
    assert west[3] == west[1] and south[3] == south[2]


def test_integer_codes_accepted() -> None:
    assert mesh_indices(np.array([53394611]))[2] == 3


@pytest.mark.parametrize(
    "codes",
    [
        ["123"],
        ["5339461"],
        ["99994611"],
        ["10004611"],
        ["5339461A"],
        ["53394811"],
        ["53398611"],
        ["533946115"],
        ["5339461100"],
        ["53394611", "533946111"],
        [3.5],
    ],
)
def test_invalid_codes_raise(codes: list[object]) -> None:
    with pytest.raises(InputError):
        mesh_indices(codes)


def test_invalid_points_and_levels() -> None:
    with pytest.raises(InputError, match="outside the JIS X 0410 grid"):
        mesh_from_points([0.0], [0.0])
    with pytest.raises(InputError, match="finite"):
        mesh_from_points([np.nan], [35.0])
    with pytest.raises(InputError, match="level must be 1-5"):
        mesh_from_points([139.0], [35.0], level=6)
    with pytest.raises(InputError, match="level must be 1-5"):
        mesh_from_indices([0], [0], level=0)
    with pytest.raises(InputError, match="cannot take a level-4 parent"):
        mesh_parent(["53394611"], 4)


def test_error_message_shows_plain_code() -> None:
    with pytest.raises(InputError) as err:
        mesh_indices(["53394611", "99994611"])
    assert "np.str_" not in str(err.value)
    assert "'99994611' (row 1)" in str(err.value)


@pytest.mark.parametrize("level", [3, 5])
def test_neighbours_share_edges_exactly(level: int) -> None:
    n = _SUBDIV[level]
    rows = np.arange(30 * n, 69 * n - 1)
    below = mesh_from_indices(rows, np.full(rows.size, 22 * n), level)
    above = mesh_from_indices(rows + 1, np.full(rows.size, 22 * n), level)
    assert (mesh_bounds(below)[3] == mesh_bounds(above)[1]).all()
    cols = np.arange(22 * n, 54 * n - 1)
    left = mesh_from_indices(np.full(cols.size, 30 * n), cols, level)
    right = mesh_from_indices(np.full(cols.size, 30 * n), cols + 1, level)
    assert (mesh_bounds(left)[2] == mesh_bounds(right)[0]).all()
    parents = mesh_parent(below, 1)
    assert (mesh_bounds(parents)[1] <= mesh_bounds(below)[1]).all()
