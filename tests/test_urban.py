"""The census DID rule on the mesh grid."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from denen_gis.geodesy import box_area_km2
from denen_gis.mesh import mesh_bounds, mesh_from_indices
from denen_gis.urban import classify_urban

ROW0, COL0 = 5160, 3200  # a 1 km cell at 43 N (0.943 km2)


def _codes(rows, cols):
    return mesh_from_indices(np.asarray(rows) + ROW0, np.asarray(cols) + COL0, 3)


def test_cluster_needs_5000_people_in_total():
    codes = _codes([0, 0, 5], [0, 1, 5])
    # 3,000 people on 0.943 km2 is 3,180/km2: not dense.
    assert classify_urban(codes, [3000, 3000, 3000]).tolist() == [False, False, False]
    # Two adjacent dense cells with 4,500 each: 9,000 together -> urban; the lone one is not.
    assert classify_urban(codes, [4500, 4500, 4500]).tolist() == [True, True, False]


def test_diagonal_cells_are_not_contiguous():
    codes = _codes([0, 1], [0, 1])
    assert classify_urban(codes, [4500, 4500]).tolist() == [False, False]


def test_density_uses_the_cell_area():
    # 3,900 people: 4,135/km2 in a 0.943 km2 cell at 43 N -> dense; a cluster of two is urban.
    codes = _codes([0, 0], [0, 1])
    assert classify_urban(codes, [3900, 3900]).tolist() == [True, True]
    # At 24 N the cell is 1.17 km2: 3,900 people is 3,330/km2 -> not dense.
    south = mesh_from_indices(np.array([2880, 2880]), np.array([1840, 1841]), 3)
    assert classify_urban(south, [3900, 3900]).tolist() == [False, False]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 20000), min_size=9, max_size=9))
def test_urban_cells_are_dense_and_in_big_clusters(pops):
    rows, cols = np.divmod(np.arange(9), 3)
    codes = _codes(rows, cols)
    urban = classify_urban(codes, pops)
    pops = np.asarray(pops)
    area = box_area_km2(*mesh_bounds(codes))
    assert (pops[urban] / area[urban] >= 4000).all()
    if urban.any():
        assert pops[urban].sum() >= 5000
    # Scaling everyone up never turns an urban cell rural.
    assert (classify_urban(codes, pops * 2)[urban]).all()
