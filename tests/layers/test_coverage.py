"""Tests of coverage sets, best server and the coverage wrapper."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from denen_gis.errors import InputError
from denen_gis.geodesy import haversine_km
from denen_gis.io.japan import grid_from_table
from denen_gis.layers.coverage import (
    best_server,
    compute_coverage,
    coverage_pairs,
    coverage_sets,
    pair_rsrp_dbm,
    site_coverage_matrix,
)
from denen_gis.layers.metrics import coverage_metrics
from denen_gis.layers.radio import STATION_TYPES, LinkBudget, coverage_radius_km, rsrp_dbm
from denen_gis.mesh import mesh_bounds, mesh_centroids, mesh_from_points


def _brute(clon, clat, curb, slon, slat, ru, rr) -> np.ndarray:
    """Dense all-pairs reference on contiguous 1-D arrays (same formula, same order)."""
    n, m = clon.size, slon.size
    ci = np.repeat(np.arange(n), m)
    sj = np.tile(np.arange(m), n)
    d = haversine_km(clon[ci], clat[ci], slon[sj], slat[sj])
    r = np.where(curb[ci], ru[sj], rr[sj])
    return (d <= r).reshape(n, m)


def _brute_area(codes, curb, slon, slat, ru, rr, n=4):
    """Area-rule reference, point by point: (per-site share matrix, union share per cell)."""
    w, so, e, no = mesh_bounds(codes)
    frac = (np.arange(n) + 0.5) / n
    share = np.zeros((len(codes), slon.size))
    union = np.zeros(len(codes))
    for i in range(len(codes)):
        hit_any = 0
        for fy in frac:
            for fx in frac:
                plon, plat = w[i] + fx * (e[i] - w[i]), so[i] + fy * (no[i] - so[i])
                r = ru if curb[i] else rr
                inside = haversine_km(plon, plat, slon, slat) <= r
                share[i] += inside / n**2
                hit_any += bool(inside.any())
        union[i] = hit_any / n**2
    return share, union


@st.composite
def _cases(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(0, 60))
    m = draw(st.integers(0, 12))
    span = draw(st.sampled_from([0.02, 0.2, 1.0]))  # degrees: dense to sparse
    rng = np.random.default_rng(seed)
    clon = 138.0 + rng.uniform(0, span, n)
    clat = 36.0 + rng.uniform(0, span, n)
    curb = rng.random(n) < 0.4
    slon = 138.0 + rng.uniform(0, span, m)
    slat = 36.0 + rng.uniform(0, span, m)
    scale = span * 111.0
    ru = rng.uniform(0, 0.5 * scale, m)
    rr = rng.uniform(0, 0.5 * scale, m)
    if n and m and draw(st.booleans()):
        # Radii exactly equal to some cell-site distances: the boundary must count.
        i = rng.integers(0, n, m)
        ru = haversine_km(clon[i], clat[i], slon, slat)
        rr = ru.copy() if draw(st.booleans()) else rr
    if m and draw(st.booleans()):
        slon[-1], slat[-1] = (clon[0], clat[0]) if n else (slon[-1], slat[-1])
    return clon, clat, curb, slon, slat, ru, rr


@settings(max_examples=150, deadline=None)
@given(_cases())
def test_coverage_sets_equal_brute_force(case) -> None:
    clon, clat, curb, slon, slat, ru, rr = case
    mat = coverage_sets(clon, clat, curb, slon, slat, radius_urban_km=ru, radius_rural_km=rr)
    assert isinstance(mat, sp.csr_matrix)
    assert mat.shape == (clon.size, slon.size)
    assert mat.dtype == bool
    np.testing.assert_array_equal(mat.toarray(), _brute(clon, clat, curb, slon, slat, ru, rr))
    pairs = coverage_pairs(clon, clat, curb, slon, slat, radius_urban_km=ru, radius_rural_km=rr)
    key = pairs.rows * max(slon.size, 1) + pairs.cols
    assert np.all(np.diff(key) > 0)  # sorted by cell then site, no duplicates
    np.testing.assert_array_equal(
        pairs.distance_km,
        haversine_km(clon[pairs.rows], clat[pairs.rows], slon[pairs.cols], slat[pairs.cols]),
    )


def test_coverage_sets_national_scale_sample() -> None:
    rng = np.random.default_rng(7)
    clon, clat = rng.uniform(129, 146, 3000), rng.uniform(31, 45, 3000)
    slon, slat = rng.uniform(129, 146, 400), rng.uniform(31, 45, 400)
    curb = rng.random(3000) < 0.3
    ru, rr = rng.uniform(5, 60, 400), rng.uniform(5, 60, 400)
    mat = coverage_sets(clon, clat, curb, slon, slat, radius_urban_km=ru, radius_rural_km=rr)
    want = _brute(clon, clat, curb, slon, slat, ru, rr)
    assert want.sum() > 1000
    np.testing.assert_array_equal(mat.toarray(), want)


def test_environment_selects_radius() -> None:
    # Two cells 3 km east of the site: one urban, one rural; urban radius 2 km, rural 4 km.
    lon3 = 139.0 + 3.0 / (111.195 * np.cos(np.radians(35.0)))
    mat = coverage_sets(
        [lon3, lon3],
        [35.0, 35.0],
        [True, False],
        [139.0],
        [35.0],
        radius_urban_km=[2.0],
        radius_rural_km=[4.0],
    )
    assert mat.toarray().ravel().tolist() == [False, True]


def test_coverage_rejects_bad_arrays() -> None:
    with pytest.raises(InputError, match=r"cell_lat must be a 1-D array of length 2"):
        coverage_sets(
            [1.0, 2.0], [1.0], [True, True], [1.0], [1.0], radius_urban_km=1.0, radius_rural_km=1.0
        )
    with pytest.raises(InputError, match="must not be negative"):
        coverage_sets(
            [139.0], [35.0], [True], [139.0], [35.0], radius_urban_km=-1.0, radius_rural_km=1.0
        )
    with pytest.raises(InputError, match="site_lon has a non-finite value in row 0"):
        coverage_sets(
            [139.0], [35.0], [True], [np.nan], [35.0], radius_urban_km=1.0, radius_rural_km=1.0
        )


# ----------------------------------------------------------------- best server


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 30), st.integers(1, 8))
def test_best_server_picks_strongest(seed: int, n: int, m: int) -> None:
    rng = np.random.default_rng(seed)
    dense = rng.random((n, m)) < 0.4
    # Values on a coarse grid so that ties happen; ties go to the lowest site index.
    values = rng.integers(-120, -80, size=(n, m)).astype(float)
    rows, cols = np.nonzero(dense)
    perm = rng.permutation(rows.size)  # any input order
    b = best_server(rows[perm], cols[perm], values[rows, cols][perm], n_cells=n)
    masked = np.where(dense, values, -np.inf)
    want_cov = dense.any(axis=1)
    np.testing.assert_array_equal(b.covered, want_cov)
    np.testing.assert_array_equal(b.site_index, np.where(want_cov, masked.argmax(axis=1), -1))
    np.testing.assert_array_equal(b.rsrp_dbm, np.where(want_cov, masked.max(axis=1), np.nan))


def test_best_server_input_errors() -> None:
    with pytest.raises(InputError, match="one length"):
        best_server([0, 1], [0], [-90.0, -80.0], n_cells=2)
    with pytest.raises(InputError, match=r"outside 0\.\.1"):
        best_server([0, 2], [0, 0], [-90.0, -80.0], n_cells=2)
    empty = best_server([], [], [], n_cells=3)
    assert empty.site_index.tolist() == [-1, -1, -1]


def test_pair_rsrp_uses_type_height_and_environment() -> None:
    clon = np.array([139.0, 139.01, 139.02])
    clat = np.array([35.0, 35.0, 35.0])
    curb = np.array([True, False, True])
    pairs = coverage_pairs(
        clon, clat, curb, [139.0, 139.015], [35.0, 35.0], radius_urban_km=10.0, radius_rural_km=10.0
    )
    kinds = np.array(["nr700_macro", "nr3700_macro"])
    heights = np.array([np.nan, 40.0])
    budget = LinkBudget(shadowing_margin_db=3.0)
    got = pair_rsrp_dbm(
        pairs, cell_urban=curb, site_type=kinds, site_height_m=heights, link_budget=budget
    )
    assert pairs.rows.size == 6
    for k in range(pairs.rows.size):
        i, j = pairs.rows[k], pairs.cols[k]
        t = STATION_TYPES[kinds[j]]
        h = t.height_m if np.isnan(heights[j]) else heights[j]
        env = "urban" if curb[i] else "rural"
        want = float(rsrp_dbm(pairs.distance_km[k], t, env, link_budget=budget, height_m=h))
        assert got[k] == pytest.approx(want, abs=1e-9)


# ----------------------------------------------------------------- geo wrapper


def _grid() -> gpd.GeoDataFrame:
    # A row of 1 km cells east of Tokyo Station plus one far rural cell.
    lon = 139.7671 + np.arange(8) * 0.0125
    codes = [*list(mesh_from_points(lon, np.full(8, 35.6812))), "53390000"]
    return grid_from_table(
        pd.DataFrame(
            {
                "mesh_code": codes,
                "population": [9000, 8000, 7000, 500, 400, 300, 200, 100, 50],
                "pref_code": ["13"] * 3 + ["12"] * 5 + ["14"],
                "urban": [True, True, True] + [False] * 6,
            }
        )
    )


def _stations(**extra: object) -> gpd.GeoDataFrame:
    grid = _grid()
    lon, lat = mesh_centroids(grid["mesh_code"].to_numpy())
    cols: dict[str, object] = {
        "site_id": ["a", "b", "c"],
        "station_type": ["nr3700_macro", "nr700_macro", "nr28g_small"],
    }
    cols.update(extra)
    return gpd.GeoDataFrame(
        cols,
        geometry=[Point(lon[0], lat[0]), Point(lon[6], lat[6]), Point(lon[2], lat[2])],
        crs=6668,
    )


def test_compute_coverage_small_grid() -> None:
    grid, stations = _grid(), _stations()
    res = compute_coverage(grid, stations)
    lon, lat = mesh_centroids(grid["mesh_code"].to_numpy())
    s_lon, s_lat = stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy()
    urban = grid["urban"].to_numpy()
    r_u = np.array(
        [coverage_radius_km(STATION_TYPES[k], "urban") for k in stations["station_type"]]
    )
    r_r = np.array(
        [coverage_radius_km(STATION_TYPES[k], "rural") for k in stations["station_type"]]
    )
    np.testing.assert_allclose(res.radius_km["radius_urban_km"], r_u, rtol=1e-9)
    share, union = _brute_area(grid["mesh_code"].to_numpy(), urban, s_lon, s_lat, r_u, r_r)
    np.testing.assert_array_equal(res.matrix.toarray(), share > 0.5)
    want = share > 0
    assert res.site_ids.tolist() == ["a", "b", "c"]
    cells = res.cells
    assert cells.columns.tolist() == [
        "mesh_code",
        "pref_code",
        "population",
        "urban",
        "covered",
        "best_site_id",
        "rsrp_dbm",
    ]
    np.testing.assert_array_equal(cells["covered"], union > 0.5)
    assert not cells["covered"].iloc[-1]
    assert pd.isna(cells["best_site_id"].iloc[-1]) and np.isnan(cells["rsrp_dbm"].iloc[-1])
    # Best server by hand: strongest RSRP (at the centre) among sites serving part of the cell.
    for i in np.flatnonzero(union > 0.5):
        env = "urban" if urban[i] else "rural"
        cand = {}
        for j in np.flatnonzero(want[i]):
            d = float(haversine_km(lon[i], lat[i], s_lon[j], s_lat[j]))
            cand[res.site_ids[j]] = float(rsrp_dbm(d, STATION_TYPES[stations.station_type[j]], env))
        best = max(cand, key=cand.get)
        assert cells["best_site_id"].iloc[i] == best
        assert cells["rsrp_dbm"].iloc[i] == pytest.approx(cand[best], abs=1e-9)
    ref = coverage_metrics(
        grid["population"],
        union > 0.5,
        pref_code=grid["pref_code"],
        urban=urban,
        area_km2=grid["area_km2"],
    )
    assert res.summary.to_dict() == ref.to_dict()


def test_given_radius_bypasses_radio_model() -> None:
    grid = _grid()
    stations = _stations(radius_km=[0.5, 0.5, 0.5], height_m=[30.0, 50.0, 12.0])
    res = compute_coverage(grid, stations)
    assert (res.radius_km["radius_source"] == "given").all()
    assert res.radius_km["radius_rural_km"].tolist() == [0.5, 0.5, 0.5]
    assert res.radius_km["height_m"].tolist() == [30.0, 50.0, 12.0]
    # Only the cells holding a station lie within 0.5 km of one.
    assert res.cells["covered"].tolist() == [True, False, True] + [False] * 3 + [True, False, False]


def test_site_coverage_matrix_matches_compute_coverage() -> None:
    grid = _grid()
    cands = _stations(cost_myen=[20.0, 30.0, 5.0])
    m = site_coverage_matrix(grid, cands)
    res = compute_coverage(grid, cands, link_budget=LinkBudget())
    assert (m != res.matrix).nnz == 0
    assert m.shape == (len(grid), 3)


def test_pref_blocks_and_custom_budget() -> None:
    grid, stations = _grid(), _stations()
    blocks = {"13": "Kanto", "12": "Kanto", "14": "Kanto"}
    res = compute_coverage(
        grid, stations, pref_blocks=blocks, link_budget=LinkBudget(indoor_penetration_db=15.0)
    )
    assert res.summary.by_block["block"].tolist() == ["Kanto"]
    base = compute_coverage(grid, stations)
    assert (res.radius_km["radius_urban_km"] < base.radius_km["radius_urban_km"]).all()


def test_compute_coverage_input_errors() -> None:
    grid = _grid()
    with pytest.raises(InputError, match="stations layer: row 2 has unknown station_type 'x'"):
        compute_coverage(grid, _stations(station_type=["nr700_macro", "nr700_macro", "x"]))
    with pytest.raises(InputError, match="is projected"):
        compute_coverage(grid, _stations().to_crs(6677))
    with pytest.raises(InputError, match=r"grid\.parquet: missing column 'pref_code'"):
        compute_coverage(grid.drop(columns=["pref_code"]), _stations(), grid_source="grid.parquet")
    with pytest.raises(InputError, match=r"cands\.gpkg: row 1 has height_m=-3"):
        site_coverage_matrix(
            grid, _stations(height_m=[10.0, -3.0, 10.0]), sites_source="cands.gpkg"
        )


def test_no_stations_covers_nothing() -> None:
    grid = _grid()
    none = _stations().iloc[:0]
    res = compute_coverage(grid, none)
    assert res.matrix.shape == (len(grid), 0)
    assert not res.cells["covered"].any()
    assert res.cells["best_site_id"].isna().all()
    assert res.summary.coverage_pct == 0.0
    assert site_coverage_matrix(grid, none).shape == (len(grid), 0)


def test_area_rule_on_hand_made_cells() -> None:
    from denen_gis.layers.area_rule import area_coverage

    # Three 500 m-like cells side by side; sites chosen so that:
    # cell 0 is served whole by one site (distance + half-diagonal < radius),
    # cell 1 by two sites that each serve under half but together over half,
    # cell 2 only on a sliver (its centre is outside every disc).
    w = np.array([139.0, 139.01, 139.02])
    b = (w, np.full(3, 35.0), w + 0.01, np.full(3, 35.01))
    slon = np.array([139.005, 139.01, 139.02, 139.0301])
    slat = np.array([35.005, 35.005, 35.005, 35.005])
    r = np.array([1.0, 0.5, 0.5, 0.2])
    res = area_coverage(b, [True, False, False], slon, slat, radius_urban_km=r, radius_rural_km=r)
    assert res.covered.tolist() == [True, True, False]
    assert res.served_share[0] == 1.0 and 0 < res.served_share[2] <= 0.5
    per_site = res.per_site_matrix().toarray()
    assert per_site[0, 0] and not per_site[1].any()
    # no pair is kept for a site that serves no point of the cell
    assert (res.pair_share > 0).all()
