"""Coverage sets on arrays: which cells each site reaches, and each cell's best server.

The pure core of :mod:`denen_gis.layers.coverage` (which wraps it for layers):

- :func:`coverage_pairs` / :func:`coverage_sets`: the (cell, site) pairs whose
  great-circle distance is within the site's radius for the cell's environment,
  found with a KD-tree on unit-sphere vectors (never all pairs) and checked
  exactly with :func:`denen_gis.geodesy.haversine_km`. Memory is linear in the
  number of covering pairs.
- :func:`pair_rsrp_dbm`: the RSRP of each pair; :func:`best_server`: per cell,
  the covering site with the strongest RSRP.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.spatial import cKDTree

from denen_gis.errors import InputError
from denen_gis.geodesy import chord_from_km, haversine_km, unit_vectors
from denen_gis.layers.radio import (
    STATION_TYPES,
    LinkBudget,
    StationType,
    rsrp_dbm,
)

__all__ = [
    "BestServer",
    "CoveragePairs",
    "best_server",
    "coverage_pairs",
    "coverage_sets",
    "pair_rsrp_dbm",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Sites per KD-tree query batch: bounds the Python lists that cKDTree returns
# (about 40 bytes per pair) while keeping per-call overhead negligible.
_SITE_CHUNK = 4096
# Relative and absolute slack on the KD-tree chord so that round-off can never
# drop a pair that the exact great-circle check keeps.
_CHORD_REL_SLACK = 1e-9
_CHORD_ABS_SLACK = 1e-12


@dataclass(frozen=True)
class CoveragePairs:
    """Covering (cell, site) pairs in row-major (CSR) order.

    Attributes
    ----------
    rows
        Cell index of each pair.
    cols
        Site index of each pair (ascending within a cell).
    distance_km
        Great-circle distance between cell and site [km].
    shape
        ``(n_cells, n_sites)``.
    """

    rows: IntArray
    cols: IntArray
    distance_km: FloatArray
    shape: tuple[int, int]

    def to_csr(self) -> sp.csr_matrix:
        """Boolean ``n_cells x n_sites`` coverage matrix."""
        indptr = np.zeros(self.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.rows, minlength=self.shape[0]), out=indptr[1:])
        data = np.ones(self.rows.size, dtype=bool)
        return sp.csr_matrix((data, self.cols, indptr), shape=self.shape)


def _as_1d(
    name: str, values: npt.ArrayLike, n: int | None = None, dtype: type = float
) -> np.ndarray:
    arr: np.ndarray = np.asarray(values, dtype=dtype)
    if arr.ndim == 0 and n is not None:
        arr = np.full(n, arr.item(), dtype=dtype)
    if arr.ndim != 1 or (n is not None and arr.shape[0] != n):
        msg = f"{name} must be a 1-D array of length {n}, got shape {arr.shape}"
        raise InputError(msg)
    if dtype is float and not np.isfinite(arr).all():
        i = int(np.flatnonzero(~np.isfinite(arr))[0])
        msg = f"{name} has a non-finite value in row {i}"
        raise InputError(msg)
    return arr


def coverage_pairs(
    cell_lon: npt.ArrayLike,
    cell_lat: npt.ArrayLike,
    cell_urban: npt.ArrayLike,
    site_lon: npt.ArrayLike,
    site_lat: npt.ArrayLike,
    *,
    radius_urban_km: npt.ArrayLike,
    radius_rural_km: npt.ArrayLike,
) -> CoveragePairs:
    """All (cell, site) pairs within the site's radius for the cell's environment.

    A cell is covered by a site when ``haversine_km(cell, site) <= radius``,
    where the radius is the site's urban radius for urban cells and its rural
    radius otherwise. Candidates come from a KD-tree on unit-sphere vectors
    queried with each site's larger radius as a chord; every candidate is
    then checked with the exact great-circle distance.

    Parameters
    ----------
    cell_lon, cell_lat
        Cell points (e.g. mesh centres) [degrees].
    cell_urban
        Whether each cell is urban.
    site_lon, site_lat
        Site locations [degrees].
    radius_urban_km, radius_rural_km
        Radius of each site in urban and rural cells [km] (arrays or scalars).

    Returns
    -------
    CoveragePairs
        Pairs sorted by cell, then site.

    Examples
    --------
    >>> p = coverage_pairs([139.0, 139.1], [35.0, 35.0], [False, True], [139.0], [35.0],
    ...                    radius_urban_km=1.0, radius_rural_km=10.0)
    >>> p.rows.tolist(), p.cols.tolist()
    ([0], [0])
    """
    clon = _as_1d("cell_lon", cell_lon)
    n = clon.shape[0]
    clat = _as_1d("cell_lat", cell_lat, n)
    curb = _as_1d("cell_urban", cell_urban, n, dtype=bool)
    slon = _as_1d("site_lon", site_lon)
    m = slon.shape[0]
    slat = _as_1d("site_lat", site_lat, m)
    r_urb = _as_1d("radius_urban_km", radius_urban_km, m)
    r_rur = _as_1d("radius_rural_km", radius_rural_km, m)
    if (r_urb < 0).any() or (r_rur < 0).any():
        msg = "radius_urban_km and radius_rural_km must not be negative [km]"
        raise InputError(msg)
    empty = np.zeros(0, dtype=np.int64)
    if n == 0 or m == 0:
        return CoveragePairs(empty, empty.copy(), np.zeros(0), (n, m))

    tree = cKDTree(unit_vectors(clon, clat))
    site_xyz = unit_vectors(slon, slat)
    r_query = chord_from_km(np.maximum(r_urb, r_rur)) * (1 + _CHORD_REL_SLACK) + _CHORD_ABS_SLACK
    counts_all: list[IntArray] = []
    rows_all: list[IntArray] = []
    for start in range(0, m, _SITE_CHUNK):
        stop = min(start + _SITE_CHUNK, m)
        hits = tree.query_ball_point(site_xyz[start:stop], r_query[start:stop], return_sorted=False)
        counts = np.fromiter(map(len, hits), dtype=np.int64, count=stop - start)
        rows = np.fromiter(
            itertools.chain.from_iterable(hits), dtype=np.int64, count=int(counts.sum())
        )
        counts_all.append(counts)
        rows_all.append(rows)
    counts = np.concatenate(counts_all)
    cand_rows = np.concatenate(rows_all)
    cand_cols = np.repeat(np.arange(m, dtype=np.int64), counts)

    dist = haversine_km(clon[cand_rows], clat[cand_rows], slon[cand_cols], slat[cand_cols])
    radius = np.where(curb[cand_rows], r_urb[cand_cols], r_rur[cand_cols])
    keep = dist <= radius
    rows, cols, dist = cand_rows[keep], cand_cols[keep], dist[keep]

    # Candidates come grouped by site; a CSC -> CSR conversion is a linear-time
    # counting sort that puts them in cell order with sites ascending per cell.
    # Its data carries each pair's position (+1 so that none is an implicit zero).
    col_ptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=m), out=col_ptr[1:])
    pos = sp.csc_matrix((np.arange(1, rows.size + 1), rows, col_ptr), shape=(n, m)).tocsr()
    order = pos.data - 1
    logger.debug(
        "coverage_pairs: %d cells x %d sites, %d candidates, %d pairs",
        n,
        m,
        cand_rows.size,
        order.size,
    )
    return CoveragePairs(rows[order], cols[order], dist[order], (n, m))


def coverage_sets(
    cell_lon: npt.ArrayLike,
    cell_lat: npt.ArrayLike,
    cell_urban: npt.ArrayLike,
    site_lon: npt.ArrayLike,
    site_lat: npt.ArrayLike,
    *,
    radius_urban_km: npt.ArrayLike,
    radius_rural_km: npt.ArrayLike,
) -> sp.csr_matrix:
    """Boolean ``n_cells x n_sites`` matrix: ``[i, j]`` when site j covers cell i.

    Same arguments and rule as :func:`coverage_pairs`.

    Examples
    --------
    >>> a = coverage_sets([139.0, 139.05], [35.0, 35.0], [True, True], [139.0], [35.0],
    ...                   radius_urban_km=5.0, radius_rural_km=5.0)
    >>> a.toarray().ravel().tolist()
    [True, True]
    """
    return coverage_pairs(
        cell_lon,
        cell_lat,
        cell_urban,
        site_lon,
        site_lat,
        radius_urban_km=radius_urban_km,
        radius_rural_km=radius_rural_km,
    ).to_csr()


@dataclass(frozen=True)
class BestServer:
    """Best-serving site of each cell.

    Attributes
    ----------
    covered
        Whether any site covers the cell.
    site_index
        Index of the strongest covering site (lowest index on ties); -1 if none.
    rsrp_dbm
        Its RSRP [dBm]; NaN if none.
    """

    covered: npt.NDArray[np.bool_]
    site_index: IntArray
    rsrp_dbm: FloatArray


def best_server(
    rows: npt.ArrayLike,
    cols: npt.ArrayLike,
    rsrp_dbm: npt.ArrayLike,
    *,
    n_cells: int,
) -> BestServer:
    """Pick the strongest covering site of every cell.

    Parameters
    ----------
    rows, cols
        Covering pairs (cell index, site index), e.g. from :func:`coverage_pairs`;
        any order.
    rsrp_dbm
        RSRP of each pair [dBm] (e.g. from :func:`pair_rsrp_dbm`).
    n_cells
        Number of cells.

    Examples
    --------
    >>> b = best_server([0, 0, 2], [0, 1, 1], [-100.0, -90.0, -95.0], n_cells=3)
    >>> b.site_index.tolist(), b.covered.tolist()
    ([1, -1, 1], [True, False, True])
    """
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    v = np.asarray(rsrp_dbm, dtype=float)
    if not (r.shape == c.shape == v.shape) or r.ndim != 1:
        msg = "best_server: rows, cols and rsrp_dbm must be 1-D arrays of one length"
        raise InputError(msg)
    if np.isnan(v).any():
        msg = "best_server: rsrp_dbm has NaN values"
        raise InputError(msg)
    if r.size and (r.min() < 0 or r.max() >= n_cells):
        msg = f"best_server: a row index is outside 0..{n_cells - 1}"
        raise InputError(msg)
    covered = np.zeros(n_cells, dtype=bool)
    site = np.full(n_cells, -1, dtype=np.int64)
    best = np.full(n_cells, np.nan)
    if r.size == 0:
        return BestServer(covered, site, best)
    if (np.diff(r) < 0).any():
        order = np.argsort(r, kind="stable")
        r, c, v = r[order], c[order], v[order]
    starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
    sizes = np.diff(np.r_[starts, r.size])
    group_max = np.maximum.reduceat(v, starts)
    is_max = v == np.repeat(group_max, sizes)
    best_col = np.minimum.reduceat(np.where(is_max, c, np.iinfo(np.int64).max), starts)
    cells = r[starts]
    covered[cells] = True
    site[cells] = best_col
    best[cells] = group_max
    return BestServer(covered, site, best)


def pair_rsrp_dbm(
    pairs: CoveragePairs,
    *,
    cell_urban: npt.ArrayLike,
    site_type: npt.ArrayLike,
    site_height_m: npt.ArrayLike | None = None,
    station_types: Mapping[str, StationType] | None = None,
    link_budget: LinkBudget | None = None,
) -> FloatArray:
    """RSRP [dBm] of every covering pair from the radio model.

    Each pair uses its site's station type and height and the path-loss model
    of the cell's environment.

    Parameters
    ----------
    pairs
        Covering pairs.
    cell_urban
        Whether each cell is urban.
    site_type
        Station-type key of each site.
    site_height_m
        Antenna height of each site [m]; NaN or ``None`` uses the type default.
    station_types
        Known types (default :data:`~denen_gis.layers.radio.STATION_TYPES`).
    link_budget
        Link budget (default :class:`~denen_gis.layers.radio.LinkBudget`).
    """
    types = STATION_TYPES if station_types is None else station_types
    urban = np.asarray(cell_urban, dtype=bool)[pairs.rows]
    keys = np.asarray(site_type, dtype=str)
    heights = (
        np.full(keys.shape, np.nan)
        if site_height_m is None
        else np.asarray(site_height_m, dtype=float)
    )
    uniq, type_idx = np.unique(keys, return_inverse=True)
    pair_type = type_idx[pairs.cols]
    out = np.empty(pairs.rows.size)
    for t, key in enumerate(map(str, uniq)):
        if key not in types:
            msg = f"unknown station_type {key!r}; known types: {sorted(types)}"
            raise InputError(msg)
        st = types[str(key)]
        for env, is_urban in (("urban", True), ("rural", False)):
            sel = np.flatnonzero((pair_type == t) & (urban == is_urban))
            if sel.size == 0:
                continue
            h = heights[pairs.cols[sel]]
            h = np.where(np.isnan(h), st.height_m, h)
            out[sel] = rsrp_dbm(
                pairs.distance_km[sel], st, env, link_budget=link_budget, height_m=h
            )
    return out
